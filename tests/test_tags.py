"""Tag value parsing: units, decimal commas, and malformed values with reasons."""

import math

import pytest

from accessibility.values import PLAUSIBLE, is_yes, parse_count, parse_incline_pct, parse_length_m, parse_tag


@pytest.mark.parametrize(
    "raw, metres",
    [
        ("1.2", 1.2),
        ("1,2 m", 1.2),
        ("120 cm", 1.2),
        ("120cm", 1.2),
        ("1200 mm", 1.2),
        ("3 cm", 0.03),
        ("0.03", 0.03),
        ("4'6\"", 4 * 0.3048 + 6 * 0.0254),
        ("10 ft", 3.048),
    ],
)
def test_lengths(raw, metres):
    value, problem = parse_length_m(raw)
    assert value == pytest.approx(metres)
    assert problem is None


@pytest.mark.parametrize("raw", ["narrow", "da misurare", "> 3 cm", "1.2.3", "", "-1"])
def test_bad_lengths_say_why(raw):
    value, problem = parse_length_m(raw)
    assert value is None
    assert raw in str(problem) or repr(raw) in str(problem)


def test_bare_kerb_height_too_large_for_metres_is_centimetres():
    value, problem = parse_length_m("3", bare_max=0.5)
    assert value == pytest.approx(0.03)
    assert "cm" in str(problem)
    assert parse_length_m("0.04", bare_max=0.5) == (0.04, None)


@pytest.mark.parametrize(
    "raw, pct", [("8%", 8.0), ("-5 %", -5.0), ("7,5%", 7.5), ("0%", 0.0), ("5°", math.tan(math.radians(5)) * 100)]
)
def test_inclines(raw, pct):
    value, problem = parse_incline_pct(raw)
    assert value == pytest.approx(pct)
    assert problem is None


def test_incline_direction_only_is_unknown_not_a_problem():
    assert parse_incline_pct("up") == (None, None)
    assert parse_incline_pct("down") == (None, None)


def test_incline_steep_is_a_problem():
    value, problem = parse_incline_pct("steep")
    assert value is None and "steep" in str(problem)


def test_incline_without_unit_is_percent_and_reported():
    value, problem = parse_incline_pct("6")
    assert value == 6.0 and "no unit" in str(problem)


def test_counts_and_yes():
    assert parse_count("12") == (12.0, None)
    assert parse_count("about 10")[0] is None
    assert (is_yes("yes"), is_yes("no"), is_yes(None), is_yes("maybe")) == (True, False, None, None)


@pytest.mark.parametrize(
    "key, raw",
    [
        ("width", "999999999999"),
        ("kerb:height", "10 km"),
        ("step_count", "999999999999"),
        ("incline", "89°"),
        ("est_width", "1000000000000000000000 m"),
        ("maxwidth", "101"),
    ],
)
def test_implausible_tag_values_are_unknown_and_listed(key, raw):
    value, problem = parse_tag(key, raw)
    assert value is None
    assert "not a plausible value" in str(problem) and repr(raw) in str(problem)


@pytest.mark.parametrize("key", sorted(PLAUSIBLE))
def test_the_plausible_limit_itself_is_kept(key):
    limit = PLAUSIBLE[key][0]
    raw = {"incline": f"{limit:g}%", "step_count": f"{limit:g}"}.get(key, f"{limit:g} m")
    value, problem = parse_tag(key, raw)
    assert value == pytest.approx(limit) and problem is None


def test_tag_problems_are_translated():
    from accessibility.i18n import use_language

    _, problem = parse_tag("kerb:height", "10 km")
    with use_language("it"):
        assert "10 km" in str(problem) and "plausibile" in str(problem)
