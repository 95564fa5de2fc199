"""Places by the names people use: streets, cross streets, facilities, squares, areas (pure).

A barrier, an intervention or an unreachable facility is found on the street by its
name, never by an OpenStreetMap id (ids stay in the tables as a reference). For a point
or a line in the graph's CRS, :func:`places` gives a :class:`Place`:

- ``street``: the name of its own way (a barrier on a named way; a node where named ways
  meet gives them all, ``Via A / Via B``), else the nearest named street within
  ``settings.place_search_m``: a crossing or a sidewalk mapped as its own unnamed way
  belongs to the street beside it;
- ``near``: the nearest other named street (a cross street) within the same distance,
  to say where along a long street: "Via Platina, presso Via Palestro";
- ``within``: the facility (by name, else its kind) whose outline holds it, or a named
  square or pedestrian area it lies on.

Streets come from the names of the network's edges and are searched through the one
spatial index of the graph (:func:`accessibility.model.snapping.network_index`).
:func:`area_names` names the cells of the audit's hexagon grid after their main streets
(the named streets with most length inside), when the city gives no neighbourhoods.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from accessibility import settings
from accessibility.i18n import _
from accessibility.model.snapping import network_index
from accessibility.sources.osm import OsmData

__all__ = [
    "PLACE_COLUMNS",
    "Place",
    "area_names",
    "describe",
    "edge_names",
    "place_label",
    "place_name_of",
    "places",
    "street_names_within",
]

#: The columns :func:`describe` adds to a table: the street, the cross street, the
#: facility or square.
PLACE_COLUMNS = ("street", "near", "within")

#: OSM ``highway`` values of squares and pedestrian areas: their name is where a thing is.
_SQUARES = frozenset({"pedestrian"})


@dataclass(frozen=True)
class Place:
    """Where something is, by name (empty strings when nothing named is near)."""

    street: str = ""
    near: str = ""
    within: str = ""

    @property
    def named(self) -> bool:
        """Whether people can find it by a name."""
        return bool(self.street or self.within)

    def label(self) -> str:
        """The place in words, in the language in use: ``Via Platina, presso Via
        Palestro``, ``Scuola Manzoni (Via Dante)``; empty when nothing is named.

        >>> from accessibility.i18n import use_language
        >>> with use_language("it"):
        ...     Place("Via Platina", "Via Palestro").label(), Place("Via Po", "", "Scuola Ala").label()
        ('Via Platina, presso Via Palestro', 'Scuola Ala (Via Po)')
        """
        text = self.street
        if self.street and self.near:
            text = _("{street}, near {cross}").format(street=self.street, cross=self.near)
        if self.within and text and self.within != self.street:
            return _("{place} ({street})").format(place=self.within, street=text)
        return self.within or text


def edge_names(G: nx.MultiDiGraph) -> list[str]:
    """The name of each physical edge of ``network_index(G)`` (empty when unnamed)."""
    index = network_index(G)
    return [_name(G.edges[key].get("name")) for key in index.edge_keys]


def _name(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, list | tuple):
        return " / ".join(dict.fromkeys(str(v) for v in value if v))
    return str(value).strip()


def places(
    G: nx.MultiDiGraph,
    geometries: Sequence[BaseGeometry] | gpd.GeoSeries,
    streets: Iterable[object] | None = None,
    facilities: gpd.GeoDataFrame | None = None,
    radius_m: float | None = None,
) -> list[Place]:
    """The :class:`Place` of each geometry (graph CRS).

    Parameters
    ----------
    G
        The network; its named edges are the streets.
    geometries
        Points or lines in ``G``'s CRS (barriers, interventions, facilities).
    streets
        The street each geometry is already known to be on (a barrier's own way), or
        empty; the nearest named street is used where it is empty.
    facilities
        The facilities table (graph CRS): a geometry inside one's outline (or on its
        point, within a few metres) is ``within`` it.
    radius_m
        How far to look for a named street (default ``settings.place_search_m``).

    Returns
    -------
    list of Place
        One per geometry, in order.
    """
    geoms = np.asarray(list(geometries), dtype=object)
    n = len(geoms)
    own = [_name(s) for s in streets] if streets is not None else [""] * n
    if len(own) != n:
        raise ValueError("one street (or empty) per geometry")
    radius = settings.place_search_m if radius_m is None else radius_m
    index = network_index(G)
    names = np.asarray(edge_names(G), dtype=object)
    street = list(own)
    near = [""] * n
    square = [""] * n
    ok = np.array([g is not None and not g.is_empty for g in geoms], dtype=bool)
    if index.edge_tree is not None and ok.any():
        which = np.flatnonzero(ok)
        found, hit = index.edge_tree.query(geoms[which], predicate="dwithin", distance=radius)
        named = names[hit] != ""
        found, hit = found[named], hit[named]
        dist = shapely.distance(geoms[which][found], index.geoms[hit])
        order = np.lexsort((hit, dist, found))
        highways = _edge_highways(G, index.edge_keys)
        seen: dict[int, list[str]] = defaultdict(list)
        for j in order:
            i = int(which[found[j]])
            name = str(names[hit[j]])
            if name not in seen[i]:
                seen[i].append(name)
            if not square[i] and highways[hit[j]] in _SQUARES and dist[j] <= 1.0:
                square[i] = name
        for i, candidates in seen.items():
            if not street[i]:
                street[i] = candidates[0]
            mine = set(street[i].split(" / "))
            near[i] = next((c for c in candidates if c not in mine and not set(c.split(" / ")) & mine), "")
    within = _within_facilities(geoms, facilities) if facilities is not None and len(facilities) else [""] * n
    return [
        Place(street[i], near[i], within[i] or (square[i] if square[i] not in street[i].split(" / ") else ""))
        for i in range(n)
    ]


def describe(
    G: nx.MultiDiGraph,
    table: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame | None = None,
    street_column: str = "street",
) -> pd.DataFrame:
    """:data:`PLACE_COLUMNS` for each row of ``table`` (graph CRS), index aligned: the
    row's own ``street_column`` where it has one, else the nearest named street."""
    own = table[street_column] if street_column in table else None
    found = places(G, table.geometry, own, facilities)
    return pd.DataFrame(
        {
            "street": [p.street for p in found],
            "near": [p.near for p in found],
            "within": [p.within for p in found],
        },
        index=table.index,
    )


