"""What people read and open: the reports (templates, axe-core, phone and print), places by
name, honest wording, office formats that keep text as text, the budget as people write it,
progress, workspace names, and the languages kept apart."""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from shapely import box

from accessibility import City
from accessibility.cli import main
from accessibility.i18n import use_language
from accessibility.model.places import Place, area_names, places
from accessibility.outputs.export import FORMULA_STARTS, Sheet, neutralise, write_csv, write_table, write_xlsx
from accessibility.outputs.templates import environment
from accessibility.values import parse_euros
from conftest import copy_workspace
from realdata import CREMONA_POPULATION, HELSINKI_PBF, need

ROOT = Path(__file__).resolve().parents[1]
M_PER_DEG_LAT = 111_135.5
M_PER_DEG_LON = M_PER_DEG_LAT * np.cos(np.radians(45.13))
HOSTILE = ['=HYPERLINK("http://evil","x")', "+1+1", "-2+3", "@SUM(A1)", "\tTab", "\rReturn", "<b>Via</b> ${x}"]


def _at(east_m: float, north_m: float) -> tuple[float, float]:
    return 10.02 + east_m / M_PER_DEG_LON, 45.13 + north_m / M_PER_DEG_LAT


@pytest.fixture
def town(osm_file):
    """Via Roma (0-400 m east, residents) crossed by Via Milano at 200 m; an unnamed
    sidewalk beside Via Roma; steps, then a 250 m footway, up to a pharmacy; a library on
    a footway piece that joins nothing (a gap in the map)."""
    coords = {
        1: _at(0, 0),
        2: _at(200, 0),
        3: _at(400, 0),
        4: _at(200, 200),
        5: _at(200, -200),
        6: _at(420, 0),
        7: _at(440, 0),
        8: _at(440, 250),
        10: _at(50, 8),
        11: _at(150, 8),
        12: _at(180, 8),
        20: _at(0, 600),
        21: _at(60, 600),
    }
    ways = [
        (1, [1, 2, 3], {"highway": "residential", "name": "Via Roma"}),
        (2, [4, 2, 5], {"highway": "residential", "name": "Via Milano"}),
        (3, [3, 6], {"highway": "footway"}),
        (4, [6, 7], {"highway": "steps", "step_count": "4"}),
        (7, [7, 8], {"highway": "footway", "name": "Vicolo Po"}),
        (5, [10, 11, 12], {"highway": "footway", "footway": "sidewalk"}),
        (6, [20, 21], {"highway": "footway"}),
    ]
    nodes = {
        8: {"amenity": "pharmacy", "name": "Farmacia Po"},
        21: {"amenity": "library", "name": "Biblioteca"},
        1: {"addr:city": "Cremona"},
        12: {"kerb": "raised", "kerb:height": "0.10"},
    }
    return City.build(osm=[osm_file(ways, nodes, coords)])


# --- templates ------------------------------------------------------------------------------


def test_templates_escape_and_format_in_each_language():
    page = environment().from_string(
        "{% trans date=d|date %}Written on {{ date }}{% endtrans %} {{ n|number }} {{ m|money }} {{ x|percent }} "
        "{{ name }} {{ u|number }}"
    )
    day = dt.date(2026, 11, 27)
    with use_language("it"):
        text = page.render(d=day, n=1234567, m=150000, x=np.nan, name="<script>", u=None)
    assert text == "Redatto il 27/11/2026 1.234.567 150.000\xa0€ non disponibile &lt;script&gt; non disponibile"
    with use_language("en"):
        text = page.render(d=day, n=1234567, m=150000, x=0.5, name="a", u=3)
    assert text == "Written on 27/11/2026 1,234,567 €150,000 50% a 3"


# --- places by name -----------------------------------------------------------------------


