"""Survey import speed: 10,000, 100,000 and 1,000,000 rows into a Helsinki workspace.

Each size is a fresh store and a semicolon CSV as Italian spreadsheets write it, with
reports scattered near the paths of the real Helsinki network (so snapping and the
near-duplicate check meet real densities). Printed per size: rows per second of the
whole import, how long the store's write lock was held (the write alone: validation
runs before the lock), and the ratio to a plain ``pandas.read_csv`` of the same file,
the floor no import can beat. Linear work keeps rows per second flat across sizes (the
import of earlier versions was quadratic: 2,000 rows 3.8 s, 20,000 rows 110 s, 100,000
rows unfinished after 15 minutes).

    .venv/bin/python benchmarks/bench_import.py [--sizes 10000,100000,1000000] [--seed 3]
"""

from __future__ import annotations

import argparse
import contextlib
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import pandas as pd  # noqa: E402

from accessibility import City, settings  # noqa: E402
from accessibility.surveys import store as store_module  # noqa: E402
from realdata import HELSINKI_PBF  # noqa: E402

KINDS = ["gradini", "cordolo", "ostacolo", "pendenza", "strettoia", "fondo sconnesso"]


def write_reports(path: Path, rows: int, city: City, seed: int) -> None:
    """``rows`` reports a few metres from random nodes of the network (WGS84)."""
    rng = random.Random(seed)
    nodes = [(d["lat"], d["lon"]) for _, d in city.network.nodes(data=True)]
    with path.open("w", encoding="utf-8") as fh:
        fh.write("id;tipo;lat;lon;data;altezza_cordolo_cm;descrizione\n")
        for i in range(rows):
            lat, lon = rng.choice(nodes)
            lat += rng.uniform(-0.00008, 0.00008)
            lon += rng.uniform(-0.00012, 0.00012)
            fh.write(f"B{i};{rng.choice(KINDS)};{lat:.7f};{lon:.7f};03/05/2025;{rng.randint(1, 25)};nota {i}\n")


@contextlib.contextmanager
def lock_timer(spent: list[float]) -> Iterator[None]:
    """Time every store transaction (the write lock) during the block."""
    original = store_module.SurveyStore.transaction

    @contextlib.contextmanager
    def timed(self):  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        with original(self) as tx:
            yield tx
        spent.append(time.perf_counter() - start)

    store_module.SurveyStore.transaction = timed  # type: ignore[method-assign]
    try:
        yield
    finally:
        store_module.SurveyStore.transaction = original  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    work = Path(tempfile.mkdtemp(prefix="bench-import-"))
    try:
        t = time.perf_counter()
        city = City.build(osm=[HELSINKI_PBF], name="Helsinki")
        city.save(work / "base")
        print(f"Helsinki: {city.network.number_of_nodes():,} nodes, built in {time.perf_counter() - t:.0f} s")
        head = f"{'rows':>10} {'import s':>9} {'rows/s':>9} {'lock s':>7} {'read_csv s':>10} {'x read_csv':>10}"
        print(head + "  accepted")
        for n in sizes:
            ws = work / f"ws{n}"
            shutil.copytree(work / "base", ws)
            (ws / settings.survey_store_name).unlink(missing_ok=True)
            csv = work / f"reports{n}.csv"
            write_reports(csv, n, city, args.seed)
            t = time.perf_counter()
            pd.read_csv(csv, sep=";", dtype=str)
            floor = time.perf_counter() - t
            loaded = City.load(ws)
            spent: list[float] = []
            with lock_timer(spent):
                t = time.perf_counter()
                result = loaded.import_surveys(csv, surveyor="bench")
                took = time.perf_counter() - t
            print(
                f"{n:>10,} {took:>9.1f} {n / took:>9,.0f} {sum(spent):>7.1f} {floor:>10.2f} {took / floor:>10.0f}  "
                f"{len(result.accepted):,} ({len(result.rejected_rows):,} rejected, "
                f"{len({f['report_id'] for f in result.flagged}):,} flagged)"
            )
            shutil.rmtree(ws)
            csv.unlink()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
