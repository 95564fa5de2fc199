"""Accounts, sessions and the security of the web application, asked of the real server
(uvicorn on 127.0.0.1) on the synthetic Cremona grid."""

from __future__ import annotations

import io
import re
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from office_fixtures import EN, PASSWORD, Server, csrf_of, grid_server, logged_in
from survey_fixtures import node_ll


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from grid_server(tmp_path_factory.mktemp("office"))


def test_login_sets_a_safe_session_cookie_and_logout_ends_it(server: Server) -> None:
    with httpx.Client(base_url=server.base, headers=EN) as client:
        page = client.get("/login?lang=it")
        assert page.status_code == 200 and "Accedi" in page.text
        csp = page.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        r = client.post("/login", data={"name": "sara", "password": PASSWORD, "csrf": csrf_of(page.text)})
        assert r.status_code == 303 and r.headers["location"] == "/survey"
        cookie = r.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie  # plain HTTP here
        assert client.get("/login").status_code == 303  # logged in: sent home
        home = client.get("/survey")
        assert home.status_code == 200
        # logout needs the CSRF token
        assert client.post("/logout").status_code == 403
        out = client.post("/logout", data={"csrf": csrf_of(home.text)})
        assert out.status_code == 303
        assert client.get("/survey").status_code == 303  # back to the login page


def test_login_refused_without_csrf_wrong_password_and_disabled(server: Server) -> None:
    with httpx.Client(base_url=server.base, headers=EN) as client:
        assert client.post("/login", data={"name": "sara", "password": PASSWORD}).status_code == 403
        page = client.get("/login")
        token = csrf_of(page.text)
        wrong = client.post("/login", data={"name": "sara", "password": "not the password", "csrf": token})
        assert wrong.status_code == 401 and "wrong name or password" in wrong.text
        off = client.post("/login", data={"name": "spento", "password": PASSWORD, "csrf": token})
        assert off.status_code == 401 and "disabled" in off.text


def test_repeated_wrong_passwords_lock_the_account(server: Server) -> None:
    from accessibility.accounts import AccountStore

    AccountStore.of_workspace(server.workspace).add("bloccata", "surveyor", PASSWORD, by="test")
    with httpx.Client(base_url=server.base, headers=EN) as client:
        token = csrf_of(client.get("/login").text)
        for _ in range(5):
            r = client.post("/login", data={"name": "bloccata", "password": "wrong wrong", "csrf": token})
            assert r.status_code == 401
        locked = client.post("/login", data={"name": "bloccata", "password": PASSWORD, "csrf": token})
        assert locked.status_code == 429 and "locked" in locked.text


def test_session_ends_when_the_account_is_disabled(server: Server) -> None:
    from accessibility.accounts import AccountStore

    AccountStore.of_workspace(server.workspace).add("temporanea", "surveyor", PASSWORD, by="test")
    client = logged_in(server.base, "temporanea")
    client.headers.pop("X-CSRF-Token")  # as a browser asks for a page
    assert client.get("/survey").status_code == 200
    AccountStore.of_workspace(server.workspace).disable("temporanea", by="test")
    assert client.get("/survey").status_code == 303


# --- reports: form, API, review ----------------------------------------------------------


def mid_edge(i: int, j: int) -> tuple[float, float]:
    """A point on the footway between grid nodes (i, j) and (i, j + 1)."""
    a, b = node_ll(i, j), node_ll(i, j + 1)
    return round((a[0] + b[0]) / 2, 7), round((a[1] + b[1]) / 2, 7)


def test_surveyor_sends_reports_and_sees_only_their_own(server: Server) -> None:
    sara = logged_in(server.base, "sara")
    page = sara.get("/survey")
    assert page.status_code == 200 and 'name="kind" value="steps"' in page.text
    lat, lon = mid_edge(3, 1)
    fields = {"kind": "gradini", "lat": str(lat), "lon": str(lon), "step_count": "3", "id": "W-sara-1"}
    first = sara.post("/api/v1/reports", data=fields)
    assert first.status_code == 201, first.text
    report_id = first.json()["report_id"]
    again = sara.post("/api/v1/reports", data=fields)  # the offline queue sends it again
    assert again.status_code == 200 and again.json() == {"report_id": report_id, "already": True, "flags": []}
    bad = sara.post("/api/v1/reports", data={**fields, "id": "W-sara-2", "step_count": "tre"})
    assert bad.status_code == 422 and bad.json()["error"]["problems"][0]["field"] == "step_count"
    mine = sara.get("/api/v1/reports").json()["reports"]
    assert [r["id"] for r in mine] == [report_id] and mine[0]["status"] == "reported"
    assert mine[0]["surveyor"] == "sara" and mine[0]["kind"] == "steps" and mine[0]["step_count"] == 3
    sergio = logged_in(server.base, "sergio")
    assert sergio.get("/api/v1/reports").json()["reports"] == []
    marta = logged_in(server.base, "marta")
    assert report_id in [r["id"] for r in marta.get("/api/v1/reports").json()["reports"]]
    page = sara.get("/survey/mine")
    assert f'id="report-{report_id}"' in page.text


