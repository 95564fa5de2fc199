"""Routes as people receive them: the path, the walking comparison, barriers avoided or
blocking, directions, GeoJSON; and the route to the nearest facility of a category.

:func:`route` and :func:`nearest` search with the compiled routers of
:mod:`accessibility.routing.router` and assemble a :class:`Route`: plain data with
``found``, ``length_m``, ``duration_s``, the ``(u, v, key)`` edges of ``city.network`` it
uses, and :meth:`Route.to_geojson`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from accessibility import settings
from accessibility.analysis.destinations import way_in_mask
from accessibility.errors import FacilityError, SnapError
from accessibility.i18n import _, check_language, number, use_language
from accessibility.model.barriers import taxonomy
from accessibility.model.costs import Edge, EdgeCosts
from accessibility.model.facilities import destination, entrance_points
from accessibility.model.profiles import Profile, load_profiles
from accessibility.model.snapping import EdgeSnap as Snap
from accessibility.routing.directions import coded_sentences
from accessibility.routing.geometry import BarrierFacts, barrier_facts
from accessibility.routing.kernels import avoided_on, marks_on, tally
from accessibility.routing.router import Path, Router, Routing

__all__ = ["Route", "assemble", "nearest", "route"]


#: a route's points when it has none (read-only: shared by every such route)
_NO_POINTS: np.ndarray = np.empty((0, 2))
_NO_POINTS.flags.writeable = False


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
    #: the route's WGS84 points as an ``(n, 2)`` array of ``(lon, lat)`` rows (JSON writers
    #: take it as it is; :attr:`coords` gives them as tuples)
    line: np.ndarray = field(default_factory=lambda: _NO_POINTS, repr=False)
    unknown_share: float = 0.0
    #: the stretches with unknown data, each a slice of :attr:`line`
    unknown_lines: list[np.ndarray] = field(default_factory=list, repr=False)
    osm_ways: list[int] = field(default_factory=list)
    walk_length_m: float | None = None
    #: the walking comparison's points, as :attr:`line`
    walk_line: np.ndarray = field(default_factory=lambda: _NO_POINTS, repr=False)
    barriers_avoided: list[dict[str, Any]] = field(default_factory=list)
    blockers: list[dict[str, Any]] = field(default_factory=list)
    directions: list[str] = field(default_factory=list)
    lang: str = "it"
    facility: dict[str, Any] | None = None
    #: the path walked, with the graph's edges by index and their lengths:
    #: :attr:`edges` and :attr:`fractions` are read from them on demand
    _walked: tuple[list[Edge], Path, np.ndarray] | None = field(default=None, repr=False, compare=False)

    @property
    def coords(self) -> list[tuple[float, float]]:
        """The route's points as ``(lon, lat)`` tuples."""
        return _tuples(self.line)

    @property
    def walk_coords(self) -> list[tuple[float, float]]:
        """The walking comparison's points as ``(lon, lat)`` tuples."""
        return _tuples(self.walk_line)

    @property
    def unknown_coords(self) -> list[list[tuple[float, float]]]:
        """The stretches with unknown data, each as ``(lon, lat)`` tuples."""
        return [_tuples(stretch) for stretch in self.unknown_lines]

    @property
    def edges(self) -> list[Edge]:
        """The ``(u, v, key)`` edges of the city's network the route walks, in order."""
        if self._walked is None:
            return []
        graph_edges, path, _ = self._walked
        return [graph_edges[i] for i in path.edges.tolist()]

    @property
    def fractions(self) -> list[float]:
        """The share of each of :attr:`edges` walked (1.0: the whole edge)."""
        if self._walked is None:
            return []
        _, path, length = self._walked
        walked, full = path.ends - path.starts, length[path.edges]
        return np.divide(walked, full, out=np.ones(len(full)), where=full > 0).tolist()

    @property
    def detour_ratio(self) -> float | None:
        """Length over the plain walking length (1.0: no detour)."""
        if not self.found or not self.walk_length_m:
            return None
        return self.length_m / self.walk_length_m

    def message(self) -> str:
        """What the route is, for people, in the route's language: its length, time and
        detour; or, without a route, the barriers that block the walk, nearest first."""
        with use_language(self.lang):
            if self.found:
                text = _("{length} m, {minutes} min").format(
                    length=number(self.length_m), minutes=number(self.duration_s / 60)
                )
                if self.detour_ratio:
                    text += " " + _("({ratio}x the walking route)").format(ratio=number(self.detour_ratio, 2))
                return text
            head = _("No accessible route for the profile {profile}.").format(profile=self.profile_label)
            if not self.blockers:
                return head + " " + _("The two points are not connected even on foot.")
            lines = [head, _("Barriers on the walking route, nearest first:")]
            for b in self.blockers:
                measure = f" {number(b['measure'], 1)} {b['unit']}" if b.get("measure") is not None else ""
                where = f", {b['street']}" if b.get("street") else ""
                lines.append(f"  {number(b['distance_m']):>7} m  {b['label']}{measure}{where} ({b['osm']})")
            return "\n".join(lines)

    @property
    def profile_label(self) -> str:
        """The profile's name for people, in the route's language."""
        with use_language(self.lang):
            profiles = load_profiles()
            return _(profiles[self.profile].label) if self.profile in profiles else self.profile

    def to_geojson(self) -> dict[str, Any]:
        """A GeoJSON Feature: the route as a WGS84 LineString with its properties."""
        kinds: dict[str, int] = {}
        for b in self.barriers_avoided:
            kinds[b["kind"]] = kinds.get(b["kind"], 0) + 1
        props: dict[str, Any] = {
            "profile": self.profile,
            "found": self.found,
            "length_m": round(self.length_m, 2),
            "duration_s": round(self.duration_s, 1),
            "walk_length_m": None if self.walk_length_m is None else round(self.walk_length_m, 2),
            "detour_ratio": None if self.detour_ratio is None else round(self.detour_ratio, 4),
            "barriers_avoided": {"count": len(self.barriers_avoided), "kinds": kinds},
            "unknown_share": round(self.unknown_share, 4),
            "osm_way_ids": self.osm_ways,
            "directions": self.directions,
            "lang": self.lang,
            "origin": list(self.origin),
            "destination": list(self.destination),
        }
        if not self.found:
            props["blocking_barriers"] = self.blockers
        if self.facility is not None:
            props["facility"] = self.facility
        geometry = (  # points are rounded to 7 decimals when the route is traced
            {"type": "LineString", "coordinates": self.line.tolist()} if len(self.line) >= 2 else None
        )
        return {"type": "Feature", "geometry": geometry, "properties": props}


