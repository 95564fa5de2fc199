"""Accounts, sessions and the security of the web application, asked of the real server
(uvicorn on 127.0.0.1) on the synthetic Cremona grid."""

from __future__ import annotations

from collections.abc import Iterator

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
