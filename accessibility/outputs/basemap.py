"""The base map as vector tiles in one PMTiles archive (bytes), and the part of it a map needs.

The features chosen by :mod:`accessibility.model.basemap` are cut into Mapbox vector
tiles (``mapbox-vector-tile``) for zooms :data:`~accessibility.model.basemap.MIN_ZOOM`
to :data:`~accessibility.model.basemap.MAX_ZOOM`, gzip-compressed, and packed into a
PMTiles v3 archive (``pmtiles``): one file the workspace keeps (``basemap.pmtiles``),
that the map pages draw with protomaps-leaflet, and that QGIS and a web server read as it
is. Nothing here reads or writes files: archives go in and out as bytes.

Each tile is 512 pixels wide in the browser (protomaps-leaflet's default), so zoom 16
tiles serve the street-level views (17 and more) with all their detail. Geometry is
simplified to a pixel of its zoom, and polygons smaller than a pixel are left out.
Features with nothing written on them (a sidewalk, a building without a name) are packed
into one multi-part feature per kind and tile: the same drawing, fewer features.
"""

from __future__ import annotations

import gzip
import io
import math
from collections import defaultdict
from collections.abc import Iterable

import geopandas as gpd
import mapbox_vector_tile
import numpy as np
import shapely
from pmtiles.reader import MemorySource, Reader, all_tiles
from pmtiles.tile import Compression, TileType, tileid_to_zxy, zxy_to_tileid
from pmtiles.writer import Writer

from accessibility.model.basemap import LAYERS, MAX_ZOOM, MIN_ZOOM

__all__ = ["EXTENT", "basemap_bounds", "basemap_kinds", "basemap_tiles", "subset_tiles", "tile_range"]

#: Tile coordinates per tile side (the MVT default).
EXTENT = 4096
#: Half the width of the Web Mercator world, metres.
_HALF = 20037508.342789244
#: Tiles are cut with a margin (in tile units) so lines and polygons join without seams.
_BUFFER = 64


