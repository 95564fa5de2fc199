"""The network keeps its promise of osmnx compatibility: osmnx's own functions run on a
built city (Helsinki), as a user would call them."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import osmnx as ox
import pytest

from accessibility import City


@pytest.fixture(scope="module")
def G(helsinki_city: City) -> nx.MultiDiGraph:
    return helsinki_city.network


def test_stats_frames_and_projection(G: nx.MultiDiGraph) -> None:
    stats = ox.stats.basic_stats(G)
    assert stats["n"] == G.number_of_nodes() and stats["m"] == G.number_of_edges()
    nodes, edges = ox.graph_to_gdfs(G)
    assert len(nodes) == G.number_of_nodes() and len(edges) == G.number_of_edges()
    assert nodes.index.name == "osmid" and list(edges.index.names) == ["u", "v", "key"]
    back = ox.graph_from_gdfs(nodes, edges, graph_attrs=G.graph)
    assert back.number_of_edges() == G.number_of_edges()
    latlon = ox.project_graph(G, to_latlong=True)
    some = next(iter(latlon.nodes))
    assert latlon.nodes[some]["x"] == pytest.approx(G.nodes[some]["lon"], abs=1e-6)


def test_nearest_and_routes(G: nx.MultiDiGraph) -> None:
    a, b = sorted(G.nodes)[10], sorted(G.nodes)[2000]
    x, y = G.nodes[a]["x"], G.nodes[a]["y"]
    assert ox.distance.nearest_nodes(G, X=[x], Y=[y])[0] == a
    u, v, _ = ox.distance.nearest_edges(G, X=[x], Y=[y])[0]
    assert a in (u, v)
    path = ox.routing.shortest_path(G, a, b, weight="length")
    assert path[0] == a and path[-1] == b
    paths = list(ox.routing.k_shortest_paths(G, a, b, 3, weight="length"))
    lengths = [nx.path_weight(nx.DiGraph(G), p, "length") for p in paths]
    assert len(paths) == 3 and lengths == sorted(lengths)


def test_speeds_bearings_graphml(G: nx.MultiDiGraph, tmp_path: Path) -> None:
    timed = ox.routing.add_edge_travel_times(ox.routing.add_edge_speeds(G.copy(), fallback=5))
    assert all(d["travel_time"] > 0 for _, _, d in timed.edges(data=True) if d["length"] > 0)
    bearings = ox.bearing.add_edge_bearings(ox.project_graph(G, to_latlong=True))
    assert all(0 <= d["bearing"] < 360 for _, _, d in bearings.edges(data=True) if "bearing" in d)
    ox.io.save_graphml(G, tmp_path / "g.graphml")
    loaded = ox.io.load_graphml(tmp_path / "g.graphml")
    assert loaded.number_of_nodes() == G.number_of_nodes() and loaded.number_of_edges() == G.number_of_edges()


def test_consolidate_intersections(G: nx.MultiDiGraph) -> None:
    # a neighbourhood of the centre, so the test stays quick; the whole city works the same way
    centre = sorted(G.nodes)[100]
    part = G.subgraph(nx.ego_graph(G, centre, radius=400, distance="length")).copy()
    merged = ox.simplification.consolidate_intersections(part, tolerance=5, rebuild_graph=True)
    assert 0 < merged.number_of_nodes() <= part.number_of_nodes()
