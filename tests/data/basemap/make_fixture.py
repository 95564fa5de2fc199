"""Write basemap.osm: one of each thing the base map keeps, in Cremona (run: python make_fixture.py).

A named street with a house on it, a park with a pond in it (a multipolygon with a hole),
a river, a railway, a pharmacy, a footway sidewalk and a way the base map leaves out (a
power line). Coordinates are on a grid ~8 m apart near Piazza del Comune.
"""

from pathlib import Path
from xml.sax.saxutils import quoteattr

HERE = Path(__file__).parent


def pos(i: int) -> tuple[float, float]:
    return 10.02 + (i % 100) * 0.0001, 45.13 + (i // 100) * 0.0001


NODES: dict[int, dict[str, str]] = {
    500: {"amenity": "pharmacy", "name": "Farmacia Centrale"},
    501: {"addr:housenumber": "12", "addr:street": "Via Platina"},
}
WAYS: list[tuple[int, list[int], dict[str, str]]] = [
    (1, [0, 1, 2, 3, 4, 5], {"highway": "residential", "name": "Via Platina"}),
    (2, [200, 201, 202, 203], {"highway": "primary", "name": "Corso Garibaldi"}),
    (3, [300, 301, 302], {"highway": "footway", "footway": "sidewalk"}),
    (4, [400, 410, 420], {"railway": "rail"}),
    (5, [600, 610, 620], {"waterway": "river", "name": "Po"}),
    (6, [700, 702, 902, 900, 700], {"building": "yes", "addr:housenumber": "3", "name": "Palazzo Comunale"}),
    (7, [1000, 1040, 5040, 5000, 1000], {}),  # the park's outer ring (tags on the relation)
    (8, [2010, 2020, 3020, 3010, 2010], {}),  # the pond: the park's hole
    (9, [1600, 1610], {"power": "line"}),
]
RELATIONS = [(20, [(7, "outer"), (8, "inner")], {"type": "multipolygon", "leisure": "park", "name": "Parco del Po"})]


def main() -> None:
    ids = sorted({n for _, refs, _ in WAYS for n in refs} | set(NODES))
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="make_fixture.py">']
    for nid in ids:
        lon, lat = pos(nid)
        tags = NODES.get(nid, {})
        lines.append(f'  <node id="{nid}" lat="{lat:.7f}" lon="{lon:.7f}"' + (">" if tags else "/>"))
        if tags:
            lines += [f"    <tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items()]
            lines.append("  </node>")
    for wid, refs, tags in WAYS:
        lines.append(f'  <way id="{wid}">')
        lines += [f'    <nd ref="{r}"/>' for r in refs]
        lines += [f"    <tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items()]
        lines.append("  </way>")
    for rid, members, tags in RELATIONS:
        lines.append(f'  <relation id="{rid}">')
        lines += [f'    <member type="way" ref="{ref}" role="{role}"/>' for ref, role in members]
        lines += [f"    <tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items()]
        lines.append("  </relation>")
    lines.append("</osm>")
    (HERE / "basemap.osm").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
