"""The survey forms for the field tools: the XLSForm converts with pyxform (the library
KoboToolbox and ODK use), both forms hold every kind of the catalogue, the shipped files
are what the catalogues generate today, and the questions are columns the import reads."""

from __future__ import annotations

import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path

import openpyxl
import pyogrio
import pytest
from click.testing import CliRunner

from accessibility.cli import main
from accessibility.i18n import use_language
from accessibility.model.barriers import taxonomy
from accessibility.outputs.forms import QFIELD_LAYER, write_qfield_template, write_xlsform
from accessibility.sources.surveys import map_columns, survey_schema
from accessibility.surveys.forms import QFIELD_TYPES, facility_form_fields, form_fields, xlsform_sheets
from realdata import ROOT

pyxform = pytest.importorskip("pyxform.xls2xform")
XLSFORM = ROOT / "data" / "scheda_rilievo.xlsx"
QFIELD = ROOT / "data" / "scheda_rilievo_qfield.gpkg"
KINDS = set(taxonomy()) | set(survey_schema()["clearing_kinds"])


def sheet_rows(path: Path) -> dict[str, list[dict[str, str]]]:
    book = openpyxl.load_workbook(path)
    out = {}
    for sheet in book.worksheets:
        rows = list(sheet.iter_rows(values_only=True))
        head = rows[0]
        out[sheet.title] = [{h: v for h, v in zip(head, r) if v not in (None, "")} for r in rows[1:]]
    return out


def test_shipped_xlsform_converts_and_holds_every_kind() -> None:
    warnings: list[str] = []
    xform = pyxform.convert(str(XLSFORM), warnings=warnings, validate=False).xform
    assert warnings == []
    root = ET.fromstring(xform)
    ns = {"h": "http://www.w3.org/1999/xhtml", "x": "http://www.w3.org/2002/xforms"}
    translations = root.findall(".//x:itext/x:translation", ns)
    assert [t.get("lang") for t in translations] == ["Italiano (it)", "English (en)"]
    assert translations[0].get("default") == "true()"
    binds = {b.get("nodeset").rsplit("/", 1)[-1]: b for b in root.findall(".//x:bind", ns)}
    assert binds["posizione"].get("type") == "geopoint" and binds["posizione"].get("required") == "true()"
    assert {n for n, b in binds.items() if b.get("type") == "binary"} == {"foto", "foto_2", "foto_3"}
    for name in ("altezza_cordolo_cm", "larghezza_cm", "pendenza_pct", "gradini", "lunghezza_m"):
        assert binds[name].get("constraint"), name
    kinds = {row["name"] for row in sheet_rows(XLSFORM)["choices"] if row["list_name"] == "tipo"}
    assert kinds == KINDS
    italian = {
        row["name"]: row["label::Italiano (it)"] for row in sheet_rows(XLSFORM)["choices"] if row["list_name"] == "tipo"
    }
    assert italian["steps"] == "Gradini" and italian["raised_kerb"] == "Cordolo rialzato"


def test_shipped_forms_are_what_the_catalogues_make_today(tmp_path: Path) -> None:
    with use_language("it"):
        fresh = write_xlsform(tmp_path / "f.xlsx")
        fresh_gpkg = write_qfield_template(tmp_path / "f.gpkg")
    assert sheet_rows(fresh) == sheet_rows(XLSFORM), "run scripts/make_forms.py"
    styles = [sqlite3.connect(p).execute("SELECT styleQML FROM layer_styles").fetchall() for p in (fresh_gpkg, QFIELD)]
    assert styles[0] == styles[1], "run scripts/make_forms.py"


def test_xlsform_measurements_show_for_the_kinds_that_need_them() -> None:
    survey = {row["name"]: row for row in xlsform_sheets()["survey"]}
    measure_of = survey_schema()["measure_field"]
    assert "'raised_kerb'" in survey["altezza_cordolo_cm"]["relevant"]
    assert "'steps'" in survey["gradini"]["relevant"]
    assert (
        "'narrow_passage'" in survey["larghezza_cm"]["relevant"] and "'obstacle'" in survey["larghezza_cm"]["relevant"]
    )
    for kind in measure_of:
        assert any(f"'{kind}'" in row.get("relevant", "") for row in survey.values()), kind
    assert survey["scadenza"]["relevant"] == "${temporaneo} = 'si'"


