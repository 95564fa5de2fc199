"""Web speed: routes over HTTP from the real server (``accessibility serve``) on Milan.

Starts the server on a free port of 127.0.0.1 on the Milan workspace (built from the
sidewalk, crossing and kerb layers in ../shared/data when ``--city`` is not given),
waits until its routers are compiled, then runs a bounded load: ``--clients`` (20)
concurrent clients, each on one keep-alive connection, asking ``/api/v1/route`` one
request after another for ``--seconds`` (60). Routes join seeded random pairs of nodes of
the network's largest connected part between 300 m and 2 km apart (a walk people make),
over the citizens' profiles in turn. The load generator is a small asyncio HTTP/1.1
client (a heavier client would take the server's CPU: both share this machine's cores).

Prints requests per second and the p50/p95/p99 latency (target: p95 under 50 ms on a
2-core machine), the answers by status, the server's start-up time, and the machine's
load average before and after the load (other work on the same cores slows the server
and the clients alike: run it more than once and report the load). Only 127.0.0.1 is
contacted; the server is stopped at the end.

    .venv/bin/python benchmarks/bench_http.py [--city DIR] [--clients 20] [--seconds 60] [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path

import networkx as nx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from accessibility import City  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "milano-osm-accessibility"
LAYERS = [DATA / f"{n}.osm.xz" for n in ("sidewalk", "crossing", "kerb")]
PROFILES = ["manual_wheelchair", "walker", "blind", "pushchair", "power_wheelchair"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pairs_for(city: City, count: int, seed: int) -> list[str]:
    """Query strings of ``count`` routes between nodes 300 m to 2 km apart."""
    G = city.network
    nodes = sorted(max(nx.strongly_connected_components(G), key=len))
    xy = np.array([(G.nodes[n]["x"], G.nodes[n]["y"]) for n in nodes])
    rnd = random.Random(seed)
    out = []
    while len(out) < count:
        i, j = rnd.randrange(len(nodes)), rnd.randrange(len(nodes))
        if 300 <= math.dist(xy[i], xy[j]) <= 2000:
            a, b = G.nodes[nodes[i]], G.nodes[nodes[j]]
            profile = PROFILES[len(out) % len(PROFILES)]
            out.append(f"from={a['lat']:.7f},{a['lon']:.7f}&to={b['lat']:.7f},{b['lon']:.7f}&profile={profile}&lang=it")
    return out


async def client(
    port: int, queries: list[str], start: int, stop_at: float, latencies: list[float], codes: Counter
) -> None:
    """One keep-alive connection asking routes one after another until ``stop_at``."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    k = start
    try:
        while time.perf_counter() < stop_at:
            q = queries[k % len(queries)]
            k += 1
            t = time.perf_counter()
            writer.write(
                f"GET /api/v1/route?{q} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n".encode()
            )
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            status = int(lines[0].split()[1])
            length = next(int(x.split(":", 1)[1]) for x in lines[1:] if x.lower().startswith("content-length:"))
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - t)
            codes[status] += 1
    finally:
        writer.close()


async def load(port: int, queries: list[str], clients: int, seconds: float) -> tuple[list[float], Counter, float]:
    latencies: list[float] = []
    codes: Counter = Counter()
    t = time.perf_counter()
    stop_at = t + seconds
    step = max(1, len(queries) // clients)
    await asyncio.gather(*(client(port, queries, i * step, stop_at, latencies, codes) for i in range(clients)))
    return latencies, codes, time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--city", type=Path, help="a workspace (default: Milan, built into a temporary folder)")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if not 1 <= args.clients <= 100 or not 1 <= args.seconds <= 600:
        parser.error("keep the load bounded: 1-100 clients, 1-600 seconds")
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
        queries = pairs_for(city, 2000, args.seed)
        port = free_port()
        log = open(Path(tmp) / "server.log", "wb")  # closed below
        t = time.perf_counter()
        server = subprocess.Popen(
            [sys.executable, "-m", "accessibility", "serve", "--city", str(workspace), "--port", str(port)]
            + ["--workers", str(args.workers)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        try:
            up = None
            ready = 0
            while ready < 2 * args.workers:  # every worker answers with all its routers on hub labels
                if server.poll() is not None or time.perf_counter() - t > 1800:
                    log.close()
                    print("the server did not start:", (Path(tmp) / "server.log").read_text(errors="replace")[-2000:])
                    return
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=2) as r:
                        health = json.load(r)
                    up = up or time.perf_counter() - t
                    ready = ready + 1 if len(health["fast_routes"]) == len(health["profiles"]) else 0
                except OSError:
                    pass
                time.sleep(1.0)
            print(
                f"server answering after {up:.0f} s (routers compiled), every route on hub labels after "
                f"{time.perf_counter() - t:.0f} s ({args.workers} workers)"
            )
            asyncio.run(load(port, queries[:100], min(args.clients, 4), 3.0))  # warm-up, not counted
            print(f"machine load average before the load: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
            latencies, codes, elapsed = asyncio.run(load(port, queries, args.clients, args.seconds))
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
            log.close()
    ms = np.array(latencies) * 1e3
    print(f"\n{len(ms):,} route requests by {args.clients} concurrent clients in {elapsed:.1f} s")
    print(f"  {len(ms) / elapsed:7.1f} requests/s")
    p50, p95, p99 = np.percentile(ms, [50, 95, 99])
    print(f"  latency p50 {p50:6.1f} ms   p95 {p95:6.1f} ms   p99 {p99:6.1f} ms")
    print(f"  machine load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"  answers by status: {dict(sorted(codes.items()))}")
    print(f"  target: p95 under 50 ms -> {'met' if p95 < 50 else 'NOT met'}")


if __name__ == "__main__":
    main()
