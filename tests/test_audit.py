"""The city audit: a tiny city known by hand, Helsinki against networkx, monotonicity,
the Lombardy registries, and the report in a real browser with no external request."""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
from click.testing import CliRunner
from shapely import box

from accessibility import City
from accessibility.analysis.areas import areas_for
from accessibility.analysis.audit import audit, population_table, thresholds
from accessibility.analysis.destinations import facility_targets, node_xy
from accessibility.analysis.population import residents_on_network
from accessibility.cli import main
from accessibility.errors import RegistryError
from accessibility.model.costs import edge_costs
from accessibility.sources.registry import read_registry
from realdata import need

ROOT = Path(__file__).resolve().parents[1]
from realdata import CREMONA_BOUNDARY as CREMONA  # noqa: E402
from realdata import LOMBARDY as LOMBARDIA  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
M_PER_DEG_LAT = 111_135.5  # at 45.13 N
EVIL = "<script>alert('x')</script> & Co"


@pytest.fixture
def tiny(osm_file):
    """A street going north, in metres from node 1:

    1 (0) --res-- 2 (300) ==steps== 3 (600) --res-- 4 (900) ==steps== 5 (1000) -- 6 (1100)

    Pharmacy at 1, pharmacy at 4 tagged wheelchair=no, library at 6 (named EVIL; reached
    only by steps, where nobody lives). 1000 residents on the residential length: 250 at
    each of nodes 1-4.
    """
    north = {1: 0, 2: 300, 3: 600, 4: 900, 5: 1000, 6: 1100}
    coords = {n: (10.02, 45.13 + m / M_PER_DEG_LAT) for n, m in north.items()}
    path = osm_file(
        [
            (10, [1, 2], {"highway": "residential"}),
            (11, [2, 3], {"highway": "steps"}),
            (12, [3, 4], {"highway": "residential"}),
            (13, [4, 5], {"highway": "steps"}),
            (14, [5, 6], {"highway": "footway"}),
        ],
        {
            1: {"amenity": "pharmacy"},
            4: {"amenity": "pharmacy", "wheelchair": "no"},
            6: {"amenity": "library", "name": EVIL},
        },
        coords=coords,
    )
    return City.build(osm=[path], name="Piccola")


def _row(result, profile, category, threshold):
    r = result.reach
    return r[(r.profile == profile) & (r.category == category) & (r.threshold == threshold)].iloc[0]


def test_tiny_city_known_by_hand(tiny):
    whole = gpd.GeoDataFrame({"name": ["tutto"]}, geometry=[box(0, 0, 1e7, 1e7)], crs=tiny.crs)
    result = tiny.audit(
        profiles=["walk", "manual_wheelchair"], categories=["pharmacy", "library"], residents=1000, areas=whole
    )
    # walking: everyone is within 300 m of one of the two pharmacies
    walk = _row(result, "walk", "pharmacy", "500 m")
    assert walk.residents_share == pytest.approx(1.0) and walk.length_share == pytest.approx(1.0)
    # wheelchair: the steps cut nodes 3 and 4 off, and the pharmacy at 4 says wheelchair=no
    chair = _row(result, "manual_wheelchair", "pharmacy", "500 m")
    assert chair.residents_share == pytest.approx(0.5)
    assert chair.walk_residents_share == pytest.approx(1.0)
    assert chair.length_share == pytest.approx(300 / 1100, rel=1e-3)  # only the street 1-2
    assert chair.reachable_facilities == 1 and chair.facilities == 2
    assert _row(result, "manual_wheelchair", "pharmacy", "1000 m").residents_share == pytest.approx(0.5)
    # 15 minutes at 0.8 m/s is 720 m
    assert _row(result, "manual_wheelchair", "pharmacy", "15 min").metres == pytest.approx(720)
    # library on foot: 200 m from node 4, 500 from 3, 800 from 2, 1100 from 1
    assert _row(result, "walk", "library", "1000 m").residents_share == pytest.approx(0.75, rel=1e-3)
    assert _row(result, "walk", "library", "15 min").residents_share == pytest.approx(1.0)  # 1170 m
    detour = result.detour.set_index(["profile", "category"])
    assert detour.loc[("manual_wheelchair", "pharmacy"), "detour"] == pytest.approx(1.0)
    assert detour.loc[("manual_wheelchair", "pharmacy"), "no_route_share"] == pytest.approx(0.5)
    un = result.unreachable
    chair_un = un[un.profile == "manual_wheelchair"].set_index("category")
    assert chair_un.loc["pharmacy", "reason"] == "wheelchair=no"
    assert chair_un.loc["library", "reason"] == "cut_off"
    assert un[un.profile == "walk"].empty
    scores = result.areas.set_index(["profile", "category"])
    assert scores.loc[("walk", "pharmacy"), "score"] == pytest.approx(100)
    assert scores.loc[("manual_wheelchair", "pharmacy"), "score"] == pytest.approx(50)


