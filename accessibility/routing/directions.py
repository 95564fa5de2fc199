"""Step-by-step directions in Italian or English ("gira a destra in Via Dante, 120 m").

Pure: takes the route's legs and returns one sentence per step. A leg is a
:class:`Leg` (the way's name and kind, metres walked, bearing of its first and last
segment: what route assembly reads from flat arrays) or, through :func:`directions`,
edge attributes and the piece of geometry walked in a metric CRS. Consecutive legs on
the same street are joined; a turn is named from the change of bearing where two steps
meet.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any, NamedTuple

import numpy as np
from numba import njit
from shapely import LineString

from accessibility.i18n import N_, _, check_language, language, number, use_language

__all__ = [
    "TURNS",
    "Leg",
    "bearing",
    "coded_sentences",
    "directions",
    "sentences",
    "step_sentences",
    "turn_class",
    "turn_code",
    "way_label",
]


class Leg(NamedTuple):
    """One piece of a route for directions: the way's ``name`` (or None) and ``kind``
    (:func:`way_label`), ``length`` in metres, and the compass bearing of its first and
    last segment."""

    name: str | None
    kind: str
    length: float
    bearing_start: float
    bearing_end: float


#: Where a step goes on a way without a name, by its kind ("on the crossing").
_UNNAMED = {
    "crossing": N_("on the crossing"),
    "sidewalk": N_("on the sidewalk"),
    "steps": N_("on the steps"),
    "elevator": N_("in the lift"),
    "path": N_("on the footpath"),
    "street": N_("on the street"),
}
#: Turns, by turn class.
_TURNS = {
    "straight": N_("continue straight"),
    "slight_right": N_("bear right"),
    "right": N_("turn right"),
    "sharp_right": N_("turn sharp right"),
    "slight_left": N_("bear left"),
    "left": N_("turn left"),
    "sharp_left": N_("turn sharp left"),
    "back": N_("turn back"),
}
_HEADINGS = [
    N_("north"),
    N_("north-east"),
    N_("east"),
    N_("south-east"),
    N_("south"),
    N_("south-west"),
    N_("west"),
    N_("north-west"),
]


def way_label(data: dict[str, Any]) -> tuple[str | None, str]:
    """``(name, kind)`` of an edge: its street name, or a kind for unnamed ways."""
    name = data.get("name")
    if isinstance(name, str) and name:
        return name, "named"
    if data.get("footway") == "crossing" or data.get("highway") == "crossing":
        return None, "crossing"
    if data.get("footway") == "sidewalk":
        return None, "sidewalk"
    if data.get("highway") in {"steps", "elevator"}:
        return None, data["highway"]
    if data.get("highway") in {"footway", "path", "pedestrian", "corridor", "platform", "bridleway", "track"}:
        return None, "path"
    return None, "street"


def bearing(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Compass bearing in degrees from ``a`` to ``b`` (x east, y north)."""
    return math.degrees(math.atan2(b[0] - a[0], b[1] - a[1])) % 360


#: Turn classes by code (:func:`turn_code`).
TURNS = ("straight", "slight_right", "slight_left", "right", "left", "sharp_right", "sharp_left", "back")


def turn_class(delta: float) -> str:
    """Name a change of bearing (degrees, clockwise positive) as a turn.

    >>> turn_class(90), turn_class(-30), turn_class(5)
    ('right', 'slight_left', 'straight')
    """
    return TURNS[turn_code(delta)]


@njit(cache=True, nogil=True)
def turn_code(delta: float) -> int:
    """The turn class of a change of bearing as its position in :data:`TURNS`: straight
    under 20°, slight under 45°, plain under 135°, sharp under 170°, else back."""
    delta = (delta + 180.0) % 360.0 - 180.0
    a = abs(delta)
    if a < 20:
        return 0
    left = 0 if delta > 0 else 1
    if a < 45:
        return 1 + left
    if a < 135:
        return 3 + left
    if a < 170:
        return 5 + left
    return 7