def test_the_form_works_without_javascript(server: Server) -> None:
    sara = logged_in(server.base, "sara")
    token = sara.headers.pop("X-CSRF-Token")
    lat, lon = mid_edge(0, 2)
    r = sara.post(
        "/survey/report",
        data={"csrf": token, "kind": "obstacle", "lat": str(lat), "lon": str(lon), "width_cm": "60"},
    )
    assert r.status_code == 303 and r.headers["location"].startswith("/survey/mine?sent=")
    refused = sara.post("/survey/report", data={"csrf": token, "kind": "obstacle", "description": "<b>x</b>"})
    assert refused.status_code == 422 and "&lt;b&gt;x&lt;/b&gt;" in refused.text


def test_review_needs_the_office_and_a_csrf_token(server: Server) -> None:
    sara = logged_in(server.base, "sara")
    lat, lon = mid_edge(1, 0)
    report_id = sara.post(
        "/api/v1/reports", data={"kind": "raised_kerb", "lat": str(lat), "lon": str(lon), "kerb_height_cm": "12"}
    ).json()["report_id"]
    anonymous = httpx.Client(base_url=server.base, headers=EN)
    assert anonymous.post("/api/v1/reports", data={"kind": "steps"}).status_code == 401
    assert anonymous.get("/api/v1/reports").status_code == 401
    assert anonymous.post(f"/api/v1/reports/{report_id}/review", json={"status": "verified"}).status_code == 401
    assert sara.post(f"/api/v1/reports/{report_id}/review", json={"status": "verified"}).status_code == 403
    marta = logged_in(server.base, "marta")
    token = marta.headers.pop("X-CSRF-Token")
    assert marta.post(f"/api/v1/reports/{report_id}/review", json={"status": "verified"}).status_code == 403
    assert (
        marta.post(
            f"/api/v1/reports/{report_id}/review", json={"status": "verified"}, headers={"X-CSRF-Token": "forged"}
        ).status_code
        == 403
    )
    ok = marta.post(
        f"/api/v1/reports/{report_id}/review", json={"status": "verificata"}, headers={"X-CSRF-Token": token}
    )
    assert ok.status_code == 200 and ok.json()["to"] == "verified" and ok.json()["by"] == "marta"
    reject = marta.post(
        f"/api/v1/reports/{report_id}/review", json={"status": "respinta"}, headers={"X-CSRF-Token": token}
    )
    assert reject.status_code == 422 and "note" in reject.json()["error"]["message"]


def test_api_token_needs_no_csrf_and_a_wrong_one_is_refused(server: Server) -> None:
    from accessibility.accounts import AccountStore

    token = AccountStore.of_workspace(server.workspace).new_token("sergio", by="test")
    lat, lon = mid_edge(2, 2)
    with httpx.Client(base_url=server.base, headers={**EN, "Authorization": f"Bearer {token}"}) as script:
        r = script.post(
            "/api/v1/reports",
            json={"kind": "narrow_passage", "lat": lat, "lon": lon, "width_cm": 70, "id": "S-1"},
        )
        assert r.status_code == 201, r.text
        assert script.get("/api/v1/reports").json()["reports"][0]["created_by"] == "sergio"
    with httpx.Client(base_url=server.base, headers={**EN, "Authorization": "Bearer acc_forged"}) as forged:
        assert forged.get("/api/v1/reports").status_code == 401


# --- photos, hostile text and files ------------------------------------------------------


