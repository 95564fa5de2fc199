"""Reading survey files: encodings, separators, column names, formats, real Lombardy CSVs."""

from __future__ import annotations

import datetime as dt

import pytest
from shapely import box

from accessibility.coordinates import locate
from accessibility.errors import SurveyError
from accessibility.sources.surveys import decode_text, map_columns, normalise_name, read_survey_file, sniff_delimiter
from accessibility.values import parse_number
from survey_fixtures import LOMBARDIA, SURVEYS, node_ll

#: Regione Lombardia, roughly (lon 8.49-11.43, lat 44.68-46.64): wide enough for every
#: hospital of the registry, far from where the swapped numbers land (lon 45, lat 9).
LOMBARDY_BBOX = box(8.45, 44.65, 11.45, 46.65)


def test_decoding_bom_utf8_cp1252():
    assert decode_text("città".encode()) == ("città", "utf-8")
    assert decode_text(b"\xef\xbb\xbfcitt\xc3\xa0") == ("città", "utf-8-sig")
    assert decode_text("città – via".encode("cp1252")) == ("città – via", "cp1252")


@pytest.mark.parametrize(
    "header, sep", [("a;b;c", ";"), ("a,b,c", ","), ('"a;x",b,c', ","), ("a\tb", "\t"), ("a", ",")]
)
def test_delimiter_from_header(header, sep):
    assert sniff_delimiter(header) == sep


def test_column_names_italian_and_english():
    mapping, ignored = map_columns(["Data rilievo", "TIPO", "Gravità", "Latitudine", "lon", "colore"])
    assert mapping == {
        "Data rilievo": "surveyed_on",
        "TIPO": "kind",
        "Gravità": "severity",
        "Latitudine": "lat",
        "lon": "lon",
    }
    assert ignored == ["colore"]
    assert normalise_name(" Altezza-cordolo (cm) ") == "altezza_cordolo_cm"
    with pytest.raises(SurveyError, match="'tipo' and 'kind' both mean 'kind'"):
        map_columns(["tipo", "kind"])


def test_semicolon_decimal_comma():
    t = read_survey_file(SURVEYS / "good_semicolon_comma.csv")
    assert (t.delimiter, t.encoding, len(t.rows)) == (";", "utf-8", 3)
    assert t.rows[0]["kerb_height_cm"] == "12,5" and parse_number(t.rows[0]["kerb_height_cm"]) == 12.5
    assert t.row_numbers == [2, 3, 4]


def test_bom_and_cp1252():
    bom = read_survey_file(SURVEYS / "bom_utf8.csv")
    assert bom.encoding == "utf-8-sig" and bom.headers[0] == "kind"  # no BOM glued to the header
    assert bom.rows[0]["description"] == "Pavimentazione dissestata, più di 2 cm"
    cp = read_survey_file(SURVEYS / "cp1252.csv")
    assert cp.encoding == "cp1252" and cp.rows[0]["description"] == "Via Garibaldi – lavori in corso, città"


def test_xlsx_keeps_cell_types():
    t = read_survey_file(SURVEYS / "reports.xlsx")
    assert t.format == "xlsx" and len(t.rows) == 3
    assert t.rows[0]["surveyed_on"] == dt.datetime(2025, 5, 8) and t.rows[0]["width_cm"] == 75
    assert t.rows[1]["surveyed_on"] == "08/05/2025"
    assert "step_count" not in t.rows[2]  # empty cell left out


def test_geojson_and_gauss_boaga_geopackage():
    gj = read_survey_file(SURVEYS / "reports.geojson")
    lat, lon = node_ll(1, 0)
    assert gj.rows[0]["lon"] == pytest.approx(lon) and gj.rows[0]["lat"] == pytest.approx(lat)
    assert gj.rows[1]["geometry_error"] == "LineString"
    gp = read_survey_file(SURVEYS / "reports.gpkg")
    assert "3003" in gp.crs
    assert gp.rows[0]["lon"] == pytest.approx(lon, abs=1e-6) and gp.rows[0]["lat"] == pytest.approx(lat, abs=1e-6)


def test_unknown_suffix_and_missing_file(tmp_path):
    (tmp_path / "a.doc").write_text("x")
    with pytest.raises(SurveyError, match="unknown survey file type"):
        read_survey_file(tmp_path / "a.doc")
    with pytest.raises(FileNotFoundError):
        read_survey_file(tmp_path / "missing.csv")


def _located(table, area):
    out = []
    for row in table.rows:
        found = locate(parse_number(row["lon"]), parse_number(row["lat"]), 4326, area, geographic=True)
        out.append(found)
    return out


def test_real_hospitals_file_has_swapped_coordinates():
    """The Lombardy hospital registry puts latitude in "COORDINATA GEOGRAFICA X": read as
    the headers claim (X = lon), every hospital lands outside Lombardy but inside it the
    other way round, so the swap is detected."""
    t = read_survey_file(
        LOMBARDIA / "Georeferenziazione_strutture_20260215.csv",
        columns={
            "COORDINATA GEOGRAFICA X": "lon",
            "COORDINATA GEOGRAFICA Y": "lat",
            "DESCRIZIONE STRUTTURA DI RICOVERO": "description",
        },
    )
    assert len(t.rows) == 212 and t.delimiter == ","
    found = _located(t, LOMBARDY_BBOX)
    swapped = [f for f in found if not isinstance(f, str) and f.swapped]
    assert len(swapped) == len(found) == 212
    assert all(44.6 < f.lat < 46.7 and 8.4 < f.lon < 11.5 for f in swapped)


def test_real_pharmacies_and_schools_are_not_swapped():
    farmacie = read_survey_file(LOMBARDIA / "cremona_farmacie_20260215.csv")
    assert farmacie.mapping["LATITUDINE"] == "lat"
    found = _located(farmacie, LOMBARDY_BBOX)
    assert len(found) == 21 and all(not isinstance(f, str) and not f.swapped for f in found)
    scuole = read_survey_file(LOMBARDIA / "cremona_scuole_20260215.csv", columns={"coorX": "lon", "coorY": "lat"})
    found = _located(scuole, LOMBARDY_BBOX)
    assert len(found) == 61 and all(not isinstance(f, str) and not f.swapped for f in found)
