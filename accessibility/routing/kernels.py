"""The inner loops of a route, compiled to machine code with numba.

A route as people receive it walks tens to hundreds of edges three times (the profile's
path, the walking comparison, the barriers on each) and meets its hub labels in arrays of
hundreds of entries. As Python steps or as numpy calls (a few microseconds each, whatever
their size) that is most of a route's time; as compiled loops over the same flat arrays it
is a few microseconds in all. Each function here does one such loop on arrays only (no
Python objects) and is compiled once, on first use, then cached on disk by numba
(``cache=True``), so later processes load it in milliseconds. They release the GIL while
they run (``nogil=True``): a web service's event loop goes on meanwhile.

The callers (:mod:`~accessibility.routing.contraction`, :mod:`~accessibility.routing.router`,
:mod:`~accessibility.routing.geometry`, :mod:`~accessibility.routing.route`) keep the
meaning; each kernel's docstring says what it computes, ties and rounding included. (The
spatial index compiles its own loops, in :mod:`~accessibility.model.snapping`.)
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = [
    "avoided",
    "avoided_on",
    "cheapest_per_node",
    "direct",
    "entries",
    "hub_meet",
    "hub_route",
    "join_pieces",
    "marks_on",
    "same_pieces",
    "tally",
    "trace",
    "unpack",
    "walked",
]

_TINY = 1e-9


@njit(cache=True, nogil=True)
def hub_meet(
    up_ptr: np.ndarray,
    up_hub: np.ndarray,
    up_dist: np.ndarray,
    down_ptr: np.ndarray,
    down_hub: np.ndarray,
    down_dist: np.ndarray,
    sources: np.ndarray,
    targets: np.ndarray,
) -> tuple[float, int, int, int, int]:
    """The cheapest meeting of the sources' upward labels with the targets' downward
    labels (rows ``(node, cost to enter it or from it to the end, ...)``): ``(cost, source
    row, position in the source's label, target row, position in the target's label)``;
    cost ``inf`` and positions ``-1`` when none meet.

    Ties as :meth:`Hierarchy.query_labels` breaks them: the first cheapest entry in target
    order, then in the target label's hub order; at that hub, the first source as cheap.
    Labels are sorted by hub, so each source label is walked once beside each target's.
    """
    best = math.inf
    best_s, best_fpos, best_t, best_bpos = -1, -1, -1, -1
    ns = len(sources)
    at = np.empty(ns, dtype=np.int64)  # per source: the walk through its label
    for j in range(len(targets)):
        t = int(targets[j, 0])
        a, b = down_ptr[t], down_ptr[t + 1]
        for i in range(ns):
            at[i] = up_ptr[int(sources[i, 0])]
        for k in range(a, b):
            hub = down_hub[k]
            value = math.inf
            src, fpos = -1, -1
            for i in range(ns):
                end = up_ptr[int(sources[i, 0]) + 1]
                p = at[i]
                while p < end and up_hub[p] < hub:
                    p += 1
                at[i] = p
                if p < end and up_hub[p] == hub:
                    v = up_dist[p] + sources[i, 1]
                    if v < value:
                        value, src, fpos = v, i, p
            total = value + down_dist[k] + targets[j, 1]
            if total < best:
                best, best_s, best_fpos, best_t, best_bpos = total, src, fpos, j, k
    return best, best_s, best_fpos, best_t, best_bpos


@njit(cache=True, nogil=True)
def join_pieces(
    edges: np.ndarray, length: np.ndarray, edge0: int, a0: float, b0: float, edge1: int, a1: float, b1: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A path's pieces ``(edges, starts, ends)``: the first edge's part ``a0..b0`` (when
    longer than nothing), the whole ``edges``, the last edge's part ``a1..b1`` (same)."""
    head = 1 if b0 - a0 > _TINY else 0
    tail = 1 if b1 - a1 > _TINY else 0
    n = head + len(edges) + tail
    e = np.empty(n, dtype=np.int64)
    s = np.zeros(n)
    t = np.empty(n)
    if head:
        e[0], s[0], t[0] = edge0, a0, b0
    for i in range(len(edges)):
        e[head + i] = edges[i]
        t[head + i] = length[edges[i]]
    if tail:
        e[n - 1], s[n - 1], t[n - 1] = edge1, a1, b1
    return e, s, t


