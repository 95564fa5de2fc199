"""A contraction hierarchy over a compiled directed graph, queried with scipy in C.

Built once per profile (:class:`Hierarchy`), it answers point-to-point cheapest paths
exactly with two small searches instead of one large one: nodes are contracted one by
one, cheapest first by the usual edge-difference order, adding a shortcut ``u -> x``
whenever ``u -> v -> x`` might be the only cheapest way (a bounded witness search that
finds no other way as cheap adds one: an extra shortcut costs speed, never exactness).
A query runs ``scipy.sparse.csgraph.dijkstra`` upward from the origin on the "up" arcs
and upward from the destination on the reversed "down" arcs; the cheapest meeting node
gives the optimum. Each shortcut remembers the two arcs it replaces, so a path expands
back to the original edges.

Those two searches are small (tens of nodes) but each call into scipy costs about 80 µs
whatever its size, so the hierarchy also keeps every node's upward search, done once
(:class:`Labels`: hub labels, in flat sorted arrays): a query then merges two sorted
labels and walks the winning hub's tree back, in compiled loops
(:mod:`~accessibility.routing.kernels`), a few microseconds, the same optimum.

>>> import numpy as np
>>> h = Hierarchy(3, np.array([0, 1]), np.array([1, 2]), np.array([10.0, 5.0]), np.array([7, 8]))
>>> cost, edges, first, last = h.query([(0, 0.0)], [(2, 0.0)])
>>> cost, edges.tolist(), first, last
(15.0, [7, 8], 0, 2)
"""

from __future__ import annotations

import hashlib
import heapq
import math
from collections.abc import Mapping

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from accessibility.routing.kernels import hub_meet, unpack

#: The layout of a hierarchy's arrays (:meth:`Hierarchy.arrays`): a new one when it changes,
#: so that hierarchies kept in an older layout are built again.
FORMAT = 1

#: Witness searches settle at most this many nodes (more: fewer needless shortcuts,
#: slower build; the result is exact either way).
WITNESS_SETTLED = 60