def _mercator(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lat = np.clip(lat, -85.0511, 85.0511)
    x = np.radians(lon) * 6378137.0
    y = np.log(np.tan(np.pi / 4 + np.radians(lat) / 2)) * 6378137.0
    return x, y


def tile_range(bounds: tuple[float, float, float, float], zoom: int) -> tuple[int, int, int, int]:
    """The tiles ``(x0, y0, x1, y1)``, inclusive, covering WGS84 ``(west, south, east, north)``
    at ``zoom``.

    >>> tile_range((10.0, 45.1, 10.05, 45.15), 12)
    (2161, 1471, 2162, 1471)
    """
    n = 2**zoom
    west, south, east, north = bounds

    def tx(lon: float) -> int:
        return min(n - 1, max(0, int((lon + 180.0) / 360.0 * n)))

    def ty(lat: float) -> int:
        lat = max(-85.0511, min(85.0511, lat))
        r = math.radians(lat)
        return min(n - 1, max(0, int((1.0 - math.asinh(math.tan(r)) / math.pi) / 2.0 * n)))

    return tx(west), ty(north), tx(east), ty(south)


def _tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    size = 2 * _HALF / 2**z
    minx = -_HALF + x * size
    maxy = _HALF - y * size
    return minx, maxy - size, minx + size, maxy


def basemap_tiles(features: gpd.GeoDataFrame, name: str = "") -> bytes:
    """Cut the base-map features into vector tiles and pack them as a PMTiles archive.

    Parameters
    ----------
    features
        The table of :func:`accessibility.model.basemap.select_basemap` (any CRS).
    name
        The city's name, kept in the archive's metadata.

    Returns
    -------
    bytes
        A PMTiles v3 archive of gzip-compressed MVT tiles (empty bytes when there is
        nothing to draw).
    """
    if features is None or len(features) == 0:
        return b""
    wgs = features.to_crs(4326)
    west, south, east, north = (float(v) for v in wgs.total_bounds)
    geoms = wgs.geometry.to_numpy()
    geoms = shapely.transform(geoms, lambda c: np.column_stack(_mercator(c[:, 0], c[:, 1])))
    layer = wgs["layer"].to_numpy()
    props = [
        {k: v for k, v in (("kind", kind), ("name", name_), ("housenumber", number)) if isinstance(v, str) and v}
        for kind, name_, number in zip(wgs["kind"], wgs["name"].fillna(""), wgs["housenumber"].fillna(""))
    ]
    minzoom = wgs["minzoom"].to_numpy()
    order = {name_: i for i, name_ in enumerate(LAYERS)}
    tiles: dict[int, bytes] = {}
    for z in range(MIN_ZOOM, MAX_ZOOM + 1):
        chosen = np.flatnonzero(minzoom <= z)
        if not len(chosen):
            continue
        pixel = 2 * _HALF / 2**z / EXTENT  # one tile unit, metres
        simple = shapely.simplify(geoms[chosen], pixel)
        keep = ~shapely.is_empty(simple)
        areal = np.isin(shapely.get_type_id(simple), (3, 6))
        keep &= ~areal | (shapely.area(simple) >= pixel * pixel * 4)
        chosen, simple = chosen[keep], simple[keep]
        for (x, y), members in _tiles_of(simple, z).items():
            bounds = _tile_bounds(z, x, y)
            margin = (bounds[2] - bounds[0]) * _BUFFER / EXTENT
            clipped = shapely.clip_by_rect(
                simple[members], bounds[0] - margin, bounds[1] - margin, bounds[2] + margin, bounds[3] + margin
            )
            # tile units, y down, whole numbers: done here for the whole tile at once
            scale = EXTENT / (bounds[2] - bounds[0])
            clipped = shapely.transform(
                clipped,
                lambda c, b=bounds, k=scale: np.rint(np.column_stack(((c[:, 0] - b[0]) * k, (b[3] - c[:, 1]) * k))),
            )
            by_layer: dict[str, list[dict]] = defaultdict(list)
            # Features with nothing to write on them (a sidewalk, a building without a name)
            # become one multi-part feature per kind: the same drawing, far fewer features.
            plain: dict[tuple[str, str, int], list] = defaultdict(list)
            for i, geometry in zip(chosen[members], clipped):
                if geometry.is_empty:
                    continue
                dimension = shapely.get_dimensions(geometry)
                if dimension > 0 and set(props[i]) <= {"kind"}:
                    plain[(layer[i], props[i].get("kind", ""), dimension)].append(geometry)
                else:
                    by_layer[layer[i]].append({"geometry": geometry, "properties": props[i]})
            for (layer_name, kind, dimension), parts in plain.items():
                merged = _multi(parts, dimension)
                if merged is not None:
                    by_layer[layer_name].append({"geometry": merged, "properties": {"kind": kind} if kind else {}})
            if not by_layer:
                continue
            encoded = mapbox_vector_tile.encode(
                [{"name": n, "features": by_layer[n]} for n in sorted(by_layer, key=order.__getitem__)],
                default_options={"extents": EXTENT, "y_coord_down": True},
            )
            tiles[zxy_to_tileid(z, x, y)] = gzip.compress(encoded, compresslevel=6, mtime=0)
    kinds = {layer_name: sorted(set(group)) for layer_name, group in wgs.groupby("layer", sort=False)["kind"]}
    metadata = {"name": name, "layers": [n for n in LAYERS if n in kinds], "kinds": kinds}
    return _archive(tiles, (west, south, east, north), metadata)


def _multi(parts: list, dimension: int):
    """One MultiLineString (``dimension`` 1) or MultiPolygon (2) of the parts' pieces."""
    pieces = shapely.get_parts(np.asarray(parts, dtype=object))
    wanted = 1 if dimension == 1 else 3  # LineString, Polygon type ids
    pieces = pieces[shapely.get_type_id(pieces) == wanted]
    if not len(pieces):
        return None
    if len(pieces) == 1:
        return pieces[0]
    return shapely.multilinestrings(pieces) if dimension == 1 else shapely.multipolygons(pieces)


def _tiles_of(geoms: np.ndarray, z: int) -> dict[tuple[int, int], np.ndarray]:
    """For each tile of zoom ``z``, the positions of the (Mercator) geometries it touches."""
    size = 2 * _HALF / 2**z
    margin = size * _BUFFER / EXTENT
    b = shapely.bounds(geoms)
    x0 = np.floor((b[:, 0] - margin + _HALF) / size).astype(int)
    x1 = np.floor((b[:, 2] + margin + _HALF) / size).astype(int)
    y0 = np.floor((_HALF - b[:, 3] - margin) / size).astype(int)
    y1 = np.floor((_HALF - b[:, 1] + margin) / size).astype(int)
    out: dict[tuple[int, int], list[int]] = defaultdict(list)
    for i in range(len(geoms)):
        for x in range(x0[i], x1[i] + 1):
            for y in range(y0[i], y1[i] + 1):
                out[(x, y)].append(i)
    return {key: np.asarray(value) for key, value in out.items()}


def _archive(tiles: dict[int, bytes], bounds: tuple[float, float, float, float], metadata: dict) -> bytes:
    if not tiles:
        return b""
    out = io.BytesIO()
    writer = Writer(out)
    for tile_id in sorted(tiles):
        writer.write_tile(tile_id, tiles[tile_id])
    west, south, east, north = bounds
    zooms = [tileid_to_zxy(t)[0] for t in tiles]
    writer.finalize(
        {
            "tile_type": TileType.MVT,
            "tile_compression": Compression.GZIP,
            "min_zoom": min(zooms),
            "max_zoom": max(zooms),
            "min_lon_e7": int(west * 1e7),
            "min_lat_e7": int(south * 1e7),
            "max_lon_e7": int(east * 1e7),
            "max_lat_e7": int(north * 1e7),
            "center_zoom": min(zooms),
            "center_lon_e7": int((west + east) / 2 * 1e7),
            "center_lat_e7": int((south + north) / 2 * 1e7),
        },
        {
            **metadata,
            "attribution": "© OpenStreetMap contributors (ODbL)",
            "vector_layers": [{"id": n, "fields": {}} for n in metadata.get("layers", [])],
        },
    )
    return out.getvalue()


def basemap_kinds(archive: bytes) -> dict[str, list[str]]:
    """What a base map holds: its layers and, for each, the kinds of feature in it
    (``{"street": ["minor", "sidewalk"], ...}``), so a legend lists only what is drawn."""
    if not archive:
        return {}
    kinds = Reader(MemorySource(archive)).metadata().get("kinds")
    return {str(k): [str(v) for v in values] for k, values in kinds.items()} if isinstance(kinds, dict) else {}


def basemap_bounds(archive: bytes) -> tuple[float, float, float, float] | None:
    """The WGS84 ``(west, south, east, north)`` of a PMTiles archive, ``None`` when empty."""
    if not archive:
        return None
    h = Reader(MemorySource(archive)).header()
    return h["min_lon_e7"] / 1e7, h["min_lat_e7"] / 1e7, h["max_lon_e7"] / 1e7, h["max_lat_e7"] / 1e7


def subset_tiles(archive: bytes, bounds: tuple[float, float, float, float], pad: float = 0.5) -> bytes:
    """The tiles of ``archive`` that cover WGS84 ``bounds`` grown by ``pad`` of their size on
    each side, as a new archive: a route map carries its neighbourhood, not the city.

    Parameters
    ----------
    archive
        A PMTiles archive written by :func:`basemap_tiles`.
    bounds
        ``(west, south, east, north)``.
    pad
        Share of the width and height added on each side.

    Returns
    -------
    bytes
        A smaller archive (empty bytes when ``archive`` is empty).
    """
    if not archive:
        return b""
    west, south, east, north = bounds
    dx, dy = (east - west) * pad + 0.002, (north - south) * pad + 0.002
    grown = (west - dx, south - dy, east + dx, north + dy)
    wanted: dict[int, bytes] = {}
    ranges = {z: tile_range(grown, z) for z in range(0, 31)}
    for (z, x, y), data in _tiles(archive):
        x0, y0, x1, y1 = ranges[z]
        if x0 <= x <= x1 and y0 <= y <= y1:
            wanted[zxy_to_tileid(z, x, y)] = data
    reader = Reader(MemorySource(archive))
    own = basemap_bounds(archive) or grown
    cut = (max(own[0], grown[0]), max(own[1], grown[1]), min(own[2], grown[2]), min(own[3], grown[3]))
    return _archive(wanted, cut, reader.metadata())


def _tiles(archive: bytes) -> Iterable[tuple[tuple[int, int, int], bytes]]:
    return all_tiles(MemorySource(archive))
