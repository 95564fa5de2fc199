"""The pedestrian graph: which ways, how split, what it keeps, and osmnx compatibility."""

import networkx as nx
import osmnx as ox
import pytest

from accessibility.errors import EmptyNetworkError
from accessibility.model.network import BuildReport, build_network, is_walkable, utm_crs
from accessibility.sources.osm import read_osm


def graph(path):
    return build_network(read_osm(path))


@pytest.mark.parametrize(
    "tags, walkable",
    [
        ({"highway": "footway"}, True),
        ({"highway": "footway", "footway": "sidewalk"}, True),
        ({"highway": "footway", "footway": "crossing"}, True),
        ({"highway": "steps"}, True),
        ({"highway": "pedestrian", "area": "yes"}, True),
        ({"highway": "living_street"}, True),
        ({"highway": "residential"}, True),
        ({"highway": "path"}, True),
        ({"highway": "motorway"}, False),
        ({"highway": "motorway_link"}, False),
        ({"highway": "footway", "foot": "no"}, False),
        ({"highway": "residential", "foot": "use_sidepath"}, False),
        ({"highway": "service", "access": "private"}, False),
        ({"highway": "service", "access": "private", "foot": "yes"}, True),
        ({"highway": "service", "service": "private"}, False),
        ({"highway": "cycleway"}, False),
        ({"highway": "cycleway", "foot": "designated"}, True),
        ({"highway": "trunk"}, False),
        ({"highway": "construction"}, False),
        ({"building": "yes"}, False),
    ],
)
def test_walkable(tags, walkable):
    assert is_walkable(tags) is walkable


def test_both_directions_ids_lengths_and_crs(osm_file):
    G = graph(osm_file([(10, [1, 2, 3], {"highway": "footway", "name": "Via Dante"})]))
    assert G.graph["crs"] == "EPSG:32632"  # Cremona lies in UTM zone 32
    assert set(G.edges()) == {(1, 3), (3, 1)}  # node 2 is untagged and shared by nobody
    fwd, back = G[1][3][0], G[3][1][0]
    assert fwd["osmid"] == back["osmid"] == 10
    assert fwd["length"] == pytest.approx(back["length"]) == pytest.approx(fwd["geometry"].length)
    assert 14 < fwd["length"] < 17  # two grid steps of 0.0001° lon at 45°N: ~7.9 m each
    assert list(back["geometry"].coords) == list(fwd["geometry"].coords)[::-1]
    assert "osmid" not in G.nodes[1] and "lon" in G.nodes[1] and "x" in G.nodes[1]  # the node id is the OSM id (osmnx)


def test_tagged_node_splits_the_way_and_keeps_its_tags(osm_file):
    G = graph(osm_file([(10, [1, 2, 3], {"highway": "footway"})], {2: {"kerb": "raised", "kerb:height": "0.05"}}))
    assert set(G.nodes) == {1, 2, 3}
    assert G.nodes[2]["kerb"] == "raised" and G.nodes[2]["kerb_height_m"] == pytest.approx(0.05)


def test_ways_with_different_attributes_are_never_merged(osm_file):
    G = graph(
        osm_file(
            [
                (10, [1, 2], {"highway": "footway", "surface": "asphalt"}),
                (11, [2, 3], {"highway": "footway", "surface": "sett"}),
            ]
        )
    )
    surfaces = {(u, v): d["surface"] for u, v, d in G.edges(data=True)}
    assert surfaces == {(1, 2): "asphalt", (2, 1): "asphalt", (2, 3): "sett", (3, 2): "sett"}


def test_incline_sign_follows_the_edge(osm_file):
    G = graph(
        osm_file(
            [
                (10, [1, 2], {"highway": "footway", "incline": "7%"}),
                (11, [2, 3], {"highway": "footway", "incline": "up"}),
            ]
        )
    )
    assert G[1][2][0]["incline_pct"] == 7.0 and G[2][1][0]["incline_pct"] == -7.0
    assert G[2][3][0]["incline"] == "up" and G[3][2][0]["incline"] == "down"


