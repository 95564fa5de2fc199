"""Download OpenStreetMap data for an area: its boundary, then one Overpass API query.

The area comes from :mod:`accessibility.sources.boundaries`. :func:`download_osm`
sends one Overpass QL query and returns the same :class:`~accessibility.sources.osm.OsmData`
a file reader returns, holding what a file of the area holds for the package's purposes:

- the walkable ways, with all their nodes and tags;
- the facilities of ``data/facilities.toml`` as they are mapped: nodes, and ways and
  relations with their member ways and nodes, so a building keeps its outline and its
  ``entrance=*`` nodes (a centre point alone would place it worse than a file does);
- entrances mapped on their own, and the layers of a base map (:data:`BASEMAP_TAGS`):
  named streets, buildings and house numbers, parks, water, railways, squares and
  landmarks, with their geometry.

Everything comes back with ``out body`` after a full recursion down (``>``), the form
of an OSM file. Answers are cached on disk under ``settings.cache_dir``; a cached request
needs no network.

Every network step first checks, within ``settings.connect_timeout_s``, that the server
can be reached at all, so an offline machine gets an :class:`OfflineError` in seconds,
never a long hang. This module reads; it computes nothing else.
"""

from __future__ import annotations

import html
import json
import logging
import re
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import requests
from shapely.geometry import MultiPolygon, Polygon

from accessibility import settings
from accessibility.errors import CatalogueError, DownloadError, InputNotFoundError, OfflineError, OsmFileError
from accessibility.sources.boundaries import Area, boundary_from_file, boundary_from_place, polygon_parts
from accessibility.sources.catalogues import read_toml, shipped_toml
from accessibility.sources.http import cache_file, check_reachable, never_connected, read_cache, reason, write_cache
from accessibility.sources.osm import OsmData, overpass_json_to_osm

log = logging.getLogger(__name__)

__all__ = [
    "BASEMAP_TAGS",
    "boundary_from_file",
    "boundary_from_place",
    "download_osm",
    "facility_tags",
    "fetch_osm",
    "overpass_query",
]

_OVERPASS_HINT = "Are you offline? Build from a file instead: accessibility build --osm FILE"

#: What the download brings besides the walkable ways and the facilities: entrances and
#: the layers of a base map, as ``(element types, key, values, extra filter)``; ``"*"``
#: means any value.
BASEMAP_TAGS: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    ("node", "entrance", ("*",), ""),
    ("way", "highway", ("*",), '["name"]'),
    ("nwr", "building", ("*",), ""),
    ("nwr", "addr:housenumber", ("*",), ""),
    ("nwr", "leisure", ("garden", "park", "playground"), ""),
    ("nwr", "natural", ("water",), ""),
    ("nwr", "waterway", ("*",), ""),
    ("way", "railway", ("light_rail", "platform", "rail", "subway", "tram"), ""),
    ("nwr", "railway", ("station",), ""),
    ("nwr", "place", ("square",), ""),
    (
        "nwr",
        "amenity",
        ("cinema", "fountain", "marketplace", "place_of_worship", "theatre", "university"),
        "",
    ),
    ("nwr", "tourism", ("artwork", "attraction", "museum", "viewpoint"), ""),
    ("nwr", "historic", ("*",), ""),
)


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
        The query: one union of the walkable ways, the facility nodes, ways and
        relations, the entrances and the base-map layers (:data:`BASEMAP_TAGS`), then
        everything they are made of (``>``), printed as a file holds it (``out body``).
    """
    if not isinstance(area, (Polygon, MultiPolygon)):
        raise TypeError(f"expected a shapely Polygon or MultiPolygon, not {type(area).__name__}")
    if area.is_empty:
        raise ValueError("empty area")
    if facilities is None:
        facilities = facility_tags()
    polys = [_poly_filter(part) for part in polygon_parts(area)]
    highways = sorted(settings.walkable_highways | settings.walkable_if_foot_allowed)
    lines = [f"[out:json][timeout:{int(settings.overpass_timeout_s)}];", "("]
    lines += [f"  way{_tag_filter('highway', highways)}{poly};" for poly in polys]
    for key in sorted(facilities):
        values = sorted(set(facilities[key]))
        lines += [f"  nwr{_tag_filter(key, values)}{poly};" for poly in polys]
    for types, key, wanted, extra in BASEMAP_TAGS:
        lines += [f"  {types}{_tag_filter(key, list(wanted))}{extra}{poly};" for poly in polys]
    lines += [");", "(._;>;);", "out body;"]
    return "\n".join(lines) + "\n"


def facility_tags(path: str | Path | None = None) -> dict[str, list[str]]:
    """Read the tag matches of every facility category, merged by key.

    Parameters
    ----------
    path
        A facilities TOML file; default the shipped ``data/facilities.toml``.

    Returns
    -------
    dict
        Tag key -> sorted values (``"*"`` means any value).
    """
    doc = shipped_toml("facilities.toml") if path is None else read_toml(path, InputNotFoundError)
    merged: dict[str, set[str]] = {}
    for category, table in doc.items():
        match = table.get("match") if isinstance(table, dict) else None
        if not isinstance(match, dict):
            raise CatalogueError(f"{path or 'facilities.toml'}: category [{category}] has no 'match' table")
        for key, values in match.items():
            values = [values] if isinstance(values, str) else values
            merged.setdefault(str(key), set()).update(str(v) for v in values)
    return {key: sorted(values) for key, values in merged.items()}


def _poly_filter(polygon: Polygon) -> str:
    if polygon.interiors:
        log.info("the area has %d hole(s); Overpass gets the outer ring only", len(polygon.interiors))
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
        Nodes and ways with their tags and geometry, as a file of the area holds them.

    Raises
    ------
    OfflineError
        The Overpass server cannot be reached.
    DownloadError
        The server answered with an error, a non-JSON page, or a runtime-error remark.
    """
    query = overpass_query(polygon)
    url = settings.overpass_url.rstrip("/") + "/interpreter"
    path = cache_file("overpass", url + query, ".json")
    log.info("Overpass query: %d poly filter(s), %d characters", len(polygon_parts(polygon)), len(query))
    doc = read_cache(path)
    if doc is not None:
        log.info("Overpass answer from cache %s", path)
        data = _to_osm(doc, url)
        data.sources.append(f"{_source_text(doc, url)} (cached {path.name})")
        log.info("Overpass data: %s", data.summary())
        return data

    check_reachable(url, "the Overpass API", _OVERPASS_HINT)
    content, doc = _post(url, query)
    data = _to_osm(doc, url)
    write_cache(path, content)
    log.info("cached the Overpass answer in %s", path)
    data.sources.append(_source_text(doc, url))
    log.info("Overpass data: %s", data.summary())
    return data


