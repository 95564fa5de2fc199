"""The barrier sheet (scheda) of a PEBA annex, as data (pure): one per barrier or planned
intervention.

A sheet holds what a council clerk needs on one page: the barrier and where it is, the
measured value against the rule it breaks, which profiles it blocks or hinders, the
proposed intervention with its quantity and cost (and, from a plan, its rank and the
people who gain a route), the survey reports behind it with their photos and history,
and the network around the spot for a small map. :mod:`accessibility.outputs.sheets`
draws it; nothing here reads or writes files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import pandas as pd
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

from accessibility.constants import WGS84
from accessibility.model.barriers import text_to_tags
from accessibility.model.places import place_label
from accessibility.planning.interventions import CostTable, candidates, load_cost_table
from accessibility.surveys.merge import fix_point, match_reports

__all__ = ["MAP_RADIUS_M", "BarrierSheet", "SheetReport", "barrier_sheets"]

#: The small map of a sheet shows the network this far around the barrier, in metres.
MAP_RADIUS_M = 60.0


@dataclass
class SheetReport:
    """A survey report behind a barrier, with its history (oldest first) and photos
    (workspace-relative paths)."""

    report_id: int
    ref: str | None
    status: str
    kind: str
    surveyed_on: str | None
    surveyor: str | None
    description: str | None
    measure: float | None
    photos: list[str]
    history: list[dict[str, Any]]


@dataclass
class BarrierSheet:
    """One barrier's sheet (see the module docstring). Geometry is in the network's CRS
    (metres); ``lat, lon`` the point given for the barrier (reported back from there, a
    report acts on it)."""

    barrier_id: str
    kind: str
    source: str
    element: str
    place: str
    street: str | None
    lat: float | None
    lon: float | None
    measure: float | None
    unit: str | None
    threshold: float | None
    known: bool
    rule: str | None
    tags: dict[str, str]
    blocked: list[str]
    hindered: list[str]
    unknown: list[str]
    intervention: str | None = None
    quantity: float | None = None
    quantity_unit: str | None = None
    unit_cost: float | None = None
    cost: float | None = None
    quantity_note: Any = None
    plan: dict[str, Any] | None = None
    reports: list[SheetReport] = field(default_factory=list)
    geometry: BaseGeometry | None = None
    nearby: list[BaseGeometry] = field(default_factory=list)

    @property
    def photos(self) -> list[str]:
        """Every photo of the reports behind the barrier, newest report first."""
        seen: dict[str, None] = {}
        for report in sorted(self.reports, key=lambda r: r.report_id, reverse=True):
            for path in report.photos:
                seen.setdefault(path, None)
        return list(seen)


def barrier_sheets(
    barriers: gpd.GeoDataFrame,
    ids: list[str],
    *,
    osm_barriers: gpd.GeoDataFrame,
    surveys: gpd.GeoDataFrame | None,
    history: pd.DataFrame | None,
    profiles: list[str],
    edges_near: Any,
    plan_table: gpd.GeoDataFrame | None = None,
    table: CostTable | None = None,
) -> list[BarrierSheet]:
    """The sheets of the barriers ``ids`` of ``barriers`` (the set in force), in order.

    Parameters
    ----------
    barriers
        The barriers in force (:attr:`City.barriers`), in the network's CRS.
    ids
        The barrier codes to make sheets for.
    osm_barriers
        The OpenStreetMap barriers (to find the reports acting on each, even fixed ones).
    surveys
        Every survey report (:attr:`City.surveys`), or ``None``.
    history
        The store's history of every report, or ``None``.
    profiles
        The profiles whose verdict a sheet gives (blocked, hindered, unknown).
    edges_near
        ``edges_near(geometry, radius) -> list of line geometries`` of the network: the
        small map's streets.
    plan_table
        A plan's table: its row of a barrier gives the rank, the funding and the gain.
    table
        The cost table (default: the shipped one).

    Returns
    -------
    list of BarrierSheet
        One per id found; unknown ids are left out (the caller says so).
    """
    table = table or load_cost_table()
    by_id = {str(b): i for i, b in enumerate(barriers["barrier_id"])}
    chosen = [by_id[i] for i in ids if i in by_id]
    rows = barriers.iloc[chosen]
    interventions = candidates(rows.reset_index(drop=True), table).set_index("barrier_id")
    planned = plan_table.set_index("barrier_id") if plan_table is not None and len(plan_table) else None
    related = _related_reports(osm_barriers, surveys)
    per_report = _history(history)
    to_wgs84 = Transformer.from_crs(barriers.crs, WGS84, always_xy=True)
    sheets = []
    for r in rows.itertuples(index=False):
        spot = fix_point(r.geometry)
        lon, lat = to_wgs84.transform(spot.x, spot.y) if spot is not None else (None, None)
        verdicts = {p: str(getattr(r, f"severity_{p}", "unknown")) for p in profiles}
        plan_row = planned.loc[r.barrier_id] if planned is not None and r.barrier_id in planned.index else None
        sheet = BarrierSheet(
            barrier_id=str(r.barrier_id),
            kind=str(r.kind),
            source=str(r.source),
            element=str(r.element),
            place=place_label(
                r.street,
                plan_row["near"] if plan_row is not None and "near" in plan_row else "",
                plan_row["within"] if plan_row is not None and "within" in plan_row else "",
            ),
            street=r.street if isinstance(r.street, str) else None,
            lat=None if lat is None else round(lat, 7),
            lon=None if lon is None else round(lon, 7),
            measure=None if pd.isna(r.measure) else float(r.measure),
            unit=r.unit if isinstance(r.unit, str) else None,
            threshold=None if pd.isna(r.threshold) else float(r.threshold),
            known=bool(r.known),
            rule=r.rule if isinstance(r.rule, str) and r.rule else None,
            tags=text_to_tags(r.tags) if isinstance(r.tags, str) else {},
            blocked=[p for p, v in verdicts.items() if v == "blocking"],
            hindered=[p for p, v in verdicts.items() if v == "hindering"],
            unknown=[p for p, v in verdicts.items() if v == "unknown"],
            geometry=r.geometry,
            nearby=list(edges_near(r.geometry, MAP_RADIUS_M)),
        )
        if r.barrier_id in interventions.index:
            c = interventions.loc[r.barrier_id]
            sheet.intervention = str(c["intervention"])
            sheet.quantity, sheet.quantity_unit = float(c["quantity"]), str(c["unit"])
            sheet.unit_cost, sheet.cost = float(c["unit_cost"]), float(c["cost"])
            sheet.quantity_note = c["quantity_note"]
        if plan_row is not None:
            sheet.plan = {
                "rank": int(plan_row["rank"]),
                "funded": bool(plan_row["within_budget"]),
                "people_total": float(plan_row["people_total"]),
                "facilities_total": int(plan_row["facilities_total"]),
                "cost": float(plan_row["cost"]),
            }
        keys = {str(r.barrier_id)}
        if isinstance(getattr(r, "replaces", None), str) and r.replaces:
            keys.add(r.replaces)
        own = int(r.survey_id) if not pd.isna(getattr(r, "survey_id", None)) else None
        found = [rep for key in sorted(keys) for rep in related.get(key, [])]
        if own is not None and surveys is not None and own not in {int(x["report_id"]) for x in found}:
            found += [x for x in surveys.to_dict("records") if int(x["report_id"]) == own]
        sheet.reports = [_report(x, per_report.get(int(x["report_id"]), [])) for x in found]
        sheet.reports.sort(key=lambda x: x.report_id)
        sheets.append(sheet)
    return sheets


def _related_reports(osm: gpd.GeoDataFrame, surveys: gpd.GeoDataFrame | None) -> dict[str, list[dict[str, Any]]]:
    """The reports (any status) acting on each OpenStreetMap barrier, by its code."""
    if surveys is None or not len(surveys) or not len(osm):
        return {}
    reports = surveys.to_crs(osm.crs) if surveys.crs != osm.crs else surveys
    out: dict[str, list[dict[str, Any]]] = {}
    for record, match in zip(reports.to_dict("records"), match_reports(osm, reports)):
        if match.barrier_id is not None:
            out.setdefault(match.barrier_id, []).append(record)
    return out


def _history(history: pd.DataFrame | None) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = {}
    if history is None or not len(history):
        return out
    for h in history.to_dict("records"):
        clean = {k: (None if v is None or (isinstance(v, float) and v != v) else v) for k, v in h.items()}
        out.setdefault(int(h["report_id"]), []).append(clean)
    return out


def _report(x: dict[str, Any], history: list[dict[str, Any]]) -> SheetReport:
    from accessibility.sources.surveys import survey_schema

    field_name = survey_schema()["measure_field"].get(x["kind"])
    value = x.get(field_name) if field_name else None
    photos = x.get("photos")
    return SheetReport(
        report_id=int(x["report_id"]),
        ref=x["ref"] if isinstance(x.get("ref"), str) else None,
        status=str(x["status"]),
        kind=str(x["kind"]),
        surveyed_on=x.get("surveyed_on") if isinstance(x.get("surveyed_on"), str) else None,
        surveyor=x.get("surveyor") if isinstance(x.get("surveyor"), str) else None,
        description=x.get("description") if isinstance(x.get("description"), str) else None,
        measure=None if value is None or pd.isna(value) else float(value),
        photos=[p for p in photos.split(";") if p] if isinstance(photos, str) else [],
        history=history,
    )
