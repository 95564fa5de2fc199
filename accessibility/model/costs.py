"""What each edge of the graph costs a mobility profile (pure): the one cost function.

:func:`edge_costs` turns (graph, barrier table, profile) into flat numpy arrays aligned
with the graph's directed edges. Routing compiles them; audits, planning and survey
merges can reuse them, so every part of the tool agrees on what a profile can pass.

The rules:

- A barrier row whose severity for the profile is ``blocking`` forbids its edges (both
  directions of a way) or the node it stands on (every edge entering it).
  Severities are recomputed with :meth:`Profile.severity`, so threshold overrides work,
  and read from ``barriers`` at call time, so survey reports merged there count.
- Incline is judged per direction from the edge's signed ``incline_pct`` against
  ``max_incline_up_pct`` / ``max_incline_down_pct``; above ``comfort_incline_pct`` it
  hinders.
- ``hindering`` multiplies an edge's length by ``settings.hindering_factor``;
  ``unknown`` by the profile's ``unknown_penalty`` (``unknown = "penalty"``) or forbids it
  (``unknown = "avoid"``). On a node the same factors apply to ``settings.node_barrier_m``.
- An edge counts toward a route's unknown share when a barrier on it is ``unknown`` for
  the profile (a crossing kerb of unknown height, a slope without a figure) or when it
  lacks a tag the profile's limits need (``surface``; ``width``/``est_width``). A missing
  ``incline`` is not counted: OSM maps incline only where it is notable.

The ``walk`` profile has no limits, so its cost is the plain length.
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
import pandas as pd

from accessibility import settings
from accessibility.model.barriers import barrier_targets, text_to_tags
from accessibility.model.profiles import Profile

Edge = tuple[int, int, int]


@dataclass
class EdgeCosts:
    """Per-edge and per-node costs of one profile on one graph, as aligned arrays.

    ``edges[i]`` is the directed edge ``(u, v, key)`` of the graph; ``u[i]``, ``v[i]`` the
    positions of its nodes in ``nodes``. ``cost[i]`` is the cost of walking the whole
    edge (``inf``: forbidden), ``node_cost[j]`` the extra cost of entering node ``j``
    (``inf``: forbidden). ``severity[r]`` is the profile's judgement of barrier row ``r``;
    ``edge_rows`` / ``node_rows`` say which rows sit on which edge / node.
    """

    profile: Profile
    nodes: list[int]
    edges: list[Edge]
    u: np.ndarray
    v: np.ndarray
    length: np.ndarray
    incline: np.ndarray
    cost: np.ndarray
    node_cost: np.ndarray
    unknown: np.ndarray
    incline_blocked: np.ndarray
    severity: np.ndarray
    edge_rows: dict[int, list[int]] = field(default_factory=dict)
    node_rows: dict[int, list[int]] = field(default_factory=dict)

    @property
    def forbidden(self) -> np.ndarray:
        """True where the edge, or the node it enters, is forbidden."""
        return ~np.isfinite(self.cost + self.node_cost[self.v])

    def edge_index(self) -> dict[Edge, int]:
        return {e: i for i, e in enumerate(self.edges)}


def severities(barriers: pd.DataFrame, profile: Profile) -> np.ndarray:
    """The profile's severity of every barrier row (recomputed, so overrides count)."""
    if len(barriers) == 0:
        return np.array([], dtype=object)
    kinds = barriers["kind"].to_numpy()
    measures = barriers["measure"].to_numpy(dtype=float, na_value=np.nan)
    tags = barriers["tags"].to_numpy()
    known = barriers["known"].to_numpy()
    out = np.empty(len(barriers), dtype=object)
    for i in range(len(barriers)):
        m = None if math.isnan(measures[i]) else float(measures[i])
        out[i] = profile.severity(str(kinds[i]), m, text_to_tags(tags[i]), bool(known[i]))
    return out


@dataclass
class _GraphTable:
    """What edge costs need of a graph whatever the profile: node and edge order, ends,
    lengths, inclines, and which edges lack surface or width data."""

    nodes: list[int]
    position: dict[int, int]
    edges: list[Edge]
    index: dict[Edge, int]
    u: np.ndarray
    v: np.ndarray
    length: np.ndarray
    incline: np.ndarray
    missing_surface: np.ndarray
    missing_width: np.ndarray


#: One table per graph object, dropped with the graph. Graphs are not edited in place after
#: a build (planning copies a graph before it regrades one); the node count is a cheap
#: guard (networkx counts multigraph edges in linear time).
_TABLES: weakref.WeakKeyDictionary[nx.MultiDiGraph, tuple[int, _GraphTable]] = weakref.WeakKeyDictionary()


