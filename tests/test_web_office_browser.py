"""The surveyors' and the office's pages in Chromium, on the real server (the synthetic
Cremona grid): a surveyor on a phone logs in, sends a report with a photo and the GPS
position, sees it listed, and one made offline is sent when the phone is online again;
the office verifies it; the citizen's wheelchair route changes accordingly. axe-core finds
no serious or critical violation on the login, report, review and plan pages."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_web_office import jpeg_with_gps, mid_edge

from office_fixtures import PASSWORD, Server, grid_server
from survey_fixtures import node_ll

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}
SHOTS = os.environ.get("ACCESSIBILITY_SCREENSHOTS")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from grid_server(tmp_path_factory.mktemp("office-browser"))


@pytest.fixture
def chromium():
    path = "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else shutil.which("chromium")
    if not path:
        pytest.skip("chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=path, args=["--no-sandbox"])
        yield instance
        instance.close()


class Watch:
    """What a page did: requests, script errors, dialogs (a sign of injected markup)."""

    def __init__(self, page, base: str) -> None:
        self.base = base
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("console", lambda m: self.errors.append(m.text) if "Content Security Policy" in m.text else None)
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))

    def assert_clean(self) -> None:
        assert not self.errors and not self.dialogs, (self.errors, self.dialogs)
        outside = [u for u in self.requests if not (u.startswith(self.base) or u.startswith(("data:", "blob:")))]
        assert not outside, outside


def shot(page, tmp_path: Path, name: str) -> None:
    folder = Path(SHOTS) if SHOTS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=False)


def serious(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in {"serious", "critical"}
    ]


def login(page, base: str, name: str, lang: str = "en") -> None:
    page.goto(f"{base}/login?lang={lang}")
    page.fill("#name", name)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_load_state("networkidle")


def route_geometry(page, base: str, a: tuple[float, float], b: tuple[float, float]) -> dict:
    page.goto(f"{base}/?lang=en&from={a[0]},{a[1]}&to={b[0]},{b[1]}&profile=manual_wheelchair")
    page.wait_for_selector("#directions li, #blockers li")
    return page.evaluate("window.accessibilityApp.route() && window.accessibilityApp.route().geometry")


def test_report_from_a_phone_verified_by_the_office_changes_the_route(server: Server, chromium, tmp_path: Path) -> None:
    base = server.base
    a, b = node_ll(1, 0), node_ll(1, 3)
    citizen = chromium.new_page(viewport=DESKTOP)
    citizen_watch = Watch(citizen, base)
    before = route_geometry(citizen, base, a, b)
    assert before and before["coordinates"]

    # the barrier is reported in the middle of the route the wheelchair takes now
    coords = before["coordinates"]
    k = len(coords) // 2
    lon, lat = ((coords[k - 1][0] + coords[k][0]) / 2, (coords[k - 1][1] + coords[k][1]) / 2)
    phone = chromium.new_context(
        viewport=PHONE, geolocation={"latitude": lat, "longitude": lon, "accuracy": 6}, permissions=["geolocation"]
    )
    page = phone.new_page()
    watch = Watch(page, base)
    login(page, base, "sara")
    assert page.url.endswith("/survey")
    assert serious(page) == []
    shot(page, tmp_path, "phone-report-en")
    page.click("#locate")
    page.locator("#gps-status", has_text="accuracy 6 m").wait_for()
    assert page.input_value("#lat") == f"{lat:.7f}"
    page.check('input[name="kind"][value="steps"]')
    assert page.is_visible("#step_count") and not page.is_visible("#kerb_height_cm")
    page.fill("#step_count", "3")
    page.fill("#description", "<img src=x onerror=alert(1)> tre gradini")
    page.set_input_files(
        "#photos", files=[{"name": "gradini.jpg", "mimeType": "image/jpeg", "buffer": jpeg_with_gps()}]
    )
    page.click("#send")
    page.locator("#status", has_text="Report number").wait_for()
    report_id = int(page.inner_text("#status").split("number ")[1].split(" ")[0].rstrip("."))
    assert "Sent:" in page.inner_text("#queue")

    # offline: kept on the phone, sent when online again
    phone.set_offline(True)
    page.check('input[name="kind"][value="obstacle"]')
    page.fill("#lat", f"{mid_edge(3, 2)[0]:.7f}")
    page.fill("#lon", f"{mid_edge(3, 2)[1]:.7f}")
    page.click("#send")
    page.locator("#status", has_text="No connection").wait_for()
    assert "Waiting:" in page.inner_text("#queue")
    phone.set_offline(False)
    page.locator("#queue li", has_text="Waiting:").wait_for(state="detached", timeout=30000)
    assert page.inner_text("#queue").count("Sent:") == 2

    page.goto(base + "/survey/mine")
    row = page.locator(f"#report-{report_id}")
    assert "Steps" in row.inner_text() and "reported" in row.inner_text()
    assert row.locator("img").evaluate("img => img.complete && img.naturalWidth > 0")
    assert page.locator("#mine tbody tr").count() == 2
    shot(page, tmp_path, "phone-mine-en")
    page.evaluate("document.querySelector('.photos a') && document.querySelector('.photos a').focus()")
    watch.assert_clean()

    # the office verifies it (desktop)
    office = chromium.new_page(viewport=DESKTOP)
    office_watch = Watch(office, base)
    login(office, base, "marta")
    assert office.url.endswith("/office/review")
    assert serious(office) == []
    office.check(f"#sel-{report_id}")
    office.select_option("#action", "verified")
    office.fill("#note", "visto sul posto")
    office.click("#apply")
    office.wait_for_selector("#results")
    assert f"report {report_id}: reported → verified" in office.inner_text("#results")
    office.goto(base + "/office/review?status=all")
    shot(office, tmp_path, "desktop-review-en")
    office.goto(base + "/office/plan")
    assert serious(office) == []
    office.click("#compute")
    office.locator("#plan-table tbody tr").first.wait_for(timeout=60000)
    funded_big = office.locator("#plan-table tbody tr.funded").count()
    office.fill("#budget", "1")
    assert office.locator("#plan-table tbody tr.funded").count() <= funded_big
    office.fill("#budget", "1.000.000")
    assert office.locator("#plan-table tbody tr.funded").count() >= funded_big
    assert serious(office) == []
    shot(office, tmp_path, "desktop-plan-en")
    office_watch.assert_clean()

    # the citizen's wheelchair route no longer takes the steps
    after = route_geometry(citizen, base, a, b)
    assert after != before
    citizen_watch.assert_clean()


@pytest.mark.parametrize("lang", ["it", "en"])
@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_axe_and_keyboard_on_the_login_and_report_pages(
    server: Server, chromium, tmp_path: Path, lang: str, viewport: str
) -> None:
    page = chromium.new_page(viewport=DESKTOP if viewport == "desktop" else PHONE)
    watch = Watch(page, server.base)
    page.goto(f"{server.base}/login?lang={lang}")
    assert serious(page) == []
    shot(page, tmp_path, f"{viewport}-login-{lang}")
    # keyboard alone: Tab to the name field, type, Tab, type, Enter
    for _ in range(10):
        if page.evaluate("document.activeElement.id") == "name":
            break
        page.keyboard.press("Tab")
    page.keyboard.type("marta")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/office/review")
    page.goto(f"{server.base}/survey?lang={lang}")
    assert serious(page) == []
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    shot(page, tmp_path, f"{viewport}-report-{lang}")
    page.goto(f"{server.base}/office/review?status=all&lang={lang}")
    assert serious(page) == []
    shot(page, tmp_path, f"{viewport}-review-{lang}")
    page.goto(f"{server.base}/office/plan?lang={lang}")
    assert serious(page) == []
    page.goto(f"{server.base}/office/audit?lang={lang}")
    assert serious(page) == []
    watch.assert_clean()


def test_audit_report_and_maps_run_under_the_csp(server: Server, chromium, tmp_path: Path) -> None:
    page = chromium.new_page(viewport=DESKTOP)
    watch = Watch(page, server.base)
    login(page, server.base, "marta")
    page.goto(server.base + "/office/audit")
    with page.expect_navigation(timeout=120000):
        page.click("#recompute")
    page.locator("#audit-report").wait_for()
    maps = [a.get_attribute("href") for a in page.locator("main ul li a").all()]
    assert "/office/audit/files/report.html" in maps and len(maps) >= 2
    for href in maps[:3]:
        page.goto(server.base + href)
        page.wait_for_load_state("networkidle")
    shot(page, tmp_path, "desktop-audit-map")
    watch.assert_clean()
