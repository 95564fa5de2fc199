"""Reading OSM files: every format ends in the same OsmData."""

import bz2
import gzip
import json
import lzma

import osmium
import pytest

from accessibility.errors import InputNotFoundError, OsmFileError
from accessibility.sources.osm import read_osm, read_osm_files

WAYS = [(1, [101, 102, 103], {"highway": "footway", "surface": "asphalt"})]
NODES = {102: {"kerb": "raised", "barrier": "kerb"}}


def _same(a, b):
    assert a.ways.keys() == b.ways.keys()
    assert {k: (n.lon, n.lat, n.tags) for k, n in a.nodes.items()} == {
        k: (n.lon, n.lat, n.tags) for k, n in b.nodes.items()
    }
    assert all(a.ways[w].refs == b.ways[w].refs and a.ways[w].tags == b.ways[w].tags for w in a.ways)


def test_xml(osm_file):
    data = read_osm(osm_file(WAYS, NODES))
    assert data.ways[1].refs == [101, 102, 103]
    assert data.nodes[102].tags == {"kerb": "raised", "barrier": "kerb"}
    assert data.nodes[101].lon is not None


@pytest.mark.parametrize("suffix, opener", [(".gz", gzip.open), (".bz2", bz2.open), (".xz", lzma.open)])
def test_compressed_xml_is_the_same(osm_file, tmp_path, suffix, opener):
    plain = osm_file(WAYS, NODES)
    packed = tmp_path / f"t.osm{suffix}"
    with opener(packed, "wb") as fh:
        fh.write(plain.read_bytes())
    _same(read_osm(plain), read_osm(packed))


def test_pbf_is_the_same(osm_file, tmp_path):
    plain = osm_file(WAYS, NODES)
    pbf = tmp_path / "t.osm.pbf"
    with osmium.SimpleWriter(str(pbf)) as writer:
        for obj in osmium.FileProcessor(str(plain)):
            writer.add(obj)
    _same(read_osm(plain), read_osm(pbf))


def test_overpass_out_geom_xml_has_inline_coordinates_and_no_nodes(tmp_path):
    path = tmp_path / "geom.osm"
    path.write_text("""<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="Overpass API">
  <way id="7">
    <bounds minlat="45.1" minlon="10.0" maxlat="45.2" maxlon="10.1"/>
    <nd ref="1" lat="45.1" lon="10.0"/><nd ref="2" lat="45.2" lon="10.1"/>
    <tag k="highway" v="footway"/><tag k="footway" v="sidewalk"/>
  </way>
</osm>""")
    data = read_osm(path)
    assert (data.nodes[1].lon, data.nodes[1].lat) == (10.0, 45.1)
    assert data.nodes[2].tags == {}
    assert data.ways[7].tags["footway"] == "sidewalk"


def test_overpass_json_body_geom_and_center(tmp_path):
    doc = {
        "elements": [
            {"type": "node", "id": 1, "lat": 45.1, "lon": 10.0, "tags": {"kerb": "lowered"}},
            {
                "type": "way",
                "id": 5,
                "nodes": [1, 2],
                "tags": {"highway": "footway"},
                "geometry": [{"lat": 45.1, "lon": 10.0}, {"lat": 45.2, "lon": 10.1}],
            },
            {
                "type": "way",
                "id": 6,
                "nodes": [9],
                "center": {"lat": 45.3, "lon": 10.2},
                "tags": {"leisure": "sports_centre"},
            },
            {"type": "relation", "id": 3, "members": []},
        ]
    }
    path = tmp_path / "r.json"
    path.write_text(json.dumps(doc))
    data = read_osm(path)
    assert data.nodes[1].tags == {"kerb": "lowered"}
    assert (data.nodes[2].lon, data.nodes[2].lat) == (10.1, 45.2)
    assert data.ways[6].center == (10.2, 45.3)
    assert data.relations == 1


def test_layers_merge_on_node_ids(osm_file, tmp_path):
    ways_only = tmp_path / "ways.json"
    ways_only.write_text(
        json.dumps(
            {
                "elements": [
                    {
                        "type": "way",
                        "id": 5,
                        "nodes": [1, 2],
                        "tags": {"highway": "footway"},
                        "geometry": [{"lat": 45.1, "lon": 10.0}, {"lat": 45.2, "lon": 10.1}],
                    }
                ]
            }
        )
    )
    kerbs = osm_file([], {2: {"kerb": "raised"}}, coords={2: (10.1, 45.2)})
    data = read_osm_files([ways_only, kerbs])
    assert data.nodes[2].tags == {"kerb": "raised"}
    assert data.ways[5].refs == [1, 2]
    assert len(data.sources) == 2


def test_missing_file(tmp_path):
    with pytest.raises(InputNotFoundError, match="nope.osm"):
        read_osm(tmp_path / "nope.osm")


@pytest.mark.parametrize(
    "content, message",
    [
        (b"<osm><node id='1' lat='x' lon='1'/></osm>", "bad lat"),
        (b"<osm><way id='1'><nd ref='1'/>", "malformed XML"),
        (b"<html><body>Too many requests</body></html>", "not <osm>"),
        (b'{"foo": 1}', "elements"),
        (b'{"elements": [{"type": "node"}]}', "element #0"),
        (b"this is not osm at all", "not OSM XML, JSON or PBF"),
    ],
)
def test_bad_files_say_which_and_why(tmp_path, content, message):
    path = tmp_path / "bad.osm"
    path.write_bytes(content)
    with pytest.raises(OsmFileError, match=message) as info:
        read_osm(path)
    assert "bad.osm" in str(info.value)
