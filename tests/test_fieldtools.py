"""Exports of the field tools surveyors use, as the tools write them (files in
``tests/data/fieldtools``, made by its ``make_files.py``): KoboToolbox CSV and XLSX, ODK
Central's zip of data and media, a Google Form's responses, a QField GeoPackage. Each
imports with its positions, dates, surveyors, GPS precision and photos; messy rows are
rejected one by one; re-imports and newer exports add nothing twice."""

from __future__ import annotations

import datetime as dt
import shutil
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from accessibility.cli import main
from survey_fixtures import grid_workspace, node_ll

FIELDTOOLS = Path(__file__).parent / "data" / "fieldtools"
TODAY = dt.date(2025, 6, 1)


@pytest.fixture
def ws(tmp_path):
    city, _files = grid_workspace(tmp_path)
    shutil.copytree(FIELDTOOLS, tmp_path / "ft", ignore=shutil.ignore_patterns("*.py"))
    return city, tmp_path / "ft"


def imported(city, path, **kw):
    return city.import_surveys(path, surveyor="Ufficio", today=TODAY, **kw)


def rejects_of(result):
    return sorted((r.row, r.field) for r in result.rejected)


def flags_of(result):
    return sorted((f["row"], f["code"]) for f in result.flagged)


def stored_photo_ok(city, ref):
    path = city.path / ref
    assert path.is_file() and path.resolve().is_relative_to(city.path.resolve())
    with Image.open(path) as image:
        assert not image.getexif().get_ifd(0x8825) and "exif" not in image.info  # the phone's position is gone
    return True


def test_kobo_csv_as_it_comes(ws):
    city, ft = ws
    result = imported(city, ft / "kobo.csv")
    assert len(result.accepted) == 3
    assert rejects_of(result) == [(4, "location"), (5, "review_state")]
    assert flags_of(result) == [(3, "photo_missing"), (3, "poor_gps")]
    r = city.store.reports().set_index("submission_id")
    steps = r.loc["6f1c2a9e-3b1d-4c55-9a61-0c1f4b7e2d01"]
    assert steps["kind"] == "steps" and steps["step_count"] == 4 and steps["gps_precision_m"] == 3.9
    assert (steps["lat"], steps["lon"]) == node_ll(1.5, 3) and steps["surveyor"] == "Anna Bianchi"
    photos = steps["photos"].split(";")
    assert len(photos) == 2 and all(stored_photo_ok(city, p) for p in photos)
    assert steps["photo"] == "1714729812345.jpg; 1714729855555.jpg"
    kerb = r.loc["6f1c2a9e-3b1d-4c55-9a61-0c1f4b7e2d02"]
    assert kerb["gps_precision_m"] == 18.5 and kerb["photos"] is None and kerb["kerb_height_cm"] == 12.5
    # no survey date: the start of the interview; no surveyor: the KoboToolbox account
    late = r.loc["6f1c2a9e-3b1d-4c55-9a61-0c1f4b7e2d05"]
    assert late["surveyed_on"] == "2025-05-03" and late["surveyor"] == "bruno.verdi"

    again = imported(city, ft / "kobo.csv")
    assert again.accepted == [] and again.already_stored == [2, 3, 6]
    # a later XLSX export (groups in the headers) holding the old rows and one new
    newer = imported(city, ft / "kobo.xlsx")
    assert len(newer.accepted) == 1 and newer.already_stored == [2, 3, 6]
    assert city.store.reports()["submission_id"].tolist()[-1] == "6f1c2a9e-3b1d-4c55-9a61-0c1f4b7e2d06"


def test_a_resubmitted_row_with_other_content_is_still_the_same_submission(ws):
    city, ft = ws
    imported(city, ft / "kobo.csv")
    text = (ft / "kobo.csv").read_text(encoding="utf-8").replace("Quattro gradini senza rampa", "Quattro gradini")
    (ft / "kobo_edited.csv").write_text(text, encoding="utf-8")
    result = imported(city, ft / "kobo_edited.csv")
    assert result.accepted == [] and 2 in result.already_stored


def odk_zip(folder, target):
    with zipfile.ZipFile(target, "w") as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder.parent).as_posix())
    return target


