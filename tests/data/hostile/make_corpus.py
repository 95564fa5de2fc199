"""Write the hostile-input corpus of this folder: one file per case. Run from the
repository root::

    .venv/bin/python tests/data/hostile/make_corpus.py

Every file is something a careless or hostile user could hand to a command: an OSM file
with a node at ``lat="nan"``, a survey with a 140,000-character cell, a profile file where
a profile is a number, a cost table with ``ramp_slope = 0``, a truncated GeoPackage...
``tests/test_hostile.py`` runs every command against every file and asserts that each
ends in one clear line (or succeeds, listing what it skipped), never a traceback.

``base.osm`` is a SYNTHETIC network (invented ids, not OpenStreetMap data): a 4 x 4 grid
of footways in the centre of Cremona with a pharmacy, and a school whose only way in is
a flight of steps. The files named ``workspace_*`` replace one file of a workspace built
from it (the part between ``workspace_`` and ``--`` names the file).
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
LAT0, LON0, DLAT, DLON = 45.1330, 10.0235, 0.0005, 0.0007


def node_ll(i: int, j: int) -> tuple[float, float]:
    return round(LAT0 + i * DLAT, 7), round(LON0 + j * DLON, 7)


def osm_text(extra_nodes: str = "", extra_ways: str = "", node_attrs: dict[int, str] | None = None) -> str:
    """The base grid; ``node_attrs`` replaces the lat/lon attributes of some nodes."""
    node_attrs = node_attrs or {}
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="make_corpus.py (synthetic)">']
    for i in range(4):
        for j in range(4):
            nid = 1000 + 10 * i + j
            lat, lon = node_ll(i, j)
            attrs = node_attrs.get(nid, f'lat="{lat}" lon="{lon}"')
            lines.append(f'  <node id="{nid}" {attrs}/>')
    # the school's steps: from node 1033 up to its door 1099, nothing else reaches the door
    lat, lon = node_ll(3, 3)
    lines.append(f'  <node id="1099" lat="{lat + 0.00012:.7f}" lon="{lon:.7f}"><tag k="entrance" v="main"/></node>')
    lines.append(f'  <node id="5001" lat="{lat + 0.0002:.7f}" lon="{lon + 0.0001:.7f}"/>')
    lines.append(f'  <node id="5002" lat="{lat + 0.0002:.7f}" lon="{lon - 0.0001:.7f}"/>')
    lines.append(f'  <node id="5003" lat="{lat + 0.00012:.7f}" lon="{lon - 0.0001:.7f}"/>')
    lines.append(f'  <node id="5004" lat="{lat + 0.00012:.7f}" lon="{lon + 0.0001:.7f}"/>')
    plat, plon = node_ll(1, 1)
    lines.append(
        f'  <node id="5000" lat="{plat + 0.0001:.7f}" lon="{plon + 0.0001:.7f}">'
        '<tag k="amenity" v="pharmacy"/><tag k="name" v="Farmacia Centrale"/></node>'
    )
    lines.append(extra_nodes)
    for i in range(4):
        refs = "".join(f'<nd ref="{1000 + 10 * i + j}"/>' for j in range(4))
        lines.append(f'  <way id="{2000 + i}">{refs}<tag k="highway" v="footway"/><tag k="name" v="Via Prova {i}"/></way>')
    for j in range(4):
        refs = "".join(f'<nd ref="{1000 + 10 * i + j}"/>' for i in range(4))
        lines.append(f'  <way id="{2100 + j}">{refs}<tag k="highway" v="footway"/><tag k="name" v="Vicolo {j}"/></way>')
    lines.append('  <way id="2200"><nd ref="1033"/><nd ref="1099"/><tag k="highway" v="steps"/><tag k="step_count" v="6"/></way>')
    lines.append(
        '  <way id="2300"><nd ref="5003"/><nd ref="1099"/><nd ref="5004"/><nd ref="5001"/><nd ref="5002"/><nd ref="5003"/>'
        '<tag k="amenity" v="school"/><tag k="building" v="school"/><tag k="name" v="Scuola sui gradini"/></way>'
    )
    lines.append(extra_ways)
    lines.append("</osm>")
    return "\n".join(lines) + "\n"


SURVEY_HEAD = "id;tipo;lat;lon;data;descrizione\n"


def write(name: str, content: str | bytes) -> None:
    path = HERE / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")


def main() -> None:
    for old in HERE.iterdir():
        if old.name != Path(__file__).name and old.suffix != ".py":
            old.unlink()
    base = osm_text()
    write("base.osm", base)

    # --- OSM files (build --osm) -------------------------------------------------------
    write("osm_lat_nan.osm", osm_text(node_attrs={1000: 'lat="nan" lon="10.0235"'}))
    write("osm_lon_inf.osm", osm_text(node_attrs={1001: 'lat="45.133" lon="inf"'}))
    write("osm_lat_out_of_range.osm", osm_text(node_attrs={1000: 'lat="95.0" lon="10.0235"'}))
    write("osm_lon_out_of_range.osm", osm_text(node_attrs={1002: 'lat="45.133" lon="-720.5"'}))
    write(
        "osm_implausible_values.osm",
        osm_text(
            extra_ways='  <way id="2400"><nd ref="1000"/><nd ref="1098"/><nd ref="1011"/><tag k="highway" v="footway"/>'
            '<tag k="width" v="999999999999"/><tag k="incline" v="89°"/></way>\n'
            '  <way id="2401"><nd ref="1001"/><nd ref="1012"/><tag k="highway" v="steps"/>'
            '<tag k="step_count" v="999999999999"/></way>',
            extra_nodes='  <node id="1098" lat="45.1332" lon="10.0236"><tag k="barrier" v="kerb"/>'
            '<tag k="kerb:height" v="10 km"/></node>',
        ),
    )
    write("osm_truncated.osm", base[: len(base) // 2])
    write("osm_empty.osm", "")
    write("osm_binary.osm.pbf", bytes(range(256)) * 8)
    write("osm_not_osm_root.osm", '<?xml version="1.0"?><html><body>hello</body></html>')
    write("osm_bad_id.osm", base.replace('<node id="1000"', '<node id="mille"'))
    write("osm_json_bad_element.json", json.dumps({"elements": [{"type": "node", "id": 1, "lat": "x", "lon": 3}]}))
    write("osm_json_nan.json", '{"elements": [{"type": "node", "id": 1, "lat": NaN, "lon": 10.0}]}')
    write("osm_json_not_overpass.json", json.dumps([1, 2, 3]))
    write("osm_no_walkable_way.osm", '<?xml version="1.0"?><osm version="0.6"><node id="1" lat="45" lon="10"/></osm>')
    write(
        "osm_entities.osm",
        '<?xml version="1.0"?><!DOCTYPE osm [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
        '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]><osm version="0.6"><node id="1" lat="45" lon="10">'
        '<tag k="name" v="&c;"/></node></osm>',
    )
    write("osm_gzip_truncated.osm.gz", b"\x1f\x8b\x08\x00" + b"\x00" * 40)

    # --- boundaries (build --osm base.osm --boundary) --------------------------------
    write("boundary_not_geojson.geojson", "{ this is not json")
    write("boundary_points_only.geojson", json.dumps(
        {"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [10.02, 45.13]}}]}))

    # --- survey files (survey import) -------------------------------------------------
    lat, lon = node_ll(1, 1)
    good_row = f"R1;gradini;{lat};{lon};03/05/2025;ok\n"
    write("survey_huge_cell.csv", SURVEY_HEAD + f"R1;gradini;{lat};{lon};03/05/2025;{'x' * 140_000}\n")
    write("survey_utf16_no_bom.csv", (SURVEY_HEAD + good_row).encode("utf-16-le"))
    write("survey_binary.csv", bytes(range(256)) * 16)
    write("survey_unterminated_quote.csv", SURVEY_HEAD + f'R1;gradini;{lat};{lon};03/05/2025;"aperta\n' + good_row)
    write("survey_empty.csv", "")
    write("survey_only_blank_lines.csv", "\n\n  \n")
    write("survey_no_known_column.csv", "alpha;beta\n1;2\n")
    write("survey_duplicate_columns.csv", "tipo;kind;lat;lon;data\ngradini;steps;45.1335;10.0242;03/05/2025\n")
    write("survey_nan_coordinates.csv", SURVEY_HEAD + "R1;gradini;nan;inf;03/05/2025;x\nR2;gradini;1e999;10;03/05/2025;x\n")
    write("survey_not_xlsx.xlsx", b"PK\x03\x04 this is not a zip")
    write("survey_not_gpkg.gpkg", b"SQLite format 3\x00" + b"\x00" * 100)
    write("survey_not_geojson.geojson", '{"type": "FeatureCollection", "features": [')
    write("survey_unknown_type.docx", "hello")
    write("survey_formula_and_controls.csv", SURVEY_HEAD + f"R1;gradini;{lat};{lon};03/05/2025;=1+1 \x1b[2J\n")

    # --- profile files (route --profile-file) ----------------------------------------
    profile = (Path(__file__).resolve().parents[3] / "data" / "profiles.toml").read_text(encoding="utf-8")
    write("profile_wrong_type.toml", "walk = 5\n")
    write("profile_speed_inf.toml", profile.replace("speed_mps = 1.3", "speed_mps = inf"))
    write("profile_speed_nan.toml", profile.replace("speed_mps = 1.3", "speed_mps = nan"))
    write("profile_max_steps_negative.toml", profile.replace("max_steps = 100000", "max_steps = -5"))
    write("profile_text_for_number.toml", profile.replace("speed_mps = 1.3", 'speed_mps = "veloce"'))
    write("profile_list_is_text.toml", profile.replace("surfaces_block = []", 'surfaces_block = "gravel"', 1))
    write("profile_not_toml.toml", "[walk\nspeed_mps = ")
    write("profile_empty.toml", "")

    # --- cost tables (plan --costs) ---------------------------------------------------
    costs = (Path(__file__).resolve().parents[3] / "data" / "costs.toml").read_text(encoding="utf-8")
    write("costs_ramp_slope_zero.toml", costs.replace("ramp_slope = 0.08", "ramp_slope = 0"))
    write("costs_text_for_number.toml", costs.replace("step_rise_m = 0.16", 'step_rise_m = "sedici"'))
    write("costs_euro_text.toml", costs.replace("euro = 1500.0", 'euro = "tanti"'))
    write("costs_kinds_is_number.toml", costs[: costs.index("\n[kinds.steps]")].replace("[defaults]", "kinds = 5\n\n[defaults]"))
    write("costs_step_rise_negative.toml", costs.replace("step_rise_m = 0.16", "step_rise_m = -0.16"))
    write("costs_euro_inf.toml", costs.replace("euro = 1500.0", "euro = inf"))
    write("costs_not_toml.toml", "[defaults\n")

    # --- population tables (audit/plan --population) ----------------------------------
    write("population_not_numbers.csv", "age,F,M,tot\n0,10,10,abc\n")
    write("population_binary.csv", bytes(range(256)) * 8)
    write("population_empty.csv", "")
    write("population_no_columns.csv", "x,y\n1,2\n")
    write("population_negative.csv", "age,F,M,tot\n0,10,10,-20\n")
    write("population_nan.csv", "age,F,M,tot\n0,10,10,nan\n")

    # --- registries (audit --registry FILE --registry-map MAP) -------------------------
    write("registrymap_ok.toml", 'category = "pharmacy"\nname = ["NOME"]\n[coordinates]\nlat = "LAT"\nlon = "LON"\n')
    write("registrymap_bad_category.toml", 'category = "casino"\nname = ["NOME"]\n[coordinates]\nlat = "LAT"\nlon = "LON"\n')
    write("registrymap_name_is_number.toml", 'category = "pharmacy"\nname = 5\n[coordinates]\nlat = "LAT"\nlon = "LON"\n')
    write("registrymap_coordinates_is_text.toml", 'category = "pharmacy"\nname = ["NOME"]\ncoordinates = "LAT,LON"\n')
    write("registrymap_region_text.toml",
          'category = "pharmacy"\nname = ["NOME"]\n[coordinates]\nlat = "LAT"\nlon = "LON"\nregion = "nord"\n')
    write("registry_binary.csv", bytes(range(256)) * 8)
    write("registry_missing_columns.csv", "A;B\n1;2\n")
    write("registry_nan_coordinates.csv", "NOME;LAT;LON\nFarmacia;nan;inf\n")
    write("registry_unterminated_quote.csv", 'NOME;LAT;LON\n"Farmacia;45.1;10.0\n')

    # --- neighbourhoods (audit --areas) -----------------------------------------------
    write("areas_not_geojson.geojson", "<html>")
    write("areas_points.geojson", json.dumps(
        {"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [10.02, 45.13]}}]}))

    # --- damaged workspace files (replace one file of a built workspace) --------------
    write("workspace_network.gpkg--truncated", b"SQLite format 3\x00" + b"\x10\x00\x01\x01" + b"\x00" * 200)
    write("workspace_network.gpkg--empty", b"")
    write("workspace_city.json--missing_layer", "MISSING_LAYER")  # the test adds a layer to the real city.json
    write("workspace_city.json--garbage", "{ not json")
    write("workspace_city.json--list", "[1, 2]")
    write("workspace_surveys.gpkg--not_a_database", "this is not a database\n" * 10)
    write("workspace_tag_problems.csv--binary", bytes(range(256)) * 4)


if __name__ == "__main__":
    main()
