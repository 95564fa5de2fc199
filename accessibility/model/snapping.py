"""The one spatial index of a network: nearest nodes and edges, built once per graph (pure).

Routing snaps a route's ends to a point along the nearest edge the profile may use;
survey reports snap to a node within a few metres, else to an edge; facilities arrive at
the nearest usable node; residents in buildings go to the nearest node. All of them ask
:func:`network_index`, which builds a :class:`NetworkIndex` once per graph object and
keeps it as long as the graph lives.

Edge positions follow ``G.edges(keys=True)`` order, the order of
:func:`~accessibility.model.costs.edge_costs`, so a usable-edge mask from a profile's
costs applies directly. Each physical edge (a forward edge and its reverse) is stored
once in the edge tree.

A route's two ends are snapped on every request, so that search has its own structure: the
edges' segments in a uniform grid of cells, searched ring by ring around the point in a
compiled loop (numba, :func:`_nearest_line`), a few microseconds where a tree query
through shapely costs tens. It finds the same nearest edge (among equally near ones, the
first in edge order) and places the point on it with GEOS's arithmetic (:func:`_locate`).
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass
from typing import Any, NamedTuple

import networkx as nx
import numpy as np
import shapely
from numba import njit
from pyproj import Transformer
from scipy.spatial import cKDTree
from shapely import Point, STRtree

from accessibility.constants import WGS84
from accessibility.errors import SnapError
from accessibility.i18n import _, number

__all__ = [
    "EdgeSnap",
    "NetworkIndex",
    "NodeTree",
    "ReportSnap",
    "check_latlon",
    "network_index",
    "pairs_within",
    "within_distance",
]


class EdgeSnap(NamedTuple):
    """A point placed on a physical edge: ``offset`` metres from ``u`` along the forward edge
    (a named tuple: made four times per route)."""

    fwd: int  # position of the forward directed edge (u -> v)
    bwd: int  # position of its reverse (v -> u)
    offset: float
    length: float
    distance: float  # from the given point to the edge, metres
    xy: tuple[float, float] = (math.nan, math.nan)  # the given point, projected


@dataclass(frozen=True)
class ReportSnap:
    """Where a survey report sits on the graph: a node, an edge, or nowhere within tolerance."""

    element: str  # "node", "edge" or "off_network"
    distance_m: float
    node: int | None = None
    edge: tuple[int, int, int] | None = None
    osmid: int | None = None


def check_latlon(latlon: Any) -> tuple[float, float]:
    """``(lat, lon)`` as two finite floats in range, else :class:`SnapError`.

    >>> check_latlon(("45.13", 10.02))
    (45.13, 10.02)
    """
    try:
        lat, lon = (float(c) for c in latlon)
    except (TypeError, ValueError):
        raise SnapError(_("expected (lat, lon), got {value}").format(value=repr(latlon))) from None
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise SnapError(_("({lat}, {lon}) is not a latitude, longitude pair").format(lat=lat, lon=lon))
    return lat, lon


class NodeTree:
    """Nearest-point queries among the rows of ``xy`` where ``mask`` is true (all without a
    mask), answered as positions into ``xy``: build once, query many times."""

    def __init__(self, xy: np.ndarray, mask: np.ndarray | None = None) -> None:
        xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        self.positions = np.arange(len(xy)) if mask is None else np.flatnonzero(mask)
        self.tree = cKDTree(xy[self.positions]) if len(self.positions) else None

    def query(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Distance to and position of the nearest point, per row of ``points`` (``inf``
        and ``-1`` when there is none)."""
        points = np.asarray(points, dtype=float).reshape(-1, 2)
        if self.tree is None or len(points) == 0:
            return np.full(len(points), np.inf), np.full(len(points), -1, dtype=np.int64)
        dist, idx = self.tree.query(points)
        return np.asarray(dist, dtype=float), self.positions[np.asarray(idx, dtype=np.int64)]


