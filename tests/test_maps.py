"""Maps: what they show (as data), their text, and the pages in headless Chromium:
offline, with the base map's street names drawn, accessible (axe-core), and inert
whatever names the data hold."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest

from accessibility import City
from accessibility.i18n import use_language
from accessibility.outputs.maps import (
    ATTRIBUTION,
    COLOURS,
    PLAN_UNCLUSTERED,
    MapPage,
    TileLayer,
    _script_json,
    plan_map,
    route_map,
    score_map,
    unreachable_map,
)
from accessibility.outputs.plan_report import plan_table

HOSTILE = {
    "street": "Via `+alert(document.domain)+`",
    "pharmacy": "Farmacia ${alert(document.cookie)}",
    "sports": "</script><script>alert(1)</script>",
    "cafe": "javascript:alert(1)",
    "survey": "Scala ${alert(document.cookie)}",
    "area": "<img src=x onerror=alert(3)>",
}


# --- tiny cities ---------------------------------------------------------------------------


def tiny_city(osm_file, names: dict[str, str] | None = None) -> City:
    """Via Roma (residents) on row 0; a sports centre beyond a raised kerb; a pharmacy beyond
    two flights of steps; a café for the base map (as ``test_planning.tiny_city``)."""
    names = names or {"street": "Via Roma", "pharmacy": "Farmacia Centrale", "sports": "Palestra", "cafe": "Bar"}
    ways = [
        (1, list(range(0, 11)), {"highway": "residential", "name": names["street"]}),
        (6, [0, 100, 200], {"highway": "footway"}),
        (2, [10, 15], {"highway": "steps", "step_count": "3"}),
        (3, [15, 20], {"highway": "footway"}),
        (4, [20, 25], {"highway": "steps", "step_count": "2"}),
        (5, [25, 30], {"highway": "footway"}),
    ]
    nodes = {
        100: {"kerb": "raised", "kerb:height": "0.10"},
        31: {"amenity": "pharmacy", "name": names["pharmacy"]},
        201: {"leisure": "sports_centre", "name": names["sports"]},
        305: {"amenity": "cafe", "name": names["cafe"]},
    }
    return City.build(osm=[osm_file(ways, nodes)], name="tiny")


def test_script_json_cannot_close_its_element() -> None:
    text = _script_json({"a": "</script><script>alert(1)</script>", "b": "<!--", "c": "\u2028&"})
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == {"a": "</script><script>alert(1)</script>", "b": "<!--", "c": "\u2028&"}


def test_tile_urls_are_checked() -> None:
    from accessibility.errors import InputError

    layer = TileLayer.parse("https://tile.example.org/{z}/{x}/{y}.png", "© Example")
    assert (layer.url, layer.attribution) == ("https://tile.example.org/{z}/{x}/{y}.png", "© Example")
    assert TileLayer.parse("http://127.0.0.1/{z}/{x}/{y}.png").attribution == ATTRIBUTION
    for bad in ("javascript:alert(1)//{z}{x}{y}", "https://tile.example.org/tile.png", "file:///{z}/{x}/{y}"):
        with pytest.raises(InputError, match="tile URL"):
            TileLayer.parse(bad)


def test_plan_map_numbers_every_funded_intervention_first_on_top(osm_file) -> None:
    city = tiny_city(osm_file)
    plan = city.plan(1_000_000, profiles=["manual_wheelchair"], residents=1000)
    table = plan_table(plan, "en")
    page = plan_map(table, "en", basemap=city.basemap)
    numbers = page.layer("interventions")["features"]
    funded = table[table["within_budget"]]
    assert [f["rank"] for f in numbers if f["funded"]] == sorted(funded["rank"].tolist())
    assert [f["rank"] for f in numbers] == sorted(f["rank"] for f in numbers)  # drawn first = on top
    assert [f["cluster"] for f in numbers] == [i >= PLAN_UNCLUSTERED for i in range(len(numbers))]
    # popups in the page's number format
    with use_language("it"):
        page_it = plan_map(plan_table(plan, "it"), "it")
    costs = [line for f in page_it.layer("interventions")["features"] for line in f["text"] if "€" in line]
    expected = [f"{int(c) // 1000}.{int(c) % 1000:03d}\xa0€" for c in table.sort_values("rank")["cost"] if c >= 1000]
    assert costs and [c.split(": ")[-1] for c in costs] == expected[: len(costs)], costs
    assert page_it.lang == "it" and '<html lang="it">' in page_it.render()


def test_route_map_layers_legend_and_text_alternative(helsinki_city: City) -> None:
    route = helsinki_city.route((60.1699, 24.9384), (60.1718, 24.9414), profile="manual_wheelchair", lang="en")
    assert route.found and route.barriers_avoided
    page = route_map(route, basemap=helsinki_city.basemap)
    assert page.layer("route")["style"]["color"] == COLOURS["route"]
    assert page.layer("walk")["style"]["color"] == COLOURS["walk"]
    assert len(page.layer("barriers")["features"]) == len(route.barriers_avoided)
    legend = [item.text for item in page.legend]
    assert "Accessible route (Manual wheelchair)" in legend and "Barriers avoided" in legend
    assert "Buildings" in legend and "Streets (names along them when you zoom in)" in legend
    html = page.render()
    directions = re.search(r"<h3>Directions</h3><ol>(.*?)</ol>", html)
    assert directions and directions.group(1).count("<li>") == len(route.directions)
    assert f"<title>{page.title}</title>" in html and '<html lang="en">' in html
    assert not re.search(r"<script[^>]+src=", html), "a script is loaded from outside the page"
    assert not re.search(r"<link[^>]+href=", html), "a stylesheet is loaded from outside the page"
    assert "window.ACCESSIBILITY_BASEMAP" in html and "protomapsL" in html
    assert ATTRIBUTION in html


def test_italian_route_map(helsinki_city: City) -> None:
    route = helsinki_city.route((60.1699, 24.9384), (60.1718, 24.9414), profile="manual_wheelchair", lang="it")
    html = route_map(route, basemap=helsinki_city.basemap).render()
    assert '<html lang="it">' in html and '<h2 id="legend-h">Legenda</h2>' in html
    assert "Percorso accessibile (Sedia a rotelle manuale)" in html and "Indicazioni" in html
    assert re.search(r"\d,\d\d volte il percorso a piedi", html)  # Italian decimal comma


def test_map_without_base_map_draws_the_network(osm_file) -> None:
    city = tiny_city(osm_file)
    route = city.route((45.13, 10.02), (45.13, 10.0209), lang="en")
    page = route_map(route, network=city.network)
    assert page.network and not page.basemap
    assert "Footways and streets of the mapped network" in [i.text for i in page.legend]


# --- pages in Chromium -------------------------------------------------------------------------


def open_map(page, path: Path) -> None:
    page.goto(path.as_uri())
    page.wait_for_function("window.accessibilityMap !== undefined", timeout=20000)
    page.evaluate("window.accessibilityMap.ready")


def street_names_at(page, lat: float, lon: float, zoom: float = 17) -> list[str]:
    page.evaluate(f"void window.accessibilityMap.map.setView([{lat}, {lon}], {zoom}, {{animate: false}})")
    page.wait_for_timeout(200)
    page.evaluate("window.accessibilityMap.idle()")
    page.wait_for_timeout(300)
    return page.evaluate("window.accessibilityMap.labelsInView()")


def serious_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    result = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} x{len(v['nodes'])}"
        for v in result.response["violations"]
        if v["impact"] in {"serious", "critical"}
    ]


def open_every_text(page) -> None:
    """Open the tooltip and popup of every feature of the page (where injected code would run)."""
    page.evaluate(
        """() => {
        const m = window.accessibilityMap;
        Object.values(m.layers).forEach(group => group.eachLayer(function visit(layer) {
            if (layer.eachLayer) { layer.eachLayer(visit); return; }
            if (layer.getTooltip && layer.getTooltip()) { layer.openTooltip(); layer.closeTooltip(); }
            if (layer.getPopup && layer.getPopup()) { layer.openPopup(); layer.closePopup(); }
        }));
    }"""
    )


def longest_named_edge(city: City) -> tuple[str, tuple[float, float], tuple[float, float], tuple[float, float]]:
    """The longest named way of the network: its name, middle and ends (lat, lon)."""
    import geopandas as gpd

    best = max(
        ((d["name"], d["geometry"]) for _, _, d in city.network.edges(data=True) if isinstance(d.get("name"), str)),
        key=lambda nd: nd[1].length,
    )
    line = gpd.GeoSeries([best[1]], crs=city.crs).to_crs(4326).iloc[0]
    mid = line.interpolate(0.5, normalized=True)
    (x0, y0), (x1, y1) = line.coords[0], line.coords[-1]
    return best[0], (mid.y, mid.x), (y0, x0), (y1, x1)


@pytest.fixture(scope="module")
def milan_poi_city():
    """Milan with its POI layer (wheelchair.osm): facilities for the audit and plan maps."""
    from realdata import MILAN, need

    return City.build(
        osm=[need(MILAN / f"{n}.osm.xz") for n in ("sidewalk", "crossing", "kerb", "wheelchair")], name="Milano"
    )


@pytest.fixture(scope="module")
def real_pages(helsinki_city, milan_poi_city, tmp_path_factory) -> dict[str, dict]:
    """Every kind of map of Helsinki and Milan, written as the commands write them."""
    from accessibility.outputs.export import write_audit

    out = tmp_path_factory.mktemp("maps")
    pages: dict[str, dict] = {}
    for key, city in (("helsinki", helsinki_city), ("milan", milan_poi_city)):
        name, middle, start, end = longest_named_edge(city)
        route = city.route(start, end, lang="en")
        route_map(route, basemap=city.basemap).save(out / f"{key}_route.html", share_basemap=False)
        result = city.audit(profiles=["walk", "manual_wheelchair"], categories=["pharmacy", "library"])
        write_audit(result, out / f"{key}_audit", lang="en", basemap=city.basemap, network=city.network)
        plan = city.plan(150_000, profiles=["manual_wheelchair"], categories=["pharmacy"], residents=100_000)
        table = plan_table(plan, "en")
        plan_map(table, "en", basemap=city.basemap).save(out / f"{key}_plan.html", share_basemap=False)
        pages[key] = {
            "street": name,
            "middle": middle,
            "funded": int(table["within_budget"].sum()),
            "route": out / f"{key}_route.html",
            "score": out / f"{key}_audit" / "maps" / "score_manual_wheelchair.html",
            "unreachable": out / f"{key}_audit" / "maps" / "unreachable_manual_wheelchair.html",
            "plan": out / f"{key}_plan.html",
        }
    return pages


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["route", "score", "unreachable", "plan"])
@pytest.mark.parametrize("city", ["helsinki", "milan"])
def test_real_map_pages(real_pages, browser, city: str, kind: str) -> None:
    """Every map page: offline, its language and title, street names drawn at street zoom,
    a legend and a text alternative, no serious axe-core violation."""
    page, log = browser
    info = real_pages[city]
    open_map(page, info[kind])
    assert page.evaluate("document.documentElement.lang") == "en"
    assert page.title().strip() and page.inner_text("h1").strip() == page.title().strip()
    assert page.inner_text("#legend").strip() and page.inner_text("#about").strip()
    assert ATTRIBUTION in page.inner_text(".leaflet-control-attribution")
    violations = serious_violations(page)
    names = street_names_at(page, *info["middle"])
    log.assert_clean()
    assert not violations, violations
    assert names, f"no street name drawn around {info['street']}"
    assert info["street"] in names, (info["street"], names)


@pytest.mark.slow
@pytest.mark.parametrize("city", ["helsinki", "milan"])
def test_plan_marker_one_is_on_top_and_clickable(real_pages, browser, city: str) -> None:
    page, log = browser
    open_map(page, real_pages[city]["plan"])
    assert page.locator("#map .plan-number.funded").count() >= 1
    # with the keyboard alone: Tab reaches marker 1 first among the map's features, Enter opens it
    names = []
    for _ in range(4):
        page.keyboard.press("Tab")
        names.append(page.evaluate("document.activeElement.getAttribute('aria-label') || ''"))
        if names[-1].startswith("1. "):
            break
    page.keyboard.press("Enter")
    page.wait_for_timeout(300)
    by_keyboard = page.inner_text(".leaflet-popup-content") if page.locator(".leaflet-popup-content").count() else ""
    page.evaluate("window.accessibilityMap.map.closePopup()")
    marker = page.locator("#map .plan-number", has_text=re.compile(r"^1$"))
    assert page.get_attribute("#map .leaflet-marker-icon:has(.plan-number) >> nth=0", "aria-label")
    box = marker.bounding_box()
    assert box, "marker 1 is not drawn"
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    on_top = page.evaluate(f"document.elementFromPoint({x}, {y}).closest('.leaflet-marker-icon').textContent")
    assert on_top == "1", f"marker {on_top} lies over marker 1"
    page.mouse.click(x, y)
    page.wait_for_selector(".leaflet-popup-content", timeout=5000)
    popup = page.inner_text(".leaflet-popup-content")
    inside = page.evaluate(
        """() => { const r = document.querySelector('.leaflet-popup').getBoundingClientRect();
                   return r.left >= 0 && r.top >= 0 && r.right <= innerWidth && r.bottom <= innerHeight; }"""
    )
    # clusters say the best rank they hold: never one of the first, drawn on their own
    firsts = page.evaluate(
        "Array.from(document.querySelectorAll('#map .plan-cluster')).map(e => parseInt(e.textContent))"
    )
    log.assert_clean()
    assert names[-1].startswith("1. "), names
    assert by_keyboard.startswith("1. "), by_keyboard
    assert popup.startswith("1. ") and "Cost: €" in popup, popup
    assert inside, "the popup runs off the screen"
    assert all(f > PLAN_UNCLUSTERED for f in firsts), firsts


@pytest.mark.slow
def test_map_pages_on_a_phone(real_pages, browser) -> None:
    """At 360 px the map comes first and the legend below it, nothing wider than the screen."""
    page, log = browser
    page.set_viewport_size({"width": 360, "height": 740})
    open_map(page, real_pages["milan"]["plan"])
    widths = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
    map_box, legend_box = page.locator("#map").bounding_box(), page.locator("#legend").bounding_box()
    log.assert_clean()
    assert widths[0] <= widths[1], widths
    assert map_box and legend_box and legend_box["y"] >= map_box["y"] + map_box["height"] - 1


# --- hostile names -----------------------------------------------------------------------------


def test_hostile_names_never_run(osm_file, tmp_path: Path, browser) -> None:
    """Names from OSM tags, survey files and registries land in tooltips, popups, legends
    and lists of every map: none of them runs, and each reads as written."""
    import geopandas as gpd
    from shapely import box

    from accessibility.analysis.audit import REASONS
    from accessibility.i18n import _

    city = tiny_city(osm_file, HOSTILE)
    pages: dict[str, MapPage] = {}
    walk = city.route((45.13, 10.02), (45.13, 10.0209), profile="manual_wheelchair", lang="en")
    hostile_route = copy.deepcopy(walk)
    hostile_route.barriers_avoided = [
        {
            "lat": 45.13,
            "lon": 10.0205,
            "label": "Steps",
            "description": HOSTILE["survey"],
            "osm": "survey-1",
            "street": HOSTILE["street"],
        }
    ]
    pages["route"] = route_map(hostile_route, basemap=city.basemap)
    areas = gpd.GeoDataFrame({"name": [HOSTILE["area"]]}, geometry=[box(10.019, 45.129, 10.025, 45.133)], crs=4326)
    result = city.audit(profiles=["walk", "manual_wheelchair"], categories=["pharmacy", "sports"], areas=areas)
    labels = {"pharmacy": "Pharmacies", "sports": "Sports"}
    reasons = {k: _(v) for k, v in REASONS.items()}
    pages["score"] = score_map(result.areas, "manual_wheelchair", labels, "Wheelchair", "en", basemap=city.basemap)
    assert len(result.unreachable[result.unreachable["profile"] == "manual_wheelchair"])
    pages["unreachable"] = unreachable_map(
        result.unreachable,
        result.facilities,
        "manual_wheelchair",
        "Wheelchair",
        reasons,
        labels,
        "en",
        basemap=city.basemap,
    )
    table = plan_table(city.plan(1_000_000, profiles=["manual_wheelchair"], residents=1000), "en")
    table["street"] = HOSTILE["street"]
    pages["plan"] = plan_map(table, "en", basemap=city.basemap)
    page, log = browser
    for kind, map_page in pages.items():
        path = tmp_path / f"{kind}.html"
        map_page.save(path)
        html = path.read_text(encoding="utf-8")
        assert "<script>alert(1)</script>" not in html and "<img src=x" not in html
        open_map(page, path)
        open_every_text(page)
        page.wait_for_timeout(100)
        shown = page.inner_text("body")
        log.assert_clean()
        expected = {
            "route": [HOSTILE["survey"], HOSTILE["street"]],
            "score": [HOSTILE["area"]],
            "unreachable": [HOSTILE["pharmacy"]],
            "plan": [HOSTILE["street"]],
        }[kind]
        for text in expected:
            assert text in shown, (kind, text)
    assert not log.dialogs and not log.errors


def test_route_map_without_a_route_shows_what_blocks_it(osm_file) -> None:
    from conftest import node_position

    city = tiny_city(osm_file)
    lon, lat = node_position(30)
    route = city.route((45.13, 10.02), (lat, lon), profile="manual_wheelchair", lang="en")
    assert not route.found and route.blockers
    page = route_map(route, basemap=city.basemap)
    assert page.title == "No accessible route for Manual wheelchair"
    assert [f["text"][0] for f in page.layer("barriers")["features"]] == ["Barrier blocking the walking route"] * len(
        [b for b in route.blockers if b.get("lat") is not None]
    )
    assert "Barriers blocking the walking route" in [item.text for item in page.legend]
    with pytest.raises(KeyError):
        page.layer("route")


def test_cli_tiles_option(osm_file, tmp_path: Path) -> None:
    """``--tiles URL`` adds an online layer with its attribution; a bad URL is one clear line."""
    from click.testing import CliRunner

    from accessibility.cli import main

    tiny_city(osm_file).save(tmp_path / "city")
    args = ["route", "--city", str(tmp_path / "city"), "--from", "45.13,10.02", "--to", "45.13,10.0209", "--lang", "en"]
    bad = CliRunner().invoke(main, [*args, "--map", str(tmp_path / "bad.html"), "--tiles", "javascript:alert(1)"])
    assert bad.exit_code == 2 and "is not a tile URL" in bad.output and "Traceback" not in bad.output
    assert not (tmp_path / "bad.html").exists()
    plain = CliRunner().invoke(main, [*args, "--map", str(tmp_path / "plain.html")])
    online = CliRunner().invoke(
        main,
        [
            *args,
            "--map",
            str(tmp_path / "online.html"),
            "--tiles",
            "https://t.example.org/{z}/{x}/{y}.png",
            "--tiles-attribution",
            "© Example <b>tiles</b>",
        ],
    )
    assert plain.exit_code == 0 and online.exit_code == 0, (plain.output, online.output)
    page = (tmp_path / "online.html").read_text()
    # folium's tile layer, its attribution as text (Leaflet's control takes HTML)
    layer = re.search(r"var (tile_layer_\w+) = L\.tileLayer\(\s*(\S+),\s*(\{.*?\})\s*\);", page, re.S)
    assert layer, "no tile layer in the page"
    assert json.loads(layer.group(2)) == "https://t.example.org/{z}/{x}/{y}.png"
    credit = json.loads(re.search(r'"attribution": ("[^"]*")', layer.group(3)).group(1))  # type: ignore[union-attr]
    assert credit == "© Example &lt;b&gt;tiles&lt;/b&gt;"
    assert "tile_layer_" not in (tmp_path / "plain.html").read_text()
    assert "No request is made to any server" in (tmp_path / "plain.html").read_text()


def test_legend_lists_only_what_the_base_map_holds(osm_file) -> None:
    """A base map of footways alone (Milan's kind of data) has no building or park in its legend."""
    ways = [(1, [0, 1, 2, 3], {"highway": "footway", "footway": "sidewalk", "name": "Via Larga"})]
    city = City.build(osm=[osm_file(ways)], name="sidewalks")
    route = city.route((45.13, 10.02), (45.13, 10.0203), lang="en")
    legend = [item.text for item in route_map(route, basemap=city.basemap).legend]
    assert "Footways, sidewalks and paths" in legend
    for absent in (
        "Buildings",
        "Parks and green areas",
        "Water",
        "Railways",
        "Streets (names along them when you zoom in)",
    ):
        assert absent not in legend
