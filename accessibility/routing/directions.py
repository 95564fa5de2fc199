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

from shapely import LineString

from accessibility.i18n import N_, _, check_language, language, number, use_language

__all__ = ["Leg", "bearing", "directions", "sentences", "step_sentences", "turn_class", "way_label"]


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


def turn_class(delta: float) -> str:
    """Name a change of bearing (degrees, clockwise positive) as a turn.

    >>> turn_class(90), turn_class(-30), turn_class(5)
    ('right', 'slight_left', 'straight')
    """
    delta = (delta + 180) % 360 - 180
    side = "right" if delta > 0 else "left"
    a = abs(delta)
    if a < 20:
        return "straight"
    if a < 45:
        return f"slight_{side}"
    if a < 135:
        return side
    if a < 170:
        return f"sharp_{side}"
    return "back"


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
            "turns": {k: _(v) for k, v in _TURNS.items()},
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
    return _phrases(steps, language())


def step_sentences(steps: list[list[Any]], lang: str) -> list[str]:
    """:func:`sentences` for legs already merged into steps ``[name, kind, metres, first
    bearing, last bearing]`` (consecutive steps on different ways, each of some length:
    what route assembly gives), in ``lang``.

    >>> step_sentences([["Via Dante", "named", 100.0, 0.0, 0.0], [None, "crossing", 12.0, 90.0, 90.0]], "en")
    ['start on Via Dante heading north, 100 m', 'turn right on the crossing, 12 m', 'you have arrived']
    """
    return _phrases(steps, check_language(lang))


def _phrases(steps: list[list[Any]], lang: str) -> list[str]:
    t = _texts(lang)
    unnamed, turns, headings = t["unnamed"], t["turns"], t["headings"]
    start_on, start_where, turn_onto, turn_where = t["start_on"], t["start_where"], t["turn_onto"], t["turn_where"]
    out: list[str] = []
    previous = 0.0  # the last bearing of the step before
    for i, (street, kind, length, first, last) in enumerate(steps):
        metres = _whole_number(int(round(length)) if math.isfinite(length) else -1, lang)
        where = "" if street else unnamed[kind]
        if i == 0:
            heading = headings[int((first + 22.5) // 45) % 8]
            text = start_on if street else start_where
            out.append(text.format(street=street, where=where, heading=heading, metres=metres))
        else:
            text = turn_onto if street else turn_where
            out.append(text.format(turn=turns[turn_class(first - previous)], street=street, where=where, metres=metres))
        previous = last
    out.append(t["arrived"])
    return out


def _metres(length: float, lang: str) -> str:
    """Whole metres in the language's form (formatting is cached: Babel is slow)."""
    return _whole_number(int(round(length)) if math.isfinite(length) else -1, lang)


@lru_cache(maxsize=8192)
def _whole_number(value: int, lang: str) -> str:
    with use_language(lang):
        return number(value)
