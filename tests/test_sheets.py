"""Barrier sheets: the data of a sheet (measure against the rule, profiles, intervention and
cost, reports, history, photos), the HTML page with its small map, the command, and the
PDF of a plan's sheets rendered to images."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from accessibility.cli import main
from accessibility.errors import InputError
from accessibility.outputs.sheets import barrier_sheets_html
from survey_fixtures import grid_workspace

FIELDTOOLS = Path(__file__).parent / "data" / "fieldtools"


@pytest.fixture
def city(tmp_path):
    """The grid with the KoboToolbox export imported (steps with two photos, a raised kerb)
    and the steps verified, the kerb verified with a note that tries markup."""
    city, _files = grid_workspace(tmp_path)
    shutil.copytree(FIELDTOOLS, tmp_path / "ft", ignore=shutil.ignore_patterns("*.py"))
    ids = city.import_surveys(tmp_path / "ft" / "kobo.csv", surveyor="Ufficio", today=dt.date(2025, 6, 1)).accepted
    city.review_survey(ids[0], "verified", by="Bruno", note="visto sul posto")
    city.review_survey(ids[1], "verified", by="Bruno", note="<script>alert(1)</script>")
    return city


def test_the_sheet_of_surveyed_steps(city):
    (sheet,) = city.sheets(["survey-1-steps"])
    assert sheet.kind == "steps" and sheet.measure == 4 and sheet.unit == "steps"
    assert "manual_wheelchair" in sheet.blocked and sheet.rule.startswith("DM 236/1989")
    assert sheet.intervention is not None and sheet.cost == pytest.approx(sheet.quantity * sheet.unit_cost, abs=0.01)
    assert [r.report_id for r in sheet.reports] == [1]
    assert [h["to_status"] for h in sheet.reports[0].history] == ["reported", "verified"]
    assert len(sheet.photos) == 2 and all(city.photo(p) for p in sheet.photos)
    assert sheet.nearby and sheet.lat == pytest.approx(45.13375, abs=1e-4)

    page = barrier_sheets_html([sheet], "it", city="Griglia", photo=city.photo)
    assert page.count('<img src="data:image/jpeg;base64,') == 2
    assert "Gradini" in page and "4 gradini" in page and "Sedia a rotelle manuale" in page
    assert "visto sul posto" in page and "verificata" in page
    svg = re.search(r'<svg class="spot".*?</svg>', page, re.S).group(0)
    assert 'role="img"' in svg and 'stroke="#c00000"' in svg and svg.count("<polyline") >= 3


def test_text_from_people_is_shown_never_run(city):
    (sheet,) = city.sheets(["survey-2-raised_kerb"])
    page = barrier_sheets_html([sheet], "it", photo=city.photo)
    assert "12,5 cm (limite di norma: 2,5 cm)" in page
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_unknown_code(city):
    with pytest.raises(InputError, match="no barrier in force has the code 'osm-way-1-steps'"):
        city.sheets(["osm-way-1-steps"])
    run = CliRunner().invoke(main, ["sheet", "osm-way-1-steps", "--city", str(city.path), "-o", "x.html"])
    assert run.exit_code == 1 and run.output.count("Error:") == 1 and "Traceback" not in run.output


def test_sheet_command_writes_one_page(city, tmp_path):
    out = tmp_path / "scheda.html"
    run = CliRunner().invoke(
        main, ["--lang", "it", "sheet", "osm-node-1011-raised_kerb", "--city", str(city.path), "-o", str(out)]
    )
    assert run.exit_code == 0, run.output
    page = out.read_text(encoding="utf-8")
    assert '<html lang="it">' in page and "Scheda 1: Cordolo rialzato" in page and "© i contributori" in page
    assert "Nessuna segnalazione di rilievo" in page


def test_plan_sheets_as_pdf_rendered_to_images(city, tmp_path):
    out = tmp_path / "schede.pdf"
    args = ["--lang", "it", "sheet", "--city", str(city.path), "--budget", "100000", "--residents", "10000"]
    run = CliRunner().invoke(main, [*args, "--all", "-o", str(out)])
    assert run.exit_code == 0, run.output
    count = int(re.search(r"(\d+) schede", run.output).group(1))
    assert count >= 3 and out.read_bytes().startswith(b"%PDF")
    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm (poppler-utils) is not installed: scripts/test.sh installs it")
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(out), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == count and all(p.stat().st_size > 5000 for p in pages)  # one A4 page per sheet


def test_sheet_page_in_chromium(city, tmp_path, browser):
    from axe_playwright_python.sync_playwright import Axe

    sheets = city.sheets(["survey-1-steps", "osm-node-1011-raised_kerb"])
    (tmp_path / "s.html").write_text(barrier_sheets_html(sheets, "it", city="Griglia", photo=city.photo), "utf-8")
    page, log = browser
    for width, height in ((1280, 800), (360, 740)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto((tmp_path / "s.html").as_uri())
        page.screenshot(path=str(tmp_path / f"sheet_{width}.png"), full_page=False)
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= width + 1  # nothing wider than the phone's screen
    log.assert_clean()  # nothing loaded from the network, no script error
    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in {"serious", "critical"}]
    assert not serious, [v["id"] for v in serious]