def test_places_name_the_street_the_cross_street_and_the_area(town):
    G = town.network
    b = town.barriers
    kerb = b[b["kind"] == "raised_kerb"].iloc[0]
    assert pd.isna(kerb["street"]) or not kerb["street"]  # the sidewalk has no name of its own
    (place,) = places(G, [kerb.geometry], [kerb["street"]])
    assert place == Place("Via Roma", "Via Milano", "")
    with use_language("it"):
        assert place.label() == "Via Roma, presso Via Milano"
    with use_language("en"):
        assert place.label() == "Via Roma, near Via Milano"
    # a point 1 km from any street has no name, and says so by being empty
    far = gpd.GeoSeries.from_xy([0], [0], crs="EPSG:4326").to_crs(town.crs)
    assert not places(G, far)[0].named
    grid = gpd.GeoDataFrame(
        {"area_id": ["a", "b"], "name": ["a", "Quartiere Po"]},
        geometry=[box(*town.area.total_bounds), box(0, 0, 1, 1)],
        crs=town.crs,
    )
    names = area_names(G, grid)
    assert names["a"] == "Via Roma – Via Milano" and names["b"] == "Quartiere Po"


def test_workspace_from_files_is_named_after_the_place(town):
    assert town.meta["name"] == "Cremona"


# --- honest wording ---------------------------------------------------------------------------


def test_unreachable_reasons_tell_a_data_gap_from_a_barrier(town, tmp_path):
    result = town.audit(profiles=["walk", "manual_wheelchair"], categories=["pharmacy", "library"], residents=1000)
    un = result.unreachable.set_index(["profile", "category"])["reason"]
    assert un[("manual_wheelchair", "pharmacy")] == "cut_off"  # the steps
    assert un[("manual_wheelchair", "library")] == "disconnected"  # not a barrier: a gap
    assert un[("walk", "library")] == "disconnected"
    assert ("walk", "pharmacy") not in un.index
    assert set(result.unreachable["street"]) >= {"Vicolo Po"}
    # no ISTAT table: the older residents are not known, and the report says so, never 0
    city_dir = tmp_path / "city"
    town.save(city_dir)
    out = tmp_path / "audit"
    run = CliRunner().invoke(
        main,
        [
            "audit",
            "--city",
            str(city_dir),
            "-o",
            str(out),
            "--lang",
            "it",
            "--categories",
            "pharmacy,library",
            "--profiles",
            "walk,manual_wheelchair",
        ],
    )
    assert run.exit_code == 0, run.output
    page = (out / "report.html").read_text(encoding="utf-8")
    text = _visible_text(page)
    assert "di cui con 65 anni e più non disponibile" in text
    assert "lacuna nei dati cartografici, non una barriera" in text
    assert "ogni accesso è bloccato da barriere per questo profilo" in text
    assert "Farmacia Po" in text and "Vicolo Po" in text
    assert "© i contributori di OpenStreetMap (ODbL)" in text and "CC BY 4.0" not in text
    assert "1 per barriere" in run.output and "2 per lacune nei dati cartografici" in run.output


def test_no_facilities_is_the_same_clear_warning_in_audit_and_plan(town, tmp_path):
    city_dir = tmp_path / "city"
    town.save(city_dir)
    runner = CliRunner()
    audit = runner.invoke(
        main,
        ["audit", "--city", str(city_dir), "-o", str(tmp_path / "a"), "--categories", "post_office", "--lang", "en"],
    )
    plan = runner.invoke(
        main,
        [
            "plan",
            "--city",
            str(city_dir),
            "--budget",
            "1000",
            "--residents",
            "500",
            "--categories",
            "post_office",
            "-o",
            str(tmp_path / "p.csv"),
            "--report",
            str(tmp_path / "p.html"),
            "--lang",
            "en",
        ],
    )
    for run in (audit, plan):
        assert run.exit_code == 0, run.output
        assert "warning: no facility of the kinds asked for was found in the city (Post offices)" in run.output
    for page in (tmp_path / "a" / "report.html", tmp_path / "p.html"):
        assert "no facility of the kinds asked for was found" in page.read_text(encoding="utf-8")


