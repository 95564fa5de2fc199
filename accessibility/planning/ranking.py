"""The budgeted ranking of interventions: greedy by exact marginal gain per euro (pure).

Greedy with complementary barriers
----------------------------------
Candidates are picked by marginal gain per euro. A candidate's gain depends only on
the distances of nodes within the threshold of its own nodes, and on the edges there;
so after each pick the gains are recomputed for every candidate within
``threshold + 2 x snap`` (straight distance, never more than network distance) of a node
whose distance changed, that the pick opened or that it connected to the residents (for
the facilities reachable at all); the best is re-checked when chosen
(lazy evaluation: if its fresh gain is lower, it goes back and the choice is made again). Two barriers
that only matter together (two flights of steps on one path, a kerb and a bollard on
the same node) each gain nothing alone; so each candidate with no solo gain is also
tried in pairs with the candidates that block the same edges, or that touch it or the
small pocket of network (at most ``settings.plan_pocket_nodes`` nodes) it leads into.
A pair is offered when it gains more than its parts; when picked, its members are
listed one after the other, each with its exact gain given the rows above it. Chains of
three or more blockers with no gain for any pair are not searched (documented limit).
Rows left when nothing gains anything follow, cheapest first, marked ``no gain`` (zero, or
less where a fix would move a facility's arrival point, given the plan above): among
them the barriers that only hinder (tactile paving and acoustic signals for blind people,
rough surfaces): reach counts routes that exist, so a hindrance never changes it.

Lenses
------
A lens (:mod:`accessibility.planning.lenses`) weighs each ``(profile, category)`` gain and
the people passing a barrier on their way: the rows it values are ranked first by
weighted value per euro (same greedy, same pairs, same lazy re-evaluation), then the rows
that still open a route for anyone, by plain gain per euro, on top of them: every row's
gain stays exact given the rows above it, whatever the weights.

Facilities
----------
With ``facility_works=True`` (the city's plan), the works that make a reached facility
usable (an entrance ramp, an accessible changing room, a pool hoist ...:
:mod:`accessibility.planning.facility_works`) join the same list: each facility's works
are one step, placed among the street steps by the people who gain a usable facility per
euro (column ``facility``: the facility's name; ``row`` -1). Their gains are counted on
today's street network (see that module).

The ranking does not depend on the budget: the plan funds the ranked rows from the top
while the cumulative cost fits (a bundle is funded whole or not at all), so a larger
budget always funds a superset and never lowers the total gain. Rows past the budget are
the next budget, ready.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd

from accessibility import settings
from accessibility.errors import PlanError
from accessibility.i18n import _
from accessibility.model.profiles import Profile
from accessibility.model.sheets import facility_sheets
from accessibility.model.snapping import within_distance
from accessibility.planning.facility_works import FacilityStep, FacilityWork, rank_facility_works
from accessibility.planning.impact import Gain, Planner, people_passing_by_key
from accessibility.planning.interventions import CostTable, load_cost_table
from accessibility.planning.interventions import candidates as make_candidates
from accessibility.planning.lenses import Lens

__all__ = ["Plan", "fund", "greedy", "plan"]

log = logging.getLogger(__name__)


@dataclass
class Plan:
    """The ranked plan: ``table`` (one row per candidate, best first) and what it assumed."""

    table: gpd.GeoDataFrame
    budget: float
    threshold_m: float
    profiles: list[str]
    categories: list[str]
    weight: str
    baseline: dict[tuple[str, str], float]
    residents: float
    candidates: int = 0
    relevant: int = 0
    lens: Lens | None = None  #: the weights of the ranking (None: the plain ranking)
    #: Said to people with the plan (console and report): categories without facilities.
    warnings: list[Any] = field(default_factory=list)
    #: What the registries used held (places read, left out).
    notes: list[Any] = field(default_factory=list)
    #: The registries used: ``{"name", "licence"}`` (named in the report's footer).
    registries: list[dict[str, str]] = field(default_factory=list)
    #: ``istat`` when the ISTAT table gave the residents, ``given`` for a plain total.
    population_source: str = "given"

    @property
    def funded(self) -> gpd.GeoDataFrame:
        return self.table[self.table["within_budget"]]


Weights = dict[tuple[str, str], float]


def _value(g: Gain, weights: Weights | None) -> tuple[float, float]:
    """People and facilities of a gain, weighted by a lens (plain sums without one)."""
    if weights is None:
        return g.total, g.total_facilities
    return (
        float(sum(w * g.people.get(k, 0.0) for k, w in weights.items())),
        float(sum(w * g.facilities.get(k, 0) for k, w in weights.items())),
    )


def _key(g: Gain, cost: float, weights: Weights | None = None, extra: float = 0.0) -> tuple:
    people, facilities = _value(g, weights)
    return ((people + extra) / cost, facilities, -cost)


def greedy(
    planner: Planner,
    cost: dict[int, float],
    radius: float,
    weights: Weights | None = None,
    extra: dict[int, float] | None = None,
    exclude: set[int] | frozenset[int] = frozenset(),
) -> list[tuple[list[int], list[Gain], str]]:
    """Ranked steps ``(rows, gain of each row given the rows before it, how)``: singles and
    pairs by marginal gain per euro, until nothing left gains anything.

    ``weights`` (a lens: :mod:`accessibility.planning.lenses`) weigh each ``(profile,
    category)`` gain; ``extra`` adds a fixed value per row (people passing it, weighted),
    so rows that open no route but serve people on their way compete too (they change no
    distance: their gain is zero, exactly). ``exclude``: rows already ranked (and made in
    ``planner``). Without weights and extra, the ranking is the plain one."""
    extra = extra or {}
    relevant = [r for r in planner.relevant if r in cost and r not in exclude]
    alive = set(relevant)
    fixed_value = sorted(
        (r for r, x in extra.items() if x > 0 and r in cost and r not in exclude and r not in alive),
        key=lambda r: (-extra[r] / cost[r], cost[r], r),
    )
    fresh: dict[int, Gain] = {r: planner.gain({r})[0] for r in relevant}
    pair_gain: dict[tuple[int, int], Gain] = {}
    planner.refresh_topology()
    node_tree_nodes = {r: planner.touched(r) for r in relevant}
    all_nodes = np.concatenate([node_tree_nodes[r] for r in relevant] + [np.array([], dtype=np.int64)])
    owner = np.repeat(np.array(relevant, dtype=np.int64), [len(node_tree_nodes[r]) for r in relevant])

    def value(g: Gain) -> tuple[float, float]:
        return _value(g, weights)

    def pairs_for(r: int) -> None:
        if value(fresh[r])[0] + extra.get(r, 0.0) > 0 or value(fresh[r])[1] > 0:
            return
        for q in planner.partners(r, settings.plan_pair_partners):
            if q not in alive:
                continue
            key = (min(r, q), max(r, q))
            if key in pair_gain:
                continue
            g = planner.gain({r, q})[0]
            together, apart_r, apart_q = value(g), value(fresh[r]), value(fresh[q])
            if together[0] > apart_r[0] + apart_q[0] or together[1] > apart_r[1] + apart_q[1]:
                pair_gain[key] = g

    for r in relevant:
        pairs_for(r)
    steps: list[tuple[list[int], list[Gain], str]] = []
    while alive or fixed_value:
        best: tuple[tuple, list[int]] = ((0.0, 0.0, -math.inf), [])
        if alive:
            best_r = max(alive, key=lambda r: (_key(fresh[r], cost[r], weights, extra.get(r, 0.0)), -r))
            best = (_key(fresh[best_r], cost[best_r], weights, extra.get(best_r, 0.0)), [best_r])
        for (a, b), g in pair_gain.items():
            k = _key(g, cost[a] + cost[b], weights, extra.get(a, 0.0) + extra.get(b, 0.0))
            if k > best[0]:
                best = (k, [a, b])
        if fixed_value:
            r = fixed_value[0]
            k = _key(Gain(), cost[r], weights, extra[r])
            if not best[1] or k > best[0]:
                fixed_value.pop(0)
                steps.append(([r], [Gain()], "single"))  # opens no route: changes no distance
                continue
        rows = best[1]
        if not rows or (best[0][0] <= 0 and best[0][1] <= 0):
            break
        X = set(rows)
        g_all, effects = planner.gain(X)  # fresh, exact
        step_cost = sum(cost[r] for r in rows)
        if _key(g_all, step_cost, weights, sum(extra.get(r, 0.0) for r in rows)) < best[0]:
            # stale (lazy evaluation): store and choose again
            if len(rows) == 1:
                fresh[rows[0]] = g_all
            else:
                pair_gain[(min(rows), max(rows))] = g_all
            continue
        if len(rows) == 1:
            gains = [g_all]
            how = "single"
        else:
            a, b = sorted(rows, key=lambda r: (-value(fresh[r])[0], cost[r], r))
            rows = [a, b]
            first = planner.gain({a})[0]
            gains = [first, g_all.minus(first)]
            how = "pair"
        changed = planner.commit(X, effects)
        alive -= X
        steps.append((rows, gains, how))
        # who may have changed: candidates within the radius of a node whose distance changed
        here = np.unique(np.concatenate([changed] + [node_tree_nodes[r] for r in rows]))
        planner.refresh_topology()
        dirty = []
        if len(here):
            near = within_distance(planner.xy[all_nodes], planner.xy[here], radius)
            dirty = sorted(set(owner[near].tolist()) & alive)
        for r in dirty:
            fresh[r] = planner.gain({r})[0]
        dirty_set = set(dirty)
        for key in [k for k in pair_gain if k[0] not in alive or k[1] not in alive or dirty_set & set(k)]:
            del pair_gain[key]
        for r in dirty:
            pairs_for(r)
    return steps


def plan(
    G: nx.MultiDiGraph,
    barriers: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    people: np.ndarray,
    profiles: list[Profile],
    categories: list[str],
    budget: float,
    threshold_m: float | None = None,
    threshold_min: float | None = None,
    weight: str = "residents",
    share: float = 1.0,
    table: CostTable | None = None,
    lens: Lens | None = None,
    facility_works: bool = False,
) -> Plan:
    """Rank every candidate intervention and fund the top of the ranking within ``budget``.

    ``people`` are residents per graph node (order of ``G.nodes``); ``share`` scales them
    to the group counted (``weight``: residents, over65, over80). The reach threshold is
    ``threshold_m`` metres, or ``threshold_min`` minutes at each profile's speed.

    ``lens`` (:mod:`accessibility.planning.lenses`) weighs the gains per profile and
    category, and people passing a barrier: the rows it values come first, by weighted
    value per euro; then every other row that opens a route, ranked without weights (on
    top of the rows above, so every row's gain stays exact given the rows above it); then
    the rest, as always. Column ``lens_value`` is each row's weighted value. The caller
    counts the lens's age group through ``share`` and ``weight``.

    ``facility_works``: rank the works inside facilities too (see the module docstring).
    """
    if not budget >= 0:
        raise PlanError(_("the budget must be a non-negative number of euros, not {budget}").format(budget=budget))
    if not profiles or not categories:
        raise PlanError(_("name at least one profile and one facility category"))
    if threshold_min is not None:
        thresholds = {p.name: float(threshold_min) * 60 * p.speed_mps for p in profiles}
        threshold_m = max(thresholds.values())
    else:
        threshold_m = settings.plan_threshold_m if threshold_m is None else float(threshold_m)
        thresholds = {p.name: threshold_m for p in profiles}
    people = np.asarray(people, dtype=float) * share
    if people.sum() <= 0:
        raise PlanError(_("no residents on the network: give a population"))
    table = table or load_cost_table()
    cands = make_candidates(barriers, table)
    cost = dict(zip(cands["row"].astype(int), cands["cost"].astype(float)))
    planner = Planner(G, barriers, facilities, people, profiles, categories, thresholds, cost)
    weights = lens.weights([p.name for p in profiles], categories) if lens is not None else None
    inside: tuple[list[FacilityStep], list[FacilityStep]] = ([], [])
    if facility_works:  # on today's network: before the street picks change the planner
        inside = _facility_steps(planner, facilities, categories, people, thresholds, table, weights)
    baseline = {(s.profile.name, k): float(people[s.d[k] <= s.T].sum()) for s in planner.states for k in categories}
    # a candidate's gain depends only on distances within threshold of its own nodes
    radius = threshold_m + 2 * settings.snap_max_m
    keys = [(p.name, k) for p in profiles for k in categories]
    by_key = people_passing_by_key(G, barriers, facilities, people, profiles, categories, thresholds)
    passing = np.zeros(len(barriers))
    for use in by_key.values():
        passing += use
    weighted_passing = np.zeros(len(barriers))
    if weights is not None:
        for k, use in by_key.items():
            weighted_passing += weights.get(k, 0.0) * use
    if lens is None or lens.is_default:
        steps = greedy(planner, cost, radius)
    else:
        extra = {r: float(lens.passing * weighted_passing[r]) for r in cost if lens.passing * weighted_passing[r] > 0}
        steps = greedy(planner, cost, radius, weights=weights, extra=extra)
        done = {r for rows, _, _ in steps for r in rows}
        steps += greedy(planner, cost, radius, exclude=done)
    log.info(
        "plan: %d candidates, %d change a route, %d ranked by gain",
        len(cands),
        len(planner.relevant),
        sum(len(s[0]) for s in steps),
    )
    by_row = cands.set_index("row")
    records = []
    cum, rank = 0.0, 0
    placed: set[int] = set()
    for step, item in enumerate(_merge(steps, inside[0], cost, weights), start=1):
        if isinstance(item, FacilityStep):
            for w, g in zip(item.works, item.gains):
                rank += 1
                cum += w.cost
                records.append(_facility_record(rank, step, w, g, keys, cum, "facility", item.reach))
            continue
        rows, gains, how = item
        for i, (r, g) in enumerate(zip(rows, gains)):
            rank += 1
            cum += cost[r]
            placed.add(r)
            records.append(
                _record(
                    rank,
                    step,
                    r,
                    by_row.loc[r],
                    g,
                    keys,
                    cum,
                    False,
                    "pick" if how == "single" else f"pair with rank {rank + 1 if i == 0 else rank - 1}",
                )
            )
    # the rest open no route: ranked by the people they would serve on their way, per euro
    rest = cands[~cands["row"].isin(placed)]
    left: list[tuple[tuple[float, float, str], Any]] = [
        ((-passing[r] / max(c, 1e-9), c, str(b)), r)
        for r, c, b in zip(rest["row"].astype(int), rest["cost"].astype(float), rest["barrier_id"])
    ]
    left += [((-f.reach / max(f.cost, 1e-9), f.cost, f.works[0].key), f) for f in inside[1]]
    step = len(records)
    for _order, item in sorted(left, key=lambda x: x[0]):
        step += 1
        if isinstance(item, FacilityStep):
            for w in item.works:
                rank += 1
                cum += w.cost
                records.append(_facility_record(rank, step, w, Gain(), keys, cum, "no gain", item.reach))
            continue
        rank += 1
        cum += cost[item]
        records.append(_record(rank, step, item, by_row.loc[item], Gain(), keys, cum, False, "no gain"))
    for rec in records:
        inner = rec["row"] < 0
        if not inner:
            rec["people_passing"] = float(passing[rec["row"]])
        if weights is None:
            rec["lens_value"] = rec["people_total"]
        else:
            rec["lens_value"] = float(
                sum(w * rec[f"people_{p}_{k}"] for (p, k), w in weights.items())
                + (0.0 if inner else lens.passing * weighted_passing[rec["row"]])  # type: ignore[union-attr]
            )
    geoms = [rec.pop("geometry") for rec in records]
    columns = (
        [
            "rank",
            "step",
            "barrier_id",
            "row",
            "street",
            "description",
            "kind",
            "source",
            "rule",
            "intervention",
            "quantity",
            "unit",
            "unit_cost",
            "cost",
            "quantity_note",
            "facility",
            "people_total",
            "facilities_total",
            "people_passing",
        ]
        + [f"people_{p}_{k}" for p, k in keys]
        + [f"facilities_{p}_{k}" for p, k in keys]
        + ["cumulative_cost", "within_budget", "selection", "lens_value"]
    )
    out = gpd.GeoDataFrame(records, columns=columns, geometry=geoms, crs=barriers.crs)
    out["within_budget"] = fund(out, budget) if len(out) else pd.Series(dtype=bool)
    return Plan(
        out,
        float(budget),
        threshold_m,
        [p.name for p in profiles],
        categories,
        weight,
        baseline,
        float(people.sum()),
        len(cands),
        len(planner.relevant),
        lens,
    )


def fund(table: pd.DataFrame, budget: float) -> np.ndarray:
    """Which ranked rows a budget funds: whole steps (a pair is one step) from the top
    while their cumulative cost fits, if they open a route or serve people passing them.
    A larger budget funds a superset."""
    step_cost = table.groupby("step", sort=False)["cost"].sum()
    ok = step_cost.cumsum() <= budget + 1e-9
    ok &= ok.cummin()
    ranked = table["selection"].to_numpy() != "no gain"
    if "people_passing" in table:
        ranked |= table["people_passing"].to_numpy() > 0
    return table["step"].map(ok).to_numpy(dtype=bool) & ranked


def _record(rank: int, step: int, row: int, c, g: Gain, keys, cum: float, funded: bool, how: str) -> dict:
    rec = {
        "rank": rank,
        "step": step,
        "barrier_id": c["barrier_id"],
        "row": row,
        "street": c["street"],
        "description": c["description"],
        "kind": c["kind"],
        "source": c["source"],
        "rule": c["rule"],
        "intervention": c["intervention"],
        "quantity": c["quantity"],
        "unit": c["unit"],
        "unit_cost": c["unit_cost"],
        "cost": c["cost"],
        "quantity_note": c["quantity_note"],
        "facility": "",
        "people_total": g.total,
        "facilities_total": g.total_facilities,
    }
    for p, k in keys:
        rec[f"people_{p}_{k}"] = g.people.get((p, k), 0.0)
    for p, k in keys:
        rec[f"facilities_{p}_{k}"] = g.facilities.get((p, k), 0)
    rec.update({"cumulative_cost": round(cum, 2), "within_budget": funded, "selection": how, "geometry": c["geometry"]})
    return rec


def _facility_steps(
    planner: Planner,
    facilities: gpd.GeoDataFrame,
    categories: list[str],
    people: np.ndarray,
    thresholds: dict[str, float],
    table: CostTable,
    weights: Weights | None,
) -> tuple[list[FacilityStep], list[FacilityStep]]:
    """The works inside facilities, ranked on the planner's network as it is today."""
    facs = {k: facilities[facilities["category"] == k] for k in categories}
    sheets = {k: facility_sheets(f) for k, f in facs.items()}
    geometries = {k: list(f.geometry) for k, f in facs.items()}
    states = {s.profile.name: s for s in planner.states}

    def points(p: str, k: str, keep: set[int] | None) -> list[tuple[int, float]]:
        t = states[p].targets[k]
        return [pt for pt, f in zip(t.points, t.facility) if keep is None or f in keep]

    def distances(p: str, k: str, i: int | None) -> np.ndarray:
        s = states[p]
        return s._full_distances(s.back.matrix, points(p, k, None if i is None else {i}))

    def usable_distances(p: str, k: str, keep: set[int]) -> np.ndarray:
        s = states[p]
        return s._full_distances(s.back.matrix, points(p, k, keep))

    return rank_facility_works(
        sheets,
        geometries,
        [s.profile for s in planner.states],
        distances,
        usable_distances,
        people,
        thresholds,
        table,
        value=lambda g: _value(g, weights)[0],
    )


def _merge(
    steps: list[tuple[list[int], list[Gain], str]],
    inside: list[FacilityStep],
    cost: dict[int, float],
    weights: Weights | None,
) -> list[Any]:
    """The street steps and the facility steps in one list by value per euro, each list
    keeping its own order (a street step first on a tie)."""
    out: list[Any] = []
    i = j = 0

    def ratio_street(step: tuple[list[int], list[Gain], str]) -> float:
        rows, gains, _how = step
        return sum(_value(g, weights)[0] for g in gains) / max(sum(cost[r] for r in rows), 1e-9)

    def ratio_inside(step: FacilityStep) -> float:
        return sum(_value(g, weights)[0] for g in step.gains) / max(step.cost, 1e-9)

    while i < len(steps) or j < len(inside):
        if j >= len(inside) or (i < len(steps) and ratio_street(steps[i]) >= ratio_inside(inside[j])):
            out.append(steps[i])
            i += 1
        else:
            out.append(inside[j])
            j += 1
    return out


def _facility_record(
    rank: int, step: int, w: FacilityWork, g: Gain, keys, cum: float, how: str, reach: float
) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "rank": rank,
        "step": step,
        "barrier_id": w.key,
        "row": -1,
        "street": None,
        "description": w.name,
        "kind": w.kind,
        "source": "osm",
        "rule": w.rule,
        "intervention": w.intervention,
        "quantity": w.quantity,
        "unit": w.unit,
        "unit_cost": w.unit_cost,
        "cost": w.cost,
        "quantity_note": w.note,
        "facility": w.name or w.category,
        "people_total": g.total,
        "facilities_total": g.total_facilities,
        "people_passing": reach,
    }
    for p, k in keys:
        rec[f"people_{p}_{k}"] = g.people.get((p, k), 0.0)
    for p, k in keys:
        rec[f"facilities_{p}_{k}"] = g.facilities.get((p, k), 0)
    rec.update({"cumulative_cost": round(cum, 2), "within_budget": False, "selection": how, "geometry": w.geometry})
    return rec
