"""Survey reports on real data: the Milan sidewalk, crossing and kerb layers of
OpenStreetMap (../shared/data/milano-osm-accessibility)."""

from __future__ import annotations

import pytest

from accessibility import City
from accessibility.model.barriers import barrier_targets
from conftest import copy_workspace

pytestmark = pytest.mark.slow


def _csv(tmp_path, rows):
    lines = ["tipo;altezza_cordolo_cm;latitudine;longitudine;data_rilievo;descrizione"]
    lines += [
        f"{kind};{h};{str(lat).replace('.', ',')};{str(lon).replace('.', ',')};02/05/2025;{text}"
        for kind, h, lat, lon, text in rows
    ]
    path = tmp_path / "rilievo.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_reports_change_the_real_barrier_set(milan_workspace, tmp_path):
    city = City.load(copy_workspace(milan_workspace, tmp_path / "ws"))
    G = city.network
    osm = city.osm_barriers
    raised = osm[(osm["kind"] == "raised_kerb") & (osm["element"] == "node")].iloc[0]
    raised_node = int(raised["node"])
    barrier_nodes = set(osm["node"].dropna().astype(int))
    free = next(n for n, d in G.nodes(data=True) if n not in barrier_nodes and G.degree(n) >= 4)
    original = sorted(city.barriers["barrier_id"])
    nodes_before, _ = barrier_targets(city.barriers, G)
    assert raised_node in nodes_before and free not in nodes_before

    path = _csv(
        tmp_path,
        [
            ("cordolo ribassato", 0, G.nodes[raised_node]["lat"], G.nodes[raised_node]["lon"], "rifatto"),
            ("cordolo", 15, G.nodes[free]["lat"], G.nodes[free]["lon"], "cordolo alto"),
        ],
    )
    result = city.import_surveys(path, surveyor="Anna")
    assert len(result.accepted) == 2 and not result.rejected
    lowered, kerb = result.accepted
    for rid in (lowered, kerb):
        city.review_survey(rid, "verified", note="sopralluogo", by="Bruno")
    merged = city.barriers
    nodes_after, _ = barrier_targets(merged, G)
    assert raised["barrier_id"] not in set(merged["barrier_id"])  # OSM kerb lifted
    assert all(
        merged.iloc[i]["kind"] not in {"raised_kerb", "kerb_unknown"} or merged.iloc[i]["source"] == "survey"
        for i in nodes_after.get(raised_node, [])
    )
    added = merged[merged["source"] == "survey"]
    assert list(added["node"]) == [free] and added.iloc[0]["severity_manual_wheelchair"] == "blocking"
    assert free in nodes_after

    city.review_survey(kerb, "fixed", note="scivolo costruito", by="Carla")
    city.review_survey(lowered, "rejected", note="era un errore", by="Carla")
    assert sorted(city.barriers["barrier_id"]) == original


def test_a_verified_report_changes_a_real_route_and_fixing_it_restores_it(milan_workspace, tmp_path):
    import random
    import shutil

    import networkx as nx

    workspace = tmp_path / "ws"
    shutil.copytree(milan_workspace, workspace)
    city = City.load(workspace)
    G = city.network
    barrier_nodes = set(city.barriers["node"].dropna().astype(int))
    component = max(nx.weakly_connected_components(G), key=len)
    rng = random.Random(11)
    nodes = sorted(component)
    for _ in range(200):  # a wheelchair route with a plain interior node to put a kerb on
        a, b = rng.sample(nodes, 2)
        origin, destination = (G.nodes[a]["lat"], G.nodes[a]["lon"]), (G.nodes[b]["lat"], G.nodes[b]["lon"])
        before = city.route(origin, destination, profile="manual_wheelchair")
        interior = [v for _, v, _ in before.edges[1:-1] if v not in barrier_nodes and G.degree(v) >= 4]
        if before.found and len(before.edges) > 6 and interior:
            break
    else:
        pytest.fail("no suitable route found in 200 seeded tries")
    kerb_node = interior[len(interior) // 2]
    path = _csv(tmp_path, [("cordolo", 15, G.nodes[kerb_node]["lat"], G.nodes[kerb_node]["lon"], "cordolo alto")])
    report = city.import_surveys(path, surveyor="Anna").accepted[0]

    assert city.route(origin, destination, profile="manual_wheelchair").edges == before.edges  # only reported
    city.review_survey(report, "verified", note="sopralluogo", by="Bruno")
    during = city.route(origin, destination, profile="manual_wheelchair")
    assert during.edges != before.edges
    assert kerb_node not in {v for _, v, _ in during.edges}  # the new kerb blocks the node
    assert not during.found or during.cost >= before.cost
    walk = city.route(origin, destination, profile="walk")
    assert kerb_node in {v for _, v, _ in walk.edges} or walk.edges  # walking ignores kerbs

    city.review_survey(report, "fixed", note="scivolo costruito", by="Carla")
    after = city.route(origin, destination, profile="manual_wheelchair")
    assert after.edges == before.edges and after.length_m == pytest.approx(before.length_m)
