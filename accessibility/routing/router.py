"""The compiled router: one profile's costs as a sparse matrix, answering searches fast.

A :class:`Router` compiles one profile's :class:`~accessibility.model.costs.EdgeCosts` into a
``scipy.sparse`` CSR matrix (one entry per node pair: the cheapest parallel edge) and,
on the first route, a contraction hierarchy of it
(:class:`~accessibility.routing.contraction.Hierarchy`). Point-to-point routes run two small
upward searches on the hierarchy with ``scipy.sparse.csgraph.dijkstra`` in C, exact
whatever the distance; one-to-all searches (reachability, nearest facility) run the same
Dijkstra on the plain matrix. Never networkx per query.
Endpoints snap to a point along the nearest edge the profile can use (the edge is split
virtually: one extra source row in the matrix, rewritten per query), found with the city's one
spatial index (:mod:`accessibility.model.snapping`). A Router is not thread-safe (the
source rows are shared).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from accessibility import settings
from accessibility.analysis.reach import LengthGraph, shortest_per_pair
from accessibility.model.costs import EdgeCosts, edge_costs
from accessibility.model.profiles import Profile
from accessibility.model.snapping import EdgeSnap as Snap
from accessibility.model.snapping import NetworkIndex, network_index
from accessibility.routing.contraction import Hierarchy
from accessibility.routing.geometry import EdgeGeometry, edge_geometry
from accessibility.routing.kernels import (
    cheapest_per_node,
    direct,
    entries,
    hub_route,
    join_pieces,
    same_pieces,
    walked,
)

__all__ = ["Path", "Router", "Routing"]

log = logging.getLogger(__name__)

_TINY = 1e-9


# --- the compiled structure -------------------------------------------------------------


@dataclass(eq=False)
class Path:
    """A search result: pieces ``(edge index, start, end)`` in metres along each edge, held
    as three aligned arrays (``edges``, ``starts``, ``ends``; route assembly reads them in
    compiled loops) and, when asked, as a list of tuples (:attr:`pieces`)."""

    cost: float
    edges: np.ndarray
    starts: np.ndarray
    ends: np.ndarray

    @classmethod
    def of(cls, cost: float, pieces: list[tuple[int, float, float]]) -> Path:
        """A path from its pieces as ``(edge, start, end)`` tuples."""
        table = np.array(pieces, dtype=float).reshape(-1, 3)
        return cls(cost, table[:, 0].astype(np.int64), table[:, 1].copy(), table[:, 2].copy())

    @property
    def pieces(self) -> list[tuple[int, float, float]]:
        """The pieces as ``(edge, start, end)`` tuples."""
        return list(zip(self.edges.tolist(), self.starts.tolist(), self.ends.tolist()))

    @property
    def length(self) -> float:
        """Metres walked: the pieces' lengths summed in walking order."""
        return walked(self.starts, self.ends)

    def same(self, other: Path) -> bool:
        """Whether both paths walk the same pieces."""
        return len(self.edges) == len(other.edges) and same_pieces(
            self.edges, self.starts, self.ends, other.edges, other.starts, other.ends
        )


class HierarchyKeeper(Protocol):
    """Keeps contraction hierarchies between runs, by :meth:`Hierarchy.key`
    (:class:`~accessibility.workspace.KeptHierarchies` keeps them in the workspace)."""

    def read(self, key: str) -> Mapping[str, np.ndarray] | None:
        """The arrays kept under ``key`` (:meth:`Hierarchy.arrays`), or None."""

    def write(self, key: str, arrays: Mapping[str, np.ndarray]) -> None:
        """Keep ``arrays`` under ``key`` (failing quietly: a hierarchy can be built again)."""


