"""Routes, nearest facility and reachability on a structure compiled per profile.

A :class:`Router` compiles one profile's :class:`~accessibility.costs.EdgeCosts` into a
``scipy.sparse`` CSR matrix (one entry per node pair: the cheapest parallel edge) and,
on the first route, a contraction hierarchy of it
(:class:`~accessibility.contraction.Hierarchy`). Point-to-point routes run two small
upward searches on the hierarchy with ``scipy.sparse.csgraph.dijkstra`` in C, exact
whatever the distance; one-to-all searches (reachability, nearest facility) run the same
Dijkstra on the plain matrix. Never networkx per query.
Endpoints snap to a point along the nearest edge the profile can use (the edge is split
virtually: one extra source row in the matrix, rewritten per query), found with a shapely
``STRtree`` built once per city. A Router is not thread-safe (the source rows are shared).

Plain data out: :class:`Route` with ``found``, ``length_m``, ``duration_s``, the
``(u, v, key)`` edges of ``city.network`` it uses, and :meth:`Route.to_geojson`.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from pyproj import Transformer
from scipy.sparse.csgraph import dijkstra
from shapely import LineString, Point, STRtree
from shapely.ops import substring

from . import settings
from .barriers import taxonomy
from .contraction import Hierarchy
from .costs import Edge, EdgeCosts, edge_costs
from .errors import SnapError
from .profiles import Profile
from .reach import shortest_per_pair
from .network import WGS84

log = logging.getLogger(__name__)

_TINY = 1e-9


# --- snapping ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Snap:
    """A point placed on an edge: ``offset`` metres from ``u`` along the forward edge."""

    fwd: int  # index of the forward directed edge (u -> v)
    bwd: int  # index of its reverse (v -> u)
    offset: float
    length: float
    distance: float  # from the given point to the edge, metres
    xy: tuple[float, float] = (math.nan, math.nan)  # the given point, projected


class EdgeIndex:
    """Spatial index of the graph's physical edges (each stored once), built once.

    Edge indices follow ``G.edges(keys=True)`` order, the order of
    :func:`~accessibility.costs.edge_costs`.
    """

    def __init__(self, G: nx.MultiDiGraph) -> None:
        edges = list(G.edges(keys=True, data=True))
        position = {(u, v, k): i for i, (u, v, k, _) in enumerate(edges)}
        fwd, bwd, geoms = [], [], []
        taken: set[int] = set()
        for i, (u, v, k, d) in enumerate(edges):
            if d["reversed"]:
                continue
            for rk, rd in G[v][u].items():
                j = position[(v, u, rk)]
                if rd["reversed"] and rd["osmid"] == d["osmid"] and j not in taken \
                        and abs(rd["length"] - d["length"]) < 1e-6:
                    taken.add(j)
                    fwd.append(i)
                    bwd.append(j)
                    geoms.append(d["geometry"])
                    break
        self.fwd = np.asarray(fwd, dtype=np.int64)
        self.bwd = np.asarray(bwd, dtype=np.int64)
        self.geoms = np.asarray(geoms, dtype=object)
        self.tree = STRtree(geoms)
        self.crs = G.graph["crs"]
        self.to_xy = Transformer.from_crs(WGS84, self.crs, always_xy=True)
        self.to_lonlat = Transformer.from_crs(self.crs, WGS84, always_xy=True)

    def xy(self, latlon: tuple[float, float]) -> tuple[float, float]:
        """Project a ``(lat, lon)`` pair to the graph CRS, checking it first."""
        lat, lon = _check_latlon(latlon)
        x, y = self.to_xy.transform(lon, lat)
        return float(x), float(y)

    def snap(self, x: float, y: float, usable: np.ndarray, max_m: float, what: str = "point") -> Snap:
        """The nearest physical edge within ``max_m`` with a usable direction.

        ``usable[i]`` tells whether directed edge ``i`` may be used. Raises
        :class:`SnapError` naming the distance to the nearest edge of any kind.
        """
        point = Point(x, y)
        near = self.tree.query_nearest(point, max_distance=max_m, all_matches=True)
        hits = near if any(usable[self.fwd[h]] or usable[self.bwd[h]] for h in near) else \
            self.tree.query(point, predicate="dwithin", distance=max_m)
        if len(hits):
            dists = shapely.distance(self.geoms[hits], point)
            for h in hits[np.argsort(dists, kind="stable")]:
                f, b = self.fwd[h], self.bwd[h]
                if usable[f] or usable[b]:
                    line = self.geoms[h]
                    return Snap(int(f), int(b), float(line.project(point)), float(line.length),
                                float(line.distance(point)), (float(x), float(y)))
        nearest = self.tree.query_nearest(point, return_distance=True)
        far = float(nearest[1][0]) if len(nearest[1]) else math.inf
        raise SnapError(f"the {what} is {far:,.0f} m from the nearest path of the network"
                        + (" usable with this profile" if len(hits) else "")
                        + f": more than {max_m:,.0f} m (settings.snap_max_m); check the coordinates"
                        + (" or choose a less restrictive profile" if len(hits) else ""))

    def snap_pair(self, o: tuple[float, float], d: tuple[float, float], usable: np.ndarray,
                  max_m: float) -> tuple[Snap, Snap]:
        """:meth:`snap` for an origin and a destination at once (one batch of shapely
        calls; same choice of edge). Falls back to :meth:`snap` when the nearest edges
        of either point are all unusable, and for its errors."""
        points = shapely.points([o, d])
        which, hit = self.tree.query_nearest(points, max_distance=max_m, all_matches=True)
        chosen = [-1, -1]
        for i, h in zip(which.tolist(), hit.tolist()):  # tree order, as in snap()
            if chosen[i] < 0 and (usable[self.fwd[h]] or usable[self.bwd[h]]):
                chosen[i] = h
        if chosen[0] < 0 or chosen[1] < 0:
            return self.snap(*o, usable, max_m, "origin"), self.snap(*d, usable, max_m, "destination")
        lines = self.geoms[chosen]
        offset = shapely.line_locate_point(lines, points).tolist()
        length = shapely.length(lines).tolist()
        dist = shapely.distance(lines, points).tolist()
        so, sd = (Snap(int(self.fwd[h]), int(self.bwd[h]), offset[i], length[i], dist[i], (float(x), float(y)))
                  for i, (h, (x, y)) in enumerate(zip(chosen, (o, d))))
        return so, sd


def _check_latlon(latlon: Any) -> tuple[float, float]:
    try:
        lat, lon = (float(c) for c in latlon)
    except (TypeError, ValueError):
        raise SnapError(f"expected (lat, lon), got {latlon!r}") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or math.isnan(lat) or math.isnan(lon):
        raise SnapError(f"({lat}, {lon}) is not a latitude, longitude pair")
    return lat, lon


# --- the compiled structure -------------------------------------------------------------

@dataclass
class Path:
    """A search result: pieces ``(edge index, start, end)`` in metres along each edge."""

    cost: float
    pieces: list[tuple[int, float, float]]


class Router:
    """One profile's costs compiled into a CSR matrix, answering routes fast."""

    def __init__(self, costs: EdgeCosts, index: EdgeIndex) -> None:
        self.costs = costs
        self.index = index
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
        self.matrix = sp.csr_matrix((w.astype(np.float64), cols.astype(np.int32), indptr.astype(np.int32)),
                                    shape=(n + 1, n + 1))
        self.csr_edge = eidx
        self._pair_edge = dict(zip((rows[:-2] * (n + 1) + cols[:-2]).tolist(), eidx[:-2].tolist()))
        self.slot = int(indptr[n])
        self.usable = np.isfinite(costs.cost)
        self._arcs = (rows[:-2], cols[:-2], w[:-2], eidx[:-2])
        self._hierarchy: Hierarchy | None = None
        self._routes = 0
        self._lengths: list[float] = costs.length.astype(float).tolist()
        log.info("compiled %s router: %d nodes, %d usable of %d edges", costs.profile.name, n,
                 len(rows) - 2, len(costs.edges))

    @property
    def profile(self) -> Profile:
        return self.costs.profile

    # --- searches ---------------------------------------------------------------------

    def _starts(self, s: Snap) -> list[tuple[int, float, int, float, float]]:
        """Where a search from a snapped point enters the graph: (node, cost, edge, from, to)."""
        c = self.costs
        out = []
        ahead, behind = s.length - s.offset, s.offset
        for edge, part, start in ((s.fwd, ahead, s.offset), (s.bwd, behind, s.length - s.offset)):
            node = int(c.v[edge])
            if part <= _TINY:
                cost = 0.0  # standing on the node itself: nothing to enter
            elif np.isfinite(c.cost[edge]):
                cost = part / s.length * c.cost[edge] + c.node_cost[node]
            else:
                continue
            if np.isfinite(cost):
                out.append((node, float(cost), edge, start, s.length))
        return out

    def _ends(self, s: Snap) -> list[tuple[int, float, int, float, float]]:
        """How a search reaches a snapped point: (node, extra cost, edge, from, to)."""
        c = self.costs
        out = []
        for edge, part in ((s.fwd, s.offset), (s.bwd, s.length - s.offset)):
            node = int(c.u[edge])
            if part <= _TINY:
                out.append((node, 0.0, edge, 0.0, 0.0))
            elif np.isfinite(c.cost[edge]):
                extra = part / s.length * c.cost[edge]
                if part >= s.length - _TINY:  # the point is the far node: it is entered
                    extra += c.node_cost[c.v[edge]]
                out.append((node, float(extra), edge, 0.0, part))
        return out

    def search(self, origin: Snap, limit: float = math.inf) -> tuple[np.ndarray, np.ndarray, list]:
        """One-to-all costs from a snapped origin: ``(dist, predecessors, starts)``."""
        starts = self._starts(origin)
        best: dict[int, tuple[float, int]] = {}
        for k, (node, cost, *_) in enumerate(starts):
            if node not in best or cost < best[node][0]:
                best[node] = (cost, k)
        idx, data = self.matrix.indices, self.matrix.data
        slots = [self.slot, self.slot + 1]
        for slot in slots:
            idx[slot], data[slot] = self.source, 1.0  # unused: a harmless self-loop
        for slot, (node, (cost, _)) in zip(slots, best.items()):
            idx[slot], data[slot] = node, cost
        dist, pred = dijkstra(self.matrix, directed=True, indices=self.source,
                              return_predecessors=True, limit=limit)
        return dist, pred, [starts[k] for _, k in best.values()]

    def reachable(self, origin: Snap, max_cost: float = math.inf) -> np.ndarray:
        """Cost from ``origin`` to every node (``inf``: unreachable), one-to-all."""
        dist, _, _ = self.search(origin, limit=max_cost)
        return dist[:-1]

    @property
    def hierarchy(self) -> Hierarchy:
        """The contraction hierarchy of the compiled arcs (built on first access)."""
        if self._hierarchy is None:
            self._hierarchy = Hierarchy(self.source, *self._arcs)
            log.info("%s router: contraction hierarchy with %d shortcuts", self.profile.name,
                     self._hierarchy.shortcuts)
        return self._hierarchy

    def prepare(self) -> Router:
        """Build the contraction hierarchy now (for many routes: a service, a batch)."""
        self.hierarchy
        return self

    def path(self, origin: Snap, destination: Snap) -> Path | None:
        """The cheapest path between two snapped points, or None when there is none.

        Exact either way: the first ``settings.hierarchy_after`` routes of a router run a
        bounded Dijkstra on the matrix (:meth:`path_dijkstra`); then, or after
        :meth:`prepare`, the contraction hierarchy (:meth:`path_hierarchy`), whose build
        costs about as much as a few thousand plain routes.
        """
        self._routes += 1
        if self._hierarchy is None and self._routes <= settings.hierarchy_after:
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
        """Cheapest path on the contraction hierarchy: two small upward searches."""
        starts = _cheapest_per_node(self._starts(origin))
        ends = _cheapest_per_node(self._ends(destination))
        found = self.hierarchy.query([(s[0], s[1]) for s in starts.values()],
                                     [(e[0], e[1]) for e in ends.values()])
        direct = self._direct(origin, destination)
        if direct is not None and (found is None or direct.cost <= found[0]):
            return direct
        if found is None:
            return None
        cost, edges, first, last = found
        length = self._lengths
        _, _, edge0, a0, b0 = starts[first]
        _, _, edge1, a1, b1 = ends[last]
        pieces = [(edge0, a0, b0)] if b0 - a0 > _TINY else []
        pieces.extend([(e, 0.0, length[e]) for e in edges])
        if b1 - a1 > _TINY:
            pieces.append((edge1, a1, b1))
        return Path(cost, pieces)

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
        return Path(best[0], [(e, a, length[e] if b is None else b) for e, a, b in pieces])

    def _direct(self, o: Snap, d: Snap) -> Path | None:
        """Along the shared edge when both points lie on the same one."""
        if o.fwd != d.fwd:
            return None
        c = self.costs
        if d.offset >= o.offset and np.isfinite(c.cost[o.fwd]):
            part = d.offset - o.offset
            cost = part / o.length * c.cost[o.fwd] if part > _TINY else 0.0
            return Path(cost, [(o.fwd, o.offset, d.offset)] if part > _TINY else [])
        if d.offset < o.offset and np.isfinite(c.cost[o.bwd]):
            part = o.offset - d.offset
            return Path(part / o.length * c.cost[o.bwd], [(o.bwd, o.length - o.offset, o.length - d.offset)])
        return None

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


