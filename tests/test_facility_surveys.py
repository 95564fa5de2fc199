"""Facility sheet surveys (scheda impianto) from the field tools: imported like barrier
reports (KoboToolbox's CSV export of the facility form, ``tests/data/facilities/make_kobo.py``),
reviewed like them, and, once verified, applied to the facility's sheet wherever sheets are
built (the tiny city of ``tests/data/facilities/make_city.py``)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from accessibility import City
from accessibility.cli import main
from accessibility.model.sheets import facility_sheets
from accessibility.surveys.facility import surveyed_answers

DATA = Path(__file__).parent / "data" / "facilities"
TINY = DATA / "tiny_pool.osm"
KOBO = DATA / "kobo_impianto.csv"


@pytest.fixture(scope="module")
def built() -> City:
    city = City.build(osm=[TINY], name="Piccola")
    # the tiny city's network is one straight street: its hull is a line, which no
    # surveyor's position lies on; its area is the street and 200 m around
    city.area = city.area.set_geometry(city.area.buffer(200))
    return city


@pytest.fixture
def city(built: City, tmp_path: Path) -> City:
    built.save(tmp_path / "ws")
    return City.load(tmp_path / "ws")


@pytest.fixture
def export(tmp_path: Path) -> Path:
    """The export and its media download, copied (the rejects file is written beside it)."""
    folder = tmp_path / "export"
    folder.mkdir()
    shutil.copy(KOBO, folder / KOBO.name)
    shutil.copytree(DATA / "kobo_impianto_media", folder / "kobo_impianto_media")
    return folder / KOBO.name


def _pool(city: City):
    return next(s for s in facility_sheets(city.facilities) if s.name == "Piscina Comunale")


def _chair_pool(city: City) -> pd.Series:
    result = city.audit(profiles=["manual_wheelchair"], categories=["sports"], residents=1000)
    use = result.usability.set_index(["profile", "name"])
    return use.loc[("manual_wheelchair", "Piscina Comunale")]


def test_kobo_facility_export_imports_with_its_rejects(city, export):
    result = city.import_surveys(export, surveyor="Bruno Neri")  # found by its columns
    assert len(result.accepted) == 2 and result.rejected_rows == [4, 5, 6, 7, 8]
    by_row = {r.row: r for r in result.rejected}
    assert (by_row[4].field, by_row[4].value) == ("door_width", "largo")
    assert by_row[5].field == "location" and "100 m" in str(by_row[5].reason)
    assert by_row[6].field == "elemento_osm" and "way/999" in str(by_row[6].reason)
    assert by_row[7].field == "submission_id"
    assert by_row[8].field == "review_state"
    rejects = pd.read_csv(export.with_name("kobo_impianto.rejects.csv"), sep=";")
    assert list(rejects["row"]) == [4, 5, 6, 7, 8] and rejects["field"].iloc[0] == "door_width"

    stored = city.surveys.set_index("report_id").loc[result.accepted]
    assert list(stored.kind) == ["facility", "facility"] and set(stored.status) == {"reported"}
    assert list(stored.facility) == ["way/20", "node/2"]  # the library found by its position
    assert list(stored.street) == ["Piscina Comunale", "Biblioteca"]
    pool = stored.iloc[0]
    assert pool.submission_id.endswith("0d01") and pool.photos.startswith("photos/")  # photo attached
    assert (city.path / pool.photos).is_file()
    assert len(city.store.history(int(stored.index[0]))) == 1

    again = city.import_surveys(export, surveyor="Bruno Neri")
    assert again.accepted == [] and again.already_stored == [2, 3]


def test_verified_survey_makes_the_pool_usable_unverified_does_nothing(city, export):
    barriers = len(city.barriers)
    before = _chair_pool(city)
    assert before.status == "not_usable" and before.missing == "changing_room"
    result = city.import_surveys(export, surveyor="Bruno Neri", form="impianto")
    pool_report = result.accepted[0]
    assert _chair_pool(city).status == "not_usable"  # reported, not yet verified
    assert _pool(city).value("changing_room").source == "osm"

    city.review_survey(pool_report, "verified", note="visto", by="Carla")
    sheet = _pool(city)
    changing = sheet.value("changing_room")
    assert (changing.value, changing.source, changing.element) == ("yes", "survey", f"survey/{pool_report}")
    assert sheet.value("shower").source == "survey" and sheet.value("pool_hoist").source == "osm"
    assert _chair_pool(city).status == "usable"
    assert len(city.barriers) == barriers  # a facility survey is no barrier
    assert list(surveyed_answers(city.store.reports())) == ["way/20"]  # the library's survey is unverified

    city.review_survey(pool_report, "rejected", note="errore", by="Carla")
    assert _pool(city).value("changing_room").value == "no"


def test_newest_verified_survey_of_a_facility_wins(city, tmp_path):
    path = tmp_path / "due.csv"
    path.write_text(
        "impianto;elemento_osm;lat;lon;changing_room;data_rilievo\n"
        "Piscina;way/20;45.12982;10.02;si;2026-05-01\n"
        "Piscina;way/20;45.12982;10.02;no;2026-05-03\n",
        encoding="utf-8",
    )
    result = city.import_surveys(path, surveyor="Bruno Neri")
    assert len(result.accepted) == 2
    for rid in reversed(result.accepted):
        city.review_survey(rid, "verified", by="Carla")
    assert _pool(city).value("changing_room").value == "no"  # surveyed on 3 May


def test_cli_imports_lists_and_reviews_facility_sheets_in_italian(city, export):
    runner = CliRunner()
    ws = str(city.path)
    out = runner.invoke(
        main,
        ["survey", "import", str(export), "--city", ws, "--surveyor", "Bruno", "--form", "impianto", "--lang", "it"],
    )
    assert out.exit_code == 0, out.output
    assert "accettate: 2" in out.output and "scartate: 5" in out.output
    listed = runner.invoke(main, ["survey", "list", "--city", ws, "--kind", "impianto", "--lang", "it"])
    assert listed.exit_code == 0 and "scheda impianto" in listed.output and "Piscina Comunale" in listed.output
    assert "2 segnalazioni" in listed.output
    review = runner.invoke(
        main, ["survey", "review", "1", "--city", ws, "--set", "verificato", "--by", "Carla", "--lang", "it"]
    )
    assert review.exit_code == 0, review.output
    sheet = runner.invoke(main, ["facilities", "--city", ws, "-o", str(Path(ws) / "schede.csv")])
    assert sheet.exit_code == 0, sheet.output
    rows = pd.read_csv(Path(ws) / "schede.csv", encoding="utf-8-sig")
    pool = rows[rows["name"] == "Piscina Comunale"].iloc[0]
    assert pool.changing_room == "yes" and pool.usable_manual_wheelchair == "usable"


def test_unknown_form_and_barrier_files_unchanged(city, tmp_path):
    runner = CliRunner()
    bad = runner.invoke(
        main, ["survey", "import", str(KOBO), "--city", str(city.path), "--surveyor", "B", "--form", "altro"]
    )
    assert bad.exit_code == 2 and "Traceback" not in bad.output
    path = tmp_path / "barriere.csv"
    path.write_text("tipo;data;lat;lon;gradini\ngradini;2026-05-01;45.1327;10.02;3\n", encoding="utf-8")
    result = city.import_surveys(path, surveyor="B")
    assert len(result.accepted) == 1 and city.surveys.kind.iloc[0] == "steps"


def test_web_sheet_and_nearest_usable_follow_the_verified_survey(city, export):
    from fastapi.testclient import TestClient

    from accessibility.web.app import create_app

    start = {"from": "45.1326994,10.02", "category": "sports", "profile": "manual_wheelchair"}
    with TestClient(create_app(city)) as client:
        assert client.get("/api/v1/nearest", params=start | {"usable_by": "manual_wheelchair"}).status_code == 404
        rid = city.import_surveys(export, surveyor="Bruno Neri").accepted[0]
        city.review_survey(rid, "verified", by="Carla")
        doc = client.get("/api/v1/facilities/way-20/sheet", params={"lang": "it"}).json()
        fields = {f["field"]: f for f in doc["fields"]}
        assert fields["changing_room"]["value"] == "yes" and f"survey/{rid}" in fields["changing_room"]["source_text"]
        assert doc["usable"]["manual_wheelchair"]["status"] == "usable"
        usable = client.get("/api/v1/nearest", params=start | {"usable_by": "manual_wheelchair"})
        assert usable.status_code == 200 and "Piscina Comunale" in str(usable.json()["features"][0])


def test_a_store_of_version_3_takes_facility_surveys(city, export, tmp_path):
    """A store written before facility surveys (schema 3): its reports and history stay,
    ``facility`` and ``answers`` are added on opening, and a facility file imports."""
    import sqlite3

    from accessibility import settings

    path = tmp_path / "barriere.csv"
    path.write_text("tipo;data;lat;lon;gradini\ngradini;2026-05-01;45.1327;10.02;3\n", encoding="utf-8")
    first = city.import_surveys(path, surveyor="B").accepted
    con = sqlite3.connect(city.store.path)
    for column in ("facility", "answers"):
        con.execute(f"ALTER TABLE surveys DROP COLUMN {column}")
    con.execute("UPDATE survey_meta SET value = '3' WHERE key = 'schema_version'")
    con.commit()
    con.close()
    reports = city.store.reports()
    assert reports["report_id"].tolist() == first and reports["facility"].isna().all()
    con = sqlite3.connect(city.store.path)
    assert con.execute("SELECT value FROM survey_meta WHERE key = 'schema_version'").fetchone()[0] == str(
        settings.survey_store_version
    )
    con.close()
    assert len(city.import_surveys(export, surveyor="B").accepted) == 2
    assert len(city.store.history()) == 3


def test_survey_export_xlsx_names_the_facility_and_its_answers_in_italian(city, export, tmp_path):
    import openpyxl

    city.import_surveys(export, surveyor="Bruno Neri")
    out = tmp_path / "segnalazioni.xlsx"
    result = CliRunner().invoke(main, ["survey", "export", "--city", str(city.path), "-o", str(out), "--lang", "it"])
    assert result.exit_code == 0, result.output
    rows = list(openpyxl.load_workbook(out).worksheets[0].iter_rows(values_only=True))
    head = next(r for r in rows if r and "Numero" in r)
    body = [dict(zip(head, r)) for r in rows[rows.index(head) + 1 :] if r and r[0] is not None]
    pool = next(r for r in body if r["Struttura (elemento OpenStreetMap)"] == "way/20")
    assert pool["Tipo di barriera"] == "scheda impianto"
    assert "Spogliatoio accessibile: si" in pool["Risposte della scheda impianto"]


def test_a_sheet_typed_at_the_office_needs_no_position_when_it_names_the_facility(city, tmp_path):
    path = tmp_path / "ufficio.xlsx"
    pd.DataFrame(
        {
            "impianto": ["Piscina", "Palestra"],
            "elemento_osm": ["way/20", ""],
            "changing_room": ["sì", "si"],
            "data_rilievo": ["04/05/2026", "04/05/2026"],
        }
    ).to_excel(path, index=False)
    result = city.import_surveys(path, surveyor="Ufficio tecnico")
    assert len(result.accepted) == 1 and [(r.row, r.field) for r in result.rejected] == [(3, "location")]
    stored = city.surveys.set_index("report_id").loc[result.accepted[0]]
    assert stored.facility == "way/20" and stored.snap_m == 0
