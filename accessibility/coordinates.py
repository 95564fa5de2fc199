"""Coordinates as surveys and registries give them: which CRS, which order, inside the city?

Italian files carry WGS84 latitude/longitude, UTM 32N, Gauss-Boaga or RDN2008 x/y, in
either order. :func:`locate` places a pair in WGS84 and checks it lies in the city's
area; when only the other order does, the swap is unambiguous and it says so (pure).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

import shapely
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

from accessibility import settings
from accessibility.values import normalise_name

__all__ = ["Location", "infer_projected_crs", "locate", "parse_crs"]

_CRS_NAMES = {
    "wgs84": 4326,
    "wgs_84": 4326,
    "gps": 4326,
    "latlon": 4326,
    "utm32n": 32632,
    "utm_32n": 32632,
    "wgs84_utm32n": 32632,
    "utm32": 32632,
    "gauss_boaga": 3003,
    "gaussboaga": 3003,
    "monte_mario": 3003,
    "gauss_boaga_ovest": 3003,
    "rdn2008": 6707,
    "rdn2008_utm32n": 6707,
}


def parse_crs(value: Any) -> int:
    """An EPSG code from ``3003``, ``EPSG:3003``, ``Gauss-Boaga``, ``WGS84``...; only the
    systems of ``settings.survey_crs``."""
    if isinstance(value, (int, float)) and float(value).is_integer():
        code = int(value)
    else:
        key = normalise_name(str(value))
        digits = re.fullmatch(r"(?:epsg_?)?(\d{4,5})", key)
        code = int(digits.group(1)) if digits else _CRS_NAMES.get(key, -1)
    if code not in settings.survey_crs:
        raise ValueError("unknown CRS")
    return code


@cache
def _to_wgs84(epsg: int) -> Transformer:
    return Transformer.from_crs(epsg, 4326, always_xy=True)


def infer_projected_crs(x: float, y: float) -> int | None:
    """UTM 32N or Gauss-Boaga West from the size of the numbers, where only one fits
    northern Italy (RDN2008 UTM 32N is within a metre of WGS84 UTM 32N)."""
    if 4.0e6 < y < 5.5e6:
        if 1.0e5 < x < 1.0e6:
            return 32632
        if 1.2e6 < x < 1.9e6:
            return 3003
    return None


@dataclass(frozen=True)
class Location:
    lon: float
    lat: float
    swapped: bool
    crs: int
    inferred_crs: bool


def locate(first: float, second: float, crs: int | None, area_wgs84: BaseGeometry, geographic: bool) -> Location | str:
    """Place a coordinate pair in WGS84 and check it lies in ``area_wgs84``.

    ``geographic``: the pair is (lon, lat); else (x, y) in ``crs`` (inferred from the
    numbers when ``None``). When the pair lies outside the area as given but inside it
    the other way round, the swap is unambiguous and the result says ``swapped``.
    Returns a :class:`Location`, or a reason code (``outside``, ``no_crs``).
    """
    area = _prepared(area_wgs84)
    tried_crs = False
    for a, b, swapped in ((first, second, False), (second, first, True)):
        epsg: int | None
        if geographic:
            epsg, inferred = 4326, False
            lon, lat = a, b
        else:
            epsg, inferred = (crs, False) if crs is not None else (infer_projected_crs(a, b), True)
            if epsg is None:
                continue
            tried_crs = True
            lon, lat = _to_wgs84(epsg).transform(a, b) if epsg != 4326 else (a, b)
        if (
            math.isfinite(lon)
            and math.isfinite(lat)
            and -180 <= lon <= 180
            and -90 <= lat <= 90
            and shapely.contains_xy(area, lon, lat)
        ):
            return Location(float(lon), float(lat), swapped, epsg, inferred)
    if not geographic and not tried_crs:
        return "no_crs"
    return "outside"


_PREPARED: dict[int, BaseGeometry] = {}


def _prepared(geom: BaseGeometry) -> BaseGeometry:
    """``geom`` prepared once (kept while it is the last area asked for)."""
    key = id(geom)
    if key not in _PREPARED or _PREPARED[key] is not geom:
        _PREPARED.clear()
        shapely.prepare(geom)
        _PREPARED[key] = geom
    return _PREPARED[key]
