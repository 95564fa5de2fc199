"""Step-by-step directions in Italian or English ("gira a destra in Via Dante, 120 m").

Pure: takes the route's legs (edge attributes and the piece of geometry walked, in a
metric CRS) and returns one sentence per step. Consecutive legs on the same street are
joined; a turn is named from the change of bearing where two steps meet.
"""

from __future__ import annotations

import math
from typing import Any

from shapely import LineString

#: What to call a way without a name, by its tags: (Italian with preposition, English).
_UNNAMED = {
    "crossing": ("sull'attraversamento", "the crossing"),
    "sidewalk": ("sul marciapiede", "the sidewalk"),
    "steps": ("sulle scale", "the steps"),
    "elevator": ("nell'ascensore", "the lift"),
    "path": ("sul percorso pedonale", "the footpath"),
    "street": ("sulla strada", "the street"),
}
_TURNS = {  # (Italian, English) by turn class
    "straight": ("prosegui dritto", "continue straight"),
    "slight_right": ("tieni la destra", "bear right"),
    "right": ("gira a destra", "turn right"),
    "sharp_right": ("gira tutto a destra", "turn sharp right"),
    "slight_left": ("tieni la sinistra", "bear left"),
    "left": ("gira a sinistra", "turn left"),
    "sharp_left": ("gira tutto a sinistra", "turn sharp left"),
    "back": ("torna indietro", "turn back"),
}
_HEADINGS = [("nord", "north"), ("nord-est", "north-east"), ("est", "east"), ("sud-est", "south-east"),
             ("sud", "south"), ("sud-ovest", "south-west"), ("ovest", "west"), ("nord-ovest", "north-west")]


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


def _where(name: str | None, kind: str, lang: str) -> str:
    if name:
        return f"in {name}" if lang == "it" else f"onto {name}"
    it, en = _UNNAMED[kind]
    return it if lang == "it" else f"onto {en}"


def directions(legs: list[tuple[dict[str, Any], LineString]], lang: str = "it") -> list[str]:
    """One sentence per step for a route made of ``legs`` ``(edge data, piece walked)``."""
    it = lang == "it"
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
            steps.append({"name": name, "kind": kind, "length": line.length,
                          "start": (coords[0], coords[1]), "end": (coords[-2], coords[-1])})
    out: list[str] = []
    for i, step in enumerate(steps):
        metres = f"{step['length']:,.0f} m" if it else f"{step['length']:,.0f} m"
        where = _where(step["name"], step["kind"], lang)
        if i == 0:
            heading = _HEADINGS[int((bearing(*step["start"]) + 22.5) // 45) % 8][0 if it else 1]
            out.append(f"parti {where} verso {heading}, {metres}" if it
                       else f"start {where.replace('onto ', 'on ')} heading {heading}, {metres}")
            continue
        delta = bearing(*step["start"]) - bearing(*steps[i - 1]["end"])
        turn = _TURNS[turn_class(delta)][0 if it else 1]
        out.append(f"{turn} {where}, {metres}")
    out.append("sei arrivato" if it else "you have arrived")
    return out