def test_registry_rows_outside_the_city_are_left_out_and_counted(town, tmp_path):
    registry = tmp_path / "farmacie.csv"
    lon, lat = _at(400, 0)
    registry.write_text(
        "CODICE_FARMACIA;DESCRIZIONE_FARMACIA;INDIRIZZO;COMUNE;LATITUDINE;LONGITUDINE\n"
        f"A1;Farmacia Roma;Via Roma 9;CREMONA;{lat:.6f};{lon:.6f}\n"
        "A2;Farmacia Lontana;Via Dante 1;MILANO;45,4642;9,19\n"
        "A3;Farmacia Bergamo;Via Tasso 2;BERGAMO;45,6983;9,6773\n",
        encoding="utf-8",
    )
    pairs = [(registry, ROOT / "data" / "registries" / "lombardia_farmacie.toml")]
    result = town.audit(profiles=["walk"], categories=["pharmacy"], residents=100, registries=pairs)
    names = set(result.facilities["name"])
    assert "Farmacia Roma" in names and not names & {"Farmacia Lontana", "Farmacia Bergamo"}
    assert any("2 outside the city's area left out" in str(n) for n in result.meta["notes"])
    plan = town.plan(1000, residents=100, categories=["pharmacy"], registries=pairs)
    assert any("2 outside" in str(n) for n in plan.notes)
    assert plan.registries == [{"name": "Regione Lombardia - Elenco farmacie", "licence": "IODL 2.0"}]


# --- the budget as people write it ----------------------------------------------------------


@pytest.mark.parametrize(
    "text,euros",
    [
        ("150000", 150000),
        ("150.000", 150000),
        ("150.000,00", 150000),
        ("150k", 150000),
        ("150K", 150000),
        ("1,5M", 1_500_000),
        ("€ 150.000", 150000),
        ("2.500,50", 2500.5),
        ("150000,5", 150000.5),
        ("150,000.00", 150000),
        ("0", 0),
    ],
)
def test_budget_forms(text, euros):
    assert parse_euros(text) == euros


@pytest.mark.parametrize("text", ["150,000", "1.50.000", "15.00.000", "abc", "nan", "inf", "-5", "1.5.0", "1.500k", ""])
def test_ambiguous_budget_is_refused(text):
    with pytest.raises(ValueError):
        parse_euros(text)


def test_budget_written_the_italian_way_funds_the_same_rows(town, tmp_path):
    city_dir = tmp_path / "city"
    town.save(city_dir)
    funded = {}
    for budget in ("7000", "7.000", "7.000,00", "7k"):
        out = tmp_path / f"{budget}.csv"
        run = CliRunner().invoke(
            main,
            [
                "plan",
                "--city",
                str(city_dir),
                "--budget",
                budget,
                "--residents",
                "1000",
                "-o",
                str(out),
                "--lang",
                "en",
            ],
        )
        assert run.exit_code == 0, run.output
        table = pd.read_csv(out, encoding="utf-8-sig")
        funded[budget] = table.loc[table["Funded"] == "yes", "No."].tolist()
    assert funded["7000"] and all(v == funded["7000"] for v in funded.values())
    bad = CliRunner().invoke(
        main, ["plan", "--city", str(city_dir), "--budget", "7,000", "--residents", "1000", "-o", str(out)]
    )
    assert bad.exit_code == 2 and "150.000" in bad.output and "Traceback" not in bad.output
    assert len([line for line in bad.output.splitlines() if "7,000" in line]) == 1


# --- office formats and formula injection -----------------------------------------------


def _csv_cells(path: Path, sep: str) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return [cell for row in csv.reader(fh, delimiter=sep) for cell in row]


def _assert_inert(cells: list[str]) -> None:
    live = [c for c in cells if c.startswith(FORMULA_STARTS)]
    assert not live, live


