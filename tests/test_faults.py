"""Faults: a build while imports run, ``kill -9`` in the middle of builds, imports and
audits, leftovers of interrupted runs, and the mode of what is written.

Nothing an import acknowledged ("accepted: N", exit 0) may be missing from the store
afterwards, whatever was killed and when; an interrupted build or audit leaves no hidden
folder behind once the next run has started.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from accessibility import City, settings
from accessibility.files import clean_leftovers, new_file, new_folder, sqlite_write_lock

pytestmark = pytest.mark.slow  # many processes, killed on purpose: seconds each

HOSTILE = Path(__file__).parent / "data" / "hostile"
BASE_OSM = HOSTILE / "base.osm"
LAT0, LON0 = 45.1330, 10.0235


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "accessibility", *args, "--lang", "en"]


def survey_file(path: Path, rows: int, seed: int) -> Path:
    """``rows`` distinct steps reports on the base grid (ids unique per seed)."""
    rng = random.Random(seed)
    lines = ["id;tipo;lat;lon;data;descrizione"]
    for i in range(rows):
        lat, lon = LAT0 + rng.random() * 0.0015, LON0 + rng.random() * 0.0021
        lines.append(f"S{seed}-{i};gradini;{lat:.7f};{lon:.7f};03/05/2025;riga {i}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def accepted(output: str) -> int | None:
    for line in output.splitlines():
        if line.startswith("accepted: "):
            return int(line.split(": ")[1].replace(",", "").replace(".", ""))
    return None


def stored(ws: Path) -> set[str]:
    store = ws / settings.survey_store_name
    if not store.is_file() or store.stat().st_size == 0:
        return set()
    con = sqlite3.connect(store)
    try:
        return {r[0] for r in con.execute("SELECT ref FROM surveys")}
    finally:
        con.close()


def hidden(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith("."))


@pytest.fixture
def workspace(tmp_path) -> Path:
    ws = tmp_path / "ws"
    subprocess.run(cli("build", "--osm", str(BASE_OSM), "--city", str(ws)), check=True, capture_output=True)
    return ws


def test_build_during_imports_loses_nothing(workspace, tmp_path):
    """Imports and builds of the same workspace at the same time, several rounds: every
    row an import acknowledged is in the store of the workspace that results."""
    acknowledged: set[str] = set()
    for round_ in range(2):
        files = [survey_file(tmp_path / f"r{round_}-{k}.csv", 1000, seed=10 * round_ + k) for k in range(2)]
        imports = [
            subprocess.Popen(
                cli("survey", "import", str(f), "--city", str(workspace), "--surveyor", "Anna"),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for f in files
        ]
        time.sleep(0.3 * round_)
        build = subprocess.run(
            cli("build", "--osm", str(BASE_OSM), "--city", str(workspace)), capture_output=True, text=True, timeout=300
        )
        assert build.returncode == 0, build.stdout + build.stderr
        for f, proc in zip(files, imports):
            out, _ = proc.communicate(timeout=300)
            assert proc.returncode == 0, out
            if accepted(out):
                acknowledged |= {line.split(";")[0] for line in f.read_text().splitlines()[1:]}
        assert acknowledged <= stored(workspace), len(acknowledged - stored(workspace))
    assert len(acknowledged) == 4 * 1000
    assert hidden(workspace.parent) == []
    City.load(workspace)  # a complete workspace


def test_kill_build_at_random_moments_during_imports(workspace, tmp_path):
    """``kill -9`` of builds at random moments while imports run: the workspace stays
    loadable (the old one or the new one), acknowledged rows stay, and the next build
    leaves no hidden folder."""
    rng = random.Random(7)
    acknowledged: set[str] = set()
    for round_ in range(3):
        f = survey_file(tmp_path / f"k{round_}.csv", 800, seed=100 + round_)
        imp = subprocess.Popen(
            cli("survey", "import", str(f), "--city", str(workspace), "--surveyor", "Anna"),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        build = subprocess.Popen(
            cli("build", "--osm", str(BASE_OSM), "--city", str(workspace)),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.5, 3.0))
        build.send_signal(signal.SIGKILL)
        build.wait()
        out, _ = imp.communicate(timeout=300)
        if imp.returncode == 0 and accepted(out):
            acknowledged |= {line.split(";")[0] for line in f.read_text().splitlines()[1:]}
        else:
            assert imp.returncode == 1 and "Error:" in out and "Traceback" not in out, out
        # the next run repairs what the killed one left: the workspace is whole again
        clean_leftovers(workspace)
        City.load(workspace)
        assert acknowledged <= stored(workspace)
    done = subprocess.run(cli("build", "--osm", str(BASE_OSM), "--city", str(workspace)), capture_output=True)
    assert done.returncode == 0
    assert hidden(workspace.parent) == []
    assert acknowledged and acknowledged <= stored(workspace)


def test_kill_import_at_random_moments(workspace, tmp_path):
    """``kill -9`` of imports at random moments: the store is never half-written (all rows
    of a file or none), and a later import of the same file completes it."""
    rng = random.Random(11)
    for round_ in range(3):
        f = survey_file(tmp_path / f"i{round_}.csv", 1200, seed=200 + round_)
        ids = {line.split(";")[0] for line in f.read_text().splitlines()[1:]}
        imp = subprocess.Popen(
            cli("survey", "import", str(f), "--city", str(workspace), "--surveyor", "Anna"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.3, 4.0))
        imp.send_signal(signal.SIGKILL)
        imp.wait()
        present = stored(workspace) & ids
        assert present in (set(), ids)  # all or nothing
        again = subprocess.run(
            cli("survey", "import", str(f), "--city", str(workspace), "--surveyor", "Anna"),
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert again.returncode == 0 and ids <= stored(workspace), again.stdout + again.stderr


def test_import_that_waited_on_a_replaced_store_writes_into_the_new_one(workspace, tmp_path):
    """Where hard links are impossible the build copies the store under its lock; an
    import waiting for that lock then finds another file at the path and starts again on
    it: its rows land in the store the workspace now holds, not in the replaced file."""
    store = workspace / settings.survey_store_name
    f = survey_file(tmp_path / "w.csv", 50, seed=300)
    with sqlite_write_lock(store, 10) as held:
        assert held
        imp = subprocess.Popen(
            cli("survey", "import", str(f), "--city", str(workspace), "--surveyor", "Anna"),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        time.sleep(4.0)  # the import has read and validated, and waits for the lock
        assert imp.poll() is None
        copy = store.with_name("copy.gpkg")
        shutil.copy2(store, copy)
        os.replace(copy, store)  # another file at the path, as a copying build leaves
    out, _ = imp.communicate(timeout=120)
    assert imp.returncode == 0 and accepted(out) == 50, out
    assert len(stored(workspace)) == 50


def test_interrupted_build_leaves_no_hidden_folder(workspace):
    for delay in (0.8, 1.6):
        build = subprocess.Popen(
            cli("build", "--osm", str(BASE_OSM), "--city", str(workspace)),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while not hidden(workspace.parent) and time.monotonic() < deadline and build.poll() is None:
            time.sleep(0.02)
        time.sleep(delay * random.random())
        build.send_signal(signal.SIGKILL)
        build.wait()
    again = subprocess.run(cli("build", "--osm", str(BASE_OSM), "--city", str(workspace)), capture_output=True)
    assert again.returncode == 0
    assert hidden(workspace.parent) == []


def test_interrupted_audit_leaves_no_hidden_folder(workspace, tmp_path):
    out = tmp_path / "audit"
    args = cli("audit", "--city", str(workspace), "-o", str(out), "--profiles", "walk,manual_wheelchair")
    for _attempt in range(5):  # kill it while its temporary folder exists (a fast machine may finish first)
        audit = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while audit.poll() is None and not any(n.startswith(".audit.") for n in hidden(tmp_path)):
            time.sleep(0.005)
        audit.send_signal(signal.SIGKILL)
        audit.wait()
        if any(n.startswith(".audit.") for n in hidden(tmp_path)):
            break
    assert any(n.startswith(".audit.") for n in hidden(tmp_path))  # what the kill left
    again = subprocess.run(args, capture_output=True, text=True)
    assert again.returncode == 0, again.stdout + again.stderr
    assert not any(n.startswith(".audit.") for n in hidden(tmp_path))
    assert (out / "report.html").is_file()


def test_leftovers_of_a_dead_process_are_removed_and_a_cut_swap_is_repaired(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(dead.stdout)
    target = tmp_path / "ws"
    old = tmp_path / f".ws.old-{pid}-0badc0de"  # the swap was cut between its two renames
    old.mkdir()
    (old / "city.json").write_text("{}")
    part = tmp_path / f".ws.part-{pid}-deadbeef"
    part.mkdir()
    legacy = tmp_path / ".ws.1jt6ls9n"  # tempfile's name, from before this version
    legacy.mkdir()
    mine = tmp_path / f".ws.part-{os.getpid()}-12345678"  # a live writer's: left alone
    mine.mkdir()
    users = tmp_path / ".ws.backup12"  # a person's own file of a similar name: left alone
    users.write_text("mine")
    removed = clean_leftovers(target)
    assert (target / "city.json").is_file()
    assert sorted(p.name for p in removed) == sorted([part.name, legacy.name])
    assert hidden(tmp_path) == sorted([mine.name, users.name])
    report = tmp_path / "report.html"
    stale_file = tmp_path / f".report.html.part-{pid}-0123abcd.html"
    stale_file.write_text("half")
    kept = tmp_path / ".report.html.backup12"
    kept.write_text("mine")
    assert clean_leftovers(report) == [stale_file] and kept.exists()


def test_outputs_get_the_users_mode(tmp_path):
    old = os.umask(0o022)
    try:
        with new_folder(tmp_path / "maps") as tmp:
            (tmp / "a.html").write_text("x")
        with new_file(tmp_path / "plan.csv") as tmp:
            tmp.write_text("x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "maps").stat().st_mode) == 0o755
    assert stat.S_IMODE((tmp_path / "maps" / "a.html").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "plan.csv").stat().st_mode) == 0o644