def _cheapest_per_node(entries: list[tuple[int, float, int, float, float]]) -> dict[int, tuple]:
    best: dict[int, tuple] = {}
    for entry in entries:
        if entry[0] not in best or entry[1] < best[entry[0]][1]:
            best[entry[0]] = entry
    return best


# --- per city: the routers of each profile ----------------------------------------------

class Routing:
    """The routing state of one city: its edge index and a compiled router per profile.

    Routers are compiled on first use from the barrier table given at that time and kept
    while the same table object is used (assign a new table to recompile).
    """

    def __init__(self, G: nx.MultiDiGraph) -> None:
        self.G = G
        self.index = EdgeIndex(G)
        self._routers: dict[tuple[Profile, int, int], Router] = {}

    def router(self, profile: Profile, barriers: pd.DataFrame) -> Router:
        key = (profile, id(barriers), len(barriers))
        if key not in self._routers:
            self._routers = {k: r for k, r in self._routers.items() if k[1] == id(barriers)}
            self._routers[key] = Router(edge_costs(self.G, barriers, profile), self.index)
        return self._routers[key]


# --- routes as plain data ---------------------------------------------------------------

@dataclass
class Route:
    """A route for one profile, as plain data (``found`` is False when there is none)."""

    profile: str
    found: bool
    origin: tuple[float, float]
    destination: tuple[float, float]
    length_m: float = 0.0
    duration_s: float = 0.0
    cost: float = math.inf
    edges: list[Edge] = field(default_factory=list)
    fractions: list[float] = field(default_factory=list)
    coords: list[tuple[float, float]] = field(default_factory=list)  # WGS84 (lon, lat)
    unknown_share: float = 0.0
    unknown_coords: list[list[tuple[float, float]]] = field(default_factory=list)
    osm_ways: list[int] = field(default_factory=list)
    walk_length_m: float | None = None
    walk_coords: list[tuple[float, float]] = field(default_factory=list)
    barriers_avoided: list[dict[str, Any]] = field(default_factory=list)
    blockers: list[dict[str, Any]] = field(default_factory=list)
    directions: list[str] = field(default_factory=list)
    lang: str = "it"
    facility: dict[str, Any] | None = None

    @property
    def detour_ratio(self) -> float | None:
        """Length over the plain walking length (1.0: no detour)."""
        if not self.found or not self.walk_length_m:
            return None
        return self.length_m / self.walk_length_m

    def message(self) -> str:
        """One line for people, in the route's language."""
        it = self.lang == "it"
        if self.found:
            minutes = self.duration_s / 60
            return (f"{self.length_m:,.0f} m, {minutes:.0f} min" + (
                f" ({self.detour_ratio:.2f}x il percorso a piedi)" if it else f" ({self.detour_ratio:.2f}x the walking route)")
                    if self.detour_ratio else f"{self.length_m:,.0f} m, {minutes:.0f} min")
        head = (f"Nessun percorso accessibile per il profilo {self.profile}." if it
                else f"No accessible route for profile {self.profile}.")
        if not self.blockers:
            return head + (" Nemmeno a piedi i due punti sono collegati." if it
                           else " The two points are not connected even on foot.")
        lines = [head, "Barriere sul percorso a piedi, dalla più vicina:" if it
                 else "Barriers on the walking route, nearest first:"]
        for b in self.blockers:
            measure = f" {b['measure']:g} {b['unit']}" if b.get("measure") is not None else ""
            where = f", {b['street']}" if b.get("street") else ""
            lines.append(f"  {b['distance_m']:>7,.0f} m  {b['label_it' if it else 'label_en']}{measure}{where} ({b['osm']})")
        return "\n".join(lines)

    def to_geojson(self) -> dict[str, Any]:
        """A GeoJSON Feature: the route as a WGS84 LineString with its properties."""
        props: dict[str, Any] = {
            "profile": self.profile, "found": self.found, "length_m": round(self.length_m, 2),
            "duration_s": round(self.duration_s, 1),
            "walk_length_m": None if self.walk_length_m is None else round(self.walk_length_m, 2),
            "detour_ratio": None if self.detour_ratio is None else round(self.detour_ratio, 4),
            "barriers_avoided": {"count": len(self.barriers_avoided),
                                 "kinds": dict(Counter(b["kind"] for b in self.barriers_avoided))},
            "unknown_share": round(self.unknown_share, 4), "osm_way_ids": self.osm_ways,
            "directions": self.directions, "lang": self.lang,
            "origin": list(self.origin), "destination": list(self.destination),
        }
        if not self.found:
            props["blocking_barriers"] = self.blockers
        if self.facility is not None:
            props["facility"] = self.facility
        geometry = {"type": "LineString", "coordinates": [[round(x, 7), round(y, 7)] for x, y in self.coords]} \
            if len(self.coords) >= 2 else None
        return {"type": "Feature", "geometry": geometry, "properties": props}


