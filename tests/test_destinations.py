"""Arrival points of facilities per profile."""

import geopandas as gpd
from shapely import Point

from accessibility.analysis.destinations import facility_targets, node_xy, usable_nodes
from accessibility.model.barriers import find_barriers
from accessibility.model.costs import edge_costs
from accessibility.model.network import build_network
from accessibility.model.profiles import load_profile, load_profiles
from accessibility.sources.osm import read_osm


def test_targets_skip_forbidden_nodes_and_wheelchair_no(osm_file):
    # 1-2-3 footway, 3-4 steps: node 4 is only reachable by steps
    G = build_network(
        read_osm(
            osm_file(
                [(10, [1, 2, 3], {"highway": "footway"}), (11, [3, 4], {"highway": "steps"})],
                {2: {"barrier": "bollard"}},
            )
        )
    )
    barriers = find_barriers(G, load_profiles())
    crs = G.graph["crs"]
    at4 = Point(G.nodes[4]["x"] + 1, G.nodes[4]["y"])
    facilities = gpd.GeoDataFrame(
        {"category": ["pharmacy", "pharmacy"], "wheelchair": ["", "no"], "entrances": ["", ""]},
        geometry=[at4, at4],
        crs=crs,
    )
    walk = edge_costs(G, barriers, load_profile("walk"))
    t = facility_targets(walk, node_xy(G, walk.nodes), facilities)
    assert [walk.nodes[p] for p, _ in t.points] == [4, 4] and t.excluded == {}
    assert abs(t.points[0][1] - 1.0) < 1e-6

    chair = edge_costs(G, barriers, load_profile("manual_wheelchair"))
    assert not usable_nodes(chair)[chair.nodes.index(4)]
    t = facility_targets(chair, node_xy(G, chair.nodes), facilities)
    assert t.excluded == {1: "wheelchair=no"}
    # the way in is the steps: the facility is reached at their top, node 4, or not at all (never by a
    # straight stretch from node 3, which would step over the stairs)
    assert [chair.nodes[p] for p, _ in t.points] == [4]


def test_entrances_tagged_wheelchair_no_are_not_doors_for_wheelchairs(osm_file):
    from accessibility import City

    # a pharmacy building (closed way 50) beside a footway; door 53 is wheelchair=no, door 54 is not
    ways = [
        (10, [1, 2], {"highway": "footway"}),
        (11, [2, 3], {"highway": "footway"}),
        (12, [3, 4], {"highway": "footway"}),
        (50, [101, 102, 103, 104, 101], {"amenity": "pharmacy", "building": "yes"}),
    ]
    doors = {102: {"entrance": "main", "wheelchair": "no"}, 103: {"entrance": "service"}}
    city = City.build(osm=[osm_file(ways, doors)])
    pharmacy = city.facilities[city.facilities["category"] == "pharmacy"]
    assert pharmacy["entrances"].iloc[0].count(";") == 1 and " no" in pharmacy["entrances"].iloc[0]
    walk = edge_costs(city.network, city.barriers, load_profile("walk"))
    chair = edge_costs(city.network, city.barriers, load_profile("manual_wheelchair"))
    xy = node_xy(city.network, walk.nodes)
    near_103 = walk.nodes.index(3)  # node 3 lies below door 103, node 2 below door 102
    assert {p for p, _ in facility_targets(walk, xy, pharmacy).points} == {walk.nodes.index(2), near_103}
    assert {p for p, _ in facility_targets(chair, xy, pharmacy).points} == {near_103}

    only_no = pharmacy.assign(entrances=pharmacy["entrances"].str.split(";").str[0])
    assert facility_targets(chair, xy, only_no).excluded == {0: "wheelchair=no"}
    assert facility_targets(walk, xy, only_no).points  # walking in is fine


def test_a_facility_reached_only_by_steps_is_unreachable_for_wheelchairs(osm_file):
    """A school whose only door is at the top of a flight of steps: walking reaches it, a
    wheelchair does not (the audit says every way in is blocked), and the nearest route for
    a wheelchair goes to the other school, farther but reachable."""
    from accessibility import City
    from accessibility.analysis.audit import REASONS

    ways = [
        (10, [1, 2, 3], {"highway": "residential"}),  # where people live (not on the steps)
        (11, [3, 104], {"highway": "steps", "step_count": "6"}),  # node 104: the door, up the steps
        (50, [103, 104, 105, 205, 203, 103], {"amenity": "school", "building": "yes", "name": "Alta"}),
        (51, [6, 7], {"highway": "footway"}),
        (12, [3, 4, 5, 6], {"highway": "residential"}),
    ]
    nodes = {104: {"entrance": "main"}, 300: {"amenity": "school", "name": "Bassa"}}
    coords = {300: (10.02 + 7 * 0.0001, 45.13 - 0.00005)}  # 5.5 m south of the footway at node 7
    city = City.build(osm=[osm_file(ways, nodes, coords)])
    walk = edge_costs(city.network, city.barriers, load_profile("walk"))
    chair = edge_costs(city.network, city.barriers, load_profile("manual_wheelchair"))
    xy = node_xy(city.network, walk.nodes)
    schools = city.facilities[city.facilities["category"] == "school"].reset_index(drop=True)
    alta = int(schools.index[schools["name"] == "Alta"][0])
    t_walk, t_chair = facility_targets(walk, xy, schools), facility_targets(chair, xy, schools)
    door = walk.nodes.index(104)
    assert (door, 0.0) in t_walk.points
    assert {p for p, f in zip([p for p, _ in t_chair.points], t_chair.facility) if f == alta} == {door}
    assert not usable_nodes(chair)[door]  # so nobody in a wheelchair ever arrives there

    result = city.audit(profiles=["walk", "manual_wheelchair"], categories=["school"], residents=100)
    unreachable = result.unreachable[result.unreachable["name"] == "Alta"]
    assert list(unreachable["profile"]) == ["manual_wheelchair"]
    assert unreachable["reason"].iloc[0] in {"cut_off", REASONS["cut_off"]}

    origin = (45.13, 10.02 + 0.0001)  # node 1
    assert city.nearest(origin, "school", profile="walk").facility["name"] == "Alta"
    chair_route = city.nearest(origin, "school", profile="manual_wheelchair")
    assert chair_route.found and chair_route.facility["name"] == "Bassa"
