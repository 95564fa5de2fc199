/* The citizen's page: place search (an ARIA combobox), route, nearest facility and
   walkshed requests to the HTTP API, drawing on a Leaflet map, results in a live region,
   share links. Every text people read comes from the server's catalogue (config.messages);
   text from the data (street and facility names) is only ever set as textContent. */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("config").textContent);
  var M = config.messages;
  var API = config.api;
  var lang = config.lang;
  var profiles = {};
  config.profiles.forEach(function (p) { profiles[p.name] = p; });

  function fmt(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, k) { return values[k] === undefined ? "" : String(values[k]); });
  }
  var numberFormat = new Intl.NumberFormat(lang === "it" ? "it-IT" : "en-GB", { maximumFractionDigits: 0 });
  var decimalFormat = new Intl.NumberFormat(lang === "it" ? "it-IT" : "en-GB", { maximumFractionDigits: 1 });
  var ratioFormat = new Intl.NumberFormat(lang === "it" ? "it-IT" : "en-GB", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  function num(x) { return numberFormat.format(x); }
  function dec(x) { return decimalFormat.format(x); }
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }
  var status = document.getElementById("status");
  function say(text, isError) {
    status.textContent = "";
    status.classList.toggle("error", !!isError);
    window.setTimeout(function () { status.textContent = text; }, 30);  // re-announced even when repeated
  }

  // --- the map: base layers in one place --------------------------------------------------
  var map = L.map("map", { keyboard: true, zoomControl: true, attributionControl: true });
  var box = config.bbox;
  map.fitBounds([[box[1], box[0]], [box[3], box[2]]]);
  map.attributionControl.setPrefix(false);

  /* Every layer under the route comes from here: the workspace's base map (streets with
     their names, buildings, parks: vector tiles read by byte ranges from this server,
     drawn by the script the offline maps share), else the pedestrian network as light
     GeoJSON; an online tile layer when the operator configures one (config.tiles); the
     facilities. */
  function addBaseLayers(map) {
    var layers = {};
    if (config.tiles && config.tiles.url) {
      layers.tiles = L.tileLayer(config.tiles.url, { attribution: config.tiles.attribution || "", maxZoom: 19 }).addTo(map);
    }
    map.attributionControl.addAttribution("© OpenStreetMap contributors (ODbL)");
    var B = window.accessibilityBasemap;
    if (config.basemap && B) {
      layers.basemap = B.layer(B.fromUrl(config.basemap.url), config.basemap.maxzoom, lang).addTo(map);
    } else {
      layers.network = L.geoJSON(null, { style: { color: "#9aa3ad", weight: 2, opacity: 0.9 }, interactive: false }).addTo(map);
      fetch(API + "/network").then(function (r) { return r.json(); }).then(function (doc) { layers.network.addData(doc); });
    }
    layers.facilities = L.layerGroup().addTo(map);
    fetch(API + "/facilities?lang=" + lang).then(function (r) { return r.json(); }).then(function (doc) {
      doc.features.forEach(function (f) {
        var c = f.geometry.coordinates;
        var marker = L.circleMarker([c[1], c[0]], { radius: 4, color: "#4a4a4a", weight: 1, fillColor: "#ffffff", fillOpacity: 1, keyboard: false });
        marker.bindTooltip(el("span", (f.properties.name ? f.properties.name + " · " : "") + f.properties.category_label));
        marker.addTo(layers.facilities);
      });
    });
    return layers;
  }
  var base = addBaseLayers(map);
  var drawn = L.layerGroup().addTo(map);
  var routeLayer = null;

  // --- points: from and to ----------------------------------------------------------------
  var points = { from: null, to: null };  // {lat, lon, label}
  var markers = { from: null, to: null };
  var inputs = { from: document.getElementById("from-input"), to: document.getElementById("to-input") };
  var nearestSelect = document.getElementById("nearest");
  var usableOnly = document.getElementById("usable-only");

  function setPoint(which, lat, lon, label, quiet) {
    points[which] = { lat: +lat, lon: +lon, label: label };
    inputs[which].value = label;
    if (markers[which]) markers[which].remove();
    markers[which] = L.marker([lat, lon], { title: which === "from" ? M.start_marker : M.end_marker, alt: which === "from" ? M.start_marker : M.end_marker, keyboard: false }).addTo(map);
    if (which === "to") nearestSelect.value = "";
    if (!quiet) say(fmt(which === "from" ? M.from_set : M.to_set, { label: label }));
  }
  function pointLabel(lat, lon) { return fmt(M.point_on_map, { lat: lat.toFixed(5), lon: lon.toFixed(5) }); }

  // --- the place search combobox ------------------------------------------------------------
  function Combo(which) {
    var input = inputs[which];
    var list = document.getElementById(which + "-list");
    var results = [];
    var active = -1;
    var timer = null;
    var asked = 0;
    function close() {
      list.hidden = true; list.textContent = ""; input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant"); active = -1;
    }
    function show() {
      list.textContent = "";
      results.forEach(function (r, i) {
        var li = el("li");
        li.id = which + "-opt-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.appendChild(document.createTextNode(r.label));
        li.appendChild(el("span", r.detail || r.kind_label, "kind"));
        li.addEventListener("mousedown", function (ev) { ev.preventDefault(); choose(i); });
        list.appendChild(li);
      });
      list.hidden = results.length === 0;
      input.setAttribute("aria-expanded", results.length ? "true" : "false");
      say(results.length ? fmt(M.suggestions, { count: results.length }) : M.no_match);
    }
    function highlight(i) {
      var items = list.querySelectorAll("li");
      items.forEach(function (li, k) { li.setAttribute("aria-selected", k === i ? "true" : "false"); });
      active = i;
      if (i >= 0 && items[i]) {
        input.setAttribute("aria-activedescendant", items[i].id);
        items[i].scrollIntoView({ block: "nearest" });
      } else input.removeAttribute("aria-activedescendant");
    }
    function choose(i) {
      var r = results[i];
      close();
      if (!r) return;
      if (r.kind === "nearest") {
        if (which === "to") { nearestSelect.value = r.destination; points.to = null; input.value = ""; say(fmt(M.to_set, { label: r.label })); }
        else say(M.need_from, true);
        return;
      }
      setPoint(which, r.lat, r.lon, r.label);
    }
    function lookup(text, then) {
      var mine = ++asked;
      fetch(API + "/search?lang=" + lang + "&q=" + encodeURIComponent(text))
        .then(function (r) { return r.json(); })
        .then(function (doc) {
          if (mine !== asked) return;
          results = (doc.results || []).filter(function (r) { return which === "to" || r.kind !== "nearest"; });
          if (then) then(); else show();
        })
        .catch(function () { say(M.network_error, true); });
    }
    input.addEventListener("input", function () {
      points[which] = null;
      window.clearTimeout(timer);
      var text = input.value.trim();
      if (text.length < 2) { close(); return; }
      timer = window.setTimeout(function () { lookup(text); }, 220);
    });
    input.addEventListener("keydown", function (ev) {
      var open = !list.hidden;
      if (ev.key === "ArrowDown") {
        ev.preventDefault();
        if (!open && results.length) show();
        highlight(Math.min(active + 1, results.length - 1));
      } else if (ev.key === "ArrowUp") {
        ev.preventDefault(); highlight(Math.max(active - 1, 0));
      } else if (ev.key === "Enter" && open && active >= 0) {
        ev.preventDefault(); choose(active);
      } else if (ev.key === "Escape" && open) {
        ev.preventDefault(); close();
      }
    });
    input.addEventListener("blur", function () { window.setTimeout(close, 150); });
    // on submit without a choice: take the best match of what was typed
    this.resolve = function () {
      return new Promise(function (resolve) {
        var text = input.value.trim();
        if (points[which] || !text) { resolve(points[which]); return; }
        lookup(text, function () {
          var first = results.filter(function (r) { return r.kind !== "nearest"; })[0];
          if (first) setPoint(which, first.lat, first.lon, first.label, true);
          else if (which === "to" && results[0]) { nearestSelect.value = results[0].destination; }
          resolve(points[which]);
        });
      });
    };
    this.close = close;
  }
  var combos = { from: new Combo("from"), to: new Combo("to") };
  nearestSelect.addEventListener("change", function () {
    if (nearestSelect.value) { points.to = null; inputs.to.value = ""; if (markers.to) { markers.to.remove(); markers.to = null; } }
  });

  // --- picking on the map, my position --------------------------------------------------------
  var picking = null;
  var pickButtons = { from: document.getElementById("from-map"), to: document.getElementById("to-map") };
  function pick(which) {
    picking = picking === which ? null : which;
    Object.keys(pickButtons).forEach(function (k) { pickButtons[k].setAttribute("aria-pressed", picking === k ? "true" : "false"); });
    if (picking) { say(picking === "from" ? M.pick_from : M.pick_to); document.getElementById("map").focus(); }
  }
  pickButtons.from.addEventListener("click", function () { pick("from"); });
  pickButtons.to.addEventListener("click", function () { pick("to"); });
  function pickAt(latlng) {
    var which = picking || (points.from ? "to" : "from");
    setPoint(which, +latlng.lat.toFixed(7), +latlng.lng.toFixed(7), pointLabel(latlng.lat, latlng.lng));
    picking = null;
    Object.keys(pickButtons).forEach(function (k) { pickButtons[k].setAttribute("aria-pressed", "false"); });
  }
  map.on("click", function (ev) { pickAt(ev.latlng); });
  // keyboard: with a pick button pressed, Enter on the map sets the point at its centre
  document.getElementById("map").addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && picking) { ev.preventDefault(); pickAt(map.getCenter()); }
  });
  document.getElementById("from-here").addEventListener("click", function () {
    if (!navigator.geolocation) { say(M.position_unavailable, true); return; }
    navigator.geolocation.getCurrentPosition(
      function (pos) { setPoint("from", +pos.coords.latitude.toFixed(7), +pos.coords.longitude.toFixed(7), M.my_position); },
      function () { say(M.position_unavailable, true); },
      { timeout: 10000 }
    );
  });

  // --- profile and its limits -----------------------------------------------------------------
  var sliderNames = ["max_kerb_cm", "max_incline_up_pct", "max_incline_down_pct", "min_width_cm", "max_steps"];
  var custom = {};  // limits the person changed
  function selectedProfile() {
    var checked = document.querySelector("input[name=profile]:checked");
    return checked ? checked.value : "walk";
  }
  function valueText(slider, value) {
    var unit = slider.dataset.unit;
    if (value === null) return M.no_limit;
    if (unit === "cm") return fmt(M.value_cm, { value: dec(value) });
    if (unit === "pct") return fmt(M.value_pct, { value: dec(value) });
    return fmt(M.value_steps, { value: num(value) });
  }
  function showSlider(name, value) {
    var slider = document.getElementById(name);
    var text = valueText(slider, value);
    if (value !== null) slider.value = value; else slider.value = slider.max;
    slider.setAttribute("aria-valuetext", text);
    document.getElementById(name + "-out").textContent = text;
  }
  function loadProfileLimits() {
    var p = profiles[selectedProfile()];
    custom = {};
    sliderNames.forEach(function (n) { showSlider(n, p ? p.limits[n] : null); });
    var unknown = p && p.limits.unknown === "avoid" ? "avoid" : "accept";
    document.getElementById("unknown-" + unknown).checked = true;
  }
  sliderNames.forEach(function (n) {
    document.getElementById(n).addEventListener("input", function (ev) {
      custom[n] = +ev.target.value;
      showSlider(n, custom[n]);
    });
  });
  document.querySelectorAll("input[name=unknown]").forEach(function (r) {
    r.addEventListener("change", function () { custom.unknown = r.value; });
  });
  document.querySelectorAll("input[name=profile]").forEach(function (r) { r.addEventListener("change", loadProfileLimits); });
  document.getElementById("custom-reset").addEventListener("click", loadProfileLimits);

  // --- asking the API ---------------------------------------------------------------------------
  function query(extra) {
    var q = new URLSearchParams();
    q.set("lang", lang);
    q.set("profile", selectedProfile());
    Object.keys(custom).forEach(function (k) { q.set(k, custom[k]); });
    Object.keys(extra).forEach(function (k) { if (extra[k] !== null && extra[k] !== undefined) q.set(k, extra[k]); });
    return q;
  }
  function ll(p) { return p.lat + "," + p.lon; }
  function getJSON(url) {
    return fetch(url).then(function (r) {
      return r.json().then(function (doc) {
        if (!r.ok) throw new Error(doc.error ? doc.error.message : r.statusText);
        return doc;
      });
    });
  }
  var goButton = document.getElementById("go");
  var resultBox = document.getElementById("result");
  var resultBody = document.getElementById("result-body");
  var lastShare = null;
  var resultTitle = document.getElementById("result-title");
  var routeTitle = resultTitle.textContent;

  function plan(ev) {
    if (ev) ev.preventDefault();
    combos.from.close(); combos.to.close();
    Promise.all([combos.from.resolve(), nearestSelect.value ? Promise.resolve(null) : combos.to.resolve()]).then(function () {
      if (!points.from) { say(M.need_from, true); inputs.from.focus(); return; }
      if (!points.to && !nearestSelect.value) { say(M.need_to, true); inputs.to.focus(); return; }
      var q = query({ from: ll(points.from) });
      var url;
      if (nearestSelect.value) {
        q.set("category", nearestSelect.value);
        if (usableOnly.checked) q.set("usable_by", q.get("profile"));
        url = API + "/nearest?" + q;
      }
      else { q.set("to", ll(points.to)); url = API + "/route?" + q; }
      goButton.disabled = true;
      say(M.computing);
      getJSON(url).then(function (doc) { showRoute(doc); share(); })
        .catch(function (err) { say(fmt(M.error, { message: err.message }), true); })
        .then(function () { goButton.disabled = false; });
    });
  }
  document.getElementById("planner").addEventListener("submit", plan);

  function showRoute(doc) {
    drawn.clearLayers();
    routeLayer = null;
    var route = doc.features[0];
    var p = route.properties;
    doc.features.forEach(function (f) {
      var role = f.properties.role;
      if (!f.geometry) return;
      if (role === "walk") L.geoJSON(f, { style: { color: "#5f6368", weight: 4, dashArray: "6 6", opacity: 0.9 }, interactive: false }).addTo(drawn);
    });
    if (route.geometry) {
      routeLayer = L.geoJSON(route, { style: { color: "#0b4f8a", weight: 6, opacity: 0.95 }, interactive: false }).addTo(drawn);
    }
    doc.features.forEach(function (f) {
      var role = f.properties.role;
      if (role === "unknown") L.geoJSON(f, { style: { color: "#b35900", weight: 6, dashArray: "4 8", opacity: 1 }, interactive: false }).addTo(drawn);
      if (role === "avoided" || role === "blocking") {
        var c = f.geometry.coordinates;
        var label = fmt(role === "avoided" ? M.barrier_avoided_marker : M.barrier_blocking_marker, { label: f.properties.label });
        L.circleMarker([c[1], c[0]], { radius: 7, color: role === "avoided" ? "#1b5e20" : "#a4161a", weight: 3, fillOpacity: 0.6, keyboard: false })
          .bindTooltip(el("span", label)).addTo(drawn);
      }
    });
    if (p.facility && route.geometry) {
      var end = route.geometry.coordinates[route.geometry.coordinates.length - 1];
      if (markers.to) markers.to.remove();
      markers.to = L.marker([end[1], end[0]], { title: M.end_marker, alt: M.end_marker, keyboard: false }).addTo(map);
    }
    var bounds = drawn.getLayers().length ? L.featureGroup(drawn.getLayers()).getBounds() : null;
    if (bounds && bounds.isValid()) map.fitBounds(bounds, { padding: [24, 24] });
    renderResult(doc);
  }

  /* The facility's sheet (scheda impianto): whether the person can use it once there, what
     is missing or not known, and every field with where it comes from. Filled when the
     server answers; all of it as text. */
  function facilitySheet(osm, profileName) {
    var box = el("section", null, "sheet");
    box.setAttribute("aria-labelledby", "sheet-title");
    var heading = el("h3", M.sheet_title);
    heading.id = "sheet-title";
    box.appendChild(heading);
    getJSON(API + "/facilities/" + encodeURIComponent(osm.replace("/", "-")) + "/sheet?lang=" + lang).then(function (doc) {
      var use = doc.usable && doc.usable[profileName];
      if (use) {
        box.appendChild(el("p", fmt(M.sheet_usable, { profile: use.profile_label, status: use.status_label }), "sheet-status " + use.status));
        if (use.missing) box.appendChild(el("p", fmt(M.sheet_missing, { missing: use.missing })));
        if (use.unknown) box.appendChild(el("p", fmt(M.sheet_unknown, { unknown: use.unknown })));
      }
      var details = el("details");
      details.appendChild(el("summary", M.sheet_all));
      var dl = el("dl");
      doc.fields.forEach(function (f) {
        dl.appendChild(el("dt", f.label));
        dl.appendChild(el("dd", f.source === "unknown" ? f.text : fmt(M.sheet_value, { value: f.text, source: f.source_text })));
      });
      details.appendChild(dl);
      box.appendChild(details);
    }).catch(function () { box.appendChild(el("p", M.sheet_unavailable)); });
    return box;
  }

  function renderResult(doc) {
    var route = doc.features[0];
    var p = route.properties;
    resultBody.textContent = "";
    resultTitle.textContent = routeTitle;
    if (p.facility) {
      var name = p.facility.name || fmt(M.unnamed_facility, { category: p.facility.label });
      resultBody.appendChild(el("p", fmt(M.facility_reached, { name: name + " · " + p.facility.label })));
      if (p.facility.osm) resultBody.appendChild(facilitySheet(p.facility.osm, p.profile));
    }
    if (p.found) {
      var dl = el("dl");
      function row(term, value) { dl.appendChild(el("dt", term)); dl.appendChild(el("dd", value)); }
      row(M.length, fmt(M.metres, { metres: num(p.length_m) }));
      row(M.time, fmt(M.minutes, { minutes: num(Math.max(1, Math.round(p.duration_s / 60))) }));
      row(M.detour, p.detour_ratio && p.detour_ratio > 1.005 ? fmt(M.detour_value, { ratio: ratioFormat.format(p.detour_ratio), walk: num(p.walk_length_m) }) : M.no_detour);
      resultBody.appendChild(dl);
      if (p.unknown_share > 0.0005) resultBody.appendChild(el("p", fmt(M.unknown_data, { share: dec(100 * p.unknown_share) + (lang === "it" ? " %" : "%") }), "unknown-note"));
      resultBody.appendChild(el("h3", M.avoided_title));
      if (doc.barriers_avoided.length) {
        var ul = el("ul");
        doc.barriers_avoided.forEach(function (b) { ul.appendChild(el("li", barrierText(b))); });
        resultBody.appendChild(ul);
      } else resultBody.appendChild(el("p", M.avoided_none));
      resultBody.appendChild(el("h3", M.directions_title));
      var ol = el("ol");
      ol.id = "directions";
      p.directions.forEach(function (step) { ol.appendChild(el("li", step)); });
      resultBody.appendChild(ol);
      say(fmt(M.route_found, { summary: p.summary }));
    } else {
      resultBody.appendChild(el("p", M.no_route));
      resultBody.appendChild(el("h3", M.blocking_title));
      if (doc.blocking_barriers.length) {
        var ol2 = el("ol");
        ol2.id = "blockers";
        doc.blocking_barriers.forEach(function (b) { ol2.appendChild(el("li", barrierText(b) + " · " + fmt(M.at_distance, { metres: num(b.distance_m) }))); });
        resultBody.appendChild(ol2);
      } else resultBody.appendChild(el("p", M.blocking_none));
      say(M.no_route + " " + (doc.blocking_barriers.length ? M.blocking_title : M.blocking_none), true);
    }
    resultBox.hidden = false;
    document.getElementById("result-title").focus();
  }
  function barrierText(b) {
    var text = b.label;
    if (b.measure !== null && b.measure !== undefined) text += " " + dec(b.measure) + (b.unit ? " " + b.unit : "");
    if (b.street) text += ", " + b.street;
    return text;
  }

  // --- where can I get to? -----------------------------------------------------------------------
  var bandColours = ["#0b4f8a", "#6a3d9a", "#1b6e3a", "#7a4a00", "#5f6368"];
  document.getElementById("reach").addEventListener("click", function () {
    combos.from.resolve().then(function () {
      if (!points.from) { say(M.need_from, true); inputs.from.focus(); return; }
      say(M.computing_reach);
      getJSON(API + "/reach?" + query({ from: ll(points.from), minutes: "5,10,15" })).then(function (doc) {
        drawn.clearLayers();
        routeLayer = null;
        var parts = [];
        resultBody.textContent = "";
        var ul = el("ul");
        doc.features.slice().reverse().forEach(function (f, k) {
          var i = doc.features.length - 1 - k;
          if (f.geometry) L.geoJSON(f, { style: { color: bandColours[i], weight: 4, opacity: 0.85 }, interactive: false }).addTo(drawn);
        });
        doc.features.forEach(function (f, i) {
          var text = fmt(M.reach_band, { minutes: num(f.properties.minutes), km: dec(f.properties.length_m / 1000) });
          var li = el("li");
          var swatch = el("span", null, "swatch");
          swatch.style.background = bandColours[i];
          swatch.setAttribute("aria-hidden", "true");
          li.appendChild(swatch);
          li.appendChild(document.createTextNode(text));
          parts.push(text); ul.appendChild(li);
        });
        resultTitle.textContent = M.reach_title;
        resultBody.appendChild(ul);
        resultBox.hidden = false;
        var layers = drawn.getLayers();
        if (layers.length) map.fitBounds(L.featureGroup(layers).getBounds(), { padding: [24, 24] });
        say(fmt(M.reach_done, { bands: parts.join("; ") }));
        document.getElementById("result-title").focus();
      }).catch(function (err) { say(fmt(M.error, { message: err.message }), true); });
    });
  });

  // --- share link and print --------------------------------------------------------------------
  function share() {
    var q = query({ from: ll(points.from), from_label: points.from.label });
    if (nearestSelect.value) {
      q.set("nearest", nearestSelect.value);
      if (usableOnly.checked) q.set("usable", "1");
    } else { q.set("to", ll(points.to)); q.set("to_label", points.to.label); }
    lastShare = location.origin + location.pathname + "?" + q.toString();
    history.replaceState(null, "", "?" + q.toString());
    document.getElementById("lang-switch").href = "?" + q.toString().replace(/lang=\w+/, "lang=" + (lang === "it" ? "en" : "it"));
  }
  document.getElementById("share").addEventListener("click", function () {
    var url = lastShare || location.href;
    var box = document.getElementById("share-fallback");
    var field = document.getElementById("share-url");
    field.value = url;
    function fallback() { box.hidden = false; field.focus(); field.select(); say(M.share_manual); }
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(url).then(function () { say(M.share_copied); }, fallback);
    else fallback();
  });
  document.getElementById("print").addEventListener("click", function () { window.print(); });

  // --- a shared link reopens its route -------------------------------------------------------------
  function restore() {
    var q = new URLSearchParams(location.search);
    if (q.get("profile") && profiles[q.get("profile")]) document.getElementById("profile-" + q.get("profile")).checked = true;
    loadProfileLimits();
    sliderNames.concat(["unknown"]).forEach(function (n) {
      if (!q.has(n)) return;
      if (n === "unknown") { custom.unknown = q.get(n); var r = document.getElementById("unknown-" + q.get(n)); if (r) r.checked = true; }
      else { custom[n] = +q.get(n); showSlider(n, custom[n]); document.getElementById("custom").open = true; }
    });
    function parse(v) { var a = (v || "").split(",").map(Number); return a.length === 2 && isFinite(a[0]) && isFinite(a[1]) ? a : null; }
    var f = parse(q.get("from")), t = parse(q.get("to"));
    if (f) setPoint("from", f[0], f[1], q.get("from_label") || pointLabel(f[0], f[1]), true);
    if (t) setPoint("to", t[0], t[1], q.get("to_label") || pointLabel(t[0], t[1]), true);
    if (q.get("nearest")) nearestSelect.value = q.get("nearest");
    usableOnly.checked = q.get("usable") === "1";
    if (f && (t || q.get("nearest"))) plan();
  }
  restore();

  // for tests and for people who script their browser
  window.accessibilityApp = {
    map: map,
    base: base,
    route: function () { return routeLayer ? routeLayer.toGeoJSON(false).features[0] : null; },
    points: points
  };
})();
