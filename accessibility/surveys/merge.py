"""Merge the survey reports in force with the OpenStreetMap barriers (pure): the barrier
set that routing, the audit and planning use.

The fix loop
------------
A report describes one barrier: "these steps", "this kerb". It acts on the barrier of
the kinds it stands for (its own kind, or those ``supersedes`` / ``clearing_kinds`` of
``data/survey_columns.toml`` list) that it names or that is nearest:

- when the report gives a barrier code (``codice_barriera``, the ``barrier_id`` printed
  on the plan and the barrier sheet), exactly that barrier;
- else the nearest barrier of those kinds within the snapping tolerance: a barrier on a
  node within ``settings.survey_snap_node_m``, a barrier on a way within
  ``settings.survey_snap_edge_m`` of the way's whole line (measured along the way, not at
  one of its points).

What it does to that barrier depends on its status: a report in force (verified,
planned) *replaces* it (a measured barrier takes the place of what OpenStreetMap says,
never doubling it; of several reports in force on one barrier, the most recent stands);
a fixed report, or a clearing report in force (a lowered kerb), *lifts* it, and lifts
the survey barrier that replaced it when that report is not more recent than the fix.
A report that finds no barrier to act on adds its own at the node or edge it snaps to.

:func:`fix_point` is the position every plan export and barrier sheet gives for a
barrier: reported back as fixed from there, the report acts on that barrier.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from shapely import Point, STRtree
from shapely.geometry.base import BaseGeometry

from accessibility import settings
from accessibility.model.barriers import tags_to_text, taxonomy, text_to_tags
from accessibility.model.profiles import Profile
from accessibility.model.snapping import ReportSnap, network_index
from accessibility.sources.surveys import survey_schema
from accessibility.surveys.review import in_force
from accessibility.surveys.schema import FACILITY_KIND, clearing_kinds, node_kinds

__all__ = ["EXTRA_COLUMNS", "Match", "acted_kinds", "fix_point", "match_reports", "merge_barriers"]

#: Columns a merged barrier table has besides those of the OSM barriers: where a survey
#: barrier sits on an edge, its report, the surveyor's note, and the OSM barrier it replaces.
EXTRA_COLUMNS = ["edge_u", "edge_v", "edge_key", "survey_id", "description", "replaces"]


@dataclass(frozen=True)
class Match:
    """The barrier a report acts on: ``barrier_id`` (``None``: none within tolerance),
    ``distance_m`` from the report to it, ``how`` it was found (``code``, ``nearest`` or
    ``none``)."""

    barrier_id: str | None
    distance_m: float
    how: str


def acted_kinds(kind: str) -> list[str]:
    """The barrier kinds a report of ``kind`` acts on: those a clearing kind lifts
    (``lowered_kerb`` -> raised and unknown kerbs), those it supersedes, else its own.

    >>> acted_kinds("lowered_kerb"), acted_kinds("steps"), acted_kinds("steep_incline")
    (['raised_kerb', 'kerb_unknown'], ['steps'], ['steep_incline'])
    """
    clearing = clearing_kinds()
    if kind in clearing:
        return clearing[kind]
    return list(survey_schema()["supersedes"].get(kind, [kind]))


def fix_point(geometry: BaseGeometry | None) -> Point | None:
    """The point given for a barrier in exports and sheets: the node itself, the middle
    of a way along its line (the longest part of a broken one), a point inside an area.
    A report made there lies on the barrier, so it acts on it.

    >>> from shapely import LineString
    >>> fix_point(LineString([(0, 0), (10, 0), (10, 10)])).wkt
    'POINT (10 0)'
    """
    if geometry is None or geometry.is_empty:
        return None
    if geometry.geom_type == "Point":
        return geometry
    if geometry.geom_type == "MultiLineString":
        geometry = max(geometry.geoms, key=lambda g: g.length)
    if geometry.geom_type == "LineString":
        return geometry.interpolate(0.5, normalized=True)
    return geometry.representative_point()


def match_reports(
    barriers: gpd.GeoDataFrame,
    reports: gpd.GeoDataFrame,
    node_m: float | None = None,
    edge_m: float | None = None,
) -> list[Match]:
    """For each report, the barrier of ``barriers`` it acts on (see the module docstring).

    Parameters
    ----------
    barriers
        Barrier rows (``barrier_id, kind, element, geometry``), in the CRS of ``reports``
        (metres).
    reports
        Report rows (``kind``, optionally ``barrier_code``, point ``geometry``).
    node_m, edge_m
        Tolerances for barriers on a node and on a way or edge (default: the snapping
        tolerances of :mod:`accessibility.settings`).

    Returns
    -------
    list of Match
        One per report, in order.
    """
    node_m = settings.survey_snap_node_m if node_m is None else node_m
    edge_m = settings.survey_snap_edge_m if edge_m is None else edge_m
    if not len(reports):
        return []
    if not len(barriers):
        return [Match(None, math.inf, "none")] * len(reports)
    ids = barriers["barrier_id"].astype(str).to_numpy()
    kinds = barriers["kind"].to_numpy(dtype=object)
    on_node = (barriers["element"].to_numpy(dtype=object) == "node") & np.array(
        [g is not None and g.geom_type == "Point" for g in barriers.geometry], dtype=bool
    )
    geoms = barriers.geometry.to_numpy()
    position = {b: i for i, b in enumerate(ids)}
    tree = STRtree(geoms)
    codes = reports["barrier_code"].tolist() if "barrier_code" in reports else [None] * len(reports)
    out: list[Match] = []
    for kind, code, point in zip(reports["kind"], codes, reports.geometry):
        wanted = set(acted_kinds(kind))
        if isinstance(code, str) and code.strip() in position:
            i = position[code.strip()]
            if kinds[i] in wanted:
                d = float(shapely.distance(geoms[i], point)) if point is not None else math.inf
                out.append(Match(str(ids[i]), d, "code"))
                continue
        if point is None or point.is_empty:
            out.append(Match(None, math.inf, "none"))
            continue
        near = tree.query(point, predicate="dwithin", distance=edge_m)
        best: tuple[float, str] | None = None
        if len(near):
            dists = shapely.distance(geoms[near], point)
            for i, d in zip(near.tolist(), dists.tolist()):
                if kinds[i] not in wanted or d > (node_m if on_node[i] else edge_m):
                    continue
                if best is None or (d, ids[i]) < best:
                    best = (d, str(ids[i]))
        out.append(Match(best[1], best[0], "nearest") if best else Match(None, math.inf, "none"))
    return out


def merge_barriers(
    osm: gpd.GeoDataFrame, reports: gpd.GeoDataFrame, G: nx.MultiDiGraph, profiles: dict[str, Profile], today: dt.date
) -> gpd.GeoDataFrame:
    """The barrier set in force: OSM barriers, minus those surveys replace or lift, plus
    survey barriers (see the module docstring for which barrier a report acts on).

    - a report in force (:func:`in_force`) of a barrier kind replaces the barrier it acts
      on (taking its place: the same node or way, with the surveyed measure), or, when it
      acts on none, adds a barrier at the node or edge it snaps to; off-network reports
      add nothing to the graph (they stay in ``city.surveys``);
    - a clearing kind in force (``lowered_kerb``) and a fixed report lift the barrier
      they act on, and add nothing;
    - reported, rejected and expired temporary reports change nothing.

    The result has the OSM columns plus :data:`EXTRA_COLUMNS`; column ``source`` is
    ``osm`` or ``survey``.
    """
    osm = osm.copy()
    for col in EXTRA_COLUMNS:
        if col not in osm:
            kind = "object" if col in {"description", "replaces"} else "Int64"
            osm[col] = pd.Series(pd.NA if kind == "Int64" else None, index=osm.index, dtype=kind)
    if reports is not None and "kind" in reports:  # facility sheet surveys act on no barrier
        reports = reports[reports["kind"] != FACILITY_KIND]
    if reports is None or not len(reports):
        return osm
    reports = reports.to_crs(osm.crs) if reports.crs != osm.crs else reports
    clearing = clearing_kinds()
    measure_field = survey_schema()["measure_field"]
    force = in_force(reports, today).to_numpy(dtype=bool)
    fixed = (reports["status"] == "fixed").to_numpy(dtype=bool)
    relevant = np.flatnonzero(force | fixed)
    if not len(relevant):
        return osm.reset_index(drop=True)
    rel = reports.iloc[relevant]
    active = force[relevant]
    matches = match_reports(osm, rel)
    osm_row = {b: i for i, b in enumerate(osm["barrier_id"].astype(str))}

    # 1. reports in force that stand for a barrier: the most recent per barrier replaces it
    newest: dict[str, tuple[str, int]] = {}
    for r, m, on in zip(rel.itertuples(index=False), matches, active):
        if m.barrier_id is not None and r.kind not in clearing and on:
            key = (_day(r.surveyed_on), int(r.report_id))
            if m.barrier_id not in newest or key > newest[m.barrier_id]:
                newest[m.barrier_id] = key
    index = network_index(G)
    severity_cols = [c for c in osm.columns if c.startswith("severity_")]
    lifted: set[str] = set()
    added: list[dict[str, Any]] = []
    for r, m, on in zip(rel.itertuples(index=False), matches, active):
        if r.kind in clearing or not on:
            continue
        if m.barrier_id is not None:
            if newest[m.barrier_id][1] != int(r.report_id):
                continue  # a more recent report of the same barrier stands
            lifted.add(m.barrier_id)
            place = osm.iloc[osm_row[m.barrier_id]]
            added.append(_survey_row(r, _placed_as(place), measure_field, profiles, severity_cols, G))
            continue
        snap = index.snap_report(
            r.geometry.x, r.geometry.y, r.kind in node_kinds(), settings.survey_snap_node_m, settings.survey_snap_edge_m
        )
        if snap.element == "off_network":
            continue
        added.append(_survey_row(r, _snapped(snap, r.geometry), measure_field, profiles, severity_cols, G))

    # 2. fixed reports and clearing reports in force lift what they act on
    dropped: set[int] = set()
    free = [i for i, row in enumerate(added) if row["replaces"] is None]
    for r, m in zip(rel.itertuples(index=False), matches):
        is_fixed = r.status == "fixed"
        if not (is_fixed or r.kind in clearing):
            continue
        as_of = _day(r.updated_at) if is_fixed and isinstance(r.updated_at, str) else _day(r.surveyed_on)
        target_osm, target_survey = _lift_target(r, m, added, free)
        if target_osm is not None:
            lifted.add(target_osm)
            for i, row in enumerate(added):
                if row["replaces"] == target_osm and row["survey_id"] != int(r.report_id):
                    if row["_day"] <= as_of:
                        dropped.add(i)
        if target_survey is not None and added[target_survey]["_day"] <= as_of:
            dropped.add(target_survey)
    if lifted:
        keep = ~osm["barrier_id"].astype(str).isin(lifted).to_numpy() | (osm["source"] != "osm").to_numpy()
        osm = osm[keep]
    rows = [{k: v for k, v in row.items() if k != "_day"} for i, row in enumerate(added) if i not in dropped]
    if not rows:
        return osm.reset_index(drop=True)
    extra = gpd.GeoDataFrame(rows, columns=list(osm.columns), geometry=osm.geometry.name, crs=osm.crs)
    merged = pd.concat(
        [osm, extra.astype({c: osm[c].dtype for c in osm.columns if c != osm.geometry.name}, errors="ignore")],
        ignore_index=True,
    )
    return gpd.GeoDataFrame(merged, geometry=osm.geometry.name, crs=osm.crs)


def _day(value: Any) -> str:
    """The ISO day of a date or timestamp text (``""`` when missing: before every day)."""
    return value[:10] if isinstance(value, str) else ""


def _lift_target(r: Any, m: Match, added: list[dict[str, Any]], free: list[int]) -> tuple[str | None, int | None]:
    """What a lifting report acts on: an OSM barrier (by code or nearest), or a survey
    barrier that replaces none (by its code ``survey-N-kind``, or nearer than the OSM one)."""
    code = getattr(r, "barrier_code", None)
    wanted = set(acted_kinds(r.kind))
    if m.how == "code":
        return m.barrier_id, None
    if isinstance(code, str) and code.strip():
        for i, row in enumerate(added):
            if row["barrier_id"] == code.strip() and row["kind"] in wanted:
                return row["replaces"], (i if row["replaces"] is None else None)
    best: tuple[float, int] | None = None
    for i in free:
        row = added[i]
        if row["kind"] not in wanted or row["survey_id"] == int(r.report_id):
            continue
        d = float(shapely.distance(row["geometry"], r.geometry))
        limit = settings.survey_snap_node_m if row["element"] == "node" else settings.survey_snap_edge_m
        if d <= limit and (best is None or d < best[0]):
            best = (d, i)
    if best is not None and (m.barrier_id is None or best[0] < m.distance_m):
        return None, best[1]
    return m.barrier_id, None


@dataclass(frozen=True)
class _Place:
    """Where a survey barrier sits on the graph."""

    element: str
    osm_id: Any
    node: Any
    edge: tuple[Any, Any, Any]
    geometry: BaseGeometry
    street: str | None
    tags: dict[str, str]
    replaces: str | None


def _placed_as(barrier: pd.Series) -> _Place:
    """In place of an OSM barrier: its node or way, its line, its street and tags."""
    node = barrier["node"]
    return _Place(
        str(barrier["element"]),
        int(barrier["osm_id"]) if not pd.isna(barrier["osm_id"]) else None,
        None if pd.isna(node) else int(node),
        (None, None, None),
        barrier.geometry,
        barrier["street"] if isinstance(barrier["street"], str) else None,
        text_to_tags(barrier["tags"]) if isinstance(barrier["tags"], str) else {},
        str(barrier["barrier_id"]),
    )


def _snapped(snap: ReportSnap, point: BaseGeometry) -> _Place:
    """At the node or edge a report snaps to, at the report's own position."""
    if snap.element == "node":
        return _Place("node", snap.node, snap.node, (None, None, None), point, None, {}, None)
    edge = snap.edge or (None, None, None)
    return _Place("edge", snap.osmid, None, edge, point, None, {}, None)


