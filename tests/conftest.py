"""Shared fixtures: tiny OSM files written per test, and the real data in ../shared/data."""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import quoteattr

import pytest

from realdata import HELSINKI_PBF, SHARED, milan_network_files, need  # noqa: F401  (shared with the tests)

#: Fixtures that build real cities: tests using them are marked ``slow``, so that
#: ``pytest -m "not slow"`` is a quick run on tiny fixtures only.
REAL_CITY_FIXTURES = frozenset(
    {"helsinki_city", "milan_city", "helsinki_workspace", "milan_workspace", "helsinki_plan", "helsinki_server"}
)


@pytest.fixture(autouse=True)
def english_by_default():
    """Tests read messages in English unless they ask for Italian (``use_language("it")``
    or ``lang="it"``), whatever the machine's locale; the product's default is Italian."""
    from accessibility.i18n import use_language

    with use_language("en"):
        yield


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if REAL_CITY_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


def node_position(nid: int) -> tuple[float, float]:
    """Default (lon, lat) of a test node: a 100-column grid, ~8 m apart, in Cremona."""
    return 10.02 + (nid % 100) * 0.0001, 45.13 + (nid // 100) * 0.0001


def write_osm(
    path: Path,
    ways: list[tuple[int, list[int], dict[str, str]]],
    nodes: dict[int, dict[str, str]] | None = None,
    coords: dict[int, tuple[float, float]] | None = None,
) -> Path:
    """Write a tiny OSM XML file: ways as ``(id, node ids, tags)``, node tags by id."""
    nodes = nodes or {}
    coords = coords or {}
    ids = sorted({n for _, refs, _ in ways for n in refs} | set(nodes))
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    for nid in ids:
        lon, lat = coords.get(nid, node_position(nid))
        tags = nodes.get(nid, {})
        lines.append(f'  <node id="{nid}" lat="{lat:.7f}" lon="{lon:.7f}"' + (">" if tags else "/>"))
        if tags:
            lines += [f"    <tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items()]
            lines.append("  </node>")
    for wid, refs, tags in ways:
        lines.append(f'  <way id="{wid}">')
        lines += [f'    <nd ref="{r}"/>' for r in refs]
        lines += [f"    <tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items()]
        lines.append("  </way>")
    lines.append("</osm>")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@pytest.fixture
def osm_file(tmp_path):
    """``osm_file(ways, nodes=None, coords=None, name="t.osm")`` -> path of a written file."""
    counter = iter(range(1000))

    def make(ways, nodes=None, coords=None, name=None):
        return write_osm(tmp_path / (name or f"t{next(counter)}.osm"), ways, nodes, coords)

    return make


@pytest.fixture(scope="session")
def helsinki_city():
    """Helsinki, built once per test session (do not change it: copy what you change)."""
    from accessibility import City

    return City.build(osm=[need(HELSINKI_PBF)], name="Helsinki")


@pytest.fixture(scope="session")
def milan_city():
    """Milan's sidewalk layers, built once per test session (do not change it)."""
    from accessibility import City

    return City.build(osm=[need(p) for p in milan_network_files()], name="Milano")


@pytest.fixture(scope="session")
def helsinki_workspace(helsinki_city, tmp_path_factory) -> Path:
    """The Helsinki workspace saved once; tests that write to it copy it first
    (``copy_workspace``)."""
    path = tmp_path_factory.mktemp("helsinki") / "ws"
    helsinki_city.save(path)
    return path


@pytest.fixture(scope="session")
def milan_workspace(milan_city, tmp_path_factory) -> Path:
    """The Milan workspace saved once; copy it before writing to it."""
    path = tmp_path_factory.mktemp("milano") / "ws"
    milan_city.save(path)
    return path


def copy_workspace(source: Path, target: Path) -> Path:
    """A private copy of a saved workspace (its survey store included; not the routers'
    kept hierarchies, tens of megabytes that a test which wants them builds)."""
    import shutil

    from accessibility import settings

    shutil.copytree(source, target, ignore=shutil.ignore_patterns(settings.hierarchies_folder))
    return target


class BrowserLog:
    """What a page did in the browser: every request, failed request, script error, dialog."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.failed: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []

    @property
    def external(self) -> list[str]:
        return [u for u in self.requests if not u.startswith(("file:", "data:"))]

    def assert_clean(self) -> None:
        """No script error, no dialog (a sign of injected markup), nothing failed or fetched
        from outside the page."""
        assert not self.errors and not self.dialogs, (self.errors, self.dialogs)
        assert not self.failed, self.failed
        assert not self.external, self.external


@pytest.fixture
def browser():
    """A headless Debian Chromium page (skipped when chromium is missing) and its log."""
    import shutil

    chromium = "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else shutil.which("chromium")
    if not chromium:
        pytest.skip("chromium is not installed and could not be (scripts/test.sh installs it with apt-get)")
    from playwright.sync_api import sync_playwright

    log = BrowserLog()
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        # the pages forbid inline script and eval (CSP); Playwright's wait_for_function evaluates
        # strings, so these tests bypass it (test_web_office_browser.py runs the pages under it)
        page = instance.new_page(bypass_csp=True)
        page.on("request", lambda r: log.requests.append(r.url))
        page.on("requestfailed", lambda r: log.failed.append(r.url))
        page.on("pageerror", lambda e: log.errors.append(str(e)))
        page.on("dialog", lambda d: (log.dialogs.append(d.message), d.dismiss()))
        yield page, log
        instance.close()


@pytest.fixture(scope="session")
def helsinki_server(helsinki_workspace: Path):
    """The real web application (``accessibility serve``, uvicorn) on the Helsinki
    workspace, on a free port of 127.0.0.1, once every router runs on its hub labels (so
    that answers compare with a prepared ``City``); yields its base URL. Stopped at the end."""
    import json
    import os
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = helsinki_workspace.parent / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "accessibility", "serve", "--city", str(helsinki_workspace), "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "LANGUAGE": "it"},
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while True:
        try:
            with urllib.request.urlopen(base + "/api/v1/health", timeout=2) as r:
                health = json.load(r)
                if len(health["fast_routes"]) == len(health["profiles"]):
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"the web server did not start: {log.read_text(errors='replace')[-2000:]}")
        time.sleep(0.5)
    yield base
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