def route(
    routing: Routing,
    barriers: pd.DataFrame,
    origin: tuple[float, float],
    destination: tuple[float, float],
    profile: Profile,
    walk: Profile,
    lang: str | None = None,
) -> Route:
    """The route for ``profile`` between two ``(lat, lon)`` points, compared with walking."""
    lang = check_language(lang)
    r = routing.router(profile, barriers)
    w = routing.router(walk, barriers)
    o, d = routing.index.xy_pair(origin, destination)
    if r is w:
        _so, _sd, path = r.route_xy(o, d)
        walk_path = path
    else:  # both ends snapped once for the profile and the walking comparison
        (so, sd), (wo, wd) = routing.index.snap_pairs(o, d, [r.usable, w.usable], settings.snap_max_m)
        path, walk_path = r.path(so, sd), w.path(wo, wd)
    return assemble(routing, r, w, path, walk_path, origin, destination, barriers, lang)


def assemble(
    routing: Routing,
    r: Router,
    w: Router,
    path: Path | None,
    walk_path: Path | None,
    origin: tuple[float, float],
    destination: tuple[float, float],
    barriers: pd.DataFrame,
    lang: str = "it",
) -> Route:
    """Turn search results into a :class:`Route` with the walk comparison and directions."""
    with use_language(lang):
        return _assemble(routing, r, w, path, walk_path, origin, destination, barriers, lang)