def test_facility_mapped_as_area_is_reached_at_its_outline(osm_file):
    # a square sports ground 40 m wide east of a footway, no entrance mapped
    lon0, lat0 = 10.02, 45.13
    dlon = 1 / (M_PER_DEG_LAT * np.cos(np.radians(lat0)))
    dlat = 1 / M_PER_DEG_LAT
    coords = {
        1: (lon0, lat0),
        2: (lon0, lat0 + 200 * dlat),
        11: (lon0 + 10 * dlon, lat0),
        12: (lon0 + 50 * dlon, lat0),
        13: (lon0 + 50 * dlon, lat0 + 40 * dlat),
        14: (lon0 + 10 * dlon, lat0 + 40 * dlat),
    }
    path = osm_file(
        [(10, [1, 2], {"highway": "footway"}), (20, [11, 12, 13, 14, 11], {"leisure": "pitch", "name": "Campo"})],
        coords=coords,
    )
    city = City.build(osm=[path])
    pitch = city.facilities[city.facilities.category == "sports"]
    assert pitch.iloc[0]["outline"].startswith("POLYGON")
    costs = edge_costs(city.network, city.barriers, city.profile("walk"))
    t = facility_targets(costs, node_xy(city.network, costs.nodes), pitch.reset_index(drop=True))
    node, offset = min(t.points, key=lambda p: p[1])  # (the far end of the footway is a way in too, farther)
    assert costs.nodes[node] == 1 and offset == pytest.approx(10, abs=0.5)  # the outline's near corner, not its middle
    assert {costs.nodes[n] for n, _ in t.points} <= {1, 2}


def test_walk_reach_matches_networkx_on_helsinki(helsinki_city):
    city = helsinki_city
    result = city.audit(profiles=["walk"], categories=["pharmacy", "sports"], residents=5000)
    G = city.network
    people = residents_on_network(G, 5000)
    costs = edge_costs(G, city.barriers, city.profile("walk"))
    xy = node_xy(G, costs.nodes)
    for cat in ("pharmacy", "sports"):
        rows = city.facilities[city.facilities.category == cat].reset_index(drop=True)
        targets = facility_targets(costs, xy, rows)
        R = G.reverse(copy=True)
        for pos, offset in targets.points:  # a super-source reaching each arrival node at its offset
            R.add_edge("source", costs.nodes[pos], length=offset)
        dist = nx.single_source_dijkstra_path_length(R, "source", weight="length")
        d = np.array([dist.get(n, np.inf) for n in G.nodes])
        for limit in ("500 m", "1000 m"):
            metres = float(limit.split()[0])
            expected = people.to_numpy()[d <= metres].sum() / people.sum()
            assert _row(result, "walk", cat, limit).residents_share == pytest.approx(expected, abs=1e-12)
        walk_15 = _row(result, "walk", cat, "15 min")
        assert walk_15.metres == pytest.approx(15 * 60 * 1.3)
        assert walk_15.residents_share == pytest.approx(people.to_numpy()[d <= walk_15.metres].sum() / people.sum())


def test_tightening_a_profile_never_raises_reach(helsinki_city):
    city = helsinki_city
    G, barriers = city.network, city.barriers
    people = population_table(residents_on_network(G, 1000))
    grid = areas_for(G, hex_size_m=400)
    cats = ["pharmacy", "sports", "school", "bus_stop"]
    base = city.profile("manual_wheelchair")
    tight = base.with_overrides(
        max_kerb_cm=1.0, min_width_cm=150.0, max_incline_up_pct=3.0, max_incline_down_pct=3.0, unknown="avoid"
    )
    loose = audit(G, barriers, city.facilities, [base], cats, people, grid, thresholds())
    strict = audit(G, barriers, city.facilities, [tight], cats, people, grid, thresholds())
    a = loose.reach[loose.reach.profile == base.name].reset_index(drop=True)
    b = strict.reach[strict.reach.profile == base.name].reset_index(drop=True)
    for column in ("residents_share", "length_share", "reachable_facilities"):
        assert (b[column] <= a[column] + 1e-12).all(), column
    assert (b["residents_share"] < a["residents_share"]).any(), "tightening changed nothing: the test proves nothing"
    walk = loose.reach[loose.reach.profile == "walk"].reset_index(drop=True)
    distance_rows = a["threshold"].str.endswith(" m")
    assert (a.loc[distance_rows, "residents_share"] <= walk.loc[distance_rows, "residents_share"] + 1e-12).all()
    assert (
        loose.areas.query("profile != 'walk'")["score"] <= loose.areas.query("profile != 'walk'")["walk_score"] + 1e-9
    ).all()


