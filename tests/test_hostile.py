"""Every command against the hostile-input corpus of ``tests/data/hostile`` (written by
its ``make_corpus.py``): each run ends in one clear line naming the problem (or succeeds,
listing what it skipped), never a traceback, and never the command line's last-resort
"internal error" line: every failure people can cause is one of the package's errors."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from accessibility.cli import main
from accessibility.cli.main import INTERNAL_ERROR

HOSTILE = Path(__file__).parent / "data" / "hostile"
LATLON_FROM, LATLON_TO = "45.1330,10.0235", "45.1345,10.0256"


def corpus(prefix: str) -> list[str]:
    return sorted(p.name for p in HOSTILE.iterdir() if p.name.startswith(prefix))


@pytest.fixture(scope="module")
def base_workspace(tmp_path_factory) -> Path:
    ws = tmp_path_factory.mktemp("hostile") / "ws"
    out = CliRunner().invoke(main, ["build", "--osm", str(HOSTILE / "base.osm"), "--city", str(ws), "--lang", "en"])
    assert out.exit_code == 0, out.output
    return ws


def run(args: list[str]) -> tuple[int, str]:
    """Run a command in English; check the invariants every run must keep."""
    result = CliRunner().invoke(main, [*args, "--lang", "en"])
    output = result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in output
    assert INTERNAL_ERROR not in output, output
    if result.exit_code not in (0, 2) or "Error:" in output:
        errors = [line for line in output.splitlines() if line.startswith("Error:")]
        assert len(errors) == 1 and output.rstrip().endswith(errors[0]), output
    return result.exit_code, output


def error_line(output: str) -> str:
    return next(line for line in output.splitlines() if line.startswith("Error:"))


# --- the ten tracebacks of issue 15, and more of their kind --------------------------------

#: case -> what the one-line error must say (besides the file's name).
MUST_FAIL = {
    "osm_lat_nan.osm": "not a finite number",
    "osm_lon_inf.osm": "not a finite number",
    "osm_truncated.osm": "malformed XML",
    "osm_empty.osm": "",
    "osm_binary.osm.pbf": "",
    "osm_not_osm_root.osm": "not <osm>",
    "osm_bad_id.osm": "bad id",
    "osm_json_bad_element.json": "malformed",
    "osm_json_nan.json": "malformed",
    "osm_json_not_overpass.json": "Overpass",
    "osm_no_walkable_way.osm": "no walkable way",
    "osm_entities.osm": "no walkable way",
    "osm_gzip_truncated.osm.gz": "cannot be read",
}


@pytest.mark.parametrize("case", corpus("osm_"))
def test_build_from_hostile_osm(case, tmp_path):
    code, output = run(["build", "--osm", str(HOSTILE / case), "--city", str(tmp_path / "ws")])
    if case in MUST_FAIL:
        assert code == 1 and case in error_line(output) and MUST_FAIL[case] in error_line(output), output
        assert not (tmp_path / "ws").exists()
    else:
        assert code == 0, output


def test_nodes_off_the_globe_are_skipped_and_listed(tmp_path):
    code, output = run(["build", "--osm", str(HOSTILE / "osm_lat_out_of_range.osm"), "--city", str(tmp_path / "ws")])
    assert code == 0 and "1 nodes lie outside latitude" in output
    problems = (tmp_path / "ws" / "tag_problems.csv").read_text(encoding="utf-8")
    assert 'node,1000,"lat,lon","95.0,10.0235"' in problems
    meta = json.loads((tmp_path / "ws" / "city.json").read_text(encoding="utf-8"))
    assert meta["build"]["nodes_out_of_range"] == 1
    assert " inf " not in output and "nan" not in output


def test_implausible_values_are_listed_and_unknown(tmp_path):
    code, output = run(["build", "--osm", str(HOSTILE / "osm_implausible_values.osm"), "--city", str(tmp_path / "ws")])
    assert code == 0, output
    problems = (tmp_path / "ws" / "tag_problems.csv").read_text(encoding="utf-8")
    for key, value in (("width", "999999999999"), ("step_count", "999999999999"), ("kerb:height", "10 km")):
        line = next(row for row in problems.splitlines() if f",{key},{value}," in row)
        assert "not a plausible value" in line


@pytest.mark.parametrize("case", corpus("boundary_"))
def test_build_with_hostile_boundary(case, tmp_path):
    code, output = run(
        ["build", "--osm", str(HOSTILE / "base.osm"), "--boundary", str(HOSTILE / case), "--city", str(tmp_path / "w")]
    )
    assert code == 1 and case in error_line(output)


SURVEY_MUST_FAIL = {
    "survey_huge_cell.csv": "longer than 131,072 characters",
    "survey_utf16_no_bom.csv": "not a readable table",
    "survey_binary.csv": "not a readable table",
    "survey_unterminated_quote.csv": "never closed",
    "survey_empty.csv": "empty",
    "survey_only_blank_lines.csv": "empty",
    "survey_no_known_column.csv": "not a readable table",
    "survey_duplicate_columns.csv": "both mean",
    "survey_not_xlsx.xlsx": "not a readable XLSX",
    "survey_not_gpkg.gpkg": "not a readable GeoJSON/GeoPackage",
    "survey_not_geojson.geojson": "not a readable GeoJSON/GeoPackage",
    "survey_unknown_type.docx": "unknown survey file type",
}


@pytest.mark.parametrize("case", corpus("survey_"))
def test_import_hostile_survey(case, base_workspace, tmp_path):
    ws = shutil.copytree(base_workspace, tmp_path / "ws")
    source = shutil.copy(HOSTILE / case, tmp_path / case)
    code, output = run(["survey", "import", str(source), "--city", str(ws), "--surveyor", "Anna"])
    if case in SURVEY_MUST_FAIL:
        assert code == 1 and case in error_line(output) and SURVEY_MUST_FAIL[case] in error_line(output), output
        assert "accepted" not in output
    else:
        assert code == 0 and "accepted:" in output, output


def test_nan_and_inf_cells_are_rejected_rows(base_workspace, tmp_path):
    ws = shutil.copytree(base_workspace, tmp_path / "ws")
    source = shutil.copy(HOSTILE / "survey_nan_coordinates.csv", tmp_path / "s.csv")
    code, output = run(["survey", "import", str(source), "--city", str(ws), "--surveyor", "Anna"])
    assert code == 0 and "accepted: 0" in output and "rejected: 2" in output
    rejects = (tmp_path / "s.rejects.csv").read_text(encoding="utf-8-sig")
    assert rejects.count("coordinate is not a number") >= 2


@pytest.mark.parametrize("case", corpus("profile_"))
def test_route_with_hostile_profile_file(case, base_workspace):
    code, output = run(
        [
            "route",
            "--city",
            str(base_workspace),
            "--from",
            LATLON_FROM,
            "--to",
            LATLON_TO,
            "--profile-file",
            str(HOSTILE / case),
        ]
    )
    assert code == 1 and case in error_line(output), output


PROFILE_REASONS = {
    "profile_wrong_type.toml": "must be a table of settings",
    "profile_speed_inf.toml": "speed_mps = inf is not a finite number",
    "profile_speed_nan.toml": "speed_mps = nan is not a finite number",
    "profile_max_steps_negative.toml": "max_steps = -5 cannot be negative",
    "profile_text_for_number.toml": "speed_mps = 'veloce' is not a number",
    "profile_list_is_text.toml": "surfaces_block = 'gravel' is not a list",
}


@pytest.mark.parametrize("case", sorted(PROFILE_REASONS))
def test_profile_errors_say_which_value_and_why(case, base_workspace):
    _, output = run(
        [
            "route",
            "--city",
            str(base_workspace),
            "--from",
            LATLON_FROM,
            "--to",
            LATLON_TO,
            "--profile-file",
            str(HOSTILE / case),
        ]
    )
    assert PROFILE_REASONS[case] in error_line(output), output


COST_REASONS = {
    "costs_ramp_slope_zero.toml": "ramp_slope = 0 must be a slope",
    "costs_text_for_number.toml": "step_rise_m = 'sedici' must be",
    "costs_euro_text.toml": "euro = 'tanti' must be a price",
    "costs_kinds_is_number.toml": "[kinds] must be a section of tables, not 5",
    "costs_step_rise_negative.toml": "step_rise_m = -0.16 must be",
    "costs_euro_inf.toml": "euro = inf must be a price",
    "costs_not_toml.toml": "not valid TOML",
}


@pytest.mark.parametrize("case", corpus("costs_"))
def test_plan_with_hostile_cost_table(case, base_workspace, tmp_path):
    code, output = run(
        [
            "plan",
            "--city",
            str(base_workspace),
            "--budget",
            "10000",
            "--residents",
            "500",
            "-o",
            str(tmp_path / "plan.csv"),
            "--costs",
            str(HOSTILE / case),
        ]
    )
    assert code == 1 and case in error_line(output) and COST_REASONS[case] in error_line(output), output
    assert not (tmp_path / "plan.csv").exists()


@pytest.mark.parametrize("case", corpus("population_"))
@pytest.mark.parametrize("command", ["audit", "plan"])
def test_hostile_population_table(case, command, base_workspace, tmp_path):
    args = ["--city", str(base_workspace), "--population", str(HOSTILE / case)]
    if command == "audit":
        args += ["-o", str(tmp_path / "audit"), "--profiles", "walk,manual_wheelchair", "--categories", "pharmacy"]
    else:
        args += ["--budget", "1000", "-o", str(tmp_path / "plan.csv")]
    code, output = run([command, *args])
    assert code == 1 and case in error_line(output), output


@pytest.mark.parametrize(
    "registry, mapping",
    [
        ("registry_binary.csv", "registrymap_ok.toml"),
        ("registry_missing_columns.csv", "registrymap_ok.toml"),
        ("registry_nan_coordinates.csv", "registrymap_ok.toml"),
        ("registry_unterminated_quote.csv", "registrymap_ok.toml"),
    ]
    + [("registry_nan_coordinates.csv", m) for m in corpus("registrymap_") if m != "registrymap_ok.toml"],
)
def test_audit_with_hostile_registry(registry, mapping, base_workspace, tmp_path):
    code, output = run(
        [
            "audit",
            "--city",
            str(base_workspace),
            "-o",
            str(tmp_path / "audit"),
            "--profiles",
            "walk",
            "--categories",
            "pharmacy",
            "--registry",
            str(HOSTILE / registry),
            "--registry-map",
            str(HOSTILE / mapping),
        ]
    )
    assert code == 1, output
    assert registry in error_line(output) or mapping in error_line(output), output


@pytest.mark.parametrize("case", corpus("areas_"))
def test_audit_with_hostile_areas(case, base_workspace, tmp_path):
    code, output = run(
        [
            "audit",
            "--city",
            str(base_workspace),
            "-o",
            str(tmp_path / "audit"),
            "--profiles",
            "walk",
            "--categories",
            "pharmacy",
            "--areas",
            str(HOSTILE / case),
        ]
    )
    assert code in (1, 2) and case in error_line(output), output


# --- damaged workspaces against every command that reads one ------------------------------


def every_command(ws: Path, tmp: Path) -> dict[str, list[str]]:
    survey = tmp / "one.csv"
    survey.write_text("tipo;lat;lon;data\ngradini;45.1335;10.0242;03/05/2025\n", encoding="utf-8")
    return {
        "barriers": ["barriers", "--city", str(ws), "-o", str(tmp / "b.geojson")],
        "route": ["route", "--city", str(ws), "--from", LATLON_FROM, "--to", LATLON_TO],
        "nearest": ["route", "--city", str(ws), "--from", LATLON_FROM, "--to-nearest", "pharmacy"],
        "audit": ["audit", "--city", str(ws), "-o", str(tmp / "a"), "--profiles", "walk", "--categories", "pharmacy"],
        "plan": ["plan", "--city", str(ws), "--budget", "1000", "--residents", "100", "-o", str(tmp / "p.csv")],
        "import": ["survey", "import", str(survey), "--city", str(ws), "--surveyor", "Anna"],
        "list": ["survey", "list", "--city", str(ws)],
        "review": ["survey", "review", "1", "--city", str(ws), "--set", "verified", "--by", "Bruno"],
        "export": ["survey", "export", "--city", str(ws), "-o", str(tmp / "s.geojson")],
    }


def damage(ws: Path, case: str) -> str:
    """Put the corpus file ``case`` in place of the workspace file it names; return that name."""
    target = case.removeprefix("workspace_").split("--")[0]
    content = (HOSTILE / case).read_bytes()
    if content == b"MISSING_LAYER":
        meta = json.loads((ws / target).read_text(encoding="utf-8"))
        meta["layers"].append("ghost")
        content = json.dumps(meta).encode()
    (ws / target).write_bytes(content)
    return target


#: Which commands read each workspace file (the survey commands need no network).
LOADS_CITY = {"barriers", "route", "nearest", "audit", "plan", "import"}
READERS = {
    "city.json": LOADS_CITY | {"list", "review", "export"},
    "network.gpkg": LOADS_CITY,
    "tag_problems.csv": LOADS_CITY,
    "surveys.gpkg": LOADS_CITY | {"list", "review", "export"},
}


@pytest.mark.parametrize("case", corpus("workspace_"))
def test_every_command_on_a_damaged_workspace(case, base_workspace, tmp_path):
    ws = shutil.copytree(base_workspace, tmp_path / "ws")
    damaged = damage(ws, case)
    if case.endswith("missing_layer"):
        damaged = "network.gpkg"  # city.json names a layer network.gpkg lacks: the city cannot load
    for name, args in every_command(ws, tmp_path).items():
        code, output = run(args)  # never a traceback, whatever the command
        if name in READERS[damaged]:
            assert code == 1 and (damaged in error_line(output) or "city.json" in error_line(output)), (name, output)


def test_store_that_is_no_database_is_one_line_on_import(base_workspace, tmp_path):
    ws = shutil.copytree(base_workspace, tmp_path / "ws")
    damage(ws, "workspace_surveys.gpkg--not_a_database")
    commands = every_command(ws, tmp_path)
    for name in ("import", "list", "review", "export", "route"):
        code, output = run(commands[name])
        assert code == 1 and "cannot be read as a survey store" in error_line(output), (name, output)


# --- numbers on the command line -----------------------------------------------------------


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e999", "NaN"])
@pytest.mark.parametrize(
    "option, command",
    [
        ("--max-kerb-cm", "route"),
        ("--max-incline", "route"),
        ("--min-width-cm", "route"),
        ("--budget", "plan"),
        ("--residents", "plan"),
        ("--threshold-m", "plan"),
        ("--minutes", "plan"),
        ("--residents", "audit"),
        ("--hex-size", "audit"),
    ],
)
def test_non_finite_numbers_are_refused(option, command, value, base_workspace, tmp_path):
    args = {
        "route": ["route", "--city", str(base_workspace), "--from", LATLON_FROM, "--to", LATLON_TO],
        "plan": [
            "plan",
            "--city",
            str(base_workspace),
            "--budget",
            "1000",
            "--residents",
            "100",
            "-o",
            str(tmp_path / "p.csv"),
        ],
        "audit": ["audit", "--city", str(base_workspace), "-o", str(tmp_path / "a")],
    }[command]
    code, output = run([*args, f"{option}={value}"])
    assert code == 2 and option in error_line(output) and "not a finite number" in error_line(output), output
    assert not (tmp_path / "p.csv").exists() and not (tmp_path / "a").exists()


def test_python_api_refuses_non_finite_amounts(base_workspace):
    from accessibility import City
    from accessibility.errors import AccessibilityError

    city = City.load(base_workspace)
    for kwargs in ({"budget": float("inf"), "residents": 10}, {"budget": 10, "residents": float("nan")}):
        with pytest.raises(AccessibilityError, match="not a finite number"):
            city.plan(**kwargs)
    with pytest.raises(AccessibilityError, match="max_kerb_cm = nan"):
        city.route((45.1330, 10.0235), (45.1345, 10.0256), profile="manual_wheelchair", max_kerb_cm=float("nan"))


def test_real_process_prints_no_traceback(tmp_path):
    """The corpus through the installed command in a real process (what a user sees)."""
    for case in ("osm_lat_nan.osm", "osm_truncated.osm"):
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "accessibility",
                "build",
                "--osm",
                str(HOSTILE / case),
                "--city",
                str(tmp_path / "ws"),
                "--lang",
                "en",
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 1 and "Traceback" not in proc.stderr
        assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("Error:"), proc.stderr


def test_excel_unicode_text_with_its_bom_is_read(base_workspace, tmp_path):
    """Excel's "Unicode text" is UTF-16 with a byte-order mark: read, not refused."""
    ws = shutil.copytree(base_workspace, tmp_path / "ws")
    source = tmp_path / "unicode.txt"
    source.write_bytes("tipo\tlat\tlon\tdata\ngradini\t45.1335\t10.0242\t03/05/2025\n".encode("utf-16"))
    code, output = run(["survey", "import", str(source), "--city", str(ws), "--surveyor", "Anna"])
    assert code == 0 and "accepted: 1" in output, output


