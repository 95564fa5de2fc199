"""The exact impact of fixing barriers: who gains an accessible route, per profile and service (pure).

The impact of fixing a barrier is what the audit gains: residents (optionally weighted
by an age share) who get an accessible route within ``threshold_m`` to a facility of
each category, per profile, and facilities that become reachable at all. Reach is the
audit's (:func:`accessibility.audit.audit`, on ``reach.LengthGraph``); :func:`reach_figures`
runs the whole audit and is the yardstick the incremental gains are tested against.
"Fixing" removes the barrier's rows from the table (a fixed steep incline also drops the
edge's incline: the path is regraded), see :func:`apply_fixes`.

Exact and fast
--------------
A fix only matters for a profile where it opens a forbidden edge or node (all of the
edge's blocking rows fixed). For newly open directed edges ``a -> b`` (length ``l``), a
shortest route that uses any of them has a last one, after which it uses old edges only,
so ``new(x) = min(old(x), min_ab dist'(x, a) + l + old(b))`` with ``dist'`` on the new
graph. One backward search bounded by the threshold, seeded at the ``a`` ends, gives
every category at once. Opening a node opens the edges entering it; a way opens all its
edges: the same formula. When a fix makes a node usable that is nearer to a facility's
door than its present arrival point, the arrival points change and that (profile,
category) is recomputed in full on the patched graph: still exact.

The ranking that uses these gains is :mod:`accessibility.planning.ranking`.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra

from accessibility import settings
from accessibility.analysis.destinations import Targets, arrival_points, facility_targets, node_xy
from accessibility.analysis.reach import _ZERO, LengthGraph, source_row
from accessibility.constants import WGS84
from accessibility.model.costs import EdgeCosts, edge_costs
from accessibility.model.profiles import Profile
from accessibility.model.snapping import network_index

log = logging.getLogger(__name__)


# --- the audit's reach, from scratch (what planning must equal) ---------------------------


def reach_figures(
    G: nx.MultiDiGraph,
    barriers: pd.DataFrame,
    facilities: gpd.GeoDataFrame,
    people: np.ndarray,
    profiles: list[Profile],
    categories: list[str],
    threshold_m: float,
) -> dict[tuple[str, str], tuple[float, int]]:
    """``{(profile, category): (people reached within threshold, facilities reachable at all)}``,
    from a full run of the audit (:func:`accessibility.audit.audit`): the naive method, and
    the yardstick the plan's incremental gains are checked against. ``people`` is aligned
    with ``G``'s node order."""
    from accessibility.analysis.areas import areas_for
    from accessibility.analysis.audit import audit, population_table, thresholds

    table = population_table(pd.Series(people, index=list(G.nodes)))
    result = audit(
        G,
        barriers,
        facilities,
        profiles,
        categories,
        table,
        areas_for(G),
        thresholds(distances_m=[threshold_m], minutes=[]),
    )
    unreachable = result.unreachable.groupby(["profile", "category"]).size()
    out = {}
    for p in profiles:
        for k in categories:
            row = result.reach[(result.reach["profile"] == p.name) & (result.reach["category"] == k)].iloc[0]
            out[(p.name, k)] = (row["residents_reached"], int(row["facilities"]) - int(unreachable.get((p.name, k), 0)))
    return out


def people_passing(
    G: nx.MultiDiGraph,
    barriers: pd.DataFrame,
    facilities: gpd.GeoDataFrame,
    people: np.ndarray,
    profiles: list[Profile],
    categories: list[str],
    thresholds: dict[str, float],
) -> np.ndarray:
    """For each barrier row: the people whose shortest accessible route to the nearest
    facility (within the threshold) passes it where it only hinders the profile or its data
    is unknown, summed over profiles and categories. Such fixes (tactile paving, acoustic
    signals, paving) open no new route, so they gain nothing in reach; this says how many
    people they would serve. Blocking rows count 0 here: their value is their gain."""
    out = np.zeros(len(barriers))
    for use in people_passing_by_key(G, barriers, facilities, people, profiles, categories, thresholds).values():
        out += use
    return out


