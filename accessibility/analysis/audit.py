"""The city accessibility audit: who reaches which facilities, per mobility profile (pure).

For each profile and facility category, one multi-source shortest-path search from the
facilities' arrival points (:mod:`accessibility.destinations`) over the edges the
profile may use (:mod:`accessibility.reach`) gives every node its distance to the
nearest facility. From those distances, never from one route per resident:

- ``reach``: the share of residents (and of residents over 65 and over 80) and of
  network length within each threshold (distances, and minutes at the profile's speed),
  beside the same figure for plain walking (``walk``);
- ``detour``: the resident-weighted mean of accessible distance / walking distance,
  and the share of residents who can walk there but have no accessible route at all;
- ``unreachable``: facilities no resident can reach with the profile, and why (see
  :data:`REASONS`). A gap in the map data is never called a barrier: a facility whose
  piece of network does not connect to any resident's, even on foot and with every
  barrier removed, is ``disconnected``; one with no mapped path near it is
  ``off_network``; only a facility that residents could reach on the mapped network but
  not with the profile is ``cut_off`` (or ``no_usable_path`` when the paths beside it are
  barred to the profile);
- ``areas``: a score 0-100 per area (hexagons or neighbourhoods), like Project Sidewalk's
  AccessScore but computed from routes: 100 for residents within
  ``settings.audit_score_full_m`` of the nearest facility, 0 beyond
  ``settings.audit_score_zero_m``, linear in between, resident-weighted;
- ``completeness``: per area, how much of the network's kerbs, surfaces, widths and
  inclines are known, so nobody mistakes missing data for accessibility;
- ``usability``: per profile and facility, whether someone reaches it ("raggiungibile")
  and whether it is usable once there ("fruibile": :mod:`accessibility.analysis.usable`),
  with the needs unmet and the sheet fields unknown; ``reach`` carries beside each figure
  the residents who reach a facility they can also use (``residents_usable_share``).

A network length reaches a facility when the better-placed end of its edge does, plus
half the edge's length, on an edge the profile may use.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from accessibility import settings
from accessibility.analysis.areas import completeness, node_areas
from accessibility.analysis.destinations import facility_targets, node_xy
from accessibility.analysis.population import AgeStructure
from accessibility.analysis.reach import LengthGraph
from accessibility.analysis.usable import USABILITY_COLUMNS, judge_sheet, reached, usability_row, usable_points
from accessibility.i18n import N_, Labels, M, Message
from accessibility.model.barriers import barrier_targets
from accessibility.model.costs import EdgeCosts, edge_costs
from accessibility.model.profiles import Profile, load_profile
from accessibility.model.sheets import facility_sheets

#: ``engine(costs)`` -> ``distances(points, backward)``: distances per node position from
#: (``backward=False``) or to (``backward=True``) the nearest of ``points`` (node
#: position, offset metres) on the edges ``costs`` allows.
Engine = Callable[[EdgeCosts], Callable[[list[tuple[int, float]], bool], np.ndarray]]

#: Why a facility is unreachable for a profile, by reason code (messages of the catalogue).
#: ``disconnected`` and ``off_network`` are gaps in the map data, to survey; the others
#: are barriers (or the facility's own tag) that the profile cannot pass.
REASONS = {
    "wheelchair=no": N_("its entrance is tagged wheelchair=no"),
    "off_network": N_("no mapped path near it (a gap in the map data)"),
    "no_usable_path": N_("the paths next to it are barred to this profile"),
    "disconnected": N_(
        "its piece of the mapped network does not connect to where residents live, even on foot "
        "(a gap in the map data, not a barrier)"
    ),
    "cut_off": N_("every way in is blocked by barriers for this profile"),
}
#: The reasons that are gaps in the map data rather than barriers.
DATA_GAPS = frozenset({"off_network", "disconnected"})


def missing_facilities(facilities: pd.DataFrame, categories: list[str]) -> list[Message]:
    """Warnings for people when some (or all) of the facility categories asked for have no
    facility in the city: their figures are empty, not a finding about accessibility.

    The audit and the plan give the same warnings, on the console and in their reports.
    """
    from accessibility.model.facilities import categories as known

    cats = known()
    have = set(facilities["category"]) if len(facilities) else set()
    missing = [c for c in categories if c not in have]
    if not missing:
        return []
    labels = Labels([cats[c].label if c in cats else c for c in missing])
    if len(missing) == len(categories):
        return [
            M(
                "no facility of the kinds asked for was found in the city ({categories}): every figure about "
                "them is empty. Check the OpenStreetMap data of the area, or add the city's registries "
                "(--registry).",
                categories=labels,
            )
        ]
    return [M("no facility found in the city for: {categories}; their figures are empty.", categories=labels)]


def compiled_engine(costs: EdgeCosts):
    """The default engine: scipy's compiled Dijkstra on :class:`LengthGraph`."""
    graph = LengthGraph.from_costs(costs)
    return lambda points, backward=True: graph.distances_from(points, backward=backward)


