"""Web speed: routes over HTTP from the real server (``accessibility serve``) on Milan.

Starts the server on a free port of 127.0.0.1 on the Milan workspace (built from the
sidewalk, crossing and kerb layers in ../shared/data when ``--city`` is not given),
waits until its routers are compiled, then runs a bounded load: ``--clients`` (20)
concurrent clients, each on one keep-alive connection, asking ``/api/v1/route`` one
request after another for ``--seconds`` (60). Routes join seeded random pairs of nodes of
the network's largest connected part between 300 m and 2 km apart (a walk people make),
over the citizens' profiles in turn; no pair is asked twice in a run (enough distinct
pairs are drawn beforehand, the warm-up has its own), so no cache of answers could help.
The load generator is a small asyncio HTTP/1.1 client (a heavier client would take the
server's CPU: both share this machine's cores).

Prints, in the same run: the HTTP floor (the same clients asking ``/api/v1/health``, which
goes through the same server, middleware and JSON answer but computes nothing) and the
routes: requests per second and the p50/p95/p99 latency (target: p95 under 50 ms on a
2-core machine), the CPU the server and the load generator spent per request (from
``/proc``: with 2 cores and 20 clients in a closed loop, latency is about 20 / throughput,
so server CPU per request is what sets it), the answers by status, the server's
start-up time, and the machine's load average before and after (other work on the same
cores slows the server and the clients alike: run it more than once and report the load).
Only 127.0.0.1 is contacted; the server is stopped at the end.

For quick iterations only (not the reported figure): ``--profiles`` restricts the routes'
profiles, and ``--port`` loads a server already running on 127.0.0.1 (for instance one
started with fewer profiles) instead of starting one.

    .venv/bin/python benchmarks/bench_http.py [--city DIR] [--clients 20] [--seconds 60] [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import resource
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import networkx as nx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from accessibility import City  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "milano-osm-accessibility"
LAYERS = [DATA / f"{n}.osm.xz" for n in ("sidewalk", "crossing", "kerb")]
PROFILES = ["manual_wheelchair", "walker", "blind", "pushchair", "power_wheelchair"]
#: Distinct route queries drawn per client and second: room for 100 requests/s per client.
QUERIES_PER_CLIENT_SECOND = 100
HEALTH = "/api/v1/health"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pairs_for(city: City, count: int, seed: int, profiles: list[str] = PROFILES) -> list[str]:
    """Paths of ``count`` route requests between distinct pairs of nodes 300 m to 2 km apart."""
    G = city.network
    nodes = sorted(max(nx.strongly_connected_components(G), key=len))
    xy = np.array([(G.nodes[n]["x"], G.nodes[n]["y"]) for n in nodes])
    latlon = [(G.nodes[n]["lat"], G.nodes[n]["lon"]) for n in nodes]
    rnd = random.Random(seed)
    seen: set[tuple[int, int]] = set()
    out = []
    while len(out) < count:
        i, j = rnd.randrange(len(nodes)), rnd.randrange(len(nodes))
        if (i, j) in seen or not 300 <= math.dist(xy[i], xy[j]) <= 2000:
            continue
        seen.add((i, j))
        (a_lat, a_lon), (b_lat, b_lon) = latlon[i], latlon[j]
        profile = profiles[len(out) % len(profiles)]
        out.append(f"/api/v1/route?from={a_lat:.7f},{a_lon:.7f}&to={b_lat:.7f},{b_lon:.7f}&profile={profile}&lang=it")
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU of process ``pid`` and all its descendants (uvicorn's workers)."""
    tick = os.sysconf("SC_CLK_TCK")
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, IndexError, ValueError):
            continue
    return total