def jpeg_with_gps(size: tuple[int, int] = (64, 48)) -> bytes:
    """A small JPEG whose EXIF holds a GPS position (which must not survive)."""
    from PIL import Image

    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (45.0, 8.0, 0.0), 3: "E", 4: (10.0, 1.0, 0.0)}
    exif[0x010F] = "PhoneMaker"
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def png_bomb() -> bytes:
    """A PNG of a few hundred bytes declaring 30,000 x 30,000 pixels."""
    header = struct.pack(">IIBBBBB", 30000, 30000, 8, 2, 0, 0, 0)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    body = zlib.compress(b"\x00" * 1000)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def files_outside(root: Path, workspace: Path) -> set[str]:
    """Every file under ``root`` that is not in the workspace's photos, uploads or store."""
    keep = (workspace / "photos", workspace / "uploads")
    return {
        str(p)
        for p in root.rglob("*")
        if p.is_file() and not any(p.is_relative_to(k) for k in keep) and p.suffix not in {".log", ".gpkg-journal"}
    }


def test_photo_is_cleaned_stored_by_hash_and_shown(server: Server) -> None:
    from PIL import Image

    sara = logged_in(server.base, "sara")
    lat, lon = mid_edge(3, 2)
    sent = sara.post(
        "/api/v1/reports",
        data={"kind": "obstacle", "lat": str(lat), "lon": str(lon), "width_cm": "50", "id": "W-photo"},
        files=[("photos", ("../../x.jpg", jpeg_with_gps(), "image/jpeg"))],
    )
    assert sent.status_code == 201, sent.text
    assert not (server.workspace.parent.parent / "x.jpg").exists() and not (server.workspace / "x.jpg").exists()
    report = next(r for r in sara.get("/api/v1/reports").json()["reports"] if r["ref"] == "W-photo")
    (url,) = report["photos"]
    assert re.fullmatch(r"/survey/photos/[0-9a-f]{2}/[0-9a-f]{64}\.jpg", url), url
    photo = sara.get(url)
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/jpeg"
    exif = Image.open(io.BytesIO(photo.content)).getexif()
    assert 0x8825 not in exif and 0x010F not in exif  # no GPS, no maker
    assert httpx.get(server.base + url).status_code in {401, 303}  # no account, no photo
    assert sara.get("/survey/photos/../../surveys.gpkg").status_code == 404
    assert sara.get("/survey/photos/%2e%2e/%2e%2e/surveys.gpkg").status_code == 404


@pytest.mark.parametrize(
    "name, data, status",
    [
        ("not-an-image.jpg", b"%PDF-1.4 this is no image" * 10, 422),
        ("bomb.png", png_bomb(), 422),
        ("../../x", b"GIF89a" + b"\x00" * 100, 422),
    ],
)
def test_bad_photos_are_refused_and_nothing_is_written(server: Server, name: str, data: bytes, status: int) -> None:
    sara = logged_in(server.base, "sara")
    before_reports = len(sara.get("/api/v1/reports").json()["reports"])
    before = files_outside(server.workspace.parent, server.workspace)
    lat, lon = mid_edge(2, 0)
    r = sara.post(
        "/api/v1/reports",
        data={"kind": "obstacle", "lat": str(lat), "lon": str(lon), "id": f"W-bad-{name[-6:]}"},
        files=[("photos", (name, data, "image/jpeg"))],
    )
    assert r.status_code == status, r.text
    assert r.json()["error"]["parameter"] == "photos"
    assert len(sara.get("/api/v1/reports").json()["reports"]) == before_reports  # no report without its photo
    assert files_outside(server.workspace.parent, server.workspace) == before
    assert not (server.workspace.parent.parent / "x").exists()


def test_a_50_mb_photo_is_refused_before_it_is_read(server: Server) -> None:
    sara = logged_in(server.base, "sara")
    big = b"\xff\xd8\xff\xe0" + b"\x00" * (50 * 1024 * 1024)
    lat, lon = mid_edge(2, 1)
    r = sara.post(
        "/api/v1/reports",
        data={"kind": "obstacle", "lat": str(lat), "lon": str(lon)},
        files=[("photos", ("big.jpg", big, "image/jpeg"))],
    )
    assert r.status_code == 413
    assert not list((server.workspace / "photos").rglob("*.tmp")) if (server.workspace / "photos").exists() else True


HOSTILE = ['<script>alert("x")</script>', "javascript:alert(1)", '"><img src=x onerror=alert(1)>']


