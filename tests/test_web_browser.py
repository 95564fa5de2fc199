"""The citizen's page in Chromium, on the real server (Helsinki): a route planned with the
keyboard alone, drawn as the API returns it, reopened from its share link; no request
leaves 127.0.0.1; axe-core finds no serious or critical violation (both languages, desktop
and phone, before and after a route)."""

from __future__ import annotations

import json
import os
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}
#: Screenshots are written here when set (to look at them), else to the test's tmp folder.
SHOTS = os.environ.get("ACCESSIBILITY_SCREENSHOTS")


def shot(page, tmp_path: Path, name: str) -> Path:
    folder = Path(SHOTS) if SHOTS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


def local_only(requests: list[str], base: str) -> list[str]:
    """Requests that left this server (data: URIs are in the page itself)."""
    return [u for u in requests if not (u.startswith(base) or u.startswith("data:"))]


def serious(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in {"serious", "critical"}
    ]


def tab_to(page, element_id: str, most: int = 40) -> None:
    for _ in range(most):
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"#{element_id} cannot be reached with Tab")


def choose_place(page, element_id: str, text: str) -> None:
    """Type into a place field and choose the first suggestion with the keyboard."""
    page.keyboard.type(text, delay=20)
    page.wait_for_selector(f"#{element_id.replace('-input', '-list')} li", state="visible")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")


#: The page's base map has drawn its tiles (the workspace's archive, from this server).
BASEMAP_DRAWN = (
    "window.accessibilityApp && window.accessibilityApp.base.basemap"
    " && Object.keys(window.accessibilityApp.base.basemap._tiles).length > 0"
    " && !window.accessibilityApp.base.basemap.isLoading()"
)


def api_route(base: str, query: dict[str, str]) -> dict:
    url = f"{base}/api/v1/route?" + urllib.parse.urlencode(query)
    with urllib.request.urlopen(url) as r:
        return json.load(r)


def test_keyboard_route_share_link_and_no_external_request(helsinki_server: str, browser, tmp_path: Path) -> None:
    page, log = browser
    base = helsinki_server
    page.set_viewport_size(DESKTOP)
    page.goto(base + "/?lang=en")
    # the workspace's base map, read by byte ranges from this server, draws streets with their names
    page.wait_for_function(BASEMAP_DRAWN, timeout=20000)
    assert "network" not in page.evaluate("Object.keys(window.accessibilityApp.base)")
    assert any(r.endswith("/basemap.pmtiles") for r in log.requests), "the archive comes from this server"
    # keyboard only: from the top of the page
    tab_to(page, "from-input")
    choose_place(page, "from-input", "Kaivokatu")
    tab_to(page, "to-input")
    choose_place(page, "to-input", "Aleksanterinkatu")
    page.keyboard.press("Enter")  # the form's implicit submission
    page.wait_for_selector("#directions li")
    steps = page.locator("#directions li").all_inner_texts()
    assert len(steps) >= 2 and steps[-1] == "you have arrived"
    assert any("Kaivokatu" in s or "Aleksanterinkatu" in s for s in steps), steps
    assert page.evaluate("document.activeElement.id") == "result-title", "focus moves to the result"
    assert "Route found" in page.locator("#status").inner_text()
    page.wait_for_timeout(600)  # the map's zoom animation
    shot(page, tmp_path, "desktop-route-en")

    # the route drawn is the one the API gives for the same query
    url = urllib.parse.urlparse(page.url)
    query = dict(urllib.parse.parse_qsl(url.query))
    assert {"from", "to", "profile"} <= set(query)
    api = api_route(base, {k: v for k, v in query.items() if k not in {"from_label", "to_label"}})
    drawn = page.evaluate("window.accessibilityApp.route()")
    assert drawn["geometry"]["coordinates"] == api["features"][0]["geometry"]["coordinates"]
    assert api["features"][0]["properties"]["directions"] == steps

    # the share link reopens the same route
    shared = page.url
    page.goto("about:blank")
    page.goto(shared)
    page.wait_for_selector("#directions li")
    assert page.evaluate("window.accessibilityApp.route()")["geometry"] == drawn["geometry"]
    assert page.locator("#from-input").input_value() == query["from_label"]

    assert not log.errors and not log.dialogs, (log.errors, log.dialogs)
    assert not log.failed, log.failed
    assert not local_only(log.requests, base), local_only(log.requests, base)