def _assemble(
    routing: Routing,
    r: Router,
    w: Router,
    path: Path | None,
    walk_path: Path | None,
    origin: tuple[float, float],
    destination: tuple[float, float],
    barriers: pd.DataFrame,
    lang: str,
) -> Route:
    geo = routing.geometry
    facts = barrier_facts(barriers, routing.index)
    out = Route(
        profile=r.profile.name,
        found=path is not None,
        origin=(origin[0], origin[1]),
        destination=(destination[0], destination[1]),
        lang=lang,
    )
    walk_same = walk_path is not None and path is not None and walk_path.same(path)
    if walk_path is not None:
        out.walk_length_m = walk_path.length
        if not walk_same:
            out.walk_line = geo.trace(walk_path, w.costs.length, legs=False)[0]
    if path is None:
        out.blockers = _blockers(r, walk_path, facts, lang) if walk_path is not None else []
        return out
    c = r.costs
    length_m, unknown_m, runs, osm_ways = tally(path.edges, path.starts, path.ends, c.unknown, geo.osmid)
    out.length_m = length_m
    out.duration_s = length_m / r.profile.speed_mps
    out.cost = path.cost
    out._walked = (c.edges, path, c.length)
    line, ends, ways, steps = geo.trace(path, c.length)
    out.line = line
    if walk_same:
        out.walk_line = line  # the same path: the same points, not traced twice
    if len(runs):
        out.unknown_share = unknown_m / length_m if length_m > 0 else 0.0
        out.unknown_lines = [line[max(ends[i - 1] - 1, 0) if i else 0 : ends[j]] for i, j in runs.tolist()]
    out.osm_ways = osm_ways.tolist()
    if walk_path is not None:
        out.barriers_avoided = _avoided(r, path, walk_path, facts, lang)
    out.directions = coded_sentences(ways, steps, lang)
    return out


def _tuples(points: np.ndarray) -> list[tuple[float, float]]:
    return [(p[0], p[1]) for p in points.tolist()]


