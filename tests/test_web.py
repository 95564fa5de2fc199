"""The HTTP API, asked of the real server (uvicorn on 127.0.0.1) on the Helsinki workspace:
answers equal what ``City`` gives for the same input; every documented error is a 4xx
JSON answer in the request's language saying what to change."""

from __future__ import annotations

import json
import random
from pathlib import Path

import httpx
import networkx as nx
import pytest

from accessibility import City
from accessibility.model.facilities import destinations


@pytest.fixture(scope="module")
def api(helsinki_server: str):
    with httpx.Client(base_url=helsinki_server, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def city(helsinki_workspace: Path) -> City:
    """The workspace as the server loaded it, its routers prepared as the server's are."""
    return City.load(helsinki_workspace).prepare()


def node_pairs(G: nx.MultiDiGraph, count: int, seed: int) -> list[tuple[tuple[float, float], tuple[float, float]]]:
    rnd = random.Random(seed)
    nodes = sorted(max(nx.strongly_connected_components(G), key=len))
    out = []
    for _ in range(count):
        a, b = rnd.sample(nodes, 2)
        # off the nodes a little: the server snaps as City does
        out.append(
            (
                (
                    round(G.nodes[a]["lat"] + rnd.uniform(-2e-4, 2e-4), 6),
                    round(G.nodes[a]["lon"] + rnd.uniform(-2e-4, 2e-4), 6),
                ),
                (
                    round(G.nodes[b]["lat"] + rnd.uniform(-2e-4, 2e-4), 6),
                    round(G.nodes[b]["lon"] + rnd.uniform(-2e-4, 2e-4), 6),
                ),
            )
        )
    return out


def plain(doc: object) -> object:
    """As it travels in JSON (tuples become lists)."""
    return json.loads(json.dumps(doc))


def ll(p: tuple[float, float]) -> str:
    return f"{p[0]},{p[1]}"


# --- answers equal City ------------------------------------------------------------------


@pytest.mark.parametrize("profile", ["walk", "manual_wheelchair", "blind"])
def test_route_equals_city_route(api: httpx.Client, city: City, profile: str) -> None:
    found = 0
    for origin, target in node_pairs(city.network, 12, seed=11):
        r = api.get("/api/v1/route", params={"from": ll(origin), "to": ll(target), "profile": profile, "lang": "en"})
        assert r.status_code == 200, r.text
        doc = r.json()
        expected = city.route(origin, target, profile=profile, lang="en")
        feature = doc["features"][0]
        props = feature["properties"]
        assert props.pop("role") == "route"
        assert props.pop("summary") == expected.message()
        assert feature == plain(expected.to_geojson())
        assert doc["barriers_avoided"] == plain(expected.barriers_avoided)
        assert doc["blocking_barriers"] == plain(expected.blockers)
        walk = [f for f in doc["features"] if f["properties"].get("role") == "walk"]
        assert (walk[0]["geometry"]["coordinates"] if walk else []) == plain([list(p) for p in expected.walk_coords])
        found += expected.found
    assert found >= 6, "too few routes found: the comparison proves little"


def test_route_with_overrides_equals_city(api: httpx.Client, city: City) -> None:
    (origin, target), *_ = node_pairs(city.network, 1, seed=5)
    params = {
        "from": ll(origin),
        "to": ll(target),
        "profile": "power_wheelchair",
        "max_kerb_cm": "0",
        "unknown": "avoid",
    }
    doc = api.get("/api/v1/route", params=params).json()
    expected = city.route(origin, target, profile="power_wheelchair", lang="it", max_kerb_cm=0.0, unknown="avoid")
    feature = doc["features"][0]
    feature["properties"].pop("role"), feature["properties"].pop("summary")
    assert feature == plain(expected.to_geojson())
    assert doc["lang"] == "it"  # no lang, no Accept-Language: Italian


def test_nearest_equals_city_nearest(api: httpx.Client, city: City) -> None:
    origin = (60.1699, 24.9384)
    for dest in ("pharmacy", "gym", "doctor"):
        doc = api.get(
            "/api/v1/nearest", params={"from": ll(origin), "category": dest, "profile": "walker", "lang": "en"}
        ).json()
        expected = city.nearest(origin, dest, profile="walker", lang="en")
        feature = doc["features"][0]
        feature["properties"].pop("role"), feature["properties"].pop("summary")
        assert feature == plain(expected.to_geojson())
        assert feature["properties"]["facility"]["destination"] == dest


def test_reach_equals_city_walkshed(api: httpx.Client, city: City) -> None:
    origin = (60.1699, 24.9384)
    doc = api.get(
        "/api/v1/reach", params={"from": ll(origin), "profile": "manual_wheelchair", "minutes": "5,10"}
    ).json()
    expected = city.walkshed(origin, [5, 10], profile="manual_wheelchair")
    assert doc == plain(expected.to_geojson())
    assert [f["properties"]["minutes"] for f in doc["features"]] == [5.0, 10.0]
    assert doc["features"][0]["properties"]["length_m"] > 0


def test_search_finds_streets_with_typos(api: httpx.Client) -> None:
    for typed in ("Kaivokatu", "kaivokau", "KAIVOKATU"):
        results = api.get("/api/v1/search", params={"q": typed}).json()["results"]
        assert results[0]["kind"] == "street" and results[0]["label"] == "Kaivokatu", typed
        assert 60.1 < results[0]["lat"] < 60.2 and 24.9 < results[0]["lon"] < 25.0
    nearest = api.get("/api/v1/search", params={"q": "farmacia", "lang": "it"}).json()["results"]
    assert nearest[0]["kind"] == "nearest" and nearest[0]["destination"] == "pharmacy"
    assert nearest[0]["label"] == "Farmacia"


def test_reference_lists(api: httpx.Client, city: City) -> None:
    profiles = api.get("/api/v1/profiles", params={"lang": "it"}).json()["profiles"]
    assert [p["name"] for p in profiles] == list(city.profiles)
    wheelchair = next(p for p in profiles if p["name"] == "manual_wheelchair")
    assert wheelchair["label"] == "Sedia a rotelle manuale" and wheelchair["limits"]["max_kerb_cm"] == 2.5
    cats = api.get("/api/v1/categories", params={"lang": "it"}).json()["categories"]
    assert [c["name"] for c in cats] == list(destinations())
    groups = [c["group"] for c in cats]
    assert groups == sorted(groups, key=lambda g: g != "sports"), "sports facilities come first"
    assert next(c for c in cats if c["name"] == "swimming_pool")["label"] == "Piscina"
    pharmacies = next(c for c in cats if c["name"] == "pharmacy")["count"]
    assert pharmacies == int((city.facilities["category"] == "pharmacy").sum())


def test_facilities_and_barriers_as_geojson(api: httpx.Client, city: City) -> None:
    doc = api.get("/api/v1/facilities", params={"category": "pharmacy"}).json()
    assert len(doc["features"]) == int((city.facilities["category"] == "pharmacy").sum())
    w, s, e, n = 24.935, 60.164, 24.945, 60.170
    box = api.get("/api/v1/barriers", params={"bbox": f"{w},{s},{e},{n}", "lang": "en"}).json()
    expected = city.barriers_wgs84("en")
    inside = expected[(expected.lon >= w) & (expected.lon <= e) & (expected.lat >= s) & (expected.lat <= n)]
    assert len(box["features"]) == len(inside) > 0
    kind = inside["kind"].iloc[0]
    only = api.get("/api/v1/barriers", params={"bbox": f"{w},{s},{e},{n}", "kind": kind}).json()
    assert len(only["features"]) == int((inside["kind"] == kind).sum())
    assert {f["properties"]["kind"] for f in only["features"]} == {kind}


def test_network_layer_and_health(api: httpx.Client, city: City) -> None:
    health = api.get("/api/v1/health").json()
    assert health["status"] == "ok" and health["city"] == "Helsinki"
    net = api.get("/api/v1/network")
    assert net.headers["content-type"].startswith("application/geo+json")
    lines = net.json()["geometry"]["coordinates"]
    assert len(lines) >= city.network.number_of_edges() // 2 * 0.9


# --- errors: 4xx, JSON, in the request's language ---------------------------------------

ORIGIN = "60.1699,24.9384"
TARGET = "60.1720,24.9450"

ERRORS = [
    # (path, params, status, parameter, words of the English message)
    ("/api/v1/route", {"to": TARGET}, 422, "from", "from is missing"),
    ("/api/v1/route", {"from": "abc", "to": TARGET}, 422, "from", "is not latitude,longitude"),
    ("/api/v1/route", {"from": "95,24.9", "to": TARGET}, 422, "from", "latitude must be within -90 and 90"),
    ("/api/v1/route", {"from": "24.9384,60.1699", "to": TARGET}, 422, "from", "give latitude first"),
    ("/api/v1/route", {"from": ORIGIN, "to": "61.5,24.9"}, 422, None, "from the nearest path of the network"),
    ("/api/v1/route", {"from": ORIGIN, "to": TARGET, "profile": "rollerblades"}, 422, "profile", "unknown profile"),
    ("/api/v1/route", {"from": ORIGIN, "to": TARGET, "max_kerb_cm": "-1"}, 422, "max_kerb_cm", "between 0"),
    ("/api/v1/route", {"from": ORIGIN, "to": TARGET, "max_steps": "many"}, 422, "max_steps", "is not a number"),
    ("/api/v1/route", {"from": ORIGIN, "to": TARGET, "unknown": "maybe"}, 422, "unknown", "say avoid"),
    ("/api/v1/route", {"from": ORIGIN, "to": TARGET, "lang": "fi"}, 422, "lang", "unknown language"),
    ("/api/v1/nearest", {"from": ORIGIN}, 422, "category", "category is missing"),
    ("/api/v1/nearest", {"from": ORIGIN, "category": "spa"}, 404, "category", "unknown facility category"),
    ("/api/v1/nearest", {"from": ORIGIN, "category": "swimming_pool"}, 404, "category", "swimming pool"),
    ("/api/v1/reach", {"from": ORIGIN, "minutes": "90"}, 422, "minutes", "between 1"),
    ("/api/v1/search", {"q": "x" * 500}, 422, "q", "at most"),
    ("/api/v1/barriers", {"bbox": "1,2,3"}, 422, "bbox", "is not min lon"),
    ("/api/v1/barriers", {"bbox": "24,60,26,61"}, 422, "bbox", "smaller box"),
    ("/api/v1/barriers", {"kind": "dragon"}, 422, "kind", "unknown barrier kind"),
    ("/api/v1/facilities", {"category": "spa"}, 404, "category", "unknown facility category"),
    ("/api/v1/nowhere", {}, 404, None, "/api/docs"),
]


@pytest.mark.parametrize(("path", "params", "status", "parameter", "words"), ERRORS)
def test_documented_errors(
    api: httpx.Client, path: str, params: dict[str, str], status: int, parameter: str | None, words: str
) -> None:
    r = api.get(path, params=params, headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert error["status"] == status and error["parameter"] == parameter
    assert words in error["message"], error["message"]
    assert "Traceback" not in r.text


@pytest.mark.parametrize(("path", "params", "status", "parameter", "words"), ERRORS[:-1])
def test_errors_in_italian(
    api: httpx.Client, path: str, params: dict[str, str], status: int, parameter: str | None, words: str
) -> None:
    """Italian by default; the message differs from the English one (it is translated)."""
    if params.get("lang"):
        pytest.skip("an unknown lang parameter is answered in the default language")
    italian = api.get(path, params=params)
    english = api.get(path, params={**params, "lang": "en"})
    assert italian.status_code == english.status_code == status
    assert italian.json()["error"]["message"] != english.json()["error"]["message"]


def test_method_not_allowed_is_json(api: httpx.Client) -> None:
    r = api.post("/api/v1/route", params={"lang": "en"})
    assert r.status_code == 405 and "GET" in r.json()["error"]["message"]


# --- page and documentation -----------------------------------------------------------------


def test_page_language(api: httpx.Client) -> None:
    it = api.get("/")
    assert it.status_code == 200 and '<html lang="it">' in it.text and "Calcola un percorso" in it.text
    en = api.get("/", headers={"Accept-Language": "en"})
    assert '<html lang="en">' in en.text and "Plan a route" in en.text
    assert api.get("/", params={"lang": "en"}).headers["content-language"] == "en"
    assert "https://" not in it.text.split("<script")[0].replace("https://tile.example.org", "")


def test_openapi_documents_every_endpoint(api: httpx.Client) -> None:
    spec = api.get("/api/v1/openapi.json").json()
    for name in ("route", "nearest", "reach", "search", "facilities", "barriers", "profiles", "categories", "health"):
        assert f"/api/v1/{name}" in spec["paths"]
    assert "from" in {p["name"] for p in spec["paths"]["/api/v1/route"]["get"]["parameters"]}
    limits = {"max_kerb_cm", "max_incline_up_pct", "max_incline_down_pct", "min_width_cm", "max_steps", "unknown"}
    for path in ("/api/v1/route", "/api/v1/nearest", "/api/v1/reach"):  # the limits, documented on each
        documented = {p["name"]: p for p in spec["paths"][path]["get"]["parameters"]}
        assert limits <= set(documented) and all(documented[n]["in"] == "query" for n in limits), path
        assert documented["max_kerb_cm"]["description"] == "highest kerb passed, cm (0-30)"
    docs = api.get("/api/docs").text
    assert "/api/docs-assets/swagger-ui-bundle.js" in docs and "cdn" not in docs.lower()


def test_base_map_by_byte_ranges(api: httpx.Client, city: City) -> None:
    """The page's base map is the workspace's archive, served in the parts asked for."""
    whole = city.basemap
    assert whole, "the Helsinki workspace has a base map"
    head = api.get("/basemap.pmtiles", headers={"Range": "bytes=0-126"})
    assert head.status_code == 206 and head.content == whole[:127]
    assert head.headers["content-range"] == f"bytes 0-126/{len(whole)}"
    assert head.content[:7] == b"PMTiles"
    tail = api.get("/basemap.pmtiles", headers={"Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.content == whole[-10:]
    past = api.get("/basemap.pmtiles", headers={"Range": f"bytes={len(whole)}-"})
    assert past.status_code == 416 and past.headers["content-range"] == f"bytes */{len(whole)}"
    full = api.get("/basemap.pmtiles")
    assert full.status_code == 200 and full.content == whole and full.headers["accept-ranges"] == "bytes"
    page = api.get("/").text
    for name in ("pmtiles.js", "protomaps-leaflet.js", "basemap.js"):
        assert f'src="/static/maps/{name}"' in page
        script = api.get(f"/static/maps/{name}")
        assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    assert api.get("/static/maps/..%2Fmaps.py").status_code == 404
    assert api.get("/static/maps/other.js").status_code == 404


@pytest.mark.parametrize(
    ("header", "status", "part"),
    [
        (None, 200, slice(0, 10)),
        ("bytes=2-4", 206, slice(2, 5)),
        ("bytes=7-", 206, slice(7, 10)),
        ("bytes=-3", 206, slice(7, 10)),
        ("bytes=5-99", 206, slice(5, 10)),
        ("bytes=0-1,4-5", 200, slice(0, 10)),  # several ranges: the whole, as RFC 9110 allows
        ("bytes=x-", 200, slice(0, 10)),
        ("items=1-2", 200, slice(0, 10)),
        ("bytes=10-", 416, slice(0, 0)),
        ("bytes=4-2", 416, slice(0, 0)),
    ],
)
def test_byte_range(header: str | None, status: int, part: slice) -> None:
    from accessibility.web.app import byte_range

    data = bytes(range(10))
    answer = byte_range(data, header, "application/octet-stream")
    assert answer.status_code == status and answer.body == data[part]
