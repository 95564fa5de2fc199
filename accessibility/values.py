"""Read values as people and OpenStreetMap write them, and say why when they cannot be read.

The one value parser of the package: OSM tag values (``width=1,2 m``, ``kerb:height=3 cm``,
``incline=8%``), survey spreadsheet cells (``12,5``, ``03/05/2025``, ``sì``) and registry
columns all go through here, so ``120 cm`` means the same everywhere.

Tag parsers take the raw string and return ``(value, problem)``: ``value`` is ``None``
when the tag says nothing usable; ``problem`` is ``None`` or a short sentence (a
:class:`~accessibility.i18n.Message`, shown in the language in use) naming what was wrong.
Nothing here guesses silently: every reinterpretation (a decimal comma, a missing unit)
is accepted only where it is unambiguous. :func:`parse_tag` adds plausibility: a value
no street can have (``width=999999999999``, ``kerb:height=10 km``) is a problem and is
treated as unknown, never used. Cell parsers raise ``ValueError`` for values that cannot
be read; ``nan`` and ``inf`` are never numbers.

>>> parse_length_m("1,2 m")
(1.2, None)
>>> parse_incline_pct("steep")[1].text("en")
"'steep' is not a number with % or °"
>>> parse_tag("kerb:height", "10 km")[1].text("en")
"'10 km' is not a plausible value (at most 1 m): treated as unknown"
>>> parse_number("1.234,5")
1234.5
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from typing import Any

import pandas as pd

from accessibility.i18n import M, Message

__all__ = [
    "PLAUSIBLE",
    "is_yes",
    "normalise_name",
    "parse_count",
    "parse_date",
    "parse_flag",
    "parse_incline_pct",
    "parse_length_m",
    "parse_number",
    "parse_tag",
]

Parsed = tuple[float | None, Message | None]

_NUMBER = r"[+-]?\d+(?:[.,]\d+)?|[+-]?[.,]\d+"
_LENGTH = re.compile(rf"^\s*({_NUMBER})\s*(mm|cm|m|km|ft|in|'|\"|)\s*$", re.IGNORECASE)
_FEET_INCHES = re.compile(r"^\s*(\d+)\s*'\s*(\d+(?:\.\d+)?)\s*\"\s*$")
_INCLINE = re.compile(rf"^\s*({_NUMBER})\s*(%|°|deg|)\s*$", re.IGNORECASE)
_TO_METRES = {"mm": 0.001, "cm": 0.01, "m": 1.0, "km": 1000.0, "ft": 0.3048, "'": 0.3048, "in": 0.0254, '"': 0.0254}


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
        return None, M("{raw} is not a length (expected e.g. '1.2', '120 cm')", raw=repr(raw))
    value, unit = _number(m.group(1)), m.group(2).lower()
    if value < 0:
        return None, M("{raw} is negative", raw=repr(raw))
    if not unit:
        if bare_max is not None and value > bare_max:
            return value * 0.01, M("{raw} has no unit and is too large for metres: read as cm", raw=repr(raw))
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
        return None, M("{raw} is not a number with % or °", raw=repr(raw))
    value, unit = _number(m.group(1)), m.group(2)
    if unit in {"°", "deg"}:
        if abs(value) >= 90:
            return None, M("{raw} is not a possible angle", raw=repr(raw))
        return math.tan(math.radians(value)) * 100.0, None
    if not unit and value != 0:
        return value, M("{raw} has no unit: read as %", raw=repr(raw))
    return value, None


def parse_count(raw: str | None) -> Parsed:
    """Parse a whole count such as ``step_count``."""
    if raw is None:
        return None, None
    text = raw.strip()
    if not re.fullmatch(r"\d+", text):
        return None, M("{raw} is not a whole number", raw=repr(raw))
    return float(int(text)), None


#: The largest value a tag can plausibly have on a pedestrian way, in the parsed unit
#: (metres, percent, steps). Beyond it the value is a typing error (``width=999999999999``,
#: ``kerb:height=10 km``): listed as a problem and treated as unknown, never used.
PLAUSIBLE: dict[str, tuple[float, str]] = {
    "width": (100.0, "100 m"),  # a pedestrian square, not a path
    "est_width": (100.0, "100 m"),
    "maxwidth": (100.0, "100 m"),
    "kerb:height": (1.0, "1 m"),  # a quay wall, not a kerb
    "incline": (100.0, "100 %"),  # 45°: steeper is a staircase or a wall
    "step_count": (1000.0, "1000"),  # a very long flight
}

_TAG_PARSERS = {
    "width": lambda raw: parse_length_m(raw),
    "est_width": lambda raw: parse_length_m(raw),
    "maxwidth": lambda raw: parse_length_m(raw),
    "kerb:height": lambda raw: parse_length_m(raw, bare_max=0.5),
    "incline": parse_incline_pct,
    "step_count": parse_count,
}


def parse_tag(key: str, raw: str | None) -> Parsed:
    """Parse the OSM tag ``key`` (one of :data:`PLAUSIBLE`) and check the value is one a
    pedestrian way can have.

    Parameters
    ----------
    key
        ``width``, ``est_width``, ``maxwidth``, ``kerb:height``, ``incline`` or ``step_count``.
    raw
        The tag's value as mapped.

    Returns
    -------
    tuple
        ``(value, problem)`` as the other tag parsers; an implausible value gives
        ``(None, problem)``: unknown, and listed.

    Raises
    ------
    KeyError
        ``key`` is not a numeric tag this module knows.

    >>> parse_tag("width", "1,5 m")
    (1.5, None)
    >>> parse_tag("step_count", "999999999999")[0] is None
    True
    """
    value, problem = _TAG_PARSERS[key](raw)
    limit, shown = PLAUSIBLE[key]
    if value is not None and not (math.isfinite(value) and abs(value) <= limit):
        return None, M(
            "{raw} is not a plausible value (at most {limit}): treated as unknown", raw=repr(raw), limit=shown
        )
    return value, problem


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


def normalise_name(text: str) -> str:
    """``"Data rilievo "`` -> ``"data_rilievo"``; ``"Gravità"`` -> ``"gravita"``: how column
    headers, kind names and yes/no words are compared.

    >>> normalise_name("Data rilievo "), normalise_name("Gravità")
    ('data_rilievo', 'gravita')
    """
    plain = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode("ascii")
    out = "".join(c if c.isalnum() else "_" for c in plain.strip().lower())
    while "__" in out:
        out = out.replace("__", "_")
    return out.strip("_")


# --- cells of spreadsheets and registries ---------------------------------------------------


def parse_number(value: Any) -> float:
    """A number as people type it: ``12``, ``12,5``, ``1.234,5``, ``1,234.5``, ``8 %``.

    >>> parse_number("12,5"), parse_number("1.234,5"), parse_number(" 8 %")
    (12.5, 1234.5, 8.0)
    """
    if isinstance(value, bool):
        raise ValueError("not a number")
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError("not a number")
        return float(value)
    text = str(value).strip().replace("\u00a0", "").replace(" ", "").rstrip("%")
    if "," in text and "." in text:
        if text.rfind(",") > text.rfind("."):
            text = text.replace(".", "").replace(",", ".")
        else:
            text = text.replace(",", "")
    elif text.count(",") == 1:
        text = text.replace(",", ".")
    if not re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", text):
        raise ValueError("not a number")
    number = float(text)
    if not math.isfinite(number):  # 1e999
        raise ValueError("not a number")
    return number


_DATE_PATTERNS = (
    (re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})"), ("y", "m", "d")),
    (re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})"), ("d", "m", "y")),
    (re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})"), ("y", "m", "d")),
)


def parse_date(value: Any) -> dt.date:
    """A date as Italian spreadsheets hold it: ``2025-05-03``, ``03/05/2025`` (day first),
    ``3.5.2025``, or a spreadsheet date cell; a time after the date is ignored.

    >>> parse_date("03/05/2025"), parse_date("2025-05-03T09:30")
    (datetime.date(2025, 5, 3), datetime.date(2025, 5, 3))
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, pd.Timestamp):
        return value.date()
    text = str(value).strip()
    for pattern, order in _DATE_PATTERNS:
        m = pattern.match(text)
        if m and (m.end() == len(text) or text[m.end()] in "T "):
            parts = dict(zip(order, (int(g) for g in m.groups())))
            return dt.date(parts["y"], parts["m"], parts["d"])  # ValueError on 31/02
    raise ValueError("not a date")


