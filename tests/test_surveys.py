"""Validation of survey rows and the merge of reports into the barrier set (pure parts)."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from pyproj import Transformer

from accessibility.coordinates import parse_crs
from accessibility.errors import ReviewError
from accessibility.model.barriers import barrier_targets
from accessibility.sources.surveys import read_survey_file
from accessibility.surveys.merge import merge_barriers
from accessibility.surveys.review import check_transition
from accessibility.surveys.schema import parse_kind
from accessibility.surveys.validate import validate
from accessibility.values import parse_date, parse_flag, parse_number
from survey_fixtures import SURVEYS, grid_city, grid_workspace, node_ll

TODAY = dt.date(2025, 6, 1)


@pytest.fixture(scope="module")
def city():
    return grid_city()


def run(city, name, **kw):
    return validate(read_survey_file(SURVEYS / name), city.area, city.network, "tester", TODAY, **kw)


@pytest.mark.parametrize(
    "text, value", [("12", 12.0), ("12,5", 12.5), ("1.234,5", 1234.5), ("1,234.5", 1234.5), ("-3,5 %", -3.5), (7, 7.0)]
)
def test_parse_number(text, value):
    assert parse_number(text) == value


@pytest.mark.parametrize("text", ["largo", "", "1,2,3", "nan", True])
def test_parse_number_rejects(text):
    with pytest.raises(ValueError):
        parse_number(text)


def test_parse_date_flag_crs_kind():
    assert parse_date("3/5/2025") == dt.date(2025, 5, 3)  # day first, as in Italy
    assert parse_date("03.05.2025") == parse_date("2025-05-03") == parse_date(dt.datetime(2025, 5, 3, 9))
    for bad in ("31/02/2025", "ieri", "2025-13-01", "05/03/25"):
        with pytest.raises(ValueError):
            parse_date(bad)
    assert parse_flag("Sì") and parse_flag("x") and not parse_flag("No")
    assert parse_crs("EPSG:3003") == parse_crs("Gauss-Boaga") == parse_crs(3003.0) == 3003
    assert parse_crs("7791") == 7791
    with pytest.raises(ValueError):
        parse_crs("25832")
    assert parse_kind("Gradini") == "steps" and parse_kind("Cordolo rialzato") == "raised_kerb"
    assert parse_kind("scivolo") == "lowered_kerb"


def test_messy_rows_each_rejected_for_its_own_reason(city):
    v = run(city, "messy_rows.csv")
    by_row = {}
    for r in v.rejects:
        by_row.setdefault(r.row, set()).add(r.field)
    assert by_row == {
        2: {"kind"},
        3: {"surveyed_on"},
        4: {"surveyed_on"},
        5: {"surveyed_on"},
        6: {"kerb_height_cm"},
        7: {"severity"},
        8: {"location"},
        9: {"location"},
        11: {"kind"},
        12: {"width_cm"},
        13: {"expires_on"},
        14: {"expires_on"},
        16: {"*"},
    }
    reasons = {r.row: r for r in v.rejects}
    assert "future" in reasons[5].reason.text("en") and "futuro" in reasons[5].reason.text("it")
    assert "outside the city" in str(reasons[9].reason)
    assert "same as row 15" in str(reasons[16].reason)
    assert [r["source_row"] for r in v.accepted] == [10, 15, 17, 18]
    flags = {(f.row, f.code) for f in v.flags}
    assert flags == {(10, "swapped"), (15, "near_same_kind"), (17, "near_same_kind"), (18, "off_network")}


def test_free_text_stored_as_given(city):
    v = run(city, "messy_rows.csv")
    assert v.accepted[1]["description"] == "<script>alert(1)</script>"


def test_swapped_lat_lon_corrected(city):
    v = run(city, "messy_rows.csv")
    lat, lon = node_ll(3, 3)
    report = v.accepted[0]
    assert (report["lat"], report["lon"]) == (lat, lon) and report["flags"] == "swapped"


def test_projected_coordinates(city):
    """Gauss-Boaga (EPSG:3003, with and without a crs column), UTM 32N and RDN2008 land
    where they should: within a metre of the node they were computed from."""
    v = run(city, "gauss_boaga.csv")
    lat, lon = node_ll(1, 3)
    to_utm = Transformer.from_crs(4326, 32632, always_xy=True)
    x0, y0 = to_utm.transform(lon, lat)
    dists = [math.dist(to_utm.transform(r["lon"], r["lat"]), (x0, y0)) for r in v.accepted]
    assert len(dists) == 4
    assert dists[0] < 0.5 and abs(dists[1] - 1) < 0.5 and dists[2] < 0.5 and dists[3] < 2.5
    assert {(f.row, f.code) for f in v.flags if f.code == "crs_inferred"} == {(3, "crs_inferred")}
    assert [(r.row, r.field) for r in v.rejects] == [(6, "crs")]


def test_duplicates_against_the_store(city):
    first = run(city, "good_semicolon_comma.csv")
    existing = __import__("pandas").DataFrame([{"report_id": i + 1, **r} for i, r in enumerate(first.accepted)])
    again = run(city, "good_semicolon_comma.csv", existing=existing)
    assert again.accepted == [] and again.already_stored == [2, 3, 4] and again.rejects == []


def test_snapping(city):
    v = run(city, "good_semicolon_comma.csv")
    assert [(r["kind"], r["snap"]) for r in v.accepted] == [
        ("raised_kerb", "node"),
        ("lowered_kerb", "node"),
        ("obstacle", "edge"),
    ]
    assert 2.5 < v.accepted[2]["snap_m"] < 4  # 3 m north of the footway, not moved


def test_review_transitions():
    check_transition(1, "reported", "verified", None)
    with pytest.raises(ReviewError, match="can become rejected, verified, not fixed"):
        check_transition(1, "reported", "fixed", None)
    with pytest.raises(ReviewError, match="needs a note"):
        check_transition(1, "verified", "rejected", " ")
    with pytest.raises(ReviewError, match="unknown status"):
        check_transition(1, "verified", "done", None)


# --- merge -------------------------------------------------------------------------------


def _ids(frame):
    return sorted(frame["barrier_id"])


def test_verified_report_adds_and_fixed_restores(tmp_path):
    city, files = grid_workspace(tmp_path)
    original = _ids(city.barriers)
    assert set(city.barriers["source"]) == {"osm"}
    result = city.import_surveys(files / "good_semicolon_comma.csv", surveyor="Anna")
    kerb, lowered, site = result.accepted
    assert _ids(city.barriers) == original  # reported: not in force yet
    city.review_survey(kerb, "verified", note="seen", by="Bruno")
    merged = city.barriers
    added = merged[merged["source"] == "survey"]
    assert list(added["barrier_id"]) == [f"survey-{kerb}-raised_kerb"]
    row = added.iloc[0]
    assert (row["element"], row["node"], row["measure"]) == ("node", 1022, 12.5)
    assert row["severity_manual_wheelchair"] == "blocking" and row["severity_walk"] == "none"
    nodes, _ = barrier_targets(merged, city.network)
    assert 1022 in nodes
    city.review_survey(kerb, "fixed", note="kerb lowered", by="Bruno")
    assert _ids(city.barriers) == original


def test_lowered_kerb_lifts_osm_barrier(tmp_path):
    city, files = grid_workspace(tmp_path)
    assert "osm-node-1011-raised_kerb" in _ids(city.barriers)
    ids = city.import_surveys(files / "good_semicolon_comma.csv", surveyor="Anna").accepted
    city.review_survey(ids[1], "verified", by="Bruno")
    assert "osm-node-1011-raised_kerb" not in _ids(city.barriers)
    assert "osm-node-1011-raised_kerb" in _ids(city.osm_barriers)  # the raw set is kept
    city.review_survey(ids[1], "rejected", note="photo shows a raised kerb", by="Carla")
    assert "osm-node-1011-raised_kerb" in _ids(city.barriers)


def test_edge_report_and_expired_temporary(tmp_path):
    city, files = grid_workspace(tmp_path)
    ids = city.import_surveys(files / "good_semicolon_comma.csv", surveyor="Anna").accepted
    city.review_survey(ids[2], "verified", by="Bruno")
    row = city.barriers.query("source == 'survey'").iloc[0]
    assert (row["element"], row["tags"], row["measure"]) == ("edge", "temporary=yes", 60.0)
    assert row["severity_manual_wheelchair"] == "blocking"  # 60 cm < the wheelchair's width
    _, edges = barrier_targets(city.barriers, city.network)
    survey_pos = len(city.barriers) - 1
    hit = [e for e, rows in edges.items() if survey_pos in rows]
    assert sorted(hit) == sorted([(1000, 1001, 0), (1001, 1000, 0)])
    reports = city.surveys  # expires 30/06/2099: in force now, not on 1 July 2099
    after = merge_barriers(city.osm_barriers, reports, city.network, city.profiles, dt.date(2099, 7, 1))
    assert _ids(after) == _ids(city.osm_barriers)


def test_fixed_steps_report_on_a_way_lifts_the_osm_steps(osm_file, tmp_path):
    """Steps mapped in OSM, reported by a surveyor, replaced by a ramp: once the report is
    marked fixed, the OSM steps stop blocking a wheelchair."""
    from accessibility import City

    foot = {"highway": "footway"}  # steps 102-103 in the middle; spurs make the study area 2-D
    city = City.build(
        osm=[
            osm_file(
                [
                    (1, [101, 102], foot),
                    (2, [102, 103], {"highway": "steps"}),
                    (3, [103, 104], foot),
                    (4, [101, 1], foot),
                    (5, [104, 204], foot),
                ]
            )
        ],
        name="tiny",
    )
    city.save(tmp_path / "ws")
    G = city.network
    lat = (G.nodes[102]["lat"] + G.nodes[103]["lat"]) / 2
    lon = (G.nodes[102]["lon"] + G.nodes[103]["lon"]) / 2
    csv = tmp_path / "rilievo.csv"
    csv.write_text(f"tipo;latitudine;longitudine;data_rilievo\ngradini;{lat};{lon};02/05/2025\n", encoding="utf-8")
    report = city.import_surveys(csv, surveyor="Anna").accepted[0]
    a, b = (G.nodes[101]["lat"], G.nodes[101]["lon"]), (G.nodes[104]["lat"], G.nodes[104]["lon"])

    def steps_rows():
        rows = city.barriers[city.barriers["kind"] == "steps"]
        return sorted(zip(rows["source"], rows["element"]))

    city.review_survey(report, "verified", note="visto", by="Bruno")
    assert steps_rows() == [("survey", "way")]  # the verified report replaces the OSM steps, never doubles them
    row = city.barriers.query("source == 'survey'").iloc[0]
    assert row["replaces"] == "osm-way-2-steps" and row["osm_id"] == 2
    assert not city.route(a, b, profile="manual_wheelchair").found
    city.review_survey(report, "fixed", note="rampa costruita", by="Carla")
    assert steps_rows() == []
    assert city.route(a, b, profile="manual_wheelchair").found


def _steps_beside_a_path(osm_file, tmp_path):
    """Steps 102-103 (way 2) with a footway 6 running 3 m north of them, and steps 104-105
    (way 8) farther east: a report at the steps can be nearer to the footway's edge."""
    from accessibility import City

    foot = {"highway": "footway"}
    coords = {301: (10.0202, 45.13013), 302: (10.0203, 45.13013)}
    city = City.build(
        osm=[
            osm_file(
                [
                    (1, [101, 102], foot),
                    (2, [102, 103], {"highway": "steps"}),
                    (3, [103, 104], foot),
                    (4, [101, 1], foot),
                    (5, [104, 204], foot),
                    (6, [301, 302], foot),
                    (7, [302, 204], foot),
                    (8, [104, 105], {"highway": "steps"}),
                ],
                coords=coords,
            )
        ],
        name="tiny",
    )
    city.save(tmp_path / "ws")
    return city


