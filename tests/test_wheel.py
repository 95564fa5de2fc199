"""The package as a new user gets it: a wheel built from a clean checkout, installed in a
fresh virtual environment (not editable), runs the commands and the README's Python.

Slow (a virtual environment and an install): marked ``slow``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

from conftest import write_osm
from realdata import ROOT

pytestmark = pytest.mark.slow


def run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "LANG": "C.UTF-8", **env}
    environment.pop("PYTHONPATH", None)
    done = subprocess.run(args, cwd=cwd, env=environment, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"{args}\n{done.stdout}\n{done.stderr}"
    assert "Traceback" not in done.stderr
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(the wheel, the fresh environment's bin folder)."""
    if shutil.which("git") is None:
        pytest.skip("git is needed to copy a clean checkout")
    base = tmp_path_factory.mktemp("wheel")
    checkout = base / "checkout"
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, tracked.decode().split("\0")):
        source = ROOT / name
        if source.is_file():
            (checkout / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, checkout / name)
    run([str(checkout / "scripts" / "vendor_js.sh")], cwd=checkout)  # the maps' JavaScript, as setup.sh does
    dist = base / "dist"
    run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist), "."], cwd=checkout)
    (wheel,) = dist.glob("accessibility-*.whl")
    venv = base / "venv"
    run([sys.executable, "-m", "venv", str(venv)], cwd=base)
    run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(wheel)],
        cwd=base,
    )
    return wheel, venv / "bin"


def test_wheel_ships_the_package_its_data_and_catalogue(installed: tuple[Path, Path]) -> None:
    wheel, _ = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    package = {n for n in tracked if n.startswith("accessibility/")}
    assert package <= names, sorted(package - names)[:10]
    data = {"accessibility/" + n for n in tracked if n.startswith("data/")}
    assert data <= names, sorted(data - names)[:10]
    assert not any(n == "cli.py" or n.startswith("tests/") for n in names)  # no top-level module to collide
    assert any(n.endswith("licenses/LICENSE") for n in names)


def test_commands_run_from_the_installed_wheel(installed: tuple[Path, Path], tmp_path: Path) -> None:
    _, bin_dir = installed
    osm = write_osm(
        tmp_path / "piccola.osm",
        [
            (1, list(range(0, 11)), {"highway": "residential", "name": "Via Roma"}),
            (2, [10, 15], {"highway": "steps", "step_count": "3"}),
            (3, [15, 20], {"highway": "footway", "name": "Via Po"}),
        ],
        {5: {"kerb": "raised", "kerb:height": "0.08"}, 20: {"amenity": "pharmacy", "name": "Farmacia"}},
    )
    tool = str(bin_dir / "accessibility")
    version = run([str(bin_dir / "python"), "-m", "accessibility", "--version"], cwd=tmp_path).stdout
    import accessibility

    assert accessibility.__version__ in version
    built = run([tool, "build", "--osm", str(osm), "--city", "ws", "--name", "Piccola"], cwd=tmp_path)
    assert "Gradini" in built.stdout  # Italian by default (C locale)
    route = run(
        [
            tool,
            "route",
            "--city",
            "ws",
            "--from",
            "45.1300,10.0206",
            "--to",
            "45.1300,10.0210",
            "--profile",
            "manual_wheelchair",
            "--lang",
            "en",
            "-o",
            "route.geojson",
        ],
        cwd=tmp_path,
    )
    assert "m," in route.stdout
    feature = json.loads((tmp_path / "route.geojson").read_text(encoding="utf-8"))
    assert feature["properties"]["found"] and feature["properties"]["profile"] == "manual_wheelchair"
    run([tool, "audit", "--city", "ws", "-o", "audit", "--residents", "1000", "--categories", "pharmacy"], cwd=tmp_path)
    assert (tmp_path / "audit" / "report.html").is_file() and (tmp_path / "audit" / "reach.csv").is_file()


def test_readme_python_runs_from_the_installed_wheel(installed: tuple[Path, Path], tmp_path: Path) -> None:
    _, bin_dir = installed
    osm = write_osm(
        tmp_path / "piccola.osm",
        [
            (1, list(range(0, 11)), {"highway": "residential", "name": "Via Roma"}),
            (2, [10, 15], {"highway": "steps", "step_count": "3"}),
            (3, [15, 20], {"highway": "footway"}),
        ],
        {5: {"kerb": "raised", "kerb:height": "0.08"}, 20: {"amenity": "pharmacy"}, 0: {"leisure": "sports_centre"}},
    )
    script = textwrap.dedent(f"""
        from accessibility import City
        city = City.build(osm=[{str(osm)!r}], name="Piccola")
        city.save("ws")
        city = City.load("ws")
        assert city.network.number_of_nodes() > 0 and len(city.barriers) > 0
        route = city.route((45.1300, 10.0200), (45.1300, 10.0210), profile="manual_wheelchair", max_kerb_cm=3)
        assert route.to_geojson()["type"] == "Feature"
        near = city.nearest((45.1300, 10.0200), "pharmacy", profile="walker")
        plan = city.plan(budget=150_000, residents=1000, profiles=["manual_wheelchair"])
        assert len(plan.table) > 0 and set(plan.funded.index) <= set(plan.table.index)
        print("ok", route.found, near.found)
    """)
    (tmp_path / "example.py").write_text(script, encoding="utf-8")
    assert run([str(bin_dir / "python"), "example.py"], cwd=tmp_path).stdout.startswith("ok")