def _marks(r: Router, path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What a path passes, in walking order: distances from the start, barrier rows,
    edges; row ``-1`` where the edge is too steep in this direction (judged from its
    incline). Rows on an edge count where the edge starts, rows on a node where it is
    entered (:func:`~accessibility.routing.kernels.marks_on`)."""
    c = r.costs
    return marks_on(path.edges, path.starts, path.ends, c.length, c.v, r.edge_ptr, r.edge_rows, r.node_ptr, r.node_rows)


def _rows_on(r: Router, path: Path) -> list[tuple[float, int, int]]:
    """:func:`_marks` as ``(distance, row, edge)`` tuples."""
    at, rows, on = _marks(r, path)
    return list(zip(at.tolist(), rows.tolist(), on.tolist()))


def _steep(c: EdgeCosts, e: int, distance: float) -> dict[str, Any]:
    """An edge too steep in this direction, judged from its incline (no barrier row)."""
    kind = "steep_incline"
    return {
        "kind": kind,
        "label": _(taxonomy()[kind].label),
        "measure": round(abs(float(c.incline[e])), 2),
        "unit": "%",
        "street": None,
        "osm": f"edge/{c.edges[e][0]}-{c.edges[e][1]}",
        "distance_m": round(float(distance), 1),
    }


def _blockers(r: Router, walk_path: Path, facts: BarrierFacts, lang: str) -> list[dict[str, Any]]:
    """Barriers on the plain walking route that block ``r``'s profile, nearest first."""
    c = r.costs
    blocks, steep_measured, steep = r.blocking_rows, facts.steep_measured, r.steep_edges
    out, seen = [], set()
    for at, row, e in sorted(_rows_on(r, walk_path), key=lambda t: t[0]):
        key: tuple[Any, ...]
        if row < 0:
            key = ("edge", c.edges[e][0], c.edges[e][1])
            blocking = True
        else:
            key = ("row", row)
            # a measured slope on an edge with its own incline is judged per direction:
            # it blocks only where the edge is too steep that way (the -1 entries)
            blocking = row in blocks and not (steep_measured[row] and e not in steep and r.finite[e])
        if blocking and key not in seen:
            seen.add(key)
            out.append(_steep(c, e, at) if row < 0 else facts.describe(row, at, lang))
    return out


def _avoided(r: Router, path: Path, walk_path: Path, facts: BarrierFacts, lang: str) -> list[dict[str, Any]]:
    """Barriers that hinder or block the profile on the walking route but not on this one."""
    c = r.costs
    at, rows = avoided_on(
        walk_path.edges, walk_path.starts, walk_path.ends, path.edges, path.starts, path.ends,
        c.length, c.v, r.edge_ptr, r.edge_rows, r.node_ptr, r.node_rows, r.hinders,
    )  # fmt: skip
    return [facts.describe(row, distance, lang) for distance, row in zip(at.tolist(), rows.tolist())]


def _targets(routing: Routing, facilities: pd.DataFrame) -> list[tuple[int, tuple[float, float]]]:
    """(facility row position, projected point) for each entrance, or the facility itself."""
    out: list[tuple[int, tuple[float, float]]] = []
    for pos in range(len(facilities)):
        f = facilities.iloc[pos]
        doors = entrance_points(f.get("entrances", ""))
        if doors:
            lons, lats = zip(*doors)
            xs, ys = routing.index.to_xy.transform(lons, lats)
            out.extend((pos, (float(x), float(y))) for x, y in zip(xs, ys))
        else:
            out.append((pos, (float(f.geometry.x), float(f.geometry.y))))
    return out


def _closest(
    r: Router, origin: Snap, targets: list[tuple[int, tuple[float, float]]]
) -> tuple[Path | None, int | None, tuple[float, float] | None]:
    """The cheapest target to reach from ``origin`` with one one-to-all search."""
    dist, pred, starts = r.search(origin)
    best: tuple[float, Any] = (math.inf, None)
    for pos, xy in targets:
        try:  # only along a way in the profile may use: never a straight stretch over steps
            snap = r.index.snap(*xy, r.usable & way_in_mask(r.index, xy), settings.snap_max_m, "facility")
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


def nearest(
    routing: Routing,
    barriers: pd.DataFrame,
    facilities: pd.DataFrame,
    origin: tuple[float, float],
    category_name: str,
    profile: Profile,
    walk: Profile,
    lang: str | None = None,
) -> Route:
    """The route to the facility of a category that is cheapest to reach for ``profile``.

    Facilities are reached at a mapped entrance when they have one. When none can be
    reached, the route is not found and lists what blocks the walk to the nearest one.
    """
    lang = check_language(lang)
    cat = destination(category_name)
    rows = cat.select(facilities)
    if len(rows) == 0:
        raise FacilityError(
            _(
                "no {label} ({name}) among this city's facilities; rebuild the workspace if it predates facilities"
            ).format(label=_(cat.label).lower(), name=cat.name)
        )
    targets = _targets(routing, rows)
    r, w = routing.router(profile, barriers), routing.router(walk, barriers)
    o = routing.index.xy(origin)
    so = routing.index.snap(*o, r.usable, settings.snap_max_m, "origin")
    path, pos, xy = _closest(r, so, targets)
    wo = routing.index.snap(*o, w.usable, settings.snap_max_m, "origin")
    if path is not None:
        assert xy is not None  # a path found ends at a target
        sd = routing.index.snap(*xy, w.usable, settings.snap_max_m, "facility")
        walk_path = w.path(wo, sd)
    else:
        walk_path, pos, xy = _closest(w, wo, targets)
    if pos is None or xy is None:
        raise FacilityError(
            _("no facility of the category {name} lies within {limit} m of the network").format(
                name=_(cat.label).lower(), limit=number(settings.snap_max_m)
            )
        )
    lon, lat = routing.index.to_lonlat.transform(*xy)
    out = assemble(routing, r, w, path, walk_path, origin, (round(lat, 7), round(lon, 7)), barriers, lang)
    f = rows.iloc[pos]
    with use_language(lang):
        label = _(cat.label)
    out.facility = {
        "category": cat.category,
        "destination": cat.name,
        "label": label,
        "name": f["name"] or None,
        "wheelchair": f["wheelchair"] or None,
        "osm": f"{f['osm_type']}/{f['osm_id']}",
    }
    return out


# --- where can I get to? -------------------------------------------------------------------


@dataclass
class Walkshed:
    """The network a profile reaches from a point within each number of minutes (bands:
    ``lines[k]`` holds the edges first reached within ``minutes[k]``), as AccessMap's
    walksheds and OpenRouteService's isochrones."""

    profile: str
    origin: tuple[float, float]
    minutes: list[float]
    speed_mps: float
    lines: list[list[list[tuple[float, float]]]]
    length_m: list[float]
    lang: str = "it"

    def to_geojson(self) -> dict[str, Any]:
        """A FeatureCollection: one MultiLineString per band, nearest band first."""
        return {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "geometry": {"type": "MultiLineString", "coordinates": [[list(p) for p in line] for line in lines]}
                    if lines
                    else None,
                    "properties": {
                        "profile": self.profile,
                        "minutes": m,
                        "length_m": round(length, 1),
                        "origin": list(self.origin),
                    },
                }
                for m, lines, length in zip(self.minutes, self.lines, self.length_m)
            ],
        }


