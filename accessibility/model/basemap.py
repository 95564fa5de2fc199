"""What a reader needs to find their way on a map, chosen from OpenStreetMap (pure).

Every map of the package draws a base map made from the city's own data, so that it opens
without any server: streets with their names, buildings, house numbers, parks and water,
railways, landmarks and the facilities. This module only chooses and shapes those features
from :class:`~accessibility.sources.osm.OsmData`; :mod:`accessibility.outputs.basemap`
turns them into vector tiles and the workspace keeps them (``basemap.pmtiles``).

The features form one table (WGS84) with the columns

``layer``
    one of :data:`LAYERS` (a vector-tile layer, drawn in this order);
``kind``
    what it is within the layer (``major`` street, ``park``, ``rail`` ...);
``name``
    the name people use (street names are drawn along the street), or empty;
``housenumber``
    the house number of an address point, or empty;
``minzoom``
    the lowest tile zoom that holds the feature (big parks and main streets from
    zoom 10, house numbers only at street level).

A city extract with only some layers (Milan's sidewalk, crossing and POI dumps) gives a
base map of what those layers hold: the selection never invents what the data lacks.

>>> from accessibility.sources.osm import OsmData, OsmWay
>>> data = OsmData()
>>> for i, (lon, lat) in enumerate([(10.02, 45.13), (10.03, 45.13)]):
...     data.add_node(i, lon, lat, {})
>>> data.add_way(1, OsmWay([0, 1], {"highway": "residential", "name": "Via Platina"}))
>>> select_basemap(data)[["layer", "kind", "name", "minzoom"]].values.tolist()
[['street', 'minor', 'Via Platina', 13]]
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import geopandas as gpd
import pandas as pd
import shapely
from shapely import LineString, Point, Polygon
from shapely.geometry.base import BaseGeometry

from accessibility.constants import WGS84
from accessibility.sources.osm import OsmData, OsmRelation

__all__ = ["COLUMNS", "LAYERS", "MAX_ZOOM", "MIN_ZOOM", "basemap_with_facilities", "select_basemap"]

#: Vector-tile layers, bottom to top.
LAYERS: tuple[str, ...] = (
    "green",
    "water",
    "square",
    "waterway",
    "building",
    "railway",
    "street",
    "address",
    "place",
    "facility",
)
#: The columns of the base-map table.
COLUMNS: list[str] = ["layer", "kind", "name", "housenumber", "minzoom", "geometry"]
#: Tile zooms the base map is cut for (maps zoom in further on the last one).
MIN_ZOOM, MAX_ZOOM = 10, 16

_STREETS = {
    **dict.fromkeys(("motorway", "trunk", "primary", "secondary"), ("major", 10)),
    **dict.fromkeys(("motorway_link", "trunk_link", "primary_link", "secondary_link"), ("major", 12)),
    **dict.fromkeys(("tertiary", "tertiary_link"), ("medium", 12)),
    **dict.fromkeys(("residential", "unclassified", "living_street", "pedestrian", "road", "busway"), ("minor", 13)),
    "service": ("service", 14),
    **dict.fromkeys(
        ("footway", "path", "cycleway", "steps", "bridleway", "track", "corridor", "sidewalk", "crossing"),
        ("path", 12),  # the only streets of sidewalk-only data (Milan's dumps): seen from the city view
    ),
}
_RAILWAYS = {
    **dict.fromkeys(("rail", "narrow_gauge"), ("rail", 10)),
    **dict.fromkeys(("light_rail", "subway", "monorail", "funicular"), ("light_rail", 12)),
    "tram": ("tram", 13),
}
_WATERWAYS = {
    **dict.fromkeys(("river", "canal"), ("river", 10)),
    **dict.fromkeys(("stream", "ditch", "drain"), ("stream", 14)),
}
_GREEN_LEISURE = {
    "park",
    "garden",
    "playground",
    "pitch",
    "dog_park",
    "nature_reserve",
    "recreation_ground",
    "golf_course",
}
_GREEN_LANDUSE = {
    "grass",
    "meadow",
    "forest",
    "recreation_ground",
    "cemetery",
    "village_green",
    "allotments",
    "orchard",
    "vineyard",
    "flowerbed",
}
_GREEN_NATURAL = {"wood", "scrub", "grassland", "heath", "wetland"}
#: Named places that help people find their way, shown from zoom 14 (others from 15).
_LANDMARKS = {
    ("amenity", "place_of_worship"),
    ("amenity", "townhall"),
    ("amenity", "hospital"),
    ("amenity", "university"),
    ("amenity", "theatre"),
    ("amenity", "library"),
    ("railway", "station"),
    ("public_transport", "station"),
    ("tourism", "museum"),
    ("tourism", "attraction"),
    ("historic", "monument"),
    ("historic", "castle"),
    ("leisure", "park"),
    ("leisure", "stadium"),
    ("place", "square"),
}
_PLACE_KEYS = ("amenity", "shop", "tourism", "historic", "leisure", "office", "craft", "healthcare", "railway", "place")
_AREA_KEYS = ("building", "landuse", "leisure", "natural", "water", "amenity", "place", "area", "waterway")


def select_basemap(data: OsmData) -> gpd.GeoDataFrame:
    """The base-map features of ``data`` (see the module docstring for the columns).

    Parameters
    ----------
    data
        OpenStreetMap data read by :mod:`accessibility.sources.osm`.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per feature in WGS84, ordered by layer; empty (with the columns) when
        the data hold nothing to draw.
    """
    rows: list[tuple[str, str, str, str, int, BaseGeometry]] = []
    for node in data.nodes.values():
        if node.lon is None or node.lat is None or not node.tags:
            continue
        rows.extend(_point_rows(node.tags, Point(node.lon, node.lat)))
    for way in data.ways.values():
        geometry = _way_geometry(data, way.refs, way.tags)
        if geometry is None:
            if way.center is not None and way.tags:  # Overpass "out center": a point is all there is
                rows.extend(_point_rows(way.tags, Point(way.center)))
            continue
        rows.extend(_way_rows(way.tags, geometry))
    for relation in data.multipolygons.values():
        polygon = _multipolygon(data, relation)
        if polygon is not None:
            rows.extend(_way_rows(relation.tags, polygon))
    frame = gpd.GeoDataFrame(
        pd.DataFrame.from_records([r[:5] for r in rows], columns=COLUMNS[:5]),
        geometry=[r[5] for r in rows],
        crs=WGS84,
    )
    if frame.empty:
        return gpd.GeoDataFrame(columns=COLUMNS, geometry="geometry", crs=WGS84)
    frame["minzoom"] = frame["minzoom"].astype(int)
    order = {name: i for i, name in enumerate(LAYERS)}
    frame = frame.iloc[frame["layer"].map(order).argsort(kind="stable")].reset_index(drop=True)
    return frame


def basemap_with_facilities(basemap: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The base map with one ``facility`` point per facility (``kind`` is its category).

    Parameters
    ----------
    basemap
        The table of :func:`select_basemap`.
    facilities
        The city's facilities (any CRS; columns ``category``, ``name``).

    Returns
    -------
    geopandas.GeoDataFrame
        ``basemap`` with the facilities added, in WGS84.
    """
    if facilities is None or len(facilities) == 0:
        return basemap
    points = facilities.to_crs(WGS84)
    names = points["name"].fillna("").astype(str) if "name" in points else ""
    added = gpd.GeoDataFrame(
        {
            "layer": "facility",
            "kind": points["category"].astype(str).to_numpy(),
            "name": names,
            "housenumber": "",
            "minzoom": 13,
        },
        geometry=points.geometry.representative_point().to_numpy(),
        crs=WGS84,
    )
    return gpd.GeoDataFrame(pd.concat([basemap, added], ignore_index=True), geometry="geometry", crs=WGS84)


