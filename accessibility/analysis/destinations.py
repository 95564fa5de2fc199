"""Where a profile arrives at each facility: graph nodes it may use, with a last offset (pure).

A facility is reached at its mapped entrances; else, when it is mapped as an area, at
the network points nearest its outline (a park or sports ground is entered from its
edge, not its middle); else at its point. Each is tied to the nearest graph node the
profile may enter (within ``settings.snap_max_m``), and the straight distance from that
node is the last stretch. A facility whose own tag says
``wheelchair=no`` is not a destination for wheelchair profiles: the audit reports it as
unreachable, with that reason, instead of routing people to a door they cannot pass.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
from pyproj import Transformer

from accessibility import settings
from accessibility.constants import WGS84
from accessibility.model.costs import EdgeCosts
from accessibility.model.facilities import entrance_points, outline_points
from accessibility.model.snapping import NodeTree


@dataclass
class Targets:
    """The arrival points of one category's facilities for one profile.

    ``points`` are ``(node position in costs.nodes, offset metres)`` pairs;
    ``facility`` says which facility row (position in the facilities table) each point
    serves; ``excluded`` maps facility rows that are no destination to the reason.
    """

    points: list[tuple[int, float]]
    facility: list[int]
    excluded: dict[int, str]


def usable_nodes(costs: EdgeCosts) -> np.ndarray:
    """Node positions with at least one allowed edge in or out, and not forbidden."""
    allowed = ~costs.forbidden
    mask = np.zeros(len(costs.nodes), dtype=bool)
    mask[costs.u[allowed]] = True
    mask[costs.v[allowed]] = True
    return mask & np.isfinite(costs.node_cost)


def facility_targets(
    costs: EdgeCosts, xy: np.ndarray, facilities: gpd.GeoDataFrame, max_m: float | None = None
) -> Targets:
    """Arrival points of ``facilities`` (rows of one category, graph CRS) for ``costs.profile``.

    ``xy`` holds the projected coordinates of ``costs.nodes`` (an ``(n, 2)`` array).
    """
    max_m = settings.snap_max_m if max_m is None else max_m
    usable = usable_nodes(costs)
    out = Targets([], [], {})
    if not usable.any():
        out.excluded.update(dict.fromkeys(range(len(facilities)), "no usable network"))
        return out
    tree = NodeTree(xy, usable)
    to_graph = Transformer.from_crs(WGS84, facilities.crs, always_xy=True)
    wheelchair = costs.profile.wheelchair
    for i, row in enumerate(facilities.itertuples(index=False)):
        points = arrival_points(row, facilities.crs, wheelchair, to_graph)
        if points is None:
            out.excluded[i] = "wheelchair=no"
            continue
        dist, idx = tree.query(np.array(points))
        near = dist <= max_m
        if not near.any():
            out.excluded[i] = f"farther than {max_m:.0f} m from any usable path"
            continue
        best: dict[int, float] = {}  # one arrival per node: the shortest last stretch
        for d, j in zip(dist[near], idx[near]):
            node = int(j)
            best[node] = min(best.get(node, np.inf), float(d))
        for node, d in best.items():
            out.points.append((node, d))
            out.facility.append(i)
    return out


def arrival_points(
    row, crs: str, wheelchair: bool, to_graph: Transformer | None = None
) -> list[tuple[float, float]] | None:
    """Where a facility (a row of the facilities table) is entered, in ``crs``: its
    entrances (for wheelchairs, those not tagged ``wheelchair=no``), else points along its
    outline, else its point. ``None`` when it is no destination for a wheelchair: its own
    tag, or every mapped entrance, says ``wheelchair=no``."""
    if wheelchair and str(getattr(row, "wheelchair", "")) == "no":
        return None
    entrances = getattr(row, "entrances", "")
    doors = entrance_points(entrances, wheelchair=wheelchair)
    if wheelchair and not doors and entrance_points(entrances):
        return None
    to_graph = to_graph or Transformer.from_crs(WGS84, crs, always_xy=True)
    points = [to_graph.transform(lon, lat) for lon, lat in doors]
    if not points:
        points = outline_points(getattr(row, "outline", ""), crs, settings.outline_step_m)
    return points or [(row.geometry.x, row.geometry.y)]


def node_xy(G, nodes: list[int]) -> np.ndarray:
    """Projected coordinates of ``nodes`` as an ``(n, 2)`` array."""
    return np.array([(G.nodes[n]["x"], G.nodes[n]["y"]) for n in nodes], dtype=float)