def route(routing: Routing, barriers: pd.DataFrame, origin: tuple[float, float],
          destination: tuple[float, float], profile: Profile, walk: Profile, lang: str = "it") -> Route:
    """The route for ``profile`` between two ``(lat, lon)`` points, compared with walking."""
    r = routing.router(profile, barriers)
    o, d = routing.index.xy(origin), routing.index.xy(destination)
    so, sd, path = r.route_xy(o, d)
    w = routing.router(walk, barriers)
    wo, wd, walk_path = w.route_xy(o, d) if r is not w else (so, sd, path)
    return assemble(routing, r, w, path, walk_path, origin, destination, barriers, lang)


def assemble(routing: Routing, r: Router, w: Router, path: Path | None, walk_path: Path | None,
             origin: tuple[float, float], destination: tuple[float, float], barriers: pd.DataFrame,
             lang: str = "it") -> Route:
    """Turn search results into a :class:`Route` with the walk comparison and directions."""
    from .directions import directions as make_directions

    G, c = routing.G, r.costs
    out = Route(profile=r.profile.name, found=path is not None, origin=tuple(origin),
                destination=tuple(destination), lang=lang)
    if walk_path is not None:
        out.walk_length_m = _length(w.costs, walk_path)
        out.walk_coords = _coords(routing, G, w.costs, walk_path)
    if path is None:
        out.blockers = _blockers(r, walk_path, barriers) if walk_path is not None else []
        return out
    out.length_m = _length(c, path)
    out.duration_s = out.length_m / r.profile.speed_mps
    out.cost = path.cost
    out.edges = [c.edges[e] for e, a, b in path.pieces]
    out.fractions = [(b - a) / c.length[e] if c.length[e] > 0 else 1.0 for e, a, b in path.pieces]
    out.coords = _coords(routing, G, c, path)
    unknown_len = sum(b - a for e, a, b in path.pieces if c.unknown[e])
    out.unknown_share = unknown_len / out.length_m if out.length_m > 0 else 0.0
    out.unknown_coords = [_coords(routing, G, c, Path(0, [p])) for p in path.pieces if c.unknown[p[0]]]
    out.osm_ways = list(dict.fromkeys(int(G.edges[c.edges[e]]["osmid"]) for e, _, _ in path.pieces))
    if walk_path is not None:
        out.barriers_avoided = _avoided(r, path, walk_path, barriers)
    legs = [(G.edges[c.edges[e]], _piece(G, c, e, a, b)) for e, a, b in path.pieces]
    out.directions = make_directions(legs, lang)
    return out


