"""Route maps: their folium objects, and the page in a real headless browser, offline."""

from __future__ import annotations

import re
from pathlib import Path

import folium
import pytest

from accessibility import City
from accessibility.outputs.maps import COLOURS, route_map


@pytest.fixture(scope="module")
def route(helsinki_city: City):
    r = helsinki_city.route((60.1699, 24.9384), (60.1718, 24.9414), profile="manual_wheelchair", lang="en")
    assert r.found and r.barriers_avoided
    return r


def test_map_layers_and_legend(route) -> None:
    m = route_map(route)
    lines = [c for c in m._children.values() if isinstance(c, folium.PolyLine)]
    colours = {line.options["color"] for line in lines}
    assert {COLOURS["route"], COLOURS["walk"]} <= colours
    marks = [c for c in m._children.values() if isinstance(c, folium.CircleMarker)]
    assert len(marks) >= len(route.barriers_avoided) + 2  # barriers, start, end
    page = m.get_root().render()
    assert "Accessible route (manual_wheelchair)" in page and "Barriers avoided" in page
    assert not re.search(r"<script[^>]+src=", page), "a script is loaded from outside the page"
    assert not re.search(r"<link[^>]+href=\"http", page), "a stylesheet is loaded from outside the page"
    assert "L.map(" in page and "Leaflet" in page  # Leaflet is inlined


def test_italian_legend(route) -> None:
    route.lang = "it"
    try:
        page = route_map(route).get_root().render()
    finally:
        route.lang = "en"
    assert "Percorso accessibile (manual_wheelchair)" in page and "Legenda" in page


def test_page_loads_offline_in_chromium(route, tmp_path: Path, browser) -> None:
    page, log = browser
    page_file = tmp_path / "route.html"
    route_map(route).save(str(page_file))
    page.goto(page_file.as_uri())
    page.wait_for_selector("path.accessible-route", timeout=10000)
    drawn = page.evaluate("document.querySelectorAll('path.accessible-route').length")
    box = page.evaluate(
        "(() => { const b = document.querySelector('path.accessible-route').getBBox(); return [b.width, b.height]; })()"
    )
    legend = page.inner_text("#legend")
    log.assert_clean()
    assert drawn == 1 and max(box) > 10, "the route is not drawn"
    assert "Accessible route" in legend


def test_free_text_from_surveys_stays_inert(route) -> None:
    import copy

    hostile = copy.deepcopy(route)
    hostile.barriers_avoided[0]["description"] = "<script>alert(1)</script> & <img src=x onerror=alert(2)>"
    page = route_map(hostile).get_root().render()
    assert "<script>alert(1)</script>" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
