"""The ``accessibility survey`` commands, through click's CliRunner."""

from __future__ import annotations

import json

from click.testing import CliRunner

from accessibility.cli import main
from accessibility.cli.main import plain
from survey_fixtures import grid_workspace


def test_import_list_review_export(tmp_path):
    _, files = grid_workspace(tmp_path)
    ws = str(tmp_path / "ws")
    runner = CliRunner()
    out = runner.invoke(main, ["survey", "import", str(files / "messy_rows.csv"), "--city", ws, "--surveyor", "Anna"])
    assert out.exit_code == 0, out.output
    assert "accepted: 4" in out.output and "rejected: 13" in out.output
    assert "messy_rows.rejects.csv" in out.output and (files / "messy_rows.rejects.csv").is_file()
    again = runner.invoke(main, ["survey", "import", str(files / "messy_rows.csv"), "--city", ws, "--surveyor", "Anna"])
    assert "accepted: 0" in again.output and "already in the store: 4" in again.output

    listing = runner.invoke(main, ["survey", "list", "--city", ws])
    assert listing.exit_code == 0 and "4 reports" in listing.output
    assert "<script>alert(1)</script>" in listing.output  # shown as text, never run

    review = runner.invoke(
        main, ["survey", "review", "2", "--city", ws, "--set", "verified", "--by", "Bruno", "--note", "visto"]
    )
    assert review.exit_code == 0 and "reported -> verified" in review.output
    bad = runner.invoke(main, ["survey", "review", "2", "--city", ws, "--set", "rejected", "--by", "Bruno"])
    assert bad.exit_code == 1 and "needs a note" in bad.output and "Traceback" not in bad.output
    verified = runner.invoke(main, ["survey", "list", "--city", ws, "--status", "verified"])
    assert "1 reports" in verified.output

    out_file = tmp_path / "surveys.geojson"
    export = runner.invoke(main, ["survey", "export", "--city", ws, "-o", str(out_file)])
    assert export.exit_code == 0, export.output
    features = json.loads(out_file.read_text())["features"]
    assert len(features) == 4 and {f["properties"]["status"] for f in features} == {"reported", "verified"}


def test_not_a_workspace(tmp_path):
    out = CliRunner().invoke(main, ["survey", "list", "--city", str(tmp_path)])
    assert out.exit_code == 1 and "not a city workspace" in out.output


def test_terminal_text_is_inert():
    assert plain("\x1b[2J<b>x</b>\n") == "\\x1b[2J<b>x</b>\\n"
    assert plain("a" * 10, width=5) == "aaaa…" and plain(None) == ""


def test_review_in_the_offices_language(tmp_path):
    """Italian statuses and kinds, a report found by the surveyor's own code, flags in
    Italian, and the reports as a spreadsheet whose text never becomes a formula."""
    import openpyxl

    _, files = grid_workspace(tmp_path)
    ws = str(tmp_path / "ws")
    runner = CliRunner()
    runner.invoke(main, ["survey", "import", str(files / "good_semicolon_comma.csv"), "--city", ws, "--surveyor", "A"])
    it = ["--lang", "it", "survey"]

    review = runner.invoke(main, [*it, "review", "a1", "--city", ws, "--set", "verificato", "--by", "Bruno"])
    assert review.exit_code == 0, review.output
    assert "segnalazione n. 1: segnalata -> verificata" in review.output
    again = runner.invoke(main, [*it, "review", "A1", "--city", ws, "--set", "segnalato", "--by", "Bruno"])
    assert again.exit_code == 1 and "non a segnalata" in again.output and "Traceback" not in again.output
    missing = runner.invoke(main, [*it, "review", "R-999", "--city", ws, "--set", "verificato", "--by", "Bruno"])
    assert missing.exit_code == 1 and "nessuna segnalazione con numero o codice 'R-999'" in missing.output
    unknown = runner.invoke(main, [*it, "review", "2", "--city", ws, "--set", "boh", "--by", "Bruno"])
    assert unknown.exit_code == 2 and "stato sconosciuto" in unknown.output and "verificata" in unknown.output

    listing = runner.invoke(main, [*it, "list", "--city", ws, "--status", "verificata", "--kind", "cordolo"])
    assert listing.exit_code == 0, listing.output
    head, row, total = listing.output.splitlines()
    assert head.split()[:5] == ["n.", "codice", "stato", "tipo", "data"]
    assert row.split()[:5] == ["1", "A1", "verificata", "Cordolo", "rialzato"] and total == "1 segnalazioni"
    steps = runner.invoke(main, [*it, "list", "--city", ws, "--kind", "gradini"])
    assert steps.output.splitlines()[-1] == "0 segnalazioni"
    poor = tmp_path / "gps.csv"
    poor.write_text("tipo;latitudine;longitudine;data_rilievo;precisione_m\npaletto;45,1335;10,0256;03/05/2025;30\n")
    runner.invoke(main, ["survey", "import", str(poor), "--city", ws, "--surveyor", "A"])
    every = runner.invoke(main, [*it, "list", "--city", ws]).output.splitlines()
    assert "GPS poco preciso" in every[-2] and every[-1] == "4 segnalazioni"

    out = tmp_path / "segnalazioni.xlsx"
    export = runner.invoke(main, [*it, "export", "--city", ws, "-o", str(out)])
    assert export.exit_code == 0, export.output
    sheet = openpyxl.load_workbook(out).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert sheet.title == "Segnalazioni" and rows[0][:4] == (
        "Numero",
        "Codice del rilevatore",
        "Stato",
        "Tipo di barriera",
    )
    assert rows[1][:4] == (1, "A1", "verificata", "Cordolo rialzato") and len(rows) == 5
    assert "GPS poco preciso" in rows[4]


def test_export_xlsx_is_formula_safe(tmp_path):
    import openpyxl

    _, files = grid_workspace(tmp_path)
    ws = str(tmp_path / "ws")
    hostile = tmp_path / "ostile.csv"
    hostile.write_text(
        'tipo;latitudine;longitudine;data_rilievo;descrizione\ncordolo;45,134;10,0249;03/05/2025;=HYPERLINK("x")\n',
        encoding="utf-8",
    )
    runner = CliRunner()
    runner.invoke(main, ["survey", "import", str(hostile), "--city", ws, "--surveyor", "A"])
    out = tmp_path / "s.xlsx"
    assert runner.invoke(main, ["survey", "export", "--city", ws, "-o", str(out)]).exit_code == 0
    sheet = openpyxl.load_workbook(out).worksheets[0]
    cells = [c for row in sheet.iter_rows() for c in row if c.value == '=HYPERLINK("x")']
    assert len(cells) == 1 and cells[0].data_type == "s"