def _report(city, tmp_path, lat, lon, code=""):
    csv = tmp_path / "rilievo.csv"
    csv.write_text(
        f"tipo;latitudine;longitudine;data_rilievo;codice_barriera\ngradini;{lat:.7f};{lon:.7f};02/05/2025;{code}\n",
        encoding="utf-8",
    )
    (report,) = city.import_surveys(csv, surveyor="Anna").accepted
    return report


def test_a_fixed_report_lifts_the_steps_it_stands_on_not_the_nearest_edge(osm_file, tmp_path):
    from accessibility.model.snapping import network_index

    city = _steps_beside_a_path(osm_file, tmp_path)
    lat, lon = 45.130118, 10.02025  # 2.0 m from the steps, 1.3 m from footway 6
    x, y = Transformer.from_crs(4326, city.network.graph["crs"], always_xy=True).transform(lon, lat)
    snap = network_index(city.network).snap_report(x, y, False, 5.0, 15.0)
    assert snap.osmid == 6  # the nearest edge is not the steps'
    report = _report(city, tmp_path, lat, lon)
    city.review_survey(report, "verified", by="Bruno")
    steps = city.barriers[city.barriers["kind"] == "steps"]
    assert sorted(zip(steps["barrier_id"], steps["replaces"].fillna(""))) == [
        ("osm-way-8-steps", ""),
        (f"survey-{report}-steps", "osm-way-2-steps"),
    ]
    city.review_survey(report, "fixed", by="Carla")
    assert city.barriers.loc[city.barriers["kind"] == "steps", "barrier_id"].tolist() == ["osm-way-8-steps"]


