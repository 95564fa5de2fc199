"""Arrival points of facilities per profile."""

import geopandas as gpd
from shapely import Point

from accessibility.costs import edge_costs
from accessibility.destinations import facility_targets, node_xy, usable_nodes
from accessibility.network import build_network
from accessibility.profiles import load_profile
from accessibility.barriers import find_barriers
from accessibility.profiles import load_profiles
from accessibility.sources.osm import read_osm


def test_targets_skip_forbidden_nodes_and_wheelchair_no(osm_file):
    # 1-2-3 footway, 3-4 steps: node 4 is only reachable by steps
    G = build_network(read_osm(osm_file([(10, [1, 2, 3], {"highway": "footway"}),
                                         (11, [3, 4], {"highway": "steps"})], {2: {"barrier": "bollard"}})))
    barriers = find_barriers(G, load_profiles())
    crs = G.graph["crs"]
    at4 = Point(G.nodes[4]["x"] + 1, G.nodes[4]["y"])
    facilities = gpd.GeoDataFrame({"category": ["pharmacy", "pharmacy"], "wheelchair": ["", "no"], "entrances": ["", ""]},
                                  geometry=[at4, at4], crs=crs)
    walk = edge_costs(G, barriers, load_profile("walk"))
    t = facility_targets(walk, node_xy(G, walk.nodes), facilities)
    assert [walk.nodes[p] for p, _ in t.points] == [4, 4] and t.excluded == {}
    assert abs(t.points[0][1] - 1.0) < 1e-6

    chair = edge_costs(G, barriers, load_profile("manual_wheelchair"))
    assert not usable_nodes(chair)[chair.nodes.index(4)]
    t = facility_targets(chair, node_xy(G, chair.nodes), facilities)
    assert t.excluded == {1: "wheelchair=no"}
    assert [chair.nodes[p] for p, _ in t.points] == [3]  # nearest node it may use
