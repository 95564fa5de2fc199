"""Residents on the network, ages from ISTAT, hexagon areas and data completeness."""

import geopandas as gpd
import pandas as pd
import pytest
from shapely import Point, box

from accessibility.analysis.areas import areas_for, completeness, hex_grid, node_areas
from accessibility.analysis.population import age_structure, residents_on_network
from accessibility.errors import PopulationError
from accessibility.model.network import build_network
from accessibility.sources.istat import read_population_by_age
from accessibility.sources.osm import read_osm
from realdata import SHARED, need

ISTAT_2023 = SHARED / "cremona-population-istat" / "cremona_019036_population_by_age_2023.csv"


def test_istat_age_structure_of_cremona():
    table = read_population_by_age(need(ISTAT_2023))
    assert list(table["age"]) == list(range(101))
    ages = age_structure(table)
    assert ages.total == int((table["F"] + table["M"]).sum())
    assert ages.over80 < ages.over65 < ages.total
    assert 0.2 < ages.share65 < 0.35  # Cremona: about 19,000 of 70,000 are over 65


def test_bad_population_row_is_named(tmp_path):
    bad = tmp_path / "pop.csv"
    bad.write_text("age,tot\n0,10\n1,dieci\n")
    with pytest.raises(PopulationError, match="row 3, column tot: 'dieci'"):
        read_population_by_age(bad)


@pytest.fixture
def street(osm_file):
    # a residential street 1-2-3 and a footway 3-4 (nobody lives on footways)
    return build_network(
        read_osm(
            osm_file(
                [
                    (10, [1, 2], {"highway": "residential"}),
                    (11, [2, 3], {"highway": "residential"}),
                    (12, [3, 4], {"highway": "footway"}),
                ]
            )
        )
    )


def test_uniform_residents_follow_residential_length(street):
    people = residents_on_network(street, 1000)
    assert people.sum() == pytest.approx(1000)
    assert people[4] == 0
    assert people[2] == pytest.approx(500)  # middle node: half of each equal edge


def test_sections_and_buildings(street):
    G = street
    x1, y1 = G.nodes[1]["x"], G.nodes[1]["y"]
    sections = gpd.GeoDataFrame(
        {"population": [300]}, geometry=[box(x1 - 1, y1 - 50, x1 + 10, y1 + 50)], crs=G.graph["crs"]
    )
    people = residents_on_network(G, 0, sections=sections)
    assert people.sum() == pytest.approx(300) and people[1] == pytest.approx(150) and people[3] == 0
    buildings = gpd.GeoDataFrame(
        {"residents": [7, 5]}, geometry=[Point(x1 + 1, y1 + 1), Point(x1 + 1, y1 - 1)], crs=G.graph["crs"]
    )
    people = residents_on_network(G, 0, buildings=buildings)
    assert people[1] == 12 and people.sum() == 12


def test_hex_grid_covers_and_ids_are_stable():
    grid = hex_grid((0, 0, 1000, 1000), 100, "EPSG:32632")
    assert box(0, 0, 1000, 1000).difference(grid.union_all()).area < 1e-6  # no gaps (but float dust)
    assert grid["area_id"].is_unique
    assert list(hex_grid((0, 0, 1000, 1000), 100, "EPSG:32632")["area_id"]) == list(grid["area_id"])
    assert grid.area.iloc[0] == pytest.approx(3 * 3**0.5 / 2 * 100**2)


def test_every_node_lies_in_one_area(helsinki_city):
    G = helsinki_city.network
    areas = areas_for(G, hex_size_m=300)
    where = node_areas(G, areas)
    assert where.notna().all() and len(where) == G.number_of_nodes()


def test_completeness_shares(osm_file):
    G = build_network(
        read_osm(
            osm_file(
                [
                    (10, [1, 2], {"highway": "footway", "surface": "asphalt", "width": "2"}),
                    (11, [2, 3], {"highway": "footway"}),
                ]
            )
        )
    )
    table = completeness(G, pd.DataFrame(columns=["kind", "element", "osm_id"]), areas_for(G, hex_size_m=1000))
    overall = table[table["area_id"] == "all"].iloc[0]
    assert overall["surface_known"] == pytest.approx(0.5) and overall["width_known"] == pytest.approx(0.5)
    assert overall["incline_known"] == 0 and overall["crossings"] == 0
