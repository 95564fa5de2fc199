"""The PEBA programme over the years: the ranked interventions assigned to years (pure).

A PEBA runs for about ten years with a budget each year (the cronoprogramma). The
programme takes the budget-independent ranking of :func:`~accessibility.planning.ranking.plan`
(under a lens: :mod:`~accessibility.planning.lenses`) and gives each intervention a year:

- **Scheduled roadworks** come first: a barrier on a street with works planned in a year
  of the programme is fixed during those works, in that year, at the share of its cost
  stated in ``data/costs.toml`` (``[roadworks] cost_share``; 0 = "at no cost", as Verona
  does). They are paid from that year's money before anything else; one the year cannot
  pay goes back to the ranking at its full cost. Works after the programme's last year
  keep their barriers waiting for them; works before its first year move nothing.
- **With carry-over** the money a year does not spend passes to the next: each year funds
  the ranking strictly in order and stops at the first intervention its money does not
  cover, which waits for next year's money (saving up keeps the council's order of
  priorities). Without roadworks, what is funded by the end of year *n* is then exactly
  what :func:`~accessibility.planning.ranking.fund` funds with the sum of the budgets up
  to *n* (leaving out what is set aside, below).
- **Without carry-over** unspent money is lost: each year goes down the ranking in order
  and funds every intervention that fits in what is left; one that does not fit waits for
  a later year, where it comes before every lower-ranked one.
- An intervention dearer than anything the programme could give it, spending nothing else
  (with carry-over: the sum of all the budgets; without: the largest yearly budget) is
  **set aside**: it needs a larger budget or other funds, and the ranking goes on past it.
  What is still unfunded at the end **waits** for the next budgets (with carry-over, the
  money saved up for the next intervention is the last year's unspent amount).
- Pairs (two barriers that only matter together) are funded whole or not at all; rows
  that serve nobody (no gain, nobody passing) are not funded (unless roadworks fix them).

Every intervention is funded at most once and no year spends more than its budget (plus
what it carried over, with carry-over): :func:`assign` checks both before it returns.

Who gains, year after year, is exact: the funded interventions are made one after the
other in the programme's order (year by year, roadworks first) on the planner of
:mod:`~accessibility.planning.impact`, and each row's gain is what it adds given every
row before it, in this programme, not in the ranking (roadworks and skipped rows change
the order).

>>> parse_budgets("2026=150.000, 2027=200.000,50;2028=0")
{2026: 150000.0, 2027: 200000.5, 2028: 0.0}
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely

from accessibility.errors import ProgrammeError
from accessibility.i18n import _
from accessibility.model.profiles import Profile
from accessibility.planning.impact import Gain, Planner
from accessibility.planning.interventions import CostTable, load_cost_table
from accessibility.planning.lenses import Lens
from accessibility.planning.ranking import Plan, plan
from accessibility.values import parse_euros as read_euros

__all__ = [
    "STATUSES",
    "Programme",
    "assign",
    "parse_budgets",
    "parse_euros",
    "programme",
    "works_on_barriers",
]

log = logging.getLogger(__name__)

#: What the programme does with each ranked row (``status`` column).
STATUSES = ("roadworks", "funded", "waiting", "set_aside", "after_programme", "no_gain")
_EPS = 1e-6

# --- budgets as people write them ------------------------------------------------------------


def parse_euros(text: str) -> float:
    """An amount of euros as people write it (:func:`accessibility.values.parse_euros`:
    ``150000``, ``150.000``, ``150.000,50``, ``150k``; ``150,000`` is ambiguous and refused).

    Raises
    ------
    ProgrammeError
        Not an amount of euros, with how to write it.
    """
    try:
        return read_euros(text)
    except ValueError:
        raise ProgrammeError(
            _("{value} is not an amount of euros (write e.g. 150000, 150.000 or 150.000,50)").format(value=repr(text))
        ) from None


def parse_budgets(text: str) -> dict[int, float]:
    """``2026=150000,2027=200.000`` -> ``{2026: 150000.0, 2027: 200000.0}``.

    Years are separated by commas or semicolons (a comma inside an amount, ``150.000,50``,
    is read as part of it); the years must follow one another without gaps (a year with no
    money is ``2027=0``), each once.

    Raises
    ------
    ProgrammeError
        An item that is not ``YEAR=AMOUNT``, a repeated or missing year, a bad amount.
    """
    items = [part.strip() for part in re.split(r"[;,]\s*(?=\d{4}\s*=)", str(text).strip()) if part.strip()]
    if not items:
        raise ProgrammeError(_("no budget given: write e.g. 2026=150000,2027=200000"))
    budgets: dict[int, float] = {}
    for item in items:
        m = re.fullmatch(r"(\d{4})\s*=\s*(.+)", item)
        if not m:
            raise ProgrammeError(
                _("{item} is not a year and its budget (write e.g. 2026=150000)").format(item=repr(item))
            )
        year = int(m.group(1))
        if year in budgets:
            raise ProgrammeError(_("year {year} is given twice").format(year=year))
        budgets[year] = parse_euros(m.group(2))
    years = sorted(budgets)
    missing = sorted(set(range(years[0], years[-1] + 1)) - set(years))
    if missing:
        raise ProgrammeError(
            _("year {year} is missing between {first} and {last}: give it a budget (0 if there is none)").format(
                year=missing[0], first=years[0], last=years[-1]
            )
        )
    return {y: budgets[y] for y in years}


# --- roadworks: which barriers lie on the streets of the works ----------------------------------


def works_on_barriers(barriers: gpd.GeoDataFrame, works: gpd.GeoDataFrame, buffer_m: float) -> pd.Series:
    """For each barrier (by index of ``barriers``) on the streets of scheduled works, the
    index of the works (the earliest by year, then by order in the file).

    A works line (a street's centre line) covers what lies within ``buffer_m`` of it; a
    works polygon covers its area (and ``buffer_m`` around it is not added). A barrier
    lies on the works when at least half of it does: its point, or half its length.
    Both tables are in the same projected CRS (metres).
    """
    if not len(barriers) or not len(works):
        return pd.Series([], dtype="Int64", index=pd.Index([], dtype=barriers.index.dtype))
    if barriers.crs != works.crs:
        works = works.to_crs(barriers.crs)
    areas = [
        g if g.geom_type in {"Polygon", "MultiPolygon"} else g.buffer(buffer_m, cap_style="flat")
        for g in works.geometry.values
    ]
    area_tree = shapely.STRtree(areas)
    geoms = np.asarray(barriers.geometry.values, dtype=object)
    hit_barrier, hit_works = area_tree.query(geoms, predicate="intersects")
    order = works["year"].to_numpy()
    best: dict[int, int] = {}
    for b, w in zip(hit_barrier.tolist(), hit_works.tolist()):
        geom, area = geoms[b], areas[w]
        length = geom.length
        if length > 0:
            inside = geom.intersection(area).length >= 0.5 * length - _EPS
        else:
            inside = area.covers(geom.representative_point())
        if inside and (b not in best or (order[w], w) < (order[best[b]], best[b])):
            best[b] = w
    index = barriers.index[sorted(best)]
    return pd.Series([works.index[best[b]] for b in sorted(best)], index=index, dtype=object)


# --- assigning the ranked rows to years --------------------------------------------------------


@dataclass
class Assignment:
    """What :func:`assign` decided: per ranked row (index of the plan table) its ``year``,
    ``status``, ``programme_cost`` and ``order`` in the programme; per year the money."""

    rows: pd.DataFrame
    years: pd.DataFrame


def assign(
    table: pd.DataFrame,
    budgets: dict[int, float],
    carry_over: bool = True,
    scheduled: dict[Any, int] | None = None,
    cost_share: float = 0.0,
) -> Assignment:
    """Give the ranked rows of a plan table their years (see module docstring).

    Parameters
    ----------
    table
        A plan's ranked table (columns ``rank``, ``step``, ``cost``, ``selection``,
        ``people_passing``), best first.
    budgets
        Euros per year, the years following one another.
    carry_over
        Whether a year's unspent money passes to the next.
    scheduled
        Index of a row of ``table`` -> the year of the roadworks on its street.
    cost_share
        The share of a row's cost paid when roadworks fix it.

    Returns
    -------
    Assignment

    Raises
    ------
    ProgrammeError
        No year, or a negative budget.
    """
    if not budgets:
        raise ProgrammeError(_("no budget given: write e.g. 2026=150000,2027=200000"))
    for year, money in budgets.items():
        if not money >= 0:
            raise ProgrammeError(_("the budget of {year} must be 0 or more").format(year=year))
    years = sorted(budgets)
    scheduled = dict(scheduled or {})
    cost = table["cost"].astype(float)
    eligible = table["selection"].to_numpy() != "no gain"
    if "people_passing" in table:
        eligible |= table["people_passing"].to_numpy() > 0
    eligible_of = dict(zip(table.index, eligible))
    status: dict[Any, str] = {i: ("waiting" if eligible_of[i] else "no_gain") for i in table.index}
    year_of: dict[Any, int] = {}
    paid: dict[Any, float] = {}
    order: list[Any] = []

    by_year: dict[int, list[Any]] = {y: [] for y in years}
    for i in table.index:  # rank order
        y = scheduled.get(i)
        if y is None or y < years[0]:
            continue
        if y > years[-1]:
            status[i] = "after_programme"
        else:
            by_year[y].append(i)
    moved = {i for rows in by_year.values() for i in rows}
    # the ranking's steps, without the rows moved to roadworks or waiting for them
    steps: list[list[Any]] = []
    for _step, group in table.groupby("step", sort=False):
        rows = [i for i in group.index if eligible_of[i] and i not in moved and status[i] != "after_programme"]
        if rows:
            steps.append(rows)
    rank_of = {i: n for n, i in enumerate(table.index)}

    # the most one intervention could ever get in this programme, spending nothing else
    most = sum(budgets.values()) if carry_over else max(budgets.values())
    records = []
    carried = 0.0
    for year in years:
        available = budgets[year] + (carried if carry_over else 0.0)
        spent = works_cost = 0.0
        for i in by_year[year]:
            c = round(float(cost[i]) * cost_share, 2)
            if spent + c <= available + _EPS:
                spent += c
                works_cost += c
                status[i], year_of[i], paid[i] = "roadworks", year, c
                order.append(i)
            elif eligible_of[i]:  # the year cannot pay even the reduced cost: back to the ranking
                steps.append([i])
                steps.sort(key=lambda rows: rank_of[rows[0]])
        left = []
        stopped = False
        for rows in steps:
            c = float(sum(cost[i] for i in rows))
            if c > most + _EPS:
                for i in rows:
                    status[i] = "set_aside"
                continue
            if not stopped and spent + c <= available + _EPS:
                spent += c
                for i in rows:
                    status[i], year_of[i], paid[i] = "funded", year, float(cost[i])
                    order.append(i)
                continue
            if carry_over:
                stopped = True  # save up for it: nothing ranked below it jumps ahead
            left.append(rows)
        steps = left
        unspent = available - spent
        records.append(
            {
                "year": year,
                "budget": budgets[year],
                "carried_in": carried if carry_over else 0.0,
                "available": available,
                "roadworks_cost": round(works_cost, 2),
                "spent": round(spent, 2),
                "unspent": round(unspent, 2),
                "carried_out": round(unspent, 2) if carry_over else 0.0,
                "interventions": sum(1 for i in order if year_of[i] == year),
                "roadworks": len([i for i in by_year[year] if status[i] == "roadworks"]),
            }
        )
        carried = unspent
    rows = pd.DataFrame(
        {
            "year": pd.array([year_of.get(i) for i in table.index], dtype="Int64"),
            "status": [status[i] for i in table.index],
            "programme_cost": [paid.get(i, float(cost[i])) for i in table.index],
            "order": pd.array([None] * len(table), dtype="Int64"),
        },
        index=table.index,
    )
    rows.loc[order, "order"] = np.arange(1, len(order) + 1)
    result = Assignment(rows, pd.DataFrame(records))
    _check(result, budgets, carry_over)
    return result


def _check(result: Assignment, budgets: dict[int, float], carry_over: bool) -> None:
    """The promises of the programme, checked on every one it makes."""
    rows, years = result.rows, result.years
    funded = rows[rows["year"].notna()]
    assert funded["order"].is_unique and len(funded) == funded["order"].notna().sum(), "a row funded twice"
    spent = funded.groupby("year")["programme_cost"].sum()
    carried = 0.0
    for r in years.itertuples():
        limit = budgets[r.year] + (carried if carry_over else 0.0)
        assert spent.get(r.year, 0.0) <= limit + _EPS * max(1.0, limit), f"year {r.year} over its budget"
        carried = limit - spent.get(r.year, 0.0)


# --- the programme with its exact gains ----------------------------------------------------------


@dataclass
class Programme:
    """A PEBA programme over the years.

    ``table``: every ranked intervention with ``year`` (empty when not funded), ``status``
    (:data:`STATUSES`), ``programme_cost`` (the roadworks share, or the full cost),
    ``order`` (in the programme), the roadworks on its street, and its gains
    (``people_<profile>_<category>``, ``people_total``, ``facilities_...``): exact, given
    every row before it in the programme (empty for rows not funded). ``years``: per year
    the budget, carry-over, spending, interventions, and people gaining access per
    profile and category. ``baseline``: people reaching each (profile, category) today.
    """

    table: gpd.GeoDataFrame
    years: pd.DataFrame
    plan: Plan
    budgets: dict[int, float]
    carry_over: bool
    lens: Lens | None
    cost_share: float
    works: gpd.GeoDataFrame | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def funded(self) -> gpd.GeoDataFrame:
        """The rows the programme funds, in its order."""
        return self.table[self.table["year"].notna()].sort_values("order")

    @property
    def baseline(self) -> dict[tuple[str, str], float]:
        return self.plan.baseline

    @property
    def keys(self) -> list[tuple[str, str]]:
        return [(p, k) for p in self.plan.profiles for k in self.plan.categories]


def programme(
    G: nx.MultiDiGraph,
    barriers: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    people: np.ndarray,
    profiles: list[Profile],
    categories: list[str],
    budgets: dict[int, float],
    *,
    carry_over: bool = True,
    works: gpd.GeoDataFrame | None = None,
    threshold_m: float | None = None,
    threshold_min: float | None = None,
    weight: str = "residents",
    share: float = 1.0,
    table: CostTable | None = None,
    lens: Lens | None = None,
) -> Programme:
    """Rank the interventions (under ``lens``), assign them to years, and compute who
    gains year after year, exactly.

    Parameters
    ----------
    G, barriers, facilities, people, profiles, categories, threshold_m, threshold_min, weight, share, table
        As :func:`accessibility.planning.ranking.plan`.
    budgets
        Euros per year (:func:`parse_budgets`).
    carry_over
        Whether unspent money passes to the next year.
    works
        Scheduled roadworks (graph CRS) with a ``year`` column (see
        :mod:`accessibility.sources.roadworks`).
    lens
        The weights of the ranking (default: people gaining access per euro).

    Returns
    -------
    Programme

    Raises
    ------
    ProgrammeError, PlanError
        Bad budgets; no residents, profiles or categories.
    """
    table = table or load_cost_table()
    ranked = plan(
        G,
        barriers,
        facilities,
        people,
        profiles,
        categories,
        budget=float(sum(budgets.values())),
        threshold_m=threshold_m,
        threshold_min=threshold_min,
        weight=weight,
        share=share,
        table=table,
        lens=lens,
    )
    t = ranked.table
    scheduled: dict[Any, int] = {}
    works_of = pd.Series([], dtype=object)
    if works is not None and len(works) and len(t):
        works = works.to_crs(t.crs) if works.crs != t.crs else works
        works_of = works_on_barriers(t, works, table.roadworks_buffer_m)
        scheduled = {i: int(works.at[w, "year"]) for i, w in works_of.items()}
    done = assign(t, budgets, carry_over, scheduled, table.roadworks_share)
    out = t.copy()
    for column in ("year", "status", "programme_cost", "order"):
        out[column] = done.rows[column]
    for column, source in (("works_id", "works_id"), ("works_name", "name")):
        out[column] = [
            works.at[works_of[i], source] if works is not None and i in works_of.index else None for i in t.index
        ]
    out["works_year"] = pd.array([scheduled.get(i) for i in t.index], dtype="Int64")
    # exact gains in the programme's order
    keys = [(p.name, k) for p in profiles for k in categories]
    gains = _replay(G, barriers, facilities, people * share, profiles, categories, ranked, out, threshold_min)
    for p, k in keys:
        out[f"people_{p}_{k}"] = [gains[i].people.get((p, k), 0.0) if i in gains else np.nan for i in out.index]
        out[f"facilities_{p}_{k}"] = pd.array(
            [gains[i].facilities.get((p, k), 0) if i in gains else None for i in out.index], dtype="Int64"
        )
    out["people_total"] = [gains[i].total if i in gains else np.nan for i in out.index]
    out["facilities_total"] = pd.array(
        [gains[i].total_facilities if i in gains else None for i in out.index], dtype="Int64"
    )
    out = out.drop(columns=["within_budget", "cumulative_cost"])
    years = done.years.copy()
    for p, k in keys:
        per = out.groupby("year")[f"people_{p}_{k}"].sum()
        years[f"people_{p}_{k}"] = years["year"].map(per).fillna(0.0).to_numpy()
    per_total = out.groupby("year")["people_total"].sum()
    years["people_total"] = years["year"].map(per_total).fillna(0.0).to_numpy()
    log.info(
        "programme %s-%s: %d interventions funded, %d by roadworks",
        min(budgets),
        max(budgets),
        int(out["year"].notna().sum()),
        int((out["status"] == "roadworks").sum()),
    )
    return Programme(
        gpd.GeoDataFrame(out, geometry=t.geometry.name, crs=t.crs),
        years,
        ranked,
        dict(budgets),
        carry_over,
        lens,
        table.roadworks_share,
        works,
    )


def _replay(
    G: nx.MultiDiGraph,
    barriers: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    people: np.ndarray,
    profiles: list[Profile],
    categories: list[str],
    ranked: Plan,
    out: pd.DataFrame,
    threshold_min: float | None,
) -> dict[Any, Gain]:
    """Each funded row's gain given every funded row before it in the programme."""
    funded = out[out["year"].notna()].sort_values("order")
    if not len(funded):
        return {}
    if threshold_min is not None:
        thresholds: float | dict[str, float] = {p.name: float(threshold_min) * 60 * p.speed_mps for p in profiles}
    else:
        thresholds = ranked.threshold_m
    rows = out["row"].astype(int).tolist()
    planner = Planner(G, barriers, facilities, people, profiles, categories, thresholds, rows)
    relevant = set(planner.relevant)
    gains: dict[Any, Gain] = {}
    for i, r in zip(funded.index, funded["row"].astype(int)):
        if r not in relevant:
            gains[i] = Gain(
                {(p.name, k): 0.0 for p in profiles for k in categories},
                {(p.name, k): 0 for p in profiles for k in categories},
            )
            continue
        g, effects = planner.gain({r})
        planner.commit({r}, effects)
        gains[i] = g
    return gains
