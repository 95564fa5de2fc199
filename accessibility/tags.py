"""Parse OpenStreetMap tag values into numbers, and say why when they cannot be parsed.

Pure functions: each takes the raw string and returns ``(value, problem)``. ``value`` is
``None`` when the tag says nothing usable; ``problem`` is ``None`` or a short English
sentence naming what was wrong. Nothing here guesses silently: every reinterpretation
(a decimal comma, a missing unit) is accepted only where it is unambiguous.

>>> parse_length_m("1,2 m")
(1.2, None)
>>> parse_incline_pct("steep")
(None, "'steep' is not a number with % or °")
"""

from __future__ import annotations

import math
import re

Parsed = tuple[float | None, str | None]

_NUMBER = r"[+-]?\d+(?:[.,]\d+)?|[+-]?[.,]\d+"
_LENGTH = re.compile(rf"^\s*({_NUMBER})\s*(mm|cm|m|km|ft|in|'|\"|)\s*$", re.IGNORECASE)
_FEET_INCHES = re.compile(r"^\s*(\d+)\s*'\s*(\d+(?:\.\d+)?)\s*\"\s*$")
_INCLINE = re.compile(rf"^\s*({_NUMBER})\s*(%|°|deg|)\s*$", re.IGNORECASE)
_TO_METRES = {"mm": 0.001, "cm": 0.01, "m": 1.0, "km": 1000.0, "ft": 0.3048, "'": 0.3048,
              "in": 0.0254, '"': 0.0254}


def _number(text: str) -> float:
    return float(text.replace(",", "."))


def parse_length_m(raw: str | None, *, bare_unit: str = "m", bare_max: float | None = None) -> Parsed:
    """Parse a length such as ``width`` or ``kerb:height`` into metres.

    A number without unit is in ``bare_unit`` (OSM's default is metres). When
    ``bare_max`` is given, a bare number above it is taken as centimetres and reported:
    ``kerb:height=3`` is a 3 cm kerb, not a 3 m wall.
    """
    if raw is None:
        return None, None
    text = raw.strip()
    m = _FEET_INCHES.match(text)
    if m:
        return int(m.group(1)) * 0.3048 + float(m.group(2)) * 0.0254, None
    m = _LENGTH.match(text)
    if not m:
        return None, f"{raw!r} is not a length (expected e.g. '1.2', '120 cm')"
    value, unit = _number(m.group(1)), m.group(2).lower()
    if value < 0:
        return None, f"{raw!r} is negative"
    if not unit:
        if bare_max is not None and value > bare_max:
            return value * 0.01, f"{raw!r} has no unit and is too large for metres: read as cm"
        unit = bare_unit
    return value * _TO_METRES[unit], None


def parse_incline_pct(raw: str | None) -> Parsed:
    """Parse ``incline`` into a signed percentage along the way's direction.

    ``up``/``down`` (no number) give ``None`` without a problem: the direction is
    known, the steepness is not. Degrees are converted (``5°`` is 8.75 %).
    """
    if raw is None:
        return None, None
    text = raw.strip().lower()
    if text in {"up", "down", "yes"}:
        return None, None
    m = _INCLINE.match(text)
    if not m:
        return None, f"{raw!r} is not a number with % or °"
    value, unit = _number(m.group(1)), m.group(2)
    if unit in {"°", "deg"}:
        if abs(value) >= 90:
            return None, f"{raw!r} is not a possible angle"
        return math.tan(math.radians(value)) * 100.0, None
    if not unit and value != 0:
        return value, f"{raw!r} has no unit: read as %"
    return value, None


def parse_count(raw: str | None) -> Parsed:
    """Parse a whole count such as ``step_count``."""
    if raw is None:
        return None, None
    text = raw.strip()
    if not re.fullmatch(r"\d+", text):
        return None, f"{raw!r} is not a whole number"
    return float(int(text)), None


def is_yes(raw: str | None) -> bool | None:
    """``True`` for yes-like values, ``False`` for no, ``None`` when absent or other."""
    if raw is None:
        return None
    text = raw.strip().lower()
    if text in {"yes", "designated", "true", "1"}:
        return True
    if text in {"no", "false", "0", "none"}:
        return False
    return None