@dataclass
class Audit:
    """The audit's tables (see module docstring); ``meta`` holds thresholds and totals."""

    reach: pd.DataFrame
    detour: pd.DataFrame
    unreachable: gpd.GeoDataFrame
    areas: gpd.GeoDataFrame
    completeness: pd.DataFrame
    facilities: gpd.GeoDataFrame
    meta: dict[str, Any] = field(default_factory=dict)
    #: residents per node (``total, over65, over80``) the figures counted: a dated snapshot
    #: keeps them, so a later comparison recomputes on the same people
    people: pd.DataFrame | None = None
    #: per profile (walking aside) and facility: reachable, usable, what is missing or unknown
    usability: gpd.GeoDataFrame | None = None
    #: the sheets of the facilities of ``settings.audit_facility_detail_categories``, by
    #: element (``way/20``): what a report's chapter on them shows inside
    sheets: dict[str, Any] = field(default_factory=dict)
    #: the works that would make those facilities usable, priced (filled by ``City.audit``:
    #: :func:`accessibility.planning.facility_works.works_table`)
    works: pd.DataFrame | None = None


@dataclass(frozen=True)
class Threshold:
    """A reach threshold: a distance, or minutes turned into metres per profile."""

    label: str
    metres: float | None = None
    minutes: float | None = None

    def for_profile(self, profile: Profile) -> float:
        if self.metres is not None:
            return self.metres
        assert self.minutes is not None  # a threshold is one or the other (thresholds())
        return self.minutes * 60.0 * profile.speed_mps


def thresholds(distances_m: Iterable[float] | None = None, minutes: Iterable[float] | None = None) -> list[Threshold]:
    """Thresholds from settings unless given: ``500 m``, ``1000 m``, ``15 min``."""
    d = settings.audit_distances_m if distances_m is None else distances_m
    t = settings.audit_minutes if minutes is None else minutes
    return [Threshold(f"{m:g} m", metres=float(m)) for m in d] + [Threshold(f"{x:g} min", minutes=float(x)) for x in t]


def population_table(
    residents: pd.Series,
    ages: AgeStructure | None = None,
    over65: pd.Series | None = None,
    over80: pd.Series | None = None,
) -> pd.DataFrame:
    """Residents per node (``total, over65, over80``): the older groups from their own
    spread when given (census sections by age), else the total times the ISTAT shares."""
    share65 = ages.share65 if ages else np.nan
    share80 = ages.share80 if ages else np.nan
    return pd.DataFrame(
        {
            "total": residents.astype(float),
            "over65": over65.reindex(residents.index).fillna(0.0) if over65 is not None else residents * share65,
            "over80": over80.reindex(residents.index).fillna(0.0) if over80 is not None else residents * share80,
        }
    )


