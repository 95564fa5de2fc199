"""Download OpenStreetMap data for an area: its boundary, then one Overpass API query.

The area comes from a boundary file (:func:`boundary_from_file`) or a place name
geocoded by Nominatim through osmnx (:func:`boundary_from_place`). :func:`download_osm`
sends one Overpass QL query for the walkable ways in the area (with all their nodes and
tags) and the facilities of ``data/facilities.toml``, and returns the same
:class:`~accessibility.sources.osm.OsmData` a file reader returns. Answers are cached
on disk under ``settings.cache_dir``; a cached request needs no network.

Every network step first checks, within ``settings.connect_timeout_s``, that the server
can be reached at all, so an offline machine gets an :class:`OfflineError` in seconds,
never a long hang. This module reads; it computes nothing else.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import json
import logging
import os
import re
import socket
import tempfile
import threading
import time
import tomllib
from collections import Counter
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping
from urllib.parse import urlsplit

import requests
import shapely
import urllib3
from shapely.geometry import GeometryCollection, MultiPolygon, Polygon, mapping, shape
from shapely.geometry.base import BaseGeometry

from .. import settings
from ..errors import DownloadError, InputNotFoundError, OfflineError, OsmFileError
from .osm import OsmData, overpass_json_to_osm

log = logging.getLogger(__name__)

Area = Polygon | MultiPolygon

_OVERPASS_HINT = "Are you offline? Build from a file instead: accessibility build --osm FILE"
_NOMINATIM_HINT = ("Are you offline? Give the area as a boundary file instead of a place name, "
                   "or build from a file: accessibility build --osm FILE")


# --- boundaries --------------------------------------------------------------------------

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
        raise InputNotFoundError(f"Boundary file not found: {path}")
    import geopandas as gpd  # heavy; only needed here

    try:
        gdf = gpd.read_file(path) if layer is None else gpd.read_file(path, layer=layer)
    except Exception as exc:  # pyogrio/GDAL raise many kinds; all mean "unreadable"
        raise OsmFileError(f"{path}: cannot be read as a boundary file "
                           f"(GeoJSON, GeoPackage, Shapefile, ...): {exc}") from exc
    geoms = [g for g in gdf.geometry if g is not None and not g.is_empty]
    polygons = [p for g in geoms for p in _polygon_parts(g)]
    if not polygons:
        found = ", ".join(f"{n} {kind}" for kind, n in Counter(g.geom_type for g in geoms).items())
        raise OsmFileError(f"{path}: no polygon to use as a boundary "
                           f"(the file holds {found or 'no geometry'})")
    series = gpd.GeoSeries(polygons, crs=gdf.crs)
    if series.crs is None:
        minx, miny, maxx, maxy = series.total_bounds
        if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
            raise OsmFileError(f"{path}: no coordinate reference system, and the "
                               f"coordinates are not longitude/latitude")
        log.warning("%s: no coordinate reference system; assuming WGS84 (EPSG:4326)", path)
        series = series.set_crs(4326)
    elif series.crs.to_epsg() != 4326:
        log.info("%s: reprojecting from %s to EPSG:4326", path, series.crs.to_string())
        series = series.to_crs(4326)
    area = _as_area(shapely.union_all([shapely.make_valid(shapely.force_2d(p)) for p in series]))
    if area is None:
        raise OsmFileError(f"{path}: the polygons merge into an empty area")
    log.info("boundary from %s: %d polygon(s) -> %s, bounds %s", path, len(polygons),
             area.geom_type, _bounds_text(area))
    return area


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
    ValueError
        ``name`` is empty.
    """
    if not name or not name.strip():
        raise ValueError("empty place name")
    name = name.strip()
    url = settings.nominatim_url
    cache_file = _cache_file("nominatim", f"{url}\n{name}", ".geojson")
    cached = _read_cache(cache_file)
    if cached is not None:
        try:
            area = _as_area(shape(cached["geometry"]))
        except Exception:  # a damaged cache file is a cache miss
            area = None
        if area is not None:
            log.info("boundary of %r from cache %s", name, cache_file)
            return area

    _check_reachable(url, "the Nominatim geocoder", _NOMINATIM_HINT)
    log.info("geocoding %r with Nominatim at %s", name, url)
    gdf = _geocode(name, url)
    area = _as_area(shapely.union_all([shapely.make_valid(g) for g in gdf.geometry
                                       if g is not None and not g.is_empty]))
    if area is None:
        kinds = ", ".join(sorted(set(gdf.geom_type)))
        raise DownloadError(f"Nominatim at {url} has no area for {name!r}, only a {kinds}; "
                            f"give a boundary file instead")
    row = gdf.iloc[0]
    _write_cache(cache_file, json.dumps({
        "type": "Feature", "geometry": mapping(area),
        "properties": {"query": name, "display_name": str(row.get("display_name", ""))},
    }).encode("utf-8"))
    log.info("boundary of %r: %s (%s), bounds %s", name, row.get("display_name", name),
             area.geom_type, _bounds_text(area))
    return area


