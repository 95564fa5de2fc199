/* The base map of `accessibility`: the workspace's PMTiles archive of vector tiles
 * (accessibility/outputs/basemap.py writes it) drawn by protomaps-leaflet with street names
 * along the streets. Shared by the offline map pages (outputs/maps.py, the archive inline)
 * and the citizen's web page (web/, the archive fetched by byte ranges from the server).
 *
 *   var B = window.accessibilityBasemap;
 *   B.layer(B.inMemory(base64) or B.fromUrl("/basemap.pmtiles"), maxzoom, lang).addTo(map);
 *
 * Needs pmtiles and protomaps-leaflet loaded before it.
 */
(function () {
  "use strict";

  var P = window.protomapsL;

  function decode(base64) {
    var raw = atob(base64);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }
  function memorySource(bytes) {
    return {
      getKey: function () {
        return "basemap";
      },
      getBytes: function (offset, length) {
        return Promise.resolve({ data: bytes.slice(offset, offset + length).buffer });
      },
    };
  }
  function width(stops) {
    return P.linear(stops);
  }
  var INK = "#2b2b2b";
  var HALO = "#ffffff";
  function streetRule(kind, minzoom, colour, stops) {
    return {
      dataLayer: "street",
      minzoom: minzoom,
      filter: function (z, f) {
        return f.props.kind === kind;
      },
      symbolizer: new P.LineSymbolizer({ color: colour, width: width(stops), lineCap: "round", lineJoin: "round" }),
    };
  }
  function basemapRules() {
    var paint = [
      { dataLayer: "green", symbolizer: new P.PolygonSymbolizer({ fill: "#d3e9c6" }) },
      { dataLayer: "water", symbolizer: new P.PolygonSymbolizer({ fill: "#aad3f2" }) },
      {
        dataLayer: "square",
        symbolizer: new P.PolygonSymbolizer({ fill: "#ece8e1", stroke: "#d6cfc4", width: 0.5 }),
      },
      {
        dataLayer: "waterway",
        symbolizer: new P.LineSymbolizer({
          color: "#7ab7e6",
          width: function (z, f) {
            return f && f.props.kind === "river" ? Math.max(1.5, z - 11) : 1.2;
          },
        }),
      },
      {
        dataLayer: "building",
        minzoom: 14,
        symbolizer: new P.PolygonSymbolizer({ fill: "#ddd5cd", stroke: "#c3b7ab", width: 0.6 }),
      },
      // casings, then fills: white streets with a grey edge, as on paper maps
      streetRule("major", 11, "#b9ae9f", [[11, 2.5], [14, 6], [16, 12], [18, 24]]),
      streetRule("medium", 12, "#b9ae9f", [[12, 2], [14, 5], [16, 10], [18, 20]]),
      streetRule("minor", 13, "#c8beb1", [[13, 1.5], [15, 4.5], [16, 8], [18, 16]]),
      streetRule("service", 15, "#cfc6ba", [[15, 2], [16, 4], [18, 8]]),
      streetRule("major", 11, "#fff3c4", [[11, 1.5], [14, 4.5], [16, 10], [18, 21]]),
      streetRule("medium", 12, "#ffffff", [[12, 1.2], [14, 3.8], [16, 8.5], [18, 17.5]]),
      streetRule("minor", 13, "#ffffff", [[13, 0.8], [15, 3.5], [16, 6.5], [18, 13.5]]),
      streetRule("service", 15, "#ffffff", [[15, 1], [16, 2.8], [18, 6]]),
      streetRule("sidewalk", 13, "#a79d92", [[13, 0.4], [14, 0.6], [16, 1.4], [18, 2.5]]),
      streetRule("path", 13, "#9c8f84", [[13, 0.4], [14, 0.6], [16, 1.2], [18, 2.2]]),
      {
        dataLayer: "railway",
        symbolizer: new P.LineSymbolizer({ color: "#8c8c8c", width: width([[11, 1], [16, 2.5]]) }),
      },
      {
        dataLayer: "railway",
        minzoom: 14,
        symbolizer: new P.LineSymbolizer({ dash: [5, 5], dashColor: "#ffffff", dashWidth: 1.2 }),
      },
      {
        dataLayer: "facility",
        minzoom: 14,
        symbolizer: new P.CircleSymbolizer({ radius: 3, fill: "#00795a", stroke: "#ffffff", width: 1 }),
      },
    ];
    var font = function (size, weight) {
      return function (z) {
        var px = size + Math.max(0, Math.min(4, z - 16));
        return (weight || "") + " " + px + "px 'DejaVu Sans', 'Liberation Sans', Arial, sans-serif";
      };
    };
    var streetNames = function (kinds, minzoom, size) {
      return {
        id: "street-names",
        dataLayer: "street",
        minzoom: minzoom,
        filter: function (z, f) {
          return kinds.indexOf(f.props.kind) >= 0;
        },
        symbolizer: new P.LineLabelSymbolizer({
          labelProps: ["name"],
          font: font(size, "600"),
          fill: INK,
          stroke: HALO,
          width: 3,
          position: P.LineLabelPlacement ? P.LineLabelPlacement.Center : undefined,
          maxLabelChars: 60,
          repeatDistance: 400,
        }),
      };
    };
    var labels = [
      streetNames(["major", "medium"], 13, 12),
      streetNames(["minor"], 15, 12),
      streetNames(["service", "sidewalk", "path"], 16, 11),
      {
        dataLayer: "facility",
        minzoom: 18,
        symbolizer: new P.OffsetTextSymbolizer({
          labelProps: ["name"],
          font: font(11, "600"),
          fill: "#00603f",
          stroke: HALO,
          width: 2,
          offsetX: 5,
          offsetY: 5,
        }),
      },
      {
        dataLayer: "place",
        minzoom: 15,
        filter: function (z, f) {
          return z >= 18 || /place_of_worship|townhall|hospital|station|museum|park|square|university|stadium/.test(f.props.kind || "");
        },
        symbolizer: new P.CenteredTextSymbolizer({
          labelProps: ["name"],
          font: font(11, "italic"),
          fill: "#5b4636",
          stroke: HALO,
          width: 2,
          maxLineChars: 18,
        }),
      },
      {
        dataLayer: "address",
        minzoom: 17,
        symbolizer: new P.CenteredTextSymbolizer({
          labelProps: ["housenumber"],
          font: font(10, ""),
          fill: "#6b5e53",
          stroke: HALO,
          width: 1.5,
        }),
      },
    ];
    return { paint: paint, labels: labels };
  }

  /** A Leaflet layer drawing ``archive`` (a pmtiles.PMTiles) with the base map's style. */
  function layer(archive, maxzoom, lang) {
    var rules = basemapRules();
    return P.leafletLayer({
      url: archive,
      maxDataZoom: maxzoom,
      paintRules: rules.paint,
      labelRules: rules.labels,
      backgroundColor: "#f4f2ee",
      attribution: "",
      lang: lang,
    });
  }

  window.accessibilityBasemap = {
    layer: layer,
    /** The archive from base64 text inside the page (no request). */
    inMemory: function (base64) {
      return new window.pmtiles.PMTiles(memorySource(decode(base64)));
    },
    /** The archive from a server answering HTTP range requests. */
    fromUrl: function (url) {
      return new window.pmtiles.PMTiles(url);
    },
  };
})();
