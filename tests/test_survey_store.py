"""The survey store: idempotent imports, all-or-nothing writes, concurrent imports,
review history, GeoPackage that GDAL reads, schema version."""

from __future__ import annotations

import multiprocessing
import sqlite3

import pyogrio
import pytest

from accessibility import City, settings
from accessibility.errors import ReviewError, SurveyError, SurveyStoreError
from accessibility.surveys.store import StoreTransaction, SurveyStore
from survey_fixtures import grid_city, grid_workspace


def test_reimport_adds_nothing(tmp_path):
    city, files = grid_workspace(tmp_path)
    first = city.import_surveys(files / "messy_rows.csv", surveyor="Anna")
    second = city.import_surveys(files / "messy_rows.csv", surveyor="Bruno")
    assert len(first.accepted) == 4 and second.accepted == []
    assert second.already_stored == [10, 15, 17, 18]
    assert len(city.surveys) == 4
    imports = city.store.imports()
    assert list(imports["accepted"]) == [4, 0] and list(imports["already_stored"]) == [0, 4]


def test_rejects_file_beside_input(tmp_path):
    city, files = grid_workspace(tmp_path)
    result = city.import_surveys(files / "messy_rows.csv", surveyor="Anna")
    path = files / "messy_rows.rejects.csv"
    assert result.rejects_path == str(path)
    read = path.read_text(encoding="utf-8-sig").splitlines()
    assert read[0].startswith("row;field;reason;id;tipo")
    assert len(read) == 1 + 13
    assert read[1].startswith("2;kind;") and "ascensore_rotto" in read[1]
    # once the file is clean, the stale rejects file goes away
    (files / "clean.csv").write_text((files / "good_semicolon_comma.csv").read_text(encoding="utf-8"), encoding="utf-8")
    (files / "clean.rejects.csv").write_text("old")
    assert city.import_surveys(files / "clean.csv", surveyor="Anna").rejects_path is None
    assert not (files / "clean.rejects.csv").exists()


def test_all_or_nothing_on_failure_midway(tmp_path, monkeypatch):
    city, files = grid_workspace(tmp_path)
    written = []
    original = StoreTransaction._insert_many

    def failing(self, sql, rows):
        def rows_then_failure():
            for row in rows:
                if len(written) == 2:
                    raise OSError("disk full (simulated)")
                written.append(1)
                yield row

        return original(self, sql, rows_then_failure())

    monkeypatch.setattr(StoreTransaction, "_insert_many", failing)
    with pytest.raises(OSError, match="disk full"):
        city.import_surveys(files / "messy_rows.csv", surveyor="Anna")
    assert len(written) == 2  # two rows were written before the failure ...
    assert len(city.surveys) == 0 and len(city.store.history()) == 0  # ... and rolled back
    monkeypatch.setattr(StoreTransaction, "_insert_many", original)
    assert len(city.import_surveys(files / "messy_rows.csv", surveyor="Anna").accepted) == 4


def _import_in_process(args):
    workspace, path, name = args
    result = City.load(workspace).import_surveys(path, surveyor=name)
    return len(result.accepted), len(result.already_stored)


def test_two_concurrent_imports_lose_nothing(tmp_path):
    """Four processes at once: two import different files, two the same file. Every
    valid row of each file is stored once; nothing is lost or doubled."""
    city, files = grid_workspace(tmp_path)
    ws = str(tmp_path / "ws")
    jobs = [
        (ws, str(files / "good_semicolon_comma.csv"), "Anna"),
        (ws, str(files / "gauss_boaga.csv"), "Bruno"),
        (ws, str(files / "messy_rows.csv"), "Carla"),
        (ws, str(files / "messy_rows.csv"), "Dario"),
    ]
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        results = pool.map(_import_in_process, jobs)
    assert results[0] == (3, 0) and results[1] == (4, 0)
    assert sorted(results[2:]) == [(0, 4), (4, 0)]
    reports = city.surveys
    assert len(reports) == 3 + 4 + 4 and reports["content_hash"].is_unique
    assert len(city.store.history()) == 11


