"""Contraction hierarchies kept in the workspace (``routers/``): a router prepared again
reads the hierarchy built before and routes exactly as a fresh build does; a file that is
damaged, of another layout or for other costs is never used; a folder that cannot be
written costs a warning, not a route."""

from __future__ import annotations

import logging
import random
import time
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from accessibility import City, settings
from accessibility.routing.contraction import FORMAT, Hierarchy
from accessibility.workspace import KeptHierarchies
from conftest import copy_workspace

PROFILES = ["walk", "manual_wheelchair"]


@pytest.fixture
def workspace(helsinki_workspace: Path, tmp_path: Path) -> Path:
    """A private copy of the Helsinki workspace, with no hierarchy kept yet."""
    path = copy_workspace(helsinki_workspace, tmp_path / "ws")
    assert not (path / settings.hierarchies_folder).exists()
    return path


def kept(workspace: Path) -> list[Path]:
    return sorted((workspace / settings.hierarchies_folder).glob("*.npz"))


def latlon_pairs(city: City, count: int) -> list[tuple[tuple[float, float], tuple[float, float]]]:
    G = city.network
    nodes = sorted(max(nx.strongly_connected_components(G), key=len))
    rnd = random.Random(3)
    out = []
    for _ in range(count):
        a, b = rnd.sample(nodes, 2)
        out.append(((G.nodes[a]["lat"], G.nodes[a]["lon"]), (G.nodes[b]["lat"], G.nodes[b]["lon"])))
    return out


def test_a_kept_hierarchy_routes_as_a_fresh_build(workspace: Path) -> None:
    built = City.load(workspace).prepare(PROFILES)
    files = kept(workspace)
    assert len(files) == len(PROFILES)  # one per profile, named by the key of its arcs
    keys = {Hierarchy.key(r.source, *r._arcs) for r in built.routers(PROFILES)}
    assert {f.stem for f in files} == keys

    again = City.load(workspace)
    routers = again.routers(PROFILES)
    for router in routers:
        assert router._kept_hierarchy(Hierarchy.key(router.source, *router._arcs)) is not None  # what prepare reads
    again.prepare(PROFILES)
    assert kept(workspace) == files  # read, not written again
    for fresh, read in zip(built.routers(PROFILES), routers):
        a, b = fresh.hierarchy, read.hierarchy
        assert a is not b and read.prepared
        for name, values in a.arrays().items():
            assert np.array_equal(values, b.arrays()[name]), name
    for o, d in latlon_pairs(built, 40):
        for profile in PROFILES:
            assert again.route(o, d, profile=profile).to_geojson() == built.route(o, d, profile=profile).to_geojson()


def test_other_costs_are_another_key(workspace: Path) -> None:
    """The key follows the arcs: equal arcs (an override that changes no cost here),
    equal keys; other costs, another key, and nothing kept for it."""
    city = City.load(workspace).prepare(["manual_wheelchair"])
    state = city._router_state()
    profiles = [
        city.profile("manual_wheelchair"),
        city.profile("manual_wheelchair", max_kerb_cm=0.5),
        city.profile("walk"),
        city.profile("walk", max_steps=0),
    ]
    routers = [state.router(p, city.barriers) for p in profiles]
    keys = [Hierarchy.key(r.source, *r._arcs) for r in routers]
    for i, a in enumerate(routers):
        for j, b in enumerate(routers):
            same = all(np.array_equal(x, y) for x, y in zip(a._arcs, b._arcs))
            assert (keys[i] == keys[j]) == same, (i, j)
    assert len(set(keys)) >= 3
    stored = {f.stem for f in kept(workspace)}
    for router, key in zip(routers, keys):
        assert (router._kept_hierarchy(key) is not None) == (key in stored)


def test_a_damaged_or_foreign_file_is_built_again(workspace: Path, caplog: pytest.LogCaptureFixture) -> None:
    City.load(workspace).prepare(["walk"])
    (file,) = kept(workspace)
    good = dict(np.load(file))
    cases = {
        "truncated": lambda: file.write_bytes(file.read_bytes()[:1000]),
        "another layout": lambda: np.savez(file, **{**good, "format": np.array([FORMAT + 1])}),
        "inconsistent": lambda: np.savez(file, **{**good, "up_ptr": good["up_ptr"][:-5]}),
        "an array missing": lambda: np.savez(file, **{k: v for k, v in good.items() if k != "kids"}),
        "pickled objects": lambda: np.savez(file, **{**good, "rank": np.array([object()], dtype=object)}),
    }
    for name, damage in cases.items():
        damage()
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            city = City.load(workspace)
            (router,) = city.routers(["walk"])
            assert router._kept_hierarchy(Hierarchy.key(router.source, *router._arcs)) is None, name
            city.prepare(["walk"])  # built again, and kept again whole
        assert any("walk" in r.getMessage() or file.name in r.getMessage() for r in caplog.records), name
        assert router.prepared
        assert Hierarchy.from_arrays(dict(np.load(file))).arrays()["up_hub"].shape == good["up_hub"].shape, name


def test_an_unwritable_folder_is_a_warning(workspace: Path, caplog: pytest.LogCaptureFixture) -> None:
    (workspace / settings.hierarchies_folder).write_text("not a folder")  # nothing can go in it
    with caplog.at_level(logging.WARNING):
        city = City.load(workspace).prepare(["walk"])
    assert any("not written" in r.getMessage() for r in caplog.records)
    assert city.routers(["walk"])[0].prepared
    assert city.route(*latlon_pairs(city, 1)[0]).found


def test_the_least_recently_used_go_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "hierarchies_kept", 2)
    keeper = KeptHierarchies(tmp_path)
    arrays = {"values": np.arange(3)}
    for key in ("a1", "b2", "c3"):
        keeper.write(key, arrays)
        time.sleep(0.05)  # file times tick in milliseconds
    assert sorted(f.stem for f in kept(tmp_path)) == ["b2", "c3"]
    assert keeper.read("b2") is not None  # used: now the most recent
    time.sleep(0.05)
    keeper.write("d4", arrays)
    assert sorted(f.stem for f in kept(tmp_path)) == ["b2", "d4"]
    assert keeper.read("a1") is None
    with pytest.raises(ValueError):
        keeper.read("../city")  # keys are digests, never paths
