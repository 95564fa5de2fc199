"""Routing: proofs on real Helsinki data, and small made-up networks for each rule."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner

from accessibility import City, settings
from accessibility.errors import FacilityError, SnapError
from accessibility.model.costs import edge_costs
from accessibility.model.facilities import find_facilities
from accessibility.sources.osm import OsmData, OsmWay

PROFILES = ["manual_wheelchair", "power_wheelchair", "walker", "pushchair", "blind"]


@pytest.fixture(scope="module")
def helsinki(helsinki_city: City) -> City:
    return helsinki_city


def node_latlon(G: nx.MultiDiGraph, n: int) -> tuple[float, float]:
    return G.nodes[n]["lat"], G.nodes[n]["lon"]


def pairs(G: nx.MultiDiGraph, count: int, seed: int) -> list[tuple[int, int]]:
    rnd = random.Random(seed)
    nodes = sorted(G.nodes)
    return [tuple(rnd.sample(nodes, 2)) for _ in range(count)]


# --- proofs on real data ----------------------------------------------------------------


def test_walk_length_equals_networkx(helsinki: City) -> None:
    G = helsinki.network
    for a, b in pairs(G, 80, seed=1):
        route = helsinki.route(node_latlon(G, a), node_latlon(G, b))
        try:
            expected = nx.shortest_path_length(G, a, b, weight="length")
        except nx.NetworkXNoPath:
            assert not route.found
            continue
        assert route.found
        assert route.length_m == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize("profile", PROFILES)
def test_routes_obey_their_profile(helsinki: City, profile: str) -> None:
    G = helsinki.network
    costs = edge_costs(G, helsinki.barriers, helsinki.profile(profile))
    index = costs.edge_index()
    position = {n: i for i, n in enumerate(costs.nodes)}
    found = 0
    for a, b in pairs(G, 40, seed=2):
        route = helsinki.route(node_latlon(G, a), node_latlon(G, b), profile=profile)
        if not route.found:
            continue
        found += 1
        # reported length is the sum of its edges' lengths (parts of edges at the ends)
        assert route.length_m == pytest.approx(
            sum(G.edges[e]["length"] * f for e, f in zip(route.edges, route.fractions)), abs=1e-6
        )
        # its cost, recomputed from the edges, is what the search minimised
        cost = sum(costs.cost[index[e]] * f for e, f in zip(route.edges, route.fractions))
        last = len(route.edges) - 1  # a node is entered unless the route ends before it
        cost += sum(
            costs.node_cost[position[e[1]]]
            for k, (e, f) in enumerate(zip(route.edges, route.fractions))
            if k < last or f >= 1 - 1e-9
        )
        assert cost == pytest.approx(route.cost, rel=1e-9, abs=1e-6)
        for k, (e, _f) in enumerate(zip(route.edges, route.fractions)):
            assert math.isfinite(costs.cost[index[e]]), f"{profile} used forbidden edge {e}"
            if k < len(route.edges) - 1:
                assert math.isfinite(costs.node_cost[position[e[1]]]), f"{profile} crossed forbidden node {e[1]}"
            if profile.endswith("wheelchair"):
                d = G.edges[e]
                assert d.get("highway") != "steps" or d.get("ramp:wheelchair") == "yes", f"steps on {e}"
        # never shorter than walking
        assert route.walk_length_m is not None
        assert route.length_m >= route.walk_length_m - 1e-6
        assert route.detour_ratio >= 1 - 1e-9
    assert found >= 10, f"only {found} {profile} routes found: the test proves little"


def test_tighter_limits_never_give_shorter_routes(helsinki: City) -> None:
    G = helsinki.network
    tighter = {"max_kerb_cm": 0.0, "min_width_cm": 120.0, "max_incline_up_pct": 3.0, "max_incline_down_pct": 3.0}
    changed = 0
    for a, b in pairs(G, 40, seed=3):
        base = helsinki.route(node_latlon(G, a), node_latlon(G, b), profile="power_wheelchair")
        tight = helsinki.route(node_latlon(G, a), node_latlon(G, b), profile="power_wheelchair", **tighter)
        if not base.found:
            assert not tight.found
            continue
        if tight.found:
            assert tight.length_m >= base.length_m - 1e-6 or tight.cost >= base.cost - 1e-6
            assert tight.cost >= base.cost - 1e-6
        changed += (not tight.found) or tight.edges != base.edges
    assert changed > 0, "overrides changed no route: they are not applied"


def test_overrides_recompute_severity(helsinki: City) -> None:
    base = edge_costs(helsinki.network, helsinki.barriers, helsinki.profile("walker"))
    tight = edge_costs(helsinki.network, helsinki.barriers, helsinki.profile("walker", max_steps=0))
    assert (tight.severity == "blocking").sum() > (base.severity == "blocking").sum()


def test_nearest_facility(helsinki: City) -> None:
    route = helsinki.nearest((60.1699, 24.9384), "pharmacy", profile="manual_wheelchair", lang="en")
    assert route.found and route.facility["category"] == "pharmacy"
    assert "wheelchair" in route.facility
    pharmacies = helsinki.facilities[helsinki.facilities["category"] == "pharmacy"]
    assert len(pharmacies) >= 2
    # no other pharmacy is cheaper to reach
    for _, f in pharmacies.to_crs("EPSG:4326").iterrows():
        other = helsinki.route((60.1699, 24.9384), (f.geometry.y, f.geometry.x), profile="manual_wheelchair")
        if other.found:
            assert route.cost <= other.cost + 1e-6
    with pytest.raises(FacilityError, match="unknown facility category 'spa'"):
        helsinki.nearest((60.1699, 24.9384), "spa")


def test_far_point_is_a_clear_error(helsinki: City) -> None:
    with pytest.raises(SnapError, match=r"Destin\w+: [\d.,]+ m from the nearest path"):
        helsinki.route((60.1699, 24.9384), (61.0, 24.9))
    with pytest.raises(SnapError, match="not a latitude, longitude"):
        helsinki.route((160.0, 24.9), (60.17, 24.94))


def test_cli_route_writes_geojson_and_map(helsinki: City, tmp_path: Path) -> None:
    from accessibility.cli import main

    helsinki.save(tmp_path / "city")
    out, page = tmp_path / "r.geojson", tmp_path / "r.html"
    result = CliRunner().invoke(
        main,
        [
            "route",
            "--city",
            str(tmp_path / "city"),
            "--from",
            "60.1699,24.9384",
            "--to-nearest",
            "pharmacy",
            "--profile",
            "manual_wheelchair",
            "--lang",
            "en",
            "-o",
            str(out),
            "--map",
            str(page),
        ],
    )
    assert result.exit_code == 0, result.output
    feature = json.loads(out.read_text())
    assert feature["geometry"]["type"] == "LineString"
    props = feature["properties"]
    for key in (
        "profile",
        "length_m",
        "duration_s",
        "walk_length_m",
        "detour_ratio",
        "barriers_avoided",
        "unknown_share",
        "osm_way_ids",
        "directions",
    ):
        assert key in props
    assert props["directions"][-1] == "you have arrived"
    assert page.is_file() and "accessible-route" in page.read_text()
    bad = CliRunner().invoke(main, ["route", "--city", str(tmp_path / "city"), "--from", "north", "--to", "1,2"])
    assert bad.exit_code == 2 and "is not LAT,LON" in bad.output
    far = CliRunner().invoke(
        main, ["route", "--city", str(tmp_path / "city"), "--from", "60.1699,24.9384", "--to", "61,24.9"]
    )
    assert far.exit_code == 1 and "Error: Destination: " in far.output and "Traceback" not in far.output


# --- rules, on small made-up networks ---------------------------------------------------

LAT0, LON0 = 45.1336, 10.0227
STEP = 0.0005  # about 55 m north-south, 39 m east-west


def osm(nodes: dict[int, tuple[float, float, dict]], ways: dict[int, tuple[list[int], dict]]) -> OsmData:
    data = OsmData()
    for nid, (dy, dx, tags) in nodes.items():
        data.add_node(nid, LON0 + dx * STEP, LAT0 + dy * STEP, tags)
    for wid, (refs, tags) in ways.items():
        data.add_way(wid, OsmWay(refs, tags))
    return data


def at(data: OsmData, nid: int) -> tuple[float, float]:
    return data.nodes[nid].lat, data.nodes[nid].lon


FOOT = {"highway": "footway", "surface": "asphalt"}


def detour_city(barrier_tags: dict, way_tags: dict | None = None) -> tuple[City, OsmData]:
    """1 -- 2 -- 3 straight (barrier on node 2 or on the way), or 1 - 4 - 5 - 3 around."""
    data = osm(
        {1: (0, 0, {}), 2: (0, 1, barrier_tags), 3: (0, 2, {}), 4: (1, 0, {}), 5: (1, 2, {})},
        {10: ([1, 2, 3], {**FOOT, **(way_tags or {})}), 11: ([1, 4, 5, 3], FOOT)},
    )
    return City.from_osm(data, name="test"), data


def test_kerb_override_moves_the_route() -> None:
    city, data = detour_city({"barrier": "kerb", "kerb": "raised", "kerb:height": "0.04"})
    straight = city.route(at(data, 1), at(data, 3), profile="pushchair")  # 4 cm <= 6 cm: passes
    assert {e[1] for e in straight.edges} >= {2}
    around = city.route(at(data, 1), at(data, 3), profile="pushchair", max_kerb_cm=3)
    assert 2 not in {e[1] for e in around.edges} and around.length_m > straight.length_m
    assert [b["kind"] for b in around.barriers_avoided] == ["raised_kerb"]


def test_incline_is_judged_per_direction() -> None:
    city, data = detour_city({}, {"incline": "10%"})  # rises from 1 towards 3
    up = city.route(at(data, 1), at(data, 3), profile="manual_wheelchair")  # 10 % > 8 % up
    down = city.route(at(data, 3), at(data, 1), profile="manual_wheelchair")  # 10 % <= 10 % down
    assert 10 not in up.osm_ways
    assert down.osm_ways == [10]
    assert up.length_m > down.length_m


def test_no_route_lists_blocking_barriers_nearest_first() -> None:
    data = osm(
        {1: (0, 0, {}), 2: (0, 1, {"barrier": "turnstile"}), 3: (0, 2, {}), 4: (0, 3, {})},
        {10: ([1, 2, 3], FOOT), 11: ([3, 4], {"highway": "steps", "step_count": "12"})},
    )
    city = City.from_osm(data, name="test")
    route = city.route(at(data, 1), at(data, 4), profile="manual_wheelchair")
    assert not route.found and route.walk_length_m > 0
    assert [b["kind"] for b in route.blockers] == ["obstacle", "steps"]
    assert route.blockers[0]["distance_m"] < route.blockers[1]["distance_m"]
    assert route.to_geojson()["properties"]["blocking_barriers"] == route.blockers
    assert "No accessible route" in route.message()
    assert (
        "Nessun percorso accessibile"
        in city.route(at(data, 1), at(data, 4), profile="manual_wheelchair", lang="it").message()
    )


def test_snaps_to_a_point_along_the_edge() -> None:
    city, data = detour_city({})
    a, b = at(data, 1), at(data, 2)
    middle = ((a[0] + b[0]) / 2 + 0.00005, (a[1] + b[1]) / 2)  # 5 m off the way, half way along
    route = city.route(a, middle)
    edge = city.network.edges[route.edges[0]]["length"]  # the way 1-2-3, one edge
    assert route.length_m == pytest.approx(edge / 4, rel=0.01)
    settings_before = settings.snap_max_m
    try:
        settings.snap_max_m = 1.0
        with pytest.raises(SnapError, match="beyond the limit of 1 m"):
            city.route(a, middle)
    finally:
        settings.snap_max_m = settings_before


def test_blind_prefers_equipped_crossings() -> None:
    signals = {"highway": "footway", "footway": "crossing", "crossing": "traffic_signals"}
    plain = {**signals, "tactile_paving": "no", "traffic_signals:sound": "no"}
    good = {**signals, "tactile_paving": "yes", "traffic_signals:sound": "yes"}
    data = osm(
        {
            1: (0, 0, {}),
            2: (0, 2, {}),
            3: (0.3, 0, {}),
            4: (0.3, 2, {"kerb": "lowered"}),
            5: (0, 1, {"kerb": "lowered"}),
            6: (0.35, 1, {"kerb": "lowered"}),
        },
        {10: ([1, 5, 2], plain), 11: ([1, 3], FOOT), 12: ([3, 6, 4], good), 13: ([4, 2], FOOT)},
    )
    city = City.from_osm(data, name="test")
    walk = city.route(at(data, 1), at(data, 2))
    blind = city.route(at(data, 1), at(data, 2), profile="blind")
    assert 5 in {e[1] for e in walk.edges}
    assert 6 in {e[1] for e in blind.edges} and blind.length_m > walk.length_m


def test_facilities_from_osm() -> None:
    data = osm(
        {
            1: (0, 0, {"amenity": "pharmacy", "name": "Farmacia", "wheelchair": "yes"}),
            2: (1, 1, {}),
            3: (1, 2, {"entrance": "main"}),
            4: (2, 2, {}),
            5: (2, 1, {}),
        },
        {10: ([2, 3, 4, 5, 2], {"leisure": "swimming_pool", "name": "Piscina"}), 11: ([2, 3], {"building": "yes"})},
    )
    found = find_facilities(data, "EPSG:32632").set_index("category")
    assert found.loc["pharmacy", "wheelchair"] == "yes" and found.loc["pharmacy", "osm_type"] == "node"
    pool = found.loc["sports"]
    assert pool["name"] == "Piscina" and pool["osm_type"] == "way" and pool["wheelchair"] == ""
    lon, lat = (float(v) for v in pool["entrances"].split())
    assert (lon, lat) == pytest.approx((data.nodes[3].lon, data.nodes[3].lat))
    assert set(found.index) == {"pharmacy", "sports"}


def test_facilities_survive_save_and_load(tmp_path: Path) -> None:
    city, data = detour_city({})
    data.add_node(99, LON0, LAT0 + STEP * 0.1, {"amenity": "townhall", "name": "Comune"})
    city = City.from_osm(data, name="test")
    city.save(tmp_path / "c")
    again = City.load(tmp_path / "c")
    assert list(again.facilities["name"]) == ["Comune"]
    route = again.nearest(at(data, 3), "town_hall")
    assert route.found and route.facility["name"] == "Comune"


# --- the contraction hierarchy answers exactly what the plain Dijkstra answers -----------


@pytest.mark.parametrize("profile", ["walk", *PROFILES])
def test_hierarchy_matches_dijkstra(helsinki: City, profile: str) -> None:
    from accessibility.routing.router import Router

    G = helsinki.network
    router = Router(edge_costs(G, helsinki.barriers, helsinki.profile(profile)), helsinki._router_state().index)
    c = router.costs
    rnd = random.Random(5)
    xs = [G.nodes[n]["x"] for n in G.nodes]
    ys = [G.nodes[n]["y"] for n in G.nodes]
    found = 0
    for _ in range(60):  # random points, mostly along edges rather than on nodes
        o = (rnd.uniform(min(xs), max(xs)), rnd.uniform(min(ys), max(ys)))
        d = (rnd.uniform(min(xs), max(xs)), rnd.uniform(min(ys), max(ys)))
        try:
            so = router.index.snap(*o, router.usable, 2000.0)
            sd = router.index.snap(*d, router.usable, 2000.0)
        except SnapError:
            continue
        plain, fast = router.path_dijkstra(so, sd), router.path_hierarchy(so, sd)
        assert (plain is None) == (fast is None)
        if fast is None:
            continue
        found += 1
        assert fast.cost == pytest.approx(plain.cost, rel=1e-9, abs=1e-6)
        # the expanded pieces are a connected walk whose cost is the reported one
        for (e1, _, _), (e2, _, _) in zip(fast.pieces, fast.pieces[1:]):
            assert c.v[e1] == c.u[e2]
        cost = sum(c.cost[e] * (b - a) / c.length[e] for e, a, b in fast.pieces if c.length[e] > 0)
        cost += sum(c.node_cost[c.v[e]] for e, _, _ in fast.pieces[:-1])
        if fast.pieces and fast.pieces[-1][2] >= c.length[fast.pieces[-1][0]] - 1e-9:
            cost += c.node_cost[c.v[fast.pieces[-1][0]]]
        assert cost == pytest.approx(fast.cost, rel=1e-9, abs=1e-6)
        assert all(math.isfinite(c.cost[e]) for e, _, _ in fast.pieces)
    assert found >= 20


@pytest.mark.parametrize(
    "rule",
    [
        test_kerb_override_moves_the_route,
        test_incline_is_judged_per_direction,
        test_no_route_lists_blocking_barriers_nearest_first,
        test_snaps_to_a_point_along_the_edge,
        test_blind_prefers_equipped_crossings,
    ],
)
def test_rules_hold_on_the_hierarchy(rule, monkeypatch: pytest.MonkeyPatch) -> None:

    monkeypatch.setattr(settings, "hierarchy_after", 0)
    rule()


@pytest.mark.parametrize("profile", ["walk", "manual_wheelchair", "blind"])
def test_hub_labels_match_the_hierarchy_search(helsinki: City, profile: str) -> None:
    """The kept upward searches (hub labels) give the optimum the two searches give, and a
    connected path of that cost."""
    from accessibility.routing.router import Router

    G = helsinki.network
    router = Router(edge_costs(G, helsinki.barriers, helsinki.profile(profile)), helsinki._router_state().index)
    h = router.hierarchy
    c = router.costs
    rnd = random.Random(9)
    nodes = list(range(h.n))
    searched = [
        ([(a, rnd.uniform(0, 5))], [(b, rnd.uniform(0, 5)), (rnd.choice(nodes), 3.0)])
        for a, b in (rnd.sample(nodes, 2) for _ in range(200))
    ]
    plain = [h.query(s, t) for s, t in searched]
    h.build_labels()
    assert h.labels_up is not None and h.labels_up.size >= h.n  # each node is its own hub
    found = 0
    for (s, t), expected in zip(searched, plain):
        got = h.query_labels(s, t)
        assert (got is None) == (expected is None)
        if got is None:
            continue
        found += 1
        assert got[0] == pytest.approx(expected[0], rel=1e-12, abs=1e-9)
        edges = got[1].tolist()
        assert all(c.v[e1] == c.u[e2] for e1, e2 in zip(edges, edges[1:]))
        if edges:
            assert c.u[edges[0]] == got[2] and c.v[edges[-1]] == got[3]
        start = dict(s)[got[2]]
        end = dict(t)[got[3]]
        weight = sum(c.cost[e] + c.node_cost[c.v[e]] for e in edges)
        assert start + weight + end == pytest.approx(got[0], rel=1e-9, abs=1e-6)
    assert found >= 100