def test_review_lifecycle_with_history(tmp_path):
    city, files = grid_workspace(tmp_path)
    rid = city.import_surveys(files / "good_semicolon_comma.csv", surveyor="Anna").accepted[0]
    for status, by in (("verified", "Bruno"), ("planned", "Carla"), ("fixed", "Dario")):
        city.review_survey(rid, status, note=f"{status} by {by}", by=by)
    with pytest.raises(ReviewError, match="is fixed: it can become verified, not planned"):
        city.review_survey(rid, "planned", by="Eva")
    with pytest.raises(ReviewError, match="no survey report #999"):
        city.review_survey(999, "verified", by="Eva")
    with pytest.raises(ReviewError, match="who reviews"):
        city.review_survey(rid, "verified", by="")
    history = city.store.history(rid)
    assert list(history["action"]) == ["import", "review", "review", "review"]
    assert list(history["to_status"]) == ["reported", "verified", "planned", "fixed"]
    assert list(history["by"]) == ["Anna", "Bruno", "Carla", "Dario"]
    assert history["at"].notna().all() and history.iloc[2]["note"] == "planned by Carla"
    assert city.surveys.set_index("report_id").loc[rid, "status"] == "fixed"


def test_store_is_a_geopackage_gdal_reads(tmp_path):
    city, files = grid_workspace(tmp_path)
    city.import_surveys(files / "messy_rows.csv", surveyor="Anna")
    path = tmp_path / "ws" / settings.survey_store_name
    layers = dict(pyogrio.list_layers(path))
    assert layers["surveys"] == "Point" and "survey_history" in layers
    frame = pyogrio.read_dataframe(path, layer="surveys")
    assert frame.crs.to_epsg() == 4326 and len(frame) == 4
    assert frame.geometry.x.round(7).tolist() == frame["lon"].tolist()
    assert "<script>alert(1)</script>" in frame["description"].tolist()


def test_schema_version_checked(tmp_path):
    city, files = grid_workspace(tmp_path)
    city.import_surveys(files / "bom_utf8.csv", surveyor="Anna")
    con = sqlite3.connect(city.store.path)
    con.execute("UPDATE survey_meta SET value = '99' WHERE key = 'schema_version'")
    con.commit()
    con.close()
    with pytest.raises(SurveyStoreError, match="schema version '99'"):
        _ = city.surveys
    with pytest.raises(SurveyStoreError, match="schema version '99'"):
        city.import_surveys(files / "cp1252.csv", surveyor="Anna")


def test_a_store_of_version_1_is_brought_up_to_date(tmp_path):
    """A store written before ``barrier_code``, ``submission_id``, ``gps_precision_m`` and
    ``photos`` existed: its reports and history stay, the columns are added empty on first
    read, and the same file imported again adds nothing."""
    city, files = grid_workspace(tmp_path)
    first = city.import_surveys(files / "bom_utf8.csv", surveyor="Anna").accepted
    con = sqlite3.connect(city.store.path)
    con.execute("DROP INDEX surveys_submission")
    for column in ("barrier_code", "submission_id", "gps_precision_m", "photos"):
        con.execute(f"ALTER TABLE surveys DROP COLUMN {column}")
    con.execute("UPDATE survey_meta SET value = '1' WHERE key = 'schema_version'")
    con.commit()
    con.close()
    reports = city.store.reports()
    assert reports["report_id"].tolist() == first
    assert reports[["barrier_code", "submission_id", "gps_precision_m", "photos"]].isna().all().all()
    con = sqlite3.connect(city.store.path)
    version = con.execute("SELECT value FROM survey_meta WHERE key = 'schema_version'").fetchone()[0]
    con.close()
    assert version == str(settings.survey_store_version)
    again = city.import_surveys(files / "bom_utf8.csv", surveyor="Anna")
    assert again.accepted == [] and len(again.already_stored) == len(first)
    assert len(city.store.history()) == len(first)


def test_not_a_store(tmp_path):
    path = tmp_path / "other.gpkg"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE x (a)")
    con.commit()
    con.close()
    with pytest.raises(SurveyStoreError, match="not a survey store"):
        with SurveyStore(path).transaction():
            pass


def test_saving_the_city_keeps_the_store(tmp_path):
    city, files = grid_workspace(tmp_path)
    city.import_surveys(files / "bom_utf8.csv", surveyor="Anna")
    city.save(tmp_path / "ws")
    assert len(City.load(tmp_path / "ws").surveys) == 1


def test_city_without_workspace(tmp_path):
    city = grid_city()
    assert len(city.surveys) == 0 and len(city.barriers) == len(city.osm_barriers)
    with pytest.raises(SurveyError, match="save it first"):
        city.import_surveys(tmp_path / "x.csv", surveyor="Anna")
