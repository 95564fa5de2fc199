"""Barrier rules, one tiny OSM file each: kind, measure, rule, severity per profile."""

import pytest

from accessibility.model.barriers import barrier_targets, find_barriers, taxonomy, text_to_tags
from accessibility.model.network import build_network
from accessibility.model.profiles import load_profiles
from accessibility.sources.osm import read_osm

FOOT = {"highway": "footway"}


def barriers_of(path):
    G = build_network(read_osm(path))
    return find_barriers(G, load_profiles()), G


def only(frame, kind):
    rows = frame[frame["kind"] == kind]
    assert len(rows) == 1, f"expected one {kind}, got {len(rows)}: {frame[['barrier_id', 'kind']].values.tolist()}"
    return rows.iloc[0]


def test_every_kind_has_a_rule_and_labels():
    for kind in taxonomy().values():
        assert kind.rule.startswith(("DM 236/1989", "DPR 503/1996")) and kind.label and kind.rule_text


def test_steps(osm_file):
    b, _ = barriers_of(osm_file([(10, [1, 2, 3], {"highway": "steps", "step_count": "12", "handrail": "yes"})]))
    row = only(b, "steps")
    assert (row["element"], row["osm_id"], row["measure"], row["unit"]) == ("way", 10, 12.0, "steps")
    assert row["severity_manual_wheelchair"] == "blocking" and row["severity_walk"] == "none"
    assert row["severity_walker"] == "blocking"  # 12 steps > the walker's 2
    assert row["source"] == "osm" and row["source_id"] == "way/10"


def test_steps_with_wheelchair_ramp_only_hinder(osm_file):
    b, _ = barriers_of(osm_file([(10, [1, 2], {"highway": "steps", "ramp:wheelchair": "yes"})]))
    row = only(b, "steps")
    assert row["severity_manual_wheelchair"] == "hindering"
    assert pd_isna(row["measure"])  # step count unknown
    assert row["severity_walker"] == "unknown"  # up to 2 steps allowed, count unknown


def pd_isna(x):
    return x != x or x is None


@pytest.mark.parametrize(
    "tags, height, manual, power",
    [
        ({"kerb": "raised"}, None, "blocking", "unknown"),
        ({"kerb": "raised", "kerb:height": "0.12"}, 12.0, "blocking", "blocking"),
        ({"kerb": "lowered", "kerb:height": "4 cm"}, 4.0, "blocking", "hindering"),
        ({"kerb": "raised", "kerb:height": "3 cm"}, 3.0, "blocking", "hindering"),
        ({"barrier": "kerb", "kerb:height": "3"}, 3.0, "blocking", "hindering"),  # bare 3: cm, reported
    ],
)
def test_raised_kerbs(osm_file, tags, height, manual, power):
    b, _ = barriers_of(osm_file([(10, [1, 2, 3], FOOT)], {2: tags}))
    row = only(b, "raised_kerb")
    assert row["element"] == "node" and row["node"] == 2
    assert (row["measure"] == pytest.approx(height)) if height else pd_isna(row["measure"])
    assert row["threshold"] == 2.5 and "8.2.1" in row["rule"]
    assert (row["severity_manual_wheelchair"], row["severity_power_wheelchair"]) == (manual, power)
    assert row["severity_blind"] == "none"


@pytest.mark.parametrize(
    "tags", [{"kerb": "lowered"}, {"kerb": "flush"}, {"kerb": "no"}, {"kerb": "lowered", "kerb:height": "0.02"}]
)
def test_level_kerbs_are_not_barriers(osm_file, tags):
    b, _ = barriers_of(osm_file([(10, [1, 2, 3], FOOT)], {2: tags}))
    assert "raised_kerb" not in set(b["kind"]) and "kerb_unknown" not in set(b["kind"])


def test_kerb_without_type_is_unknown(osm_file):
    b, _ = barriers_of(osm_file([(10, [1, 2, 3], FOOT)], {2: {"barrier": "kerb"}}))
    row = only(b, "kerb_unknown")
    assert not row["known"] and row["severity_manual_wheelchair"] == "unknown"


def test_crossing_way_without_kerb_nodes_has_unknown_kerb(osm_file):
    b, _ = barriers_of(
        osm_file([(10, [1, 2, 3], {"highway": "footway", "footway": "crossing", "crossing": "uncontrolled"})])
    )
    row = only(b, "kerb_unknown")
    assert (row["element"], row["osm_id"], row["known"]) == ("way", 10, False)


def test_crossing_way_with_kerb_nodes_is_known(osm_file):
    b, _ = barriers_of(
        osm_file(
            [(10, [1, 2, 3], {"highway": "footway", "footway": "crossing"})],
            {1: {"kerb": "lowered", "tactile_paving": "yes"}, 3: {"kerb": "lowered", "tactile_paving": "yes"}},
        )
    )
    assert "kerb_unknown" not in set(b["kind"]) and "crossing_no_tactile" not in set(b["kind"])


def test_crossing_tactile_no_and_unknown(osm_file):
    b, _ = barriers_of(
        osm_file(
            [
                (10, [1, 2], {"highway": "footway", "footway": "crossing", "tactile_paving": "no"}),
                (11, [3, 4], {"highway": "footway", "footway": "crossing"}),
            ]
        )
    )
    rows = b[b["kind"] == "crossing_no_tactile"].set_index("osm_id")
    assert rows.loc[10, "known"] and rows.loc[10, "severity_blind"] == "hindering"
    assert not rows.loc[11, "known"] and rows.loc[11, "severity_blind"] == "unknown"
    assert set(rows["severity_manual_wheelchair"]) == {"none"}