def people_passing_by_key(
    G: nx.MultiDiGraph,
    barriers: pd.DataFrame,
    facilities: gpd.GeoDataFrame,
    people: np.ndarray,
    profiles: list[Profile],
    categories: list[str],
    thresholds: dict[str, float],
) -> dict[tuple[str, str], np.ndarray]:
    """:func:`people_passing` per ``(profile, category)``: for each barrier row, the people
    of that pair whose way passes it (pairs where nothing only hinders are left out). A lens
    (:mod:`accessibility.planning.lenses`) weighs them per profile and category."""
    from accessibility.model.barriers import barrier_targets

    out: dict[tuple[str, str], np.ndarray] = {}
    if len(barriers) == 0:
        return out
    on = barrier_targets(barriers, G)
    xy = None
    for p in profiles:
        costs = edge_costs(G, barriers, p, targets=on)
        soft = np.isin(costs.severity, ["hindering", "unknown"])
        if not soft.any():
            continue
        graph = LengthGraph.from_costs(costs)
        xy = node_xy(G, costs.nodes) if xy is None else xy
        pairs = [(r, i) for i, rows in costs.edge_rows.items() for r in rows if soft[r]]
        node_pairs = [(r, j) for j, rows in costs.node_rows.items() for r in rows if soft[r]]
        for k in categories:
            t = facility_targets(costs, xy, facilities[facilities["category"] == k])
            dist, nxt = graph.tree_to(t.points, thresholds[p.name])
            flow = np.where(dist <= thresholds[p.name], people, 0.0)
            for x in np.argsort(-np.where(np.isfinite(dist), dist, -1.0), kind="stable"):
                if not np.isfinite(dist[x]):
                    break
                if nxt[x] >= 0:
                    flow[nxt[x]] += flow[x]
            edge_flow = np.where(nxt[costs.u] == costs.v, flow[costs.u], 0.0)
            use = np.zeros(len(barriers))
            if pairs:
                rows, edges = np.array(pairs).T
                np.maximum.at(use, rows, edge_flow[edges])
            if node_pairs:
                rows, nodes = np.array(node_pairs).T
                np.maximum.at(use, rows, flow[nodes])
            out[(p.name, k)] = use
    return out


def apply_fixes(
    G: nx.MultiDiGraph, barriers: gpd.GeoDataFrame, rows: Iterable[int]
) -> tuple[nx.MultiDiGraph, gpd.GeoDataFrame]:
    """The city after fixing barrier rows ``rows`` (positions): the rows removed and, for a
    fixed steep incline, its edges' incline dropped (regraded). ``G`` is copied only then."""
    rows = sorted({int(r) for r in rows})
    fixed = barriers.iloc[rows]
    steep = fixed[fixed["kind"] == "steep_incline"]
    if len(steep):
        G = G.copy()
        ways = set(steep.loc[steep["element"] == "way", "osm_id"].astype(int))
        for _, _, d in G.edges(data=True):
            if d.get("osmid") in ways:
                d.pop("incline_pct", None)
    keep = np.ones(len(barriers), dtype=bool)
    keep[rows] = False
    return G, barriers.iloc[np.flatnonzero(keep)]


# --- a sparse graph whose edge weights can be patched in place ------------------------------


