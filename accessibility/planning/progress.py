"""How the city has changed between two dated snapshots: the yearly report's figures (pure).

The later snapshot against the earlier one says, per mobility profile and facility:

- **who gained**: the difference of the two audits (residents, over 65, over 80 reaching
  the nearest facility within each threshold), split honestly in two:
- **from works**: what the works done in between give on the later city, computed
  exactly: the later city *without* the works (every survey report marked fixed in
  between set back to the status it had before, merged with the same OpenStreetMap
  barriers by :func:`accessibility.surveys.merge.merge_barriers`) is audited again with
  the same people, facilities, areas and thresholds; the works' share is the later audit
  minus that one;
- **from data**: the rest, which new mapping, new or rejected reports and expired
  temporary barriers made (a barrier that disappears because OpenStreetMap was edited is
  not an intervention).

It also lists the works done (fixed reports and the barriers they lifted), barriers that
left or entered the data without works, reports filed in between and their state, the
areas with the least complete data (surveys to do), how each area's score moved, the
reach over every snapshot (for the charts), and the adopted programme's progress against
its timetable and budget: a row is done when its barrier was lifted by works since the
programme was adopted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd

from accessibility.analysis.audit import Threshold, audit
from accessibility.constants import WGS84
from accessibility.model.profiles import Profile
from accessibility.snapshots import AdoptedProgramme, Snapshot
from accessibility.surveys.merge import merge_barriers
from accessibility.surveys.schema import FACILITY_KIND

__all__ = [
    "Change",
    "YearReport",
    "compare",
    "main_threshold",
    "programme_progress",
    "reach_over_time",
    "surveys_to_do",
    "without_works",
    "year_report",
]

GROUPS = ("residents", "over65", "over80")


@dataclass
class Change:
    """What moved between two snapshots (see module docstring)."""

    reach: pd.DataFrame  #: profile, category, threshold, group, before, after, change, works, data
    works: pd.DataFrame  #: fixed reports of the period
    lifted: pd.DataFrame  #: barriers the works removed
    left_data: pd.DataFrame  #: barriers gone without works, and why
    entered: pd.DataFrame  #: barriers in force now that were not before
    areas: pd.DataFrame  #: score change per area (mean over profiles and facilities)
    notes: list[str] = field(default_factory=list)


@dataclass
class YearReport:
    """Everything the yearly report says, computed (outputs only format it)."""

    city: str
    year: int
    later: Snapshot
    earlier: Snapshot | None
    change: Change | None
    history: pd.DataFrame  #: reach over every snapshot: date, profile, category, share
    threshold: str
    reports: pd.DataFrame  #: reports filed in the period, with their state now
    reports_by_status: dict[str, int]
    surveys_todo: pd.DataFrame
    unknown: pd.DataFrame  #: barriers of unknown data in force, by kind
    programme: pd.DataFrame | None  #: progress per year of the adopted programme
    programme_meta: dict[str, Any] | None
    programme_rows: pd.DataFrame | None  #: the programme's rows with their state now
    notes: list[str] = field(default_factory=list)


def main_threshold(labels: list[str]) -> str:
    """The threshold the report leads with: 1,000 m (the plan's) when audited, else the first."""
    return "1000 m" if "1000 m" in labels else labels[0]


def thresholds_of(meta: dict[str, Any]) -> list[Threshold]:
    """The audit thresholds a snapshot was made with."""
    return [Threshold(t["label"], metres=t.get("metres"), minutes=t.get("minutes")) for t in meta["thresholds"]]


def _as_time(text: Any) -> pd.Timestamp:
    stamp = pd.Timestamp(str(text))
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def _reports_geo(reports: pd.DataFrame, crs: Any) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(reports, geometry=gpd.points_from_xy(reports["lon"], reports["lat"]), crs=WGS84).to_crs(crs)


def fixed_between(reports: pd.DataFrame, history: pd.DataFrame, start: Any, end: Any) -> pd.DataFrame:
    """Reports fixed now whose last move to ``fixed`` happened in ``(start, end]``, with
    when, by whom, the note, and the status they had before."""
    if not len(reports) or not len(history):
        return pd.DataFrame(columns=["report_id", "fixed_at", "by", "note", "before"])
    moves = history[history["to_status"] == "fixed"].copy()
    moves["at_time"] = moves["at"].map(_as_time)
    moves = moves.sort_values("at_time").drop_duplicates("report_id", keep="last")
    now_fixed = set(reports.loc[reports["status"] == "fixed", "report_id"].astype(int))
    lo = _as_time(start) if start is not None else None
    hi = _as_time(end)
    keep = moves["report_id"].astype(int).isin(now_fixed) & (moves["at_time"] <= hi)
    if lo is not None:
        keep &= moves["at_time"] > lo
    out = moves[keep]
    return pd.DataFrame(
        {
            "report_id": out["report_id"].astype(int).to_numpy(),
            "fixed_at": out["at_time"].to_numpy(),
            "by": out["by"].to_numpy(),
            "note": out["note"].to_numpy(),
            "before": out["from_status"].to_numpy(),
        }
    )


def without_works(
    G: nx.MultiDiGraph,
    osm_barriers: gpd.GeoDataFrame,
    reports: pd.DataFrame,
    fixed: pd.DataFrame,
    profiles: dict[str, Profile],
    day: dt.date,
) -> gpd.GeoDataFrame:
    """The barriers in force on ``day`` had the ``fixed`` reports not been fixed: each set
    back to the status it had before, merged as the city merges them."""
    reverted = reports.copy()
    if len(fixed):
        before = dict(zip(fixed["report_id"].astype(int), fixed["before"]))
        ids = reverted["report_id"].astype(int)
        reverted["status"] = [before.get(int(i), s) for i, s in zip(ids, reverted["status"])]
    geo = _reports_geo(reverted, osm_barriers.crs) if len(reverted) else None
    return merge_barriers(osm_barriers, geo, G, profiles, day)


def _long(reach: pd.DataFrame) -> pd.DataFrame:
    """Reach rows as ``profile, category, threshold, group, people``."""
    frames = []
    for group in GROUPS:
        column = "residents_reached" if group == "residents" else f"{group}_reached"
        frames.append(
            reach[["profile", "category", "threshold"]].assign(group=group, people=reach[column].astype(float))
        )
    return pd.concat(frames, ignore_index=True)


def compare(
    earlier: Snapshot,
    later: Snapshot,
    G: nx.MultiDiGraph,
    osm_barriers: gpd.GeoDataFrame,
    reports: pd.DataFrame,
    history: pd.DataFrame,
    profiles: dict[str, Profile],
) -> Change:
    """What changed from ``earlier`` to ``later`` (see module docstring). ``G``,
    ``osm_barriers``, ``reports`` and ``history`` are the later snapshot's workspace
    (network, OpenStreetMap barriers, survey reports and their history)."""
    notes: list[str] = []
    fixed = fixed_between(reports, history, earlier.meta["created_at"], later.meta["created_at"])
    now = without_works(G, osm_barriers, reports, fixed.iloc[0:0], profiles, later.date)
    before_works = without_works(G, osm_barriers, reports, fixed, profiles, later.date)
    lifted_ids = _with_replaced(before_works, set(before_works["barrier_id"]) - set(now["barrier_id"]))
    # the later city without the works, audited like the later snapshot
    chosen = [profiles[p] for p in later.meta["profiles"] if p in profiles]
    limits = thresholds_of(later.meta)
    people = later.people
    areas = later.areas
    if lifted_ids:
        counter = audit(G, before_works, later.facilities, chosen, later.meta["categories"], people, areas, limits)
        counter_reach = counter.reach
    else:
        counter_reach = later.reach
    key = ["profile", "category", "threshold", "group"]
    a, b, c = _long(earlier.reach), _long(later.reach), _long(counter_reach)
    table = b.merge(a, on=key, how="left", suffixes=("", "_before")).merge(
        c.rename(columns={"people": "people_without_works"}), on=key, how="left"
    )
    table = table.rename(columns={"people": "after", "people_before": "before"})
    table["change"] = table["after"] - table["before"]
    table["works"] = table["after"] - table["people_without_works"]
    table["data"] = table["change"] - table["works"]
    table = table.drop(columns="people_without_works")
    missing = table["before"].isna()
    if missing.any():
        notes.append("not_in_earlier")
    # barriers that left the data or entered it
    before_ids = set(earlier.barriers["barrier_id"])
    after_ids = set(later.barriers["barrier_id"])
    gone = earlier.barriers[earlier.barriers["barrier_id"].isin(before_ids - after_ids)]
    by_works = gone["barrier_id"].isin(lifted_ids)
    lifted = gone[by_works]
    extra_lifted = before_works[before_works["barrier_id"].isin(lifted_ids - set(gone["barrier_id"]))]
    lifted = pd.concat([lifted, extra_lifted], ignore_index=True) if len(extra_lifted) else lifted
    left = gone[~by_works].copy()
    left["why"] = np.where(left["source"] == "survey", "survey", "mapping")
    entered = later.barriers[later.barriers["barrier_id"].isin(after_ids - before_ids)]
    if earlier.meta.get("network_sha256") != later.meta.get("network_sha256"):
        notes.append("network_rebuilt")
    works = fixed.merge(reports, on="report_id", how="left")
    return Change(
        table,
        works,
        _plain(lifted),
        _plain(left),
        _plain(entered),
        _area_change(earlier, later),
        notes,
    )


def _with_replaced(barriers: pd.DataFrame, ids: set[str]) -> set[str]:
    """``ids`` and the OpenStreetMap barriers that the survey barriers among them replace
    (a verified report takes its barrier's place: works on it lift that barrier too)."""
    if "replaces" not in barriers:
        return ids
    chosen = barriers[barriers["barrier_id"].isin(ids)]
    return ids | {str(r) for r in chosen["replaces"] if isinstance(r, str) and r}


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    cols = [
        c
        for c in ("barrier_id", "kind", "street", "source", "known", "why", "survey_id", "description", "replaces")
        if c in frame
    ]
    return pd.DataFrame(frame[cols]).reset_index(drop=True)


def _area_change(earlier: Snapshot, later: Snapshot) -> pd.DataFrame:
    """Per area: the mean score over profiles (walking left out) and facilities, before and
    after, the residents, and where it is (latitude, longitude of its centre)."""

    def mean(scores: pd.DataFrame) -> pd.DataFrame:
        s = scores[scores["profile"] != "walk"]
        return s.groupby("area_id").agg(score=("score", "mean"), residents=("residents", "first"))

    a, b = mean(earlier.area_scores), mean(later.area_scores)
    out = b.join(a["score"].rename("before"), how="left").rename(columns={"score": "after"})
    out["change"] = out["after"] - out["before"]
    centres = later.areas.set_index("area_id").to_crs(WGS84).geometry.representative_point()
    names = later.areas.set_index("area_id")["name"]
    out["name"] = names.reindex(out.index)
    out["lat"] = centres.y.reindex(out.index).round(5)
    out["lon"] = centres.x.reindex(out.index).round(5)
    return out.reset_index()


def reach_over_time(snapshots: list[Snapshot], threshold: str) -> pd.DataFrame:
    """``date, profile, category, share`` (residents reaching within ``threshold``) over
    every snapshot, oldest first: what the charts draw."""
    rows = []
    for s in snapshots:
        r = s.reach[s.reach["threshold"] == threshold]
        for t in r.itertuples():
            rows.append({"date": s.date, "profile": t.profile, "category": t.category, "share": t.residents_share})
    return pd.DataFrame(rows, columns=["date", "profile", "category", "share"])


def surveys_to_do(later: Snapshot, limit: int = 10) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The areas whose data is least complete (mean share of known surface, width,
    incline and crossing kerbs), and the barriers of unknown data in force, by kind."""
    c = later.completeness
    c = c[c["area_id"].astype(str) != "all"].copy()
    known = c[["surface_known", "width_known", "incline_known", "kerbs_known"]]
    c["known"] = known.mean(axis=1, skipna=True)
    c = c.sort_values(["known", "km"], ascending=[True, False]).head(limit)
    names = later.areas.set_index("area_id")
    centres = names.to_crs(WGS84).geometry.representative_point()
    c["name"] = names["name"].reindex(c["area_id"]).to_numpy()
    c["lat"] = centres.y.reindex(c["area_id"]).round(5).to_numpy()
    c["lon"] = centres.x.reindex(c["area_id"]).round(5).to_numpy()
    b = later.barriers
    unknown = b[~b["known"].astype(bool)].groupby("kind").size().rename("barriers").reset_index()
    return c.reset_index(drop=True), unknown


def programme_progress(
    adopted: AdoptedProgramme,
    G: nx.MultiDiGraph,
    osm_barriers: gpd.GeoDataFrame,
    reports: pd.DataFrame,
    history: pd.DataFrame,
    profiles: dict[str, Profile],
    later: Snapshot,
    year: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per year of the adopted programme: what was planned (interventions, cost, budget),
    what is done (its barrier lifted by works since the adoption), what left the data
    without works, and what is still to do; and the programme's rows with their state.
    Years up to ``year`` that still have work to do are late."""
    adopted_on = adopted.meta.get("adopted")
    start = pd.Timestamp(adopted_on).tz_localize("UTC") if adopted_on else None
    fixed = fixed_between(reports, history, start, later.meta["created_at"])
    now = _with_replaced(later.barriers, set(later.barriers["barrier_id"]))
    back = without_works(G, osm_barriers, reports, fixed, profiles, later.date)
    lifted = _with_replaced(
        back,
        set(back["barrier_id"])
        - set(without_works(G, osm_barriers, reports, fixed.iloc[0:0], profiles, later.date)["barrier_id"]),
    )
    t = adopted.table
    planned = t[t["year"].notna()].copy()
    planned["state"] = ["done" if b in lifted else "to_do" if b in now else "left_data" for b in planned["barrier_id"]]
    rows = []
    budgets = {int(k): float(v) for k, v in adopted.meta.get("budgets", {}).items()}
    for y, group in planned.groupby("year"):
        y = int(y)
        done = group[group["state"] == "done"]
        todo = group[group["state"] == "to_do"]
        rows.append(
            {
                "year": y,
                "budget": budgets.get(y, np.nan),
                "planned": len(group),
                "planned_cost": float(group["programme_cost"].sum()),
                "done": len(done),
                "done_cost": float(done["programme_cost"].sum()),
                "left_data": int((group["state"] == "left_data").sum()),
                "to_do": len(todo),
                "late": len(todo) if y <= year else 0,
            }
        )
    cols = ["year", "budget", "planned", "planned_cost", "done", "done_cost", "left_data", "to_do", "late"]
    return pd.DataFrame(rows, columns=cols), planned


def year_report(
    city: str,
    year: int,
    later: Snapshot,
    earlier: Snapshot | None,
    snapshots: list[Snapshot],
    G: nx.MultiDiGraph,
    osm_barriers: gpd.GeoDataFrame,
    reports: pd.DataFrame,
    history: pd.DataFrame,
    profiles: dict[str, Profile],
    adopted: AdoptedProgramme | None = None,
) -> YearReport:
    """Everything the yearly report says about ``year``: ``later`` is the year's last
    snapshot, ``earlier`` the one it is compared with (``None``: the first snapshot, no
    comparison), ``snapshots`` every snapshot up to ``later`` (for the charts); ``G``,
    ``osm_barriers``, ``reports``, ``history`` are the later snapshot's workspace (its
    facility sheet surveys left out: the report is about barriers)."""
    if len(reports) and "kind" in reports:
        reports = reports[reports["kind"] != FACILITY_KIND]
    threshold = main_threshold([t["label"] for t in later.meta["thresholds"]])
    change = compare(earlier, later, G, osm_barriers, reports, history, profiles) if earlier is not None else None
    start = _as_time(earlier.meta["created_at"]) if earlier is not None else None
    end = _as_time(later.meta["created_at"])
    if len(reports):
        created = reports["created_at"].map(_as_time)
        filed = reports[(created <= end) & ((created > start) if start is not None else True)]
    else:
        filed = reports
    todo, unknown = surveys_to_do(later)
    progress = rows = None
    if adopted is not None:
        progress, rows = programme_progress(adopted, G, osm_barriers, reports, history, profiles, later, year)
    return YearReport(
        city=city,
        year=year,
        later=later,
        earlier=earlier,
        change=change,
        history=reach_over_time(snapshots, threshold),
        threshold=threshold,
        reports=filed.reset_index(drop=True),
        reports_by_status={str(k): int(v) for k, v in filed.groupby("status").size().items()} if len(filed) else {},
        surveys_todo=todo,
        unknown=unknown,
        programme=progress,
        programme_meta=adopted.meta if adopted is not None else None,
        programme_rows=rows,
        notes=list(change.notes) if change is not None else [],
    )
