"""Route assembly's fast path gives what the straightforward one gives, on real data.

The fast path (flat per-edge lists, points placed on their line in plain Python, hub
labels merged in a scratch array, direction steps merged while tracing) is checked
against a plain reference written here as the code was before it: shapely's
``substring``, ``line_locate_point`` and the per-point ``snap``, the projection of every
metric point, networkx edge attributes, and :func:`~accessibility.routing.directions.directions`
on each piece walked.
"""

from __future__ import annotations

import math
import random

import networkx as nx
import numpy as np
import pytest
import shapely
from shapely.ops import substring

from accessibility import City, settings
from accessibility.errors import SnapError
from accessibility.routing import kernels
from accessibility.routing.directions import directions
from accessibility.routing.route import assemble
from accessibility.routing.router import _TINY, Path, Router, Routing

CITIES = ["helsinki_city", "milan_city"]


def reference_coords(routing: Routing, r: Router, pieces: list[tuple[int, float, float]]) -> list[tuple[float, float]]:
    """WGS84 points of a path the plain way: each piece cut with shapely, projected."""
    G, c = routing.G, r.costs
    xy: list[tuple[float, float]] = []
    for e, a, b in pieces:
        line = G.edges[c.edges[e]]["geometry"]
        if not (a <= _TINY and b >= c.length[e] - _TINY):
            line = substring(line, a, b)
        part = list(line.coords)
        xy.extend(part[1:] if xy and part and xy[-1] == part[0] else part)
    if not xy:
        return []
    lon, lat = routing.index.to_lonlat.transform([p[0] for p in xy], [p[1] for p in xy])
    return list(zip(np.round(lon, 7).tolist(), np.round(lat, 7).tolist()))


def reference_directions(routing: Routing, r: Router, pieces: list[tuple[int, float, float]], lang: str) -> list[str]:
    """Directions the plain way: edge attributes and the piece walked, per piece."""
    G, c = routing.G, r.costs
    legs = []
    for e, a, b in pieces:
        line = G.edges[c.edges[e]]["geometry"]
        if not (a <= _TINY and b >= c.length[e] - _TINY):
            line = substring(line, a, b)
        legs.append((G.edges[c.edges[e]], line))
    return directions(legs, lang)


def same_points(got: list[tuple[float, float]], expected: list[tuple[float, float]]) -> None:
    """The same points: every vertex exactly; the two ends (cut points: the fast path
    interpolates them in WGS84, the reference projects the metric cut point) within the
    last of the 7 decimals kept."""
    assert len(got) == len(expected)
    assert got[1:-1] == expected[1:-1]
    if got:
        assert np.max(np.abs(np.asarray(got) - np.asarray(expected))) <= 1.5e-7


def latlon_pairs(G: nx.MultiDiGraph, count: int, seed: int) -> list[tuple[tuple[float, float], tuple[float, float]]]:
    """Seeded pairs of points near nodes of the largest connected part (on a node, or a
    few metres off it: the two ends are cut pieces)."""
    rnd = random.Random(seed)
    largest: set[int] = set()
    for part in nx.strongly_connected_components(G):
        if len(part) > len(largest):
            largest = set(part)
    nodes = sorted(largest)
    out = []
    for k in range(count):
        a, b = rnd.sample(nodes, 2)
        jitter = 0.0 if k % 3 == 0 else 1e-4
        o = (G.nodes[a]["lat"] + rnd.uniform(-jitter, jitter), G.nodes[a]["lon"] + rnd.uniform(-jitter, jitter))
        d = (G.nodes[b]["lat"] + rnd.uniform(-jitter, jitter), G.nodes[b]["lon"] + rnd.uniform(-jitter, jitter))
        out.append((o, d))
    return out


@pytest.mark.parametrize("city_fixture", CITIES)
def test_points_are_placed_on_their_line_as_shapely_places_them(city_fixture: str, request) -> None:
    city: City = request.getfixturevalue(city_fixture)
    index = city._router_state().index
    rnd = np.random.default_rng(3)
    for h in rnd.integers(0, len(index.geoms), 3000).tolist():
        line = index.geoms[h]
        coords = shapely.get_coordinates(line)
        k = int(rnd.integers(0, len(coords)))
        mode = int(rnd.integers(0, 3))  # on a vertex, a few metres off, a millimetre off
        x, y = coords[k] if mode == 0 else coords[k] + rnd.normal(0, 5.0 if mode == 1 else 0.001, 2)
        point = shapely.Point(float(x), float(y))
        expected = (shapely.line_locate_point(line, point), line.length, line.distance(point))
        assert index.locate(h, float(x), float(y)) == expected