# --- classification --------------------------------------------------------------------------


def _name(tags: dict[str, str]) -> str:
    return (tags.get("name") or tags.get("name:it") or "").strip()


def _point_rows(tags: dict[str, str], point: Point) -> Iterable[tuple[str, str, str, str, int, BaseGeometry]]:
    number = (tags.get("addr:housenumber") or "").strip()
    if number:
        yield "address", "housenumber", "", number, 16, point
    name = _name(tags)
    if name:
        for key in _PLACE_KEYS:
            value = tags.get(key)
            if value and value != "no":
                if key == "railway" and value not in {"station", "halt", "tram_stop"}:
                    continue
                landmark = (key, value) in _LANDMARKS
                yield "place", f"{key}={value}", name, "", 14 if landmark else 15, point
                break


def _is_area(tags: dict[str, str], refs: list[int]) -> bool:
    if len(refs) < 4 or refs[0] != refs[-1] or tags.get("area") == "no":
        return False
    if tags.get("area") == "yes":
        return True
    if "highway" in tags or "railway" in tags or tags.get("natural") == "coastline" or tags.get("barrier"):
        return False
    if tags.get("waterway") and tags["waterway"] not in {"riverbank", "dock"}:
        return False
    return any(k in tags for k in _AREA_KEYS)