def test_nearest_and_walkshed(helsinki_server: str, browser, tmp_path: Path) -> None:
    page, log = browser
    base = helsinki_server
    page.set_viewport_size(DESKTOP)
    page.goto(base + "/?lang=it&from=60.1699,24.9384&from_label=Partenza&nearest=pharmacy&profile=walker")
    page.wait_for_selector("#directions li")
    assert "Farmacia" in page.locator("#result-body").inner_text()
    page.click("#reach")
    page.wait_for_function("document.querySelector('#result-title').textContent === 'Dove si può arrivare'")
    assert page.locator("#result-body li").count() == 3
    page.wait_for_timeout(600)  # the map's zoom animation
    shot(page, tmp_path, "desktop-reach-it")
    assert not log.errors, log.errors
    assert not local_only(log.requests, base)


def test_nearest_facility_shows_its_sheet_and_usable_only(helsinki_server: str, browser) -> None:
    """The route to the nearest gym shows what the gym's sheet says for the chosen profile, as
    the API gives it; "usable only" asks the server for usable ones and says so when none is."""
    page, log = browser
    base = helsinki_server
    page.set_viewport_size(DESKTOP)
    page.goto(base + "/?lang=it&from=60.1699,24.9384&nearest=gym&profile=manual_wheelchair")
    page.wait_for_selector(".sheet details")
    route = page.evaluate("window.accessibilityApp.route()")
    osm = route["properties"]["facility"]["osm"].replace("/", "-")
    with urllib.request.urlopen(f"{base}/api/v1/facilities/{osm}/sheet?lang=it") as r:
        sheet = json.load(r)
    use = sheet["usable"]["manual_wheelchair"]
    status = page.locator(".sheet .sheet-status").inner_text()
    assert use["profile_label"] in status and use["status_label"] in status
    assert page.locator(".sheet dt").count() == len(sheet["fields"])
    # only usable ones: the page sends usable_by and shows the server's sentence when none is
    page.check("#usable-only")
    with page.expect_response(lambda r: "/api/v1/nearest?" in r.url and "usable_by=manual_wheelchair" in r.url) as info:
        page.click("#go")
    answer = info.value
    if answer.status == 404:  # none usable: the page says the server's sentence
        message = answer.json()["error"]["message"]
        page.wait_for_function("m => document.querySelector('#status').textContent.includes(m)", arg=message)
    else:
        page.wait_for_selector(".sheet .sheet-status")
        assert "usable=1" in page.url
    assert not log.errors, log.errors
    assert not local_only(log.requests, base)


@pytest.mark.parametrize("lang", ["it", "en"])
@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_axe_finds_no_serious_violation(
    helsinki_server: str, browser, tmp_path: Path, lang: str, viewport: str
) -> None:
    page, log = browser
    base = helsinki_server
    page.set_viewport_size(DESKTOP if viewport == "desktop" else PHONE)
    page.goto(f"{base}/?lang={lang}")
    page.wait_for_function(BASEMAP_DRAWN, timeout=20000)
    assert serious(page) == []
    # with a route, its results, and the limits panel open
    page.goto(f"{base}/?lang={lang}&from=60.1699,24.9384&to=60.1720,24.9450&profile=manual_wheelchair&max_kerb_cm=3")
    page.wait_for_selector("#directions li, #blockers li, #result-body p")
    page.locator("#custom").evaluate("d => d.open = true")
    assert serious(page) == []
    shot(page, tmp_path, f"{viewport}-route-{lang}")
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, tmp_path, f"{viewport}-top-{lang}")
    # no horizontal scrolling on a phone
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert not log.errors, log.errors
    assert not local_only(log.requests, base)


def test_api_docs_load_their_assets_locally(helsinki_server: str, browser) -> None:
    page, log = browser
    page.goto(helsinki_server + "/api/docs")
    page.wait_for_selector(".swagger-ui .opblock", timeout=30000)
    assert page.locator(".opblock").count() >= 9
    assert not local_only(log.requests, helsinki_server), local_only(log.requests, helsinki_server)
    assert not log.errors, log.errors


def test_sliders_are_labelled_and_announce_units(helsinki_server: str, browser) -> None:
    page, _log = browser
    page.goto(helsinki_server + "/?lang=it")
    page.locator("#custom summary").focus()
    page.keyboard.press("Enter")
    slider = page.locator("#max_kerb_cm")
    assert page.locator("label[for=max_kerb_cm]").inner_text() == "Cordolo più alto che si riesce a superare"
    assert slider.get_attribute("aria-valuetext") == "2,5 cm"  # the wheelchair's own limit
    slider.focus()
    page.keyboard.press("ArrowRight")
    assert slider.get_attribute("aria-valuetext") == "3 cm"
    page.locator("#profile-walk").check()
    assert slider.get_attribute("aria-valuetext") == "nessun limite"