@pytest.mark.parametrize("city_fixture", CITIES)
def test_both_ends_snap_as_each_point_alone(city_fixture: str, request) -> None:
    """One tree query for a route and its walking comparison chooses the edges, offsets
    and distances the per-point snap chooses."""
    city: City = request.getfixturevalue(city_fixture)
    routing = city._router_state()
    masks = [r.usable for r in city.routers(["manual_wheelchair", "walk"])]
    checked = 0
    for o, d in latlon_pairs(city.network, 150, seed=4):
        xo, xd = routing.index.xy_pair(o, d)
        assert (xo, xd) == (routing.index.xy(o), routing.index.xy(d))
        try:
            both = routing.index.snap_pairs(xo, xd, masks, settings.snap_max_m)
        except SnapError:
            continue
        for usable, (so, sd) in zip(masks, both):
            for snap, xy in ((so, xo), (sd, xd)):
                alone = routing.index.snap(*xy, usable, settings.snap_max_m)
                assert (snap.fwd, snap.bwd) == (alone.fwd, alone.bwd)
                assert snap.offset == pytest.approx(alone.offset, abs=1e-9)
                assert snap.length == pytest.approx(alone.length, abs=1e-9)
                assert snap.distance == pytest.approx(alone.distance, abs=1e-9)
                checked += 1
    assert checked >= 400


@pytest.mark.parametrize("city_fixture", CITIES)
@pytest.mark.parametrize("profile", ["manual_wheelchair", "blind"])
def test_fast_assembly_equals_the_plain_one(city_fixture: str, profile: str, request) -> None:
    """Geometry, lengths, unknown stretches, OSM ways and directions of the assembled
    route (and its walking comparison) equal the plain reference, in both languages."""
    city: City = request.getfixturevalue(city_fixture)
    routing = city._router_state()
    r, w = (routing.router(city.profile(name), city.barriers) for name in (profile, "walk"))
    if city_fixture == "helsinki_city":  # hub labels (on Milan: minutes; the plain search)
        r.prepare()
        w.prepare()
    G = city.network
    found = 0
    for k, (o, d) in enumerate(latlon_pairs(G, 60, seed=8)):
        lang = ("it", "en")[k % 2]
        try:
            route = city.route(o, d, profile=profile, lang=lang)
        except SnapError:
            continue
        xo, xd = routing.index.xy(o), routing.index.xy(d)
        so = routing.index.snap(*xo, r.usable, settings.snap_max_m)
        sd = routing.index.snap(*xd, r.usable, settings.snap_max_m)
        wo = routing.index.snap(*xo, w.usable, settings.snap_max_m)
        wd = routing.index.snap(*xd, w.usable, settings.snap_max_m)
        path, walk_path = r.path_dijkstra(so, sd), w.path_dijkstra(wo, wd)
        assert route.found == (path is not None)
        if walk_path is not None:
            assert route.walk_length_m == pytest.approx(sum(b - a for _, a, b in walk_path.pieces), abs=1e-6)
            same_points(route.walk_coords, reference_coords(routing, w, fast_pieces(w, wo, wd)))
        if path is None:
            continue
        found += 1
        assert route.cost == pytest.approx(path.cost, rel=1e-9, abs=1e-6)
        assert route.length_m == pytest.approx(sum(b - a for _, a, b in path.pieces), rel=1e-9, abs=1e-6)
        # the route's own pieces (the hierarchy may pick another path of the same cost)
        pieces = fast_pieces(r, so, sd)
        c = r.costs
        assert route.edges == [c.edges[e] for e, _, _ in pieces]
        same_points(route.coords, reference_coords(routing, r, pieces))
        assert route.directions == reference_directions(routing, r, pieces, lang)
        assert route.osm_ways == list(dict.fromkeys(int(G.edges[c.edges[e]]["osmid"]) for e, _, _ in pieces))
        unknown = sum(b - a for e, a, b in pieces if c.unknown[e])
        assert route.unknown_share == pytest.approx(unknown / route.length_m if route.length_m else 0.0, abs=1e-12)
        for stretch in route.unknown_coords:
            assert len(stretch) >= 2 and all(p in route.coords for p in stretch)
        feature = route.to_geojson()
        if len(route.coords) >= 2:
            assert feature["geometry"]["coordinates"] == [[round(x, 7), round(y, 7)] for x, y in route.coords]
    assert found >= 20


def fast_pieces(r: Router, so, sd) -> list[tuple[int, float, float]]:
    """The pieces of the path the route was assembled from (the router's own choice)."""
    path = r.path(so, sd)
    assert path is not None
    return path.pieces


