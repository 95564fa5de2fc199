"""Proofs of the plan: its gains are what a full recomputation gives, it keeps to the
budget, more money never buys less, and on a tiny city it finds the known optimum."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest

from accessibility import City, planning
from accessibility.analysis.population import residents_on_network
from accessibility.i18n import use_language
from accessibility.model.profiles import load_profile
from accessibility.planning.interventions import candidates, load_cost_table, quantity_of

CHAIR = [load_profile("manual_wheelchair")]


def tiny_city(osm_file) -> City:
    """Via Roma (residents) on row 0. A sports centre beyond a raised kerb (node 100); a
    pharmacy beyond two flights of steps with a footway between them (10-15, 20-25);
    a useless flight of steps to a dead end (5-305)."""
    ways = [
        (1, list(range(0, 11)), {"highway": "residential", "name": "Via Roma"}),
        (6, [0, 100, 200], {"highway": "footway"}),
        (2, [10, 15], {"highway": "steps", "step_count": "3"}),
        (3, [15, 20], {"highway": "footway"}),
        (4, [20, 25], {"highway": "steps", "step_count": "2"}),
        (5, [25, 30], {"highway": "footway"}),
        (7, [5, 305], {"highway": "steps", "step_count": "4"}),
    ]
    nodes = {
        100: {"kerb": "raised", "kerb:height": "0.10"},
        31: {"amenity": "pharmacy", "name": "Farmacia <Centrale>"},
        201: {"leisure": "sports_centre", "name": "Palestra"},
    }
    return City.build(osm=[osm_file(ways, nodes)], name="tiny")


def total_reach(G, barriers, facilities, people, profiles, cats, T=1000.0) -> float:
    return sum(v[0] for v in planning.reach_figures(G, barriers, facilities, people, profiles, cats, T).values())


def test_tiny_city_optimum_and_steps_that_only_matter_together(osm_file):
    city = tiny_city(osm_file)
    G, barriers, fac = city.network, city.barriers, city.facilities
    people = residents_on_network(G, 1000).to_numpy()
    cats = ["pharmacy", "sports"]
    cands = candidates(barriers)
    assert sorted(cands["kind"]) == ["raised_kerb", "steps", "steps", "steps"]
    cost = dict(zip(cands["row"], cands["cost"]))
    base = total_reach(G, barriers, fac, people, CHAIR, cats)

    def best_within(budget: float) -> float:  # brute force over every subset
        best = 0.0
        for k in range(len(cost) + 1):
            for rows in itertools.combinations(cost, k):
                if sum(cost[r] for r in rows) <= budget:
                    G2, b2 = planning.apply_fixes(G, barriers, rows)
                    best = max(best, total_reach(G2, b2, fac, people, CHAIR, cats) - base)
        return best

    steps = {int(r.osm_id): i for i, r in enumerate(barriers.itertuples()) if r.kind == "steps"}
    for budget in (1000.0, 1500.0, 5000.0, 8000.0, 20000.0):
        plan = planning.plan(G, barriers, fac, people, CHAIR, cats, budget=budget)
        funded = plan.funded
        assert funded["cost"].sum() <= budget
        assert funded["people_total"].sum() == pytest.approx(best_within(budget), abs=1e-6)
    table = plan.table.set_index("row")
    # the two flights on the pharmacy path: nothing alone, everything together, as a pair
    a, b = steps[2], steps[4]
    assert table.loc[[a, b], "selection"].str.startswith("pair").all()
    assert table.loc[[a, b], "people_total"].sum() == pytest.approx(1000.0)
    assert table.loc[steps[7], "selection"] == "no gain"
    assert plan.table["rank"].tolist() == list(range(1, len(plan.table) + 1))


def test_quantities_and_lift_over_max_rise():
    t = load_cost_table()
    assert quantity_of("steps", 30.0, 0, {}, t)[1] == "lift"  # 30 x 0.16 m = 4.8 m > 3.20 m
    qty, kind, note = quantity_of("steps", None, 0, {}, t)
    assert kind == "ramp" and qty == pytest.approx(5 * 0.16 / 0.08) and "default" in str(note)
    with use_language("it"):
        assert (
            str(note)
            == "5 gradini (numero non noto: valore predefinito) × 0,16 m = 0,80 m di dislivello; rampa, pendenza 8 %"
        )
    qty, kind, note = quantity_of("bad_surface", None, 10.0, {"width": "2"}, t)
    assert (qty, kind) == (20.0, "resurfacing")


@pytest.fixture(scope="module")
def helsinki_plan(helsinki_city):
    G = helsinki_city.network
    people = residents_on_network(G, 650_000).to_numpy()
    profiles = [load_profile(p) for p in ("manual_wheelchair", "walker", "pushchair")]
    cats = ["pharmacy", "sports", "library"]
    planner_inputs = (G, helsinki_city.barriers, helsinki_city.facilities, people, profiles, cats)
    return planner_inputs, planning.plan(*planner_inputs, budget=100_000)


def test_top_picks_match_a_full_recomputation_on_helsinki(helsinki_plan):
    (G, barriers, fac, people, profiles, cats), plan = helsinki_plan
    top = plan.table[plan.table["people_total"] > 0].head(6)
    assert len(top) >= 3
    before = planning.reach_figures(G, barriers, fac, people, profiles, cats, plan.threshold_m)
    fixed: list[int] = []
    for r in plan.table.head(int(top["rank"].max())).itertuples():
        fixed.append(int(r.row))
        G2, b2 = planning.apply_fixes(G, barriers, fixed)
        after = planning.reach_figures(G2, b2, fac, people, profiles, cats, plan.threshold_m)
        for p in profiles:
            for k in cats:
                key = (p.name, k)
                assert after[key][0] - before[key][0] == pytest.approx(getattr(r, f"people_{p.name}_{k}"), abs=1e-6)
                assert after[key][1] - before[key][1] == getattr(r, f"facilities_{p.name}_{k}")
        before = after


def test_solo_gains_match_brute_force_on_a_sample(helsinki_plan):
    (G, barriers, fac, people, profiles, cats), plan = helsinki_plan
    planner = planning.Planner(G, barriers, fac, people, profiles, cats, plan.threshold_m, plan.table["row"])
    sample = random.Random(3).sample(planner.relevant, 8)
    base = planning.reach_figures(G, barriers, fac, people, profiles, cats, plan.threshold_m)
    for row in sample:
        gain = planner.gain({row})[0]
        G2, b2 = planning.apply_fixes(G, barriers, [row])
        after = planning.reach_figures(G2, b2, fac, people, profiles, cats, plan.threshold_m)
        assert gain.total == pytest.approx(sum(after[k][0] - base[k][0] for k in base), abs=1e-6)
        assert gain.total_facilities == sum(after[k][1] - base[k][1] for k in base)


def test_budget_kept_and_more_money_never_buys_less(helsinki_plan):
    _, plan = helsinki_plan
    t = plan.table
    totals, previous = [], np.zeros(len(t), dtype=bool)
    for budget in (0, 2_000, 10_000, 50_000, 100_000, 1_000_000, 1e9):
        funded = planning.fund(t, budget)
        assert t.loc[funded, "cost"].sum() <= budget
        assert (funded | ~previous).all()  # a superset of what less money funds
        totals.append(t.loc[funded, "people_total"].sum())
        previous = funded
    assert totals == sorted(totals) and totals[-1] > 0
    funded = plan.funded
    assert funded["cost"].sum() <= plan.budget
    assert (funded["cumulative_cost"] <= plan.budget).all()
    assert not plan.table.loc[~plan.table["within_budget"], "rank"].lt(funded["rank"].max()).any()


def test_plan_command_writes_every_output(osm_file, tmp_path):
    import openpyxl
    import pyogrio
    from click.testing import CliRunner

    from accessibility.cli import main

    city = tiny_city(osm_file)
    city.save(tmp_path / "city")
    out = tmp_path / "out"
    args = [
        "plan",
        "--city",
        str(tmp_path / "city"),
        "--budget",
        "1500",
        "--residents",
        "1000",
        "--profiles",
        "manual_wheelchair",
        "--categories",
        "pharmacy,sports",
        "-o",
        str(out / "plan.csv"),
        "--xlsx",
        str(out / "plan.xlsx"),
        "--gpkg",
        str(out / "plan.gpkg"),
        "--map",
        str(out / "map.html"),
        "--report",
        str(out / "report.html"),
        "--lang",
        "it",
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    import pandas as pd

    # Italian CSV: semicolons, decimal comma, headers for people
    table = pd.read_csv(out / "plan.csv", encoding="utf-8-sig", sep=";", decimal=",")
    assert table.loc[0, "Barriera"] == "Cordolo rialzato" and table.loc[0, "Finanziato"] == "sì"
    people = "Persone che ottengono un percorso – Sedia a rotelle manuale – Impianti sportivi"
    assert table.loc[0, people] == pytest.approx(1000.0)
    assert (table.loc[1:, "Finanziato"] == "no").all()
    book = openpyxl.load_workbook(out / "plan.xlsx")
    sheet = book["Piano"]
    assert sheet.max_row == len(table) + 1 and sheet.freeze_panes == "A2" and sheet.auto_filter.ref
    assert sheet["A1"].value == "N." and sheet["A2"].value == 1
    assert len(pyogrio.read_dataframe(out / "plan.gpkg")) == len(table)
    # the files name OpenStreetMap as their source where QGIS and spreadsheets show it
    assert "© OpenStreetMap contributors (ODbL)" in book.properties.description
    assert "(ODbL)" in pyogrio.read_info(out / "plan.gpkg")["layer_metadata"]["DESCRIPTION"]
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "Gli interventi in ordine di priorità" in page and "Via Roma" in page and "Sintesi" in page
    assert "http://" not in page and "https://" not in page
    assert "plan-number" in (out / "map.html").read_text(encoding="utf-8")
    bad = CliRunner().invoke(main, args[:5] + ["--residents", "0", "-o", str(out / "x.csv")])
    assert bad.exit_code != 0


def test_report_escapes_street_names(osm_file):
    from accessibility.outputs.plan_report import plan_report_html

    city = tiny_city(osm_file)
    b = city.osm_barriers
    b.loc[b["kind"] == "raised_kerb", "street"] = "<script>alert(1)</script>"
    b["description"] = None
    b.loc[b["kind"] == "raised_kerb", "description"] = "cordolo <img src=x onerror=alert(2)>"
    plan = city.plan(1500, profiles=["manual_wheelchair"], residents=1000)
    page = plan_report_html(plan, "Cremona <b>")
    assert "<script>alert" not in page and "&lt;script&gt;" in page and "Cremona &lt;b&gt;" in page
    assert "<img" not in page and "cordolo &lt;img" in page


def test_age_weighting_scales_people(osm_file):
    from realdata import SHARED, need

    table = need(SHARED / "cremona-population-istat" / "cremona_019036_population_by_age_2023.csv")
    city = tiny_city(osm_file)
    all_ = city.plan(1500, profiles=["manual_wheelchair"], population=table)
    old = city.plan(1500, profiles=["manual_wheelchair"], population=table, weight="over65")
    assert all_.table["row"].tolist() == old.table["row"].tolist()
    ratio = old.table.loc[0, "people_total"] / all_.table.loc[0, "people_total"]
    assert 0.15 < ratio < 0.4  # Cremona's share of people over 65


def test_two_barriers_on_one_node_are_fixed_as_a_pair(osm_file):
    ways = [
        (1, list(range(0, 6)), {"highway": "residential", "name": "Via Milano"}),
        (2, [0, 100, 200], {"highway": "footway"}),
    ]
    nodes = {
        100: {"kerb": "raised", "kerb:height": "0.12", "barrier": "cycle_barrier"},
        201: {"leisure": "sports_centre"},
    }
    city = City.build(osm=[osm_file(ways, nodes)], name="pair")
    plan = city.plan(10_000, profiles=["manual_wheelchair"], categories=["sports"], residents=500)
    t = plan.table
    assert sorted(t["kind"].head(2)) == ["obstacle", "raised_kerb"]
    assert t["selection"].head(2).str.startswith("pair").all()
    assert t["people_total"].head(2).tolist() == pytest.approx([0.0, 500.0])
    assert t["within_budget"].head(2).all()
    # too little money for both: nothing is funded (half a pair helps nobody)
    assert not city.plan(1_600, profiles=["manual_wheelchair"], categories=["sports"], residents=500).funded.size


def test_minutes_use_each_profile_speed(osm_file):
    city = tiny_city(osm_file)
    by_time = city.plan(8_000, profiles=["manual_wheelchair"], residents=1000, threshold_min=1.0)
    # 1 minute at 0.8 m/s is 48 m: Via Roma's far end is 80 m from the sports path
    assert by_time.threshold_m == pytest.approx(48.0)
    by_m = city.plan(8_000, profiles=["manual_wheelchair"], residents=1000, threshold_m=48.0)
    assert by_time.table["people_total"].tolist() == pytest.approx(by_m.table["people_total"].tolist())
    assert 0 < by_time.table["people_total"].sum() < 2000


def test_plan_map_numbers_the_interventions_with_a_gain(osm_file):
    from accessibility.outputs.maps import plan_map
    from accessibility.outputs.plan_report import plan_table

    city = tiny_city(osm_file)
    table = plan_table(city.plan(1500, profiles=["manual_wheelchair"], residents=1000), "en")
    page = plan_map(table, "en")
    numbers = [int(f["label"]) for f in page.layer("interventions")["features"]]
    shown = table[table["within_budget"] | (table["selection"] != "no gain")]
    assert numbers == sorted(shown["rank"].tolist()) == [1, 2, 3]
    import re

    html = page.render()
    assert not re.search(r"<script[^>]+src=", html) and not re.search(r"<link[^>]+href=\"http", html)


def test_plan_map_and_report_open_offline_in_chromium(osm_file, tmp_path, browser):
    from accessibility.outputs.maps import plan_map
    from accessibility.outputs.plan_report import plan_report_html, plan_table

    city = tiny_city(osm_file)
    plan = city.plan(1500, profiles=["manual_wheelchair"], residents=1000)
    page_html = plan_map(plan_table(plan), network=city.network, basemap=city.basemap).render()
    (tmp_path / "map.html").write_text(page_html, encoding="utf-8")
    (tmp_path / "report.html").write_text(plan_report_html(plan, "Cremona"), encoding="utf-8")
    page, log = browser
    page.goto((tmp_path / "map.html").as_uri())
    page.wait_for_selector("#map .plan-number", timeout=10000)
    assert page.evaluate("window.accessibilityMap.ready")  # the base map: streets, for context
    numbers = page.evaluate("Array.from(document.querySelectorAll('#map .plan-number')).map(e => e.textContent)")
    page.goto((tmp_path / "report.html").as_uri())
    heading = page.inner_text("h1")
    log.assert_clean()
    assert sorted(numbers) == ["1", "2", "3"]
    assert "PEBA" in heading and "Cremona" in heading


def test_verified_survey_barrier_is_a_candidate_with_exact_gain(tmp_path):
    import geopandas as gpd
    from shapely import Point

    from tests.survey_fixtures import grid_workspace

    city, files = grid_workspace(tmp_path)
    ids = city.import_surveys(files / "good_semicolon_comma.csv", surveyor="Anna").accepted
    city.review_survey(ids[2], "verified", by="Bruno")  # a temporary 60 cm obstacle on edge 1000-1001
    barriers = city.barriers
    cands = candidates(barriers)
    survey = cands[cands["source"] == "survey"]
    assert survey["intervention"].tolist() == ["obstacle_removal"]
    G = city.network
    n = G.nodes[1001]
    fac = gpd.GeoDataFrame(
        {"category": ["pharmacy"], "name": ["F"], "wheelchair": [""], "entrances": [""]},
        geometry=[Point(n["x"], n["y"])],
        crs=G.graph["crs"],
    )
    people = residents_on_network(G, 1000).to_numpy()
    cost = dict(zip(cands["row"], cands["cost"]))
    planner = planning.Planner(G, barriers, fac, people, CHAIR, ["pharmacy"], 300.0, cost)
    base = planning.reach_figures(G, barriers, fac, people, CHAIR, ["pharmacy"], 300.0)
    for row in planner.relevant:
        G2, b2 = planning.apply_fixes(G, barriers, [row])
        after = planning.reach_figures(G2, b2, fac, people, CHAIR, ["pharmacy"], 300.0)
        key = ("manual_wheelchair", "pharmacy")
        assert planner.gain({row})[0].people[key] == pytest.approx(after[key][0] - base[key][0], abs=1e-6)
    assert int(survey["row"].iloc[0]) in planner.relevant


def test_a_city_without_barriers_gives_an_empty_plan(osm_file, tmp_path):
    from click.testing import CliRunner

    from accessibility.cli import main

    ways = [(1, list(range(0, 6)), {"highway": "residential", "name": "Via Libera"})]
    city = City.build(osm=[osm_file(ways, {3: {"amenity": "pharmacy"}})], name="free")
    plan = city.plan(1000, residents=100)
    assert len(plan.table) == 0 and plan.funded.empty
    city.save(tmp_path / "ws")
    result = CliRunner().invoke(
        main,
        [
            "plan",
            "--city",
            str(tmp_path / "ws"),
            "--budget",
            "1000",
            "--residents",
            "100",
            "-o",
            str(tmp_path / "p.csv"),
            "--report",
            str(tmp_path / "r.html"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "0 interventions ranked" in result.output


def test_hindering_fixes_rank_by_the_people_who_pass_them(osm_file):
    """Acoustic signals open no route for a blind person, but serve everyone whose way to
    the pharmacy crosses there: they rank before an equal one nobody passes."""
    silent = {
        "highway": "crossing",
        "crossing": "traffic_signals",
        "traffic_signals:sound": "no",
        "tactile_paving": "yes",
        "kerb": "lowered",
    }
    ways = [
        (1, list(range(0, 11)), {"highway": "residential", "name": "Via Roma"}),
        (2, [10, 20, 30], {"highway": "footway"}),
        (3, [5, 105, 205], {"highway": "footway"}),
    ]
    nodes = {20: silent, 105: dict(silent), 31: {"amenity": "pharmacy", "name": "Farmacia"}}
    city = City.build(osm=[osm_file(ways, nodes)], name="tiny")
    plan = city.plan(100_000, profiles=["blind"], categories=["pharmacy"], residents=1000)
    table = plan.table.set_index("barrier_id")
    used, spur = table.loc["osm-node-20-crossing_no_sound"], table.loc["osm-node-105-crossing_no_sound"]
    assert used["people_total"] == 0 and spur["people_total"] == 0  # no new route either way
    assert used["people_passing"] == pytest.approx(1000)  # everyone's way to the pharmacy
    assert spur["people_passing"] == 0
    assert used["rank"] < spur["rank"]
    assert used["within_budget"] and not spur["within_budget"]  # it serves people; the spur serves none