def test_qfield_template_layer_and_style() -> None:
    info = pyogrio.read_info(QFIELD, layer=QFIELD_LAYER)
    assert list(info["fields"]) == list(QFIELD_TYPES) and info["geometry_type"] == "Point"
    assert info["crs"] == "EPSG:4326" and info["features"] == 0
    ((qml, default),) = (
        sqlite3.connect(QFIELD)
        .execute("SELECT styleQML, useAsDefault FROM layer_styles WHERE f_table_name = ?", (QFIELD_LAYER,))
        .fetchall()
    )
    assert default == 1
    root = ET.fromstring(qml.split("\n", 1)[1])
    kinds = {o.get("value") for o in root.findall(".//field[@name='tipo']//Option[@type='QString']")}
    assert kinds == KINDS
    assert root.find(".//field[@name='foto']/editWidget").get("type") == "ExternalResource"
    assert root.find(".//default[@field='precisione_m']").get("expression") == "@position_horizontal_accuracy"
    aliases = {a.get("field"): a.get("name") for a in root.findall(".//alias")}
    assert aliases["tipo"] == "Tipo di barriera"


def test_form_questions_are_columns_the_import_reads() -> None:
    data_questions = [f.name for f in form_fields() if f.type not in {"start", "end", "username", "deviceid"}]
    mapping, ignored = map_columns(data_questions)
    needed = {
        "kind",
        "kerb_height_cm",
        "width_cm",
        "incline_pct",
        "step_count",
        "length_m",
        "severity",
        "surface",
        "street",
        "description",
        "photo",
        "surveyor",
        "surveyed_on",
        "temporary",
        "expires_on",
    }
    assert needed <= set(mapping.values()), needed - set(mapping.values())


def test_cli_writes_the_forms(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["survey", "form", "-o", str(tmp_path / "s.xlsx")]).exit_code == 0
    assert runner.invoke(main, ["survey", "form", "-o", str(tmp_path / "s.gpkg")]).exit_code == 0
    bad = runner.invoke(main, ["survey", "form", "-o", str(tmp_path / "s.pdf")])
    assert bad.exit_code == 2 and ".xlsx" in bad.output


FACILITY_XLSFORM = ROOT / "data" / "scheda_impianto.xlsx"


def test_shipped_facility_form_converts_and_asks_every_sheet_field() -> None:
    from accessibility.model.sheets import sheet_fields

    warnings: list[str] = []
    xform = pyxform.convert(str(FACILITY_XLSFORM), warnings=warnings, validate=False).xform
    assert warnings == []
    root = ET.fromstring(xform)
    ns = {"x": "http://www.w3.org/2002/xforms"}
    binds = {b.get("nodeset").rsplit("/", 1)[-1]: b for b in root.findall(".//x:bind", ns)}
    # every field of the sheet is a question named as the field: the answers read as they are
    assert set(sheet_fields()) <= set(binds)
    assert binds["posizione"].get("type") == "geopoint" and binds["impianto"].get("required") == "true()"
    assert binds["door_width"].get("type") == "decimal" and binds["steps"].get("type") == "int"
    assert binds["changing_room"].get("type") == "string"  # a select_one
    rows = {r["name"]: r for r in sheet_rows(FACILITY_XLSFORM)["survey"]}
    assert rows["changing_room"]["label::Italiano (it)"] == "Spogliatoio accessibile"
    assert rows["entrance_wheelchair"]["type"] == "select_one si_limitato_no"
    assert rows["door_width"]["hint::Italiano (it)"] == "In centimetri."
    settings = sheet_rows(FACILITY_XLSFORM)["settings"][0]
    assert (
        settings["form_id"] == "scheda_impianto"
        and settings["form_id"] != sheet_rows(XLSFORM)["settings"][0]["form_id"]
    )


def test_shipped_facility_form_is_what_the_catalogues_make_today(tmp_path: Path) -> None:
    from accessibility.outputs.forms import write_facility_xlsform

    with use_language("it"):
        fresh = write_facility_xlsform(tmp_path / "f.xlsx")
    assert sheet_rows(fresh) == sheet_rows(FACILITY_XLSFORM), "run scripts/make_forms.py"


def test_facility_form_answers_fill_the_sheet() -> None:
    # a surveyor's answers, as the form stores them, read by the sheet
    from accessibility.model.profiles import load_profile
    from accessibility.model.sheets import sheet_from_tags, with_survey
    from accessibility.model.usability import judge

    pool = sheet_from_tags("sports", "Piscina", "way", 20, {"leisure": "swimming_pool", "wheelchair": "yes"})
    answers = {"toilet": "si", "changing_room": "si", "shower": "si", "pool_hoist": "si"}
    answers |= {"door_width": "90", "steps": "0"}  # the entrance the surveyor used
    surveyed = with_survey(pool, answers, "survey/7")
    assert surveyed.value("changing_room").source == "survey"
    assert surveyed.entrances[-1].value("door_width").value == pytest.approx(0.9)
    assert judge(pool, load_profile("manual_wheelchair")).status == "unknown"
    assert judge(surveyed, load_profile("manual_wheelchair")).status == "usable"
    assert set(answers) <= {f.name for f in facility_form_fields()}