def test_every_export_keeps_text_as_text(town, tmp_path):
    """Hostile text in every exported table: each CSV cell read back as text never starts a
    formula; each XLSX text cell is a string whose value is the text itself."""
    city_dir = tmp_path / "city"
    town.osm_barriers["street"] = HOSTILE[0]
    town.save(city_dir)
    runner = CliRunner()
    # barriers (CSV, Italian and English dialects)
    for lang, sep in (("it", ";"), ("en", ",")):
        out = tmp_path / f"barriers_{lang}.csv"
        assert runner.invoke(main, ["barriers", "--city", str(city_dir), "-o", str(out), "--lang", lang]).exit_code == 0
        cells = _csv_cells(out, sep)
        _assert_inert(cells)
        assert "'" + HOSTILE[0] in cells
    # survey import with hostile rows: the rejects file, then the survey export
    survey = tmp_path / "rilievo.csv"
    lon, lat = _at(100, 0)
    rows = ["lat,lon,kind,description,surveyor,surveyed_on"]
    rows += [f'{lat:.6f},{lon:.6f},raised_kerb,"{h.replace(chr(34), chr(34) * 2)}",Anna,2025-05-01' for h in HOSTILE]
    rows += [f'{lat:.6f},{lon:.6f},no_such_kind,"{HOSTILE[1]}",Anna,2025-05-01']
    survey.write_text("\n".join(rows) + "\n", encoding="utf-8")
    run = runner.invoke(main, ["survey", "import", str(survey), "--city", str(city_dir), "--surveyor", "=cmd"])
    assert run.exit_code == 0, run.output
    rejects = survey.with_name("rilievo.rejects.csv")
    assert rejects.is_file()
    _assert_inert(_csv_cells(rejects, ","))
    export = tmp_path / "surveys.csv"
    assert (
        runner.invoke(main, ["survey", "export", "--city", str(city_dir), "-o", str(export), "--lang", "it"]).exit_code
        == 0
    )
    cells = _csv_cells(export, ";")
    _assert_inert(cells)
    assert "'" + HOSTILE[0] in cells
    # the plan: CSV and XLSX
    run = runner.invoke(
        main,
        [
            "plan",
            "--city",
            str(city_dir),
            "--budget",
            "1000000",
            "--residents",
            "1000",
            "-o",
            str(tmp_path / "p.csv"),
            "--xlsx",
            str(tmp_path / "p.xlsx"),
        ],
    )
    assert run.exit_code == 0, run.output
    _assert_inert(_csv_cells(tmp_path / "p.csv", ";"))
    book = openpyxl.load_workbook(tmp_path / "p.xlsx")
    texts = [c for ws in book for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in texts if c.data_type == "f"]
    assert any(str(c.value).startswith(HOSTILE[0]) and c.data_type == "s" for c in texts)
    # audit tables
    out = tmp_path / "audit"
    assert (
        runner.invoke(main, ["audit", "--city", str(city_dir), "-o", str(out), "--categories", "pharmacy"]).exit_code
        == 0
    )
    for table in out.glob("*.csv"):
        _assert_inert(_csv_cells(table, ";"))