async def client(
    port: int, paths: Iterator[str], stop_at: float, latencies: list[float], codes: Counter, gzip: bool
) -> None:
    """One keep-alive connection asking ``paths`` one after another until ``stop_at``
    (with ``gzip``, accepting a compressed answer as browsers do; it is not unpacked)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    accept = "Accept-Encoding: gzip\r\n" if gzip else ""
    try:
        while time.perf_counter() < stop_at:
            path = next(paths)
            t = time.perf_counter()
            writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{accept}Connection: keep-alive\r\n\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            status = int(lines[0].split()[1])
            length = next(int(x.split(":", 1)[1]) for x in lines[1:] if x.lower().startswith("content-length:"))
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - t)
            codes[status] += 1
    finally:
        writer.close()


class Load:
    """What one bounded load measured."""

    def __init__(self, latencies: list[float], codes: Counter, elapsed: float, server_cpu: float, own_cpu: float):
        self.ms = np.array(latencies) * 1e3
        self.codes, self.elapsed, self.server_cpu, self.own_cpu = codes, elapsed, server_cpu, own_cpu

    def line(self, label: str) -> str:
        n = max(len(self.ms), 1)
        p50, p95, p99 = np.percentile(self.ms, [50, 95, 99]) if len(self.ms) else (math.nan,) * 3
        return (
            f"  {label:<7} {len(self.ms) / self.elapsed:7.1f} req/s  p50 {p50:6.1f}  p95 {p95:6.1f}  p99 {p99:6.1f} ms"
            f"   CPU per request: server {1e3 * self.server_cpu / n:5.2f} ms, load generator "
            f"{1e3 * self.own_cpu / n:4.2f} ms"
        )


def load(
    port: int, server_pid: int | None, paths: Iterator[str], clients: int, seconds: float, gzip: bool = False
) -> Load:
    """``clients`` connections asking ``paths`` for ``seconds``; CPU counted on both sides."""

    async def run() -> tuple[list[float], Counter]:
        latencies: list[float] = []
        codes: Counter = Counter()
        stop_at = time.perf_counter() + seconds
        await asyncio.gather(*(client(port, paths, stop_at, latencies, codes, gzip) for _ in range(clients)))
        return latencies, codes

    own = resource.getrusage(resource.RUSAGE_SELF)
    server = cpu_seconds(server_pid) if server_pid else math.nan
    t = time.perf_counter()
    latencies, codes = asyncio.run(run())
    elapsed = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_SELF)
    own_cpu = after.ru_utime + after.ru_stime - own.ru_utime - own.ru_stime
    server_cpu = cpu_seconds(server_pid) - server if server_pid else math.nan
    return Load(latencies, codes, elapsed, server_cpu, own_cpu)


def counted(paths: list[str], asked: Counter) -> Iterator[str]:
    """``paths`` in turn, shared by every client (one asyncio thread: no lock needed),
    counting the ones asked more than once (only if the run outlasts them)."""
    while True:
        for path in paths:
            asked["asked"] += 1
            yield path
        asked["rounds"] += 1


def wait_ready(port: int, server: subprocess.Popen | None, workers: int, started: float, log: Path) -> bool:
    """Until every worker answers with all its routers on hub labels."""
    up = None
    ready = 0
    while ready < 2 * workers:
        if (server is not None and server.poll() is not None) or time.perf_counter() - started > 1800:
            print("the server did not start:", log.read_text(errors="replace")[-2000:] if log.is_file() else "")
            return False
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{HEALTH}", timeout=2) as r:
                health = json.load(r)
            up = up or time.perf_counter() - started
            ready = ready + 1 if len(health["fast_routes"]) == len(health["profiles"]) else 0
        except OSError:
            pass
        time.sleep(1.0)
    print(
        f"server answering after {up:.0f} s (routers compiled), every route on hub labels after "
        f"{time.perf_counter() - started:.0f} s ({workers} workers)"
    )
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--city", type=Path, help="a workspace (default: Milan, built into a temporary folder)")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--floor-seconds", type=float, default=10.0, help="length of the HTTP floor's load")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--gzip", action="store_true", help="accept gzip answers, as the page's browser does")
    parser.add_argument("--profiles", help="quick iterations only: the routes' profiles, comma-separated")
    parser.add_argument("--port", type=int, help="quick iterations only: a server already on 127.0.0.1:PORT")
    parser.add_argument("--pid", type=int, help="with --port: the server's process (to count its CPU)")
    args = parser.parse_args()
    if not 1 <= args.clients <= 100 or not 1 <= args.seconds <= 600 or not 1 <= args.floor_seconds <= 60:
        parser.error("keep the load bounded: 1-100 clients, 1-600 seconds (floor: 1-60)")
    profiles = args.profiles.split(",") if args.profiles else PROFILES
    with tempfile.TemporaryDirectory() as tmp:
        if args.city is None:
            if not all(f.is_file() for f in LAYERS):
                print(f"Milan data not found under {DATA}")
                return
            t = time.perf_counter()
            city = City.build(osm=LAYERS, name="Milano")
            city.save(Path(tmp) / "milano")
            workspace = Path(tmp) / "milano"
            print(f"Milan workspace built in {time.perf_counter() - t:.0f} s")
        else:
            workspace = args.city
            city = City.load(workspace)
        G = city.network
        print(f"{city.meta.get('name')}: {G.number_of_nodes():,} nodes, {G.number_of_edges():,} edges")
        need = int(args.clients * args.seconds * QUERIES_PER_CLIENT_SECOND)
        paths = pairs_for(city, need + 200, args.seed, profiles)
        warm, paths = paths[:200], paths[200:]
        del city, G
        log_path = Path(tmp) / "server.log"
        server = None
        if args.port:
            port = args.port
            ok = wait_ready(port, None, 1, time.perf_counter(), log_path)
        else:
            port = free_port()
            log = open(log_path, "wb")  # closed below
            t = time.perf_counter()
            server = subprocess.Popen(
                [sys.executable, "-m", "accessibility", "serve", "--city", str(workspace), "--port", str(port)]
                + ["--workers", str(args.workers)],
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
            )
            ok = wait_ready(port, server, args.workers, t, log_path)
        try:
            if not ok:
                return
            pid = server.pid if server else args.pid
            load(
                port, pid, counted(warm, Counter()), min(args.clients, 4), 3.0, args.gzip
            )  # warm-up, its own pairs, not counted
            before = os.getloadavg()[0]
            print(f"machine load average before the load: {before:.1f} on {os.cpu_count()} cores")
            floor = load(port, pid, iter(lambda: HEALTH, None), args.clients, args.floor_seconds)
            asked: Counter = Counter()
            routes = load(port, pid, counted(paths, asked), args.clients, args.seconds, args.gzip)
        finally:
            if server is not None:
                server.terminate()
                try:
                    server.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    server.kill()
                log.close()
    repeats = max(0, asked["asked"] - len(paths))
    print(
        f"\n{len(routes.ms):,} route requests by {args.clients} concurrent clients in {routes.elapsed:.1f} s "
        f"({len(paths):,} distinct pairs drawn, {repeats:,} asked twice), after the floor "
        f"({args.floor_seconds:.0f} s of {HEALTH})" + (", answers gzip-compressed" if args.gzip else "")
    )
    print(floor.line("floor"))
    print(routes.line("route"))
    print(f"  machine load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"  answers by status: floor {dict(sorted(floor.codes.items()))}, route {dict(sorted(routes.codes.items()))}")
    p95 = float(np.percentile(routes.ms, 95)) if len(routes.ms) else math.inf
    print(f"  target: route p95 under 50 ms -> {'met' if p95 < 50 else 'NOT met'}")
    if args.profiles or args.port:
        print("  (quick iteration: --profiles/--port given; not the reported figure)")


if __name__ == "__main__":
    main()
