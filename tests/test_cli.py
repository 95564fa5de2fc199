"""The command line, through click's CliRunner and once as a real process."""

import json
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner

from accessibility.cli import main
from realdata import CREMONA_BOUNDARY, need

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def city_dir(osm_file, tmp_path):
    path = osm_file(
        [
            (10, [1, 2, 3], {"highway": "footway", "name": "Via Dante"}),
            (11, [3, 4], {"highway": "steps", "step_count": "5"}),
        ],
        {2: {"kerb": "raised", "kerb:height": "0.08"}},
    )
    out = tmp_path / "city"
    result = CliRunner().invoke(main, ["build", "--osm", str(path), "--city", str(out)])
    assert result.exit_code == 0, result.output
    assert "4 nodes, 6 edges" in result.output
    assert "Raised kerb" in result.output and "Steps" in result.output
    return out


def test_build_writes_a_workspace(city_dir):
    meta = json.loads((city_dir / "city.json").read_text())
    assert meta["version"] == 1 and meta["sources"][0]["sha256"]
    assert (city_dir / "network.gpkg").is_file()


@pytest.mark.parametrize("fmt", ["geojson", "csv", "gpkg"])
def test_barriers_export(city_dir, tmp_path, fmt):
    out = tmp_path / f"b.{fmt}"
    result = CliRunner().invoke(main, ["barriers", "--city", str(city_dir), "-o", str(out), "--lang", "it"])
    assert result.exit_code == 0, result.output
    # Italian CSV: what Italian Excel opens in columns (';', decimal comma, UTF-8 with BOM)
    table = pd.read_csv(out, encoding="utf-8-sig", sep=";", decimal=",") if fmt == "csv" else gpd.read_file(out)
    assert sorted(table["kind"]) == ["raised_kerb", "steps"]
    kerb = table[table["kind"] == "raised_kerb"].iloc[0]
    assert kerb["measure"] == 8.0 and kerb["label"] == "Cordolo rialzato" and kerb["street"] == "Via Dante"
    assert 10.0 < kerb["lon"] < 10.1 and 45.1 < kerb["lat"] < 45.2  # WGS84
    if fmt != "csv":
        assert table.crs.to_epsg() == 4326


def test_format_flag_and_unknown_suffix(city_dir, tmp_path):
    runner = CliRunner()
    result = runner.invoke(main, ["barriers", "--city", str(city_dir), "-o", str(tmp_path / "b.txt")])
    assert result.exit_code == 2 and "--format" in result.output
    result = runner.invoke(
        main, ["barriers", "--city", str(city_dir), "--format", "csv", "-o", str(tmp_path / "b.txt")]
    )
    assert result.exit_code == 0 and (tmp_path / "b.txt").read_text(encoding="utf-8-sig").startswith("barrier_id,")


def test_bad_inputs_give_one_clear_line(tmp_path):
    runner = CliRunner()
    bad = tmp_path / "bad.osm"
    bad.write_text("<html>not osm</html>")
    result = runner.invoke(main, ["build", "--osm", str(bad), "--city", str(tmp_path / "c")])
    assert result.exit_code == 1 and "bad.osm" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "c").exists()  # nothing half-written
    result = runner.invoke(main, ["barriers", "--city", str(tmp_path), "-o", str(tmp_path / "x.csv")])
    assert result.exit_code == 1 and "not a city workspace" in result.output
    result = runner.invoke(main, ["build", "--city", str(tmp_path / "c")])
    assert result.exit_code == 2 and "--osm" in result.output


def test_python_cli_and_console_script_are_the_same_program(city_dir):
    for cmd in ([sys.executable, str(ROOT / "cli.py")], [str(Path(sys.executable).parent / "accessibility")]):
        out = subprocess.run([*cmd, "--help"], capture_output=True, text=True, check=True).stdout
        assert "build" in out and "barriers" in out


def test_offline_place_fails_fast_with_a_hint(tmp_path, monkeypatch):
    import socket
    import time

    from accessibility import settings

    with socket.socket() as s:  # a port on this machine that nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setattr(settings, "nominatim_url", f"http://127.0.0.1:{port}")
    monkeypatch.setattr(settings, "overpass_url", f"http://127.0.0.1:{port}/api")
    monkeypatch.setattr(settings, "cache_dir", tmp_path / "cache")
    start = time.monotonic()
    result = CliRunner().invoke(main, ["build", "--place", "Cremona, Italy", "--city", str(tmp_path / "c")])
    assert time.monotonic() - start < 10
    assert result.exit_code == 1 and "--osm" in result.output and "Traceback" not in result.output
    boundary = need(CREMONA_BOUNDARY)
    if boundary.exists():
        result = CliRunner().invoke(main, ["build", "--boundary", str(boundary), "--city", str(tmp_path / "c")])
        assert result.exit_code == 1 and "--osm" in result.output


def test_osm_file_with_a_boundary_names_the_area(osm_file, tmp_path):
    from accessibility import City

    boundary = need(CREMONA_BOUNDARY)
    if not boundary.exists():
        pytest.skip(f"real data not found at {boundary}")
    path = osm_file([(10, [1, 2, 3], {"highway": "footway"})])  # test nodes lie in central Cremona
    result = CliRunner().invoke(
        main, ["build", "--osm", str(path), "--boundary", str(boundary), "--city", str(tmp_path / "c")]
    )
    assert result.exit_code == 0, result.output
    area = City.load(tmp_path / "c").area.to_crs("EPSG:4326").geometry.iloc[0]
    assert 65e6 < City.load(tmp_path / "c").area.area.iloc[0] < 75e6  # the comune: about 70 km²
    assert area.bounds[0] < 9.95 and area.bounds[2] > 10.1
