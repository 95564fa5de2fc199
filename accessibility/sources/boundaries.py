"""The area of a city: a boundary file, or a place name geocoded by Nominatim (reading only).

:func:`boundary_from_file` reads any polygon file geopandas reads; :func:`boundary_from_place`
asks Nominatim through osmnx, with our timeouts and cache. Both return a WGS84 Polygon or
MultiPolygon.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, TypeAlias

import requests
import shapely
from shapely.geometry import GeometryCollection, MultiPolygon, Polygon, mapping, shape
from shapely.geometry.base import BaseGeometry

from accessibility import settings
from accessibility.errors import DownloadError, InputError, InputNotFoundError, OfflineError, OsmFileError, brief
from accessibility.i18n import N_, _
from accessibility.sources.http import cache_file, check_reachable, read_cache, reason, write_cache

log = logging.getLogger(__name__)

__all__ = ["Area", "boundary_from_file", "boundary_from_place", "boundary_name", "polygon_parts"]

#: Columns that hold a place's name in boundary files (OSM, ISTAT, common GIS exports).
NAME_COLUMNS = ("name", "NAME", "nome", "NOME", "COMUNE", "DEN_COM", "comune", "denominazione")

Area: TypeAlias = Polygon | MultiPolygon

_NOMINATIM_HINT = N_(
    "Are you offline? Give the area as a boundary file instead of a place name, "
    "or build from a file: accessibility build --osm FILE"
)


def boundary_from_file(path: str | Path, *, layer: str | int | None = None) -> Area:
    """Read the area of interest from any file geopandas reads.

    All polygon features are merged into one area, reprojected to WGS84 if needed.

    Parameters
    ----------
    path
        GeoJSON, GeoPackage, Shapefile, ...
    layer
        Layer to read from a multi-layer file (default: the first).

    Returns
    -------
    Polygon or MultiPolygon
        The union of the polygons, in EPSG:4326 (lon, lat).

    Raises
    ------
    InputNotFoundError
        The file does not exist.
    OsmFileError
        The file cannot be read, has no polygon, or has no usable coordinate system.
    """
    path = Path(path)
    if not path.exists():
        raise InputNotFoundError(_("boundary file not found: {path}").format(path=path))
    import geopandas as gpd  # heavy; only needed here

    try:
        gdf = gpd.read_file(path) if layer is None else gpd.read_file(path, layer=layer)
    except Exception as exc:  # pyogrio/GDAL raise many kinds; all mean "unreadable"
        raise OsmFileError(
            _("{path}: cannot be read as a boundary file (GeoJSON, GeoPackage, Shapefile, ...): {reason}").format(
                path=path, reason=brief(exc)
            )
        ) from exc
    geoms = [g for g in gdf.geometry if g is not None and not g.is_empty]
    polygons = [p for g in geoms for p in polygon_parts(g)]
    if not polygons:
        found = ", ".join(f"{n} {kind}" for kind, n in Counter(g.geom_type for g in geoms).items())
        raise OsmFileError(
            _("{path}: no polygon to use as a boundary (the file holds {found})").format(
                path=path, found=found or _("no geometry")
            )
        )
    series = gpd.GeoSeries(polygons, crs=gdf.crs)
    if series.crs is None:
        minx, miny, maxx, maxy = series.total_bounds
        if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
            raise OsmFileError(
                _("{path}: no coordinate reference system, and the coordinates are not longitude/latitude").format(
                    path=path
                )
            )
        log.warning("%s: no coordinate reference system; assuming WGS84 (EPSG:4326)", path)
        series = series.set_crs(4326)
    elif series.crs.to_epsg() != 4326:
        log.info("%s: reprojecting from %s to EPSG:4326", path, series.crs.to_string())
        series = series.to_crs(4326)
    area = _as_area(shapely.union_all([shapely.make_valid(shapely.force_2d(p)) for p in series]))
    if area is None:
        raise OsmFileError(_("{path}: the polygons merge into an empty area").format(path=path))
    log.info(
        "boundary from %s: %d polygon(s) -> %s, bounds %s", path, len(polygons), area.geom_type, _bounds_text(area)
    )
    return area


def boundary_name(path: str | Path) -> str | None:
    """The place named by a boundary file of one feature (its ``name`` column or the like,
    :data:`NAME_COLUMNS`), ``None`` when it names none or holds several features."""
    import pyogrio

    try:
        frame = pyogrio.read_dataframe(path, read_geometry=False)
    except Exception:  # unreadable files are reported by boundary_from_file
        return None
    column = next((c for c in NAME_COLUMNS if c in frame.columns), None)
    if column is None:
        return None
    names = {str(v).strip() for v in frame[column] if v is not None and str(v).strip()}
    return names.pop() if len(names) == 1 else None


def boundary_from_place(name: str) -> Area:
    """Geocode a place name to its boundary polygon with Nominatim (through osmnx).

    osmnx's Nominatim URL, timeout, user agent and cache are set from our settings for
    the duration of the call, then restored. The resulting boundary is cached under
    ``settings.cache_dir / "nominatim"``, so a second call needs no network.

    Parameters
    ----------
    name
        A place name, e.g. ``"Cremona, Italia"``.

    Returns
    -------
    Polygon or MultiPolygon
        The place's boundary, in EPSG:4326.

    Raises
    ------
    OfflineError
        Nominatim cannot be reached.
    DownloadError
        Nominatim found nothing, or only a point, for ``name``, or answered with an error.
    InputError
        ``name`` is empty.
    """
    if not name or not name.strip():
        raise InputError(_("the place name is empty"))
    name = name.strip()
    url = settings.nominatim_url
    path = cache_file("nominatim", f"{url}\n{name}", ".geojson")
    cached = read_cache(path)
    if cached is not None:
        try:
            area = _as_area(shape(cached["geometry"]))
        except Exception:  # a damaged cache file is a cache miss
            area = None
        if area is not None:
            log.info("boundary of %r from cache %s", name, path)
            return area

    check_reachable(url, _("the Nominatim geocoder"), _(_NOMINATIM_HINT))
    log.info("geocoding %r with Nominatim at %s", name, url)
    gdf = _geocode(name, url)
    area = _as_area(
        shapely.union_all([shapely.make_valid(g) for g in gdf.geometry if g is not None and not g.is_empty])
    )
    if area is None:
        kinds = ", ".join(sorted(set(gdf.geom_type)))
        raise DownloadError(
            _("Nominatim at {url} has no area for {name}, only a {kinds}; give a boundary file instead").format(
                url=url, name=repr(name), kinds=kinds
            )
        )
    row = gdf.iloc[0]
    write_cache(
        path,
        json.dumps(
            {
                "type": "Feature",
                "geometry": mapping(area),
                "properties": {"query": name, "display_name": str(row.get("display_name", ""))},
            }
        ).encode("utf-8"),
    )
    log.info(
        "boundary of %r: %s (%s), bounds %s", name, row.get("display_name", name), area.geom_type, _bounds_text(area)
    )
    return area


def _geocode(name: str, url: str) -> Any:
    """Call ``osmnx.geocode_to_gdf`` with our settings and translate its errors."""
    import osmnx
    from osmnx._errors import InsufficientResponseError, ResponseStatusCodeError

    def refuse_retry(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        # osmnx sleeps 55 s and retries on 429/504: say so at once instead.
        if response.status_code in (429, 504):
            raise DownloadError(
                _("Nominatim at {url} answered HTTP {status} {reason} (busy or rate-limited); try again later").format(
                    url=url, status=response.status_code, reason=response.reason
                )
            )

    kwargs = dict(osmnx.settings.requests_kwargs)
    kwargs["hooks"] = {"response": [refuse_retry]}
    values = {
        "nominatim_url": url,
        # requests accepts a (connect, read) pair wherever a timeout is expected
        "requests_timeout": (settings.connect_timeout_s, settings.read_timeout_s),
        "http_user_agent": settings.user_agent,
        "cache_folder": str(Path(settings.cache_dir) / "nominatim"),
        "use_cache": True,
        "requests_kwargs": kwargs,
    }
    try:
        with _osmnx_settings(osmnx.settings, values):
            return osmnx.geocode_to_gdf(name)
    except requests.ConnectionError as exc:
        raise OfflineError(
            _("Cannot reach {service} at {url}: {reason}. {hint}").format(
                service=_("the Nominatim geocoder"), url=url, reason=reason(exc), hint=_(_NOMINATIM_HINT)
            )
        ) from exc
    except requests.RequestException as exc:
        raise DownloadError(
            _("Nominatim at {url} failed for {name}: {reason}").format(url=url, name=repr(name), reason=exc)
        ) from exc
    except (InsufficientResponseError, ResponseStatusCodeError) as exc:
        raise DownloadError(
            _("Nominatim at {url} found no usable result for {name}: {reason}").format(
                url=url, name=repr(name), reason=exc
            )
        ) from exc
    except TypeError as exc:
        if "Polygon" not in str(exc):
            raise
        raise DownloadError(
            _(
                "Nominatim at {url} geocodes {name} to a point, not an area; give the area as a boundary file instead"
            ).format(url=url, name=repr(name))
        ) from exc


@contextlib.contextmanager
def _osmnx_settings(target: Any, values: Mapping[str, Any]) -> Iterator[None]:
    """Set attributes of ``osmnx.settings`` for the duration of a ``with`` block."""
    old = {key: getattr(target, key) for key in values}
    try:
        for key, value in values.items():
            setattr(target, key, value)
        yield
    finally:
        for key, value in old.items():
            setattr(target, key, value)


def polygon_parts(geom: BaseGeometry) -> list[Polygon]:
    if isinstance(geom, Polygon):
        return [geom] if not geom.is_empty else []
    if isinstance(geom, (MultiPolygon, GeometryCollection)):
        return [p for g in geom.geoms for p in polygon_parts(g)]
    return []


def _as_area(geom: BaseGeometry) -> Area | None:
    """The polygonal part of ``geom`` as a Polygon or MultiPolygon, or None if empty."""
    parts = polygon_parts(geom)
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else MultiPolygon(parts)


def _bounds_text(area: Area) -> str:
    return "lon {:.4f}..{:.4f}, lat {:.4f}..{:.4f}".format(*(area.bounds[i] for i in (0, 2, 1, 3)))
