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
