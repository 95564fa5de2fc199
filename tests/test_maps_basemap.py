"""The base map: what is chosen from OSM, the vector tiles, the workspace file."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import mapbox_vector_tile
import pytest
from pmtiles.reader import MemorySource, Reader, all_tiles

from accessibility import City
from accessibility.model.basemap import LAYERS, MAX_ZOOM, MIN_ZOOM, basemap_with_facilities, select_basemap
from accessibility.outputs.basemap import basemap_bounds, basemap_tiles, subset_tiles, tile_range
from accessibility.sources.osm import overpass_json_to_osm, read_osm
from realdata import HELSINKI_PBF, milan_network_files, need

FIXTURE = Path(__file__).parent / "data" / "basemap" / "basemap.osm"


def rows(frame) -> set[tuple]:
    return {(r.layer, r.kind, r.name, r.housenumber, r.minzoom) for r in frame.itertuples()}


def test_selection_keeps_one_of_each_and_leaves_the_rest() -> None:
    frame = select_basemap(read_osm(FIXTURE))
    assert rows(frame) == {
        ("street", "minor", "Via Platina", "", 13),
        ("street", "major", "Corso Garibaldi", "", 10),
        ("street", "sidewalk", "", "", 12),
        ("railway", "rail", "", "", 10),
        ("waterway", "river", "Po", "", 10),
        ("building", "building", "Palazzo Comunale", "", 14),
        ("address", "housenumber", "", "3", 16),  # the building's own number
        ("address", "housenumber", "", "12", 16),
        ("place", "amenity=pharmacy", "Farmacia Centrale", "", 15),
        ("green", "park", "Parco del Po", "", 10),  # a multipolygon relation, over 5 ha
        ("place", "leisure=park", "Parco del Po", "", 14),  # and its name, as a landmark
    }
    # layers come in drawing order
    order = [LAYERS.index(layer) for layer in frame["layer"]]
    assert order == sorted(order)


def test_multipolygon_keeps_its_hole() -> None:
    frame = select_basemap(read_osm(FIXTURE))
    park = frame[frame["layer"] == "green"].geometry.iloc[0]
    assert park.geom_type == "Polygon" and len(park.interiors) == 1
    outer = 0.004 * 0.004  # degrees squared: 40 x 40 grid steps
    pond = 0.001 * 0.001
    assert park.area == pytest.approx(outer - pond)


def test_multipolygon_members_given_inline_by_overpass() -> None:
    """Overpass ``out geom`` gives a relation's ways only inside the relation."""
    ring = [{"lat": 45.13 + dy, "lon": 10.02 + dx} for dx, dy in ((0, 0), (0.01, 0), (0.01, 0.01), (0, 0.01), (0, 0))]
    doc = {
        "elements": [
            {
                "type": "relation",
                "id": 5,
                "members": [{"type": "way", "ref": 9, "role": "outer", "geometry": ring}],
                "tags": {"type": "multipolygon", "natural": "water", "name": "Lanca"},
            }
        ]
    }
    frame = select_basemap(overpass_json_to_osm(doc, "test"))
    assert rows(frame) == {("water", "water", "Lanca", "", 10)}
    assert frame.geometry.iloc[0].area == pytest.approx(0.0001)


def test_empty_data_gives_an_empty_table_and_no_tiles() -> None:
    from accessibility.sources.osm import OsmData

    frame = select_basemap(OsmData())
    assert frame.empty and list(frame.columns) == ["layer", "kind", "name", "housenumber", "minzoom", "geometry"]
    assert basemap_tiles(frame) == b""
    assert subset_tiles(b"", (0, 0, 1, 1)) == b"" and basemap_bounds(b"") is None


def decoded(archive: bytes) -> dict[tuple[int, int, int], dict]:
    return {zxy: mapbox_vector_tile.decode(gzip.decompress(data)) for zxy, data in all_tiles(MemorySource(archive))}


def test_tiles_hold_each_feature_from_its_zoom_with_its_name() -> None:
    frame = select_basemap(read_osm(FIXTURE))
    archive = basemap_tiles(frame, "fixture")
    header = Reader(MemorySource(archive)).header()
    assert (header["min_zoom"], header["max_zoom"]) == (MIN_ZOOM, MAX_ZOOM)
    tiles = decoded(archive)
    for z in range(MIN_ZOOM, MAX_ZOOM + 1):
        names = {
            (layer, f["properties"].get("name") or f["properties"].get("housenumber"))
            for (tz, _, _), tile in tiles.items()
            if tz == z
            for layer, content in tile.items()
            for f in content["features"]
        }
        expected = {(r.layer, r.name or r.housenumber or None) for r in frame.itertuples() if r.minzoom <= z}
        assert names == expected, z
    meta = Reader(MemorySource(archive)).metadata()
    assert meta["name"] == "fixture" and "OpenStreetMap" in meta["attribution"]


