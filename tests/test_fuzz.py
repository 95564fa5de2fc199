"""Fuzzing of the readers people hand files to: OpenStreetMap, survey and registry files
(and the value parser behind them). Whatever the bytes, a reader returns its data or
raises one of the package's errors; a survey row, however odd, becomes a report or a
reject with a reason, never an exception. Sized to run in CI within a minute."""

from __future__ import annotations

import json
import math
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accessibility.errors import AccessibilityError
from accessibility.sources.osm import read_osm
from accessibility.sources.registry import read_mapping, read_registry
from accessibility.sources.surveys import read_survey_file
from accessibility.values import PLAUSIBLE, parse_number, parse_tag

FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)


#: The folder of every example's files, removed when the tests of this module end.
_FOLDER: Path | None = None


@pytest.fixture(scope="module", autouse=True)
def _examples_folder() -> Iterator[None]:
    global _FOLDER
    with tempfile.TemporaryDirectory(prefix="fuzz-") as folder:
        _FOLDER = Path(folder)
        yield
    _FOLDER = None


def written(content: bytes | str, suffix: str) -> Path:
    """``content`` in a fresh file with ``suffix`` (Hypothesis runs many examples per test)."""
    assert _FOLDER is not None
    folder = Path(tempfile.mkdtemp(dir=_FOLDER))
    path = folder / f"input{suffix}"
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8", "surrogatepass"))
    return path


# --- OpenStreetMap --------------------------------------------------------------------------

numbers_as_text = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["nan", "inf", "-inf", "1e999", "", "45,13", "0x10", "  10.0 ", "١٢", "NaN"]),
    st.text(max_size=8),
)
xml_attr = numbers_as_text.map(lambda t: t.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;"))


@st.composite
def osm_xml(draw) -> str:
    nodes = draw(st.lists(st.tuples(st.integers(-5, 50), xml_attr, xml_attr), max_size=12))
    ways = draw(st.lists(st.lists(st.integers(-5, 50), max_size=6), max_size=5))
    tags = draw(st.lists(st.sampled_from(["width", "kerb:height", "incline", "step_count", "highway"]), max_size=3))
    values = draw(st.lists(xml_attr, min_size=3, max_size=3))
    lines = ['<?xml version="1.0"?>', '<osm version="0.6">']
    lines += [f'<node id="{i}" lat="{lat}" lon="{lon}"/>' for i, lat, lon in nodes]
    for w, refs in enumerate(ways):
        nds = "".join(f'<nd ref="{r}"/>' for r in refs)
        tag_xml = "".join(f'<tag k="{k}" v="{v}"/>' for k, v in zip(tags, values))
        lines.append(f'<way id="{100 + w}">{nds}<tag k="highway" v="footway"/>{tag_xml}</way>')
    text = "\n".join(lines) + "\n</osm>"
    cut = draw(st.one_of(st.none(), st.integers(0, len(text))))
    return text if cut is None else text[:cut]


json_values = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=5,
)
overpass_element = st.fixed_dictionaries(
    {"type": st.sampled_from(["node", "way", "relation", "area", 3]), "id": json_values},
    optional={
        "lat": json_values,
        "lon": json_values,
        "nodes": json_values,
        "geometry": json_values,
        "tags": json_values,
        "center": json_values,
    },
)


def check_osm(path: Path) -> None:
    try:
        data = read_osm(path)
    except AccessibilityError:
        return
    for node in data.nodes.values():  # what is kept is on the globe, or has no coordinates
        if node.lon is not None:
            assert -180 <= node.lon <= 180 and -90 <= node.lat <= 90


@FUZZ
@given(osm_xml())
def test_osm_xml_reader(text):
    check_osm(written(text, ".osm"))


@settings(FUZZ, max_examples=40)
@given(st.lists(overpass_element, max_size=4), st.booleans())
def test_overpass_json_reader(elements, wrap):
    check_osm(written(json.dumps({"elements": elements} if wrap else elements), ".json"))


@FUZZ
@given(st.binary(max_size=400))
def test_osm_reader_on_any_bytes(content):
    check_osm(written(content, ".osm.pbf"))


# --- survey files ---------------------------------------------------------------------------

cells = st.one_of(
    st.sampled_from(
        [
            "gradini",
            "cordolo",
            "45.1335",
            "10.0242",
            "03/05/2025",
            "nan",
            "inf",
            "1e999",
            '"',
            '""',
            "sì",
            "-0",
            "",
            " ",
            "=1+1",
            "\x00",
            "\x1b[2J",
            "31/02/2025",
        ]
    ),
    st.text(max_size=12),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)