class Router:
    """One profile's costs compiled into a CSR matrix, answering routes fast."""

    def __init__(self, costs: EdgeCosts, index: NetworkIndex, keeper: HierarchyKeeper | None = None) -> None:
        self.costs = costs
        self.index = index
        #: where :meth:`prepare` finds the hierarchy built before, and keeps the one it builds
        self.keeper = keeper
        n = len(costs.nodes)
        self.source = n  # the extra row: the virtual origin
        weight = costs.cost + costs.node_cost[costs.v]
        ok = np.isfinite(weight) & (costs.u != costs.v)
        eidx = np.flatnonzero(ok)
        rows, cols, w = costs.u[eidx], costs.v[eidx], weight[eidx]
        keep = shortest_per_pair(rows, cols, w)  # cheapest parallel edge, sorted by row
        rows, cols, w, eidx = rows[keep], cols[keep], w[keep], eidx[keep]
        rows = np.concatenate([rows, [n, n]])
        cols = np.concatenate([cols, [n, n]])  # placeholders, rewritten per query
        w = np.concatenate([w, [1.0, 1.0]])
        eidx = np.concatenate([eidx, [-1, -1]])
        indptr = np.zeros(n + 2, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n + 1), out=indptr[1:])
        # rows are sorted already and the two source entries come last
        self.matrix = sp.csr_matrix(
            (w.astype(np.float64), cols.astype(np.int32), indptr.astype(np.int32)), shape=(n + 1, n + 1)
        )
        self._pair_edge = dict(zip((rows[:-2] * (n + 1) + cols[:-2]).tolist(), eidx[:-2].tolist()))
        self.slot = int(indptr[n])
        self.usable = np.isfinite(costs.cost)
        self._arcs = (rows[:-2], cols[:-2], w[:-2], eidx[:-2])
        self._hierarchy: Hierarchy | None = None
        self._building = False  # a hierarchy is being built in another thread
        self._length_graph: LengthGraph | None = None
        self._routes = 0
        # the same as Python sets and lists: route assembly looks at tens of edges, one by one
        self.steep_edges: set[int] = set(np.flatnonzero(costs.incline_blocked).tolist())
        severity = list(costs.severity)
        self.blocking_rows: set[int] = {i for i, s in enumerate(severity) if s == "blocking"}
        #: per barrier row: whether it hinders or blocks the profile
        self.hinders = np.array([s in ("blocking", "hindering") for s in severity], dtype=bool)
        #: what walking an edge passes, for route descriptions (compiled loops,
        #: :func:`~accessibility.routing.kernels.marks_on`): per edge its barrier rows then
        #: ``-1`` when too steep this way (``edge_rows[edge_ptr[e]:edge_ptr[e + 1]]``), per
        #: node the rows on it (``node_rows[node_ptr[v]:node_ptr[v + 1]]``)
        self.edge_ptr, self.edge_rows = _flat(
            len(costs.v),
            {
                e: [*costs.edge_rows.get(e, ()), *((-1,) if e in self.steep_edges else ())]
                for e in set(costs.edge_rows) | self.steep_edges
            },
        )
        self.node_ptr, self.node_rows = _flat(n, {v: list(rows) for v, rows in costs.node_rows.items()})
        #: what :func:`~accessibility.routing.kernels.entries` reads: u, v, cost, node cost
        self._entry_arrays = (
            costs.u.astype(np.int64),
            costs.v.astype(np.int64),
            costs.cost.astype(np.float64),
            costs.node_cost.astype(np.float64),
        )
        self.finite: list[bool] = np.isfinite(costs.cost).tolist()
        log.info(
            "compiled %s router: %d nodes, %d usable of %d edges",
            costs.profile.name,
            n,
            len(rows) - 2,
            len(costs.edges),
        )

    @property
    def profile(self) -> Profile:
        return self.costs.profile

    # --- searches ---------------------------------------------------------------------

    def _starts(self, s: Snap) -> list[tuple[int, float, int, float, float]]:
        """Where a search from a snapped point enters the graph, the cheapest way per node:
        (node, cost, edge, from, to)."""
        return _entry_tuples(cheapest_per_node(entries(s.fwd, s.bwd, s.offset, s.length, *self._entry_arrays, True)))

    def _ends(self, s: Snap) -> list[tuple[int, float, int, float, float]]:
        """How a search reaches a snapped point, the cheapest way per node: (node, extra
        cost, edge, from, to)."""
        return _entry_tuples(cheapest_per_node(entries(s.fwd, s.bwd, s.offset, s.length, *self._entry_arrays, False)))

    def search(self, origin: Snap, limit: float = math.inf) -> tuple[np.ndarray, np.ndarray, list]:
        """One-to-all costs from a snapped origin: ``(dist, predecessors, starts)``."""
        starts = self._starts(origin)  # one per node: one source slot each
        idx, data = self.matrix.indices, self.matrix.data
        slots = [self.slot, self.slot + 1]
        for slot in slots:
            idx[slot], data[slot] = self.source, 1.0  # unused: a harmless self-loop
        for slot, (node, cost, *_) in zip(slots, starts):
            idx[slot], data[slot] = node, cost
        dist, pred = dijkstra(self.matrix, directed=True, indices=self.source, return_predecessors=True, limit=limit)
        return dist, pred, starts

    def reachable(self, origin: Snap, max_cost: float = math.inf) -> np.ndarray:
        """Cost from ``origin`` to every node (``inf``: unreachable), one-to-all."""
        dist, _, _ = self.search(origin, limit=max_cost)
        return dist[:-1]

    @property
    def lengths(self) -> LengthGraph:
        """The walking lengths of the edges this profile may use (walksheds)."""
        if self._length_graph is None:
            self._length_graph = LengthGraph.from_costs(self.costs)
        return self._length_graph

    @property
    def hierarchy(self) -> Hierarchy:
        """The contraction hierarchy of the compiled arcs (built on first access)."""
        if self._hierarchy is None:
            self._hierarchy = Hierarchy(self.source, *self._arcs)
            log.info("%s router: contraction hierarchy with %d shortcuts", self.profile.name, self._hierarchy.shortcuts)
        return self._hierarchy

    def prepare(self) -> Router:
        """Build the contraction hierarchy and its hub labels now (for many routes: a
        service, a batch). May run in another thread than the routes: until it is done,
        routes take the plain Dijkstra (exact either way)."""
        self._building = True
        try:
            hierarchy = self._hierarchy
            key = Hierarchy.key(self.source, *self._arcs) if self.keeper is not None else ""
            if hierarchy is None or hierarchy.labels_up is None:
                hierarchy = self._kept_hierarchy(key) or hierarchy
            if hierarchy is None or hierarchy.labels_up is None:
                hierarchy = (hierarchy or Hierarchy(self.source, *self._arcs)).build_labels()
                if self.keeper is not None:
                    self.keeper.write(key, hierarchy.arrays())
            if hierarchy.n and len(self.costs.u):  # a route's compiled loop, loaded (or compiled) now
                self._hub_route(hierarchy, Snap(0, 0, 0.0, 1.0, 0.0), Snap(0, 0, 1.0, 1.0, 0.0))
            self._hierarchy = hierarchy  # one assignment: routes see all of it or none
        finally:
            self._building = False
        log.info("%s router: contraction hierarchy with %d shortcuts", self.profile.name, hierarchy.shortcuts)
        return self

    def _kept_hierarchy(self, key: str) -> Hierarchy | None:
        """The hierarchy :attr:`keeper` holds under ``key`` (:meth:`Hierarchy.key` of these
        arcs), or None (none kept, or one that cannot be read: it is built again)."""
        if self.keeper is None:
            return None
        arrays = self.keeper.read(key)
        if arrays is None:
            return None
        try:
            return Hierarchy.from_arrays(arrays)
        except ValueError as exc:
            log.warning("%s router: kept contraction hierarchy unusable (%s), built again", self.profile.name, exc)
            return None

    @property
    def prepared(self) -> bool:
        """Whether routes run on the hierarchy's hub labels."""
        return self._hierarchy is not None and self._hierarchy.labels_up is not None

    def path(self, origin: Snap, destination: Snap) -> Path | None:
        """The cheapest path between two snapped points, or None when there is none.

        Exact either way: the first ``settings.hierarchy_after`` routes of a router run a
        bounded Dijkstra on the matrix (:meth:`path_dijkstra`); then, or after
        :meth:`prepare`, the contraction hierarchy (:meth:`path_hierarchy`), whose build
        costs about as much as a few thousand plain routes.
        """
        self._routes += 1
        if self._hierarchy is None and (self._building or self._routes <= settings.hierarchy_after):
            return self.path_dijkstra(origin, destination)
        return self.path_hierarchy(origin, destination)

    def path_dijkstra(self, origin: Snap, destination: Snap) -> Path | None:
        """Cheapest path by Dijkstra from the origin, bounded first at multiples of the
        straight-line distance (``settings.search_bounds``); a path found within a bound
        is optimal (every node cheaper than the bound was settled); the last search is
        unbounded."""
        straight = math.dist(origin.xy, destination.xy) + origin.distance + destination.distance + 1.0
        for limit in (*(f * straight for f in settings.search_bounds), math.inf):
            dist, pred, starts = self.search(origin, limit=limit)
            found = self._finish(dist, pred, starts, origin, destination)
            if found is not None and found.cost <= limit:
                return found
        return None

    def path_hierarchy(self, origin: Snap, destination: Snap) -> Path | None:
        """Cheapest path on the contraction hierarchy: on its hub labels, one compiled
        call (:func:`~accessibility.routing.kernels.hub_route`); until they are built,
        two small upward searches."""
        h = self.hierarchy
        if h.labels_up is not None:
            return self._hub_route(h, origin, destination)
        starts, ends = self._starts(origin), self._ends(destination)
        found: tuple[float, tuple[np.ndarray, np.ndarray, np.ndarray]] | None = None
        searched = h.query([(s[0], s[1]) for s in starts], [(e[0], e[1]) for e in ends])
        if searched is not None:
            cost, edges, first, last = searched
            _, _, edge0, a0, b0 = next(s for s in starts if s[0] == first)
            _, _, edge1, a1, b1 = next(e for e in ends if e[0] == last)
            found = cost, join_pieces(edges, self.costs.length, edge0, a0, b0, edge1, a1, b1)
        along = self._direct(origin, destination)
        if along is not None and (found is None or along.cost <= found[0]):
            return along
        if found is None:
            return None
        return Path(found[0], *found[1])

    def _hub_route(self, h: Hierarchy, origin: Snap, destination: Snap) -> Path | None:
        """:meth:`path_hierarchy` on the hub labels of ``h``."""
        up, down = h.labels_up, h.labels_down
        assert up is not None and down is not None
        cost, e, s, t = hub_route(
            up.ptr, up.hub, up.dist, up.pred_pos, up.arc, down.ptr, down.hub, down.dist, down.pred_pos, down.arc,
            h.arc_edge, h.arc_kid_first, h.arc_kid_second, h.arc_size, self.costs.length, *self._entry_arrays,
            origin.fwd, origin.bwd, origin.offset, origin.length,
            destination.fwd, destination.bwd, destination.offset, destination.length,
        )  # fmt: skip
        return Path(cost, e, s, t) if math.isfinite(cost) else None

    def _finish(self, dist, pred, starts, origin: Snap, destination: Snap) -> Path | None:
        best: tuple[float, Any] = (math.inf, None)
        for node, extra, edge, a, b in self._ends(destination):
            total = dist[node] + extra
            if total < best[0]:
                best = (float(total), (node, edge, a, b))
        direct = self._direct(origin, destination)
        if direct is not None and direct.cost <= best[0]:
            return direct
        if best[1] is None:
            return None
        node, edge, a, b = best[1]
        pieces = [(edge, a, b)] if b - a > _TINY else []
        start_of = {s[0]: s for s in starts}
        while pred[node] != self.source and pred[node] >= 0:
            p = int(pred[node])
            pieces.append((self._edge_between(p, node), 0.0, None))
            node = p
        if pred[node] < 0 and node != self.source:
            return None
        _, _, edge0, a0, b0 = start_of[node]
        if b0 - a0 > _TINY:
            pieces.append((edge0, a0, b0))
        pieces.reverse()
        length = self.costs.length
        return Path.of(best[0], [(e, a, length[e] if b is None else b) for e, a, b in pieces])

    def _direct(self, o: Snap, d: Snap) -> Path | None:
        """Along the shared edge when both points lie on the same one
        (:func:`~accessibility.routing.kernels.direct`)."""
        cost, e, s, t = direct(o.fwd, o.bwd, o.offset, o.length, d.fwd, d.offset, self._entry_arrays[2])
        return Path(cost, e, s, t) if math.isfinite(cost) else None

    def _edge_between(self, p: int, q: int) -> int:
        return self._pair_edge[p * (self.source + 1) + q]

    # --- convenience ------------------------------------------------------------------

    def snap(self, latlon: tuple[float, float], what: str = "point") -> Snap:
        x, y = self.index.xy(latlon)
        return self.index.snap(x, y, self.usable, settings.snap_max_m, what)

    def route_xy(self, o: tuple[float, float], d: tuple[float, float]) -> tuple[Snap, Snap, Path | None]:
        """Snap two projected points and find the path between them (the benchmarked query)."""
        so, sd = self.index.snap_pair(o, d, self.usable, settings.snap_max_m)
        return so, sd, self.path(so, sd)