def test_a_report_naming_its_barrier_acts_on_that_barrier(osm_file, tmp_path):
    city = _steps_beside_a_path(osm_file, tmp_path)
    G = city.network
    # standing on the steps of way 8, but naming those of way 2
    lat = (G.nodes[104]["lat"] + G.nodes[105]["lat"]) / 2
    lon = (G.nodes[104]["lon"] + G.nodes[105]["lon"]) / 2
    report = _report(city, tmp_path, lat, lon, code="osm-way-2-steps")
    assert city.store.reports()["barrier_code"].tolist() == ["osm-way-2-steps"]
    city.review_survey(report, "verified", by="Bruno")
    city.review_survey(report, "fixed", by="Carla")
    assert city.barriers.loc[city.barriers["kind"] == "steps", "barrier_id"].tolist() == ["osm-way-8-steps"]


def test_a_report_of_another_kind_does_not_lift_the_steps(osm_file, tmp_path):
    city = _steps_beside_a_path(osm_file, tmp_path)
    csv = tmp_path / "rilievo.csv"
    csv.write_text("tipo;latitudine;longitudine;data_rilievo\nostacolo;45.1301;10.02025;02/05/2025\n", encoding="utf-8")
    (report,) = city.import_surveys(csv, surveyor="Anna").accepted
    city.review_survey(report, "verified", by="Bruno")
    city.review_survey(report, "fixed", by="Carla")
    assert sorted(city.barriers.loc[city.barriers["kind"] == "steps", "barrier_id"]) == [
        "osm-way-2-steps",
        "osm-way-8-steps",
    ]
