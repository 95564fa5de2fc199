"""Where a profile arrives at each facility: graph nodes it may use, with a last offset (pure).

A facility is reached at its mapped entrances; else, when it is mapped as an area, at
the network points nearest its outline (a park or sports ground is entered from its
edge, not its middle); else at its point. A facility whose own tag says
``wheelchair=no`` is not a destination for wheelchair profiles: the audit reports it as
unreachable, with that reason, instead of routing people to a door they cannot pass.

The way in is judged like every other edge. An arrival point on the network (an
entrance node at the top of a flight of steps) is reached through the network alone:
there is no straight last stretch from some other path that would step over the
stairs. An arrival point off the network is joined by a straight last stretch to the
nearest path (and to any other within ``settings.facility_way_in_slack_m`` of it), and
the profile arrives along that path only in a direction it may use: a pharmacy whose
only nearby way is a staircase is no destination for a wheelchair, however near an
ordinary street lies beyond the stairs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from pyproj import Transformer
from shapely import STRtree

from accessibility import settings
from accessibility.constants import WGS84
from accessibility.model.costs import EdgeCosts
from accessibility.model.facilities import entrance_points, outline_points

__all__ = ["Targets", "arrival_points", "facility_targets", "node_xy", "usable_nodes", "way_in_mask", "ways_in"]

#: Why a facility is no destination for a profile (``Targets.excluded``): its own tag.
WHEELCHAIR_NO = "wheelchair=no"
#: ... every way in is a path the profile may not use (the audit's "every way in is
#: blocked by barriers").
NO_WAY_IN = "cut_off"
#: ... no path within ``settings.snap_max_m``.
OFF_NETWORK = "off_network"


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

    ``xy`` holds the projected coordinates of ``costs.nodes`` (an ``(n, 2)`` array). Each
    point of :func:`arrival_points` is joined to the network by its way in
    (:func:`ways_in`): a node it lies on, or the nearest paths. A node is an arrival
    whatever the profile (the search decides whether the profile gets there: a door at
    the top of a flight of steps is reached by the steps or not at all); a point along a
    path is reached only in the directions the profile may use that path. ``excluded``
    says why a facility has no arrival: ``wheelchair=no``, ``cut_off`` (its ways in are
    paths the profile may not use) or ``off_network``.
    """
    max_m = settings.snap_max_m if max_m is None else max_m
    out = Targets([], [], {})
    if not usable_nodes(costs).any():
        out.excluded.update(dict.fromkeys(range(len(facilities)), OFF_NETWORK))
        return out
    chords = _chords(costs, xy)
    allowed = np.isfinite(costs.cost) & np.isfinite(costs.node_cost[costs.u])
    to_graph = Transformer.from_crs(WGS84, facilities.crs, always_xy=True)
    wheelchair = costs.profile.wheelchair
    for i, row in enumerate(facilities.itertuples(index=False)):
        points = arrival_points(row, facilities.crs, wheelchair, to_graph)
        if points is None:
            out.excluded[i] = WHEELCHAIR_NO
            continue
        best: dict[int, float] = {}  # one arrival per node: the shortest last stretch
        near_any = False
        for point in points:
            found = _arrivals(chords, costs, allowed, point, max_m)
            near_any = near_any or found is not None
            for node, offset in found or []:
                best[node] = min(best.get(node, np.inf), offset)
        if not best:
            out.excluded[i] = NO_WAY_IN if near_any else OFF_NETWORK
            continue
        for node, d in best.items():
            out.points.append((node, d))
            out.facility.append(i)
    return out


@dataclass
class _Chords:
    """The directed edges of a cost table as straight segments between their nodes, in an
    STRtree (one per graph: the node list is shared by every profile's costs)."""

    nodes: list[int]
    tree: STRtree
    starts: np.ndarray
    ends: np.ndarray
    lines: np.ndarray


_CHORDS: dict[int, _Chords] = {}


