"""Step-by-step directions in Italian or English ("gira a destra in Via Dante, 120 m").

Pure: takes the route's legs (edge attributes and the piece of geometry walked, in a
metric CRS) and returns one sentence per step. Consecutive legs on the same street are
joined; a turn is named from the change of bearing where two steps meet.
"""

from __future__ import annotations

import math
from typing import Any

from shapely import LineString

from accessibility.i18n import N_, _, number, use_language

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
    with use_language(lang):
        return _directions(legs)


def _directions(legs: list[tuple[dict[str, Any], LineString]]) -> list[str]:
    steps: list[dict[str, Any]] = []
    for data, line in legs:
        coords = list(line.coords)
        if len(coords) < 2 or line.length <= 0:
            continue
        name, kind = way_label(data)
        if steps and steps[-1]["name"] == name and steps[-1]["kind"] == kind:
            steps[-1]["length"] += line.length
            steps[-1]["end"] = (coords[-2], coords[-1])
        else:
            steps.append(
                {
                    "name": name,
                    "kind": kind,
                    "length": line.length,
                    "start": (coords[0], coords[1]),
                    "end": (coords[-2], coords[-1]),
                }
            )
    out: list[str] = []
    for i, step in enumerate(steps):
        metres = number(step["length"])
        street, unnamed = step["name"], _(_UNNAMED[step["kind"]]) if not step["name"] else ""
        if i == 0:
            heading = _(_HEADINGS[int((bearing(*step["start"]) + 22.5) // 45) % 8])
            if street:
                text = _("start on {street} heading {heading}, {metres} m")
            else:
                text = _("start {where} heading {heading}, {metres} m")
            out.append(text.format(street=street, where=unnamed, heading=heading, metres=metres))
            continue
        turn = _(_TURNS[turn_class(bearing(*step["start"]) - bearing(*steps[i - 1]["end"]))])
        text = _("{turn} onto {street}, {metres} m") if street else _("{turn} {where}, {metres} m")
        out.append(text.format(turn=turn, street=street, where=unnamed, metres=metres))
    out.append(_("you have arrived"))
    return out