def _length(c: EdgeCosts, path: Path) -> float:
    return float(sum(b - a for _, a, b in path.pieces))


def _piece(G: nx.MultiDiGraph, c: EdgeCosts, e: int, a: float, b: float) -> LineString:
    line = G.edges[c.edges[e]]["geometry"]
    if a <= _TINY and b >= c.length[e] - _TINY:
        return line
    return substring(line, a, b)


def _coords(routing: Routing, G: nx.MultiDiGraph, c: EdgeCosts, path: Path) -> list[tuple[float, float]]:
    xy: list[tuple[float, float]] = []
    for e, a, b in path.pieces:
        part = list(_piece(G, c, e, a, b).coords)
        xy.extend(part[1:] if xy and part and xy[-1] == part[0] else part)
    if not xy:
        return []
    lon, lat = routing.index.to_lonlat.transform(*zip(*xy))
    return list(zip(np.round(lon, 7).tolist(), np.round(lat, 7).tolist()))


def _rows_on(c: EdgeCosts, path: Path) -> list[tuple[float, int | None, int, int | None]]:
    """(distance from start, barrier row or None, edge, node entered) along a path."""
    out = []
    at = 0.0
    for k, (e, a, b) in enumerate(path.pieces):
        for row in c.edge_rows.get(e, []):
            out.append((at, row, e, None))
        if c.incline_blocked[e]:
            out.append((at, None, e, None))
        at += b - a
        if k < len(path.pieces) - 1 or b >= c.length[e] - _TINY:
            node = int(c.v[e])
            for row in c.node_rows.get(node, []):
                out.append((at, row, e, node))
    return out


