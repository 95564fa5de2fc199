"""Real OpenStreetMap data from ../shared/data: Helsinki (complete) and Milan (sidewalk layers).

Each count is checked against an independent count made here, from the raw files, with
the standard library and osmium, not with the package's own readers.
"""

import lzma
import re
import xml.etree.ElementTree as ET

import networkx as nx
import osmium
import pytest

from accessibility import City
from realdata import HELSINKI_PBF, milan_network_files, need

NOT_FOR_PEDESTRIANS = {"no", "private", "use_sidepath"}


def test_every_pedestrian_steps_way_in_helsinki_is_a_steps_barrier(helsinki_city):
    expected = set()
    for obj in osmium.FileProcessor(str(need(HELSINKI_PBF))):
        if obj.is_way() and obj.tags.get("highway") == "steps":
            tags = dict(obj.tags)
            private = tags.get("access") in {"no", "private"} and tags.get("foot") not in {"yes", "designated"}
            if tags.get("foot") not in NOT_FOR_PEDESTRIANS and not private:
                expected.add(obj.id)
    b = helsinki_city.barriers
    steps = b[b["kind"] == "steps"]
    assert len(expected) > 100
    assert set(steps["osm_id"]) == expected
    assert steps["osm_id"].is_unique  # one barrier per way, however often the way is split
    assert set(steps["severity_manual_wheelchair"]) <= {"blocking", "hindering"}


def _milan_raw():
    """Raised-kerb node ids and node ids used by footways, read with ElementTree."""
    raised, low_measured, used = set(), set(), set()
    for path in milan_network_files():
        with lzma.open(need(path)) as fh:
            for _, el in ET.iterparse(fh):
                if el.tag == "node":
                    tags = {t.get("k"): t.get("v") for t in el.findall("tag")}
                    if tags.get("kerb") == "raised":
                        raised.add(int(el.get("id")))
                        m = re.fullmatch(r"\s*(\d+(?:[.,]\d+)?)\s*(cm|m)?\s*", tags.get("kerb:height", ""))
                        if m:
                            metres = float(m.group(1).replace(",", ".")) * (0.01 if m.group(2) == "cm" else 1)
                            if (metres if metres <= 0.5 else metres / 100) <= 0.025:
                                low_measured.add(int(el.get("id")))
                    el.clear()
                elif el.tag == "way":
                    tags = {t.get("k"): t.get("v") for t in el.findall("tag")}
                    if (
                        tags.get("highway") in {"footway", "steps", "path", "pedestrian"}
                        and tags.get("foot") not in NOT_FOR_PEDESTRIANS
                        and tags.get("access") not in {"no", "private"}
                    ):
                        used.update(int(nd.get("ref")) for nd in el.findall("nd"))
                    el.clear()
    return raised, low_measured, used


def test_raised_kerbs_on_the_milan_sidewalk_network_are_kerb_barriers(milan_city):
    raised, low_measured, used = _milan_raw()
    expected = (raised & used) - low_measured
    b = milan_city.barriers
    kerbs = b[b["kind"] == "raised_kerb"]
    from_tag = set(kerbs.loc[kerbs["tags"].str.contains("kerb=raised"), "node"].astype(int))
    assert len(expected) > 500
    assert from_tag == expected
    assert set(kerbs["element"]) == {"node"}
    assert (kerbs["severity_manual_wheelchair"] == "blocking").all()


def test_milan_kerb_layers_join_the_sidewalks(milan_city):
    G = milan_city.network
    kerb_nodes = [n for n, d in G.nodes(data=True) if "kerb" in d]
    assert len(kerb_nodes) > 5000  # kerbs from kerb.osm sit on sidewalk/crossing ways by node id
    assert all(G.degree(n) > 0 for n in kerb_nodes)


def test_real_graph_invariants(helsinki_city):
    G = helsinki_city.network
    assert G.graph["crs"] == "EPSG:32635"
    for u, v, _k, d in G.edges(keys=True, data=True):
        assert d["length"] == pytest.approx(d["geometry"].length)
        assert G.has_edge(v, u)
        assert d["geometry"].coords[0] == pytest.approx((G.nodes[u]["x"], G.nodes[u]["y"]))
    # unreadable values are never silently fine: every problem names a real element
    assert set(helsinki_city.problems.columns) >= {"element", "osm_id", "key", "value", "reason"}


def test_build_is_deterministic_and_load_restores_it(helsinki_city, tmp_path):
    again = City.build(osm=[HELSINKI_PBF], name="Helsinki")
    assert nx.utils.graphs_equal(again.network, helsinki_city.network)
    assert again.barriers.drop(columns="geometry").equals(helsinki_city.barriers.drop(columns="geometry"))
    helsinki_city.save(tmp_path / "hel")
    loaded = City.load(tmp_path / "hel")
    G, H = helsinki_city.network, loaded.network
    assert list(G.nodes(data=True)) == list(H.nodes(data=True))
    for (u, v, k, d), (u2, v2, k2, d2) in zip(G.edges(keys=True, data=True), H.edges(keys=True, data=True)):
        assert (u, v, k) == (u2, v2, k2)
        assert d.keys() == d2.keys()
        assert all(d[a] == d2[a] for a in d if a != "geometry") and d["geometry"].equals(d2["geometry"])
    cols = [c for c in helsinki_city.barriers.columns if c != "geometry"]
    assert loaded.barriers[cols].astype(str).equals(helsinki_city.barriers[cols].astype(str))
    assert loaded.summary() == helsinki_city.summary()