def _survey_row(
    r: Any,
    place: _Place,
    measure_field: dict[str, str],
    profiles: dict[str, Profile],
    severity_cols: list[str],
    G: nx.MultiDiGraph,
) -> dict[str, Any]:
    kind = r.kind
    k = taxonomy()[kind]
    measure = getattr(r, measure_field[kind]) if kind in measure_field else None
    measure = None if measure is None or pd.isna(measure) else float(measure)
    if kind == "steep_incline" and measure is not None:
        measure = abs(measure)
    tags = dict(place.tags)
    if isinstance(r.surface, str) and r.surface:
        tags["surface"] = r.surface
    if kind == "wheelchair_no":
        tags["wheelchair"] = "no"
    if r.temporary:
        tags["temporary"] = "yes"
    street = r.street if isinstance(r.street, str) else place.street
    if street is None and place.element == "edge" and place.edge[0] is not None:
        name = G.edges[place.edge].get("name")
        street = str(name) if name is not None else None
    row = {
        "barrier_id": f"survey-{r.report_id}-{kind}",
        "kind": kind,
        "measure": measure,
        "unit": k.unit,
        "threshold": k.threshold,
        "known": True,
        "tags": tags_to_text(tags),
        "element": place.element,
        "osm_id": place.osm_id,
        "node": place.node,
        "street": street,
        "rule": k.rule,
        "source": "survey",
        "source_id": f"survey/{r.report_id}",
        "edge_u": place.edge[0],
        "edge_v": place.edge[1],
        "edge_key": place.edge[2],
        "survey_id": int(r.report_id),
        "description": r.description if isinstance(r.description, str) else None,
        "replaces": place.replaces,
        "geometry": place.geometry,
        "_day": _day(r.surveyed_on),
    }
    for col in severity_cols:
        profile = profiles.get(col.removeprefix("severity_"))
        row[col] = profile.severity(kind, measure, tags, True) if profile else "unknown"
    return row