@njit(cache=True, nogil=True)
def unpack(
    up_pred: np.ndarray,
    up_arc: np.ndarray,
    fpos: int,
    down_pred: np.ndarray,
    down_arc: np.ndarray,
    bpos: int,
    arc_edge: np.ndarray,
    kid_first: np.ndarray,
    kid_second: np.ndarray,
    arc_size: np.ndarray,
    length: np.ndarray,
    head: np.ndarray,
    tail: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pieces ``(edges, starts, ends)`` of the path through a meeting: the upward
    label's arcs from its source to the hub (walked back from ``fpos``, then reversed), the
    downward label's from the hub on to its target (from ``bpos``), each shortcut unpacked
    into its two arcs in order until only original edges remain (``arc_edge >= 0``;
    ``arc_size``: how many original edges each arc stands for); joined as
    :func:`join_pieces` joins them to the partial edges ``head`` and ``tail`` (rows
    ``(node, cost, edge, from, to)``) where the path leaves its origin and reaches its end."""
    n_up, n_down, total = 0, 0, 0
    p = fpos
    while up_pred[p] >= 0:
        total += arc_size[up_arc[p]]
        n_up += 1
        p = up_pred[p]
    p = bpos
    while down_pred[p] >= 0:
        total += arc_size[down_arc[p]]
        n_down += 1
        p = down_pred[p]
    arcs = np.empty(n_up + n_down, dtype=np.int64)
    p = fpos
    for i in range(n_up - 1, -1, -1):  # the upward chain runs hub to source: reversed
        arcs[i] = up_arc[p]
        p = up_pred[p]
    p = bpos
    for i in range(n_up, n_up + n_down):
        arcs[i] = down_arc[p]
        p = down_pred[p]
    out = np.empty(total, dtype=np.int64)
    stack = np.empty(max(total, 1), dtype=np.int64)  # each entry stands for >= 1 edge still to come
    n = 0
    for a in arcs:
        top = 0
        stack[0] = a
        top = 1
        while top:
            top -= 1
            x = stack[top]
            e = arc_edge[x]
            if e >= 0:
                out[n] = e
                n += 1
            else:
                stack[top] = kid_second[x]
                stack[top + 1] = kid_first[x]
                top += 2
    return join_pieces(out, length, int(head[2]), head[3], head[4], int(tail[2]), tail[3], tail[4])


@njit(cache=True, nogil=True)
def _round7(v: float) -> float:
    return np.round(v, 7)


@njit(cache=True, nogil=True)
def _bearing(x0: float, y0: float, x1: float, y1: float) -> float:
    return math.degrees(math.atan2(x1 - x0, y1 - y0)) % 360.0


@njit(cache=True, nogil=True)
def trace(
    edges: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    length: np.ndarray,
    first: np.ndarray,
    xy: np.ndarray,
    lonlat: np.ndarray,
    cum: np.ndarray,
    glen: np.ndarray,
    walkable: np.ndarray,
    label: np.ndarray,
    bearing_start: np.ndarray,
    bearing_end: np.ndarray,
    legs: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """WGS84 points of a path's pieces (``edges[k]`` from ``starts[k]`` to ``ends[k]``
    metres), with consecutive repeats once; where each piece ends in them; and the
    direction steps: their labels, and rows ``(metres, first bearing, last bearing)``,
    consecutive legs with the same label merged. What :meth:`EdgeGeometry.trace` describes.

    A piece from 0 to ``length[e]`` is the whole edge, taken as it is; the others are cut
    as ``shapely.ops.substring`` cuts (the two cut points, placed by the same fraction of
    their segment in WGS84 as in metres, rounded to 7 decimals, and the vertices strictly
    between), their bearings from the metric coordinates.
    """
    total = 0
    for k in range(len(edges)):
        e = edges[k]
        total += first[e + 1] - first[e] + 2
    out = np.empty((total, 2))
    n_out = 0
    piece_end = np.empty(len(edges), dtype=np.int64)
    step_label = np.empty(len(edges), dtype=np.int64)
    steps = np.empty((len(edges), 3))
    n_steps = 0
    last_label = -1
    for k in range(len(edges)):
        e, a, b = edges[k], starts[k], ends[k]
        s0, s1 = first[e], first[e + 1]
        n = s1 - s0
        if a <= _TINY and b >= length[e] - _TINY:  # the whole edge
            j = s0
            if n_out > 0 and n > 0 and out[n_out - 1, 0] == lonlat[s0, 0] and out[n_out - 1, 1] == lonlat[s0, 1]:
                j = s0 + 1
            for i in range(j, s1):
                out[n_out, 0], out[n_out, 1] = lonlat[i, 0], lonlat[i, 1]
                n_out += 1
            piece_end[k] = n_out
            if legs and walkable[e]:
                if n_steps > 0 and label[e] == last_label:
                    steps[n_steps - 1, 0] += glen[e]
                    steps[n_steps - 1, 2] = bearing_end[e]
                else:
                    step_label[n_steps] = label[e]
                    steps[n_steps, 0], steps[n_steps, 1], steps[n_steps, 2] = glen[e], bearing_start[e], bearing_end[e]
                    n_steps += 1
                    last_label = label[e]
            continue
        # a piece cut from its edge
        b0, b1 = 0.0, 0.0
        if n < 2:
            for i in range(s0, s1):
                if n_out == 0 or out[n_out - 1, 0] != lonlat[i, 0] or out[n_out - 1, 1] != lonlat[i, 1]:
                    out[n_out, 0], out[n_out, 1] = lonlat[i, 0], lonlat[i, 1]
                    n_out += 1
        else:
            full = glen[e]
            a = min(max(a, 0.0), full)
            b = min(max(b, 0.0), full)
            # where a and b fall: the segment j (clamped to the edge's), the fraction f
            cut_x = np.empty(2)
            cut_y = np.empty(2)
            cut_lon = np.empty(2)
            cut_lat = np.empty(2)
            for c in range(2):
                d = a if c == 0 else b
                j = s0
                while j + 1 < s1 and cum[j + 1] <= d:  # bisect_right - 1
                    j += 1
                j = min(max(j, s0), s1 - 2)
                seg = cum[j + 1] - cum[j]
                f = 0.0 if seg <= 0 else min(max((d - cum[j]) / seg, 0.0), 1.0)
                cut_x[c] = xy[j, 0] + f * (xy[j + 1, 0] - xy[j, 0])
                cut_y[c] = xy[j, 1] + f * (xy[j + 1, 1] - xy[j, 1])
                cut_lon[c] = _round7(lonlat[j, 0] + f * (lonlat[j + 1, 0] - lonlat[j, 0]))
                cut_lat[c] = _round7(lonlat[j, 1] + f * (lonlat[j + 1, 1] - lonlat[j, 1]))
            if b - a <= 0:
                if n_out == 0 or out[n_out - 1, 0] != cut_lon[0] or out[n_out - 1, 1] != cut_lat[0]:
                    out[n_out, 0], out[n_out, 1] = cut_lon[0], cut_lat[0]
                    n_out += 1
            else:
                # the cut points and the vertices strictly between (a cut on a vertex keeps it once)
                px, py = cut_x[0], cut_y[0]  # the previous metric point
                count = 0
                for i in range(-1, s1 - s0 + 1):
                    if i == -1:
                        lon, lat, x, y = cut_lon[0], cut_lat[0], cut_x[0], cut_y[0]
                    elif i == s1 - s0:
                        lon, lat, x, y = cut_lon[1], cut_lat[1], cut_x[1], cut_y[1]
                    else:
                        v = s0 + i
                        if not (a + _TINY < cum[v] < b - _TINY):
                            continue
                        lon, lat, x, y = lonlat[v, 0], lonlat[v, 1], xy[v, 0], xy[v, 1]
                    if count == 1:
                        b0 = _bearing(px, py, x, y)
                    if count >= 1:
                        b1 = _bearing(px, py, x, y)
                    px, py = x, y
                    count += 1
                    if n_out == 0 or out[n_out - 1, 0] != lon or out[n_out - 1, 1] != lat:
                        out[n_out, 0], out[n_out, 1] = lon, lat
                        n_out += 1
        piece_end[k] = n_out
        if legs and ends[k] - starts[k] > 0:
            metres = ends[k] - starts[k]
            if n_steps > 0 and label[e] == last_label:
                steps[n_steps - 1, 0] += metres
                steps[n_steps - 1, 2] = b1
            else:
                step_label[n_steps] = label[e]
                steps[n_steps, 0], steps[n_steps, 1], steps[n_steps, 2] = metres, b0, b1
                n_steps += 1
                last_label = label[e]
    return out[:n_out], piece_end, step_label[:n_steps], steps[:n_steps]


@njit(cache=True, nogil=True)
def walked(starts: np.ndarray, ends: np.ndarray) -> float:
    """Metres walked on pieces from ``starts`` to ``ends``, summed in walking order (every
    length of a route and of its walking comparison is summed this way: equal paths
    give equal lengths)."""
    total = 0.0
    for k in range(len(starts)):
        total += ends[k] - starts[k]
    return total


@njit(cache=True, nogil=True)
def same_pieces(
    edges: np.ndarray, starts: np.ndarray, ends: np.ndarray, edges2: np.ndarray, starts2: np.ndarray, ends2: np.ndarray
) -> bool:
    """Whether two paths walk the same pieces (equal edges, starts and ends, in order)."""
    if len(edges) != len(edges2):
        return False
    for k in range(len(edges)):
        if edges[k] != edges2[k] or starts[k] != starts2[k] or ends[k] != ends2[k]:
            return False
    return True


@njit(cache=True, nogil=True)
def tally(
    edges: np.ndarray, starts: np.ndarray, ends: np.ndarray, unknown: np.ndarray, osmid: np.ndarray
) -> tuple[float, float, np.ndarray, np.ndarray]:
    """What a path's pieces add up to: ``(metres walked, metres on edges with unknown
    data (``unknown[e]``), the runs of consecutive pieces on such edges as rows ``(first,
    last)``, the OSM ways walked (``osmid[e]``) each once, in walking order)``."""
    n = len(edges)
    unsure = 0.0
    runs = np.empty((n, 2), dtype=np.int64)
    n_runs = 0
    first = -1
    for k in range(n):
        if unknown[edges[k]]:
            unsure += ends[k] - starts[k]
            if first < 0:
                first = k
        elif first >= 0:
            runs[n_runs, 0], runs[n_runs, 1] = first, k - 1
            n_runs += 1
            first = -1
    if first >= 0:
        runs[n_runs, 0], runs[n_runs, 1] = first, n - 1
        n_runs += 1
    # each way once, where first walked: consecutive repeats dropped, then a stable sort
    # brings the rest of each way's repeats after its first
    ways = np.empty(n, dtype=np.int64)
    m = 0
    for k in range(n):
        way = osmid[edges[k]]
        if m == 0 or ways[m - 1] != way:
            ways[m] = way
            m += 1
    ways = ways[:m]
    order = np.argsort(ways, kind="mergesort")
    firsts = np.empty(m, dtype=np.int64)
    n_firsts = 0
    for i in range(m):
        if i == 0 or ways[order[i]] != ways[order[i - 1]]:
            firsts[n_firsts] = order[i]
            n_firsts += 1
    return walked(starts, ends), unsure, runs[:n_runs], ways[np.sort(firsts[:n_firsts])]


@njit(cache=True, nogil=True)
def marks_on(
    edges: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    length: np.ndarray,
    head: np.ndarray,
    edge_ptr: np.ndarray,
    edge_rows: np.ndarray,
    node_ptr: np.ndarray,
    node_rows: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What a path passes, in walking order: ``(distance from the start, row, edge)``.
    Rows on an edge (``edge_rows[edge_ptr[e]:edge_ptr[e+1]]``) count where the edge starts;
    rows on the node an edge enters (``head[e]``; ``node_rows`` likewise) where it is
    entered, on the last piece only when it reaches the node."""
    count = 0
    last = len(edges) - 1
    for k in range(len(edges)):
        e = edges[k]
        v = head[e]
        count += edge_ptr[e + 1] - edge_ptr[e] + node_ptr[v + 1] - node_ptr[v]
    at = np.empty(count)
    rows = np.empty(count, dtype=np.int64)
    on = np.empty(count, dtype=np.int64)
    n = 0
    walked = 0.0
    for k in range(len(edges)):
        e = edges[k]
        for i in range(edge_ptr[e], edge_ptr[e + 1]):
            at[n], rows[n], on[n] = walked, edge_rows[i], e
            n += 1
        walked += ends[k] - starts[k]
        if k < last or ends[k] >= length[e] - _TINY:
            v = head[e]
            for i in range(node_ptr[v], node_ptr[v + 1]):
                at[n], rows[n], on[n] = walked, node_rows[i], e
                n += 1
    return at[:n], rows[:n], on[:n]