def test_writers_neutralise_and_write_strings(tmp_path):
    frame = pd.DataFrame({"text": HOSTILE, "n": np.arange(len(HOSTILE), dtype=float) - 2.5})
    write_csv(frame, tmp_path / "it.csv", lang="it")
    raw = (tmp_path / "it.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"text;n" in raw and b";-2,5" in raw  # numbers stay numbers
    back = pd.read_csv(tmp_path / "it.csv", sep=";", decimal=",", encoding="utf-8-sig")
    assert back["text"].tolist() == [neutralise(h) for h in HOSTILE] and back["n"].iloc[0] == -2.5
    write_xlsx({"x": Sheet(frame, {"text": "Testo"}, {"n": "decimal"})}, tmp_path / "x.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "x.xlsx")["x"]
    assert ws["A1"].value == "Testo" and ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:B8"
    # the text itself (XML reads a carriage return back as a line feed)
    assert [ws.cell(row=i, column=1).value for i in range(2, 9)] == [h.replace("\r", "\n") for h in HOSTILE]
    assert all(ws.cell(row=i, column=1).data_type == "s" for i in range(2, 9))
    assert ws["B2"].value == -2.5 and ws["B2"].number_format == "#,##0.00"
    gdf = gpd.GeoDataFrame({"street": HOSTILE}, geometry=gpd.points_from_xy([10.0] * 7, [45.0] * 7), crs=4326)
    write_table(gdf, tmp_path / "t.csv", "csv", lang="en")
    _assert_inert(_csv_cells(tmp_path / "t.csv", ","))


def test_plan_spreadsheet_for_people(town, tmp_path):
    city_dir = tmp_path / "city"
    town.save(city_dir)
    for lang, header in (("it", "Luogo"), ("en", "Place")):
        out = tmp_path / f"p_{lang}.xlsx"
        run = CliRunner().invoke(
            main,
            [
                "plan",
                "--city",
                str(city_dir),
                "--budget",
                "150k",
                "--residents",
                "1000",
                "-o",
                str(tmp_path / f"p_{lang}.csv"),
                "--xlsx",
                str(out),
                "--lang",
                lang,
            ],
        )
        assert run.exit_code == 0, run.output
        book = openpyxl.load_workbook(out)
        ws = book.worksheets[0]
        headers = [c.value for c in ws[1]]
        assert header in headers and len(headers) <= 25 and ws.freeze_panes == "A2" and ws.auto_filter.ref
        cost = ws.cell(row=2, column=headers.index("Costo (€)" if lang == "it" else "Cost (€)") + 1)
        assert (
            isinstance(cost.value, int | float)
            and cost.value == round(cost.value, 2)
            and "#,##0.00" in cost.number_format
        )
        place = ws.cell(row=2, column=headers.index(header) + 1).value
        assert "Via Roma" in place
        assert len(book.worksheets) == 3
        detail = book.worksheets[1]
        first = [c.value for c in detail[2]]
        assert detail.max_row > 1 and first[0] >= 1 and first[4] > 0, first  # a gain, per profile and service


# --- progress ---------------------------------------------------------------------------------


def test_progress_is_quiet_when_not_a_terminal(town, tmp_path):
    from accessibility.cli.progress import TerminalProgress

    assert not TerminalProgress().enabled  # pytest's stderr is not a terminal
    city_dir = tmp_path / "city"
    town.save(city_dir)
    run = CliRunner().invoke(main, ["audit", "--city", str(city_dir), "-o", str(tmp_path / "a"), "--lang", "en"])
    assert run.exit_code == 0 and "━" not in run.output and "Computing routes" not in run.output
    import io

    from rich.console import Console

    shown = io.StringIO()
    with TerminalProgress(console=Console(file=shown, force_terminal=True, width=100)) as progress:
        assert progress.enabled
        town.audit(profiles=["walk"], categories=["pharmacy"], residents=10, progress=progress)
    assert "Naming places" in shown.getvalue()


# --- the browser: axe-core, phone, print, no request ------------------------------------------


def _visible_text(page_html: str) -> str:
    body = re.sub(r"(?is)<(script|style|title)\b.*?</\1>", " ", page_html)
    from html import unescape

    return " ".join(unescape(re.sub(r"<[^>]+>", " ", body)).split())


def _axe(page) -> list[dict]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return results.response["violations"]  # none at all, serious, critical or lesser


def _check_page(browser, path: Path, lang: str) -> None:
    page, log = browser
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(path.as_uri())
    assert page.evaluate("document.documentElement.lang") == lang and page.title()
    assert not _axe(page), _axe(page)
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(path.as_uri())
    assert not _axe(page)
    # nothing but the tables scrolls sideways on a phone
    assert page.evaluate("document.documentElement.scrollWidth") <= 362
    page.emulate_media(media="print")
    assert page.evaluate("getComputedStyle(document.querySelector('.skip')).display") == "none"
    page.emulate_media(media="screen")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    log.assert_clean()


def test_reports_pass_axe_on_desktop_phone_and_print(town, tmp_path, browser):
    city_dir = tmp_path / "city"
    town.save(city_dir)
    runner = CliRunner()
    for lang in ("it", "en"):
        out = tmp_path / f"audit_{lang}"
        run = runner.invoke(
            main,
            [
                "audit",
                "--city",
                str(city_dir),
                "-o",
                str(out),
                "--lang",
                lang,
                "--population",
                str(need(CREMONA_POPULATION)),
            ],
        )
        assert run.exit_code == 0, run.output
        report = tmp_path / f"plan_{lang}.html"
        run = runner.invoke(
            main,
            [
                "plan",
                "--city",
                str(city_dir),
                "--budget",
                "150000",
                "--residents",
                "1000",
                "-o",
                str(tmp_path / f"p_{lang}.csv"),
                "--report",
                str(report),
                "--lang",
                lang,
            ],
        )
        assert run.exit_code == 0, run.output
        _check_page(browser, out / "report.html", lang)
        _check_page(browser, report, lang)
        text = _visible_text((out / "report.html").read_text(encoding="utf-8"))
        assert "ISTAT" in text and "CC BY 4.0" in text and "(ODbL)" in text


# --- languages kept apart -------------------------------------------------------------------

#: Common function words of each language that the other never uses as a word.
ENGLISH_WORDS = frozenset(
    "the and of with which who when where what from this that these those are is was were be been "
    "has have not for into than then there their they any every each only also after before".split()
)
ITALIAN_WORDS = frozenset(
    "il lo la gli le della delle degli dei con che chi quando dove sono è non nel nella "
    "dalla dagli ogni anche dopo prima senza oppure entro servizi residenti".split()
)


def _words(text: str, data: set[str]) -> list[str]:
    for value in sorted(data, key=len, reverse=True):  # street and facility names are data
        text = text.replace(value, " ")
    return re.findall(r"[^\W\d_]+", text.lower())


def _foreign(text: str, lang: str, data: set[str]) -> list[str]:
    words = _words(text, data)
    other = ENGLISH_WORDS if lang == "it" else ITALIAN_WORDS
    return sorted({w for w in words if w in other})


def test_italian_outputs_hold_no_english_and_english_no_italian(town, tmp_path):
    city_dir = tmp_path / "city"
    town.save(city_dir)
    runner = CliRunner()
    data = {
        "Via Roma",
        "Via Milano",
        "Farmacia Po",
        "Biblioteca",
        "Cremona",
        "OpenStreetMap",
        "ODbL",
        "ISTAT",
        "CC BY 4.0",
        "accessibility",
        "unreachable.csv",
        "Regione Lombardia - Elenco farmacie",
        "IODL",
        str(tmp_path),
    }
    registry = tmp_path / "farmacie.csv"
    lon, lat = _at(400, 0)
    registry.write_text(
        "CODICE_FARMACIA;DESCRIZIONE_FARMACIA;INDIRIZZO;COMUNE;LATITUDINE;LONGITUDINE\n"
        f"A1;Farmacia Roma;Via Roma 9;CREMONA;{lat:.6f};{lon:.6f}\nA2;Farmacia Lontana;Via Dante;MILANO;45,46;9,19\n",
        encoding="utf-8",
    )
    data |= {"Farmacia Roma", "farmacie.csv"}
    reg = ["--registry", str(registry), "--registry-map", str(ROOT / "data" / "registries" / "lombardia_farmacie.toml")]
    for lang in ("it", "en"):
        out = tmp_path / f"audit_{lang}"
        audit = runner.invoke(
            main,
            [
                "audit",
                "--city",
                str(city_dir),
                "-o",
                str(out),
                "--lang",
                lang,
                "--population",
                str(need(CREMONA_POPULATION)),
                *reg,
            ],
        )
        plan = runner.invoke(
            main,
            [
                "plan",
                "--city",
                str(city_dir),
                "--budget",
                "150.000",
                "--population",
                str(CREMONA_POPULATION),
                "-o",
                str(tmp_path / f"p_{lang}.csv"),
                "--report",
                str(tmp_path / f"p_{lang}.html"),
                "--lang",
                lang,
                "--categories",
                "pharmacy,library,post_office",
                *reg,
            ],
        )
        for run in (audit, plan):
            assert run.exit_code == 0, run.output
        texts = {
            "audit output": audit.output,
            "plan output": plan.output,
            "audit report": _visible_text((out / "report.html").read_text(encoding="utf-8")),
            "plan report": _visible_text((tmp_path / f"p_{lang}.html").read_text(encoding="utf-8")),
        }
        for what, text in texts.items():
            assert len(_words(text, data)) > 20, what
            assert not _foreign(text, lang, data), (lang, what, _foreign(text, lang, data))


# --- real data ---------------------------------------------------------------------------------


def test_helsinki_funded_rows_have_a_street_or_place_name(helsinki_city):
    plan = helsinki_city.plan(
        150_000,
        residents=650_000,
        profiles=["manual_wheelchair", "walker"],
        categories=["pharmacy", "library", "sports"],
    )
    funded = plan.funded
    assert len(funded) >= 20
    named = ((funded["street"] != "") | (funded["within"] != "")).mean()
    assert named >= 0.95, named
    # and an unnamed row would never be the only handle: every row keeps its OSM reference
    assert plan.table["barrier_id"].str.startswith(("osm-", "survey-")).all()


def test_helsinki_barriers_export_names_every_barrier(helsinki_city):
    need(HELSINKI_PBF)
    table = helsinki_city.barriers_wgs84("it")
    assert (table["place"] != "").mean() >= 0.95


def test_regional_registry_keeps_only_the_city_and_counts_the_rest(tmp_path):
    """The whole Lombardy list of pharmacies, read for Cremona: the city's 21 are kept, the
    thousands elsewhere in the region are left out and counted, not listed as facilities."""
    import lzma
    import shutil

    from accessibility.sources.registry import read_registry
    from realdata import CREMONA_BOUNDARY, LOMBARDY

    source = need(LOMBARDY / "Elenco_Completo_Farmacie_20260215.csv.xz")
    table = tmp_path / "farmacie.csv"
    with lzma.open(source) as packed, table.open("wb") as plain:
        shutil.copyfileobj(packed, plain)
    area = gpd.read_file(need(CREMONA_BOUNDARY)).to_crs("EPSG:4326").union_all()
    registry = read_registry(table, ROOT / "data" / "registries" / "lombardia_farmacie.toml", area)
    assert len(registry.facilities) == 21 and len(registry.outside) > 1000 and not registry.rejected
    assert registry.facilities.within(area).all()
    with use_language("it"):
        note = str(registry.notes()[0])
    assert f"{len(registry.outside):,}".replace(",", ".") + " esclusi" in note  # Italian thousands
    assert "fuori dal territorio comunale" in note


def test_helsinki_reports_pass_axe(helsinki_workspace, tmp_path, browser):
    """The real reports of a real city, in Italian: no axe-core violation on desktop or
    phone, nothing fetched, every funded row placed."""
    runner = CliRunner()
    out = tmp_path / "audit"
    workspace = copy_workspace(helsinki_workspace, tmp_path / "ws")  # the audit keeps a snapshot in it
    common = ["--city", str(workspace), "--lang", "it", "--categories", "pharmacy,library,sports"]
    run = runner.invoke(main, ["audit", *common, "-o", str(out), "--population", str(need(CREMONA_POPULATION))])
    assert run.exit_code == 0, run.output
    report = tmp_path / "plan.html"
    run = runner.invoke(
        main,
        [
            "plan",
            *common,
            "--budget",
            "150.000",
            "--residents",
            "650000",
            "--profiles",
            "manual_wheelchair,walker",
            "-o",
            str(tmp_path / "plan.csv"),
            "--report",
            str(report),
        ],
    )
    assert run.exit_code == 0, run.output
    _check_page(browser, out / "report.html", "it")
    _check_page(browser, report, "it")
    text = _visible_text(report.read_text(encoding="utf-8"))
    assert "Sintesi" in text and "Come si contano le persone" in text and "Persone di passaggio" in text