def _describe(row: int | None, barriers: pd.DataFrame, c: EdgeCosts, e: int, distance: float,
              routing_crs_to_lonlat: Transformer) -> dict[str, Any]:
    tax = taxonomy()
    if row is None:  # too steep in this direction, judged from the edge's incline
        kind = "steep_incline"
        return {"kind": kind, "label_it": tax[kind].label_it, "label_en": tax[kind].label_en,
                "measure": round(abs(float(c.incline[e])), 2), "unit": "%", "street": None,
                "osm": f"edge/{c.edges[e][0]}-{c.edges[e][1]}", "distance_m": round(float(distance), 1)}
    b = barriers.iloc[row]
    kind = b["kind"]
    point = b.geometry.representative_point() if b.geometry is not None else None
    lonlat = routing_crs_to_lonlat.transform(point.x, point.y) if point is not None else (None, None)
    return {"kind": kind, "label_it": tax[kind].label_it if kind in tax else kind,
            "label_en": tax[kind].label_en if kind in tax else kind,
            "measure": None if pd.isna(b["measure"]) else float(b["measure"]), "unit": b.get("unit") or "",
            "street": None if pd.isna(b.get("street")) else b.get("street"),
            "osm": b.get("source_id") or f"{b['element']}/{b['osm_id']}", "barrier_id": b.get("barrier_id"),
            "description": None if pd.isna(b.get("description")) else str(b.get("description")),
            "distance_m": round(float(distance), 1),
            "lon": None if lonlat[0] is None else round(lonlat[0], 7),
            "lat": None if lonlat[1] is None else round(lonlat[1], 7)}