def _way_geometry(data: OsmData, refs: list[int], tags: dict[str, str]) -> BaseGeometry | None:
    coords = []
    for ref in refs:
        node = data.nodes.get(ref)
        if node is not None and node.lon is not None and node.lat is not None:
            coords.append((node.lon, node.lat))
    if len(coords) < 2:
        return None
    if _is_area(tags, refs) and len(coords) == len(refs):
        polygon = Polygon(coords)
        if not polygon.is_valid:
            polygon = shapely.make_valid(polygon)
        return polygon if not polygon.is_empty and polygon.area > 0 else None
    return LineString(coords)


def _multipolygon(data: OsmData, relation: OsmRelation) -> BaseGeometry | None:
    rings: dict[str, list[LineString]] = {"outer": [], "inner": []}
    for member in relation.members:
        coords = member.coords
        if coords is None:
            way = data.ways.get(member.ref)
            if way is None:
                continue
            coords = [
                (n.lon, n.lat)
                for ref in way.refs
                if (n := data.nodes.get(ref)) is not None and n.lon is not None and n.lat is not None
            ]
        if len(coords) >= 2:
            rings["inner" if member.role == "inner" else "outer"].append(LineString(coords))
    if not rings["outer"]:
        return None
    outer = shapely.union_all(list(shapely.polygonize(rings["outer"]).geoms))
    if outer.is_empty:
        return None
    if rings["inner"]:
        inner = shapely.union_all(list(shapely.polygonize(rings["inner"]).geoms))
        outer = outer.difference(inner)
    return None if outer.is_empty else outer


def _area_zoom(polygon: BaseGeometry, large: int, small: int) -> int:
    """``large`` for areas over about 5 ha (seen from afar), else ``small``."""
    lat = polygon.centroid.y
    m2 = polygon.area * (111_320**2) * math.cos(math.radians(lat))
    return large if m2 > 50_000 else small


def _way_rows(tags: dict[str, str], geometry: BaseGeometry) -> Iterable[tuple[str, str, str, str, int, BaseGeometry]]:
    name = _name(tags)
    polygonal = geometry.geom_type in ("Polygon", "MultiPolygon")
    if polygonal:
        if tags.get("building") and tags["building"] != "no":
            yield "building", "building", name, "", 14, geometry
        elif (
            tags.get("natural") == "water"
            or tags.get("waterway") in {"riverbank", "dock"}
            or tags.get("landuse") in {"reservoir", "basin"}
            or "water" in tags
        ):
            yield "water", "water", name, "", _area_zoom(geometry, 10, 13), geometry
        elif (
            tags.get("leisure") in _GREEN_LEISURE
            or tags.get("landuse") in _GREEN_LANDUSE
            or tags.get("natural") in _GREEN_NATURAL
        ):
            kind = tags.get("leisure") or tags.get("landuse") or tags.get("natural") or "green"
            yield "green", kind, name, "", _area_zoom(geometry, 10, 13), geometry
        elif tags.get("highway") in {"pedestrian", "footway", "living_street"} or tags.get("place") == "square":
            yield "square", tags.get("place") or tags.get("highway", "square"), name, "", 14, geometry
        elif tags.get("amenity") == "parking":
            yield "square", "parking", "", "", 15, geometry
    else:
        highway = tags.get("highway")
        if highway in _STREETS and tags.get("area") != "yes":
            kind, zoom = _STREETS[highway]
            if highway == "footway" and tags.get("footway") in {"sidewalk", "crossing"}:
                kind = "sidewalk"
            yield "street", kind, name, "", zoom, geometry
        elif tags.get("railway") in _RAILWAYS and tags.get("tunnel") not in {"yes", "building_passage"}:
            kind, zoom = _RAILWAYS[tags["railway"]]
            yield "railway", kind, name, "", zoom, geometry
        elif tags.get("waterway") in _WATERWAYS and tags.get("tunnel") != "culvert":
            kind, zoom = _WATERWAYS[tags["waterway"]]
            yield "waterway", kind, name, "", zoom, geometry
        elif tags.get("natural") == "coastline":
            yield "waterway", "coastline", "", "", 10, geometry
    # a named or numbered building, park or station is also a point people look for
    if tags.get("addr:housenumber") or (name and any(tags.get(k) for k in _PLACE_KEYS)):
        point = geometry.representative_point() if polygonal else geometry.interpolate(0.5, normalized=True)
        yield from _point_rows(tags, point)