def test_assembly_of_a_path_on_one_edge_and_of_no_path(helsinki_city: City) -> None:
    """A path inside one edge is one cut piece; no path gives no points and no steps."""
    city = helsinki_city
    routing = city._router_state()
    r = routing.router(city.profile("walk"), city.barriers)
    e = int(np.argmax(r.costs.length))  # the longest edge
    length = float(r.costs.length[e])
    piece = (e, length / 4, length / 2)
    route = assemble(
        routing, r, r, Path.of(1.0, [piece]), Path.of(1.0, [piece]), (0.0, 0.0), (0.0, 0.0), city.barriers, "en"
    )
    same_points(route.coords, reference_coords(routing, r, [piece]))
    assert route.walk_coords == route.coords and route.walk_coords is not route.coords
    assert route.directions == reference_directions(routing, r, [piece], "en")
    assert math.isclose(route.length_m, length / 4)
    empty = assemble(routing, r, r, None, None, (0.0, 0.0), (0.0, 0.0), city.barriers, "en")
    assert not empty.found and empty.coords == [] and empty.directions == [] and empty.blockers == []


def test_where_searches_meet_a_snapped_point() -> None:
    """``entries``: leaving a point, the node ahead at the share of the edge's cost plus
    the node's cost; arriving, the node behind at its share; a direction the profile may
    not use is left out, unless the point stands on its node (nothing to walk)."""
    u, v = np.array([0, 1]), np.array([1, 0])  # edge 0: 0 -> 1, edge 1 its reverse
    cost, node_cost = np.array([10.0, math.inf]), np.array([0.0, 2.0])
    leaving = kernels.entries(0, 1, 4.0, 10.0, u, v, cost, node_cost, True).tolist()
    assert leaving == [[1, 6 / 10 * 10 + 2, 0, 4.0, 10.0]]
    assert kernels.entries(0, 1, 4.0, 10.0, u, v, cost, node_cost, False).tolist() == [[0, 4.0, 0, 0.0, 4.0]]
    on_node = kernels.entries(0, 1, 0.0, 10.0, u, v, cost, node_cost, True).tolist()
    assert on_node == [[1, 12.0, 0, 0.0, 10.0], [0, 0.0, 1, 10.0, 10.0]]
    at_far_node = kernels.entries(0, 1, 10.0, 10.0, u, v, cost, node_cost, False).tolist()
    # on node 1: reached from node 0 with node 1 entered, or standing there already
    assert at_far_node == [[0, 10.0 + 2.0, 0, 0.0, 10.0], [1, 0.0, 1, 0.0, 0.0]]
    rows = np.array([[3, 5.0, 0, 0, 0], [4, 1.0, 0, 0, 0], [3, 4.0, 1, 0, 0], [4, 1.0, 2, 0, 0]])
    assert kernels.cheapest_per_node(rows)[:, :3].tolist() == [[3, 4.0, 1], [4, 1.0, 0]]


def test_the_path_along_one_edge() -> None:
    """``direct``: along the points' shared edge in the walking direction, at the share of
    its cost; none against a direction the profile may not use, nor between edges."""
    cost = np.array([10.0, math.inf])
    found, e, s, t = kernels.direct(0, 1, 2.0, 10.0, 0, 7.0, cost)
    assert (found, e.tolist(), s.tolist(), t.tolist()) == (5.0, [0], [2.0], [7.0])
    assert math.isinf(kernels.direct(0, 1, 7.0, 10.0, 0, 2.0, cost)[0])  # backwards: edge 1 not usable
    assert math.isinf(kernels.direct(0, 1, 2.0, 10.0, 1, 7.0, cost)[0])
    assert kernels.direct(0, 1, 3.0, 10.0, 0, 3.0, cost)[0] == 0.0  # the same point


def test_what_a_path_adds_up_to() -> None:
    """``tally``: metres walked, metres and runs of pieces on edges with unknown data,
    each OSM way once where first walked."""
    edges = np.array([0, 1, 0, 2, 1])
    starts, ends = np.array([5.0, 0, 0, 0, 0]), np.array([10.0, 4, 10, 6, 1])
    unknown, osmid = np.array([False, True, False]), np.array([7, 9, 8])
    length, unsure, runs, ways = kernels.tally(edges, starts, ends, unknown, osmid)
    assert length == sum((ends - starts).tolist()) and unsure == 4 + 1
    assert runs.tolist() == [[1, 1], [4, 4]]
    assert ways.tolist() == list(dict.fromkeys(osmid[edges].tolist())) == [7, 9, 8]
    assert kernels.same_pieces(edges, starts, ends, edges.copy(), starts.copy(), ends.copy())
    assert not kernels.same_pieces(edges, starts, ends, edges, starts, ends + np.eye(1, len(ends), 4)[0])
    assert not kernels.same_pieces(edges, starts, ends, edges[:-1], starts[:-1], ends[:-1])
