"""Multi-source distances on a profile's allowed edges, checked against networkx."""

import random

import networkx as nx
import numpy as np
import pytest

from accessibility.analysis.reach import LengthGraph
from accessibility.model.costs import edge_costs
from accessibility.model.profiles import load_profile


def test_offsets_parallel_edges_and_limit():
    g = LengthGraph(4, np.array([0, 0, 1, 2]), np.array([1, 1, 2, 3]), np.array([10.0, 4.0, 5.0, 0.0]))
    assert g.distances_from([(0, 0.0)]).tolist() == pytest.approx([0, 4, 9, 9], abs=1e-6)
    assert g.distances_from([(0, 3.0), (2, 1.0), (2, 0.5)]).tolist() == pytest.approx([3, 7, 0.5, 0.5], abs=1e-6)
    assert g.distances_to([(3, 0.0)]).tolist() == pytest.approx([9, 5, 0, 0], abs=1e-6)
    assert np.isinf(g.distances_from([(0, 0.0)], limit=5.0)[2])


def test_walk_distances_match_networkx_on_helsinki(helsinki_city):
    G = helsinki_city.network
    costs = edge_costs(G, helsinki_city.barriers, load_profile("walk"))
    graph = LengthGraph.from_costs(costs)
    rng = random.Random(7)
    targets = rng.sample(costs.nodes, 5)
    ours = graph.distances_to([(costs.nodes.index(t), 0.0) for t in targets])
    theirs = nx.multi_source_dijkstra_path_length(G.reverse(copy=False), set(targets), weight="length")
    for i, n in enumerate(costs.nodes):
        assert ours[i] == pytest.approx(theirs.get(n, np.inf), abs=1e-6)


def test_forbidden_edges_are_left_out(helsinki_city):
    G = helsinki_city.network
    costs = edge_costs(G, helsinki_city.barriers, load_profile("manual_wheelchair"))
    graph = LengthGraph.from_costs(costs)
    assert graph.forward.nnz <= int((~costs.forbidden).sum())
    walk = LengthGraph.from_costs(edge_costs(G, helsinki_city.barriers, load_profile("walk")))
    origin = [(0, 0.0)]
    assert (graph.distances_from(origin) >= walk.distances_from(origin) - 1e-9).all()


def test_tree_to_gives_the_next_node_towards_the_nearest_target():
    # 0 -> 1 -> 2 -> 3, target at 3 (offset 1) and at 0 (offset 50)
    g = LengthGraph(
        4, np.array([0, 1, 2, 1, 2, 3]), np.array([1, 2, 3, 0, 1, 2]), np.array([10.0, 5.0, 2.0, 10.0, 5.0, 2.0])
    )
    dist, nxt = g.tree_to([(3, 1.0), (0, 50.0)])
    assert dist.tolist() == pytest.approx([18, 8, 3, 1])
    assert nxt.tolist() == [1, 2, 3, -1]
    assert (dist == g.distances_to([(3, 1.0), (0, 50.0)])).all()