@pytest.mark.parametrize(
    "args, says",
    [
        (["survey", "import", "{survey}", "--surveyor", "Anna", "--crs", "99999"], "--crs"),
        (["survey", "review", "99999999999999999999", "--set", "verified", "--by", "Bruno"], "REPORT_ID"),
        (["survey", "review", "0", "--set", "verified", "--by", "Bruno"], "REPORT_ID"),
        (["route", "--from", "nan,10.02", "--to", LATLON_TO], "--from"),
        (["route", "--from", LATLON_FROM, "--to", "45.13,inf"], "--to"),
        (["route", "--from", LATLON_FROM, "--to", LATLON_TO, "--max-steps", "-5"], "--max-steps"),
    ],
)
def test_bad_arguments_are_one_line(args, says, base_workspace, tmp_path):
    survey = tmp_path / "xy.csv"
    survey.write_text("tipo;x;y;data\ngradini;580000;5000000;03/05/2025\n", encoding="utf-8")
    args = [a.replace("{survey}", str(survey)) for a in args]
    code, output = run(
        [*args[:2], *args[2:], "--city", str(base_workspace)]
        if args[0] == "survey"
        else [args[0], "--city", str(base_workspace), *args[1:]]
    )
    assert code == 2 and says in error_line(output), output


def test_python_api_refuses_an_unknown_crs(base_workspace, tmp_path):
    from accessibility import City
    from accessibility.errors import SurveyError

    survey = tmp_path / "xy.csv"
    survey.write_text("tipo;x;y;data\ngradini;580000;5000000;03/05/2025\n", encoding="utf-8")
    city = City.load(shutil.copytree(base_workspace, tmp_path / "ws"))
    with pytest.raises(SurveyError, match="unsupported CRS 99999"):
        city.import_surveys(survey, surveyor="Anna", crs=99999)
    with pytest.raises(Exception, match="no survey report #99999999999999999999"):
        city.review_survey(99999999999999999999, "verified", by="Bruno")


def test_a_hexagon_size_that_would_exhaust_memory_is_refused(base_workspace, tmp_path):
    code, output = run(["audit", "--city", str(base_workspace), "-o", str(tmp_path / "a"), "--hex-size", "0.001"])
    assert code == 1 and "choose a larger size" in error_line(output), output


def test_a_folder_that_is_not_a_workspace_or_an_audit_is_never_replaced(base_workspace, tmp_path):
    """``--city .`` or ``-o ~/Documents`` by mistake: refused, nothing deleted."""
    precious = tmp_path / "documents"
    precious.mkdir()
    (precious / "tesi.docx").write_text("years of work")
    code, output = run(["build", "--osm", str(HOSTILE / "base.osm"), "--city", str(precious)])
    assert code == 1 and "not a workspace" in error_line(output)
    code, output = run(["audit", "--city", str(base_workspace), "-o", str(precious), "--profiles", "walk"])
    assert code == 2 and "not an earlier audit" in error_line(output)
    assert (precious / "tesi.docx").read_text() == "years of work" and len(list(precious.iterdir())) == 1