def _flat(n: int, rows: dict[int, list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """``rows`` by key ``0..n-1`` as CSR arrays ``(ptr, flat)``: key ``k``'s rows are
    ``flat[ptr[k]:ptr[k + 1]]``."""
    counts = np.zeros(n, dtype=np.int64)
    for k, r in rows.items():
        counts[k] = len(r)
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=ptr[1:])
    flat = np.empty(int(ptr[-1]), dtype=np.int64)
    for k, r in rows.items():
        flat[ptr[k] : ptr[k + 1]] = r
    return ptr, flat


def _entry_tuples(rows: np.ndarray) -> list[tuple[int, float, int, float, float]]:
    """Rows of :func:`~accessibility.routing.kernels.entries` as tuples."""
    return [(int(n), c, int(e), a, b) for n, c, e, a, b in rows.tolist()]


# --- per city: the routers of each profile ----------------------------------------------


class Routing:
    """The routing state of one city: its edge index and a compiled router per profile.

    Routers are compiled on first use from the barrier table given at that time and kept
    while the same table object is used (assign a new table to recompile). With a
    ``keeper``, their contraction hierarchies are kept between runs.
    """

    def __init__(self, G: nx.MultiDiGraph, keeper: HierarchyKeeper | None = None) -> None:
        self.G = G
        self.index = network_index(G)
        self.keeper = keeper
        self._routers: dict[tuple[Profile, int, int], Router] = {}
        self._geometry: EdgeGeometry | None = None
        # by identity (profile, barrier table): hashing a profile costs more than a route's lookups
        self._seen: dict[tuple[int, int, int], tuple[Profile, pd.DataFrame, Router]] = {}

    @property
    def geometry(self) -> EdgeGeometry:
        """The graph's edges as flat arrays, for route assembly (built on first use)."""
        if self._geometry is None:
            self._geometry = edge_geometry(self.G, self.index)
        return self._geometry

    def router(self, profile: Profile, barriers: pd.DataFrame) -> Router:
        """The compiled router of ``profile`` for ``barriers`` (compiled on first use)."""
        seen = self._seen.get((id(profile), id(barriers), len(barriers)))
        if seen is not None and seen[0] is profile and seen[1] is barriers:
            return seen[2]  # the same objects as a recent route: no profile hash
        key = (profile, id(barriers), len(barriers))
        if key not in self._routers:
            self._routers = {k: r for k, r in self._routers.items() if k[1] == id(barriers)}
            self._routers[key] = Router(edge_costs(self.G, barriers, profile), self.index, self.keeper)
        if len(self._seen) >= 64:
            self._seen.clear()
        self._seen[(id(profile), id(barriers), len(barriers))] = (profile, barriers, self._routers[key])
        return self._routers[key]