_TRUE = {"si", "s", "yes", "y", "true", "vero", "1", "x", "temporaneo", "temporary"}
_FALSE = {"no", "n", "false", "falso", "0", "permanente", "permanent"}


def parse_flag(value: Any) -> bool:
    """Yes/no as people write it: ``sì``, ``si``, ``x``, ``1``, ``yes`` / ``no``, ``0``."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    key = normalise_name(str(value))
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    raise ValueError("not yes/no")


# --- money ---------------------------------------------------------------------------------------

_SUFFIX = {"k": 1_000, "m": 1_000_000}
_PATTERNS = (
    re.compile(r"\d+"),  # 150000
    re.compile(r"\d{1,3}(?:\.\d{3})+(?:,\d{1,2})?"),  # 150.000 and 150.000,00 (Italian)
    re.compile(r"\d+,\d{1,2}"),  # 150000,50 (Italian decimals, no grouping)
    re.compile(r"\d{1,3}(?:,\d{3})+\.\d{1,2}"),  # 150,000.00 (English, with its decimals: not ambiguous)
    re.compile(r"\d+\.\d{1,2}"),  # 150000.5 (a decimal point: no Italian grouping has 1-2 digits)
)


def parse_euros(text: str) -> float:
    """A budget as people write it, in euros: ``150000``, ``150.000``, ``150.000,00``,
    ``150k``, ``1,5M`` (``€`` and spaces allowed). Anything ambiguous is refused rather
    than guessed: ``150,000`` could be 150 thousand or 150 with three decimals.

    >>> [parse_euros(t) for t in ("150000", "150.000", "150.000,00", "150k", "1,5M", "€ 2.500,50")]
    [150000.0, 150000.0, 150000.0, 150000.0, 1500000.0, 2500.5]

    Raises
    ------
    ValueError
        The text is not one of those forms (the message says how to write it).
    """
    raw = str(text)
    value = raw.strip().replace("€", "").replace("\u00a0", "").replace(" ", "").lower()
    value = value.removesuffix("euro").removesuffix("eur")
    factor = 1
    if value[-1:] in _SUFFIX:
        factor = _SUFFIX[value[-1]]
        value = value[:-1]
        if not re.fullmatch(r"\d+(?:[.,]\d{1,2})?", value):
            raise ValueError(raw)
        return float(value.replace(",", ".")) * factor
    if not any(p.fullmatch(value) for p in _PATTERNS):
        raise ValueError(raw)
    if "," in value and "." in value and value.index(",") < value.index("."):  # 150,000.00
        value = value.replace(",", "")
    elif re.fullmatch(r"\d+\.\d{1,2}", value):  # a decimal point
        pass
    else:
        value = value.replace(".", "").replace(",", ".")
    result = float(value)
    if not math.isfinite(result):
        raise ValueError(raw)
    return result