class Hierarchy:
    """Arcs ``tail[i] -> head[i]`` of cost ``weight[i]`` (``edge[i]``: the caller's id of
    the arc, returned by :meth:`query`) on nodes ``0..n-1``; one arc per node pair."""

    def __init__(self, n: int, tail: np.ndarray, head: np.ndarray, weight: np.ndarray, edge: np.ndarray) -> None:
        self.n = n
        # arcs: originals first, then shortcuts; a shortcut has edge -1 and two children
        a_tail = [int(x) for x in tail]
        a_head = [int(x) for x in head]
        a_w = [float(x) for x in weight]
        a_edge = [int(x) for x in edge]
        a_kids: list[tuple[int, int] | None] = [None] * len(a_tail)
        out: list[dict[int, int]] = [{} for _ in range(n)]  # out[u][x] = arc id
        inn: list[dict[int, int]] = [{} for _ in range(n)]
        for i, (u, x) in enumerate(zip(a_tail, a_head)):
            out[u][x] = i
            inn[x][u] = i

        def shortcuts(v: int, apply: bool) -> int:
            """Shortcuts contracting ``v`` needs (and adds them when ``apply``)."""
            added = 0
            outs = out[v]
            if not outs:
                return 0
            for u, a1 in list(inn[v].items()):
                w1 = a_w[a1]
                targets = {x: w1 + a_w[a2] for x, a2 in outs.items() if x != u}
                if not targets:
                    continue
                dist = _witness(out, a_w, u, v, max(targets.values()), targets)
                for x, c in targets.items():
                    if dist.get(x, math.inf) <= c:
                        continue
                    added += 1
                    if apply:
                        i = len(a_tail)
                        a_tail.append(u)
                        a_head.append(x)
                        a_w.append(c)
                        a_edge.append(-1)
                        a_kids.append((a1, outs[x]))
                        out[u][x] = i
                        inn[x][u] = i
            return added

        deleted = [0] * n

        def priority(v: int) -> int:
            return shortcuts(v, False) - len(inn[v]) - len(out[v]) + deleted[v]

        heap = [(priority(v), v) for v in range(n)]
        heapq.heapify(heap)
        rank = np.empty(n, dtype=np.int64)
        up: list[int] = []  # arcs from a node to a higher one
        down: list[int] = []  # arcs from a higher node to a lower one
        r = 0
        while heap:
            _, v = heapq.heappop(heap)
            p = priority(v)
            if heap and p > heap[0][0]:
                heapq.heappush(heap, (p, v))
                continue
            shortcuts(v, True)
            rank[v] = r
            r += 1
            for x, i in out[v].items():
                up.append(i)
                del inn[x][v]
                deleted[x] += 1
            for u, i in inn[v].items():
                down.append(i)
                del out[u][v]
                deleted[u] += 1
            out[v], inn[v] = {}, {}
        kids = np.array([k if k is not None else (-1, -1) for k in a_kids], dtype=np.int64).reshape(-1, 2)
        self._arrange(
            n,
            np.asarray(a_tail, dtype=np.int64),
            np.asarray(a_head, dtype=np.int64),
            np.asarray(a_w, dtype=np.float64),
            np.asarray(a_edge, dtype=np.int64),
            kids,
            rank,
            np.asarray(up, dtype=np.int64),
            np.asarray(down, dtype=np.int64),
            len(tail),
        )

    def _arrange(
        self,
        n: int,
        tail: np.ndarray,
        head: np.ndarray,
        weight: np.ndarray,
        edge: np.ndarray,
        kids: np.ndarray,
        rank: np.ndarray,
        up_ids: np.ndarray,
        down_ids: np.ndarray,
        originals: int,
    ) -> None:
        """Everything a query reads, from the contracted arcs (originals first, then the
        shortcuts, each with its two arcs in ``kids``, ``-1`` for an original), the nodes'
        ranks and which arcs lead up and which down."""
        self.n = n
        self.rank = rank
        self.arc_tail, self.arc_head, self.arc_weight = tail, head, weight
        self.arc_edge = edge
        self.arc_edge_list: list[int] = edge.tolist()
        self.arc_kids: list[tuple[int, int] | None] = [None if a < 0 else (a, b) for a, b in kids.tolist()]
        self.arc_kid_first, self.arc_kid_second = kids[:, 0].copy(), kids[:, 1].copy()
        size = [1] * len(edge)  # original edges per arc (a shortcut comes after its two arcs)
        for a, pair in enumerate(self.arc_kids):
            if pair is not None:
                size[a] = size[pair[0]] + size[pair[1]]
        self.arc_size = np.asarray(size, dtype=np.int64)
        self._unpacked: dict[int, tuple[int, ...]] = {}
        self.shortcuts = len(edge) - originals
        self.up_ids, self.down_ids = up_ids, down_ids
        t, h, w = tail, head, weight
        # forward search: up arcs as they are; backward: down arcs reversed
        self.forward, self.f_arc, self.f_slot = _csr(n, t[up_ids], h[up_ids], w[up_ids], up_ids)
        self.backward, self.b_arc, self.b_slot = _csr(n, h[down_ids], t[down_ids], w[down_ids], down_ids)
        self.f_pair = dict(zip((t[up_ids] * (n + 1) + h[up_ids]).tolist(), up_ids.tolist()))
        self.b_pair = dict(zip((h[down_ids] * (n + 1) + t[down_ids]).tolist(), down_ids.tolist()))
        self.labels_up: Labels | None = None
        self.labels_down: Labels | None = None

    # --- kept on disk -------------------------------------------------------------------

    @staticmethod
    def key(n: int, tail: np.ndarray, head: np.ndarray, weight: np.ndarray, edge: np.ndarray) -> str:
        """What a hierarchy is built from, as a hex digest: the arcs given to
        :class:`Hierarchy` (costs included, so a barrier or a profile that changes a cost
        changes it), the witness limit and :data:`FORMAT`. A hierarchy kept under this key
        is the one a build would give."""
        digest = hashlib.sha256(f"{FORMAT}:{WITNESS_SETTLED}:{n}:{len(tail)}".encode())
        for values, dtype in ((tail, np.int64), (head, np.int64), (weight, np.float64), (edge, np.int64)):
            digest.update(np.ascontiguousarray(values, dtype=dtype).tobytes())
        return digest.hexdigest()[:40]

    def arrays(self) -> dict[str, np.ndarray]:
        """The hierarchy and its hub labels (:meth:`build_labels` first) as plain arrays,
        for :meth:`from_arrays`."""
        up, down = self.labels_up, self.labels_down
        if up is None or down is None:
            raise ValueError("a hierarchy is kept with its hub labels: build_labels() first")
        kids = np.column_stack([self.arc_kid_first, self.arc_kid_second])
        out = {
            "format": np.array([FORMAT]),
            "shape": np.array([self.n, len(self.arc_edge) - self.shortcuts]),
            "tail": self.arc_tail,
            "head": self.arc_head,
            "weight": self.arc_weight,
            "edge": self.arc_edge,
            "kids": kids,
            "rank": self.rank,
            "up": self.up_ids,
            "down": self.down_ids,
        }
        for side, labels in (("up", up), ("down", down)):
            for name, values in labels.arrays().items():
                out[f"{side}_{name}"] = values
        return out

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray]) -> Hierarchy:
        """A hierarchy with its hub labels from :meth:`arrays`.

        Raises
        ------
        ValueError
            The arrays are not those of a hierarchy of this :data:`FORMAT` (another
            version, missing or inconsistent arrays).
        """
        try:
            if int(arrays["format"][0]) != FORMAT:
                raise ValueError(f"format {int(arrays['format'][0])}, not {FORMAT}")
            n, originals = (int(v) for v in arrays["shape"])
            edge, kids = arrays["edge"], arrays["kids"]
            m = len(edge)
            if not (
                len(arrays["tail"]) == len(arrays["head"]) == len(arrays["weight"]) == m
                and kids.shape == (m, 2)
                and len(arrays["rank"]) == n
                and 0 <= originals <= m
                and kids.max(initial=-1) < m
                and all(arrays[side].max(initial=-1) < m for side in ("up", "down"))
            ):
                raise ValueError("arcs of inconsistent sizes")
            h = cls.__new__(cls)
            h._arrange(
                n,
                arrays["tail"].astype(np.int64),
                arrays["head"].astype(np.int64),
                arrays["weight"].astype(np.float64),
                edge.astype(np.int64),
                kids.astype(np.int64),
                arrays["rank"].astype(np.int64),
                arrays["up"].astype(np.int64),
                arrays["down"].astype(np.int64),
                originals,
            )
            down = Labels.from_arrays({k[5:]: v for k, v in arrays.items() if k.startswith("down_")}, n, m)
            up = Labels.from_arrays({k[3:]: v for k, v in arrays.items() if k.startswith("up_")}, n, m)
        except KeyError as exc:
            raise ValueError(f"missing array {exc}") from None
        h.labels_down = down
        h.labels_up = up  # last: queries test it
        return h

    def build_labels(self) -> Hierarchy:
        """Keep every node's upward searches (forward and backward) for fast queries."""
        if self.labels_up is None:
            down = Labels(self.backward, self.n)
            down.arcs_from(self.b_pair, self.n + 1)
            up = Labels(self.forward, self.n)
            up.arcs_from(self.f_pair, self.n + 1)
            self.labels_down = down
            self.labels_up = up  # last: queries test it
        return self

    def query_labels(
        self, sources: list[tuple[int, float]], targets: list[tuple[int, float]]
    ) -> tuple[float, np.ndarray, int, int] | None:
        """:meth:`query` on the kept labels (:meth:`build_labels` first): see
        :meth:`pieces` (edge lengths unknown here: only the edges are returned)."""
        no_length = np.zeros(int(self.arc_edge.max(initial=-1)) + 1)
        found = self.pieces(
            [(s, c, -1, 0.0, 0.0) for s, c in sources], [(t, c, -1, 0.0, 0.0) for t, c in targets], no_length
        )
        if found is None:
            return None
        cost, (edges, _, _), first, last = found
        return cost, edges, sources[first][0], targets[last][0]

    def pieces(
        self,
        sources: list[tuple[int, float, int, float, float]],
        targets: list[tuple[int, float, int, float, float]],
        length: np.ndarray,
    ) -> tuple[float, tuple[np.ndarray, np.ndarray, np.ndarray], int, int] | None:
        """The cheapest path from the sources to the targets on the kept labels: ``(cost,
        (edges, starts, ends), source row, target row)``, or None. Rows are ``(node, cost
        to enter it (from it to the end), edge, from, to)``: the partial edge walked before
        the node (after it), put before (after) the path's edges when longer than nothing;
        ``length[e]`` is where a whole edge ends.

        The sources' upward labels meet the targets' downward labels (sorted by hub: one
        merge each); the first cheapest meeting wins (in target order, then hub order; at
        that hub the first source as cheap), and the winning entries' trees are walked
        back into original edges, in compiled loops (:func:`~accessibility.routing.kernels.hub_meet`,
        :func:`~accessibility.routing.kernels.unpack`; a route does both in one call,
        :func:`~accessibility.routing.kernels.hub_route`). Thread-safe: nothing is shared.
        """
        up, down = self.labels_up, self.labels_down
        assert up is not None and down is not None
        rows = np.array(sources, dtype=np.float64).reshape(-1, 5)
        ends = np.array(targets, dtype=np.float64).reshape(-1, 5)
        cost, i, fpos, j, bpos = hub_meet(up.ptr, up.hub, up.dist, down.ptr, down.hub, down.dist, rows, ends)
        if not math.isfinite(cost):
            return None
        pieces = unpack(
            up.pred_pos, up.arc, fpos, down.pred_pos, down.arc, bpos,
            self.arc_edge, self.arc_kid_first, self.arc_kid_second, self.arc_size, length, rows[i], ends[j],
        )  # fmt: skip
        return float(cost), pieces, i, j

    def query(
        self, sources: list[tuple[int, float]], targets: list[tuple[int, float]]
    ) -> tuple[float, np.ndarray, int, int] | None:
        """The cheapest path from any ``(node, cost to enter it)`` of ``sources`` to any
        ``(node, cost from it to the end)`` of ``targets`` (at most two each, one per node):
        ``(cost, edge ids (an array), source node used, target node used)``, or None.
        Not thread-safe (the virtual endpoints' slots are shared)."""
        n = self.n
        df, pf = _search(self.forward, self.f_slot, n, sources)
        db, pb = _search(self.backward, self.b_slot, n, targets)
        total = df[:n] + db[:n]
        m = int(np.argmin(total))
        cost = float(total[m])
        if not math.isfinite(cost):
            return None
        arcs: list[int] = []
        node, pair, span = m, self.f_pair, n + 1
        while pf[node] != n:  # forward chain, from the meeting node back to the source
            p = int(pf[node])
            arcs.append(pair[p * span + node])
            node = p
        arcs.reverse()
        first = node
        node, pair = m, self.b_pair
        while pb[node] != n:  # backward chain, from the meeting node on to the target
            q = int(pb[node])
            arcs.append(pair[q * span + node])
            node = q
        return cost, np.asarray(self.expand(arcs), dtype=np.int64), first, node

    def expand(self, arcs: list[int]) -> list[int]:
        """The original edge ids of a sequence of arcs, shortcuts unpacked in order
        (each shortcut's expansion is kept once computed: later routes reuse it)."""
        out: list[int] = []
        memo = self._unpacked
        for a in arcs:
            done = memo.get(a)
            out.extend(done if done is not None else self._unpack(a))
        return out

    def _unpack(self, arc: int) -> tuple[int, ...]:
        done = self._unpacked.get(arc)
        if done is not None:
            return done
        edge, kids, memo = self.arc_edge_list, self.arc_kids, self._unpacked
        stack = [arc]  # post-order: children before their shortcut
        while stack:
            a = stack[-1]
            if a in memo:
                stack.pop()
                continue
            if edge[a] >= 0:
                memo[a] = (edge[a],)
                stack.pop()
                continue
            pair = kids[a]
            assert pair is not None  # a shortcut always has its two arcs
            k1, k2 = pair
            if k1 in memo and k2 in memo:
                memo[a] = memo[k1] + memo[k2]
                stack.pop()
            else:
                stack.extend(k for k in (k2, k1) if k not in memo)
        return memo[arc]


