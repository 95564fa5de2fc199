"""Tests of accessibility.sources.overpass against a local HTTP server (no internet).

The server replays recorded answers from ``tests/data/overpass/`` (regenerate them with
``make_fixture.py`` there): an Overpass JSON answer cut from real OSM data, and a
Nominatim search answer holding the real ISTAT boundary of Cremona.
"""

from __future__ import annotations

import hashlib
import json
import re
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import geopandas as gpd
import osmnx
import pytest
from shapely.geometry import MultiPolygon, Point, Polygon, box, shape

from accessibility import settings
from accessibility.errors import AccessibilityError, DownloadError, InputNotFoundError, OfflineError, OsmFileError
from accessibility.sources import overpass
from accessibility.sources.catalogues import shipped_toml
from accessibility.sources.osm import OsmData
from realdata import CREMONA_BOUNDARY

DATA = Path(__file__).resolve().parent / "data" / "overpass"
OVERPASS_ANSWER = DATA / "overpass_interpreter.json"
NOMINATIM_ANSWER = DATA / "nominatim_search.json"
CREMONA = CREMONA_BOUNDARY
PLACE = "Cremona, Italia"


# --- the local server ---------------------------------------------------------------------


class FakeServer:
    """Answers POST /api/interpreter (Overpass) and GET /search (Nominatim)."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        self.answers = {
            "overpass": (200, "application/json", OVERPASS_ANSWER.read_bytes()),
            "nominatim": (200, "application/json", NOMINATIM_ANSWER.read_bytes()),
        }
        self.delay_s = 0.0
        self.url = ""

    def answer(self, which: str, status: int, body: bytes | str, ctype: str = "application/json") -> None:
        self.answers[which] = (status, ctype, body.encode() if isinstance(body, str) else body)

    def count(self, path: str) -> int:
        with self.lock:
            return sum(1 for r in self.requests if r["path"] == path)

    def of(self, path: str) -> list[dict]:
        with self.lock:
            return [r for r in self.requests if r["path"] == path]


def _handler(fake: FakeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            with fake.lock:
                fake.requests.append(
                    {
                        "method": self.command,
                        "path": parts.path,
                        "params": parse_qs(parts.query),
                        "body": body,
                        "headers": dict(self.headers),
                    }
                )
            which = {("POST", "/api/interpreter"): "overpass", ("GET", "/search"): "nominatim"}.get(
                (self.command, parts.path)
            )
            status, ctype, payload = fake.answers[which] if which else (404, "text/plain", b"no")
            if fake.delay_s:
                time.sleep(fake.delay_s)
            try:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:  # the client gave up (read-timeout test)
                pass

        do_GET = do_POST = _serve

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def server():
    fake = FakeServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    httpd.daemon_threads = True
    fake.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield fake
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def local(server, monkeypatch, tmp_path):
    """Point our settings at the local server and a fresh cache folder."""
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(settings, "overpass_url", server.url + "/api")
    monkeypatch.setattr(settings, "nominatim_url", server.url)
    monkeypatch.setattr(settings, "cache_dir", tmp_path / "cache")
    monkeypatch.setattr(settings, "connect_timeout_s", 2.0)
    monkeypatch.setattr(settings, "read_timeout_s", 10.0)
    return server


@pytest.fixture
def closed_port():
    """A port on 127.0.0.1 bound by nobody listening: connections are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


# --- what the fixture holds, computed independently of the code under test -----------------


def expected_from_fixture() -> tuple[dict, dict]:
    doc = json.loads(OVERPASS_ANSWER.read_text(encoding="utf-8"))
    nodes = {e["id"]: (e["lon"], e["lat"], e.get("tags", {})) for e in doc["elements"] if e["type"] == "node"}
    ways: dict[int, tuple] = {}
    for e in doc["elements"]:
        if e["type"] == "way":
            center = (e["center"]["lon"], e["center"]["lat"]) if "center" in e else None
            ways[e["id"]] = (e.get("nodes", []), e.get("tags", {}), center)
    return nodes, ways


