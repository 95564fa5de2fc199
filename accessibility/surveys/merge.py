"""Merge the survey reports in force with the OpenStreetMap barriers (pure): the barrier
set that routing, the audit and planning use."""

from __future__ import annotations

import datetime as dt
from typing import Any

import geopandas as gpd
import networkx as nx
import pandas as pd

from accessibility import settings
from accessibility.model.barriers import tags_to_text, taxonomy
from accessibility.model.profiles import Profile
from accessibility.model.snapping import ReportSnap, network_index
from accessibility.sources.surveys import survey_schema
from accessibility.surveys.review import in_force
from accessibility.surveys.schema import clearing_kinds, node_kinds

__all__ = ["EXTRA_COLUMNS", "merge_barriers"]

EXTRA_COLUMNS = ["edge_u", "edge_v", "edge_key", "survey_id", "description"]


def merge_barriers(
    osm: gpd.GeoDataFrame, reports: gpd.GeoDataFrame, G: nx.MultiDiGraph, profiles: dict[str, Profile], today: dt.date
) -> gpd.GeoDataFrame:
    """The barrier set in force: OSM barriers, minus those surveys lift, plus survey barriers.

    - a report in force (:func:`in_force`) adds a barrier at the node or edge it snaps
      to, with a severity per profile from :meth:`Profile.severity`; off-network reports
      add nothing to the graph (they stay in ``city.surveys``);
    - at a node, it replaces OSM barriers of the kinds it supersedes (a measured kerb
      replaces an unknown one); a clearing kind (``lowered_kerb``) only lifts them;
    - a fixed report lifts the OSM barriers it supersedes at its node, or on the way it
      snaps to (the works were done there), and adds nothing;
    - reported, rejected and expired temporary reports change nothing.

    The result has the OSM columns plus ``edge_u, edge_v, edge_key, survey_id,
    description``; column ``source`` is ``osm`` or ``survey``.
    """
    osm = osm.copy()
    for col in EXTRA_COLUMNS:
        if col not in osm:
            osm[col] = pd.Series(pd.NA, index=osm.index, dtype="Int64" if col != "description" else "object")
    if reports is None or not len(reports):
        return osm
    reports = reports.to_crs(osm.crs) if reports.crs != osm.crs else reports
    schema = survey_schema()
    clearing = clearing_kinds()
    supersedes = {k: list(v) for k, v in schema["supersedes"].items()}
    measure_field = schema["measure_field"]
    index = network_index(G)
    force = in_force(reports, today).to_numpy()
    lifted: set[tuple[int, str]] = set()
    lifted_ways: set[tuple[int, str]] = set()
    added: list[dict[str, Any]] = []
    severity_cols = [c for c in osm.columns if c.startswith("severity_")]
    for i, r in enumerate(reports.itertuples(index=False)):
        active, fixed = bool(force[i]), r.status == "fixed"
        if not (active or fixed):
            continue
        kind = r.kind
        snap = index.snap_report(
            r.geometry.x, r.geometry.y, kind in node_kinds(), settings.survey_snap_node_m, settings.survey_snap_edge_m
        )
        if snap.element == "node" and snap.node is not None:
            for k in clearing.get(kind, supersedes.get(kind, [])):
                lifted.add((snap.node, k))
        elif snap.element == "edge" and fixed and snap.osmid is not None:  # the works were done on this way
            for k in supersedes.get(kind, [kind]):
                lifted_ways.add((int(snap.osmid), k))
        if not active or kind in clearing or snap.element == "off_network":
            continue
        added.append(_survey_row(r, kind, snap, measure_field, profiles, severity_cols, G))
    if lifted or lifted_ways:
        keep = [
            not (
                s == "osm"
                and (
                    (e == "node" and not pd.isna(n) and (int(n), k) in lifted)
                    or (e == "way" and (int(w), k) in lifted_ways)
                )
            )
            for s, e, n, w, k in zip(osm["source"], osm["element"], osm["node"], osm["osm_id"], osm["kind"])
        ]
        osm = osm[keep]
    if not added:
        return osm.reset_index(drop=True)
    extra = gpd.GeoDataFrame(added, columns=list(osm.columns), geometry=osm.geometry.name, crs=osm.crs)
    merged = pd.concat(
        [osm, extra.astype({c: osm[c].dtype for c in osm.columns if c != osm.geometry.name}, errors="ignore")],
        ignore_index=True,
    )
    return gpd.GeoDataFrame(merged, geometry=osm.geometry.name, crs=osm.crs)


def _survey_row(
    r: Any,
    kind: str,
    snap: ReportSnap,
    measure_field: dict[str, str],
    profiles: dict[str, Profile],
    severity_cols: list[str],
    G: nx.MultiDiGraph,
) -> dict[str, Any]:
    k = taxonomy()[kind]
    measure = getattr(r, measure_field[kind]) if kind in measure_field else None
    measure = None if measure is None or pd.isna(measure) else float(measure)
    if kind == "steep_incline" and measure is not None:
        measure = abs(measure)
    tags = {}
    if isinstance(r.surface, str) and r.surface:
        tags["surface"] = r.surface
    if kind == "wheelchair_no":
        tags["wheelchair"] = "no"
    if r.temporary:
        tags["temporary"] = "yes"
    edge: tuple[int, int, int] | tuple[None, None, None]
    if snap.element == "node":
        osm_id, node, edge = snap.node, snap.node, (None, None, None)
        street = r.street if isinstance(r.street, str) else None
    else:
        osm_id, node, edge = snap.osmid, None, snap.edge or (None, None, None)
        name = G.edges[snap.edge].get("name")
        street = r.street if isinstance(r.street, str) else (str(name) if name is not None else None)
    row = {
        "barrier_id": f"survey-{r.report_id}-{kind}",
        "kind": kind,
        "measure": measure,
        "unit": k.unit,
        "threshold": k.threshold,
        "known": True,
        "tags": tags_to_text(tags),
        "element": snap.element,
        "osm_id": osm_id,
        "node": node,
        "street": street,
        "rule": k.rule,
        "source": "survey",
        "source_id": f"survey/{r.report_id}",
        "edge_u": edge[0],
        "edge_v": edge[1],
        "edge_key": edge[2],
        "survey_id": int(r.report_id),
        "description": r.description if isinstance(r.description, str) else None,
        "geometry": r.geometry,
    }
    for col in severity_cols:
        profile = profiles.get(col.removeprefix("severity_"))
        row[col] = profile.severity(kind, measure, tags, True) if profile else "unknown"
    return row