def test_lombardy_registries_with_swapped_columns():
    area = gpd.read_file(need(CREMONA)).to_crs("EPSG:4326").union_all()
    maps = ROOT / "data" / "registries"
    schools = read_registry(need(LOMBARDIA / "cremona_scuole_20260215.csv"), maps / "lombardia_scuole.toml", area)
    pharmacies = read_registry(LOMBARDIA / "cremona_farmacie_20260215.csv", maps / "lombardia_farmacie.toml", area)
    hospitals = read_registry(
        LOMBARDIA / "cremona_strutture_ricovero_20260215.csv", maps / "lombardia_strutture_ricovero.toml", area
    )
    assert (len(schools.facilities), len(pharmacies.facilities), len(hospitals.facilities)) == (61, 21, 4)
    assert not schools.swapped and not pharmacies.swapped and not schools.rejected
    assert hospitals.swapped == [2, 3, 4, 5]  # every row, as the provenance says
    assert any("exchanged" in str(n) for n in hospitals.notes())
    for reg in (schools, pharmacies, hospitals):
        assert reg.facilities.within(area).all()
        assert set(reg.facilities["source"]) == {reg.mapping.source}
    priori = hospitals.facilities[hospitals.facilities.name.str.contains("ISTITUTI OSPITALIERI")].geometry.iloc[0]
    assert (round(priori.y, 4), round(priori.x, 4)) == (45.1439, 10.026)


def test_registry_errors_name_the_row_and_column(tmp_path):
    maps = ROOT / "data" / "registries"
    bad = tmp_path / "farmacie.csv"
    bad.write_text(
        "CODICE_FARMACIA;DESCRIZIONE_FARMACIA;INDIRIZZO;COMUNE;LATITUDINE;LONGITUDINE\n"
        "A1;Farmacia Uno;Via Roma 1;CREMONA;45,13;10,02\n"
        "A2;Farmacia Due;Via Po 2;CREMONA;quarantacinque;10,03\n",
        encoding="cp1252",
    )
    reg = read_registry(bad, maps / "lombardia_farmacie.toml")
    assert len(reg.facilities) == 1 and [(row, str(why)) for row, why in reg.rejected] == [
        (3, "column 'LATITUDINE': 'quarantacinque' is not a coordinate")
    ]
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("nome,lat,lon\nx,45.1,10.0\n")
    with pytest.raises(RegistryError, match="'LATITUDINE'"):
        read_registry(wrong, maps / "lombardia_farmacie.toml")


def test_cli_writes_everything_and_report_opens_offline(tiny, tmp_path, browser):
    city_dir = tmp_path / "city"
    tiny.save(city_dir)
    out = tmp_path / "audit"
    registry = tmp_path / "reg.csv"
    registry.write_text(
        "CODICE_FARMACIA,DESCRIZIONE_FARMACIA,INDIRIZZO,COMUNE,LATITUDINE,LONGITUDINE\n"
        'R1,"<b>Farmacia</b> del Po",Via Po,CREMONA,"45,1373","10,0200"\n'
    )
    result = CliRunner().invoke(
        main,
        [
            "audit",
            "--city",
            str(city_dir),
            "-o",
            str(out),
            "--lang",
            "en",
            "--profiles",
            "walk,manual_wheelchair",
            "--categories",
            "pharmacy,library",
            "--registry",
            str(registry),
            "--registry-map",
            str(ROOT / "data" / "registries" / "lombardia_farmacie.toml"),
        ],
    )
    assert result.exit_code == 0, result.output
    for name in (
        "reach.csv",
        "detour.csv",
        "unreachable.csv",
        "areas.csv",
        "completeness.csv",
        "audit.gpkg",
        "report.html",
        "maps/score_manual_wheelchair.html",
        "maps/unreachable_manual_wheelchair.html",
    ):
        assert (out / name).is_file(), name
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".audit")], "a temporary folder was left"
    gpkg = gpd.read_file(out / "audit.gpkg", layer="facilities")
    assert set(gpkg["source"]) == {"osm", "Regione Lombardia - Elenco farmacie"}
    page = (out / "report.html").read_text(encoding="utf-8")
    assert EVIL not in page and "&lt;script&gt;" in page
    assert "Facilities nobody can reach" in page
    chair_map = (out / "maps" / "unreachable_manual_wheelchair.html").read_text(encoding="utf-8")
    assert "<script>alert" not in chair_map and "&lt;script&gt;" in chair_map
    assert not re.search(r"<script[^>]+src=", page + chair_map)

    it = tmp_path / "audit_it"
    assert (
        CliRunner()
        .invoke(main, ["audit", "--city", str(city_dir), "-o", str(it), "--categories", "pharmacy", "--lang", "it"])
        .exit_code
        == 0
    )
    assert "Servizi che nessuno raggiunge" in (it / "report.html").read_text(encoding="utf-8")

    page, log = browser
    page.goto((out / "report.html").as_uri())
    bars = page.evaluate("document.querySelectorAll('svg.bars rect').length")
    heading = page.inner_text("h1")
    page.goto((out / "maps" / "score_manual_wheelchair.html").as_uri())
    page.wait_for_selector("path.score-area", timeout=10000)
    page.goto((out / "maps" / "unreachable_manual_wheelchair.html").as_uri())
    page.wait_for_selector("path.unreachable", timeout=10000)
    log.assert_clean()
    assert bars > 0 and "Accessibility audit" in heading
