"""Facility sheets: every field read from the OSM tags of its element (Milan's real
wheelchair layer), and a tiny city whose pool is reachable by wheelchair but not usable
(``tests/data/facilities/make_city.py``)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from accessibility import City
from accessibility.model.facilities import find_facilities
from accessibility.model.profiles import load_profile
from accessibility.model.sheets import facility_sheets, sheet_fields, sheet_from_tags
from accessibility.model.usability import judge
from accessibility.sources.osm import read_osm
from realdata import MILAN_WHEELCHAIR, need

TINY = Path(__file__).parent / "data" / "facilities" / "tiny_pool.osm"


@pytest.fixture(scope="module")
def milan_places():
    data = read_osm(need(MILAN_WHEELCHAIR))
    return data, find_facilities(data, "EPSG:32632")


def _tags_of(data, element: str) -> dict[str, str]:
    kind, _sep, ident = element.partition("/")
    table = data.nodes if kind == "node" else data.ways
    return dict(table[int(ident)].tags)


@pytest.mark.slow
def test_milan_sheet_fields_equal_the_tags_of_their_element(milan_places):
    data, facilities = milan_places
    assert len(facilities) > 100
    specs = sheet_fields()
    sheets = facility_sheets(facilities)
    checked = 0
    for sheet in sheets:
        own = _tags_of(data, sheet.element)
        for name in sheet.asked:
            spec = specs[name]
            if spec.element == "entrance" or name == "parking_distance":
                continue
            value = sheet.value(name)
            if value.source == "osm":
                # the value was read from the element it names, from the tag it names
                tags = _tags_of(data, value.element)
                assert tags[value.key] == value.raw, (sheet.element, name)
                if value.key == "parking_space":  # one space marked for disabled people
                    assert (value.raw, value.value) == ("disabled", 1.0)
                else:
                    assert spec.read(value.raw)[0] == value.value
                checked += 1
            else:
                assert value.source == "unknown"
                if spec.element == "facility":
                    # unknown only when no key of the field is on the facility, or its value is unreadable
                    present = [k for k in spec.keys if own.get(k, "").strip()]
                    if present:
                        assert spec.read(own[present[0]])[0] is None, (sheet.element, name, own[present[0]])
                        assert value.raw == own[present[0]] and value.note
        for door in sheet.entrances:
            tags = _tags_of(data, door.element)
            for v in door.values.values():
                if v.known:
                    assert v.source == "osm" and tags[v.key] == v.raw
    assert checked > len(sheets)  # every place has at least its wheelchair tag
    # the accessible toilet is known exactly for the places whose toilets:wheelchair is readable
    with_tag = sum(
        1
        for sheet in sheets
        if specs["toilet"].read(_tags_of(data, sheet.element).get("toilets:wheelchair", ""))[0] is not None
    )
    assert with_tag > 0
    assert sum(1 for s in sheets if s.value("toilet").source == "osm" and s.value("toilet").element == s.element) == (
        with_tag
    )
    # wheelchair=yes/limited/no on the place is the sheet's wheelchair field, value by value
    for sheet in sheets:
        raw = _tags_of(data, sheet.element).get("wheelchair")
        if raw in {"yes", "limited", "no"}:
            assert sheet.value("wheelchair").value == raw


@pytest.mark.slow
def test_milan_every_place_sheet_matches_its_tags(milan_places):
    # every place of the layer (restaurants, shops, entrances ...), read as a sheet of its own
    data, _facilities = milan_places
    specs = sheet_fields()
    counted = {"toilet": 0, "entrance": 0}
    for kind, table in (("node", data.nodes), ("way", data.ways)):
        for ident, element in table.items():
            tags = dict(element.tags)
            if not tags:
                continue
            sheet = sheet_from_tags("", tags.get("name", ""), kind, ident, tags)
            for name, spec in specs.items():
                if spec.element != "facility" or spec.fallback is not None and spec.fallback[0] != "toilets":
                    continue
                value = sheet.value(name)
                present = [k for k in spec.keys if tags.get(k, "").strip()]
                if not present:
                    assert value.source == "unknown" and not value.raw
                    continue
                assert (value.key, value.raw) == (present[0], tags[present[0]])
                assert value.value == spec.read(tags[present[0]])[0]
                counted["toilet"] += name == "toilet" and value.known
            door = sheet.entrances[0]  # no entrance mapped on the place: it is its own
            assert door.value("entrance").raw == tags.get("entrance", "")
            counted["entrance"] += door.value("entrance").known
    # the layer's own figures: toilets:wheelchair on 129 nodes, entrance on 238
    assert counted["toilet"] >= 100 and counted["entrance"] >= 200


@pytest.fixture(scope="module")
def tiny_pool() -> City:
    return City.build(osm=[TINY], name="Piccola")


def _pool(city: City):
    sheets = facility_sheets(city.facilities)
    return next(s for s in sheets if s.name == "Piscina Comunale")


def test_tiny_pool_sheet_reads_its_elements(tiny_pool):
    pool = _pool(tiny_pool)
    assert pool.category == "sports" and pool.element == "way/20"
    assert (pool.value("toilet").value, pool.value("toilet").element) == ("yes", "way/20")
    assert (pool.value("changing_room").value, pool.value("changing_room").key) == ("no", "changing_room:wheelchair")
    assert pool.value("pool_hoist").value == "yes" and pool.value("shower").value == "yes"
    assert (pool.value("parking").value, pool.value("parking").element) == (2.0, "node/40")
    assert pool.value("parking_distance").value == pytest.approx(30.0, abs=0.5)
    (door,) = pool.entrances
    assert door.element == "node/31"
    assert door.value("door_width").value == pytest.approx(0.9) and door.value("automatic_door").value == "yes"
    assert pool.value("tactile_guidance").source == "unknown"
    assert "pool_hoist" in pool.asked
    library = next(s for s in facility_sheets(tiny_pool.facilities) if s.name == "Biblioteca")
    assert "pool_hoist" not in library.asked and "changing_room" not in library.asked


def test_tiny_pool_reachable_by_wheelchair_but_not_usable(tiny_pool):
    chair = load_profile("manual_wheelchair")
    result = tiny_pool.audit(profiles=["manual_wheelchair"], categories=["sports"], residents=1000)
    row = result.reach[(result.reach.profile == "manual_wheelchair") & (result.reach.threshold == "1000 m")].iloc[0]
    assert row.reachable_facilities == 1 and row.residents_reached == pytest.approx(1000 * 2 / 3)
    assert result.unreachable[result.unreachable.profile == "manual_wheelchair"].empty
    use = judge(_pool(tiny_pool), chair)
    assert use.status == "not_usable"
    assert use.unmet == ("changing_room",) and [d.key for d in use.defects] == ["changing_room@way/20"]
    assert judge(_pool(tiny_pool), load_profile("walker")).status == "usable"


def test_sheet_survives_the_workspace(tiny_pool, tmp_path):
    tiny_pool.save(tmp_path / "ws")
    again = City.load(tmp_path / "ws")
    assert _pool(again).values == _pool(tiny_pool).values


def test_audit_reports_reach_and_use_separately(tiny_pool, tmp_path):
    from accessibility.outputs.export import write_audit

    result = tiny_pool.audit(
        profiles=["walk", "manual_wheelchair", "walker"], categories=["sports", "library"], residents=1000
    )
    reach = result.reach.set_index(["profile", "category", "threshold"])
    chair = reach.loc[("manual_wheelchair", "sports", "1000 m")]
    # reachable by 2/3 of the residents (the others live behind the steps), usable by none
    assert chair.residents_share == pytest.approx(2 / 3) and chair.residents_usable_share == 0.0
    assert (chair.usable_facilities, chair.not_usable_facilities) == (0, 1)
    library = reach.loc[("manual_wheelchair", "library", "1000 m")]
    assert library.residents_usable_share == pytest.approx(library.residents_share)
    walker = reach.loc[("walker", "sports", "1000 m")]
    assert walker.residents_usable_share == pytest.approx(walker.residents_share)
    use = result.usability.set_index(["profile", "name"])
    pool = use.loc[("manual_wheelchair", "Piscina Comunale")]
    assert bool(pool.reachable) and pool.status == "not_usable"
    assert (pool.missing, pool.unknown, pool.defects) == ("changing_room", "", "changing_room@way/20")
    # residents within the first limit (500 m) of the pool's entrance: nodes 1 and 2
    assert pool.residents_reached == pytest.approx(1000 / 6 + 1000 / 3)
    assert np.isnan(use.loc[("manual_wheelchair", "Biblioteca")].residents_reached)  # no chapter on libraries
    assert "walk" not in set(result.usability.profile)

    write_audit(result, tmp_path / "audit", lang="it")
    page = (tmp_path / "audit" / "report.html").read_text(encoding="utf-8")
    assert "Raggiungibili e fruibili" in page and "Spogliatoio accessibile" in page
    table = pd.read_csv(tmp_path / "audit" / "usability.csv", sep=";", encoding="utf-8-sig")
    row = table[(table.profile == "manual_wheelchair") & (table.name == "Piscina Comunale")].iloc[0]
    assert (row.status_text, row.missing_text) == ("non fruibile", "Spogliatoio accessibile")


def test_plan_funds_the_changing_room_for_exactly_the_people_who_reach_the_pool(tiny_pool):
    from dataclasses import replace

    from accessibility.planning.interventions import load_cost_table

    audit = tiny_pool.audit(profiles=["manual_wheelchair"], categories=["sports"], residents=1000)
    reach = audit.reach.set_index(["profile", "threshold"]).loc[("manual_wheelchair", "1000 m")]
    plan = tiny_pool.plan(
        100_000, residents=1000, profiles=["manual_wheelchair", "walker"], categories=["sports"], threshold_m=1000
    )
    t = plan.table
    room = t[t.barrier_id == "changing_room@way/20"].iloc[0]
    assert room.kind == "facility_changing_room" and room.row == -1 and room.facility == "Piscina Comunale"
    assert room.cost == load_cost_table().interventions["accessible_changing_room"].euro
    # usable for exactly the residents who reach it with a wheelchair; the walker could use it already
    assert room.people_manual_wheelchair_sports == pytest.approx(reach.residents_reached)
    assert room.people_walker_sports == 0 and room.facilities_manual_wheelchair_sports == 1
    assert room.within_budget and room.selection == "facility"
    # one list: every row that gains is placed by people per euro (street and facility alike)
    gaining = t[t.selection != "no gain"]
    ratios = (gaining.groupby("step")["people_total"].sum() / gaining.groupby("step")["cost"].sum()).to_numpy()
    assert list(ratios) == sorted(ratios, reverse=True)
    # the works done, the pool is usable for the wheelchair user
    pool = _pool(tiny_pool)
    done = replace(pool, works=frozenset({room.barrier_id}))
    assert judge(done, load_profile("manual_wheelchair")).status == "usable"


def test_facility_works_rank_beside_street_barriers_by_people_per_euro(tiny_pool):
    plan = tiny_pool.plan(30_000, residents=1000, profiles=["manual_wheelchair"], categories=["sports"])
    t = plan.table.set_index("barrier_id")
    steps, room = t.loc["osm-way-12-steps"], t.loc["changing_room@way/20"]
    # the ramp opens the way for the 1/3 behind the steps (15,600 EUR); the changing room makes
    # the pool usable for the 2/3 who reach it (25,000 EUR): more people per euro, ranked first
    assert steps.people_total == pytest.approx(1000 / 3, rel=1e-4)
    assert room.people_total == pytest.approx(2000 / 3, rel=1e-4)
    assert (room["rank"], steps["rank"]) == (1, 2)
    assert room.within_budget and not steps.within_budget


EVIL = '=HYPERLINK("http://x";"click")'


def test_facilities_command_exports_every_sheet(tmp_path):
    import openpyxl
    import pyogrio
    from click.testing import CliRunner

    from accessibility.cli import main

    text = TINY.read_text(encoding="utf-8").replace("Piscina Comunale", EVIL.replace('"', "&quot;"))
    (tmp_path / "evil.osm").write_text(text, encoding="utf-8")
    City.build(osm=[tmp_path / "evil.osm"], name="Piccola").save(tmp_path / "ws")
    runner = CliRunner()
    for name in ("f.csv", "f.xlsx", "f.gpkg"):
        result = runner.invoke(main, ["facilities", "--city", str(tmp_path / "ws"), "-o", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
        assert "2 facilities" in result.output
    bad = runner.invoke(main, ["facilities", "--city", str(tmp_path / "ws"), "-o", str(tmp_path / "f.txt")])
    assert bad.exit_code == 2 and ".csv, .xlsx or .gpkg" in bad.output and "Traceback" not in bad.output

    table = pd.read_csv(tmp_path / "f.csv", sep=",", encoding="utf-8-sig")  # English: comma
    pool = table[table.category == "Sports facilities"].iloc[0]
    assert pool["name"] == "'" + EVIL  # inert in a spreadsheet
    assert (pool.changing_room, pool.changing_room_source) == ("no", "OpenStreetMap way/20")
    assert (pool.door_width, pool.door_width_source) == (0.9, "OpenStreetMap node/31")
    assert pool.usable_manual_wheelchair == "not usable" and pool.usable_walker == "usable"
    assert pool.missing_manual_wheelchair == "Accessible changing room"
    assert pool.tactile_guidance_source == "unknown"
    assert set(table.licence) == {"© OpenStreetMap contributors (ODbL)"}

    book = openpyxl.load_workbook(tmp_path / "f.xlsx")
    sheet = book["Facilities"]
    cells = {c.value: c for c in sheet[3]}
    assert EVIL in cells and cells[EVIL].data_type == "s"  # a string, never a formula
    notes = " ".join(str(c.value) for row in book["Notes"].iter_rows() for c in row)
    assert "OpenStreetMap contributors" in notes

    layer = pyogrio.read_dataframe(tmp_path / "f.gpkg")
    pool = layer[layer.category == "sports"].iloc[0]
    assert (pool["name"], pool.changing_room, pool.parking, pool.usable_manual_wheelchair) == (
        EVIL,
        "no",
        2.0,
        "not_usable",
    )
    assert set(layer.licence) == {"© OpenStreetMap contributors (ODbL)"}


def test_facilities_command_in_italian(tiny_pool, tmp_path):
    from click.testing import CliRunner

    from accessibility.cli import main

    tiny_pool.save(tmp_path / "ws")
    out = tmp_path / "schede.csv"
    result = CliRunner().invoke(main, ["facilities", "--city", str(tmp_path / "ws"), "-o", str(out), "--lang", "it"])
    assert result.exit_code == 0 and "strutture con le relative schede" in result.output
    table = pd.read_csv(out, sep=";", decimal=",", encoding="utf-8-sig")
    pool = table[table.name == "Piscina Comunale"].iloc[0]
    assert (pool.category, pool.changing_room, pool.usable_manual_wheelchair) == (
        "Impianti sportivi",
        "no",
        "non fruibile",
    )
    assert pool.door_width == 0.9 and pool.shower == "sì"


def test_report_chapter_on_sports_facilities(tiny_pool, tmp_path):
    import re

    from accessibility.outputs.export import write_audit
    from accessibility.planning.interventions import load_cost_table

    result = tiny_pool.audit(profiles=["manual_wheelchair", "walker"], categories=["sports"], residents=1000)
    works = result.works.set_index("key")
    room = works.loc["changing_room@way/20"]
    assert room.cost == load_cost_table().interventions["accessible_changing_room"].euro
    assert room.profiles == "manual_wheelchair" and len(works) == 1  # the walker can use it already
    assert set(result.sheets) == {"way/20"}
    write_audit(result, tmp_path / "it", lang="it")
    page = (tmp_path / "it" / "report.html").read_text(encoding="utf-8")
    chapter = page[page.index('id="sports-h"') : page.index('id="unreach-h"')]
    assert "Piscina Comunale" in chapter and "programma di mandato" in chapter
    assert "Interventi necessari: 25.000\xa0€ in totale" in chapter
    assert re.search(r"Sedia a rotelle manuale</td><td class=\"n\">500</td><td>non fruibile</td>", chapter)
    assert re.search(r"Larghezza della porta</td><td>0,90 m</td><td>OpenStreetMap node/31", chapter)
    write_audit(result, tmp_path / "en", lang="en")
    english = (tmp_path / "en" / "report.html").read_text(encoding="utf-8")
    assert re.search(r"What to fix: €25,000(\.00)? in all", english)


def test_web_sheet_and_nearest_usable_by(tiny_pool):
    from fastapi.testclient import TestClient

    from accessibility.web.app import create_app

    with TestClient(create_app(tiny_pool)) as client:
        doc = client.get("/api/v1/facilities/way-20/sheet", params={"lang": "it"}).json()
        assert doc["name"] == "Piscina Comunale" and doc["element"] == "way/20"
        fields = {f["field"]: f for f in doc["fields"]}
        assert (fields["changing_room"]["value"], fields["changing_room"]["text"]) == ("no", "no")
        assert fields["toilet"]["source_text"] == "OpenStreetMap way/20" and fields["toilet"]["tag"] == (
            "toilets:wheelchair"
        )
        assert fields["tactile_guidance"]["text"] == "non noto"
        chair = doc["usable"]["manual_wheelchair"]
        assert (chair["status"], chair["status_label"], chair["missing"]) == (
            "not_usable",
            "non fruibile",
            "Spogliatoio accessibile",
        )
        assert doc["usable"]["walker"]["status"] == "usable"
        assert doc["a11yjson"]["restrooms"] == [{"isAccessibleWithWheelchair": True}]
        assert "OpenStreetMap" in doc["attribution"]
        door = doc["entrances"][0]
        assert door["element"] == "node/31"
        assert {f["field"]: f["value"] for f in door["fields"]}["door_width"] == pytest.approx(0.9)
        for bad in ("way-999", "nonsense", "way-abc"):
            answer = client.get(f"/api/v1/facilities/{bad}/sheet")
            assert answer.status_code == 404 and "way-123" in answer.json()["error"]["message"]

        start = {"from": "45.1326994,10.02", "category": "sports", "profile": "manual_wheelchair"}
        reached = client.get("/api/v1/nearest", params=start)
        assert reached.status_code == 200
        assert "Piscina Comunale" in json.dumps(reached.json()["features"][0]["properties"])
        walker = client.get("/api/v1/nearest", params=start | {"usable_by": "walker"})
        assert walker.status_code == 200 and "Piscina Comunale" in json.dumps(walker.json()["features"][0])
        refused = client.get("/api/v1/nearest", params=start | {"usable_by": "manual_wheelchair", "lang": "it"})
        assert refused.status_code == 404
        assert "sedia a rotelle manuale" in refused.json()["error"]["message"]
        wrong = client.get("/api/v1/nearest", params=start | {"usable_by": "rocket"})
        assert wrong.status_code == 422 and wrong.json()["error"]["parameter"] == "usable_by"