def place_label(street: object = "", near: object = "", within: object = "") -> str:
    """:meth:`Place.label` of the three columns of a row (missing values read as empty)."""
    return Place(_name(street), _name(near), _name(within)).label()


def _edge_highways(G: nx.MultiDiGraph, keys: list[tuple[int, int, int]]) -> list[str]:
    return [str(G.edges[k].get("highway", "")) for k in keys]


def _within_facilities(geoms: np.ndarray, facilities: gpd.GeoDataFrame) -> list[str]:
    """The name (else the kind) of the facility whose outline holds each geometry."""
    from accessibility.model.facilities import categories

    outlines = facilities[facilities["outline"].astype(str).str.startswith(("POLYGON", "MULTIPOLYGON"))]
    out = [""] * len(geoms)
    if len(outlines) == 0:
        return out
    shapes = gpd.GeoSeries.from_wkt(outlines["outline"].tolist(), crs="EPSG:4326").to_crs(facilities.crs)
    cats = categories()
    labels = [
        name if name else (_(cats[c].label) if c in cats else c)
        for name, c in zip(outlines["name"].astype(str), outlines["category"])
    ]
    tree = shapely.STRtree(shapes.to_numpy())
    valid = np.array([g is not None and not g.is_empty for g in geoms], dtype=bool)
    which = np.flatnonzero(valid)
    if len(which) == 0:
        return out
    pts = shapely.point_on_surface(geoms[which])
    found, hit = tree.query(pts, predicate="within")
    for f, h in zip(found, hit):
        i = int(which[f])
        if not out[i]:
            out[i] = labels[int(h)]
    return out


