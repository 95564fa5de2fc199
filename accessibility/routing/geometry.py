"""Route assembly on flat arrays: the coordinates of every edge of a graph held once.

Assembling a route edge by edge through shapely objects and networkx attribute lookups
costs ten times the search itself. :class:`EdgeGeometry` holds, once per graph, every
directed edge's vertices in one flat array (projected and WGS84), the distance of each
vertex along its edge, the bearing of its first and last segment, its OSM way id and its
name for directions, all aligned with the edge order of
:func:`~accessibility.model.costs.edge_costs`. A path's pieces ``(edge, from, to)`` then
turn into coordinates, lengths and direction legs with a few numpy gathers; only the two
partial pieces at the ends are cut (by interpolation along the edge, as
``shapely.ops.substring`` does).

:class:`BarrierFacts` holds what a route says about each barrier row (label, measure,
street, OSM id, place) as plain lists, read once per barrier table instead of one pandas
row per barrier per route.
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import shapely

from accessibility.i18n import _
from accessibility.model.barriers import taxonomy
from accessibility.model.snapping import NetworkIndex
from accessibility.routing.directions import Leg, way_label

__all__ = ["BarrierFacts", "EdgeGeometry", "Legs", "PathShape", "barrier_facts", "edge_geometry"]

_TINY = 1e-9


@dataclass
class PathShape:
    """A path as flat arrays: WGS84 ``lonlat`` (N x 2, rounded to 7 digits, junction
    points once); piece ``k``'s points are ``lonlat[first[k]:end[k]]``."""

    lonlat: np.ndarray
    first: np.ndarray
    end: np.ndarray

    def span(self, i: int, j: int) -> np.ndarray:
        """The points of pieces ``i`` to ``j`` (inclusive), joined."""
        return self.lonlat[self.first[i] : self.end[j]]