def test_odk_central_zip_of_data_and_media(ws, tmp_path):
    city, ft = ws
    export = odk_zip(ft / "odk_central", tmp_path / "scheda_rilievo_barriere.zip")
    result = imported(city, export)
    assert len(result.accepted) == 2
    assert rejects_of(result) == [(4, "review_state"), (5, "location")]
    assert (tmp_path / "scheda_rilievo_barriere.rejects.csv").is_file()
    r = city.store.reports().set_index("submission_id")
    dehors = r.loc["uuid:0d3e7d0c-1c49-4a8e-9a1e-5b8a11f0aa01"]
    assert dehors["kind"] == "narrow_passage" and dehors["width_cm"] == 72 and dehors["severity"] == 3
    assert dehors["gps_precision_m"] == 4.8 and (dehors["lat"], dehors["lon"]) == node_ll(0, 2.5)
    assert stored_photo_ok(city, dehors["photos"])
    # edited in Central: the KEY (the first instance id) stays the submission's id
    assert r.loc["uuid:0d3e7d0c-1c49-4a8e-9a1e-5b8a11f0aa02", "incline_pct"] == -9.5
    assert imported(city, export).accepted == []
    assert imported(city, ft / "odk_central" / "scheda_rilievo_barriere.csv").accepted == []  # the CSV alone too


def test_google_form_responses(ws):
    city, ft = ws
    result = imported(city, ft / "google_form.csv")
    assert len(result.accepted) == 2
    assert rejects_of(result) == [(4, "kind"), (5, "position")]
    r = city.store.reports()
    kerb, steps = r.iloc[0], r.iloc[1]
    assert kerb["kind"] == "raised_kerb" and kerb["kerb_height_cm"] == 15 and kerb["surveyor"] == "dario@example.org"
    assert (kerb["lat"], kerb["lon"]) == node_ll(1, 2) and kerb["photo"].startswith("https://drive.google.com/")
    assert kerb["photos"] is None  # a link is no file to attach
    assert (steps["lat"], steps["lon"]) == node_ll(3, 3)  # "45,1345 10,0256": decimal commas
    assert steps["surveyed_on"] == "2025-05-04"  # no date: the time of the response
    assert imported(city, ft / "google_form.csv").accepted == []


def test_qfield_geopackage_with_photos_at_relative_paths(ws):
    city, ft = ws
    result = imported(city, ft / "qfield" / "rilievo.gpkg")
    assert len(result.accepted) == 2 and rejects_of(result) == [(3, "location")]
    assert flags_of(result) == [(2, "poor_gps")]
    r = city.store.reports()
    assert r["gps_precision_m"].tolist() == [2.1, 25.0]
    assert stored_photo_ok(city, r.loc[0, "photos"]) and r.loc[0, "photo"] == "DCIM/rilievo_20250506_101500.jpg"


def test_media_named_on_the_command_line_and_refused_photos(ws, tmp_path):
    city, ft = ws
    alone = tmp_path / "scaricati"
    alone.mkdir()
    shutil.copy(ft / "kobo.csv", alone / "export.csv")
    media = tmp_path / "foto.zip"
    with zipfile.ZipFile(media, "w") as archive:
        for path in (ft / "kobo_media").rglob("*.jpg"):
            archive.write(path, path.relative_to(ft).as_posix())
        archive.writestr("x/1714729900000.jpg", b"<html>not a photo</html>")
    run = CliRunner().invoke(
        main,
        ["survey", "import", str(alone / "export.csv"), "--city", str(city.path), "--surveyor", "Ufficio"]
        + ["--media", str(media)],
    )
    assert run.exit_code == 0, run.output
    assert "accepted: 3" in run.output and "photo not attached" in run.output and "not a JPEG" in run.output
    r = city.store.reports()
    assert r["photos"].notna().sum() == 1 and len(r.loc[0, "photos"].split(";")) == 2
    assert "photo_refused" in r.loc[1, "flags"]


def test_no_media_anywhere_is_one_note(ws, tmp_path):
    city, ft = ws
    alone = tmp_path / "solo"
    alone.mkdir()
    shutil.copy(ft / "kobo.csv", alone / "export.csv")
    result = imported(city, alone / "export.csv")
    assert len(result.accepted) == 3 and not [f for f in result.flagged if f["code"].startswith("photo")]
    assert any("names 3 photos" in str(n) for n in result.notes)


def test_zip_member_names_never_leave_the_folder(ws, tmp_path):
    city, ft = ws
    export = tmp_path / "export.zip"
    with zipfile.ZipFile(export, "w") as archive:
        archive.writestr("../../evil/kobo.csv", (ft / "kobo.csv").read_bytes())
    assert len(imported(city, export).accepted) == 3
    assert not (tmp_path.parent / "evil").exists()
    empty = tmp_path / "empty.zip"
    with zipfile.ZipFile(empty, "w") as archive:
        archive.writestr("leggimi.pdf", "nothing")
    from accessibility.errors import SurveyError

    with pytest.raises(SurveyError, match="no survey table"):
        imported(city, empty)