class NetworkIndex:
    """Nodes in a KD-tree and physical edges in an STRtree, of one graph (graph CRS)."""

    def __init__(self, G: nx.MultiDiGraph) -> None:
        self.crs: str = G.graph["crs"]
        self.nodes: list[int] = list(G.nodes)
        self.node_position = {n: i for i, n in enumerate(self.nodes)}
        self.node_xy = (
            np.array([(d["x"], d["y"]) for _, d in G.nodes(data=True)], dtype=float) if self.nodes else np.empty((0, 2))
        )
        self.node_tree = cKDTree(self.node_xy) if self.nodes else None
        edges = list(G.edges(keys=True, data=True))
        position = {(u, v, k): i for i, (u, v, k, _) in enumerate(edges)}
        fwd, bwd, geoms, keys, osmids = [], [], [], [], []
        taken: set[int] = set()
        for i, (u, v, k, d) in enumerate(edges):
            if d["reversed"]:
                continue
            for rk, rd in G[v][u].items():
                j = position[(v, u, rk)]
                if (
                    rd["reversed"]
                    and rd["osmid"] == d["osmid"]
                    and j not in taken
                    and abs(rd["length"] - d["length"]) < 1e-6
                ):
                    taken.add(j)
                    break
            else:
                j = i  # no reverse (a graph edited by hand): the edge stands alone
            fwd.append(i)
            bwd.append(j)
            geoms.append(d["geometry"])
            keys.append((u, v, k))
            osmids.append(d["osmid"])
        self.fwd = np.asarray(fwd, dtype=np.int64)
        self.bwd = np.asarray(bwd, dtype=np.int64)
        self.geoms = np.asarray(geoms, dtype=object)
        self.edge_keys: list[tuple[int, int, int]] = keys
        self.edge_osmid: list[int] = osmids
        self.edge_tree = STRtree(geoms) if geoms else None
        # the same lines as flat coordinates: placing a point on its chosen line is a few
        # Python steps (see locate), cheaper than one shapely call per route
        if geoms:
            coords, owner = shapely.get_coordinates(geoms, return_index=True)
        else:
            coords, owner = np.empty((0, 2)), np.empty(0, dtype=np.int64)
        self.line_xy = np.ascontiguousarray(coords, dtype=float)
        self.line_start = np.zeros(len(geoms) + 1, dtype=np.int64)
        np.cumsum(np.bincount(owner, minlength=len(geoms)), out=self.line_start[1:])
        self._grid: tuple[Any, ...] | None = None
        self._lines_of: dict[tuple[int, ...], tuple[list[np.ndarray], np.ndarray]] = {}
        self._fwd: list[int] = self.fwd.tolist()
        self._bwd: list[int] = self.bwd.tolist()
        self.to_xy = Transformer.from_crs(WGS84, self.crs, always_xy=True)
        self.to_lonlat = Transformer.from_crs(self.crs, WGS84, always_xy=True)

    # --- coordinates -------------------------------------------------------------------

    def xy(self, latlon: tuple[float, float]) -> tuple[float, float]:
        """Project a ``(lat, lon)`` pair to the graph CRS, checking it first."""
        lat, lon = check_latlon(latlon)
        x, y = self.to_xy.transform(lon, lat)  # scalars: a third of the cost of a sequence
        return float(x), float(y)

    def xy_pair(
        self, origin: tuple[float, float], destination: tuple[float, float]
    ) -> tuple[tuple[float, float], tuple[float, float]]:
        """:meth:`xy` of two ``(lat, lon)`` pairs."""
        return self.xy(origin), self.xy(destination)

    # --- nodes -------------------------------------------------------------------------

    def nearest_nodes(self, points: np.ndarray, mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """For each ``(x, y)`` row of ``points``: distance to, and position of, the nearest
        node (of those where ``mask`` is true, when given). No node: ``inf`` and ``-1``."""
        return NodeTree(self.node_xy, mask).query(points)

    def nodes_within(self, point: tuple[float, float], radius: float) -> list[int]:
        """Positions of the nodes within ``radius`` metres of ``point``."""
        if self.node_tree is None:
            return []
        return sorted(self.node_tree.query_ball_point(point, radius))

    # --- edges for routing --------------------------------------------------------------

    def snap(self, x: float, y: float, usable: np.ndarray, max_m: float, what: str = "point") -> EdgeSnap:
        """The nearest physical edge within ``max_m`` with a usable direction (among equally
        near ones, the first in edge order), and where the point falls on it.

        ``usable[i]`` tells whether directed edge ``i`` may be used. Raises
        :class:`SnapError` naming the distance to the nearest usable edge, or to the
        nearest edge of any kind when none within the limit is usable.
        """
        return self._snap_points([(x, y)], [usable], max_m, [what])[0][0]

    def snap_pair(
        self, o: tuple[float, float], d: tuple[float, float], usable: np.ndarray, max_m: float
    ) -> tuple[EdgeSnap, EdgeSnap]:
        """:meth:`snap` for an origin and a destination at once (errors name which)."""
        so, sd = self._snap_points([o, d], [usable], max_m, ["origin", "destination"])[0]
        return so, sd

    def snap_pairs(
        self, o: tuple[float, float], d: tuple[float, float], usables: list[np.ndarray], max_m: float
    ) -> list[tuple[EdgeSnap, EdgeSnap]]:
        """:meth:`snap_pair` for several usable-edge masks at once (a route and its
        walking comparison: one compiled call)."""
        return [(so, sd) for so, sd in self._snap_points([o, d], usables, max_m, ["origin", "destination"])]

    def _snap_points(
        self, points: list[tuple[float, float]], usables: list[np.ndarray], max_m: float, what: list[str]
    ) -> list[list[EdgeSnap]]:
        """Per usable-edge mask, per point: its :class:`EdgeSnap` (errors name the point
        by ``what``)."""
        if self.edge_tree is None:
            raise SnapError(_("the network has no paths"))
        xy = np.array(points, dtype=float).reshape(-1, 2)
        found = _snap(xy, float(max_m), self._usable_lines(usables), *self._segment_grid()).tolist()
        fwd, bwd = self._fwd, self._bwd
        out = []
        for m, usable in enumerate(usables):
            snaps = []
            for k, (line, offset, length, distance) in enumerate(found[m]):
                x, y = points[k]
                if line < 0:
                    self._snap_error(float(x), float(y), usable, max_m, what[k])
                h = int(line)
                snaps.append(EdgeSnap(fwd[h], bwd[h], offset, length, distance, (float(x), float(y))))
            out.append(snaps)
        return out

    def _snap_error(self, x: float, y: float, usable: np.ndarray, max_m: float, what: str) -> None:
        """Raise the :class:`SnapError` of a point with no usable edge within ``max_m``."""
        assert self.edge_tree is not None
        nearest = self.edge_tree.query_nearest(Point(x, y), return_distance=True)
        far = float(nearest[1][0]) if len(nearest[1]) else math.inf
        if far <= max_m:
            message = _(
                "{what}: {far} m from the nearest path usable with this profile, beyond the limit of "
                "{limit} m; check the coordinates or choose a less restrictive profile"
            )
            found = _snap(np.array([[x, y]]), math.inf, self._usable_lines([usable]), *self._segment_grid())
            usable_far = float(found[0, 0, 3])
            far = usable_far if math.isfinite(usable_far) else far
        else:
            message = _(
                "{what}: {far} m from the nearest path of the network, beyond the limit of {limit} m; "
                "check the coordinates"
            )
        raise SnapError(message.format(what=_point_name(what), far=number(far), limit=number(max_m)))

    def locate(self, h: int, x: float, y: float) -> tuple[float, float, float]:
        """Where the point ``(x, y)`` falls on physical edge ``h``: ``(offset, length,
        distance)`` as shapely's ``line_locate_point``, ``length`` and ``distance`` give
        them (GEOS's arithmetic, step for step: the nearest segment, the first of equals,
        the point's projection on it clamped to the segment, lengths as square roots of
        sums of squares).

        Parameters
        ----------
        h
            Position of the physical edge (of :attr:`geoms`).
        x, y
            The point, in the graph CRS.

        Returns
        -------
        tuple of float
            Metres from the edge's first vertex to the point's projection, the edge's
            length, and the distance from the point to the edge.
        """
        return _locate(self.line_xy, int(self.line_start[h]), int(self.line_start[h + 1]), float(x), float(y))

    def _usable_lines(self, usables: list[np.ndarray]) -> np.ndarray:
        """Per mask, per physical edge: whether either direction is usable, as one 2-D
        array (kept for the last few lists of masks: a service asks with the same masks
        on every route)."""
        key = tuple(id(u) for u in usables)
        kept = self._lines_of.get(key)
        if kept is not None and all(a is b for a, b in zip(kept[0], usables)):
            return kept[1]
        lines = np.vstack([usable[self.fwd] | usable[self.bwd] for usable in usables])
        if len(self._lines_of) >= 16:
            self._lines_of.pop(next(iter(self._lines_of)))
        self._lines_of[key] = (list(usables), lines)
        return lines

    def _segment_grid(self) -> tuple[Any, ...]:
        """The edges' segments in a grid of :data:`GRID_CELL_M` cells (built on first use):
        the arguments :func:`_nearest_line` takes after the point, limit and mask."""
        if self._grid is None:
            xy = self.line_xy
            x0, y0 = (float(v) - 1.0 for v in xy.min(axis=0))
            x1, y1 = (float(v) + 1.0 for v in xy.max(axis=0))
            nx_, ny_ = int((x1 - x0) // GRID_CELL_M) + 1, int((y1 - y0) // GRID_CELL_M) + 1
            owner = np.repeat(np.arange(len(self.line_start) - 1, dtype=np.int64), np.diff(self.line_start))
            ptr, entries = _grid_build(xy, self.line_start, owner, x0, y0, GRID_CELL_M, nx_, ny_)
            self._grid = (xy, owner, self.line_start, ptr, entries, x0, y0, GRID_CELL_M, nx_, ny_)
        return self._grid

    # --- survey reports ------------------------------------------------------------------

    def snap_report(self, x: float, y: float, prefer_node: bool, node_m: float, edge_m: float) -> ReportSnap:
        """A report's place: a node within ``node_m`` (when ``prefer_node``), else the
        nearest edge within ``edge_m``, else off the network (with the distance)."""
        if prefer_node and self.node_tree is not None:
            dist, i = self.node_tree.query((x, y))
            if dist <= node_m:
                return ReportSnap("node", float(dist), node=self.nodes[int(i)])
        if self.edge_tree is not None:
            found, dists = self.edge_tree.query_nearest(
                Point(x, y), max_distance=edge_m, return_distance=True, all_matches=False
            )
            if len(found):
                h = int(found[0])
                return ReportSnap("edge", float(dists[0]), edge=self.edge_keys[h], osmid=self.edge_osmid[h])
        best = float(self.node_tree.query((x, y))[0]) if self.node_tree is not None else math.inf
        return ReportSnap("off_network", best)

    def snap_reports(self, xy: np.ndarray, prefer_node: np.ndarray, node_m: float, edge_m: float) -> list[ReportSnap]:
        """:meth:`snap_report` for many reports at once (one query per tree, so a large
        survey file costs a few array operations, not one tree search per row).

        Parameters
        ----------
        xy
            ``(n, 2)`` projected points.
        prefer_node
            ``n`` booleans: which reports snap to a node first.
        node_m, edge_m
            The tolerances of :meth:`snap_report`.

        Returns
        -------
        list of ReportSnap
            The same answer :meth:`snap_report` gives for each point.
        """
        xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        n = len(xy)
        out: list[ReportSnap | None] = [None] * n
        node_d = np.full(n, np.inf)
        node_i = np.full(n, -1, dtype=np.int64)
        if self.node_tree is not None and n:
            node_d, node_i = self.node_tree.query(xy)
        for i in np.flatnonzero(np.asarray(prefer_node, dtype=bool) & (node_d <= node_m)).tolist():
            out[i] = ReportSnap("node", float(node_d[i]), node=self.nodes[int(node_i[i])])
        rest = [i for i in range(n) if out[i] is None]
        if rest and self.edge_tree is not None:
            which, hits = self.edge_tree.query_nearest(
                shapely.points(xy[rest]), max_distance=edge_m, return_distance=False, all_matches=False
            )
            for w, h in zip(which.tolist(), hits.tolist()):
                i = rest[w]
                if out[i] is None:  # the first of equally near edges, as snap_report
                    dist = float(shapely.distance(self.geoms[h], shapely.points(xy[i])))
                    out[i] = ReportSnap("edge", dist, edge=self.edge_keys[h], osmid=self.edge_osmid[h])
        return [s if s is not None else ReportSnap("off_network", float(node_d[i])) for i, s in enumerate(out)]

    def edges_near(self, geometry: Any, radius: float) -> np.ndarray:
        """Physical edge positions (into ``edge_keys``) within ``radius`` of ``geometry``."""
        if self.edge_tree is None:
            return np.array([], dtype=np.int64)
        return np.asarray(self.edge_tree.query(geometry, predicate="dwithin", distance=radius), dtype=np.int64)


def _point_name(what: str) -> str:
    names = {"origin": _("Start"), "destination": _("Destination"), "facility": _("Facility")}
    return names.get(what, _("Point"))


#: One index per graph object, dropped with the graph (graphs are not edited in place
#: after a build; the node count is a cheap guard).
_INDEXES: weakref.WeakKeyDictionary[nx.MultiDiGraph, tuple[int, NetworkIndex]] = weakref.WeakKeyDictionary()


def network_index(G: nx.MultiDiGraph) -> NetworkIndex:
    """The spatial index of ``G``, built on first use and kept while ``G`` lives."""
    cached = _INDEXES.get(G)
    if cached is not None and cached[0] == G.number_of_nodes():
        return cached[1]
    index = NetworkIndex(G)
    _INDEXES[G] = (G.number_of_nodes(), index)
    return index


def pairs_within(xy: np.ndarray, radius: float) -> list[tuple[int, int]]:
    """Pairs ``(i, j)``, ``i < j``, of rows of ``xy`` closer than ``radius`` metres.

    >>> pairs_within(np.array([[0.0, 0.0], [3.0, 4.0], [100.0, 0.0]]), 6.0)
    [(0, 1)]
    """
    if len(xy) < 2:
        return []
    return sorted((int(i), int(j)) for i, j in cKDTree(np.asarray(xy, dtype=float)).query_pairs(radius))


def within_distance(points: np.ndarray, centres: np.ndarray, radius: float) -> np.ndarray:
    """For each row of ``points``: whether some row of ``centres`` is within ``radius``.

    >>> within_distance(np.array([[0.0, 0.0], [10.0, 0.0]]), np.array([[1.0, 0.0]]), 2.0).tolist()
    [True, False]
    """
    points = np.asarray(points, dtype=float).reshape(-1, 2)
    if len(centres) == 0 or len(points) == 0:
        return np.zeros(len(points), dtype=bool)
    return (
        cKDTree(np.asarray(centres, dtype=float).reshape(-1, 2)).query(points, distance_upper_bound=radius)[0] <= radius
    )


# --- compiled loops of the route-end search ---------------------------------------------

#: Side of a cell of the segment grid, in metres: most segments of a pedestrian network
#: are shorter, so a point's nearest edge lies in its own cell or the next ring.
GRID_CELL_M = 25.0


@njit(cache=True, nogil=True)
def _grid_build(
    xy: np.ndarray, line_start: np.ndarray, owner: np.ndarray, x0: float, y0: float, cell: float, nx: int, ny: int
) -> tuple[np.ndarray, np.ndarray]:
    """Every segment (by its first vertex) in each cell its bounding box touches, as CSR
    arrays ``(ptr, entries)``; a line of one vertex enters as that vertex."""
    counts = np.zeros(nx * ny + 1, dtype=np.int64)
    for rep in range(2):
        if rep == 1:
            for c in range(1, nx * ny + 1):
                counts[c] += counts[c - 1]
            entries = np.empty(counts[nx * ny], dtype=np.int64)
            fill = counts[:-1].copy()
        for i in range(len(xy)):
            h = owner[i]
            end = line_start[h + 1]
            if i + 1 >= end and i > line_start[h]:
                continue  # the last vertex of a line starts no segment
            j = i + 1 if i + 1 < end else i
            ix0 = int((min(xy[i, 0], xy[j, 0]) - x0) // cell)
            ix1 = int((max(xy[i, 0], xy[j, 0]) - x0) // cell)
            iy0 = int((min(xy[i, 1], xy[j, 1]) - y0) // cell)
            iy1 = int((max(xy[i, 1], xy[j, 1]) - y0) // cell)
            for iy in range(iy0, iy1 + 1):
                for ix in range(ix0, ix1 + 1):
                    c = iy * nx + ix
                    if rep == 0:
                        counts[c + 1] += 1
                    else:
                        entries[fill[c]] = i
                        fill[c] += 1
    return counts, entries


@njit(cache=True, nogil=True)
def _segment_distance(xy: np.ndarray, i: int, j: int, x: float, y: float) -> tuple[float, float]:
    """Distance from ``(x, y)`` to the segment ``xy[i]``-``xy[j]`` as GEOS computes it, and
    where the point projects on the segment's line (0 at ``xy[i]``, 1 at ``xy[j]``; nan
    for a segment of no length)."""
    x0, y0, x1, y1 = xy[i, 0], xy[i, 1], xy[j, 0], xy[j, 1]
    dx, dy = x1 - x0, y1 - y0
    len2 = dx * dx + dy * dy
    if len2 == 0.0:
        return math.sqrt((x - x0) * (x - x0) + (y - y0) * (y - y0)), math.nan
    r = ((x - x0) * dx + (y - y0) * dy) / len2
    if r <= 0:
        return math.sqrt((x - x0) * (x - x0) + (y - y0) * (y - y0)), r
    if r >= 1:
        return math.sqrt((x - x1) * (x - x1) + (y - y1) * (y - y1)), r
    s = ((y0 - y) * dx - (x0 - x) * dy) / len2
    return abs(s) * math.sqrt(len2), r


@njit(cache=True, nogil=True)
def _nearest_line(
    x: float,
    y: float,
    max_m: float,
    ok: np.ndarray,
    xy: np.ndarray,
    owner: np.ndarray,
    line_start: np.ndarray,
    ptr: np.ndarray,
    entries: np.ndarray,
    x0: float,
    y0: float,
    cell: float,
    nx: int,
    ny: int,
) -> tuple[int, float]:
    """The nearest line with ``ok[line]`` within ``max_m`` of ``(x, y)`` (ties: the lowest
    line) and its distance; ``-1`` when there is none (with the distance of the nearest
    found beyond the limit, else inf). Rings of cells around the
    point's cell are searched outwards until no unsearched cell can hold a nearer segment
    (ring ``k + 1`` lies at least ``k`` cells away) or the limit or the grid is passed."""
    cx = int(math.floor((x - x0) / cell))
    cy = int(math.floor((y - y0) / cell))
    best, best_h = math.inf, -1
    k = 0
    while True:
        for iy in range(max(cy - k, 0), min(cy + k, ny - 1) + 1):
            edge_row = iy == cy - k or iy == cy + k
            ix = max(cx - k, 0)
            last = min(cx + k, nx - 1)
            while ix <= last:
                if edge_row or ix == cx - k or ix == cx + k:
                    c = iy * nx + ix
                    for p in range(ptr[c], ptr[c + 1]):
                        i = entries[p]
                        h = owner[i]
                        if not ok[h]:
                            continue
                        j = i + 1 if i + 1 < line_start[h + 1] else i
                        d = _segment_distance(xy, i, j, x, y)[0]
                        if d < best or (d == best and h < best_h):
                            best, best_h = d, h
                    ix += 1
                else:
                    ix = cx + k  # inside a side row: only the two ends belong to the ring
        if best < k * cell or k * cell > max_m:
            break
        if cx - k <= 0 and cy - k <= 0 and cx + k >= nx - 1 and cy + k >= ny - 1:
            break  # the ring holds the whole grid
        k += 1
    if best > max_m:
        return -1, best
    return best_h, best


@njit(cache=True, nogil=True)
def _snap(
    points: np.ndarray,
    max_m: float,
    ok: np.ndarray,
    xy: np.ndarray,
    owner: np.ndarray,
    line_start: np.ndarray,
    ptr: np.ndarray,
    entries: np.ndarray,
    x0: float,
    y0: float,
    cell: float,
    nx: int,
    ny: int,
) -> np.ndarray:
    """For each mask (row of ``ok``) and point (row of ``points``): the nearest usable line
    within ``max_m`` (:func:`_nearest_line`, ``-1`` when none) and where the point falls on
    it (:func:`_locate`: offset, length, distance; for ``-1``, the distance of the nearest
    usable line found beyond the limit, else inf), as rows ``(line, offset, length,
    distance)`` of a ``(masks, points, 4)`` array (one array: one conversion per route)."""
    m, n = ok.shape[0], points.shape[0]
    out = np.zeros((m, n, 4))
    for r in range(m):
        for k in range(n):
            x, y = points[k, 0], points[k, 1]
            line, d = _nearest_line(x, y, max_m, ok[r], xy, owner, line_start, ptr, entries, x0, y0, cell, nx, ny)
            out[r, k, 0] = line
            out[r, k, 3] = d
            if line >= 0:
                out[r, k, 1], out[r, k, 2], out[r, k, 3] = _locate(xy, line_start[line], line_start[line + 1], x, y)
    return out


@njit(cache=True, nogil=True)
def _locate(coords: np.ndarray, a: int, b: int, x: float, y: float) -> tuple[float, float, float]:
    """:meth:`NetworkIndex.locate` on the vertices ``coords[a:b]``."""
    if b - a < 2:
        if b == a:
            return 0.0, 0.0, math.inf
        return 0.0, 0.0, math.sqrt((x - coords[a, 0]) ** 2 + (y - coords[a, 1]) ** 2)
    best = math.inf
    measure = 0.0
    start = 0.0
    x0, y0 = coords[a, 0], coords[a, 1]
    for i in range(a + 1, b):
        x1, y1 = coords[i, 0], coords[i, 1]
        dx, dy = x1 - x0, y1 - y0
        seg = math.sqrt(dx * dx + dy * dy)
        dist, r = _segment_distance(coords, i - 1, i, x, y)
        if dist < best:
            best = dist
            if x == x0 and y == y0:
                factor = 0.0
            elif x == x1 and y == y1:
                factor = 1.0
            else:
                factor = r
            if factor <= 0 or factor != factor:
                measure = start
            elif factor <= 1:
                measure = start + factor * seg
            else:
                measure = start + seg
        start += seg
        x0, y0 = x1, y1
    return measure, start, best
