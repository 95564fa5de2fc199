/* The office's pages: the review map (a marker per report listed, which selects its row)
   and the plan (ranked once on the server, recut here as the budget changes, exactly as
   planning.ranking.fund does: whole steps from the top while their cumulative cost fits). */
(function () {
  "use strict";
  var configEl = document.getElementById("config");
  var config = configEl ? JSON.parse(configEl.textContent) : { messages: {} };
  var M = config.messages || {};
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  function fmt(text, values) {
    return String(text || "").replace(/\{(\w+)\}/g, function (m, k) { return values && k in values ? values[k] : m; });
  }
  // Leaflet puts a string tooltip in as HTML: names and kinds go in as text nodes
  function text(value) {
    var span = document.createElement("span");
    span.textContent = String(value);
    return span;
  }
  /* The workspace's base map (streets with their names), as the citizen's page draws it,
     else the pedestrian network; an online layer when the operator configured one. */
  function baseMap(el) {
    var b = config.bbox;
    var map = L.map(el);
    map.fitBounds([[b[1], b[0]], [b[3], b[2]]]);
    if (config.tiles) { L.tileLayer(config.tiles.url, { attribution: config.tiles.attribution || "", maxZoom: 20 }).addTo(map); }
    map.attributionControl.setPrefix(false);
    map.attributionControl.addAttribution("© OpenStreetMap contributors (ODbL)");
    var B = window.accessibilityBasemap;
    if (config.basemap && B) {
      B.layer(B.fromUrl(config.basemap.url), config.basemap.maxzoom, document.documentElement.lang).addTo(map);
    } else {
      fetch("/api/v1/network").then(function (r) { return r.json(); }).then(function (doc) {
        L.geoJSON(doc, { style: { color: "#5f6368", weight: 2, opacity: 0.8 }, interactive: false }).addTo(map);
      }, function () {});
    }
    return map;
  }

  // --- review ----------------------------------------------------------------------------
  var reviewMap = document.getElementById("review-map");
  if (reviewMap && window.L) {
    var map = baseMap(reviewMap);
    var bounds = [];
    (config.points || []).forEach(function (p) {
      var m = L.circleMarker([p.lat, p.lon], { radius: 8, color: "#0b4f8a", weight: 2, fillOpacity: 0.6 }).addTo(map);
      m.bindTooltip(text(p.label));
      m.on("click", function () {
        var box = document.getElementById("sel-" + p.id);
        if (box) { box.checked = !box.checked; box.focus(); box.scrollIntoView({ block: "center" }); }
      });
      bounds.push([p.lat, p.lon]);
    });
    if (bounds.length) { map.fitBounds(bounds, { maxZoom: 18, padding: [20, 20] }); }
    var viewButton = document.getElementById("filter-view");
    if (viewButton) {
      viewButton.hidden = false;
      viewButton.addEventListener("click", function () {
        var v = map.getBounds();
        document.getElementById("f-bbox").value =
          [v.getWest(), v.getSouth(), v.getEast(), v.getNorth()].map(function (x) { return x.toFixed(6); }).join(",");
      });
    }
  }
  var all = document.getElementById("select-all");
  if (all) {
    all.addEventListener("click", function () {
      var boxes = document.querySelectorAll('#reports input[name="ids"]');
      var any = Array.prototype.some.call(boxes, function (b) { return !b.checked; });
      Array.prototype.forEach.call(boxes, function (b) { b.checked = any; });
    });
  }

  // --- plan ------------------------------------------------------------------------------
  var planForm = document.getElementById("plan-form");
  if (!planForm) { return; }
  var statusEl = document.getElementById("plan-status");
  var budgetEl = document.getElementById("budget");
  var tbody = document.querySelector("#plan-table tbody");
  var downloads = document.getElementById("downloads");
  var planMap = window.L ? baseMap(document.getElementById("plan-map")) : null;
  var layer = planMap ? L.layerGroup().addTo(planMap) : null;
  var plan = null;

  /* parse_euros of accessibility.values, for the page: 150000, 150.000, 150.000,00, 150k, 1,5M */
  function parseEuros(text) {
    var v = String(text).trim().replace(/€/g, "").replace(/[\s\u00a0]/g, "").toLowerCase().replace(/(euro|eur)$/, "");
    var m = v.match(/^(\d+(?:[.,]\d{1,2})?)([km])$/);
    if (m) { return parseFloat(m[1].replace(",", ".")) * (m[2] === "k" ? 1000 : 1000000); }
    if (/^\d+$/.test(v)) { return parseFloat(v); }
    if (/^\d{1,3}(?:\.\d{3})+(?:,\d{1,2})?$/.test(v)) { return parseFloat(v.replace(/\./g, "").replace(",", ".")); }
    if (/^\d+,\d{1,2}$/.test(v)) { return parseFloat(v.replace(",", ".")); }
    if (/^\d{1,3}(?:,\d{3})+\.\d{1,2}$/.test(v)) { return parseFloat(v.replace(/,/g, "")); }
    if (/^\d+\.\d{1,2}$/.test(v)) { return parseFloat(v); }
    return NaN;
  }
  function money(x) {
    return new Intl.NumberFormat(document.documentElement.lang === "it" ? "it-IT" : "en-GB",
      { style: "currency", currency: "EUR", maximumFractionDigits: 0 }).format(x);
  }
  function funded(rows, budget) {
    var stepCost = {}, order = [];
    rows.forEach(function (r) {
      if (!(r.step in stepCost)) { stepCost[r.step] = 0; order.push(r.step); }
      stepCost[r.step] += r.cost;
    });
    var ok = {}, cum = 0, open = true;
    order.forEach(function (s) { cum += stepCost[s]; open = open && cum <= budget + 1e-9; ok[s] = open; });
    return rows.map(function (r) { return ok[r.step] && r.fundable; });
  }
  function draw() {
    if (!plan) { return; }
    var budget = parseEuros(budgetEl.value);
    if (!isFinite(budget)) { statusEl.textContent = M.bad_budget; budgetEl.setAttribute("aria-invalid", "true"); return; }
    budgetEl.removeAttribute("aria-invalid");
    var ok = funded(plan.rows, budget);
    tbody.textContent = "";
    if (layer) { layer.clearLayers(); }
    var spent = 0, count = 0;
    plan.rows.forEach(function (r, i) {
      var tr = document.createElement("tr");
      [String(r.rank), r.kind, r.street + (r.near ? " (" + r.near + ")" : ""), r.cost_text, r.people,
        ok[i] ? M.funded : M.not_funded].forEach(function (text, j) {
        var td = document.createElement("td");
        td.textContent = text;
        if (j === 3 || j === 4) { td.className = "num"; }
        tr.appendChild(td);
      });
      if (ok[i]) { spent += r.cost; count += 1; tr.className = "funded"; }
      tbody.appendChild(tr);
      if (layer) {
        L.circleMarker([r.lat, r.lon], { radius: ok[i] ? 8 : 5, color: ok[i] ? "#1d6b2f" : "#6b7079", weight: 2, fillOpacity: 0.7 })
          .bindTooltip(text(r.rank + ". " + r.kind)).addTo(layer);
      }
    });
    statusEl.textContent = fmt(M.ranked, { count: plan.rows.length, funded: count, budget: money(budget), spent: money(spent) });
    Array.prototype.forEach.call(downloads.querySelectorAll("a"), function (a) {
      a.href = "/office/plan/" + plan.key + "/download." + a.getAttribute("data-fmt") + "?budget=" + encodeURIComponent(budgetEl.value);
    });
    downloads.hidden = false;
  }
  budgetEl.addEventListener("input", draw);
  planForm.addEventListener("submit", function (ev) {
    ev.preventDefault();
    statusEl.textContent = M.computing;
    var button = document.getElementById("compute");
    button.disabled = true;
    fetch("/office/plan/compute", { method: "POST", body: new FormData(planForm), credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf, "Accept": "application/json" } })
      .then(function (r) { return r.json().then(function (doc) { return { status: r.status, doc: doc }; }); })
      .then(function (res) {
        button.disabled = false;
        if (res.status !== 200) { statusEl.textContent = fmt(M.error, { message: (res.doc.error || {}).message || res.status }); return; }
        plan = res.doc;
        draw();
        if (planMap && plan.rows.length) {
          planMap.fitBounds(plan.rows.map(function (r) { return [r.lat, r.lon]; }), { maxZoom: 17, padding: [20, 20] });
        }
      }, function () { button.disabled = false; statusEl.textContent = fmt(M.error, { message: "" }); });
  });
}());