def audit(
    G: nx.MultiDiGraph,
    barriers: pd.DataFrame,
    facilities: gpd.GeoDataFrame,
    profiles: list[Profile],
    categories: list[str],
    people: pd.DataFrame,
    areas: gpd.GeoDataFrame,
    limits: list[Threshold] | None = None,
    engine: Engine | None = None,
    step: Callable[[], None] | None = None,
) -> Audit:
    """Run the audit (see module docstring).

    Parameters
    ----------
    G, barriers, facilities
        ``city.network``, ``city.barriers``, ``city.facilities`` (graph CRS).
    profiles
        Profiles to audit; ``walk`` is always computed as the reference.
    people
        :func:`population_table` (indexed by node id).
    areas
        :func:`accessibility.areas.areas_for`.
    engine
        Shortest-path engine (default :func:`compiled_engine`; benchmarks swap in networkx).
    step
        Called after each (profile, category) pair, to show progress.
    """
    engine = engine or compiled_engine
    limits = limits or thresholds()
    walk = next((p for p in profiles if p.name == "walk"), None) or load_profile("walk")
    order = [walk] + [p for p in profiles if p.name != "walk"]
    nodes = list(G.nodes)
    pop = people.reindex(nodes).fillna(0.0)
    total = pop.sum()
    xy = node_xy(G, nodes)
    forward = np.fromiter((not d.get("reversed", False) for _, _, d in G.edges(data=True)), dtype=bool)
    in_area = node_areas(G, areas)
    where = in_area.reindex(nodes)
    area_codes, area_ids = pd.factorize(where, use_na_sentinel=True)

    reach_rows, detour_rows, unreachable_rows, score_rows, use_rows = [], [], [], [], []
    by_cat = {cat: facilities[facilities["category"] == cat].reset_index(drop=True) for cat in categories}
    sheets = {cat: facility_sheets(rows) for cat, rows in by_cat.items()}
    walk_dist: dict[str, np.ndarray] = {}
    walk_far: dict[str, set[int]] = {}  # facilities with no mapped path near them at all
    lived_in = _inhabited_pieces(G, nodes, pop["total"].to_numpy())
    on = barrier_targets(barriers, G) if len(barriers) else ({}, {})  # the same for every profile
    for profile in order:
        costs = edge_costs(G, barriers, profile, targets=on)
        assert costs.nodes == nodes
        distances = engine(costs)
        populated = [(int(i), 0.0) for i in np.flatnonzero(pop["total"].to_numpy() > 0)]
        from_people = distances(populated, False) if populated else np.full(len(nodes), np.inf)
        edge_ok = forward & ~costs.forbidden
        for cat in categories:
            rows = by_cat[cat]
            targets = facility_targets(costs, xy, rows)
            d = distances(targets.points, True) if targets.points else np.full(len(nodes), np.inf)
            judged = [judge_sheet(sheet, profile) for sheet in sheets[cat]]
            ok = {i for i, use in enumerate(judged) if use.status == "usable"}
            if len(ok) == len(rows):
                du = d
            else:
                points = usable_points(targets.points, targets.facility, ok)
                du = distances(points, True) if points else np.full(len(nodes), np.inf)
            if profile.name == "walk":
                walk_dist[cat] = d
                walk_far[cat] = {i for i, why in targets.excluded.items() if why != "wheelchair=no"}
            wd = walk_dist[cat]
            mid = np.minimum(d[costs.u], d[costs.v]) + costs.length / 2
            mid[~edge_ok] = np.inf
            wmid = np.minimum(wd[costs.u], wd[costs.v]) + costs.length / 2
            wmid[~forward] = np.inf
            net = costs.length[forward].sum()
            for limit in limits:
                metres, walk_metres = limit.for_profile(profile), limit.for_profile(walk)
                row = {
                    "profile": profile.name,
                    "category": cat,
                    "threshold": limit.label,
                    "metres": metres,
                    "facilities": len(rows),
                    "reachable_facilities": len(set(targets.facility)),
                }
                for group in ("total", "over65", "over80"):
                    values = pop[group].to_numpy()
                    denom = values.sum()
                    key = "residents" if group == "total" else group
                    row[f"{key}_reached"] = float(values[d <= metres].sum())
                    row[f"{key}_share"] = float(values[d <= metres].sum() / denom) if denom else np.nan
                    row[f"walk_{key}_share"] = float(values[wd <= walk_metres].sum() / denom) if denom else np.nan
                row["usable_facilities"] = len(ok)
                row["not_usable_facilities"] = sum(use.status == "not_usable" for use in judged)
                row["usable_unknown_facilities"] = sum(use.status == "unknown" for use in judged)
                people_all = pop["total"].to_numpy()
                row["residents_usable_reached"] = reached(du, people_all, metres)
                row["residents_usable_share"] = (
                    row["residents_usable_reached"] / people_all.sum() if people_all.sum() else np.nan
                )
                row["length_share"] = float(costs.length[mid <= metres].sum() / net) if net else np.nan
                row["walk_length_share"] = float(costs.length[wmid <= walk_metres].sum() / net) if net else np.nan
                reach_rows.append(row)
            detour_rows.append(_detour(profile, cat, d, wd, pop["total"].to_numpy()))
            unreachable_rows += _unreachable(profile, cat, rows, targets, from_people, walk_far[cat], lived_in)
            score_rows += _scores(profile, cat, d, wd, pop["total"].to_numpy(), area_codes, area_ids)
            if profile.name != "walk":
                first = limits[0].for_profile(profile)
                local = LengthGraph.from_costs(costs) if cat in settings.audit_facility_detail_categories else None
                use_rows += _usability(profile, cat, rows, judged, targets, from_people, local, pop, first)
            if step is not None:
                step()

    reach = pd.DataFrame(reach_rows)
    detour = pd.DataFrame(detour_rows)
    unreachable = gpd.GeoDataFrame(
        unreachable_rows,
        columns=["profile", "category", "name", "source", "osm_type", "osm_id", "wheelchair", "reason", "geometry"],
        geometry="geometry",
        crs=G.graph["crs"],
    )
    scores = pd.DataFrame(score_rows, columns=["area_id", "profile", "category", "residents", "score", "walk_score"])
    area_table = gpd.GeoDataFrame(
        scores.merge(areas[["area_id", "name", "geometry"]], on="area_id"), geometry="geometry", crs=areas.crs
    )
    complete = completeness(G, barriers, areas, in_area)
    usability = gpd.GeoDataFrame(
        use_rows, columns=USABILITY_COLUMNS + ["geometry"], geometry="geometry", crs=G.graph["crs"]
    )
    meta = {
        "profiles": [p.name for p in order],
        "categories": list(categories),
        "thresholds": [t.label for t in limits],
        "residents": float(total["total"]),
        # unknown without an age table: "not available", never 0
        "over65": float(total["over65"]) if people["over65"].notna().any() else np.nan,
        "over80": float(total["over80"]) if people["over80"].notna().any() else np.nan,
        "speeds": {p.name: p.speed_mps for p in order},
        "labels": {p.name: p.label for p in order},
        "warnings": missing_facilities(facilities, list(categories)),
    }
    used = facilities[facilities["category"].isin(categories)]
    detail = {
        sheet.element: sheet
        for cat in categories
        if cat in settings.audit_facility_detail_categories
        for sheet in sheets[cat]
    }
    return Audit(
        reach, detour, unreachable, area_table, complete, used, meta, people=pop, usability=usability, sheets=detail
    )


