"""The yearly report: dated snapshots in the workspace, who gained between two of them
(the difference of the two audits, split into works and data exactly), the programme's
progress, the regional register, the commands, and the PDF rendered to images."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from accessibility import City, planning
from accessibility.cli import main
from accessibility.constants import WGS84
from accessibility.errors import SnapshotError
from accessibility.outputs.yearly import line_chart_svg, yearly_report_html
from accessibility.snapshots import list_snapshots, load_snapshot, save_programme
from conftest import copy_workspace
from tests.test_planning import tiny_city

PROFILES = ["manual_wheelchair", "walker"]
CATS = ["pharmacy", "sports", "library"]


def audit_of(city: City):
    return city.audit(residents=650_000, profiles=PROFILES, categories=CATS)


@pytest.fixture(scope="module")
def helsinki_years(helsinki_workspace, tmp_path_factory):
    """A Helsinki workspace with a history: three steps reported and verified, a programme
    adopted, the 2025 snapshot; two reports fixed (one with a note trying to inject
    markup), one OpenStreetMap barrier removed by a new map, the 2026 snapshot."""
    ws = copy_workspace(helsinki_workspace, tmp_path_factory.mktemp("years") / "ws")
    city = City.load(ws)
    pr = city.programme({2026: 60_000.0, 2027: 60_000.0}, residents=650_000, profiles=PROFILES, categories=CATS)
    save_programme(ws, pr, act_number="12/2025", act_date=dt.date(2025, 11, 27), adopted=dt.date(2025, 1, 1))
    top = pr.table[(pr.table["status"] == "funded") & (pr.table["kind"] == "steps")].head(3)
    assert len(top) == 3
    points = top.geometry.interpolate(0.5, normalized=True).to_crs(WGS84)
    lines = [f"{i + 1};gradini;{p.y:.7f};{p.x:.7f};Anna;01/03/2025" for i, p in enumerate(points)]
    survey = ws.parent / "rilievo.csv"
    survey.write_text("id;tipo;latitudine;longitudine;rilevatore;data_rilievo\n" + "\n".join(lines) + "\n")
    ids = city.import_surveys(survey, surveyor="Anna", today=dt.date(2025, 3, 2)).accepted
    assert len(ids) == 3
    for i in ids:
        city.review_survey(i, "verified", by="Bruno")
    before = audit_of(city)
    city.keep_snapshot(before, day=dt.date(2025, 12, 31))
    barriers_before = city.barriers.copy()
    city.review_survey(ids[0], "fixed", by="Bruno", note="rampa <script>alert(1)</script>")
    city.review_survey(ids[1], "fixed", by="Bruno", note="rampa")
    # a new map: an OpenStreetMap barrier that only an edit removed (not a work), one that
    # opens routes when it goes
    osm = city.osm_barriers
    gaining = pr.table[(pr.table["people_total"] > 0) & ~pr.table["barrier_id"].isin(top["barrier_id"])]
    edited_id = gaining["barrier_id"].iloc[0]
    edited = osm.index[osm["barrier_id"] == edited_id][0]
    city.osm_barriers = osm.drop(index=edited).reset_index(drop=True)
    city.save(ws)  # the rebuilt workspace keeps its snapshots and programme
    city = City.load(ws)
    after = audit_of(city)
    city.keep_snapshot(after, day=dt.date(2026, 12, 31))
    return {
        "ws": ws,
        "city": city,
        "before": before,
        "after": after,
        "barriers_before": barriers_before,
        "barriers_after": city.barriers.copy(),
        "ids": ids,
        "steps": top["barrier_id"].tolist(),
        "edited": edited_id,
        "report": city.yearly_report(2026),
    }


def test_snapshots_are_kept_dated_and_read_back(helsinki_years):
    ws = helsinki_years["ws"]
    found = list_snapshots(ws)
    assert [d for d, _ in found] == [dt.date(2025, 12, 31), dt.date(2026, 12, 31)]
    snap = load_snapshot(found[0][1])
    assert snap.meta["profiles"] == ["walk", *PROFILES] and snap.meta["surveys"] == {"verified": 3}
    pd.testing.assert_frame_equal(
        snap.reach.reset_index(drop=True),
        helsinki_years["before"].reach.reset_index(drop=True),
        check_dtype=False,
    )
    assert sorted(snap.barriers["barrier_id"]) == sorted(helsinki_years["barriers_before"]["barrier_id"])
    assert City.load(snap.workspace).store.reports()["status"].tolist() == ["verified"] * 3  # the survey state then
    with pytest.raises(SnapshotError, match="no snapshot of 2031"):
        helsinki_years["city"].yearly_report(2031)


def test_who_gained_is_the_difference_of_the_two_audits(helsinki_years):
    change = helsinki_years["report"].change
    before, after = helsinki_years["before"].reach, helsinki_years["after"].reach
    table = change.reach[change.reach["group"] == "residents"]
    merged = table.merge(after, on=["profile", "category", "threshold"]).merge(
        before, on=["profile", "category", "threshold"], suffixes=("_after", "_before")
    )
    assert len(merged) == len(after) == 3 * 3 * 3
    expected = merged["residents_reached_after"] - merged["residents_reached_before"]
    assert merged["change"].to_numpy() == pytest.approx(expected.to_numpy(), abs=1e-6)
    assert (change.reach["works"] + change.reach["data"]).to_numpy() == pytest.approx(
        change.reach["change"].to_numpy(), abs=1e-6
    )
    assert change.reach.loc[change.reach["group"] == "residents", "works"].sum() > 1000


def test_works_are_told_apart_from_new_mapping(helsinki_years):
    h = helsinki_years
    change = h["report"].change
    # the verified reports replaced the OSM steps (never doubled them): the works lift the
    # survey barriers, and with them the OSM steps they stand for
    fixed_steps = {f"survey-{i}-steps" for i in h["ids"][:2]}
    assert set(change.lifted["barrier_id"]) == fixed_steps
    assert set(change.lifted["replaces"]) == set(h["steps"][:2])
    assert change.works["report_id"].tolist() == h["ids"][:2]
    assert change.left_data["barrier_id"].tolist() == [h["edited"]] and change.left_data["why"].tolist() == ["mapping"]
    assert change.entered.empty
    # independently: the later city with the lifted rows put back, audited at 1,000 m
    G = h["city"].network
    people = h["after"].people["total"].reindex(list(G.nodes)).to_numpy()
    back = pd.concat(
        [h["barriers_after"], h["barriers_before"][h["barriers_before"]["barrier_id"].isin(fixed_steps)]],
        ignore_index=True,
    )
    profiles = [h["city"].profile(p) for p in PROFILES]
    fac = h["report"].later.facilities
    without = planning.reach_figures(G, back, fac, people, profiles, CATS, 1000.0)
    now = planning.reach_figures(G, h["barriers_after"], fac, people, profiles, CATS, 1000.0)
    works = change.reach[(change.reach["group"] == "residents") & (change.reach["threshold"] == "1000 m")]
    for r in works[works["profile"] != "walk"].itertuples():
        key = (r.profile, r.category)
        assert r.works == pytest.approx(now[key][0] - without[key][0], abs=1e-6)


def test_programme_progress_against_its_timetable(helsinki_years):
    rep = helsinki_years["report"]
    progress = rep.programme.set_index("year")
    rows = rep.programme_rows.set_index("barrier_id")
    assert rows.loc[helsinki_years["steps"][:2], "state"].tolist() == ["done", "done"]
    assert rows.loc[helsinki_years["steps"][2], "state"] == "to_do"
    year = int(rows.loc[helsinki_years["steps"][0], "year"])
    assert progress.loc[year, "done"] >= 1
    assert progress["done"].sum() == 2
    assert progress.loc[2026, "late"] == progress.loc[2026, "to_do"] and progress.loc[2027, "late"] == 0
    assert progress["planned"].sum() == rep.programme_rows.shape[0]


def test_report_page_and_pdf(helsinki_years, tmp_path):
    ws = helsinki_years["ws"]
    page_it = yearly_report_html(helsinki_years["report"], "it")
    assert "Relazione annuale" in page_it and "Interventi realizzati" in page_it
    assert "<script>alert" not in page_it and "&lt;script&gt;" in page_it
    assert "http://" not in page_it.replace("http://www.w3.org/2000/svg", "") and "https://" not in page_it
    assert page_it.count("<svg") >= 3
    result = CliRunner().invoke(
        main,
        [
            "report",
            "--city",
            str(ws),
            "--year",
            "2026",
            "--since",
            "2025",
            "-o",
            str(tmp_path / "r.html"),
            "--pdf",
            str(tmp_path / "r.pdf"),
            "--lang",
            "it",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "2 segnalazioni risolte" in result.output
    pdf = (tmp_path / "r.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm (poppler-utils) is not installed: scripts/test.sh installs it")
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(tmp_path / "r.pdf"), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 3 and all(p.stat().st_size > 5000 for p in pages)


def test_report_page_in_chromium(helsinki_years, tmp_path, browser):
    from axe_playwright_python.sync_playwright import Axe

    (tmp_path / "r.html").write_text(yearly_report_html(helsinki_years["report"], "it"), encoding="utf-8")
    page, log = browser
    for width, height in ((1280, 800), (360, 740)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto((tmp_path / "r.html").as_uri())
        page.screenshot(path=str(tmp_path / f"report_{width}.png"), full_page=False)
    log.assert_clean()
    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in {"serious", "critical"}]
    assert not serious, [v["id"] for v in serious]


def test_line_chart_draws_every_series():
    days = [dt.date(2024, 12, 31), dt.date(2025, 12, 31), dt.date(2026, 12, 31)]
    svg = line_chart_svg({"A <b>": list(zip(days, [0.5, 0.6, 0.7])), "B": list(zip(days, [0.4, 0.4, 0.45]))}, "t <x>")
    assert svg.count('<path d="M') == 2 and "A <b>" not in svg and "t &lt;x&gt;" in svg


# --- the command and the register, on a tiny city -------------------------------------------------


def test_programme_command_writes_programme_register_and_report(osm_file, tmp_path):
    city = tiny_city(osm_file)
    city.save(tmp_path / "ws")
    out = tmp_path / "out"
    args = [
        "programme",
        "--city",
        str(tmp_path / "ws"),
        "--budgets",
        "2026=1.500,2027=5.000,2028=2.000",
        "--residents",
        "1000",
        "--profiles",
        "manual_wheelchair",
        "--categories",
        "pharmacy,sports",
        "-o",
        str(out / "programma.csv"),
        "--xlsx",
        str(out / "programma.xlsx"),
        "--report",
        str(out / "programma.html"),
        "--register-xlsx",
        str(out / "registro.xlsx"),
        "--register-csv",
        str(out / "registro"),
        "--act-number",
        "45",
        "--act-date",
        "27/11/2025",
        "--adopt",
        "--lang",
        "it",
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "3 interventi in 3 anni" in result.output
    table = pd.read_csv(out / "programma.csv", sep=";", encoding="utf-8-sig", decimal=",")
    assert list(table.columns[:4]) == ["anno", "ordine", "posizione", "stato"]
    assert table["anno"].head(3).tolist() == [2026, 2028, 2028] and table["costo"].head(3).tolist() == [
        1500,
        2600,
        3900,
    ]
    book = openpyxl.load_workbook(out / "registro.xlsx")
    assert book.sheetnames == ["piano", "cronoprogramma", "interventi"]
    plan = {r[0]: r[1] for r in book["piano"].iter_rows(min_row=2, values_only=True)}
    assert plan["Atto di adozione: numero"] == "45" and plan["Atto di adozione: data"] == "2025-11-27"
    assert plan["Fondi stanziati in totale (euro)"] == 8500
    timetable = list(book["cronoprogramma"].iter_rows(values_only=True))
    assert timetable[0] == (
        "anno",
        "fondi stanziati (euro)",
        "interventi",
        "importo degli interventi (euro)",
        "di cui in lavori stradali (euro)",
        "residuo (euro)",
    )
    assert [r[0] for r in timetable[1:]] == [2026, 2027, 2028] and [r[1] for r in timetable[1:]] == [1500, 5000, 2000]
    header = next(book["interventi"].iter_rows(values_only=True))
    assert header[:4] == ("anno", "n.", "codice barriera", "via") and "importo (euro)" in header
    csvs = sorted(p.name for p in (out / "registro").iterdir())
    assert csvs == ["cronoprogramma.csv", "interventi.csv", "piano.csv"]
    page = (out / "programma.html").read_text(encoding="utf-8")
    assert "Programma del PEBA" in page and "I pesi del criterio" in page and "1.500\xa0€" in page
    assert (tmp_path / "ws" / "programme" / "programme.json").is_file()
    missing_act = CliRunner().invoke(main, args[:13] + ["--register-csv", str(out / "x")])
    assert missing_act.exit_code != 0 and "--act-number" in missing_act.output
    bad = CliRunner().invoke(main, [*args[:4], "2026=1.5000", *args[5:13]])
    assert bad.exit_code == 2 and "1.5000" in bad.output