def _geocode(name: str, url: str) -> Any:
    """Call ``osmnx.geocode_to_gdf`` with our settings and translate its errors."""
    import osmnx
    from osmnx._errors import InsufficientResponseError, ResponseStatusCodeError

    def refuse_retry(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        # osmnx sleeps 55 s and retries on 429/504: say so at once instead.
        if response.status_code in (429, 504):
            raise DownloadError(f"Nominatim at {url} answered HTTP {response.status_code} "
                                f"{response.reason} (busy or rate-limited); try again later")

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
        raise OfflineError(f"Cannot reach the Nominatim geocoder at {url}: {_reason(exc)}. "
                           f"{_NOMINATIM_HINT}") from exc
    except requests.RequestException as exc:
        raise DownloadError(f"Nominatim at {url} failed for {name!r}: {exc}") from exc
    except (InsufficientResponseError, ResponseStatusCodeError) as exc:
        raise DownloadError(f"Nominatim at {url} found no usable result for {name!r}: "
                            f"{exc}") from exc
    except TypeError as exc:
        if "Polygon" not in str(exc):
            raise
        raise DownloadError(f"Nominatim at {url} geocodes {name!r} to a point, not an area; "
                            f"give the area as a boundary file instead") from exc


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


def _polygon_parts(geom: BaseGeometry) -> list[Polygon]:
    if isinstance(geom, Polygon):
        return [geom] if not geom.is_empty else []
    if isinstance(geom, (MultiPolygon, GeometryCollection)):
        return [p for g in geom.geoms for p in _polygon_parts(g)]
    return []


def _as_area(geom: BaseGeometry) -> Area | None:
    """The polygonal part of ``geom`` as a Polygon or MultiPolygon, or None if empty."""
    parts = _polygon_parts(geom)
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else MultiPolygon(parts)


def _bounds_text(area: Area) -> str:
    return "lon {:.4f}..{:.4f}, lat {:.4f}..{:.4f}".format(*(area.bounds[i] for i in (0, 2, 1, 3)))


# --- the Overpass query ------------------------------------------------------------------

def overpass_query(area: Area, facilities: Mapping[str, Iterable[str]] | None = None) -> str:
    """Build the Overpass QL query for ``area``.

    Parameters
    ----------
    area
        Polygon or MultiPolygon in EPSG:4326. Each part becomes one ``poly:`` filter of
        its exterior ring; holes are not excluded (Overpass polygons have none).
    facilities
        Tag key -> values to collect as destinations; default: ``data/facilities.toml``.

    Returns
    -------
    str
        The query: walkable ways with all their nodes (``out body``), then facility
        nodes, ways and relations (``out tags center``).
    """
    if not isinstance(area, (Polygon, MultiPolygon)):
        raise TypeError(f"expected a shapely Polygon or MultiPolygon, not {type(area).__name__}")
    if area.is_empty:
        raise ValueError("empty area")
    if facilities is None:
        facilities = facility_tags()
    polys = [_poly_filter(part) for part in _polygon_parts(area)]
    highways = sorted(settings.walkable_highways | settings.walkable_if_foot_allowed)
    lines = [f"[out:json][timeout:{int(settings.overpass_timeout_s)}];", "("]
    lines += [f"  way{_tag_filter('highway', highways)}{poly};" for poly in polys]
    lines += [");", "(._;>;);", "out body;", "("]
    for key in sorted(facilities):
        values = sorted(set(facilities[key]))
        lines += [f"  nwr{_tag_filter(key, values)}{poly};" for poly in polys]
    lines += [");", "out tags center;"]
    return "\n".join(lines) + "\n"


def facility_tags(path: str | Path | None = None) -> dict[str, list[str]]:
    """Read the tag matches of every facility category, merged by key.

    Parameters
    ----------
    path
        A facilities TOML file; default ``settings.data_dir / "facilities.toml"``.

    Returns
    -------
    dict
        Tag key -> sorted values (``"*"`` means any value).
    """
    path = Path(path) if path is not None else Path(settings.data_dir) / "facilities.toml"
    if not path.is_file():
        raise InputNotFoundError(f"Facilities file not found: {path}")
    with open(path, "rb") as fh:
        doc = tomllib.load(fh)
    merged: dict[str, set[str]] = {}
    for category, table in doc.items():
        match = table.get("match") if isinstance(table, dict) else None
        if not isinstance(match, dict):
            raise ValueError(f"{path}: category [{category}] has no 'match' table")
        for key, values in match.items():
            values = [values] if isinstance(values, str) else values
            merged.setdefault(str(key), set()).update(str(v) for v in values)
    return {key: sorted(values) for key, values in merged.items()}


def _poly_filter(polygon: Polygon) -> str:
    if polygon.interiors:
        log.info("the area has %d hole(s); Overpass gets the outer ring only",
                 len(polygon.interiors))
    coords = list(polygon.exterior.coords)[:-1]  # Overpass closes the ring itself
    return '(poly:"' + " ".join(f"{_num(lat)} {_num(lon)}" for lon, lat in coords) + '")'


def _num(value: float) -> str:
    return f"{value:.7f}".rstrip("0").rstrip(".")


_ERE_SPECIAL = re.compile(r"([\\.^$|?*+()\[\]{}])")


def _ql_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _tag_filter(key: str, values: list[str]) -> str:
    if "*" in values:
        return f"[{_ql_string(key)}]"
    if len(values) == 1:
        return f"[{_ql_string(key)}={_ql_string(values[0])}]"
    regex = "^(" + "|".join(_ERE_SPECIAL.sub(r"\\\1", v) for v in values) + ")$"
    return f"[{_ql_string(key)}~{_ql_string(regex)}]"


# --- the download ------------------------------------------------------------------------

def download_osm(polygon: Area) -> OsmData:
    """Download the walkable ways and facilities in ``polygon`` from the Overpass API.

    One POST to ``settings.overpass_url + "/interpreter"``; the answer is cached under
    ``settings.cache_dir / "overpass"``, keyed on the URL and the query, and a cached
    request makes no network call.

    Parameters
    ----------
    polygon
        The area, in EPSG:4326.

    Returns
    -------
    OsmData
        Ways with their nodes and tags, and facility nodes/ways (ways with a ``center``).

    Raises
    ------
    OfflineError
        The Overpass server cannot be reached.
    DownloadError
        The server answered with an error, a non-JSON page, or a runtime-error remark.
    """
    query = overpass_query(polygon)
    url = settings.overpass_url.rstrip("/") + "/interpreter"
    cache_file = _cache_file("overpass", url + query, ".json")
    log.info("Overpass query: %d poly filter(s), %d characters", len(_polygon_parts(polygon)),
             len(query))
    doc = _read_cache(cache_file)
    if doc is not None:
        log.info("Overpass answer from cache %s", cache_file)
        data = _to_osm(doc, url)
        data.sources.append(f"{_source_text(doc, url)} (cached {cache_file.name})")
        log.info("Overpass data: %s", data.summary())
        return data

    _check_reachable(url, "the Overpass API", _OVERPASS_HINT)
    content, doc = _post(url, query)
    data = _to_osm(doc, url)
    _write_cache(cache_file, content)
    log.info("cached the Overpass answer in %s", cache_file)
    data.sources.append(_source_text(doc, url))
    log.info("Overpass data: %s", data.summary())
    return data


def fetch_osm(place: str | None = None,
              boundary: str | Path | None = None) -> tuple[OsmData, Area]:
    """Find the area (a place name or a boundary file) and download its OSM data.

    Parameters
    ----------
    place
        A place name for Nominatim, e.g. ``"Cremona, Italia"``.
    boundary
        A boundary file; give exactly one of ``place`` and ``boundary``.

    Returns
    -------
    tuple
        The downloaded :class:`OsmData` and the area, in EPSG:4326.

    Raises
    ------
    ValueError
        Neither or both of ``place`` and ``boundary`` were given.
    """
    if (place is None) == (boundary is None):
        raise ValueError("give exactly one of place= and boundary=")
    if place is not None:
        area = boundary_from_place(place)
    else:
        area = boundary_from_file(boundary)  # type: ignore[arg-type]
    return download_osm(area), area


def _post(url: str, query: str) -> tuple[bytes, dict[str, Any]]:
    """POST the query; return the raw body and its JSON, or raise a clear error."""
    log.info("POST %s (connect timeout %g s, read timeout %g s)", url,
             settings.connect_timeout_s, settings.read_timeout_s)
    start = time.monotonic()
    try:
        response = requests.post(
            url, data={"data": query},
            headers={"User-Agent": settings.user_agent, "Accept": "application/json"},
            timeout=(settings.connect_timeout_s, settings.read_timeout_s),
        )
        content = response.content
    except requests.ConnectionError as exc:
        if not _never_connected(exc):  # connected, then the server dropped us
            raise DownloadError(f"The Overpass API at {url} broke off the answer: "
                                f"{_reason(exc)}") from exc
        raise OfflineError(f"Cannot reach the Overpass API at {url}: {_reason(exc)}. "
                           f"{_OVERPASS_HINT}") from exc
    except requests.Timeout as exc:
        raise DownloadError(f"The Overpass API at {url} sent no answer within "
                            f"{settings.read_timeout_s:g} s; the area may be too large, "
                            f"or the server busy") from exc
    except requests.RequestException as exc:
        raise DownloadError(f"The Overpass API at {url} failed: {exc}") from exc
    log.info("Overpass answered HTTP %d, %.1f kB in %.1f s", response.status_code,
             len(content) / 1000, time.monotonic() - start)

    said = _text_of(response)
    if response.status_code == 429:
        raise DownloadError(f"The Overpass API at {url} refuses more requests for now "
                            f"(HTTP 429 Too Many Requests); wait a minute and retry. "
                            f"The server said: {said}")
    if response.status_code == 504:
        raise DownloadError(f"The Overpass API at {url} is overloaded (HTTP 504 Gateway "
                            f"Timeout); retry later. The server said: {said}")
    if response.status_code != 200:
        raise DownloadError(f"The Overpass API at {url} answered HTTP {response.status_code} "
                            f"{response.reason}: {said}")
    try:
        doc = json.loads(content)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise DownloadError(f"The Overpass API at {url} did not answer with JSON "
                            f"({response.headers.get('Content-Type', 'no content type')}): "
                            f"{said}") from None
    if not isinstance(doc, dict):
        raise DownloadError(f"The Overpass API at {url} answered JSON that is not an "
                            f"object: {said}")
    remark = doc.get("remark")
    if remark:
        if "error" in str(remark).lower():
            raise DownloadError(f"The Overpass API at {url} failed to run the query: {remark}")
        log.warning("Overpass remark: %s", remark)
    return content, doc


def _to_osm(doc: Any, url: str) -> OsmData:
    try:
        return overpass_json_to_osm(doc, f"Overpass answer from {url}")
    except OsmFileError as exc:
        raise DownloadError(str(exc)) from exc


def _source_text(doc: Mapping[str, Any], url: str) -> str:
    stamp = (doc.get("osm3s") or {}).get("timestamp_osm_base") if isinstance(doc, Mapping) else None
    return f"Overpass API {url}" + (f", data as of {stamp}" if stamp else "")


def _text_of(response: requests.Response, limit: int = 300) -> str:
    """A short plain-text version of what the server said (HTML tags removed)."""
    text = response.text or ""
    if "<" in text and ">" in text:
        text = re.sub(r"(?is)<(script|style|head)\b.*?</\1>", " ", text)
        text = html.unescape(re.sub(r"<[^>]+>", " ", text))
    text = " ".join(text.split())
    if not text:
        return "(empty body)"
    return text if len(text) <= limit else text[:limit] + "..."


# --- reachability ------------------------------------------------------------------------

def _check_reachable(url: str, service: str, hint: str) -> None:
    """Raise :class:`OfflineError` unless a TCP connection to ``url``'s host succeeds.

    Name resolution and connection each take at most ``settings.connect_timeout_s``.
    When requests would go through a proxy (``HTTPS_PROXY`` ...), the proxy is checked.
    """
    timeout = float(settings.connect_timeout_s)
    start = time.monotonic()
    try:
        proxy = requests.utils.select_proxy(url, requests.utils.get_environ_proxies(url))
        target = urlsplit(proxy or url)
        host = target.hostname
        if target.scheme not in ("http", "https") or not host:
            raise OSError(f"{proxy or url!r} is not an http(s) URL")
        port = target.port or (443 if target.scheme == "https" else 80)
        log.info("checking that %s is reachable at %s:%d%s", service, host, port,
                 " (proxy)" if proxy else "")
        infos = _resolve(host, port, timeout)
        _connect_any(infos, timeout)
    except (OSError, ValueError) as exc:
        raise OfflineError(f"Cannot reach {service} at {url}: {_reason(exc)}. {hint}") from None
    log.info("%s is reachable (%.2f s)", service, time.monotonic() - start)


def _resolve(host: str, port: int, timeout: float) -> list[tuple[Any, ...]]:
    """``getaddrinfo`` with a time limit (it has none of its own)."""
    result: dict[str, Any] = {}

    def run() -> None:
        try:
            result["infos"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            result["error"] = exc

    thread = threading.Thread(target=run, name=f"resolve {host}", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise TimeoutError(f"looking up the name {host!r} took more than {timeout:g} s")
    if "error" in result:
        exc = result["error"]
        if isinstance(exc, socket.gaierror):
            raise OSError(f"the name {host!r} cannot be resolved ({exc.strerror or exc})")
        raise exc
    return result["infos"]


def _connect_any(infos: list[tuple[Any, ...]], timeout: float) -> None:
    last: OSError = OSError("no address")
    deadline = time.monotonic() + timeout
    for family, kind, proto, _, address in infos:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        try:
            with socket.socket(family, kind, proto) as sock:
                sock.settimeout(left)
                sock.connect(address)
                return
        except socket.timeout:
            last = TimeoutError(f"no answer from {address[0]} port {address[1]} "
                                f"within {timeout:g} s")
        except OSError as exc:
            last = OSError(f"{exc.strerror or exc} ({address[0]} port {address[1]})")
    raise last


def _never_connected(exc: requests.ConnectionError) -> bool:
    """True when requests failed before a connection existed (refused, DNS, timeout)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    inner = exc.args[0] if exc.args else None
    reason = getattr(inner, "reason", inner)  # MaxRetryError wraps the real cause
    return isinstance(reason, (urllib3.exceptions.NewConnectionError,
                               urllib3.exceptions.ConnectTimeoutError,
                               urllib3.exceptions.NameResolutionError))


def _reason(exc: BaseException) -> str:
    """The innermost useful message of a (requests/urllib3) exception chain."""
    text = str(exc)
    inner = exc
    while inner.__cause__ is not None or (inner.__context__ is not None
                                           and not inner.__suppress_context__):
        inner = inner.__cause__ or inner.__context__  # type: ignore[assignment]
        if isinstance(inner, OSError) and str(inner):
            text = str(inner)
    return text


# --- cache ---------------------------------------------------------------------------------

def _cache_file(kind: str, key: str, suffix: str) -> Path:
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
    return Path(settings.cache_dir) / kind / f"{digest}{suffix}"


def _read_cache(path: Path) -> Any:
    """The cached JSON at ``path``, or None when absent or unreadable."""
    try:
        return json.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("ignoring unreadable cache file %s (%s)", path, exc)
        return None


def _write_cache(path: Path, content: bytes) -> None:
    """Write ``content`` to ``path`` atomically: a temp file, then a rename."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(content)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    except OSError as exc:  # a cache that cannot be written must not lose the download
        log.warning("could not write cache file %s (%s)", path, exc)
