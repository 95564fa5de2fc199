/* The offline maps of `accessibility` (accessibility/outputs/maps.py writes the page).
 *
 * Everything the page shows comes from one JSON document (<script type="application/json"
 * id="map-config">) and is put into the page as text (textContent, DOM nodes), never as
 * HTML: names from OpenStreetMap, surveys and registries cannot run, whatever they hold.
 * The base map is a PMTiles archive (base64 in window.ACCESSIBILITY_BASEMAP, inline or
 * from a file beside the page) drawn by protomaps-leaflet; nothing is fetched from a server
 * unless the page was made with an online tile layer (--tiles URL). The map itself, its
 * first view and an online tile layer are made by folium's script, which runs before this.
 */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("map-config").textContent);

  // --- text, never markup ---------------------------------------------------------------
  function textBlock(lines) {
    var box = document.createElement("div");
    box.className = "map-text";
    (lines || []).forEach(function (line, i) {
      var part = document.createElement(i === 0 ? "strong" : "span");
      part.textContent = String(line);
      box.appendChild(part);
      if (i < lines.length - 1) box.appendChild(document.createElement("br"));
    });
    return box;
  }
  function escapeHtml(text) {
    // Leaflet's attribution control takes HTML: our text goes in escaped.
    var span = document.createElement("span");
    span.textContent = String(text);
    return span.innerHTML;
  }

  // folium's script has made the map (outputs/maps.py): its name is in the page's data
  var map = window[config.map];
  map.attributionControl.setPrefix(false);
  map.attributionControl.addAttribution(escapeHtml(config.attribution));

  // --- the base map -----------------------------------------------------------------------
  var basemapLayer = null;
  var ready = new Promise(function (resolve) {
    if (config.basemap && window.ACCESSIBILITY_BASEMAP && window.accessibilityBasemap) {
      var B = window.accessibilityBasemap;
      basemapLayer = B.layer(B.inMemory(window.ACCESSIBILITY_BASEMAP), config.basemap.maxzoom, config.lang);
      basemapLayer.once("load", function () {
        resolve(true);
      });
      basemapLayer.addTo(map);
      // a base map with nothing in view fires no load: do not wait for it forever
      setTimeout(function () {
        resolve(false);
      }, 15000);
    } else {
      setTimeout(function () {
        resolve(false);
      }, 0);
    }
  });

  if (config.network) {
    L.geoJSON(config.network, {
      interactive: false,
      className: "network",
      style: function () {
        return { color: "#9E9E9E", weight: 1, opacity: 0.8 };
      },
    }).addTo(map);
  }

  // --- what the map is about --------------------------------------------------------------
  function bindText(layer, feature) {
    if (feature.tooltip || feature.text) {
      layer.bindTooltip(
        function () {
          return textBlock(feature.tooltip || feature.text);
        },
        { direction: "auto", sticky: !feature.at, className: "map-tooltip" }
      );
    }
    if (feature.text) {
      layer.bindPopup(
        function () {
          return textBlock(feature.text);
        },
        { maxWidth: Math.min(320, window.innerWidth - 64), autoPanPadding: [24, 24], className: "map-popup" }
      );
    }
  }
  function numberedIcon(feature, style) {
    var badge = document.createElement("span");
    badge.className = "plan-number " + (style.className || "");
    badge.textContent = String(feature.label);
    return L.divIcon({ html: badge, className: "plan-icon", iconSize: [30, 30], iconAnchor: [15, 15] });
  }
  function clusterGroup(layer) {
    return L.markerClusterGroup({
      showCoverageOnHover: false,
      maxClusterRadius: 36,
      disableClusteringAtZoom: 18,
      spiderfyOnMaxZoom: true,
      iconCreateFunction: function (cluster) {
        var children = cluster.getAllChildMarkers();
        var first = Infinity;
        children.forEach(function (m) {
          first = Math.min(first, m.options.rank || Infinity);
        });
        var badge = document.createElement("span");
        badge.className = "plan-cluster";
        badge.textContent = first + "+";
        var title = (layer.clusterTitle || "{count}")
          .replace("{count}", String(children.length))
          .replace("{first}", String(first));
        badge.title = title;
        return L.divIcon({ html: badge, className: "plan-icon", iconSize: [40, 30], iconAnchor: [20, 15] });
      },
    });
  }
  function buildLayer(layer) {
    var group = L.featureGroup();
    var style = layer.style || {};
    var clustered = null;
    if (layer.type === "lines") {
      layer.features.forEach(function (f) {
        var line = L.polyline(f.coords, {
          color: style.color,
          weight: style.weight || 4,
          opacity: style.opacity || 0.9,
          dashArray: style.dash || null,
          className: style.className || "",
        });
        bindText(line, f);
        group.addLayer(line);
      });
    } else if (layer.type === "points") {
      var renderer = layer.canvas ? L.canvas({ padding: 0.5 }) : undefined;
      layer.features.forEach(function (f) {
        var dot = L.circleMarker(f.at, {
          renderer: renderer,
          radius: style.radius || 6,
          color: style.color,
          weight: style.weight || 2,
          fillColor: style.fill || style.color,
          fillOpacity: style.fillOpacity === undefined ? 0.85 : style.fillOpacity,
          className: style.className || "",
        });
        bindText(dot, f);
        group.addLayer(dot);
      });
    } else if (layer.type === "areas") {
      var areas = L.geoJSON(
        { type: "FeatureCollection", features: layer.features },
        {
          style: function (f) {
            return {
              fillColor: f.properties.fill,
              color: "#555555",
              weight: 0.5,
              fillOpacity: 0.6,
              className: style.className || "",
            };
          },
          onEachFeature: function (f, l) {
            bindText(l, { text: f.properties.text });
          },
        }
      );
      group.addLayer(areas);
    } else if (layer.type === "numbers") {
      var total = layer.features.length;
      layer.features.forEach(function (f, i) {
        var marker = L.marker(f.at, {
          icon: numberedIcon(f, f.funded ? style.funded || {} : style.next || {}),
          keyboard: true,
          title: f.title,
          alt: f.title,
          rank: f.rank,
          riseOnHover: true,
          // the first in the ranking on top of the others, whatever their latitude
          zIndexOffset: (total - i) * 10000,
        });
        bindText(marker, f);
        marker.on("add", function () {
          // the marker's name for screen readers: its rank and what it is, not the number alone
          var element = marker.getElement();
          if (element) element.setAttribute("aria-label", f.title);
        });
        if (f.cluster) {
          clustered = clustered || clusterGroup(layer);
          clustered.addLayer(marker);
        } else {
          group.addLayer(marker);
        }
      });
      if (clustered) group.addLayer(clustered);
    }
    return group;
  }

  // Lines, dots and areas are reached by pointer; keyboard and screen-reader users get the
  // same text in the list beside the map, so the Tab key does not stop on hundreds of shapes.
  map.on("layeradd", function (event) {
    var element = event.layer.getElement && event.layer.getElement();
    if (element && element.tagName.toLowerCase() === "path") element.setAttribute("tabindex", "-1");
  });

  var built = {};
  config.layers.forEach(function (layer) {
    built[layer.id] = buildLayer(layer);
    if (!layer.group || layer.shown) built[layer.id].addTo(map);
  });
  L.control.scale({ imperial: false }).addTo(map);

  // the category switch of the score maps: plain radio buttons beside the map
  Array.prototype.forEach.call(document.querySelectorAll("input[data-layer]"), function (input) {
    input.addEventListener("change", function () {
      config.layers.forEach(function (layer) {
        if (layer.group !== input.name) return;
        if (layer.id === input.getAttribute("data-layer")) built[layer.id].addTo(map);
        else map.removeLayer(built[layer.id]);
      });
    });
  });

  // --- what is drawn, for tests and the benchmark ---------------------------------------------
  function labelsInView() {
    if (!basemapLayer || !basemapLayer.labelers || !basemapLayer.labelers.labelers) return [];
    var z = Math.round(map.getZoom());
    var labeler = basemapLayer.labelers.labelers.get(z);
    if (!labeler) return [];
    var view = map.getBounds();
    var nw = map.project(view.getNorthWest(), z);
    var se = map.project(view.getSouthEast(), z);
    var found = labeler.index.tree.search({ minX: nw.x, minY: nw.y, maxX: se.x, maxY: se.y });
    var names = {};
    found.forEach(function (item) {
      var key = item.indexedLabel && item.indexedLabel.deduplicationKey;
      if (key) names[key] = true;
    });
    return Object.keys(names);
  }
  function idle() {
    return new Promise(function (resolve) {
      if (!basemapLayer || !basemapLayer.isLoading()) {
        setTimeout(resolve, 0);
        return;
      }
      basemapLayer.once("load", function () {
        resolve();
      });
    });
  }
  window.accessibilityMap = { map: map, ready: ready, labelsInView: labelsInView, idle: idle, layers: built };
})();