def _usability(
    profile: Profile,
    cat: str,
    rows: gpd.GeoDataFrame,
    judged: list,
    targets,
    from_people: np.ndarray,
    local: LengthGraph | None,
    pop: pd.DataFrame,
    metres: float,
) -> list[dict[str, Any]]:
    """One row per facility: reachable by some resident with the profile, and usable
    (see :mod:`accessibility.analysis.usable`); for the categories of
    ``settings.audit_facility_detail_categories`` (``local`` given), the residents within
    ``metres`` of it (one search bounded by ``metres`` per facility: cheap however many)."""
    reach_any: dict[int, bool] = {}
    points: dict[int, list[tuple[int, float]]] = {}
    for (node, offset), i in zip(targets.points, targets.facility):
        reach_any[i] = reach_any.get(i, False) or bool(np.isfinite(from_people[node]))
        points.setdefault(i, []).append((node, offset))
    people = pop["total"].to_numpy()
    out = []
    for i, use in enumerate(judged):
        r = rows.iloc[i]
        count = np.nan
        if local is not None:
            count = reached(local.distances_to(points[i], limit=metres), people, metres) if i in points else 0.0
        out.append(
            {
                "profile": profile.name,
                "category": cat,
                "name": r.get("name", ""),
                "source": r.get("source", "osm"),
                "osm_type": r.get("osm_type", ""),
                "osm_id": r.get("osm_id", -1),
                "reachable": reach_any.get(i, False),
                "residents_reached": count,
                **usability_row(use),
                "geometry": r.geometry,
            }
        )
    return out


def _detour(profile: Profile, cat: str, d: np.ndarray, wd: np.ndarray, people: np.ndarray) -> dict[str, Any]:
    """Resident-weighted mean accessible / walking distance, where both exist."""
    walkable = np.isfinite(wd) & (people > 0)
    both = walkable & np.isfinite(d) & (wd >= settings.audit_detour_min_m)
    weights = people[both]
    ratio = float(np.average(d[both] / wd[both], weights=weights)) if weights.sum() > 0 else np.nan
    stranded = people[walkable & ~np.isfinite(d)].sum() / people[walkable].sum() if people[walkable].sum() else np.nan
    return {"profile": profile.name, "category": cat, "detour": ratio, "no_route_share": float(stranded)}