class _Patchable:
    """CSR matrix over fixed (row, col) pairs; ``inf`` weight = absent. One spare row/col."""

    def __init__(self, n: int, rows: np.ndarray, cols: np.ndarray, weights: np.ndarray) -> None:
        order = np.lexsort((cols, rows))
        self.position = np.empty(len(rows), dtype=np.int64)
        self.position[order] = np.arange(len(rows))
        indptr = np.zeros(n + 2, dtype=np.int64)
        np.add.at(indptr, rows + 1, 1)
        self.matrix = csr_matrix((weights[order].astype(float), cols[order], np.cumsum(indptr)), shape=(n + 1, n + 1))
        self.matrix.has_sorted_indices = True

    def get(self, pairs: np.ndarray) -> np.ndarray:
        return self.matrix.data[self.position[pairs]].copy()

    def set(self, pairs: np.ndarray, weights: np.ndarray | float) -> None:
        self.matrix.data[self.position[pairs]] = weights

    def lower(self, pairs: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Lower the weights of ``pairs`` to ``weights`` where smaller; return the old ones."""
        old = self.get(pairs)
        np.minimum.at(self.matrix.data, self.position[pairs], weights)
        return old


@dataclass
class Gain:
    """Marginal effect of a fix: people reached and facilities newly reachable, per
    (profile, category)."""

    people: dict[tuple[str, str], float] = field(default_factory=dict)
    facilities: dict[tuple[str, str], int] = field(default_factory=dict)

    @property
    def total(self) -> float:
        return float(sum(self.people.values()))

    @property
    def total_facilities(self) -> int:
        return int(sum(self.facilities.values()))

    def minus(self, other: Gain) -> Gain:
        keys = set(self.people) | set(other.people)
        fkeys = set(self.facilities) | set(other.facilities)
        return Gain(
            {k: self.people.get(k, 0.0) - other.people.get(k, 0.0) for k in keys},
            {k: self.facilities.get(k, 0) - other.facilities.get(k, 0) for k in fkeys},
        )


@dataclass
class _Effect:
    """What a fix set changes for one profile (kept to commit it)."""

    new_edges: np.ndarray
    opened_nodes: np.ndarray
    edge_ok: np.ndarray
    node_ok: np.ndarray
    people: dict[str, float]
    facilities: dict[str, int]
    distances: dict[str, tuple[np.ndarray, np.ndarray]]  # category -> (nodes, new distances)
    full: dict[str, tuple[Targets, np.ndarray]]  # category -> (targets, distances) when recomputed
    reach_all: np.ndarray | None


class _ProfileState:
    """One profile's network under the fixes made so far, and the reach figures on it."""

    def __init__(
        self,
        G,
        barriers,
        profile: Profile,
        fixable: set[int],
        xy: np.ndarray,
        people: np.ndarray,
        facilities: dict[str, gpd.GeoDataFrame],
        threshold: float,
    ) -> None:
        self.profile, self.xy, self.people, self.T = profile, xy, people, threshold
        self.facilities = facilities
        costs = edge_costs(G, barriers, profile)
        self.costs = costs
        n = len(costs.nodes)
        self.n = n
        self.u, self.v = costs.u, costs.v
        self.length = np.maximum(costs.length, _ZERO)
        avoid = profile.unknown == "avoid"
        kinds = barriers["kind"].to_numpy()
        measured = ~barriers["measure"].isna().to_numpy()
        sev = costs.severity

        def stops(r: int) -> bool:
            return sev[r] == "blocking" or (avoid and sev[r] == "unknown")

        self.edge_ok = np.isfinite(costs.cost)
        self.node_ok = np.isfinite(costs.node_cost)
        self.ereq: dict[int, frozenset[int]] = {}
        for e in np.flatnonzero(~self.edge_ok):
            rows = costs.edge_rows.get(int(e), [])
            steep = [r for r in rows if kinds[r] == "steep_incline" and measured[r]]
            need = {
                r
                for r in rows
                if stops(r) and not (kinds[r] == "steep_incline" and measured[r] and not math.isnan(costs.incline[e]))
            }
            if costs.incline_blocked[e]:
                if not steep:
                    continue  # too steep with no barrier row to fix: stays closed
                need |= set(steep)
            if need and need <= fixable:
                self.ereq[int(e)] = frozenset(need)
        self.nreq: dict[int, frozenset[int]] = {}
        for j in np.flatnonzero(~self.node_ok):
            need = {r for r in costs.node_rows.get(int(j), []) if stops(r)}
            if need and need <= fixable:
                self.nreq[int(j)] = frozenset(need)
        self.ecand: dict[int, list[int]] = {}
        for edge, needed in self.ereq.items():
            for r in needed:
                self.ecand.setdefault(r, []).append(edge)
        self.ncand: dict[int, list[int]] = {}
        for node, needed in self.nreq.items():
            for r in needed:
                self.ncand.setdefault(r, []).append(node)
        # edges entering each node (to open a node)
        order = np.argsort(self.v, kind="stable")
        self.in_ptr = np.searchsorted(self.v[order], np.arange(n + 1))
        self.in_edges = order
        # pair graph: one weight per (u, v) pair, shortest open parallel edge
        key = self.u * (n + 1) + self.v
        self.pair_keys, self.pair_of_edge = np.unique(key, return_inverse=True)
        pu, pv = self.pair_keys // (n + 1), self.pair_keys % (n + 1)
        self.open = self.edge_ok & self.node_ok[self.v]
        w = np.full(len(self.pair_keys), np.inf)
        np.minimum.at(w, self.pair_of_edge[self.open], self.length[self.open])
        self.back = _Patchable(n, pv, pu, w)
        self.fixed: set[int] = set()
        # refreshed by Planner.refresh_topology after each pick
        self._pocket_cache: tuple[np.ndarray, np.ndarray] = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
        self.node_touch: dict[int, set[int]] = {}
        # reach at all: forward from resident nodes
        self.residents = np.flatnonzero(people > 0)
        self.fwd_rows = pu
        self.fwd = _Patchable(n, pu, pv, w)
        self.reach_all = self._forward(self.fwd.matrix, self.residents)
        self.fwd.set(np.flatnonzero(self.reach_all[pu]), np.inf)  # searches stop at R: "outside" graph
        # arrival points and distances per category
        self.usable_deg = np.bincount(self.u[self.open], minlength=n) + np.bincount(self.v[self.open], minlength=n)
        self.targets, self.d, self.qpts, self.qcur = {}, {}, {}, {}
        usable = self.node_ok & (self.usable_deg > 0)
        index = network_index(G)
        for k, fac in facilities.items():
            t = facility_targets(self._costs_now(self.edge_ok, self.node_ok), xy, fac)
            self.targets[k] = t
            self.d[k] = self._full_distances(self.back.matrix, t.points)
            q = _query_points(fac, profile)
            self.qpts[k] = q
            self.qcur[k] = index.nearest_nodes(q, mask=usable)[0]
        self.index = index
        self.sensitive = {k: self._sensitive(k) for k in facilities}

    # --- helpers ---
    def _sensitive(self, k: str) -> np.ndarray:
        """Nodes that, made usable, would become a facility's nearest arrival point."""
        mask = np.zeros(self.n, dtype=bool)
        for q, r in zip(self.qpts[k], self.qcur[k]):
            for j in self.index.nodes_within(q, min(r, settings.snap_max_m)):
                mask[j] = True
        return mask

    def _forward(self, matrix, sources: np.ndarray) -> np.ndarray:
        if len(sources) == 0:
            return np.zeros(self.n, dtype=bool)
        d = dijkstra(matrix, indices=sources, min_only=True)
        return np.isfinite(d[: self.n])

    def _full_distances(self, matrix, points) -> np.ndarray:
        if not points:
            return np.full(self.n, np.inf)
        sup = source_row(points, self.n, matrix.shape)
        return dijkstra(matrix + sup, indices=self.n, limit=self.T)[: self.n]

    def _costs_now(self, edge_ok: np.ndarray, node_ok: np.ndarray) -> EdgeCosts:
        c = self.costs
        cost = np.where(edge_ok, np.where(np.isfinite(c.cost), c.cost, c.length), np.inf)
        node_cost = np.where(node_ok, np.where(np.isfinite(c.node_cost), c.node_cost, 0.0), np.inf)
        return dataclasses.replace(c, cost=cost, node_cost=node_cost)

    def touched_nodes(self, row: int) -> np.ndarray:
        edges = self.ecand.get(row, [])
        nodes = list(self.ncand.get(row, []))
        if edges:
            nodes += list(self.u[edges]) + list(self.v[edges])
        return np.unique(np.asarray(nodes, dtype=np.int64))

    # --- the effect of fixing rows X on top of self.fixed ---
    def effect(self, X: set[int]) -> _Effect | None:
        S = self.fixed | X
        edge_ok, node_ok = self.edge_ok, self.node_ok
        e_open = [e for r in X for e in self.ecand.get(r, []) if not edge_ok[e] and self.ereq[e] <= S]
        n_open = [j for r in X for j in self.ncand.get(r, []) if not node_ok[j] and self.nreq[j] <= S]
        if not e_open and not n_open:
            return None
        edge_ok, node_ok = edge_ok.copy(), node_ok.copy()
        edge_ok[e_open] = True
        node_ok[n_open] = True
        entering = set(e_open)
        for j in n_open:
            entering.update(self.in_edges[self.in_ptr[j] : self.in_ptr[j + 1]].tolist())
        cand = np.array(sorted(entering), dtype=np.int64)
        new = cand[edge_ok[cand] & node_ok[self.v[cand]] & ~self.open[cand]]
        eff = _Effect(new, np.asarray(n_open, dtype=np.int64), edge_ok, node_ok, {}, {}, {}, {}, None)
        if len(new) == 0 and not n_open:
            return eff
        pairs = self.pair_of_edge[new]
        old_back = self.back.lower(pairs, self.length[new])
        try:
            self._people(eff)
            self._facilities(eff)
        finally:
            self.back.set(pairs, old_back)
        return eff

    def _changed_targets(self, eff: _Effect) -> list[str]:
        ends = np.unique(np.concatenate([self.u[eff.new_edges], self.v[eff.new_edges], eff.opened_nodes]))
        deg = (
            self.usable_deg[ends]
            + np.bincount(np.concatenate([self.u[eff.new_edges], self.v[eff.new_edges]]), minlength=self.n)[ends]
        )
        newly = ends[eff.node_ok[ends] & (deg > 0) & ~(self.node_ok[ends] & (self.usable_deg[ends] > 0))]
        if len(newly) == 0:
            return []
        return [k for k, mask in self.sensitive.items() if mask[newly].any()]

    def _people(self, eff: _Effect) -> None:
        T, new = self.T, eff.new_edges
        changed = set(self._changed_targets(eff))
        for k in changed:
            t = facility_targets(self._costs_now(eff.edge_ok, eff.node_ok), self.xy, self.facilities[k])
            d = self._full_distances(self.back.matrix, t.points)
            old = self.d[k]
            eff.people[k] = float(self.people[(d <= T) & ~(old <= T)].sum() - self.people[(old <= T) & ~(d <= T)].sum())
            eff.full[k] = (t, d)
        cats = [k for k in self.d if k not in changed]
        if not cats:
            return
        a, b, ln = self.u[new], self.v[new], self.length[new]
        offs = np.stack([ln + self.d[k][b] for k in cats])  # (K, edges)
        olds = np.stack([self.d[k][a] for k in cats])
        useful = (offs <= T) & (offs < olds)
        if not useful.any():
            for k in cats:
                eff.people[k] = 0.0
            return
        seeds, where = np.unique(a, return_inverse=True)
        off = np.full((len(cats), len(seeds)), np.inf)
        ci, e = np.nonzero(useful)
        np.minimum.at(off, (ci, where[e]), offs[ci, e])
        keep = np.isfinite(off).any(axis=0)
        seeds, off = seeds[keep], off[:, keep]
        dist = np.atleast_2d(dijkstra(self.back.matrix, indices=seeds, limit=T))[:, : self.n]
        idx = np.flatnonzero(np.isfinite(dist).any(axis=0))
        D = (dist[None, :, idx] + off[:, :, None]).min(axis=1)  # (K, nodes) all categories at once
        old = np.stack([self.d[k][idx] for k in cats])
        better = (D <= T) & (D < old)
        gained = better & ~(old <= T)
        people = gained @ self.people[idx]
        for i, k in enumerate(cats):
            eff.people[k] = float(people[i])
            eff.distances[k] = (idx[better[i]], D[i, better[i]])

    def _facilities(self, eff: _Effect) -> None:
        new = eff.new_edges
        front = new[self.reach_all[self.u[new]] & ~self.reach_all[self.v[new]]]
        grew = len(front) > 0
        if grew:
            pairs = self.pair_of_edge[new]
            outside = ~self.reach_all[self.u[new]]
            old = self.fwd.lower(pairs[outside], self.length[new][outside])
            try:
                extra = self._forward(self.fwd.matrix, np.unique(self.v[front]))
            finally:
                self.fwd.set(pairs[outside], old)
            eff.reach_all = self.reach_all | extra
        reach = eff.reach_all if grew and eff.reach_all is not None else self.reach_all
        for k in self.d:
            if not grew and k not in eff.full:
                eff.facilities[k] = 0
                continue
            before = _reachable(self.targets[k], self.reach_all)
            after = _reachable(eff.full[k][0] if k in eff.full else self.targets[k], reach)
            eff.facilities[k] = len(after - before)

    def commit(self, X: set[int], eff: _Effect | None) -> np.ndarray:
        """Make the fixes; return the nodes whose distances changed or that the new edges touch."""
        self.fixed |= X
        if eff is None:
            return np.array([], dtype=np.int64)
        new = eff.new_edges
        self.edge_ok, self.node_ok = eff.edge_ok, eff.node_ok
        self.open[new] = True
        pairs = self.pair_of_edge[new]
        self.back.lower(pairs, self.length[new])
        newly_usable = np.unique(np.concatenate([self.u[new], self.v[new], eff.opened_nodes]))
        np.add.at(self.usable_deg, self.u[new], 1)
        np.add.at(self.usable_deg, self.v[new], 1)
        for k, q in self.qpts.items():
            if len(q) and len(newly_usable):
                ok = newly_usable[self.node_ok[newly_usable] & (self.usable_deg[newly_usable] > 0)]
                if len(ok):
                    dist = np.linalg.norm(q[:, None, :] - self.xy[ok][None, :, :], axis=2).min(axis=1)
                    if (dist < self.qcur[k]).any():
                        self.qcur[k] = np.minimum(self.qcur[k], dist)
                        self.sensitive[k] = self._sensitive(k)
        changed = [newly_usable]
        for k, (nodes, dist) in eff.distances.items():
            self.d[k][nodes] = dist
            changed.append(nodes)
        for k, (t, d) in eff.full.items():
            old = self.d[k]
            changed.append(np.flatnonzero(~np.isclose(old, d, rtol=0, atol=1e-9) & (np.isfinite(old) | np.isfinite(d))))
            self.targets[k], self.d[k] = t, d
        if eff.reach_all is not None:
            added = np.flatnonzero(eff.reach_all & ~self.reach_all)
            changed.append(added)  # candidates touching these may now make facilities reachable
            self.reach_all = eff.reach_all
            rows = np.flatnonzero(np.isin(self.fwd_rows, added))
            self.fwd.set(rows, np.inf)
        outside = ~self.reach_all[self.u[new]]
        self.fwd.lower(pairs[outside], self.length[new][outside])
        return np.unique(np.concatenate(changed))

    def pockets(self) -> tuple[np.ndarray, np.ndarray]:
        """Weakly connected parts of the open network: label per node, size per label."""
        g = csr_matrix((np.ones(int(self.open.sum())), (self.u[self.open], self.v[self.open])), shape=(self.n, self.n))
        _, labels = connected_components(g, directed=True, connection="weak")
        return labels, np.bincount(labels)


def _reachable(targets, reach_all: np.ndarray) -> set[int]:
    return {f for (node, _), f in zip(targets.points, targets.facility) if reach_all[node]}


def _query_points(fac: gpd.GeoDataFrame, profile: Profile) -> np.ndarray:
    """The points facility_targets snaps (see :func:`destinations.arrival_points`)."""
    from pyproj import Transformer

    to_graph = Transformer.from_crs(WGS84, fac.crs, always_xy=True)
    pts = []
    for row in fac.itertuples(index=False):
        pts += arrival_points(row, fac.crs, profile.wheelchair, to_graph) or []
    return np.array(pts, dtype=float).reshape(-1, 2)


class Planner:
    """Exact marginal gains of candidate fixes on top of the fixes already made."""

    def __init__(
        self,
        G: nx.MultiDiGraph,
        barriers: gpd.GeoDataFrame,
        facilities: gpd.GeoDataFrame,
        people: np.ndarray,
        profiles: list[Profile],
        categories: list[str],
        threshold_m: float | dict[str, float],
        candidate_rows: Iterable[int],
    ) -> None:
        fixable = {int(r) for r in candidate_rows}
        nodes = list(G.nodes)
        xy = node_xy(G, nodes)
        facs = {k: facilities[facilities["category"] == k] for k in categories}
        T = threshold_m if isinstance(threshold_m, dict) else {p.name: float(threshold_m) for p in profiles}
        self.thresholds = T
        self.states = [_ProfileState(G, barriers, p, fixable, xy, people, facs, T[p.name]) for p in profiles]
        self.xy = xy
        self.relevant = sorted({r for s in self.states for r in (*s.ecand, *s.ncand)})

    def gain(self, X: set[int]) -> tuple[Gain, list]:
        out, effects = Gain(), []
        for s in self.states:
            eff = s.effect(X)
            effects.append(eff)
            for k in s.d:
                out.people[(s.profile.name, k)] = eff.people.get(k, 0.0) if eff else 0.0
                out.facilities[(s.profile.name, k)] = eff.facilities.get(k, 0) if eff else 0
        return out, effects

    def commit(self, X: set[int], effects: list) -> np.ndarray:
        """Make the fixes in every profile; the nodes where anything changed."""
        changed = [s.commit(X, eff) for s, eff in zip(self.states, effects)]
        return np.unique(np.concatenate(changed + [np.array([], dtype=np.int64)]))

    def touched(self, row: int) -> np.ndarray:
        return np.unique(np.concatenate([s.touched_nodes(row) for s in self.states] + [np.array([], dtype=np.int64)]))

    def partners(self, row: int, limit: int) -> set[int]:
        """Candidates that may only matter together with ``row``: co-blockers of its
        edges and nodes, and candidates touching it or the small pocket it leads into."""
        out: set[int] = set()
        for s in self.states:
            for e in s.ecand.get(row, []):
                out |= s.ereq[e]
            for j in s.ncand.get(row, []):
                out |= s.nreq[j]
            nodes = s.touched_nodes(row)
            if len(nodes) == 0:
                continue
            labels, sizes = s._pocket_cache
            small = [lab for lab in np.unique(labels[nodes]) if sizes[lab] <= settings.plan_pocket_nodes]
            area = set(nodes.tolist())
            if small:
                area |= set(np.flatnonzero(np.isin(labels, small)).tolist())
            for j in area:
                out |= s.node_touch.get(j, set())
        out.discard(row)
        out &= set(self.relevant)
        if len(out) > limit:  # nearest first
            here = self.xy[self.touched(row)].mean(axis=0)
            out = set(
                sorted(out, key=lambda r: (np.linalg.norm(self.xy[self.touched(r)].mean(axis=0) - here), r))[:limit]
            )
        return out

    def refresh_topology(self) -> None:
        for s in self.states:
            s._pocket_cache = s.pockets()
            touch: dict[int, set[int]] = {}
            for r in set(s.ecand) | set(s.ncand):
                if r in s.fixed:
                    continue
                for j in s.touched_nodes(r).tolist():
                    touch.setdefault(j, set()).add(r)
            s.node_touch = touch