def walkshed(
    routing: Routing,
    barriers: pd.DataFrame,
    origin: tuple[float, float],
    profile: Profile,
    minutes: list[float],
    lang: str | None = None,
) -> Walkshed:
    """The edges ``profile`` reaches from ``origin`` within each of ``minutes`` at its
    speed, on the edges it may use (walking length, as the audit measures reach); an edge
    belongs to the first band within which its far end is reached.

    Raises
    ------
    SnapError
        The point is too far from any path the profile can use.
    """
    lang = check_language(lang)
    r = routing.router(profile, barriers)
    x, y = routing.index.xy(origin)
    snap = routing.index.snap(x, y, r.usable, settings.snap_max_m, "origin")
    c = r.costs
    sources = []
    for edge, part in ((snap.fwd, snap.length - snap.offset), (snap.bwd, snap.offset)):
        if r.usable[edge]:
            sources.append((int(c.v[edge]), float(part)))
    limits = sorted(float(m) for m in minutes)
    reach_m = max(limits) * 60 * profile.speed_mps
    dist = r.lengths.distances_from(sources, limit=reach_m) if sources else np.full(len(c.nodes), np.inf)
    far = np.maximum(dist[c.u], dist[c.v])
    near = np.minimum(dist[c.u], dist[c.v])
    with np.errstate(invalid="ignore"):
        ok = r.usable & np.isfinite(far) & (far - near <= c.length + 1e-6)
    # each physical edge once: its forward direction, or its reverse when only that is usable
    fwd, bwd = routing.index.fwd, routing.index.bwd
    pick = np.where(ok[fwd], fwd, np.where(ok[bwd], bwd, -1))
    pick = pick[pick >= 0]
    geo = routing.geometry
    bands: list[list[list[tuple[float, float]]]] = []
    lengths: list[float] = []
    low = -1.0
    for m in limits:
        high = m * 60 * profile.speed_mps
        chosen = pick[(far[pick] > low) & (far[pick] <= high)]
        bands.append([geo.points[e] for e in chosen.tolist()])
        lengths.append(float(c.length[chosen].sum()))
        low = high
    return Walkshed(profile.name, (float(origin[0]), float(origin[1])), limits, profile.speed_mps, bands, lengths, lang)
