"""Route assembly on flat arrays: the coordinates of every edge of a graph held once.

Assembling a route edge by edge through shapely objects and networkx attribute lookups
costs ten times the search itself. :class:`EdgeGeometry` holds, once per graph, every
directed edge's vertices in one flat array (projected and WGS84), the distance of each
vertex along its edge, the bearing of its first and last segment, its OSM way id and its
name for directions, all aligned with the edge order of
:func:`~accessibility.model.costs.edge_costs`. A path's pieces ``(edge, from, to)`` then
turn into coordinates, lengths and direction legs in one compiled loop
(:func:`~accessibility.routing.kernels.trace`); only the two partial pieces at the ends
are cut (by interpolation along the edge, as ``shapely.ops.substring`` does).

:class:`BarrierFacts` holds what a route says about each barrier row (label, measure,
street, OSM id, place) as plain lists, read once per barrier table instead of one pandas
row per barrier per route.
"""

from __future__ import annotations

import math
import weakref
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np
import pandas as pd
import shapely

from accessibility.i18n import _, language, use_language
from accessibility.model.barriers import taxonomy
from accessibility.model.snapping import NetworkIndex
from accessibility.routing import kernels
from accessibility.routing.directions import way_label

if TYPE_CHECKING:
    from accessibility.routing.router import Path

__all__ = ["BarrierFacts", "EdgeGeometry", "barrier_facts", "edge_geometry"]


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
        self.walkable = (counts >= 2) & (self.geometric_length > 0)  # a leg of the directions
        #: each edge's WGS84 points as plain tuples (walksheds list whole edges)
        bounds = self.start.tolist()
        ll = self.lonlat.tolist()
        self.points: list[list[tuple[float, float]]] = [
            [(p[0], p[1]) for p in ll[bounds[e] : bounds[e + 1]]] for e in range(m)
        ]

    def trace(
        self, path: Path, length: np.ndarray, legs: bool = True
    ) -> tuple[np.ndarray, list[int], list[tuple[str | None, str]], np.ndarray]:
        """WGS84 points of a path's pieces as an ``(n, 2)`` array of ``(lon, lat)`` rows
        (consecutive repeats once), where each piece ends in them (piece ``k`` spans
        ``points[ends[k - 1] - 1:ends[k]]``, the first from 0), and the direction steps:
        their ways ``(name, kind)`` and rows ``(metres, first bearing, last bearing)``
        (consecutive legs on one way merged into one step; see
        :func:`~accessibility.routing.directions.coded_sentences`).

        ``length[e]`` is the edge length the pieces are measured against: a piece from 0
        to it is the whole edge, whose points are taken as they are; the others (the
        first and the last) are cut as ``shapely.ops.substring`` cuts, the cut points
        placed by the same fraction of their segment in WGS84 as in metres (the segments
        are metres long: the difference is far below the 7 decimals kept). One compiled
        loop (:func:`~accessibility.routing.kernels.trace`)."""
        points, ends, step_label, steps = kernels.trace(
            path.edges, path.starts, path.ends, length, self.start, self.xy, self.lonlat, self.cum,
            self.geometric_length, self.walkable, self.label, self.bearing_start, self.bearing_end, legs,
        )  # fmt: skip
        labels = self.labels
        return points, ends.tolist(), [labels[i] for i in step_label.tolist()], steps


def _bearing(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.degrees(np.arctan2(b[:, 0] - a[:, 0], b[:, 1] - a[:, 1])) % 360


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
        self.steep_measured: list[bool] = [
            k == "steep_incline" and m is not None for k, m in zip(self.kind, self.measure)
        ]
        #: each row's description by language, made once (a route copies it with its distance)
        self._described: dict[tuple[int, str], dict[str, Any]] = {}
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

    def describe(self, row: int, distance: float, lang: str | None = None) -> dict[str, Any]:
        """One barrier as a route lists it (label in ``lang``, default the language in use)."""
        lang = lang or language()
        known = self._described.get((row, lang))
        if known is None:
            known = self._described[(row, lang)] = self._describe(row, lang)
        return {**known, "distance_m": round(float(distance), 1)}

    def _describe(self, row: int, lang: str) -> dict[str, Any]:
        kind = self.kind[row]
        return {
            "kind": kind,
            "label": _kind_label(kind, lang),
            "measure": self.measure[row],
            "unit": self.unit[row],
            "street": self.street[row],
            "osm": self.osm[row],
            "barrier_id": self.barrier_id[row],
            "description": self.description[row],
            "distance_m": 0.0,
            "lon": self.lon[row],
            "lat": self.lat[row],
        }


@lru_cache(maxsize=256)
def _kind_label(kind: str, lang: str) -> str:
    tax = taxonomy()
    with use_language(lang):
        return _(tax[kind].label) if kind in tax else kind


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