def test_signalised_crossing_without_sound(osm_file):
    b, _ = barriers_of(
        osm_file(
            [(10, [1, 2, 3], FOOT)],
            {
                2: {
                    "highway": "crossing",
                    "crossing": "traffic_signals",
                    "traffic_signals:sound": "no",
                    "tactile_paving": "yes",
                    "kerb": "lowered",
                }
            },
        )
    )
    row = only(b, "crossing_no_sound")
    assert row["known"] and row["severity_blind"] == "hindering" and "503/1996 art. 6" in row["rule"]
    assert text_to_tags(row["tags"]) == {"traffic_signals:sound": "no"}


def test_signalised_crossing_with_sound_is_fine(osm_file):
    b, _ = barriers_of(
        osm_file(
            [(10, [1, 2, 3], FOOT)],
            {
                2: {
                    "highway": "crossing",
                    "crossing": "traffic_signals",
                    "traffic_signals:sound": "yes",
                    "tactile_paving": "yes",
                    "kerb": "flush",
                }
            },
        )
    )
    assert b.empty


@pytest.mark.parametrize(
    "incline, measure, known", [("10%", 10.0, True), ("-12%", 12.0, True), ("steep", None, False), ("up", None, False)]
)
def test_steep_incline(osm_file, incline, measure, known):
    b, _ = barriers_of(osm_file([(10, [1, 2], {"highway": "footway", "incline": incline})]))
    row = only(b, "steep_incline")
    assert bool(row["known"]) is known
    if measure is None:
        assert pd_isna(row["measure"]) and row["severity_manual_wheelchair"] == "unknown"
    else:
        assert row["measure"] == measure and row["severity_manual_wheelchair"] == "blocking"
        assert row["severity_power_wheelchair"] == "hindering"


def test_gentle_incline_is_not_a_barrier(osm_file):
    b, _ = barriers_of(osm_file([(10, [1, 2], {"highway": "footway", "incline": "4%"})]))
    assert b.empty


@pytest.mark.parametrize("width, cm", [("0.8", 80.0), ("1,2 m", None), ("75 cm", 75.0)])
def test_narrow_passage(osm_file, width, cm):
    b, _ = barriers_of(osm_file([(10, [1, 2], {"highway": "footway", "width": width})]))
    if cm is None:
        assert b.empty
    else:
        row = only(b, "narrow_passage")
        assert row["measure"] == cm and row["severity_manual_wheelchair"] == "blocking"
        assert row["severity_pushchair"] == ("blocking" if cm < 70 else "hindering")


@pytest.mark.parametrize(
    "tags, manual",
    [
        ({"surface": "gravel"}, "blocking"),
        ({"surface": "sett"}, "hindering"),
        ({"smoothness": "very_bad"}, "blocking"),
        ({"surface": "asphalt", "smoothness": "bad"}, "hindering"),
    ],
)
def test_bad_surface(osm_file, tags, manual):
    b, _ = barriers_of(osm_file([(10, [1, 2], {**FOOT, **tags})]))
    assert only(b, "bad_surface")["severity_manual_wheelchair"] == manual


@pytest.mark.parametrize(
    "barrier, manual",
    [("turnstile", "blocking"), ("cycle_barrier", "blocking"), ("bollard", "hindering"), ("gate", "hindering")],
)
def test_obstacles(osm_file, barrier, manual):
    b, _ = barriers_of(osm_file([(10, [1, 2, 3], FOOT)], {2: {"barrier": barrier}}))
    row = only(b, "obstacle")
    assert row["severity_manual_wheelchair"] == manual and row["severity_walk"] == "none"


def test_narrow_gate_blocks_by_width(osm_file):
    b, _ = barriers_of(osm_file([(10, [1, 2, 3], FOOT)], {2: {"barrier": "gate", "maxwidth": "0.6"}}))
    row = only(b, "obstacle")
    assert row["measure"] == 60.0 and row["severity_manual_wheelchair"] == "blocking"


def test_wheelchair_no(osm_file):
    b, _ = barriers_of(osm_file([(10, [1, 2], {**FOOT, "wheelchair": "no"})]))
    row = only(b, "wheelchair_no")
    assert row["severity_manual_wheelchair"] == "blocking" and row["severity_blind"] == "none"


def test_street_name_and_geometry(osm_file):
    b, G = barriers_of(
        osm_file([(10, [1, 2, 3], {"highway": "footway", "name": "Via Dante"})], {2: {"barrier": "bollard"}})
    )
    row = only(b, "obstacle")
    assert row["street"] == "Via Dante"
    assert row["geometry"].x == pytest.approx(G.nodes[2]["x"])


def test_ids_are_unique_and_targets_cover_the_graph(osm_file):
    b, G = barriers_of(
        osm_file(
            [(10, [1, 2, 3], {"highway": "steps"}), (11, [3, 4], {**FOOT, "surface": "gravel"})],
            {4: {"barrier": "bollard"}},
        )
    )
    assert b["barrier_id"].is_unique
    nodes, edges = barrier_targets(b, G)
    assert set(nodes) == {4}
    assert {e[:2] for e in edges} == {(1, 3), (3, 1), (3, 4), (4, 3)}