class EdgeGeometry:
    """Every directed edge's geometry of one graph as flat arrays (see module docstring)."""

    def __init__(self, G: nx.MultiDiGraph, index: NetworkIndex) -> None:
        data = [d for _, _, _, d in G.edges(keys=True, data=True)]
        m = len(data)
        self.index = index
        if m:
            xy, owner = shapely.get_coordinates([d["geometry"] for d in data], return_index=True)
        else:
            xy, owner = np.empty((0, 2)), np.empty(0, dtype=np.int64)
        counts = np.bincount(owner, minlength=m)
        self.start = np.zeros(m + 1, dtype=np.int64)
        np.cumsum(counts, out=self.start[1:])
        self.xy = np.ascontiguousarray(xy, dtype=float)
        step = np.zeros(len(xy))
        if len(xy) > 1:
            step[1:] = np.hypot(*(xy[1:] - xy[:-1]).T)
        step[self.start[:-1][counts > 0]] = 0.0  # each edge starts at 0
        total = np.cumsum(step)
        first = np.repeat(self.start[:-1], counts)
        self.cum = total - total[first] if len(xy) else total  # distance of each vertex along its edge
        last = self.start[1:] - 1
        self.geometric_length = np.where(counts > 0, self.cum[np.maximum(last, 0)] if len(xy) else 0.0, 0.0)
        if len(xy):
            lon, lat = index.to_lonlat.transform(xy[:, 0], xy[:, 1])
            self.lonlat = np.round(np.column_stack([lon, lat]), 7)
        else:
            self.lonlat = np.empty((0, 2))
        ok = counts >= 2
        s0 = np.where(ok, self.start[:-1], 0)
        s1 = np.where(ok, self.start[:-1] + 1, 0)
        e0 = np.where(ok, last - 1, 0)
        e1 = np.where(ok, last, 0)
        self.bearing_start = _bearing(xy[s0], xy[s1]) if len(xy) else np.zeros(m)
        self.bearing_end = _bearing(xy[e0], xy[e1]) if len(xy) else np.zeros(m)
        labels: dict[tuple[str | None, str], int] = {}
        self.label = np.fromiter((labels.setdefault(way_label(d), len(labels)) for d in data), dtype=np.int64, count=m)
        self.labels: list[tuple[str | None, str]] = list(labels)
        self.osmid = np.fromiter((int(d["osmid"]) for d in data), dtype=np.int64, count=m)

    # --- cutting ----------------------------------------------------------------------

    def _at(self, e: int, d: float) -> tuple[np.ndarray, int]:
        """The projected point ``d`` metres along edge ``e`` and the index of the vertex
        that starts its segment."""
        s, t = int(self.start[e]), int(self.start[e + 1])
        cum = self.cum[s:t]
        j = int(np.searchsorted(cum, d, side="right")) - 1
        j = min(max(j, 0), t - s - 2)
        seg = cum[j + 1] - cum[j]
        f = 0.0 if seg <= 0 else min(max((d - cum[j]) / seg, 0.0), 1.0)
        return self.xy[s + j] + f * (self.xy[s + j + 1] - self.xy[s + j]), j

    def _partial(self, e: int, a: float, b: float) -> tuple[np.ndarray, float, float]:
        """Projected vertices of the piece ``a..b`` of edge ``e`` (as ``substring``), and
        the bearings of its first and last segment."""
        s, t = int(self.start[e]), int(self.start[e + 1])
        full = float(self.geometric_length[e])  # the pieces' lengths may differ by rounding
        a, b = min(max(a, 0.0), full), min(max(b, 0.0), full)
        pa, _ = self._at(e, a)
        pb, _ = self._at(e, b)
        cum = self.cum[s:t]
        inner = self.xy[s:t][(cum > a + _TINY) & (cum < b - _TINY)]  # a cut on a vertex keeps it once
        pts = np.vstack([pa[None, :], inner, pb[None, :]])
        return pts, _bearing1(pts[0], pts[1]), _bearing1(pts[-2], pts[-1])

    # --- a whole path -----------------------------------------------------------------

    def shape(
        self, E: np.ndarray, A: np.ndarray, B: np.ndarray, length: np.ndarray, legs: bool = True
    ) -> tuple[PathShape, Legs | None]:
        """Coordinates and direction legs of a path's pieces: edges ``E`` walked from ``A``
        to ``B`` metres.

        ``length`` is the edge length the pieces are measured against (a piece from 0 to
        ``length[e]`` is the whole edge: its vertices are gathered as they are, all such
        pieces at once); the others, at most the first and the last, are cut."""
        whole = (A <= _TINY) & (B >= length[E] - _TINY)
        first = self.start[E]
        count = self.start[E + 1] - first
        sizes = np.where(whole, count, 0)
        cuts: dict[int, tuple[np.ndarray, float, float]] = {}  # piece -> (projected points, bearings)
        for k in np.flatnonzero(~whole).tolist():
            e, a, b = int(E[k]), float(A[k]), float(B[k])
            if b - a <= 0:
                cuts[k] = (self._at(e, a)[0][None, :], 0.0, 0.0)
            else:
                cuts[k] = self._partial(e, a, b)
            sizes[k] = len(cuts[k][0])
        total = int(sizes.sum())
        offset = np.cumsum(sizes) - sizes
        # every whole piece's vertices in one gather
        rows = np.arange(total) - np.repeat(offset - np.where(whole, first, 0), sizes)
        points = self.lonlat[np.minimum(rows, len(self.lonlat) - 1)] if total else np.empty((0, 2))
        if cuts:
            xy = np.vstack([c[0] for c in cuts.values()])
            lon, lat = self.index.to_lonlat.transform(xy[:, 0], xy[:, 1])
            ll = np.round(np.column_stack([lon, lat]), 7)
            at = 0
            for k, (pts, _b0, _b1) in cuts.items():
                points[offset[k] : offset[k] + len(pts)] = ll[at : at + len(pts)]
                at += len(pts)
        shape = _join(points, sizes)
        if not legs:
            return shape, None
        label = self.label[E]
        walked = np.where(whole, self.geometric_length[E], B - A)
        b_first = self.bearing_start[E].copy()
        b_last = self.bearing_end[E].copy()
        ok = np.where(whole, (count >= 2) & (walked > 0), B - A > 0)
        for k, (_pts, b0, b1) in cuts.items():
            b_first[k], b_last[k] = b0, b1
        return shape, Legs(self.labels, label[ok], walked[ok], b_first[ok], b_last[ok])


@dataclass
class Legs:
    """A path's legs for directions, as arrays: way label ids (into ``labels``, each a
    ``(name, kind)``), metres walked, bearings of the first and last segment."""

    labels: list[tuple[str | None, str]]
    label: np.ndarray
    length: np.ndarray
    first: np.ndarray
    last: np.ndarray

    def merged(self) -> list[Leg]:
        """One :class:`Leg` per step: consecutive legs on the same way joined."""
        if not len(self.label):
            return []
        starts = np.flatnonzero(np.concatenate([[True], self.label[1:] != self.label[:-1]]))
        ends = np.concatenate([starts[1:], [len(self.label)]]) - 1
        lengths = np.add.reduceat(self.length, starts)
        return [
            Leg(self.labels[lab][0], self.labels[lab][1], length, first, last)
            for lab, length, first, last in zip(
                self.label[starts].tolist(), lengths.tolist(), self.first[starts].tolist(), self.last[ends].tolist()
            )
        ]


