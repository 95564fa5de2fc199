"""Multi-source shortest distances on the edges a profile may use (pure, compiled).

Audits ask "how far is every resident from the nearest pharmacy, on a route this profile
can take?" and planning asks how that changes when a barrier is removed. Both are one
Dijkstra from many sources at once, on a compiled sparse graph, never one route per
resident. Distances are walking lengths in metres over allowed edges (the profile's
hindrances slow a route but do not lengthen it).

>>> import numpy as np
>>> g = LengthGraph(3, np.array([0, 1]), np.array([1, 2]), np.array([10.0, 5.0]))
>>> g.distances_to([(2, 0.0)]).tolist()
[15.0, 5.0, 0.0]
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from accessibility.model.costs import EdgeCosts

#: Stand-in for zero lengths: csgraph drops explicit zeros from sparse graphs.
_ZERO = 1e-9


class LengthGraph:
    """Directed edges ``u[i] -> v[i]`` of ``length[i]`` metres on nodes ``0..n-1``;
    parallel edges keep their shortest."""

    def __init__(self, n: int, u: np.ndarray, v: np.ndarray, length: np.ndarray) -> None:
        self.n = n
        self.u, self.v = np.asarray(u, dtype=np.int64), np.asarray(v, dtype=np.int64)
        self.length = np.maximum(np.asarray(length, dtype=float), _ZERO)
        self.forward = self._matrix(self.u, self.v, self.length)
        self.backward = self._matrix(self.v, self.u, self.length)

    @classmethod
    def from_costs(cls, costs: EdgeCosts, extra_allowed: np.ndarray | None = None) -> LengthGraph:
        """The edges of ``costs`` that are not forbidden (plus ``extra_allowed``, a mask of
        edges to allow anyway: planning asks "what if this barrier were fixed?")."""
        allowed = ~costs.forbidden
        if extra_allowed is not None:
            allowed |= extra_allowed
        return cls(len(costs.nodes), costs.u[allowed], costs.v[allowed], costs.length[allowed])

    def _matrix(self, rows: np.ndarray, cols: np.ndarray, weights: np.ndarray) -> csr_matrix:
        keep = shortest_per_pair(rows, cols, weights)
        size = self.n + 1  # one spare node: the super-source of multi-source searches
        return csr_matrix((weights[keep], (rows[keep], cols[keep])), shape=(size, size))

    def distances_from(
        self, sources: Iterable[tuple[int, float]], limit: float = np.inf, backward: bool = False
    ) -> np.ndarray:
        """Shortest distance from the nearest of ``sources`` (node position, starting
        offset in metres) to every node; ``inf`` where farther than ``limit``."""
        matrix = self.backward if backward else self.forward
        sources = list(sources)
        if not sources:
            return np.full(self.n, np.inf)
        if len(sources) == 1 and sources[0][1] == 0:
            return dijkstra(matrix, indices=int(sources[0][0]), limit=limit)[: self.n]
        dist = dijkstra(matrix + source_row(sources, self.n, matrix.shape), indices=self.n, limit=limit)
        return dist[: self.n]

    def tree_to(self, targets: Iterable[tuple[int, float]], limit: float = np.inf) -> tuple[np.ndarray, np.ndarray]:
        """Distances to the nearest target, and for every node the next node on its
        shortest way there (``-1`` at a target, or where none is within ``limit``)."""
        targets = list(targets)
        if not targets:
            return np.full(self.n, np.inf), np.full(self.n, -1)
        matrix = self.backward + source_row(targets, self.n, self.backward.shape)
        dist, pred = dijkstra(matrix, indices=self.n, limit=limit, return_predecessors=True)
        nxt = pred[: self.n].astype(np.int64)
        nxt[(nxt < 0) | (nxt >= self.n)] = -1
        return dist[: self.n], nxt

    def distances_to(self, targets: Iterable[tuple[int, float]], limit: float = np.inf) -> np.ndarray:
        """Shortest distance from every node to the nearest of ``targets`` (node position,
        final offset in metres): a search on the reversed edges."""
        return self.distances_from(targets, limit, backward=True)


def shortest_per_pair(rows: np.ndarray, cols: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Indices of the lightest entry of each ``(row, col)`` pair, sorted by row then
    column: parallel edges keep their shortest (a CSR matrix would add them up)."""
    order = np.lexsort((weights, cols, rows))
    rows, cols = rows[order], cols[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
    return order[first]


def source_row(points: Iterable[tuple[int, float]], row: int, shape: tuple[int, int]) -> csr_matrix:
    """The spare node ``row`` linked to each ``(node position, offset)`` of ``points`` at
    its offset (the shortest, where a node is given twice): add it to a graph matrix and
    search from ``row`` to search from all the points at once."""
    points = list(points)
    positions = np.array([p[0] for p in points], dtype=np.int64)
    offsets = np.maximum(np.array([p[1] for p in points], dtype=float), _ZERO)
    keep = shortest_per_pair(np.full(len(points), row), positions, offsets)
    return csr_matrix((offsets[keep], (np.full(len(keep), row), positions[keep])), shape=shape)