def test_hostile_text_stays_inert_on_every_page(server: Server) -> None:
    sara = logged_in(server.base, "sara")
    for i, text in enumerate(HOSTILE):
        lat, lon = mid_edge(1, 2)
        r = sara.post(
            "/api/v1/reports",
            data={
                "kind": "bad_surface",
                "lat": str(lat + i * 1e-5),
                "lon": str(lon),
                "description": text,
                "street": text,
                "id": f"W-x{i}",
            },
        )
        assert r.status_code == 201, r.text
    marta = logged_in(server.base, "marta")
    for client, path in [
        (sara, "/survey/mine"),
        (marta, "/office/review?status=reported"),
        (marta, "/office/review?status=all&kind=bad_surface"),
    ]:
        page = client.get(path)
        assert page.status_code == 200
        assert "<script>alert" not in page.text and "<img src=x" not in page.text
        assert 'href="javascript:' not in page.text and 'src="javascript:' not in page.text
        assert "&lt;script&gt;" in page.text
        csp = page.headers["content-security-policy"]
        assert "script-src 'self';" in csp and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    api = sara.get("/api/v1/reports").json()["reports"]
    assert {r["description"] for r in api if r["ref"] and r["ref"].startswith("W-x")} == set(HOSTILE)


# --- batch upload --------------------------------------------------------------------------


def test_batch_upload_gives_the_per_row_result_and_the_rejects_file(server: Server) -> None:
    sara = logged_in(server.base, "sara")
    token = sara.headers.pop("X-CSRF-Token")
    data = (server.files / "messy_rows.csv").read_bytes()
    r = sara.post("/survey/upload", data={"csrf": token}, files={"file": ("../../messy_rows.csv", data, "text/csv")})
    assert r.status_code == 200, r.text[:500]
    assert 'id="rejects"' in r.text and "unknown kind of barrier" in r.text
    link = re.search(r'href="(/survey/upload/rejects/[^"]+)"', r.text).group(1)
    rejects = sara.get(link)
    assert rejects.status_code == 200 and "reason" in rejects.text.splitlines()[0]
    assert not (server.workspace.parent.parent / "messy_rows.csv").exists()
    stored = list((server.workspace / "uploads" / "sara").glob("*messy_rows.csv"))
    assert len(stored) == 1
    # the same rows as the command would give
    from accessibility import City

    city = City.load(server.workspace)
    copy = server.files / "messy_copy.csv"
    copy.write_bytes(data)
    expected = city.import_surveys(copy, surveyor="sara")  # all already stored or rejected again
    assert f"rejected: {len(expected.rejected_rows)}" in r.text
    bad = sara.post("/survey/upload", data={"csrf": token}, files={"file": ("../../x", b"a,b\n1,2\n", "text/csv")})
    assert bad.status_code == 400 and "send a survey file" in bad.text
    other = logged_in(server.base, "sergio")
    assert other.get(link).status_code == 404  # one's own rejects only


# --- the office: review takes effect at once, plan, audit --------------------------------


def test_verified_report_changes_the_wheelchair_route_at_once(server: Server) -> None:
    a, b = node_ll(0, 0), node_ll(0, 3)
    query = {"from": f"{a[0]},{a[1]}", "to": f"{b[0]},{b[1]}", "profile": "manual_wheelchair", "lang": "en"}
    before = httpx.get(server.base + "/api/v1/route", params=query).json()["features"][0]
    sara = logged_in(server.base, "sara")
    lat, lon = mid_edge(0, 1)
    report_id = sara.post(
        "/api/v1/reports", data={"kind": "steps", "lat": str(lat), "lon": str(lon), "step_count": "4"}
    ).json()["report_id"]
    marta = logged_in(server.base, "marta")
    token = marta.headers.pop("X-CSRF-Token")
    page = marta.post(
        "/office/review",
        data={"csrf": token, "ids": [str(report_id)], "status": "verified", "note": "visto sul posto"},
    )
    assert page.status_code == 200 and f"report {report_id}: reported → verified" in page.text
    after = httpx.get(server.base + "/api/v1/route", params=query).json()["features"][0]
    assert after["geometry"] != before["geometry"]
    assert after["properties"]["length_m"] > before["properties"]["length_m"]
    history = store_history(server.workspace, report_id)
    assert history[-1]["by"] == "marta" and history[-1]["to_status"] == "verified"


def store_history(workspace: Path, report_id: int) -> list[dict]:
    from accessibility.surveys.store import SurveyStore

    return SurveyStore(workspace / "surveys.gpkg").history(report_id).to_dict("records")