def assert_matches_fixture(data: OsmData) -> None:
    nodes, ways = expected_from_fixture()
    assert isinstance(data, OsmData)
    assert set(data.nodes) == set(nodes)
    for nid, (lon, lat, tags) in nodes.items():
        got = data.nodes[nid]
        assert (got.lon, got.lat, got.tags) == (lon, lat, tags)
    assert set(data.ways) == set(ways)
    for wid, (refs, tags, center) in ways.items():
        got = data.ways[wid]
        assert (got.refs, got.tags, got.center) == (refs, tags, center)
    # every walkable way comes with all its nodes, located
    for way in data.ways.values():
        for ref in way.refs:
            assert data.nodes[ref].lon is not None
    assert data.relations == 0
    assert data.sources and "Overpass API" in data.sources[-1]


def sent_query(server: FakeServer) -> str:
    (request,) = server.of("/api/interpreter")
    return parse_qs(request["body"].decode())["data"][0]


def poly_filters(query: str) -> list[list[tuple[float, float]]]:
    """Every ``poly:"lat lon ..."`` filter in the query, as (lon, lat) rings."""
    rings = []
    for text in re.findall(r'\(poly:"([^"]*)"\)', query):
        numbers = [float(x) for x in text.split()]
        rings.append(list(zip(numbers[1::2], numbers[0::2])))
    return rings


def same_ring(ring: list[tuple[float, float]], polygon: Polygon) -> bool:
    """``ring`` is the exterior of ``polygon`` (to 1e-7 degrees), closing point optional."""
    exterior = list(polygon.exterior.coords)
    if ring[-1] != ring[0]:
        ring = ring + ring[:1]
    return len(ring) == len(exterior) and all(
        abs(a - c) <= 1e-7 and abs(b - d) <= 1e-7 for (a, b), (c, d) in zip(ring, exterior)
    )


def facility_values() -> dict[str, set[str]]:
    doc = shipped_toml("facilities.toml")
    out: dict[str, set[str]] = {}
    for table in doc.values():
        for key, values in table["match"].items():
            out.setdefault(key, set()).update(values)
    return out


def test_fixture_is_small_and_real():
    assert OVERPASS_ANSWER.stat().st_size < 50_000
    nodes, ways = expected_from_fixture()
    assert len(ways) >= 20 and len(nodes) > len(ways)
    # a facility mapped as a way, with its outline and entrances, as a file has it
    facility = [w for w in ways.values() if w[1].get("amenity") in {"townhall", "library", "school"}]
    assert facility and all(w[2] is None for w in ways.values())
    assert any("entrance" in nodes[r][2] for r in facility[0][0])


# --- boundaries ------------------------------------------------------------------------------


def test_boundary_from_file_geojson():
    area = overpass.boundary_from_file(CREMONA)
    doc = json.loads(CREMONA.read_text(encoding="utf-8"))
    expected = shape(doc["features"][0]["geometry"])
    assert isinstance(area, Polygon)
    assert area.equals_exact(expected, 1e-9)


def test_boundary_from_file_reprojects_to_wgs84(tmp_path):
    original = gpd.read_file(CREMONA)
    projected = tmp_path / "cremona_utm32.gpkg"
    original.to_crs(32632).to_file(projected, driver="GPKG")
    area = overpass.boundary_from_file(projected)
    expected = original.geometry.iloc[0]
    assert area.symmetric_difference(expected).area / expected.area < 1e-6
    assert 9.9 < area.bounds[0] < area.bounds[2] < 10.2


def test_boundary_from_file_unions_polygons_and_skips_points(tmp_path):
    path = tmp_path / "parts.geojson"
    gdf = gpd.GeoDataFrame(
        geometry=[
            box(10.0, 45.0, 10.01, 45.01),
            box(10.01, 45.0, 10.02, 45.01),
            box(10.05, 45.0, 10.06, 45.01),
            Point(10.1, 45.1),
        ],
        crs=4326,
    )
    gdf.to_file(path, driver="GeoJSON")
    area = overpass.boundary_from_file(path)
    assert isinstance(area, MultiPolygon) and len(area.geoms) == 2
    assert area.area == pytest.approx(3 * 0.01 * 0.01)


def test_boundary_file_missing(tmp_path):
    with pytest.raises(InputNotFoundError, match="nope.geojson"):
        overpass.boundary_from_file(tmp_path / "nope.geojson")


