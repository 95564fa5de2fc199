"""What a request may ask, checked once at the door: coordinates, profile, overrides,
minutes, boxes, languages. Every refusal is a :class:`WebInputError` naming the parameter
and saying, in the request's language, what to change (pure: no I/O).

>>> parse_latlon("45.1335,10.0226", "from")
(45.1335, 10.0226)
>>> pick_language(None, "en-GB,en;q=0.9,it;q=0.5")
'en'
>>> pick_language(None, None)
'it'
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from accessibility.errors import AccessibilityError
from accessibility.i18n import LANGUAGES, _, number

__all__ = [
    "OVERRIDES",
    "WebInputError",
    "parse_bbox",
    "parse_float",
    "parse_latlon",
    "parse_minutes",
    "pick_language",
]


class WebInputError(ValueError, AccessibilityError):
    """A request parameter that cannot be used: which one, and what to change (HTTP 4xx)."""

    def __init__(self, message: str, parameter: str | None = None, status: int = 422) -> None:
        super().__init__(message)
        self.parameter = parameter
        self.status = status


#: Profile limits a request may change: parameter -> (profile field, lowest, highest, unit).
OVERRIDES: dict[str, tuple[str, float, float, str]] = {
    "max_kerb_cm": ("max_kerb_cm", 0.0, 30.0, "cm"),
    "max_incline_up_pct": ("max_incline_up_pct", 0.5, 30.0, "%"),
    "max_incline_down_pct": ("max_incline_down_pct", 0.5, 30.0, "%"),
    "min_width_cm": ("min_width_cm", 0.0, 300.0, "cm"),
    "max_steps": ("max_steps", 0.0, 1000.0, ""),
}


def pick_language(lang: str | None, accept: str | None) -> str:
    """The language of a request: its ``lang`` parameter when it is one of ours, else the
    best of ``Accept-Language`` that we have, else Italian."""
    if lang and lang.lower() in LANGUAGES:
        return lang.lower()
    choices: list[tuple[float, int, str]] = []
    for i, part in enumerate((accept or "").split(",")):
        code, _sep, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        base = code.split("-")[0].strip().lower()
        if base in LANGUAGES and q > 0:
            choices.append((-q, i, base))
    return min(choices)[2] if choices else LANGUAGES[0]


def check_lang_parameter(lang: str | None) -> None:
    """A ``lang`` parameter we do not have is refused (not silently ignored)."""
    if lang is not None and lang.lower() not in LANGUAGES:
        raise WebInputError(
            _("unknown language {value}; use one of: {choices}").format(value=repr(lang), choices=", ".join(LANGUAGES)),
            "lang",
        )


def parse_latlon(
    value: str | None, parameter: str, area: tuple[float, float, float, float] | None = None
) -> tuple[float, float]:
    """``"lat,lon"`` as two floats; refuses missing, malformed, out-of-range values, and
    points far outside the city's box ``(min lon, min lat, max lon, max lat)`` whose
    swapped reading falls inside it (a common slip: ``lon,lat``)."""
    if value is None or not value.strip():
        raise WebInputError(
            _("{parameter} is missing: give it as latitude,longitude (e.g. 45.1335,10.0226)").format(
                parameter=parameter
            ),
            parameter,
        )
    parts = value.replace(" ", "").split(",")
    try:
        if len(parts) != 2:
            raise ValueError
        lat, lon = float(parts[0]), float(parts[1])
    except ValueError:
        raise WebInputError(
            _("{parameter}={value} is not latitude,longitude (e.g. 45.1335,10.0226)").format(
                parameter=parameter, value=repr(value[:60])
            ),
            parameter,
        ) from None
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise WebInputError(
            _("{parameter}: latitude must be within -90 and 90 and longitude within -180 and 180").format(
                parameter=parameter
            ),
            parameter,
        )
    if area is not None and not _inside(lon, lat, area, 0.05) and _inside(lat, lon, area, 0.05):
        raise WebInputError(
            _(
                "{parameter}: {lat},{lon} lies outside the city, but {lon},{lat} lies inside: "
                "give latitude first, then longitude"
            ).format(parameter=parameter, lat=parts[0], lon=parts[1]),
            parameter,
        )
    return lat, lon


def _inside(lon: float, lat: float, box: tuple[float, float, float, float], margin: float) -> bool:
    return box[0] - margin <= lon <= box[2] + margin and box[1] - margin <= lat <= box[3] + margin


def parse_float(value: str | None, parameter: str, low: float, high: float, unit: str = "") -> float | None:
    """An optional number within ``low..high``."""
    if value is None or value == "":
        return None
    try:
        x = float(value.replace(",", ".")) if isinstance(value, str) else float(value)
    except ValueError:
        x = math.nan
    if not math.isfinite(x) or not low <= x <= high:
        raise WebInputError(
            _("{parameter}={value} is not a number between {low} and {high} {unit}")
            .format(
                parameter=parameter, value=repr(str(value)[:30]), low=number(low, 1), high=number(high, 1), unit=unit
            )
            .strip(),
            parameter,
        )
    return x


def parse_overrides(params: dict[str, Any]) -> dict[str, Any]:
    """The profile limits a request changes (``max_kerb_cm`` ...), checked, and
    ``unknown`` (``avoid`` or ``accept``)."""
    out: dict[str, Any] = {}
    for name, (field, low, high, unit) in OVERRIDES.items():
        x = parse_float(params.get(name), name, low, high, unit)
        if x is not None:
            out[field] = int(x) if field == "max_steps" else x
    unknown = params.get("unknown")
    if unknown not in (None, ""):
        if unknown not in {"avoid", "accept"}:
            raise WebInputError(
                _("unknown={value}: say avoid (treat paths without data as barriers) or accept").format(
                    value=repr(str(unknown)[:30])
                ),
                "unknown",
            )
        out["unknown"] = "avoid" if unknown == "avoid" else "penalty"
    return out


def parse_minutes(value: str | None, allowed: Iterable[float] = (5, 10, 15), most: float = 30) -> list[float]:
    """``"5,10,15"`` as a sorted list of minutes, each within 1..``most``, at most five."""
    if value is None or value == "":
        return sorted(float(m) for m in allowed)
    out = []
    for part in value.split(","):
        x = parse_float(part.strip(), "minutes", 1, most, "min")
        if x is not None:
            out.append(x)
    if not out or len(out) > 5:
        raise WebInputError(_("minutes: give one to five numbers of minutes, e.g. 5,10,15"), "minutes")
    return sorted(set(out))


def parse_bbox(value: str | None, most_deg: float = 0.5) -> tuple[float, float, float, float] | None:
    """``"min lon,min lat,max lon,max lat"`` (WGS84), at most ``most_deg`` a side."""
    if value is None or value == "":
        return None
    try:
        box = tuple(float(p) for p in value.split(","))
        if len(box) != 4 or not all(math.isfinite(x) for x in box):
            raise ValueError
    except ValueError:
        raise WebInputError(
            _("bbox={value} is not min lon,min lat,max lon,max lat").format(value=repr(value[:80])), "bbox"
        ) from None
    w, s, e, n = box
    if not (-180 <= w < e <= 180 and -90 <= s < n <= 90):
        raise WebInputError(
            _("bbox: west must be less than east and south less than north, within -180..180 and -90..90"), "bbox"
        )
    if e - w > most_deg or n - s > most_deg:
        raise WebInputError(
            _("bbox: at most {degrees} degrees a side; ask for a smaller box").format(degrees=number(most_deg, 1)),
            "bbox",
        )
    return w, s, e, n
