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

The ranking does not depend on the budget: the plan funds the ranked rows from the top
while the cumulative cost fits (a bundle is funded whole or not at all), so a larger
budget always funds a superset and never lowers the total gain. Rows past the budget are
the next budget, ready.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd

from accessibility import settings
from accessibility.errors import PlanError
from accessibility.i18n import _
from accessibility.model.profiles import Profile
from accessibility.model.snapping import within_distance
from accessibility.planning.impact import Gain, Planner, people_passing
from accessibility.planning.interventions import CostTable
from accessibility.planning.interventions import candidates as make_candidates

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

    @property
    def funded(self) -> gpd.GeoDataFrame:
        return self.table[self.table["within_budget"]]


def _key(g: Gain, cost: float) -> tuple:
    return (g.total / cost, g.total_facilities, -cost)


def greedy(planner: Planner, cost: dict[int, float], radius: float) -> list[tuple[list[int], list[Gain], str]]:
    """Ranked steps ``(rows, gain of each row given the rows before it, how)``: singles and
    pairs by marginal gain per euro, until nothing left gains anything."""
    relevant = [r for r in planner.relevant if r in cost]
    alive = set(relevant)
    fresh: dict[int, Gain] = {r: planner.gain({r})[0] for r in relevant}
    pair_gain: dict[tuple[int, int], Gain] = {}
    planner.refresh_topology()
    node_tree_nodes = {r: planner.touched(r) for r in relevant}
    all_nodes = np.concatenate([node_tree_nodes[r] for r in relevant] + [np.array([], dtype=np.int64)])
    owner = np.repeat(np.array(relevant, dtype=np.int64), [len(node_tree_nodes[r]) for r in relevant])

    def pairs_for(r: int) -> None:
        if fresh[r].total > 0 or fresh[r].total_facilities > 0:
            return
        for q in planner.partners(r, settings.plan_pair_partners):
            if q not in alive:
                continue
            key = (min(r, q), max(r, q))
            if key in pair_gain:
                continue
            g = planner.gain({r, q})[0]
            if (
                g.total > fresh[r].total + fresh[q].total
                or g.total_facilities > fresh[r].total_facilities + fresh[q].total_facilities
            ):
                pair_gain[key] = g

    for r in relevant:
        pairs_for(r)
    steps: list[tuple[list[int], list[Gain], str]] = []
    while alive:
        best_r = max(alive, key=lambda r: (_key(fresh[r], cost[r]), -r))
        best = (_key(fresh[best_r], cost[best_r]), [best_r])
        for (a, b), g in pair_gain.items():
            k = _key(g, cost[a] + cost[b])
            if k > best[0]:
                best = (k, [a, b])
        rows = best[1]
        if best[0][0] <= 0 and best[0][1] <= 0:
            break
        X = set(rows)
        g_all, effects = planner.gain(X)  # fresh, exact
        step_cost = sum(cost[r] for r in rows)
        if _key(g_all, step_cost) < best[0]:  # stale (lazy evaluation): store and choose again
            if len(rows) == 1:
                fresh[rows[0]] = g_all
            else:
                pair_gain[(min(rows), max(rows))] = g_all
            continue
        if len(rows) == 1:
            gains = [g_all]
            how = "single"
        else:
            a, b = sorted(rows, key=lambda r: (-fresh[r].total, cost[r], r))
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
) -> Plan:
    """Rank every candidate intervention and fund the top of the ranking within ``budget``.

    ``people`` are residents per graph node (order of ``G.nodes``); ``share`` scales them
    to the group counted (``weight``: residents, over65, over80). The reach threshold is
    ``threshold_m`` metres, or ``threshold_min`` minutes at each profile's speed.
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
    cands = make_candidates(barriers, table)
    cost = dict(zip(cands["row"].astype(int), cands["cost"].astype(float)))
    planner = Planner(G, barriers, facilities, people, profiles, categories, thresholds, cost)
    baseline = {(s.profile.name, k): float(people[s.d[k] <= s.T].sum()) for s in planner.states for k in categories}
    # a candidate's gain depends only on distances within threshold of its own nodes
    radius = threshold_m + 2 * settings.snap_max_m
    steps = greedy(planner, cost, radius)
    log.info(
        "plan: %d candidates, %d change a route, %d ranked by gain",
        len(cands),
        len(planner.relevant),
        sum(len(s[0]) for s in steps),
    )
    by_row = cands.set_index("row")
    records = []
    keys = [(p.name, k) for p in profiles for k in categories]
    cum, rank = 0.0, 0
    placed: set[int] = set()
    for step, (rows, gains, how) in enumerate(steps, start=1):
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
    passing = people_passing(G, barriers, facilities, people, profiles, categories, thresholds)
    rest = cands[~cands["row"].isin(placed)].assign(
        served=lambda f: -passing[f["row"].astype(int)] / f["cost"].clip(lower=1e-9)
    )
    rest = rest.sort_values(["served", "cost", "barrier_id"])
    for r in rest["row"].astype(int):
        rank += 1
        cum += cost[r]
        records.append(_record(rank, len(steps) + rank, r, by_row.loc[r], Gain(), keys, cum, False, "no gain"))
    for rec in records:
        rec["people_passing"] = float(passing[rec["row"]])
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
            "people_total",
            "facilities_total",
            "people_passing",
        ]
        + [f"people_{p}_{k}" for p, k in keys]
        + [f"facilities_{p}_{k}" for p, k in keys]
        + ["cumulative_cost", "within_budget", "selection"]
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
        "people_total": g.total,
        "facilities_total": g.total_facilities,
    }
    for p, k in keys:
        rec[f"people_{p}_{k}"] = g.people.get((p, k), 0.0)
    for p, k in keys:
        rec[f"facilities_{p}_{k}"] = g.facilities.get((p, k), 0)
    rec.update({"cumulative_cost": round(cum, 2), "within_budget": funded, "selection": how, "geometry": c["geometry"]})
    return rec
