/* The surveyor's report form: position by GPS (accuracy shown) or a tap on the map, the
   measurement the kind needs, and a queue in the browser (IndexedDB) for reports made
   without a connection, sent when the phone is online again. No inline script: the page's
   configuration comes as JSON in #config. Text from people is shown with textContent. */
(function () {
  "use strict";
  var configEl = document.getElementById("config");
  var config = configEl ? JSON.parse(configEl.textContent) : { messages: {}, kinds: {} };
  var M = config.messages || {};
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  var statusEl = document.getElementById("status");
  var form = document.getElementById("report-form");

  function fmt(text, values) {
    return String(text || "").replace(/\{(\w+)\}/g, function (m, k) { return values && k in values ? values[k] : m; });
  }
  function say(text) { if (statusEl) { statusEl.textContent = text; } }
  function newId() {
    if (window.crypto && crypto.randomUUID) { return "W-" + crypto.randomUUID(); }
    return "W-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 12);
  }

  // --- the queue in IndexedDB --------------------------------------------------------
  var DB = "accessibility-reports", STORE = "queue";
  function openDb() {
    return new Promise(function (resolve, reject) {
      var req = indexedDB.open(DB, 1);
      req.onupgradeneeded = function () { req.result.createObjectStore(STORE, { keyPath: "id" }); };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }
  function tx(mode, fn) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(STORE, mode);
        var out = fn(t.objectStore(STORE));
        t.oncomplete = function () { resolve(out && out.result !== undefined ? out.result : out); };
        t.onerror = function () { reject(t.error); };
      });
    });
  }
  function allQueued() { return tx("readonly", function (s) { return s.getAll(); }); }
  function putQueued(entry) { return tx("readwrite", function (s) { s.put(entry); }); }

  function describe(entry) {
    var label = entry.kindLabel || entry.fields.kind || "?";
    return label + (entry.fields.street ? " — " + entry.fields.street : "") + " (" + entry.created.slice(0, 16).replace("T", " ") + ")";
  }
  function showQueue() {
    var list = document.getElementById("queue");
    var summary = document.getElementById("queue-summary");
    if (!list || !window.indexedDB) { return Promise.resolve(); }
    return allQueued().then(function (entries) {
      entries.sort(function (a, b) { return a.created < b.created ? 1 : -1; });
      list.textContent = "";
      var waiting = 0;
      entries.forEach(function (e) {
        var li = document.createElement("li");
        if (e.state === "sent") {
          li.textContent = fmt(M.queue_sent, { what: describe(e), id: e.reportId });
        } else if (e.state === "refused") {
          li.textContent = fmt(M.queue_refused, { what: describe(e), reason: e.reason || "" });
        } else {
          waiting += 1;
          li.textContent = fmt(M.queue_waiting, { what: describe(e) });
        }
        li.className = "queue-" + e.state;
        list.appendChild(li);
      });
      summary.textContent = waiting ? fmt(M.queue_title, { count: waiting }) : M.queue_empty;
    });
  }

  function formDataOf(entry) {
    var data = new FormData();
    Object.keys(entry.fields).forEach(function (k) { data.append(k, entry.fields[k]); });
    (entry.photos || []).forEach(function (p) { data.append("photos", p.blob, p.name); });
    return data;
  }

  function send(entry) {
    return fetch("/api/v1/reports", {
      method: "POST", body: formDataOf(entry), credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf, "Accept": "application/json" }
    }).then(function (r) {
      return r.json().then(function (doc) { return { status: r.status, doc: doc }; }, function () { return { status: r.status, doc: {} }; });
    });
  }

  var flushing = false;
  function flush() {
    if (flushing || !window.indexedDB || !navigator.onLine) { return Promise.resolve(); }
    flushing = true;
    return allQueued().then(function (entries) {
      var waiting = entries.filter(function (e) { return e.state === "waiting"; });
      return waiting.reduce(function (p, e) {
        return p.then(function () {
          return send(e).then(function (res) {
            if (res.status === 200 || res.status === 201) {
              e.state = "sent"; e.reportId = res.doc.report_id; e.photos = [];
            } else if (res.status === 422) {
              e.state = "refused"; e.reason = (res.doc.error || {}).message || String(res.status);
            } else {
              return; // 401/403/5xx: kept, tried again later
            }
            return putQueued(e);
          }, function () { /* still offline: kept */ });
        });
      }, Promise.resolve());
    }).then(function () { flushing = false; return showQueue(); }, function () { flushing = false; });
  }
  window.addEventListener("online", flush);

  // --- the form ----------------------------------------------------------------------
  if (form) {
    var lat = document.getElementById("lat"), lon = document.getElementById("lon");
    var gps = document.getElementById("gps-status");
    var map = null, marker = null, circle = null;
    var mapEl = document.getElementById("map");
    if (window.L && mapEl) {
      var b = config.bbox;
      map = L.map(mapEl, { zoomControl: true, attributionControl: true });
      map.fitBounds([[b[1], b[0]], [b[3], b[2]]]);
      if (config.tiles) { L.tileLayer(config.tiles.url, { attribution: config.tiles.attribution || "", maxZoom: 20 }).addTo(map); }
      map.attributionControl.setPrefix(false);
    map.attributionControl.addAttribution("© OpenStreetMap contributors");
      fetch("/api/v1/network").then(function (r) { return r.json(); }).then(function (doc) {
        L.geoJSON(doc, { style: { color: "#5f6368", weight: 2, opacity: 0.8 }, interactive: false }).addTo(map);
      }, function () {});
      map.on("click", function (e) { place(e.latlng.lat, e.latlng.lng, null); say(M.tapped); });
    }
    function place(la, lo, accuracy) {
      lat.value = la.toFixed(7); lon.value = lo.toFixed(7);
      if (!map) { return; }
      if (!marker) { marker = L.marker([la, lo], { title: M.marker, alt: M.marker, keyboard: false }).addTo(map); }
      else { marker.setLatLng([la, lo]); }
      if (circle) { map.removeLayer(circle); circle = null; }
      if (accuracy) { circle = L.circle([la, lo], { radius: accuracy, weight: 1 }).addTo(map); }
      map.setView([la, lo], Math.max(map.getZoom(), 18));
    }
    document.getElementById("locate").addEventListener("click", function () {
      if (!navigator.geolocation) { gps.textContent = M.no_gps; return; }
      gps.textContent = M.locating;
      navigator.geolocation.getCurrentPosition(function (pos) {
        var acc = Math.round(pos.coords.accuracy);
        place(pos.coords.latitude, pos.coords.longitude, pos.coords.accuracy);
        gps.textContent = fmt(acc > 20 ? M.poor_accuracy : M.located, { metres: acc });
      }, function () { gps.textContent = M.no_gps; }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 0 });
    });

    function showMeasures() {
      var chosen = form.querySelector('input[name="kind"]:checked');
      var need = chosen ? chosen.getAttribute("data-measure") : null;
      Array.prototype.forEach.call(form.querySelectorAll(".measure"), function (el) {
        var name = el.getAttribute("data-for");
        var show = !chosen || name === need;
        el.hidden = !show;
        if (!show) { el.querySelector("input").value = ""; }
      });
    }
    Array.prototype.forEach.call(form.querySelectorAll('input[name="kind"]'), function (el) {
      el.addEventListener("change", showMeasures);
    });
    showMeasures();

    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var chosen = form.querySelector('input[name="kind"]:checked');
      if (!lat.value || !lon.value) { say(M.need_position); lat.focus(); return; }
      if (!chosen) { say(M.need_kind); form.querySelector('input[name="kind"]').focus(); return; }
      var idEl = document.getElementById("report-id");
      if (!idEl.value) { idEl.value = newId(); }
      var fields = {};
      Array.prototype.forEach.call(form.elements, function (el) {
        if (!el.name || el.name === "csrf" || el.name === "photos" || el.disabled) { return; }
        if ((el.type === "radio" || el.type === "checkbox") && !el.checked) { return; }
        if (el.value !== "") { fields[el.name] = el.value; }
      });
      var files = Array.prototype.slice.call(document.getElementById("photos").files || [], 0, 3);
      var entry = {
        id: idEl.value, fields: fields, created: new Date().toISOString(), state: "waiting",
        kindLabel: chosen.parentNode.textContent.trim(),
        photos: files.map(function (f) { return { name: f.name, blob: f }; })
      };
      var button = document.getElementById("send");
      button.disabled = true;
      say(M.sending);
      function done() {
        button.disabled = false;
        form.reset(); idEl.value = "";
        if (marker) { map.removeLayer(marker); marker = null; }
        if (circle) { map.removeLayer(circle); circle = null; }
        showMeasures();
        return showQueue();
      }
      function queue() {
        return putQueued(entry).then(function () { say(M.queued); return done(); });
      }
      if (!navigator.onLine) { queue(); return; }
      send(entry).then(function (res) {
        if (res.status === 200 || res.status === 201) {
          entry.state = "sent"; entry.reportId = res.doc.report_id; entry.photos = [];
          return putQueued(entry).then(function () {
            say(fmt(res.doc.already ? M.already : M.sent, { id: res.doc.report_id }));
            return done();
          });
        }
        button.disabled = false;
        var err = res.doc.error || {};
        if (res.status === 422) {
          say(fmt(M.error, { message: err.message || "" }));
        } else if (res.status >= 500 || res.status === 0) {
          return queue();
        } else {
          say(fmt(M.error, { message: err.message || String(res.status) }));
        }
      }, function () { return queue(); });
    });
  }
  showQueue().then(flush);
}());