class Labels:
    """Every node's search on one direction of the hierarchy, kept in flat arrays sorted
    by node then hub: for node ``v``, ``hub[ptr[v]:ptr[v+1]]`` (sorted), their costs
    ``dist`` and, for each, the position of its predecessor in the same label (``-1`` at
    ``v`` itself), so that a path is walked back without a search."""

    def __init__(self, matrix: sp.csr_matrix, n: int, chunk: int = 256) -> None:
        hubs: list[np.ndarray] = []
        dists: list[np.ndarray] = []
        preds: list[np.ndarray] = []
        counts = np.zeros(n, dtype=np.int64)
        for start in range(0, n, chunk):
            rows = np.arange(start, min(start + chunk, n))
            dist, pred = dijkstra(matrix, directed=True, indices=rows, return_predecessors=True)
            r, c = np.nonzero(np.isfinite(dist[:, :n]))  # row-major: by node, then hub
            counts[rows] = np.bincount(r, minlength=len(rows))
            hubs.append(c.astype(np.int32))
            dists.append(dist[r, c])
            preds.append(pred[r, c].astype(np.int64))
        self.ptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(counts, out=self.ptr[1:])
        self.hub = np.concatenate(hubs) if hubs else np.zeros(0, dtype=np.int32)
        self.dist = np.concatenate(dists) if dists else np.zeros(0)
        pred_node = np.concatenate(preds) if preds else np.zeros(0, dtype=np.int64)
        owner = np.repeat(np.arange(n, dtype=np.int64), counts)
        # predecessor's position: the entry (owner, pred) in the sorted (owner, hub) keys
        key = owner * (n + 1) + self.hub
        has = pred_node >= 0
        pos = np.full(len(key), -1, dtype=np.int64)
        pos[has] = np.searchsorted(key, owner[has] * (n + 1) + pred_node[has])
        self.pred_pos = pos
        #: per entry, the arc from its predecessor's hub to its hub (-1 at the label's node)
        self.arc = np.full(len(self.hub), -1, dtype=np.int64)

    def arcs_from(self, pair: dict[int, int], span: int) -> None:
        """Fill :attr:`arc` from the searched graph's arcs, ``pair[tail * span + head]``."""
        has = np.flatnonzero(self.pred_pos >= 0)
        if not len(has) or not pair:
            return
        keys = np.fromiter(pair.keys(), dtype=np.int64, count=len(pair))
        ids = np.fromiter(pair.values(), dtype=np.int64, count=len(pair))
        order = np.argsort(keys)
        keys, ids = keys[order], ids[order]
        hub = self.hub.astype(np.int64)
        want = hub[self.pred_pos[has]] * span + hub[has]
        at = np.searchsorted(keys, want)
        self.arc[has] = ids[at]

    @property
    def size(self) -> int:
        """Entries kept (memory: 28 bytes each)."""
        return len(self.hub)

    def arrays(self) -> dict[str, np.ndarray]:
        """The label arrays by name, for :meth:`from_arrays` (positions as 32-bit integers
        where they fit: files a third smaller)."""
        small = np.int32 if max(len(self.hub), int(self.arc.max(initial=0))) < 2**31 else np.int64
        return {
            "ptr": self.ptr,
            "hub": self.hub,
            "dist": self.dist,
            "pred": self.pred_pos.astype(small),
            "arc": self.arc.astype(small),
        }

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], n: int, arcs: int) -> Labels:
        """Labels of ``n`` nodes over ``arcs`` arcs from :meth:`arrays` (checked for
        consistent sizes and positions in range: ``ValueError`` otherwise)."""
        ptr, hub, dist = arrays["ptr"], arrays["hub"], arrays["dist"]
        pred, arc = arrays["pred"], arrays["arc"]
        size = len(hub)
        if not (
            len(ptr) == n + 1
            and int(ptr[0]) == 0
            and int(ptr[-1]) == size == len(dist) == len(pred) == len(arc)
            and bool(np.all(np.diff(ptr) >= 0))
            and (size == 0 or (hub.min() >= 0 and hub.max() < n and pred.max() < size and arc.max() < arcs))
        ):
            raise ValueError("hub labels of inconsistent sizes")
        labels = cls.__new__(cls)
        labels.ptr = ptr.astype(np.int64)
        labels.hub = hub.astype(np.int32)
        labels.dist = dist.astype(np.float64)
        labels.pred_pos = pred.astype(np.int64)
        labels.arc = arc.astype(np.int64)
        return labels