def test_boundary_file_without_polygons(tmp_path):
    path = tmp_path / "points.geojson"
    gpd.GeoDataFrame(geometry=[Point(10.0, 45.1), Point(10.02, 45.13)], crs=4326).to_file(path)
    with pytest.raises(OsmFileError, match="no polygon") as info:
        overpass.boundary_from_file(path)
    assert "points.geojson" in str(info.value) and "Point" in str(info.value)


def test_boundary_file_unreadable(tmp_path):
    path = tmp_path / "notes.geojson"
    path.write_text("this is not geodata\n")
    with pytest.raises(OsmFileError, match="notes.geojson"):
        overpass.boundary_from_file(path)


# --- downloads -------------------------------------------------------------------------------


def test_fetch_by_boundary_file(local):
    data, area = overpass.fetch_osm(boundary=CREMONA)
    assert_matches_fixture(data)
    assert area.equals(overpass.boundary_from_file(CREMONA))
    (request,) = local.of("/api/interpreter")
    assert request["method"] == "POST"
    assert request["headers"]["User-Agent"] == settings.user_agent
    query = sent_query(local)
    assert query.startswith(f"[out:json][timeout:{settings.overpass_timeout_s}];")
    rings = poly_filters(query)
    assert len(rings) == 1 + len(facility_values()) + len(overpass.BASEMAP_TAGS)
    assert all(same_ring(ring, area) for ring in rings)
    highway_filter = next(line for line in query.splitlines() if line.strip().startswith("way["))
    assert '"highway"~' in highway_filter
    for value in settings.walkable_highways | settings.walkable_if_foot_allowed:
        assert value in highway_filter
    # everything as a file holds it: outlines, entrances, base map, no centre points
    assert query.rstrip().endswith(");\n(._;>;);\nout body;") and "center" not in query
    for wanted in ('node["entrance"]', 'nwr["building"]', 'nwr["addr:housenumber"]', '["name"]', 'nwr["waterway"]'):
        assert wanted in query, wanted
    for key, values in facility_values().items():
        line = next(line for line in query.splitlines() if line.strip().startswith(f'nwr["{key}"'))
        assert all(v in line for v in values)


def test_download_and_file_build_place_facilities_alike(local):
    """The same recorded data, downloaded and read from a file, gives the same facilities
    (outline, entrances, point) and the same arrival points for every profile."""
    from accessibility import City
    from accessibility.analysis.destinations import facility_targets, node_xy
    from accessibility.model.costs import edge_costs

    downloaded = City.build(boundary=CREMONA)
    from_file = City.build(osm=[DATA / "extract.osm"])
    a = downloaded.facilities.sort_values(["category", "osm_id"]).reset_index(drop=True)
    b = from_file.facilities.sort_values(["category", "osm_id"]).reset_index(drop=True)
    assert len(a) >= 2 and (a["osm_type"] == "way").any()
    cols = ["category", "name", "osm_type", "osm_id", "entrances", "outline"]
    assert a[cols].equals(b[cols])
    assert (a["entrances"] != "").any() and (a["outline"] != "").any()
    assert a.geometry.geom_equals_exact(b.geometry, tolerance=1e-6).all()
    for profile in ("walk", "manual_wheelchair"):
        for city, table in ((downloaded, a), (from_file, b)):
            costs = edge_costs(city.network, city.barriers, city.profile(profile))
            xy = node_xy(city.network, costs.nodes)
            targets = {
                c: facility_targets(costs, xy, table[table.category == c].reset_index(drop=True))
                for c in sorted(set(table.category))
            }
            points = {c: sorted((costs.nodes[n], round(d, 6)) for n, d in t.points) for c, t in targets.items()}
            if city is downloaded:
                expected = points
            else:
                assert points == expected, profile


def test_fetch_by_place_name(local):
    before = {
        k: getattr(osmnx.settings, k)
        for k in (
            "nominatim_url",
            "requests_timeout",
            "http_user_agent",
            "cache_folder",
            "use_cache",
            "requests_kwargs",
        )
    }
    data, area = overpass.fetch_osm(place=PLACE)
    assert_matches_fixture(data)
    expected = shape(json.loads(NOMINATIM_ANSWER.read_text())[0]["geojson"])
    assert area.equals(expected)
    (search,) = local.of("/search")
    assert search["params"]["q"] == [PLACE]
    assert search["params"]["format"] == ["json"]
    assert search["params"]["polygon_geojson"] == ["1"]
    assert search["headers"]["User-Agent"] == settings.user_agent
    assert all(same_ring(ring, area) for ring in poly_filters(sent_query(local)))
    assert {k: getattr(osmnx.settings, k) for k in before} == before  # restored