def test_non_walkable_ways_are_left_out(osm_file):
    G = graph(
        osm_file(
            [
                (10, [1, 2], {"highway": "footway"}),
                (11, [2, 3], {"highway": "motorway"}),
                (12, [3, 4], {"highway": "footway", "foot": "no"}),
            ]
        )
    )
    assert set(G.nodes) == {1, 2}


def test_missing_node_cuts_the_way_and_is_counted(tmp_path):
    path = tmp_path / "partial.osm"
    path.write_text(
        '<osm version="0.6"><node id="1" lat="45.1" lon="10.0"/><node id="2" lat="45.1" lon="10.001"/>'
        '<node id="4" lat="45.1" lon="10.003"/><node id="5" lat="45.1" lon="10.004"/>'
        '<way id="9"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="4"/><nd ref="5"/>'
        '<tag k="highway" v="footway"/></way></osm>'
    )
    report = BuildReport()
    G = build_network(read_osm(path), report)
    assert report.refs_without_coordinates == 1
    assert set(G.edges()) == {(1, 2), (2, 1), (4, 5), (5, 4)}


def test_unreadable_values_are_reported_not_dropped(osm_file):
    report = BuildReport()
    G = build_network(
        read_osm(
            osm_file(
                [(10, [1, 2], {"highway": "footway", "width": "1,2 m", "incline": "steep"})],
                {1: {"kerb:height": "3 cm"}},
            )
        ),
        report,
    )
    edge = G[1][2][0]
    assert edge["width_m"] == pytest.approx(1.2) and edge["width"] == "1,2 m"
    assert "incline_pct" not in edge and edge["incline"] == "steep"
    assert G.nodes[1]["kerb_height_m"] == pytest.approx(0.03)
    assert [(p.key, p.value) for p in report.problems] == [("incline", "steep")]


def test_no_walkable_way_is_a_clear_error(osm_file):
    with pytest.raises(EmptyNetworkError, match="no walkable way"):
        graph(osm_file([(10, [1, 2], {"highway": "motorway"})]))


def test_utm_zones():
    assert utm_crs(10.02, 45.13) == "EPSG:32632"  # Cremona
    assert utm_crs(24.94, 60.17) == "EPSG:32635"  # Helsinki
    assert utm_crs(-58.4, -34.6) == "EPSG:32721"  # Buenos Aires


def test_osmnx_and_networkx_accept_the_graph(osm_file):
    G = graph(
        osm_file(
            [
                (10, [1, 2, 3], {"highway": "footway"}),
                (11, [3, 103], {"highway": "steps"}),
                (12, [1, 101, 102, 103], {"highway": "residential"}),
            ],
            {2: {"barrier": "bollard"}},
        )
    )
    nodes, edges = ox.graph_to_gdfs(G)
    assert len(nodes) == G.number_of_nodes() and len(edges) == G.number_of_edges()
    route = ox.routing.shortest_path(G, 1, 103, weight="length")
    assert route[0] == 1 and route[-1] == 103
    assert nx.shortest_path_length(G, 1, 103, weight="length") == pytest.approx(
        sum(min(d["length"] for d in G[u][v].values()) for u, v in zip(route, route[1:]))
    )


def test_every_accessibility_tag_of_the_guide_stays(osm_file):
    from accessibility import settings

    guide = [
        "highway",
        "step_count",
        "ramp",
        "ramp:wheelchair",
        "handrail",
        "kerb",
        "kerb:height",
        "incline",
        "width",
        "est_width",
        "surface",
        "smoothness",
        "sidewalk",
        "footway",
        "crossing",
        "traffic_signals:sound",
        "tactile_paving",
        "wheelchair",
        "barrier",
        "lit",
        "elevator",
        "door",
        "entrance",
        "toilets:wheelchair",
    ]
    assert set(guide) <= set(settings.accessibility_tags)
    way_tags = dict.fromkeys(guide, "yes") | {
        "highway": "footway",
        "step_count": "3",
        "incline": "3%",
        "width": "2",
        "est_width": "2",
        "kerb:height": "0.02",
    }
    node_tags = dict(way_tags, highway="crossing")
    G = graph(osm_file([(10, [1, 2, 3], way_tags)], {2: node_tags}))
    assert {k: G[1][2][0].get(k) for k in way_tags} == way_tags
    assert {k: G.nodes[2].get(k) for k in node_tags} == node_tags