def _witness(
    out: list[dict[int, int]], w: list[float], u: int, v: int, limit: float, targets: dict[int, float]
) -> dict[int, float]:
    """Tentative costs from ``u`` avoiding ``v`` (a bounded, truncated Dijkstra)."""
    dist = {u: 0.0}
    heap = [(0.0, u)]
    left = len(targets)
    settled = 0
    while heap:
        d, a = heapq.heappop(heap)
        if d > dist[a]:
            continue
        if d > limit:
            break
        if a in targets:
            left -= 1
            if not left:
                break
        settled += 1
        if settled > WITNESS_SETTLED:
            break
        for b, i in out[a].items():
            if b == v:
                continue
            nd = d + w[i]
            if nd < dist.get(b, math.inf):
                dist[b] = nd
                heapq.heappush(heap, (nd, b))
    return dist


def _csr(
    n: int, rows: np.ndarray, cols: np.ndarray, w: np.ndarray, ids: np.ndarray
) -> tuple[sp.csr_matrix, np.ndarray, int]:
    """A CSR matrix of ``n + 1`` rows with two spare entries in the last row (the virtual
    endpoint, rewritten per query); returns (matrix, arc id per entry, first spare slot)."""
    order = np.lexsort((cols, rows))
    rows = np.concatenate([rows[order], [n, n]])
    cols = np.concatenate([cols[order], [n, n]])
    w = np.concatenate([w[order], [1.0, 1.0]])
    ids = np.concatenate([ids[order], [-1, -1]])
    indptr = np.zeros(n + 2, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n + 1), out=indptr[1:])
    matrix = sp.csr_matrix((w.astype(np.float64), cols.astype(np.int32), indptr.astype(np.int32)), shape=(n + 1, n + 1))
    return matrix, ids, int(indptr[n])


def _search(matrix: sp.csr_matrix, slot: int, n: int, ends: list[tuple[int, float]]) -> tuple[np.ndarray, np.ndarray]:
    idx, data = matrix.indices, matrix.data
    for s in (slot, slot + 1):
        idx[s], data[s] = n, 1.0  # unused: a harmless self-loop
    for s, (node, cost) in zip((slot, slot + 1), ends):
        idx[s], data[s] = node, cost
    return dijkstra(matrix, directed=True, indices=n, return_predecessors=True)