def _join(points: np.ndarray, sizes: np.ndarray) -> PathShape:
    """The pieces' points (``sizes[k]`` rows each) with consecutive repeats dropped (the
    node shared by two pieces, a cut that falls on a vertex); each piece's span kept."""
    if not len(sizes) or not len(points):
        empty = np.zeros(len(sizes), dtype=np.int64)
        return PathShape(np.empty((0, 2)), empty, empty)
    keep = np.ones(len(points), dtype=bool)
    keep[1:] = np.any(points[1:] != points[:-1], axis=1)
    new = np.cumsum(keep) - 1  # each point's row once the repeats are dropped
    end = np.cumsum(sizes)
    begin = end - sizes
    first = new[np.minimum(begin, len(points) - 1)]
    last = new[np.maximum(end - 1, 0)] + 1
    return PathShape(points[keep], first, np.where(sizes > 0, last, first))


def _bearing(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.degrees(np.arctan2(b[:, 0] - a[:, 0], b[:, 1] - a[:, 1])) % 360


def _bearing1(a: np.ndarray, b: np.ndarray) -> float:
    return math.degrees(math.atan2(float(b[0] - a[0]), float(b[1] - a[1]))) % 360


_GEOMETRIES: weakref.WeakKeyDictionary[nx.MultiDiGraph, tuple[int, EdgeGeometry]] = weakref.WeakKeyDictionary()


def edge_geometry(G: nx.MultiDiGraph, index: NetworkIndex) -> EdgeGeometry:
    """The flat edge geometry of ``G``, built on first use and kept while ``G`` lives
    (graphs are not edited in place after a build; the node count is a cheap guard)."""
    cached = _GEOMETRIES.get(G)
    if cached is not None and cached[0] == G.number_of_nodes():
        return cached[1]
    geometry = EdgeGeometry(G, index)
    _GEOMETRIES[G] = (G.number_of_nodes(), geometry)
    return geometry


# --- what a route says about a barrier -------------------------------------------------


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA or value == "":
        return None
    return str(value)


class BarrierFacts:
    """The columns of a barrier table that routes describe, as plain lists by row."""

    def __init__(self, barriers: pd.DataFrame, index: NetworkIndex) -> None:
        n = len(barriers)

        def column(name: str) -> list[Any]:
            return barriers[name].tolist() if name in barriers else [None] * n

        self.kind: list[str] = [str(k) for k in column("kind")]
        measure = barriers["measure"].to_numpy(dtype=float, na_value=np.nan) if n else np.empty(0)
        self.measure: list[float | None] = [None if math.isnan(m) else float(m) for m in measure.tolist()]
        self.unit: list[str] = [_text(u) or "" for u in column("unit")]
        self.street: list[str | None] = [_text(s) for s in column("street")]
        self.description: list[str | None] = [_text(s) for s in column("description")]
        self.barrier_id: list[Any] = [None if _text(b) is None else b for b in column("barrier_id")]
        source = column("source_id")
        element, osm_id = column("element"), column("osm_id")
        self.osm: list[str] = [_text(s) or f"{el}/{oid}" for s, el, oid in zip(source, element, osm_id)]
        #: rows of a measured slope (judged per direction where the edge has an incline)
        self.steep_measured = np.array(
            [k == "steep_incline" and m is not None for k, m in zip(self.kind, self.measure)] + [False], dtype=bool
        )[: max(n, 1)]
        self.lon: list[float | None] = [None] * n
        self.lat: list[float | None] = [None] * n
        if n and "geometry" in barriers:
            geoms = barriers.geometry.to_numpy()
            present = np.flatnonzero([g is not None and not g.is_empty for g in geoms])
            if len(present):
                points = shapely.point_on_surface(geoms[present])
                lon, lat = index.to_lonlat.transform(shapely.get_x(points), shapely.get_y(points))
                for i, x, y in zip(present.tolist(), np.round(lon, 7).tolist(), np.round(lat, 7).tolist()):
                    self.lon[i], self.lat[i] = x, y

    def describe(self, row: int, distance: float) -> dict[str, Any]:
        """One barrier as a route lists it (label in the language in use)."""
        tax = taxonomy()
        kind = self.kind[row]
        return {
            "kind": kind,
            "label": _(tax[kind].label) if kind in tax else kind,
            "measure": self.measure[row],
            "unit": self.unit[row],
            "street": self.street[row],
            "osm": self.osm[row],
            "barrier_id": self.barrier_id[row],
            "description": self.description[row],
            "distance_m": round(float(distance), 1),
            "lon": self.lon[row],
            "lat": self.lat[row],
        }


_FACTS: dict[int, tuple[pd.DataFrame, int, BarrierFacts]] = {}


def barrier_facts(barriers: pd.DataFrame, index: NetworkIndex) -> BarrierFacts:
    """The :class:`BarrierFacts` of a barrier table, read once per table object (the last
    few tables are kept)."""
    cached = _FACTS.get(id(barriers))
    if cached is not None and cached[0] is barriers and cached[1] == len(barriers):
        return cached[2]
    facts = BarrierFacts(barriers, index)
    if len(_FACTS) >= 4:
        _FACTS.pop(next(iter(_FACTS)))
    _FACTS[id(barriers)] = (barriers, len(barriers), facts)
    return facts