def _graph_table(G: nx.MultiDiGraph) -> _GraphTable:
    size = G.number_of_nodes()
    cached = _TABLES.get(G)
    if cached is not None and cached[0] == size:
        return cached[1]
    nodes = list(G.nodes)
    position = {n: i for i, n in enumerate(nodes)}
    edges: list[Edge] = []
    length, incline, missing_surface, missing_width = [], [], [], []
    for u, v, k, d in G.edges(keys=True, data=True):
        edges.append((u, v, k))
        length.append(d["length"])
        incline.append(d.get("incline_pct", np.nan))
        missing_surface.append("surface" not in d and d.get("highway") != "steps")
        missing_width.append("width_m" not in d and "est_width_m" not in d)
    m = len(edges)
    table = _GraphTable(
        nodes,
        position,
        edges,
        {e: i for i, e in enumerate(edges)},
        np.fromiter((position[e[0]] for e in edges), dtype=np.int64, count=m),
        np.fromiter((position[e[1]] for e in edges), dtype=np.int64, count=m),
        np.asarray(length, dtype=float),
        np.asarray(incline, dtype=float),
        np.asarray(missing_surface, dtype=bool),
        np.asarray(missing_width, dtype=bool),
    )
    for shared in (table.u, table.v, table.length, table.incline, table.missing_surface, table.missing_width):
        shared.setflags(write=False)  # shared by every profile's EdgeCosts: never edit in place
    _TABLES[G] = (size, table)
    return table


def _needs_data(profile: Profile) -> tuple[bool, bool]:
    """Which of surface and width the profile's limits depend on."""
    return bool(profile.surfaces_block or profile.surfaces_hinder), profile.min_width_cm > 0


def edge_costs(
    G: nx.MultiDiGraph, barriers: pd.DataFrame, profile: Profile, targets: tuple[dict, dict] | None = None
) -> EdgeCosts:
    """Derive the cost arrays of ``profile`` on ``G`` with the barriers of ``barriers``.

    Parameters
    ----------
    G
        The city network (``city.network``).
    barriers
        The barrier table (``city.barriers``): columns ``kind, measure, known, tags,
        element, osm_id, node`` (and ``edge_u, edge_v, edge_key`` for rows on an edge).
    profile
        The mobility profile, with any overrides already applied.
    targets
        ``barrier_targets(barriers, G)`` when already computed: it does not depend on the
        profile, so callers judging many profiles (the audit) compute it once.
    """
    t = _graph_table(G)
    nodes, position, edges, index = t.nodes, t.position, t.edges, t.index
    m = len(edges)
    u_idx, v_idx, length_a, incline_a = t.u, t.v, t.length, t.incline
    missing_surface, missing_width = t.missing_surface, t.missing_width

    severity = severities(barriers, profile)
    kinds = barriers["kind"].to_numpy() if len(barriers) else np.array([], dtype=object)
    measured = ~barriers["measure"].isna().to_numpy() if len(barriers) else np.array([], dtype=bool)
    if targets is None:
        targets = barrier_targets(barriers, G) if len(barriers) else ({}, {})
    node_targets, edge_targets = targets
    edge_rows = {index[e]: rows for e, rows in edge_targets.items() if e in index}
    node_rows = {position[n]: rows for n, rows in node_targets.items() if n in position}

    hinder = settings.hindering_factor
    unknown_factor = profile.unknown_penalty if profile.unknown == "penalty" else math.inf
    factor = np.ones(m)
    unknown = np.zeros(m, dtype=bool)
    for i, rows in edge_rows.items():
        sev = set()
        for r in rows:
            if kinds[r] == "steep_incline" and measured[r] and not math.isnan(incline_a[i]):
                continue  # judged per direction below, from the edge's own signed incline
            sev.add(severity[r])
        if "blocking" in sev:
            factor[i] = math.inf
            continue
        if "hindering" in sev:
            factor[i] *= hinder
        if "unknown" in sev:
            factor[i] *= unknown_factor
            unknown[i] = True

    # Incline, per direction.
    up, down, comfort = profile.max_incline_up_pct, profile.max_incline_down_pct, profile.comfort_incline_pct
    no_limit = settings.no_incline_limit_pct
    with np.errstate(invalid="ignore"):
        too_steep = np.zeros(m, dtype=bool)
        if up < no_limit:
            too_steep |= incline_a > up
        if down < no_limit:
            too_steep |= -incline_a > down
        uncomfortable = (np.abs(incline_a) > comfort) & (comfort < no_limit) & ~too_steep
    factor[too_steep] = math.inf
    factor[uncomfortable & np.isfinite(factor)] *= hinder
    cost = length_a * factor

    node_cost = np.zeros(len(nodes))
    base = settings.node_barrier_m
    for j, rows in node_rows.items():
        sev = {severity[r] for r in rows}
        if "blocking" in sev:
            node_cost[j] = math.inf
            continue
        if "hindering" in sev:
            node_cost[j] += base * (hinder - 1.0)
        if "unknown" in sev:
            node_cost[j] += base * (unknown_factor - 1.0) if math.isfinite(unknown_factor) else math.inf

    needs_surface, needs_width = _needs_data(profile)
    if needs_surface:
        unknown |= np.asarray(missing_surface)
    if needs_width:
        unknown |= np.asarray(missing_width)

    return EdgeCosts(
        profile=profile,
        nodes=nodes,
        edges=edges,
        u=u_idx,
        v=v_idx,
        length=length_a,
        incline=incline_a,
        cost=cost,
        node_cost=node_cost,
        unknown=unknown,
        incline_blocked=too_steep,
        severity=severity,
        edge_rows=edge_rows,
        node_rows=node_rows,
    )