def _blockers(r: Router, walk_path: Path, barriers: pd.DataFrame) -> list[dict[str, Any]]:
    """Barriers on the plain walking route that block ``r``'s profile, nearest first."""
    c = r.costs
    out, seen = [], set()
    for at, row, e, node in sorted(_rows_on(c, walk_path), key=lambda t: t[0]):
        if row is None:
            key = ("edge", c.edges[e][0], c.edges[e][1])
            blocking = True
        else:
            key = ("row", row)
            blocking = c.severity[row] == "blocking" and not (
                barriers.iloc[row]["kind"] == "steep_incline" and not c.incline_blocked[e]
                and not pd.isna(barriers.iloc[row]["measure"]) and np.isfinite(c.cost[e]))
        if blocking and key not in seen:
            seen.add(key)
            out.append(_describe(row, barriers, c, e, at, r.index.to_lonlat))
    return out


def _avoided(r: Router, path: Path, walk_path: Path, barriers: pd.DataFrame) -> list[dict[str, Any]]:
    """Barriers that hinder or block the profile on the walking route but not on this one."""
    c = r.costs
    on_route = {row for _, row, _, _ in _rows_on(c, path) if row is not None}
    out, seen = [], set()
    for at, row, e, _ in _rows_on(c, walk_path):
        if row is None or row in on_route or row in seen:
            continue
        if c.severity[row] in {"blocking", "hindering"}:
            seen.add(row)
            out.append(_describe(row, barriers, c, e, at, r.index.to_lonlat))
    return out