def test_bulk_review_and_the_surveyor_sees_the_note(server: Server) -> None:
    sara = logged_in(server.base, "sara")
    ids = []
    for j in range(3):
        lat, lon = mid_edge(3, 0)
        r = sara.post("/api/v1/reports", data={"kind": "obstacle", "lat": str(lat + j * 2e-5), "lon": str(lon)})
        ids.append(r.json()["report_id"])
    marta = logged_in(server.base, "marta")
    token = marta.headers.pop("X-CSRF-Token")
    page = marta.post(
        "/office/review", data={"csrf": token, "ids": [str(i) for i in ids], "status": "rejected", "note": "doppione"}
    )
    assert page.text.count("reported → rejected") == 3
    mine = sara.get("/survey/mine").text
    for i in ids:
        row = mine.split(f'id="report-{i}"')[1].split("</tr>")[0]
        assert "rejected" in row and "doppione" in row
    assert (
        sara.post("/office/review", data={"csrf": "x", "ids": [str(ids[0])], "status": "verified"}).status_code == 403
    )


def test_plan_is_ranked_once_and_downloads_follow_the_budget(server: Server) -> None:
    marta = logged_in(server.base, "marta")
    page = marta.get("/office/plan")
    assert page.status_code == 200 and 'id="budget"' in page.text
    r = marta.post("/office/plan/compute", data={"budget": "150.000", "residents": "1000"})
    assert r.status_code == 200, r.text
    plan = r.json()
    assert plan["rows"] and [row["rank"] for row in plan["rows"]] == sorted(row["rank"] for row in plan["rows"])
    csv_small = marta.get(f"/office/plan/{plan['key']}/download.csv", params={"budget": "1"})
    csv_big = marta.get(f"/office/plan/{plan['key']}/download.csv", params={"budget": "1.000.000"})
    assert csv_small.status_code == 200 and csv_big.status_code == 200
    for fmt in ("xlsx", "gpkg", "html"):
        got = marta.get(f"/office/plan/{plan['key']}/download.{fmt}", params={"budget": "150k"})
        assert got.status_code == 200 and len(got.content) > 100, fmt
    bad = marta.get(f"/office/plan/{plan['key']}/download.csv", params={"budget": "150,000"})
    assert bad.status_code == 422 and "ambiguous" in bad.json()["error"]["message"]
    assert logged_in(server.base, "sara").post("/office/plan/compute", data={"budget": "1"}).status_code == 403


def test_audit_is_recomputed_on_request(server: Server) -> None:
    marta = logged_in(server.base, "marta")
    token = marta.headers.pop("X-CSRF-Token")
    page = marta.post("/office/audit", data={"csrf": token})
    assert page.status_code == 200 and 'id="audit-report"' in page.text, page.text[-800:]
    report = marta.get("/office/audit/files/report.html")
    assert report.status_code == 200
    assert "script-src 'self'" in report.headers["content-security-policy"]
    assert marta.get("/office/audit/files/../surveys.gpkg").status_code == 404
    assert logged_in(server.base, "sara").get("/office/audit").status_code == 403


def test_api_docs_inline_script_is_allowed_by_its_hash_alone(server: Server) -> None:
    import base64
    import hashlib

    for encoding in ("gzip", "identity"):
        r = httpx.get(server.base + "/api/docs", headers={"Accept-Encoding": encoding})
        scripts = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", r.text, re.S)
        assert scripts
        csp = r.headers["content-security-policy"]
        for script in scripts:
            digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
            assert f"'sha256-{digest}'" in csp
        assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]


def test_review_filters_by_the_area_shown_on_the_map(server: Server) -> None:
    sara = logged_in(server.base, "sara")
    here, there = mid_edge(2, 1), mid_edge(0, 2)
    ids = [
        sara.post("/api/v1/reports", data={"kind": "crossing_no_sound", "lat": str(p[0]), "lon": str(p[1])}).json()[
            "report_id"
        ]
        for p in (here, there)
    ]
    marta = logged_in(server.base, "marta")
    box = f"{here[1] - 1e-4},{here[0] - 1e-4},{here[1] + 1e-4},{here[0] + 1e-4}"
    page = marta.get("/office/review", params={"status": "reported", "kind": "crossing_no_sound", "bbox": box})
    assert f'id="report-{ids[0]}"' in page.text and f'id="report-{ids[1]}"' not in page.text
    whole = marta.get("/office/review", params={"status": "reported", "kind": "crossing_no_sound", "bbox": "nonsense"})
    assert all(f'id="report-{i}"' in whole.text for i in ids)