def _chords(costs: EdgeCosts, xy: np.ndarray) -> _Chords:
    key = id(costs.nodes)
    cached = _CHORDS.get(key)
    if cached is not None and cached.nodes is costs.nodes and len(cached.lines) == len(costs.u):
        return cached
    starts, ends = xy[costs.u], xy[costs.v]
    lines = shapely.linestrings(np.stack([starts, ends], axis=1)) if len(starts) else np.array([], dtype=object)
    chords = _Chords(costs.nodes, STRtree(lines), starts, ends, lines)
    if len(_CHORDS) > 4:
        _CHORDS.clear()
    _CHORDS[key] = chords
    return chords


def _arrivals(
    chords: _Chords, costs: EdgeCosts, allowed: np.ndarray, point: tuple[float, float], max_m: float
) -> list[tuple[int, float]] | None:
    """``(node, offset)`` for each way in to ``point`` the profile may take (see
    :func:`facility_targets`); ``None`` when no path lies within ``max_m``."""
    found = ways_in(chords.tree, chords.lines, shapely.points(point), max_m)
    if not found:
        return None
    out = []
    for e, distance, along in found:
        chord = float(shapely.length(chords.lines[e])) or 1.0
        t = min(max(along / chord, 0.0), 1.0)
        if t <= _AT_NODE:  # the way in is the start node itself
            out.append((int(costs.u[e]), distance))
        elif t >= 1.0 - _AT_NODE:  # the way in is the end node
            out.append((int(costs.v[e]), distance))
        elif allowed[e]:  # along the edge from its start, in a direction the profile may use
            out.append((int(costs.u[e]), distance + t * float(costs.length[e])))
    return out


#: A projection within this fraction of an edge's end is at its node.
_AT_NODE = 1e-6


def ways_in(tree: STRtree, lines: np.ndarray, point: Any, max_m: float) -> list[tuple[int, float, float]]:
    """The lines (indices into ``lines``) that can be a point's way in: those at the least
    distance when the point lies on the network (within ``settings.facility_on_path_m``),
    else every line within ``settings.facility_way_in_slack_m`` of the nearest.

    Returns
    -------
    list of tuple
        ``(line, distance from the point, distance along the line to its projection)``.
    """
    hits, dist = tree.query_nearest(point, max_distance=max_m, return_distance=True, all_matches=True)
    if not len(hits):
        return []
    nearest = float(np.min(dist))
    if nearest <= settings.facility_on_path_m:
        chosen = np.asarray(hits)[np.asarray(dist) <= nearest + 1e-9]
    else:
        chosen = tree.query(point, predicate="dwithin", distance=nearest + settings.facility_way_in_slack_m)
    chosen = np.asarray(chosen, dtype=np.int64)
    distances = shapely.distance(lines[chosen], point)
    along = shapely.line_locate_point(lines[chosen], point)
    return [(int(e), float(d), float(a)) for e, d, a in zip(chosen.tolist(), distances.tolist(), along.tolist())]


def way_in_mask(index: Any, point_xy: tuple[float, float], max_m: float | None = None) -> np.ndarray:
    """Directed edges (positions in ``G.edges(keys=True)`` order) that can be the way in to
    a facility at ``point_xy``, for routing's snapping: ``usable & way_in_mask(...)``
    snaps a facility only to a way in the profile may use (see :func:`ways_in`).

    ``index`` is the graph's :class:`~accessibility.model.snapping.NetworkIndex`.
    """
    max_m = settings.snap_max_m if max_m is None else max_m
    mask = np.zeros(int(max(index.fwd.max(initial=-1), index.bwd.max(initial=-1))) + 1, dtype=bool)
    if index.edge_tree is None:
        return mask
    for h, _d, _a in ways_in(index.edge_tree, index.geoms, shapely.points(point_xy), max_m):
        mask[index.fwd[h]] = mask[index.bwd[h]] = True
    return mask


def arrival_points(
    row, crs: str, wheelchair: bool, to_graph: Transformer | None = None
) -> list[tuple[float, float]] | None:
    """Where a facility (a row of the facilities table) is entered, in ``crs``: its
    entrances (for wheelchairs, those not tagged ``wheelchair=no``), else points along its
    outline, else its point. ``None`` when it is no destination for a wheelchair: its own
    tag, or every mapped entrance, says ``wheelchair=no``."""
    if wheelchair and str(getattr(row, "wheelchair", "")) == WHEELCHAIR_NO.split("=")[1]:
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
