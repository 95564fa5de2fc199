"""Write tiny_pool.osm: a tiny city with a swimming pool (run: python make_city.py).

A street going north, in metres from node 1 (1000 residents along the residential
length when the test asks for them)::

    31 (-10) -- 1 (0) --res-- 2 (300) --res-- 3 (600) ==steps== 4 (630) --res-- 5 (930)

- The pool ("Piscina Comunale", a closed way 20 m wide just south of node 1) has its
  main entrance at node 31, joined to node 1 by a 10 m footway: no step, a 90 cm
  automatic door. It has an accessible toilet, shower and pool hoist, one level, and
  its changing room is tagged NOT accessible (``changing_room:wheelchair=no``).
- A car park with two disabled spaces lies 30 m west of the entrance.
- The library at node 2 is accessible with a wheelchair, with an accessible toilet.

A wheelchair user living at nodes 1-3 reaches the pool (and the library); at nodes 4-5,
behind the steps, does not. Coordinates are near Piazza del Comune, Cremona.
"""

from __future__ import annotations

import math
from pathlib import Path
from xml.sax.saxutils import quoteattr

HERE = Path(__file__).parent
M_PER_DEG_LAT = 111_135.5  # at 45.13 N
LON0, LAT0 = 10.02, 45.13


def at(east_m: float, north_m: float) -> tuple[float, float]:
    """(lon, lat) of a point ``east_m``, ``north_m`` metres from node 1."""
    dlon = 1 / (M_PER_DEG_LAT * math.cos(math.radians(LAT0)))
    return LON0 + east_m * dlon, LAT0 + north_m / M_PER_DEG_LAT


COORDS = {
    1: at(0, 0),
    2: at(0, 300),
    3: at(0, 600),
    4: at(0, 630),
    5: at(0, 930),
    31: at(0, -10),
    32: at(10, -10),
    33: at(10, -30),
    34: at(-10, -30),
    35: at(-10, -10),
    40: at(-30, -10),
}
NODES: dict[int, dict[str, str]] = {
    31: {"entrance": "main", "wheelchair": "yes", "door:width": "0.9", "automatic_door": "yes"},
    2: {"amenity": "library", "name": "Biblioteca", "wheelchair": "yes", "toilets:wheelchair": "yes"},
    40: {"amenity": "parking", "capacity:disabled": "2"},
}
WAYS: list[tuple[int, list[int], dict[str, str]]] = [
    (10, [1, 2], {"highway": "residential"}),
    (11, [2, 3], {"highway": "residential"}),
    (12, [3, 4], {"highway": "steps", "step_count": "12"}),
    (13, [4, 5], {"highway": "residential"}),
    (14, [31, 1], {"highway": "footway"}),
    (
        20,
        [31, 32, 33, 34, 35, 31],
        {
            "leisure": "swimming_pool",
            "name": "Piscina Comunale",
            "building:levels": "1",
            "toilets:wheelchair": "yes",
            "changing_room:wheelchair": "no",
            "shower:wheelchair": "yes",
            "swimming_pool:hoist": "yes",
        },
    ),
]


def main() -> None:
    ids = sorted({n for _, refs, _ in WAYS for n in refs} | set(NODES))
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="make_city.py">']
    for nid in ids:
        lon, lat = COORDS[nid]
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
    lines.append("</osm>")
    (HERE / "tiny_pool.osm").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