def test_tile_coordinates_put_the_street_where_it_is() -> None:
    frame = select_basemap(read_osm(FIXTURE))
    tiles = decoded(basemap_tiles(frame))
    # Via Platina runs east from (10.02, 45.13): its first point is in this z16 tile
    x, y = tile_range((10.02, 45.13, 10.02, 45.13), 16)[:2]
    street = [f for f in tiles[(16, x, y)]["street"]["features"] if f["properties"].get("name") == "Via Platina"]
    assert street, "Via Platina is not in its tile"
    (x0, y0) = street[0]["geometry"]["coordinates"][0]
    # the expected position inside the tile, in tile units (4096 a side), y down
    import math

    n = 2**16
    fx = (10.02 + 180) / 360 * n - x
    fy = (1 - math.asinh(math.tan(math.radians(45.13))) / math.pi) / 2 * n - y
    extent = tiles[(16, x, y)]["street"]["extent"]
    assert (x0, extent - y0) == (pytest.approx(fx * extent, abs=1), pytest.approx(fy * extent, abs=1)) or (
        x0,
        y0,
    ) == (pytest.approx(fx * extent, abs=1), pytest.approx(fy * extent, abs=1))


def test_subset_keeps_the_tiles_around_the_bounds_only() -> None:
    archive = basemap_tiles(select_basemap(read_osm(FIXTURE)))
    every = decoded(archive)
    bounds = (10.0200, 45.1300, 10.0205, 45.1300)  # Via Platina
    part = decoded(subset_tiles(archive, bounds, pad=0))
    assert part and set(part) <= set(every)
    grown = (10.0200 - 0.002, 45.13 - 0.002, 10.0205 + 0.002, 45.13 + 0.002)
    for z, x, y in every:
        x0, y0, x1, y1 = tile_range(grown, z)
        assert ((z, x, y) in part) == (x0 <= x <= x1 and y0 <= y <= y1)


def test_facilities_join_the_base_map(osm_file) -> None:
    city = City.build(osm=[FIXTURE], name="fixture")
    table = basemap_with_facilities(select_basemap(read_osm(FIXTURE)), city.facilities)
    assert ("facility", "pharmacy", "Farmacia Centrale", "", 13) in rows(table)
    names = {
        f["properties"].get("name")
        for tile in decoded(city.basemap).values()
        for f in tile.get("facility", {}).get("features", [])
    }
    assert names == {"Farmacia Centrale"}


def test_workspace_keeps_the_base_map(tmp_path: Path) -> None:
    city = City.build(osm=[FIXTURE], name="fixture")
    assert city.basemap
    city.save(tmp_path / "ws")
    assert (tmp_path / "ws" / "basemap.pmtiles").read_bytes() == city.basemap
    assert City.load(tmp_path / "ws").basemap == city.basemap
    # a workspace from before base maps loads, with none
    (tmp_path / "ws" / "basemap.pmtiles").unlink()
    assert City.load(tmp_path / "ws").basemap == b""


def test_real_cities_base_maps() -> None:
    """Helsinki (a complete extract) has every layer; Milan's sidewalk and crossing dumps
    give named sidewalks and crossings only: the base map holds what the data hold."""
    from accessibility.sources.osm import read_osm_files

    helsinki = select_basemap(read_osm(need(HELSINKI_PBF)))
    by_layer = helsinki.groupby("layer").size()
    assert {"street", "building", "address", "green", "water", "railway", "place"} <= set(by_layer.index)
    named = helsinki[(helsinki["layer"] == "street") & (helsinki["name"] != "")]
    assert len(named) > 300 and named["name"].str.contains("katu").any()
    milan = select_basemap(read_osm_files([need(p) for p in milan_network_files()]))
    assert set(milan["layer"]) <= {"street", "address", "place"}
    named = milan[(milan["layer"] == "street") & (milan["name"] != "")]
    assert len(named) > 50 and set(milan.loc[milan["layer"] == "street", "kind"]) <= {
        "sidewalk",
        "path",
        "minor",
        "service",
    }
    assert json.loads(milan.to_json())  # plain data, nothing that cannot be written


def test_archive_says_what_it_holds() -> None:
    from accessibility.outputs.basemap import basemap_kinds

    frame = select_basemap(read_osm(FIXTURE))
    kinds = basemap_kinds(basemap_tiles(frame))
    assert kinds == {layer: sorted(set(g)) for layer, g in frame.groupby("layer")["kind"]}
    assert kinds["street"] == ["major", "minor", "sidewalk"] and "facility" not in kinds
    assert basemap_kinds(b"") == {}