def _targets(routing: Routing, facilities: pd.DataFrame) -> list[tuple[int, tuple[float, float]]]:
    """(facility row position, projected point) for each entrance, or the facility itself."""
    from .facilities import entrance_points

    out = []
    for pos in range(len(facilities)):
        f = facilities.iloc[pos]
        doors = entrance_points(f.get("entrances", ""))
        if doors:
            xs, ys = routing.index.to_xy.transform(*zip(*doors))
            out.extend((pos, (float(x), float(y))) for x, y in zip(xs, ys))
        else:
            out.append((pos, (float(f.geometry.x), float(f.geometry.y))))
    return out


def _closest(r: Router, origin: Snap, targets: list[tuple[int, tuple[float, float]]]
             ) -> tuple[Path | None, int | None, tuple[float, float] | None]:
    """The cheapest target to reach from ``origin`` with one one-to-all search."""
    dist, pred, starts = r.search(origin)
    best: tuple[float, Any] = (math.inf, None)
    for pos, xy in targets:
        try:
            snap = r.index.snap(*xy, r.usable, settings.snap_max_m, "facility")
        except SnapError:
            continue  # off the network for this profile
        ends = [dist[node] + extra for node, extra, *_ in r._ends(snap)]
        direct = r._direct(origin, snap)
        cost = min(ends + ([direct.cost] if direct else []), default=math.inf)
        if cost < best[0]:
            best = (float(cost), (pos, xy, snap))
    if best[1] is None:
        return None, None, None
    pos, xy, snap = best[1]
    return r._finish(dist, pred, starts, origin, snap), pos, xy


def nearest(routing: Routing, barriers: pd.DataFrame, facilities: pd.DataFrame, origin: tuple[float, float],
            category_name: str, profile: Profile, walk: Profile, lang: str = "it") -> Route:
    """The route to the facility of a category that is cheapest to reach for ``profile``.

    Facilities are reached at a mapped entrance when they have one. When none can be
    reached, the route is not found and lists what blocks the walk to the nearest one.
    """
    from .errors import FacilityError
    from .facilities import category

    cat = category(category_name)
    rows = facilities[facilities["category"] == cat.name] if len(facilities) else facilities
    if len(rows) == 0:
        raise FacilityError(f"no {cat.label_en.lower()} ({cat.name}) among this city's facilities; "
                            f"rebuild the workspace if it predates facilities")
    targets = _targets(routing, rows)
    r, w = routing.router(profile, barriers), routing.router(walk, barriers)
    o = routing.index.xy(origin)
    so = routing.index.snap(*o, r.usable, settings.snap_max_m, "origin")
    path, pos, xy = _closest(r, so, targets)
    wo = routing.index.snap(*o, w.usable, settings.snap_max_m, "origin")
    if path is not None:
        sd = routing.index.snap(*xy, w.usable, settings.snap_max_m, "facility")
        walk_path = w.path(wo, sd)
    else:
        walk_path, pos, xy = _closest(w, wo, targets)
    if pos is None:
        raise FacilityError(f"no {cat.name} facility lies within {settings.snap_max_m:,.0f} m of the network")
    lon, lat = routing.index.to_lonlat.transform(*xy)
    out = assemble(routing, r, w, path, walk_path, origin, (round(lat, 7), round(lon, 7)), barriers, lang)
    f = rows.iloc[pos]
    out.facility = {"category": cat.name, "label": cat.label(lang), "name": f["name"] or None,
                    "wheelchair": f["wheelchair"] or None, "osm": f"{f['osm_type']}/{f['osm_id']}"}
    return out