def test_second_download_is_served_from_cache(local):
    area = overpass.boundary_from_file(CREMONA)
    first = overpass.download_osm(area)
    assert local.count("/api/interpreter") == 1
    query = sent_query(local)
    url = settings.overpass_url + "/interpreter"
    files = list((settings.cache_dir / "overpass").iterdir())
    assert [f.name for f in files] == [hashlib.sha256((url + query).encode()).hexdigest() + ".json"]
    assert json.loads(files[0].read_bytes()) == json.loads(OVERPASS_ANSWER.read_bytes())
    local.answer("overpass", 504, "<html>busy</html>", "text/html")  # would fail if asked
    second = overpass.download_osm(area)
    assert local.count("/api/interpreter") == 1
    assert_matches_fixture(second)
    assert set(second.ways) == set(first.ways)


def test_second_geocoding_is_served_from_cache(local):
    first = overpass.boundary_from_place(PLACE)
    local.answer("nominatim", 500, "down", "text/plain")
    second = overpass.boundary_from_place(PLACE)
    assert local.count("/search") == 1
    assert second.equals(first)


def test_multipolygon_gets_one_poly_filter_per_part(local):
    area = MultiPolygon([box(10.0, 45.1, 10.01, 45.11), box(10.05, 45.1, 10.06, 45.11)])
    overpass.download_osm(area)
    query = sent_query(local)
    rings = poly_filters(query)
    assert len(rings) == 2 * (1 + len(facility_values()) + len(overpass.BASEMAP_TAGS))
    for part in area.geoms:
        assert sum(same_ring(ring, part) for ring in rings) == 1 + len(facility_values()) + len(overpass.BASEMAP_TAGS)


# --- offline and server errors ---------------------------------------------------------------


def test_offline_closed_port(local, monkeypatch, closed_port):
    monkeypatch.setattr(settings, "overpass_url", f"http://127.0.0.1:{closed_port}/api")
    start = time.monotonic()
    with pytest.raises(OfflineError, match="--osm") as info:
        overpass.download_osm(box(10.0, 45.1, 10.01, 45.11))
    assert time.monotonic() - start < 10
    assert f"127.0.0.1:{closed_port}" in str(info.value)
    assert isinstance(info.value, ConnectionError) and isinstance(info.value, AccessibilityError)


def test_offline_unresolvable_host(local, monkeypatch):
    monkeypatch.setattr(settings, "overpass_url", "http://overpass.invalid/api")
    start = time.monotonic()
    with pytest.raises(OfflineError, match="--osm") as info:
        overpass.download_osm(box(10.0, 45.1, 10.01, 45.11))
    assert time.monotonic() - start < 10
    assert "overpass.invalid" in str(info.value)


def test_connection_error_during_request_is_offline(local, monkeypatch, closed_port):
    # even if the quick check passed, a refused request is an OfflineError, not a traceback
    monkeypatch.setattr(overpass, "check_reachable", lambda *args: None)
    monkeypatch.setattr(settings, "overpass_url", f"http://127.0.0.1:{closed_port}/api")
    with pytest.raises(OfflineError, match="--osm"):
        overpass.download_osm(box(10.0, 45.1, 10.01, 45.11))


def test_geocoder_offline(local, monkeypatch, closed_port):
    monkeypatch.setattr(settings, "nominatim_url", f"http://127.0.0.1:{closed_port}")
    start = time.monotonic()
    with pytest.raises(OfflineError, match="Nominatim"):
        overpass.fetch_osm(place=PLACE)
    monkeypatch.setattr(settings, "nominatim_url", "http://nominatim.invalid")
    with pytest.raises(OfflineError, match="nominatim.invalid"):
        overpass.boundary_from_place(PLACE)
    assert time.monotonic() - start < 10
    assert local.requests == []