def fetch_osm(place: str | None = None, boundary: str | Path | None = None) -> tuple[OsmData, Area]:
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
    log.info(
        "POST %s (connect timeout %g s, read timeout %g s)", url, settings.connect_timeout_s, settings.read_timeout_s
    )
    start = time.monotonic()
    try:
        response = requests.post(
            url,
            data={"data": query},
            headers={"User-Agent": settings.user_agent, "Accept": "application/json"},
            timeout=(settings.connect_timeout_s, settings.read_timeout_s),
        )
        content = response.content
    except requests.ConnectionError as exc:
        if not never_connected(exc):  # connected, then the server dropped us
            raise DownloadError(f"The Overpass API at {url} broke off the answer: {reason(exc)}") from exc
        raise OfflineError(f"Cannot reach the Overpass API at {url}: {reason(exc)}. {_OVERPASS_HINT}") from exc
    except requests.Timeout as exc:
        raise DownloadError(
            f"The Overpass API at {url} sent no answer within "
            f"{settings.read_timeout_s:g} s; the area may be too large, "
            f"or the server busy"
        ) from exc
    except requests.RequestException as exc:
        raise DownloadError(f"The Overpass API at {url} failed: {exc}") from exc
    log.info(
        "Overpass answered HTTP %d, %.1f kB in %.1f s",
        response.status_code,
        len(content) / 1000,
        time.monotonic() - start,
    )

    said = _text_of(response)
    if response.status_code == 429:
        raise DownloadError(
            f"The Overpass API at {url} refuses more requests for now "
            f"(HTTP 429 Too Many Requests); wait a minute and retry. "
            f"The server said: {said}"
        )
    if response.status_code == 504:
        raise DownloadError(
            f"The Overpass API at {url} is overloaded (HTTP 504 Gateway Timeout); retry later. The server said: {said}"
        )
    if response.status_code != 200:
        raise DownloadError(f"The Overpass API at {url} answered HTTP {response.status_code} {response.reason}: {said}")
    try:
        doc = json.loads(content)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise DownloadError(
            f"The Overpass API at {url} did not answer with JSON "
            f"({response.headers.get('Content-Type', 'no content type')}): "
            f"{said}"
        ) from None
    if not isinstance(doc, dict):
        raise DownloadError(f"The Overpass API at {url} answered JSON that is not an object: {said}")
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
