"""The facility sheet (scheda impianto) filled in the web form, asked of the real server
(uvicorn on 127.0.0.1) on the tiny city of ``tests/data/facilities/make_city.py`` (a pool
whose OSM tags say nothing of its changing room): stored and reviewed like an imported
facility survey, applied to the sheet once verified; in Chromium, axe-core finds no
serious or critical violation on the form at desktop and phone sizes."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from accessibility import City
from accessibility.accounts import AccountStore
from office_fixtures import ACCOUNTS, PASSWORD, Server, csrf_of, logged_in, start_server

DATA = Path(__file__).parent / "data" / "facilities"
POOL = "way/20"  # Piscina Comunale
SHOTS = os.environ.get("ACCESSIBILITY_SCREENSHOTS")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("facility-web")
    city = City.build(osm=[DATA / "tiny_pool.osm"], name="Piccola")
    city.area = city.area.set_geometry(city.area.buffer(200))  # the street and 200 m around
    ws = tmp / "ws"
    city.save(ws)
    store = AccountStore.of_workspace(ws)
    for name, role in ACCOUNTS.items():
        store.add(name, role, PASSWORD, by="test")
    proc, base = start_server(ws, tmp / "server.log")
    server = Server(base, ws, tmp, proc, tmp / "server.log")
    try:
        yield server
    finally:
        server.stop()


def _form(client, path: str = "/survey/facility") -> tuple[str, str]:
    page = client.get(path)
    assert page.status_code == 200, page.text[:300]
    return page.text, csrf_of(page.text)


def test_sheet_sent_listed_verified_and_applied(server: Server) -> None:
    sara = logged_in(server.base, "sara")
    sara.headers.pop("X-CSRF-Token")  # a plain form post, as without JavaScript
    html, token = _form(sara, "/survey/facility?facility=way-20")
    assert 'href="/survey/facility"' in html and 'aria-current="page"' in html
    assert re.search(r'<option value="way/20" selected>Piscina Comunale \(', html)
    assert 'name="changing_room" value="limitato"' in html and 'name="pool_hoist" value="limitato"' not in html
    before = sara.get("/api/v1/facilities/way-20/sheet").json()
    assert {f["field"]: f for f in before["fields"]}["changing_room"]["source"] != "survey"
    r = sara.post(
        "/survey/facility",
        data={"csrf": token, "facility": POOL, "changing_room": "si", "shower": "si", "door_width": "90"},
    )
    assert r.status_code == 303, r.text[:500]
    rid = int(r.headers["location"].split("sent=")[1])
    mine = sara.get("/api/v1/reports").json()["reports"]
    report = next(x for x in mine if x["id"] == rid)
    assert (report["kind"], report["status"], report["surveyor"], report["street"]) == (
        "facility",
        "reported",
        "sara",
        "Piscina Comunale",
    )
    assert f'id="report-{rid}"' in sara.get("/survey/mine").text
    marta = logged_in(server.base, "marta")
    queue = marta.get("/office/review?status=reported&lang=it", headers={"Accept-Language": "it"}).text
    row = re.search(rf'id="report-{rid}".*?</tr>', queue, re.S)
    assert row and "scheda impianto" in row.group(0) and "Piscina Comunale" in row.group(0)
    # not verified yet: the sheet still says what OSM says
    doc = marta.get("/api/v1/facilities/way-20/sheet").json()
    assert {f["field"]: f for f in doc["fields"]}["changing_room"]["source"] != "survey"
    assert marta.post(f"/api/v1/reports/{rid}/review", data={"status": "verified"}).status_code == 200
    doc = marta.get("/api/v1/facilities/way-20/sheet").json()
    fields = {f["field"]: f for f in doc["fields"]}
    assert fields["changing_room"]["value"] == "yes" and fields["changing_room"]["source"] == "survey"
    assert f"survey/{rid}" in fields["changing_room"]["element"]
    assert fields["shower"]["value"] == "yes" and fields["shower"]["source"] == "survey"
    # an entrance answer describes the entrance the surveyor used: one more entrance
    doors = [f for e in doc["entrances"] for f in e["fields"] if f["field"] == "door_width"]
    assert any(f["source"] == "survey" for f in doors), doors


def test_bad_number_is_refused_beside_its_field_and_the_rest_kept(server: Server) -> None:
    sara = logged_in(server.base, "sara")
    sara.headers.pop("X-CSRF-Token")
    _html, token = _form(sara)
    before = len(sara.get("/api/v1/reports").json()["reports"])
    r = sara.post(
        "/survey/facility",
        data={"csrf": token, "facility": POOL, "door_width": "largo", "toilet": "limitato", "description": "ingresso"},
    )
    assert r.status_code == 422
    assert re.search(r'id="e-door_width">[^<]*not a length', r.text)
    assert 'id="e-toilet"' not in r.text
    assert 'name="toilet" value="limitato" checked' in r.text and ">ingresso</textarea>" in r.text
    assert re.search(r'<option value="way/20" selected>', r.text)
    none = sara.post("/survey/facility", data={"csrf": token, "changing_room": "si"})
    assert none.status_code == 422 and 'id="e-facility"' in none.text
    assert len(sara.get("/api/v1/reports").json()["reports"]) == before


def test_sheet_photo_is_stored_cleaned_with_the_survey(server: Server) -> None:
    from test_web_office import jpeg_with_gps

    sara = logged_in(server.base, "sara")
    sara.headers.pop("X-CSRF-Token")
    _html, token = _form(sara)
    r = sara.post(
        "/survey/facility",
        data={"csrf": token, "facility": POOL, "lift": "no"},
        files=[("photos", ("ingresso.jpg", jpeg_with_gps(), "image/jpeg"))],
    )
    assert r.status_code == 303, r.text[:300]
    rid = int(r.headers["location"].split("sent=")[1])
    (url,) = next(x for x in sara.get("/api/v1/reports").json()["reports"] if x["id"] == rid)["photos"]
    assert re.fullmatch(r"/survey/photos/[0-9a-f]{2}/[0-9a-f]{64}\.jpg", url) and sara.get(url).status_code == 200
    four = sara.post(
        "/survey/facility",
        data={"csrf": token, "facility": POOL, "lift": "si"},
        files=[("photos", (f"{i}.jpg", jpeg_with_gps(), "image/jpeg")) for i in range(4)],
    )
    assert four.status_code == 422 and 'name="lift" value="si" checked' in four.text
    assert "at most 3 photos" in four.text


def test_no_csrf_token_no_sheet(server: Server) -> None:
    sara = logged_in(server.base, "sara")
    sara.headers.pop("X-CSRF-Token")
    before = len(sara.get("/api/v1/reports").json()["reports"])
    r = sara.post("/survey/facility", data={"facility": POOL, "toilet": "si"})
    assert r.status_code == 403
    assert len(sara.get("/api/v1/reports").json()["reports"]) == before
    anonymous = logged_in(server.base, "sara")
    anonymous.cookies.clear()
    assert anonymous.get("/survey/facility").status_code in (303, 401)


def test_script_in_notes_stays_inert(server: Server) -> None:
    sara = logged_in(server.base, "sara")
    sara.headers.pop("X-CSRF-Token")
    _html, token = _form(sara)
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    r = sara.post("/survey/facility", data={"csrf": token, "facility": POOL, "toilet": "si", "description": hostile})
    assert r.status_code == 303, r.text[:300]
    marta = logged_in(server.base, "marta")
    for client, path in [(sara, "/survey/mine"), (marta, "/office/review?status=reported")]:
        page = client.get(path).text
        assert "<script>alert" not in page and "<img src=x" not in page and "&lt;script&gt;" in page
    refused = sara.post(
        "/survey/facility", data={"csrf": token, "facility": POOL, "steps": "x", "description": hostile}
    )
    assert refused.status_code == 422 and "<script>alert" not in refused.text and "&lt;script&gt;" in refused.text


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_form_page_axe_and_screenshots(server: Server, tmp_path: Path, viewport: str) -> None:
    path = "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else shutil.which("chromium")
    if not path:
        pytest.skip("chromium is not installed")
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import sync_playwright

    size = {"width": 1280, "height": 800} if viewport == "desktop" else {"width": 360, "height": 740}
    folder = Path(SHOTS) if SHOTS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=path, args=["--no-sandbox"])
        page = chromium.new_page(viewport=size)
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{server.base}/login?lang=it")
        page.fill("#name", "sara")
        page.fill("#password", PASSWORD)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        for lang in ("it", "en"):
            page.goto(f"{server.base}/survey/facility?facility=way-20&lang={lang}")
            violations = [
                f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
                for v in Axe().run(page).response["violations"]
                if v["impact"] in {"serious", "critical"}
            ]
            assert violations == []
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
            page.screenshot(path=str(folder / f"{viewport}-facility-{lang}.png"))
        # the refused form, with its message beside the field
        page.fill("#f-door_width", "largo")
        with page.expect_navigation():
            page.click("#send")
        assert page.locator("#e-door_width").is_visible()
        assert [v for v in Axe().run(page).response["violations"] if v["impact"] in {"serious", "critical"}] == []
        page.screenshot(path=str(folder / f"{viewport}-facility-refused.png"), full_page=True)
        assert not errors, errors
        chromium.close()