OVERPASS_ERROR_PAGE = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE html><html><head><title>OSM3S Response</title></head><body>
<p>The data included in this document is from www.openstreetmap.org.</p>
<p><strong style="color:#FF0000">Error</strong>: line 3: parse error: Unknown type &quot;wya&quot;</p>
</body></html>"""


@pytest.mark.parametrize(
    ("status", "ctype", "body", "said"),
    [
        (504, "text/html", "<html><body><h1>504 Gateway Time-out</h1></body></html>", "504"),
        (429, "text/html", "<html><body>Too Many Requests</body></html>", "429"),
        (400, "text/html", OVERPASS_ERROR_PAGE, 'parse error: Unknown type "wya"'),
        (200, "text/html", OVERPASS_ERROR_PAGE, "not answer with JSON"),
        (
            200,
            "application/json",
            json.dumps(
                {
                    "version": 0.6,
                    "elements": [],
                    "remark": 'runtime error: Query timed out in "query" at line 3 after 181 seconds.',
                }
            ),
            "Query timed out",
        ),
        (200, "application/json", json.dumps({"version": 0.6}), "elements"),
    ],
)
def test_server_errors_are_download_errors(local, status, ctype, body, said):
    local.answer("overpass", status, body, ctype)
    with pytest.raises(DownloadError) as info:
        overpass.download_osm(box(10.0, 45.1, 10.01, 45.11))
    assert said in str(info.value)
    assert "<" not in str(info.value)  # HTML tags stripped
    assert not (settings.cache_dir / "overpass").exists() or not any(
        (settings.cache_dir / "overpass").iterdir()
    )  # nothing cached


def test_read_timeout_is_a_download_error(local, monkeypatch):
    monkeypatch.setattr(settings, "read_timeout_s", 0.5)
    local.delay_s = 3.0
    start = time.monotonic()
    with pytest.raises(DownloadError, match="no answer within"):
        overpass.download_osm(box(10.0, 45.1, 10.01, 45.11))
    assert time.monotonic() - start < 3


def test_place_not_found(local):
    local.answer("nominatim", 200, "[]")
    with pytest.raises(DownloadError, match="Atlantide"):
        overpass.boundary_from_place("Atlantide")


def test_place_that_is_a_point(local):
    point = {
        "lat": "45.1335",
        "lon": "10.0422",
        "class": "place",
        "type": "town",
        "importance": 0.5,
        "display_name": "Somewhere",
        "boundingbox": ["45.13", "45.14", "10.04", "10.05"],
        "geojson": {"type": "Point", "coordinates": [10.0422, 45.1335]},
    }
    local.answer("nominatim", 200, json.dumps([point]))
    with pytest.raises(DownloadError, match="'Somewhere in Cremona'.*point"):
        overpass.boundary_from_place("Somewhere in Cremona")


def test_busy_geocoder_fails_fast(local):
    local.answer("nominatim", 504, "<html>Gateway Time-out</html>", "text/html")
    start = time.monotonic()
    with pytest.raises(DownloadError, match="504"):
        overpass.boundary_from_place(PLACE)
    assert time.monotonic() - start < 10  # osmnx alone would sleep 55 s and retry


def test_fetch_needs_exactly_one_area():
    with pytest.raises(ValueError):
        overpass.fetch_osm()
    with pytest.raises(ValueError):
        overpass.fetch_osm(place=PLACE, boundary=CREMONA)


def test_build_command_by_place_through_the_local_server(local, tmp_path):
    """The whole main job online: `build --place` geocodes, downloads, builds and saves;
    a second build is served from the disk cache."""
    from click.testing import CliRunner

    from accessibility import City
    from accessibility.cli import main

    for _ in range(2):
        result = CliRunner().invoke(main, ["build", "--place", PLACE, "--city", str(tmp_path / "city")])
        assert result.exit_code == 0, result.output
    assert local.count("/api/interpreter") == 1
    city = City.load(tmp_path / "city")
    _, ways = expected_from_fixture()
    highways = {w for w, (_, tags, _) in ways.items() if "highway" in tags}
    assert city.network.number_of_edges() > 0
    assert {d["osmid"] for _, _, d in city.network.edges(data=True)} <= highways
    assert {"library", "pharmacy"} <= set(city.facilities["category"])
    assert city.meta["sources"] == [{"overpass": PLACE}]
