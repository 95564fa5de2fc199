"""Facilities people go to (pool, pharmacy, town hall ...) found in OSM data (pure).

Categories and their tag matches come from ``data/facilities.toml``. One row per
(OSM element, category): a node is its own point; a way (a building, a pitch) is placed
at its Overpass ``center`` or, failing that, at the mean of its nodes. Entrances are the
way's own nodes tagged ``entrance=*``: routes go to the nearest entrance when there is
one, since the middle of a building is not where anyone arrives. A closed way (a
building, a sports ground) keeps its outline, so that without mapped entrances a route
can still arrive at the nearest edge of the area rather than at its middle.

Each facility also keeps what its sheet reads (:mod:`accessibility.model.sheets`), as
JSON: its own relevant tags (``osm_tags``), its entrances' tags (``entrance_tags``) and
the nearby elements that say something about it (``nearby``): disabled parking within
``settings.facility_parking_radius_m`` (``amenity=parking`` with ``capacity:disabled``,
``parking_space=disabled``), and inside its outline the toilets (``amenity=toilets``
with ``wheelchair``) and lifts (``highway=elevator``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely import Point, Polygon

from accessibility import settings
from accessibility.constants import FACILITY_COLUMNS, WGS84
from accessibility.errors import FacilityError
from accessibility.i18n import _
from accessibility.model.sheets import relevant_keys
from accessibility.sources.catalogues import shipped_toml
from accessibility.sources.osm import OsmData

COLUMNS = FACILITY_COLUMNS
#: Text columns that may be empty (a workspace saved before a column existed lacks it).
TEXT_COLUMNS = ("name", "wheelchair", "entrances", "tags", "outline", "source", "osm_tags", "entrance_tags", "nearby")


@dataclass(frozen=True)
class Category:
    """One facility category: its labels and the OSM tag values that belong to it."""

    name: str
    label: str  #: in English, the catalogue's message: shown as ``_(category.label)``
    match: dict[str, tuple[str, ...]]

    def matches(self, tags: dict[str, str]) -> bool:
        return any(tags.get(key) in values for key, values in self.match.items())


@cache
def categories() -> dict[str, Category]:
    """The categories of ``data/facilities.toml``, by name."""
    raw = shipped_toml("facilities.toml")
    return {name: Category(name, t["label"], {k: tuple(v) for k, v in t["match"].items()}) for name, t in raw.items()}


def category(name: str) -> Category:
    """One category by name; the error lists those there are."""
    cats = categories()
    if name not in cats:
        raise FacilityError(
            _("unknown facility category {name}; choose one of: {choices}").format(
                name=repr(name), choices=", ".join(cats)
            )
        )
    return cats[name]


@dataclass(frozen=True)
class Destination:
    """What people ask "the nearest ..." of: a facility category, or the part of one whose
    matched OSM tags are in ``match`` (a swimming pool among the sports facilities)."""

    name: str
    label: str  #: in English, the catalogue's message: shown as ``_(destination.label)``
    category: str
    match: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def select(self, facilities: pd.DataFrame) -> pd.DataFrame:
        """The rows of a facilities table that are this destination."""
        if len(facilities) == 0:
            return facilities
        rows = facilities[facilities["category"] == self.category]
        if not self.match or len(rows) == 0:
            return rows
        wanted = {f"{k}={v}" for k, values in self.match.items() for v in values}
        keep = rows["tags"].map(lambda t: bool(wanted & set(str(t).split(";"))))
        return rows[keep.to_numpy(dtype=bool)]


@cache
def destinations() -> dict[str, Destination]:
    """The destinations of ``data/destinations.toml``, in the order people are offered
    them (sports first, then services)."""
    raw = shipped_toml("destinations.toml")
    out = {}
    for name, t in raw.items():
        category(t["category"])  # a clear error for a catalogue naming an unknown category
        out[name] = Destination(name, t["label"], t["category"], {k: tuple(v) for k, v in t.get("match", {}).items()})
    return out


def destination(name: str) -> Destination:
    """A destination by name, or a whole facility category by its name.

    Raises
    ------
    FacilityError
        Neither a destination nor a category; the message lists them.
    """
    dests = destinations()
    if name in dests:
        return dests[name]
    cats = categories()
    if name in cats:
        return Destination(name, cats[name].label, name)
    from accessibility.i18n import _

    choices = ", ".join(dict.fromkeys([*dests, *cats]))
    raise FacilityError(
        _("unknown facility category {name}; choose one of: {choices}").format(name=repr(name), choices=choices)
    )


def find_facilities(osm: OsmData, crs: str) -> gpd.GeoDataFrame:
    """Every facility of every category in ``osm``, as points in ``crs``.

    Columns: ``category, name, wheelchair`` (the facility's own tag, or empty),
    ``osm_type, osm_id``, ``tags`` (the tags that matched), ``entrances`` (WGS84
    ``"lon lat"`` pairs, with the entrance's own ``wheelchair`` value when tagged, joined by
    ``;``; empty when none is mapped), ``outline`` (WGS84
    WKT polygon of a closed way, else empty), ``source`` (``osm``), ``osm_tags``,
    ``entrance_tags`` and ``nearby`` (JSON, for the facility sheet: see the module
    docstring), ``geometry``.
    """
    cats = list(categories().values())
    rows: list[dict] = []
    for nid, node in osm.nodes.items():
        if not node.tags or node.lon is None:
            continue
        for cat in cats:
            if cat.matches(node.tags):
                rows.append(_row(cat, node.tags, "node", nid, Point(node.lon, node.lat), [], ""))
    for wid, way in osm.ways.items():
        if not way.tags:
            continue
        hits = [cat for cat in cats if cat.matches(way.tags)]
        if not hits:
            continue
        located = [osm.nodes[r] for r in way.refs if r in osm.nodes and osm.nodes[r].lon is not None]
        if way.center is not None and way.center[0] is not None:
            point = Point(way.center)
        elif located:
            point = Point(
                sum(float(n.lon or 0) for n in located) / len(located),
                sum(float(n.lat or 0) for n in located) / len(located),
            )
        else:
            continue  # nowhere to put it
        doors = [
            (r, osm.nodes[r])
            for r in dict.fromkeys(way.refs)
            if r in osm.nodes and osm.nodes[r].lon is not None and "entrance" in osm.nodes[r].tags
        ]
        outline = ""
        if len(way.refs) >= 4 and way.refs[0] == way.refs[-1] and len(located) == len(way.refs):
            outline = Polygon([(n.lon, n.lat) for n in located]).wkt
        for cat in hits:
            rows.append(_row(cat, way.tags, "way", wid, point, doors, outline))
    frame = gpd.GeoDataFrame(rows, columns=COLUMNS + ["geometry"], geometry="geometry", crs=WGS84)
    frame["nearby"] = _nearby(osm, frame)
    return frame.astype({"osm_id": "int64"}).to_crs(crs)


def _row(
    cat: Category,
    tags: dict[str, str],
    osm_type: str,
    osm_id: int,
    point: Point,
    doors: list[tuple[int, Any]],
    outline: str,
) -> dict:
    matched = ";".join(f"{k}={tags[k]}" for k in cat.match if tags.get(k) in cat.match[k])
    entrances = ";".join(
        f"{n.lon:.7f} {n.lat:.7f}" + (f" {n.tags['wheelchair']}" if n.tags.get("wheelchair") else "") for _, n in doors
    )
    keep = relevant_keys("entrance")
    entrance_tags = [
        {
            "id": nid,
            "lon": round(n.lon, 7),
            "lat": round(n.lat, 7),
            "tags": {k: v for k, v in n.tags.items() if k in keep},
        }
        for nid, n in doors
    ]
    return {
        "category": cat.name,
        "name": tags.get("name", ""),
        "wheelchair": tags.get("wheelchair", ""),
        "osm_type": osm_type,
        "osm_id": osm_id,
        "tags": matched,
        "entrances": entrances,
        "outline": outline,
        "source": "osm",
        "osm_tags": _dumps({k: v for k, v in tags.items() if k in relevant_keys("facility")}),
        "entrance_tags": _dumps(entrance_tags) if entrance_tags else "",
        "nearby": "",
        "geometry": point,
    }


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _nearby_kind(tags: dict[str, str]) -> str | None:
    """``parking``, ``toilets`` or ``elevator`` for an element the facility sheet reads."""
    if tags.get("parking_space") == "disabled" or (
        tags.get("amenity") in {"parking", "parking_space"} and "capacity:disabled" in tags
    ):
        return "parking"
    if tags.get("amenity") == "toilets" and "wheelchair" in tags:
        return "toilets"
    if tags.get("highway") == "elevator":
        return "elevator"
    return None


def _nearby(osm: OsmData, facilities: gpd.GeoDataFrame) -> list[str]:
    """For each facility (WGS84 rows): the JSON list of the elements its sheet reads
    besides its own (see the module docstring), nearest first."""
    items: list[dict[str, Any]] = []
    for nid, node in osm.nodes.items():
        if node.tags and node.lon is not None and (kind := _nearby_kind(node.tags)):
            items.append(_item(kind, "node", nid, node.lon, node.lat, node.tags))  # type: ignore[arg-type]
    for wid, way in osm.ways.items():
        if way.tags and (kind := _nearby_kind(way.tags)):
            located = [osm.nodes[r] for r in way.refs if r in osm.nodes and osm.nodes[r].lon is not None]
            if way.center is not None and way.center[0] is not None:
                lon, lat = way.center
            elif located:
                lon = sum(float(n.lon or 0) for n in located) / len(located)
                lat = sum(float(n.lat or 0) for n in located) / len(located)
            else:
                continue
            items.append(_item(kind, "way", wid, lon, lat, way.tags))
    out = [""] * len(facilities)
    if not items or not len(facilities):
        return out
    points = gpd.GeoSeries([Point(i["lon"], i["lat"]) for i in items], crs=WGS84)
    crs = points.estimate_utm_crs()
    projected = points.to_crs(crs)
    places = facilities.geometry.to_crs(crs)
    outlines = gpd.GeoSeries.from_wkt(
        facilities["outline"].where(facilities["outline"].astype(bool), None), crs=WGS84
    ).to_crs(crs)
    tree = shapely.STRtree(projected.to_numpy())
    kinds = np.array([i["kind"] for i in items])
    for f, (place, outline) in enumerate(zip(places.to_numpy(), outlines.to_numpy())):
        area = outline if outline is not None and not outline.is_empty else place
        hits = tree.query(area, predicate="dwithin", distance=settings.facility_parking_radius_m)
        found = []
        for h in hits.tolist():
            inside = outline is not None and not outline.is_empty and outline.covers(projected.iloc[h])
            if kinds[h] == "parking" or inside:
                found.append((float(shapely.distance(area, projected.iloc[h])), h))
        if found:
            out[f] = _dumps([items[h] for _d, h in sorted(found)])
    return out


def _item(kind: str, osm_type: str, osm_id: int, lon: float, lat: float, tags: dict[str, str]) -> dict[str, Any]:
    keep = relevant_keys(kind)
    return {
        "kind": kind,
        "osm_type": osm_type,
        "osm_id": osm_id,
        "lon": round(float(lon), 7),
        "lat": round(float(lat), 7),
        "tags": {k: v for k, v in tags.items() if k in keep},
    }


def complete_columns(facilities: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Fill the text columns a facilities table may lack or hold as missing values (a
    workspace layer written before ``outline``/``source`` existed, a GeoPackage round trip)."""
    for col in TEXT_COLUMNS:
        if col not in facilities:
            facilities[col] = "osm" if col == "source" else ""
        facilities[col] = facilities[col].fillna("osm" if col == "source" else "").astype(str)
    return facilities


def outline_points(outline: str, crs: str, step_m: float) -> list[tuple[float, float]]:
    """Points every ``step_m`` metres along a WGS84 WKT outline, in ``crs`` (empty without one)."""
    if not outline or not isinstance(outline, str):
        return []
    shape = gpd.GeoSeries.from_wkt([outline], crs=WGS84).to_crs(crs).iloc[0]
    ring = shapely.segmentize(shape.boundary, step_m)
    return [tuple(c) for c in shapely.get_coordinates(ring)]


def entrance_points(entrances: str, wheelchair: bool = False) -> list[tuple[float, float]]:
    """``"lon lat[ wheelchair];..."`` -> ``[(lon, lat), ...]``; with ``wheelchair``, the
    entrances tagged ``wheelchair=no`` are left out (a door a wheelchair cannot pass).

    >>> entrance_points("9.1 45.2;9.3 45.4 no")
    [(9.1, 45.2), (9.3, 45.4)]
    >>> entrance_points("9.1 45.2;9.3 45.4 no", wheelchair=True)
    [(9.1, 45.2)]
    """
    if not entrances or not isinstance(entrances, str):
        return []
    out = []
    for part in entrances.split(";"):
        lon, lat, *tag = part.split()
        if not (wheelchair and tag == ["no"]):
            out.append((float(lon), float(lat)))
    return out
