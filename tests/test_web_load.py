"""Bounded load and crashes against the real server on 127.0.0.1: 20 surveyors sending 50
reports each at once store exactly 1,000 reports, each once (resends included); a server
killed in the middle of an upload leaves no partial report and keeps every one it
acknowledged."""

from __future__ import annotations

import random
import socket
import sqlite3
import threading
import time
from pathlib import Path

import httpx
import pytest

from accessibility.accounts import AccountStore
from office_fixtures import start_server
from survey_fixtures import grid_workspace, node_ll

pytestmark = pytest.mark.slow  # starts servers and sends a thousand reports

SURVEYORS = 20
EACH = 50


def point(rnd: random.Random) -> tuple[float, float]:
    """A point on a random footway of the grid."""
    i, j = rnd.randrange(4), rnd.randrange(3)
    a, b = node_ll(i, j), node_ll(i, j + 1)
    t = rnd.uniform(0.2, 0.8)
    return round(a[0] + t * (b[0] - a[0]), 7), round(a[1] + t * (b[1] - a[1]), 7)


def test_twenty_surveyors_fifty_reports_each(tmp_path: Path) -> None:
    _city, _files = grid_workspace(tmp_path)
    ws = tmp_path / "ws"
    store = AccountStore.of_workspace(ws)
    tokens = {}
    for k in range(SURVEYORS):
        name = f"ril{k:02d}"
        store.add(name, "surveyor", "password lunga", by="test")
        tokens[name] = store.new_token(name, by="test")
    proc, base = start_server(ws, tmp_path / "server.log")
    failures: list[str] = []
    acknowledged: dict[str, int] = {}
    lock = threading.Lock()

    def surveyor(name: str, token: str, seed: int) -> None:
        rnd = random.Random(seed)
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=120) as client:
            sent = []
            for n in range(EACH):
                lat, lon = point(rnd)
                fields = {"kind": rnd.choice(["obstacle", "bad_surface", "narrow_passage"]), "lat": lat, "lon": lon}
                fields["id"] = f"{name}-{n}"
                r = client.post("/api/v1/reports", data={k: str(v) for k, v in fields.items()})
                if r.status_code != 201:
                    failures.append(f"{name} {n}: {r.status_code} {r.text[:200]}")
                    continue
                with lock:
                    acknowledged[fields["id"]] = r.json()["report_id"]
                sent.append(fields)
            for fields in sent[:5]:  # the offline queue sends a few again
                r = client.post("/api/v1/reports", data={k: str(v) for k, v in fields.items()})
                if r.status_code != 200 or not r.json()["already"]:
                    failures.append(f"resend {fields['id']}: {r.status_code} {r.text[:200]}")

    started = time.perf_counter()
    try:
        threads = [
            threading.Thread(target=surveyor, args=(name, token, k)) for k, (name, token) in enumerate(tokens.items())
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=600)
        elapsed = time.perf_counter() - started
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert not failures, failures[:5]
    with sqlite3.connect(ws / "surveys.gpkg") as con:
        rows = con.execute("SELECT ref, created_by, COUNT(*) FROM surveys GROUP BY ref").fetchall()
    assert len(rows) == SURVEYORS * EACH and all(count == 1 for _ref, _by, count in rows)
    assert {ref for ref, _by, _c in rows} == set(acknowledged)
    assert all(ref.startswith(by + "-") for ref, by, _c in rows)
    print(f"{SURVEYORS * EACH} reports from {SURVEYORS} surveyors in {elapsed:.1f} s")


def test_server_killed_mid_upload_leaves_no_partial_report(tmp_path: Path) -> None:
    _city, _files = grid_workspace(tmp_path)
    ws = tmp_path / "ws"
    token = AccountStore.of_workspace(ws).new_token(
        AccountStore.of_workspace(ws).add("sara", "surveyor", "password lunga", by="test").name, by="test"
    )
    proc, base = start_server(ws, tmp_path / "server.log")
    rnd = random.Random(3)
    acked = []
    try:
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
            for _n in range(3):
                lat, lon = point(rnd)
                r = client.post("/api/v1/reports", data={"kind": "obstacle", "lat": str(lat), "lon": str(lon)})
                assert r.status_code == 201
                acked.append(r.json()["report_id"])
        # an upload cut in the middle: headers and half of the body, then the server dies
        port = int(base.rsplit(":", 1)[1])
        boundary = "b0undary"
        lat, lon = point(rnd)
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\nobstacle\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="lat"\r\n\r\n{lat}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="lon"\r\n\r\n{lon}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="id"\r\n\r\nCUT-1\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="photos"; filename="p.jpg"\r\n'
            "Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        total = len(head) + 2_000_000
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(
                (
                    f"POST /api/v1/reports HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
                    f"Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {total}\r\n\r\n"
                ).encode()
                + head
                + b"\xff\xd8\xff" * 300_000
            )
            time.sleep(0.5)
            proc.kill()
            proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    with sqlite3.connect(ws / "surveys.gpkg") as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        ids = [r[0] for r in con.execute("SELECT fid FROM surveys ORDER BY fid")]
        refs = [r[0] for r in con.execute("SELECT ref FROM surveys")]
        history = con.execute("SELECT COUNT(*) FROM survey_history").fetchone()[0]
    assert ids == acked and "CUT-1" not in refs and history == len(acked)
    # the server starts again on the same store and takes reports
    proc, base = start_server(ws, tmp_path / "server2.log")
    try:
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
            assert len(client.get("/api/v1/reports").json()["reports"]) == len(acked)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
