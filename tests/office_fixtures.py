"""The real web server (``accessibility serve``, uvicorn on 127.0.0.1) on the synthetic
Cremona grid workspace with a few accounts, for the tests of accounts, surveyors' and
office pages; and an HTTP client that logs in as a browser does."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from accessibility.accounts import AccountStore
from survey_fixtures import grid_workspace

__all__ = ["ACCOUNTS", "EN", "PASSWORD", "Server", "csrf_of", "logged_in", "start_server"]

PASSWORD = "una password lunga"
#: Tests read the pages in English unless they ask for Italian.
EN = {"Accept-Language": "en"}
#: name -> role of the accounts every server of these tests has.
ACCOUNTS = {
    "sara": "surveyor",
    "sergio": "surveyor",
    "marta": "manager",
    "admin": "admin",
    "spento": "surveyor",
}


@dataclass
class Server:
    base: str
    workspace: Path
    files: Path
    proc: subprocess.Popen
    log: Path

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def start_server(workspace: Path, log: Path) -> tuple[subprocess.Popen, str]:
    """``accessibility serve`` on a free port of 127.0.0.1, once it answers."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "accessibility", "serve", "--city", str(workspace), "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "LANGUAGE": "it"},
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(base + "/api/v1/health", timeout=2) as r:
                health = json.load(r)
                if len(health["fast_routes"]) == len(health["profiles"]):
                    return proc, base
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"the web server did not start: {log.read_text(errors='replace')[-2000:]}")
        time.sleep(0.3)


def grid_server(tmp: Path) -> Iterator[Server]:
    """A grid workspace with :data:`ACCOUNTS` (``spento`` disabled), served."""
    _city, files = grid_workspace(tmp)
    ws = tmp / "ws"
    store = AccountStore.of_workspace(ws)
    for name, role in ACCOUNTS.items():
        store.add(name, role, PASSWORD, by="test")
    store.disable("spento", by="test")
    log = tmp / "server.log"
    proc, base = start_server(ws, log)
    server = Server(base, ws, files, proc, log)
    try:
        yield server
    finally:
        server.stop()


_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, html[:500]
    return found.group(1)


def logged_in(base: str, name: str, password: str = PASSWORD) -> httpx.Client:
    """A client holding the session of ``name`` (its CSRF token in ``client.headers``)."""
    client = httpx.Client(base_url=base, timeout=60, headers=EN)
    page = client.get("/login")
    r = client.post("/login", data={"name": name, "password": password, "csrf": csrf_of(page.text)})
    assert r.status_code == 303, (r.status_code, r.text[:300])
    home = client.get(r.headers["location"])
    client.headers["X-CSRF-Token"] = csrf_of(home.text)
    return client