def _inhabited_pieces(G: nx.MultiDiGraph, nodes: list[int], people: np.ndarray) -> np.ndarray:
    """For each node position: whether its connected piece of the network (every edge, in
    either direction, whatever its barriers) holds residents."""
    n = len(nodes)
    if n == 0:
        return np.zeros(0, dtype=bool)
    position = {node: i for i, node in enumerate(nodes)}
    pairs = np.array([(position[u], position[v]) for u, v in G.edges()], dtype=np.int64).reshape(-1, 2)
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    _count, labels = connected_components(graph, directed=False)
    residents = np.bincount(labels, weights=people, minlength=labels.max() + 1)
    return residents[labels] > 0


def unreachable_reason(excluded: str | None, far_on_foot: bool, reached: bool, inhabited: bool) -> str | None:
    """Why a facility is unreachable for a profile (a key of :data:`REASONS`), ``None``
    when someone reaches it.

    Parameters
    ----------
    excluded
        Why the profile has no arrival point there (``wheelchair=no`` or a distance
        message), ``None`` when it has.
    far_on_foot
        No mapped path of any kind lies near the facility.
    reached
        Some resident reaches one of its arrival points with the profile.
    inhabited
        One of its arrival points lies on a piece of network where residents live.

    >>> unreachable_reason(None, False, False, False), unreachable_reason(None, False, False, True)
    ('disconnected', 'cut_off')
    >>> unreachable_reason("farther than 200 m", True, False, False)
    'off_network'
    """
    if excluded == "wheelchair=no":
        return "wheelchair=no"
    if excluded is not None:
        return "off_network" if far_on_foot else "no_usable_path"
    if reached:
        return None
    return "cut_off" if inhabited else "disconnected"


def _unreachable(
    profile: Profile,
    cat: str,
    rows: gpd.GeoDataFrame,
    targets,
    from_people: np.ndarray,
    far_on_foot: set[int],
    inhabited: np.ndarray,
) -> list[dict]:
    reached: dict[int, bool] = {}
    lived: dict[int, bool] = {}
    for (node, _), i in zip(targets.points, targets.facility):
        reached[i] = reached.get(i, False) or bool(np.isfinite(from_people[node]))
        lived[i] = lived.get(i, False) or bool(inhabited[node])
    out = []
    for i in range(len(rows)):
        reason = unreachable_reason(
            targets.excluded.get(i), i in far_on_foot, reached.get(i, False), lived.get(i, False)
        )
        if reason is None:
            continue
        r = rows.iloc[i]
        out.append(
            {
                "profile": profile.name,
                "category": cat,
                "name": r.get("name", ""),
                "source": r.get("source", "osm"),
                "osm_type": r.get("osm_type", ""),
                "osm_id": r.get("osm_id", -1),
                "wheelchair": r.get("wheelchair", ""),
                "reason": reason,
                "geometry": r.geometry,
            }
        )
    return out


def score_of(distance: np.ndarray) -> np.ndarray:
    """0-1 score of a distance to the nearest facility (1 near, 0 far or unreachable).

    >>> score_of(np.array([100.0, 750.0, 2000.0, np.inf])).tolist()
    [1.0, 0.5, 0.0, 0.0]
    """
    full, zero = settings.audit_score_full_m, settings.audit_score_zero_m
    with np.errstate(invalid="ignore"):
        s = (zero - distance) / (zero - full)
    return np.nan_to_num(np.clip(s, 0.0, 1.0), nan=0.0)


def _scores(
    profile: Profile, cat: str, d: np.ndarray, wd: np.ndarray, people: np.ndarray, codes: np.ndarray, ids: pd.Index
) -> list[dict]:
    """Per area: resident-weighted score (every node counts alike where nobody lives)."""
    inside = codes >= 0
    c = codes[inside]
    n = len(ids)
    residents = np.bincount(c, weights=people[inside], minlength=n)
    count = np.bincount(c, minlength=n).astype(float)
    weights = np.where(residents[c] > 0, people[inside], 1.0)
    wsum = np.bincount(c, weights=weights, minlength=n)
    score = np.bincount(c, weights=weights * score_of(d[inside]), minlength=n) / np.where(wsum > 0, wsum, 1)
    walk_score = np.bincount(c, weights=weights * score_of(wd[inside]), minlength=n) / np.where(wsum > 0, wsum, 1)
    return [
        {
            "area_id": ids[k],
            "profile": profile.name,
            "category": cat,
            "residents": float(residents[k]),
            "score": round(100 * float(score[k]), 1),
            "walk_score": round(100 * float(walk_score[k]), 1),
        }
        for k in range(n)
        if count[k] > 0
    ]