def street_names_within(G: nx.MultiDiGraph, areas: gpd.GeoDataFrame, top: int = 2) -> pd.Series:
    """The ``top`` named streets with most length in each area (``area_id`` index),
    joined with `` – ``; empty where no named street runs."""
    index = network_index(G)
    names = np.asarray(edge_names(G), dtype=object)
    if index.edge_tree is None or len(areas) == 0:
        return pd.Series("", index=areas["area_id"], dtype=object)
    named = np.flatnonzero(names != "")
    mids = shapely.line_interpolate_point(index.geoms[named], 0.5, normalized=True)
    lengths = shapely.length(index.geoms[named])
    tree = shapely.STRtree(areas.geometry.to_numpy())
    found, hit = tree.query(mids, predicate="within")
    frame = pd.DataFrame(
        {"area": areas["area_id"].to_numpy()[hit], "name": names[named][found], "length": lengths[found]}
    )
    best = (
        frame.groupby(["area", "name"])["length"]
        .sum()
        .reset_index()
        .sort_values(["area", "length", "name"], ascending=[True, False, True])
        .groupby("area")["name"]
        .apply(lambda s: " – ".join(s.head(top)))
    )
    return best.reindex(areas["area_id"]).fillna("")


def area_names(G: nx.MultiDiGraph, areas: gpd.GeoDataFrame) -> pd.Series:
    """A name people use for each area (``area_id`` index): its own ``name`` when it is not
    just its id (the city's neighbourhoods), else its main streets, else its id."""
    own = areas.set_index("area_id")["name"].astype(str) if "name" in areas else pd.Series(dtype=str)
    own = own.reindex(areas["area_id"]).fillna("")
    streets = street_names_within(G, areas)
    out = []
    for area_id, mine, main in zip(areas["area_id"], own, streets):
        if mine and mine != area_id:
            out.append(mine)
        else:
            out.append(main or str(area_id))
    return pd.Series(out, index=areas["area_id"], dtype=object)


#: ``place=*`` values that name a whole town, most important first.
_TOWN_PLACES = ("city", "town", "municipality", "village")


def place_name_of(osm: OsmData) -> str | None:
    """The name of the place OpenStreetMap data covers, for a workspace built from files
    without a name: the dominant ``addr:city`` of its addresses, else of its ``is_in``
    tags, else the most important ``place=city|town|village`` node it holds; ``None``
    when the data says nothing.

    >>> from accessibility.sources.osm import OsmNode
    >>> data = OsmData(nodes={1: OsmNode(10.0, 45.1, {"addr:city": "Cremona"}), 2: OsmNode(10.0, 45.1, {})})
    >>> place_name_of(data)
    'Cremona'
    """
    cities: Counter[str] = Counter()
    within: Counter[str] = Counter()
    towns: list[tuple[int, float, str]] = []
    elements = [n.tags for n in osm.nodes.values() if n.tags] + [w.tags for w in osm.ways.values() if w.tags]
    for tags in elements:
        if tags.get("addr:city"):
            cities[tags["addr:city"].strip()] += 1
        if tags.get("is_in"):
            within[tags["is_in"].split(",")[0].strip()] += 1
        if tags.get("place") in _TOWN_PLACES and tags.get("name"):
            population = _population(tags.get("population"))
            towns.append((_TOWN_PLACES.index(tags["place"]), -population, tags["name"]))
    for counter in (cities, within):
        if counter:
            return counter.most_common(1)[0][0]
    return min(towns)[2] if towns else None


def _population(value: str | None) -> float:
    """A population tag as a number (0 when missing or unreadable)."""
    try:
        return float(str(value).replace(" ", "").replace(",", "")) if value else 0.0
    except ValueError:
        return 0.0