headers = st.lists(
    st.sampled_from(
        [
            "id",
            "tipo",
            "lat",
            "lon",
            "x",
            "y",
            "crs",
            "data",
            "descrizione",
            "altezza_cordolo_cm",
            "larghezza_cm",
            "pendenza",
            "gradini_n",
            "temporaneo",
            "scadenza",
            "gravita",
            "foto",
            "zzz",
        ]
    ),
    min_size=1,
    max_size=8,
    unique=True,
)


@st.composite
def survey_csv(draw) -> bytes:
    head = draw(headers)
    sep = draw(st.sampled_from([";", ",", "\t"]))
    rows = draw(st.lists(st.lists(cells, min_size=len(head), max_size=len(head) + 1), max_size=8))
    quote = draw(st.booleans())
    text = sep.join(head) + "\n" + "\n".join(sep.join(f'"{c}"' if quote else c for c in row) for row in rows)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]))
    return text.encode(encoding, errors="replace")


@pytest.fixture(scope="module")
def grid():
    from survey_fixtures import grid_city

    return grid_city()


@FUZZ
@given(survey_csv())
def test_survey_reader_and_validation(grid, content):
    import datetime as dt

    from accessibility.surveys.validate import validate

    try:
        table = read_survey_file(written(content, ".csv"))
    except AccessibilityError:
        return
    result = validate(table, grid.area, grid.network, "fuzz", dt.date(2026, 1, 1))
    assert len(result.accepted) + len(result.rejected_rows) + len(result.already_stored) <= len(table.rows)
    for report in result.accepted:  # every accepted number is finite and every place on the globe
        for key in ("lon", "lat", "kerb_height_cm", "width_cm", "incline_pct", "length_m"):
            assert report.get(key) is None or math.isfinite(report[key])
    for reject in result.rejects:
        assert str(reject.reason)


@FUZZ
@given(st.binary(max_size=300), st.sampled_from([".csv", ".xlsx", ".geojson", ".gpkg"]))
def test_survey_reader_on_any_bytes(content, suffix):
    try:
        read_survey_file(written(content, suffix))
    except AccessibilityError:
        pass


# --- registries -----------------------------------------------------------------------------

MAPPING = 'category = "pharmacy"\nname = ["NOME"]\n[coordinates]\nlat = "LAT"\nlon = "LON"\n'


@FUZZ
@given(st.lists(st.tuples(cells, cells, cells), max_size=8), st.sampled_from([";", ","]))
def test_registry_reader(rows, sep):
    text = sep.join(["NOME", "LAT", "LON"]) + "\n" + "\n".join(sep.join(r) for r in rows)
    try:
        registry = read_registry(written(text, ".csv"), written(MAPPING, ".toml"))
    except AccessibilityError:
        return
    bounds = registry.facilities.total_bounds
    assert all(math.isfinite(b) for b in bounds)


toml_scalars = st.one_of(
    st.integers(-5, 5).map(str),
    st.sampled_from(["inf", "nan", "true", '"x"', "[]", '["NOME"]', "{}", "[1, 2]"]),
    st.text(alphabet="abcLATNOME", max_size=5).map(json.dumps),
)


@FUZZ
@given(
    st.dictionaries(st.sampled_from(["category", "name", "id", "address", "wheelchair", "source"]), toml_scalars),
    st.dictionaries(st.sampled_from(["lat", "lon", "x", "y", "crs", "region"]), toml_scalars),
    st.booleans(),
)
def test_registry_mapping_reader(top, coordinates, as_table):
    lines = [f"{k} = {v}" for k, v in top.items()]
    if as_table:
        lines += ["[coordinates]"] + [f"{k} = {v}" for k, v in coordinates.items()]
    else:
        lines.append(f"coordinates = {json.dumps(str(coordinates))}")
    try:
        read_mapping(written("\n".join(lines) + "\n", ".toml"))
    except AccessibilityError:
        pass


# --- the value parser -------------------------------------------------------------------------


@FUZZ
@given(st.sampled_from(sorted(PLAUSIBLE)), st.text(max_size=16) | numbers_as_text)
def test_tag_values_are_plausible_or_unknown(key, raw):
    value, problem = parse_tag(key, raw)
    if value is not None:
        assert math.isfinite(value) and abs(value) <= PLAUSIBLE[key][0]
    assert problem is None or str(problem)


@FUZZ
@given(st.one_of(st.text(max_size=16), numbers_as_text, st.floats(allow_nan=True, allow_infinity=True)))
def test_cell_numbers_are_finite_or_refused(value):
    try:
        assert math.isfinite(parse_number(value))
    except ValueError:
        pass