@njit(cache=True, nogil=True)
def step_codes(steps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per step (rows ``(metres, first bearing, last bearing)``): its whole metres (``-1``
    when not finite) and its code, the heading (0 north, 1 north-east ...) of the first
    step and the :func:`turn_code` of the others from the step before."""
    n = steps.shape[0]
    metres = np.empty(n, dtype=np.int64)
    codes = np.empty(n, dtype=np.int64)
    for i in range(n):
        length = steps[i, 0]
        metres[i] = int(round(length)) if math.isfinite(length) else -1
        if i == 0:
            codes[i] = int((steps[i, 1] + 22.5) // 45) % 8
        else:
            codes[i] = turn_code(steps[i, 1] - steps[i - 1, 2])
    return metres, codes


def directions(legs: list[tuple[dict[str, Any], LineString]], lang: str | None = None) -> list[str]:
    """One sentence per step for a route made of ``legs`` ``(edge data, piece walked)``,
    in ``lang`` (default: the language in use).

    >>> from shapely import LineString
    >>> legs = [({"name": "Via Dante"}, LineString([(0, 0), (0, 100)])),
    ...         ({"footway": "crossing"}, LineString([(0, 100), (12, 100)]))]
    >>> directions(legs, "it")
    ['parti in Via Dante verso nord, 100 m', "gira a destra sull'attraversamento, 12 m", 'sei arrivato']
    """
    out: list[Leg] = []
    for data, line in legs:
        coords = list(line.coords)
        if len(coords) < 2 or line.length <= 0:
            continue
        out.append(Leg(*way_label(data), line.length, bearing(coords[0], coords[1]), bearing(coords[-2], coords[-1])))
    return sentences(out, lang)


def sentences(legs: list[Leg], lang: str | None = None) -> list[str]:
    """One sentence per step for a route made of ``legs`` (:class:`Leg`), in ``lang``
    (default: the language in use); legs of no length are skipped.

    >>> sentences([Leg("Via Dante", "named", 100.0, 0.0, 0.0), Leg(None, "crossing", 12.0, 90.0, 90.0)], "en")
    ['start on Via Dante heading north, 100 m', 'turn right on the crossing, 12 m', 'you have arrived']
    """
    with use_language(lang):
        return _sentences(legs)


@lru_cache(maxsize=8)
def _texts(lang: str) -> dict[str, Any]:
    """Every fixed text of the directions in ``lang``, translated once (a route has dozens
    of steps: a catalogue look-up per word adds up)."""
    with use_language(lang):
        return {
            "unnamed": {k: _(v) for k, v in _UNNAMED.items()},
            "turns": [_(_TURNS[name]) for name in TURNS],
            "headings": [_(h) for h in _HEADINGS],
            "start_on": _("start on {street} heading {heading}, {metres} m"),
            "start_where": _("start {where} heading {heading}, {metres} m"),
            "turn_onto": _("{turn} onto {street}, {metres} m"),
            "turn_where": _("{turn} {where}, {metres} m"),
            "arrived": _("you have arrived"),
        }


def _sentences(legs: list[Leg]) -> list[str]:
    steps: list[list[Any]] = []  # [name, kind, length, first bearing, last bearing]
    for leg in legs:
        if leg.length <= 0:
            continue
        if steps and steps[-1][0] == leg.name and steps[-1][1] == leg.kind:
            steps[-1][2] += leg.length
            steps[-1][4] = leg.bearing_end
        else:
            steps.append([leg.name, leg.kind, leg.length, leg.bearing_start, leg.bearing_end])
    return step_sentences(steps, language())


def step_sentences(steps: list[list[Any]], lang: str) -> list[str]:
    """:func:`sentences` for legs already merged into steps ``[name, kind, metres, first
    bearing, last bearing]`` (consecutive steps on different ways, each of some length:
    what route assembly gives), in ``lang``.

    >>> step_sentences([["Via Dante", "named", 100.0, 0.0, 0.0], [None, "crossing", 12.0, 90.0, 90.0]], "en")
    ['start on Via Dante heading north, 100 m', 'turn right on the crossing, 12 m', 'you have arrived']
    """
    table = np.array([step[2:] for step in steps], dtype=float).reshape(-1, 3)
    return coded_sentences([(step[0], step[1]) for step in steps], table, check_language(lang))


def coded_sentences(ways: list[tuple[str | None, str]], steps: np.ndarray, lang: str) -> list[str]:
    """The sentences of steps given as their ways ``(name, kind)`` and an array of rows
    ``(metres, first bearing, last bearing)`` (:func:`step_codes` names the turns), in
    ``lang``.

    A sentence differs from the last one on the same way, turn and language only by its
    metres: it is made once as the text before and after them (:func:`_around_metres`),
    and later only joined to them."""
    t = _texts(lang)
    out: list[str] = []
    whole, codes = (a.tolist() for a in step_codes(steps))
    for i, (way, m, code) in enumerate(zip(ways, whole, codes)):
        key = (lang, i == 0, way, code)
        around = _AROUND.get(key)
        if around is None:
            if len(_AROUND) >= _AROUND_MAX:
                _AROUND.clear()
            around = _AROUND[key] = _around_metres(t, i == 0, way, code)
        metres = _whole_number(m, lang)
        out.append(around[0] + metres + around[1] if len(around) == 2 else _sentence(t, i == 0, way, code, metres))
    out.append(t["arrived"])
    return out


#: sentences by ``(language, first step, way, code)`` as the text around their metres
_AROUND: dict[tuple[str, bool, tuple[str | None, str], int], tuple[str, ...]] = {}
_AROUND_MAX = 50_000
_METRES = "\x00"  # stands for the metres while a sentence is split around them


def _sentence(t: dict[str, Any], first: bool, way: tuple[str | None, str], code: int, metres: str) -> str:
    """One step's sentence: the first names the heading, the others the turn."""
    street, kind = way
    where = "" if street else t["unnamed"][kind]
    if first:
        text = t["start_on"] if street else t["start_where"]
        return text.format(street=street, where=where, heading=t["headings"][code], metres=metres)
    text = t["turn_onto"] if street else t["turn_where"]
    return text.format(turn=t["turns"][code], street=street, where=where, metres=metres)


def _around_metres(t: dict[str, Any], first: bool, way: tuple[str | None, str], code: int) -> tuple[str, ...]:
    """:func:`_sentence` split where its metres go: ``(before, after)``; more or fewer
    parts when that cannot be told (a name holding the marker, a translation without
    the metres): the caller then formats the sentence whole."""
    return tuple(_sentence(t, first, way, code, _METRES).split(_METRES))


@lru_cache(maxsize=8192)
def _whole_number(value: int, lang: str) -> str:
    with use_language(lang):
        return number(value)