@njit(cache=True, nogil=True)
def avoided(
    at: np.ndarray, rows: np.ndarray, route_rows: np.ndarray, hinders: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Of what the walking route passes (``at``, ``rows``: :func:`marks_on`), the barrier
    rows that hinder the profile (``hinders[row]``) and that the profile's route does not
    pass (``route_rows``), each once where first passed: ``(distances, rows)``."""
    on_route = np.sort(route_rows)
    keep = np.zeros(len(rows), dtype=np.bool_)
    taken = np.empty(len(rows), dtype=np.int64)
    n_taken = 0
    for k in range(len(rows)):
        row = rows[k]
        if row < 0 or not hinders[row]:
            continue
        p = np.searchsorted(on_route, row)
        if p < len(on_route) and on_route[p] == row:
            continue
        seen = False
        for i in range(n_taken):
            if taken[i] == row:
                seen = True
                break
        if seen:
            continue
        taken[n_taken] = row
        n_taken += 1
        keep[k] = True
    return at[keep], rows[keep]


@njit(cache=True, nogil=True)
def avoided_on(
    walk_edges: np.ndarray,
    walk_starts: np.ndarray,
    walk_ends: np.ndarray,
    route_edges: np.ndarray,
    route_starts: np.ndarray,
    route_ends: np.ndarray,
    length: np.ndarray,
    head: np.ndarray,
    edge_ptr: np.ndarray,
    edge_rows: np.ndarray,
    node_ptr: np.ndarray,
    node_rows: np.ndarray,
    hinders: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`avoided` of a walking path and a profile's path given as their pieces: what
    each passes (:func:`marks_on`), compared in one call."""
    at, rows, _ = marks_on(walk_edges, walk_starts, walk_ends, length, head, edge_ptr, edge_rows, node_ptr, node_rows)
    on_route = marks_on(route_edges, route_starts, route_ends, length, head, edge_ptr, edge_rows, node_ptr, node_rows)
    return avoided(at, rows, on_route[1], hinders)


@njit(cache=True, nogil=True)
def entries(
    fwd: int,
    bwd: int,
    offset: float,
    length: float,
    u: np.ndarray,
    v: np.ndarray,
    cost: np.ndarray,
    node_cost: np.ndarray,
    leaving: bool,
) -> np.ndarray:
    """Where a search meets a point snapped ``offset`` metres along the physical edge
    ``fwd`` (``bwd`` its reverse) of ``length`` metres, as rows ``(node, cost, edge,
    from, to)``: leaving the point (``leaving``), the node each direction leads to and the
    cost of the part walked to it, node cost included (0 when standing on the node);
    arriving, the node each direction comes from and the cost of the part walked from it
    (the far node's cost when the point is that node). Directions the profile may not
    use (``cost`` not finite) are left out."""
    out = np.empty((2, 5))
    n = 0
    for k in range(2):
        edge = fwd if k == 0 else bwd
        if leaving:
            part = length - offset if k == 0 else offset
            node = v[edge]
            if part <= _TINY:
                c = 0.0  # standing on the node itself: nothing to enter
            elif math.isfinite(cost[edge]):
                c = part / length * cost[edge] + node_cost[node]
            else:
                continue
            if math.isfinite(c):
                out[n, 0], out[n, 1], out[n, 2] = node, c, edge
                out[n, 3], out[n, 4] = (offset if k == 0 else length - offset), length
                n += 1
        else:
            part = offset if k == 0 else length - offset
            node = u[edge]
            if part <= _TINY:
                out[n, 0], out[n, 1], out[n, 2], out[n, 3], out[n, 4] = node, 0.0, edge, 0.0, 0.0
                n += 1
            elif math.isfinite(cost[edge]):
                extra = part / length * cost[edge]
                if part >= length - _TINY:  # the point is the far node: it is entered
                    extra += node_cost[v[edge]]
                out[n, 0], out[n, 1], out[n, 2], out[n, 3], out[n, 4] = node, extra, edge, 0.0, part
                n += 1
    return out[:n]


@njit(cache=True, nogil=True)
def cheapest_per_node(rows: np.ndarray) -> np.ndarray:
    """Of rows ``(node, cost, ...)``, the cheapest per node (the first of equals), in the
    order each node first appears."""
    keep = np.empty(len(rows), dtype=np.int64)
    n = 0
    for k in range(len(rows)):
        seen = False
        for i in range(n):
            if rows[keep[i], 0] == rows[k, 0]:
                seen = True
                if rows[k, 1] < rows[keep[i], 1]:
                    keep[i] = k
                break
        if not seen:
            keep[n] = k
            n += 1
    return rows[keep[:n]]


@njit(cache=True, nogil=True)
def direct(
    o_fwd: int, o_bwd: int, o_offset: float, o_length: float, d_fwd: int, d_offset: float, cost: np.ndarray
) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """The path along the one edge both points lie on (``o_fwd == d_fwd``), in the
    direction from the origin to the destination: ``(cost, edges, starts, ends)``, cost
    ``inf`` when there is none (other edges, or a direction the profile may not use)."""
    none = (math.inf, np.empty(0, dtype=np.int64), np.empty(0), np.empty(0))
    if o_fwd != d_fwd:
        return none
    if d_offset >= o_offset and math.isfinite(cost[o_fwd]):
        part = d_offset - o_offset
        if part > _TINY:
            return part / o_length * cost[o_fwd], np.array([o_fwd]), np.array([o_offset]), np.array([d_offset])
        return 0.0, none[1], none[2], none[3]
    if d_offset < o_offset and math.isfinite(cost[o_bwd]):
        part = o_offset - d_offset
        return (
            part / o_length * cost[o_bwd],
            np.array([o_bwd]),
            np.array([o_length - o_offset]),
            np.array([o_length - d_offset]),
        )
    return none


@njit(cache=True, nogil=True)
def hub_route(
    up_ptr: np.ndarray,
    up_hub: np.ndarray,
    up_dist: np.ndarray,
    up_pred: np.ndarray,
    up_arc: np.ndarray,
    down_ptr: np.ndarray,
    down_hub: np.ndarray,
    down_dist: np.ndarray,
    down_pred: np.ndarray,
    down_arc: np.ndarray,
    arc_edge: np.ndarray,
    kid_first: np.ndarray,
    kid_second: np.ndarray,
    arc_size: np.ndarray,
    length: np.ndarray,
    u: np.ndarray,
    v: np.ndarray,
    cost: np.ndarray,
    node_cost: np.ndarray,
    o_fwd: int,
    o_bwd: int,
    o_offset: float,
    o_length: float,
    d_fwd: int,
    d_bwd: int,
    d_offset: float,
    d_length: float,
) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """The cheapest path between two snapped points on hub labels, in one call: where
    each search meets its point (:func:`entries`, the cheapest per node), the labels'
    meeting (:func:`hub_meet`) unpacked into pieces (:func:`unpack`), or the path along the
    points' shared
    edge (:func:`direct`) when it costs no more. ``(cost, edges, starts, ends)``, cost
    ``inf`` when there is no path."""
    sources = cheapest_per_node(entries(o_fwd, o_bwd, o_offset, o_length, u, v, cost, node_cost, True))
    targets = cheapest_per_node(entries(d_fwd, d_bwd, d_offset, d_length, u, v, cost, node_cost, False))
    found, i, fpos, j, bpos = hub_meet(up_ptr, up_hub, up_dist, down_ptr, down_hub, down_dist, sources, targets)
    along = direct(o_fwd, o_bwd, o_offset, o_length, d_fwd, d_offset, cost)
    if math.isfinite(along[0]) and (not math.isfinite(found) or along[0] <= found):
        return along
    if not math.isfinite(found):
        return found, along[1], along[2], along[3]  # no path: no pieces
    e, s, t = unpack(
        up_pred, up_arc, fpos, down_pred, down_arc, bpos, arc_edge, kid_first, kid_second, arc_size, length,
        sources[i], targets[j],
    )  # fmt: skip
    return found, e, s, t
