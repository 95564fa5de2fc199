"""Regenerate the survey test files of this folder. Run from the repository root::

    .venv/bin/python tests/data/surveys/make_files.py

``cremona_grid.osm`` is a SYNTHETIC pedestrian network (invented ids, not OpenStreetMap
data): a 4 x 4 grid of footways about 55 m apart in the centre of Cremona, with a raised
kerb (node 1011), a lowered kerb (1012), a crossing without kerb data (1021) and a flight
of steps (way 2103). The survey files place reports on it; each messy file or row has
one failure mode, named in ``messy_rows.csv``'s ``descrizione`` column.
"""

from __future__ import annotations

from pathlib import Path

from pyproj import Transformer

HERE = Path(__file__).resolve().parent
LAT0, LON0, DLAT, DLON = 45.1330, 10.0235, 0.0005, 0.0007


def node_ll(i: int, j: int) -> tuple[float, float]:
    return round(LAT0 + i * DLAT, 7), round(LON0 + j * DLON, 7)


def write_osm() -> None:
    tags = {1011: {"barrier": "kerb", "kerb": "raised"}, 1012: {"barrier": "kerb", "kerb": "lowered"},
            1021: {"highway": "crossing", "crossing": "uncontrolled"}}
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="make_files.py (synthetic)">']
    for i in range(4):
        for j in range(4):
            nid = 1000 + 10 * i + j
            lat, lon = node_ll(i, j)
            inner = "".join(f'<tag k="{k}" v="{v}"/>' for k, v in tags.get(nid, {}).items())
            lines.append(f'  <node id="{nid}" lat="{lat}" lon="{lon}">{inner}</node>')
    for i in range(4):
        refs = "".join(f'<nd ref="{1000 + 10 * i + j}"/>' for j in range(4))
        lines.append(f'  <way id="{2000 + i}">{refs}<tag k="highway" v="footway"/><tag k="name" v="Via Prova {i}"/></way>')
    for j in range(4):
        refs = "".join(f'<nd ref="{1000 + 10 * i + j}"/>' for i in range(4))
        extra = '<tag k="highway" v="steps"/><tag k="step_count" v="4"/>' if j == 3 else '<tag k="highway" v="footway"/>'
        lines.append(f'  <way id="{2100 + j}">{refs}{extra}<tag k="name" v="Vicolo {j}"/></way>')
    lines.append("</osm>")
    (HERE / "cremona_grid.osm").write_text("\n".join(lines) + "\n", encoding="utf-8")


def it(x: float) -> str:
    """A number as an Italian spreadsheet writes it (decimal comma)."""
    return str(x).replace(".", ",")


def write_csvs() -> None:
    lat22, lon22 = node_ll(2, 2)   # no OSM barrier here
    lat11, lon11 = node_ll(1, 1)   # OSM raised kerb
    lat_mid, lon_mid = LAT0 + 0.00003, LON0 + DLON / 2  # 3 m off the middle of an edge
    head = "id;tipo;altezza_cordolo_cm;larghezza_cm;gravita;latitudine;longitudine;indirizzo;descrizione;rilevatore;data_rilievo;temporaneo;scadenza"
    good = [head,
            f"A1;cordolo;12,5;;4;{it(lat22)};{it(lon22)};Via Prova 2;Cordolo alto senza scivolo;Anna Bianchi;03/05/2025;no;",
            f"A2;scivolo;1;;;{it(lat11)};{it(lon11)};Via Prova 1;Scivolo rifatto nel 2024;Anna Bianchi;03/05/2025;;",
            f"A3;cantiere;;60;5;{it(lat_mid)};{it(lon_mid)};Via Prova 0;Ponteggio;Anna Bianchi;04/05/2025;sì;30/06/2099"]
    (HERE / "good_semicolon_comma.csv").write_text("\n".join(good) + "\n", encoding="utf-8")

    lat, lon = node_ll(3, 2)
    bom = ["kind,kerb_height_cm,lat,lon,street,description,date",
           f'bad_surface,,{lat},{lon},Via Prova 3,"Pavimentazione dissestata, più di 2 cm",2025-05-06']
    (HERE / "bom_utf8.csv").write_bytes(b"\xef\xbb\xbf" + ("\r\n".join(bom) + "\r\n").encode("utf-8"))

    lat, lon = node_ll(0, 3)
    cp = ["tipo;latitudine;longitudine;descrizione;data",
          f"ostacolo;{it(lat)};{it(lon)};Via Garibaldi – lavori in corso, città;07/05/2025"]
    (HERE / "cp1252.csv").write_bytes(("\r\n".join(cp) + "\r\n").encode("cp1252"))

    lat33, lon33 = node_ll(3, 3)
    lat20, lon20 = node_ll(2, 0)
    near_lat = lat20 + 0.00002  # 2 m from the row before it
    rows = [head,
            f"M1;ascensore_rotto;;;;{it(lat20)};{it(lon20)};;tipo sconosciuto;;03/05/2025;;",          # 2 bad kind
            f"M2;cordolo;10;;;{it(lat20)};{it(lon20)};;data illeggibile;;ieri;;",                      # 3 bad date
            f"M3;cordolo;10;;;{it(lat20)};{it(lon20)};;data inesistente;;31/02/2025;;",                # 4 impossible date
            f"M4;cordolo;10;;;{it(lat20)};{it(lon20)};;data futura;;01/01/2999;;",                     # 5 future date
            f"M5;cordolo;250;;;{it(lat20)};{it(lon20)};;altezza fuori intervallo;;03/05/2025;;",       # 6 out of range
            f"M6;cordolo;10;;7;{it(lat20)};{it(lon20)};;gravità fuori intervallo;;03/05/2025;;",       # 7 severity
            "M7;cordolo;10;;;;;;posizione mancante;;03/05/2025;;",                                    # 8 no location
            "M8;cordolo;10;;;45,4642;9,19;;posizione a Milano;;03/05/2025;;",                        # 9 out of area
            f"M9;strettoia;;70;;{it(lon33)};{it(lat33)};;lat/lon invertite;;03/05/2025;;",            # 10 swapped: accepted
            f";;10;;;{it(lat20)};{it(lon20)};;tipo mancante;;03/05/2025;;",                           # 11 missing kind
            f"M11;strettoia;;largo;;{it(lat20)};{it(lon20)};;larghezza non numerica;;03/05/2025;;",   # 12 not a number
            f"M12;cantiere;;;;{it(lat20)};{it(lon20)};;temporaneo senza scadenza;;03/05/2025;sì;",     # 13 no expiry
            f"M13;cantiere;;;;{it(lat20)};{it(lon20)};;scadenza prima del rilievo;;03/05/2025;sì;01/05/2025",  # 14
            f"M14;ostacolo;;80;;{it(lat20)};{it(lon20)};;<script>alert(1)</script>;;03/05/2025;;",    # 15 accepted as is
            f"M14;ostacolo;;80;;{it(lat20)};{it(lon20)};;<script>alert(1)</script>;;03/05/2025;;",    # 16 duplicate row
            f"M16;ostacolo;;85;;{it(near_lat)};{it(lon20)};;a 2 m dalla riga 15;;03/05/2025;;",       # 17 near: flagged
            f"M17;gradini;;;;{it(lat20 + 0.01)};{it(lon20)};;fuori rete a 1 km;;03/05/2025;;",       # 18 off network
            ]
    (HERE / "messy_rows.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")

    to_gb = Transformer.from_crs(4326, 3003, always_xy=True)
    to_utm = Transformer.from_crs(4326, 32632, always_xy=True)
    lat, lon = node_ll(1, 3)
    x, y = to_gb.transform(lon, lat)
    ux, uy = to_utm.transform(lon, lat)
    gb = ["tipo;x;y;crs;data;descrizione",
          f"gradini;{it(round(x, 2))};{it(round(y, 2))};EPSG:3003;05/05/2025;Gauss-Boaga con CRS",
          f"pendenza;{it(round(x + 1, 2))};{it(round(y, 2))};;05/05/2025;Gauss-Boaga senza CRS (dedotto)",
          f"strettoia;{it(round(ux, 2))};{it(round(uy, 2))};32632;05/05/2025;UTM 32N",
          f"strettoia;{it(round(ux + 1, 2))};{it(round(uy + 1, 2))};7791;05/05/2025;RDN2008 UTM 32N",
          f"strettoia;{it(round(ux, 2))};{it(round(uy, 2))};25832;05/05/2025;CRS non gestito"]
    (HERE / "gauss_boaga.csv").write_text("\n".join(gb) + "\n", encoding="utf-8")


def write_geo() -> None:
    import datetime as dt

    import geopandas as gpd
    import openpyxl
    from shapely import LineString, Point

    lat, lon = node_ll(0, 2)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Segnalazioni"
    ws.append(["Tipo", "Larghezza (cm)", "Latitudine", "Longitudine", "Data rilievo", "Descrizione", "Gravità"])
    ws.append(["strettoia", 75, lat, lon, dt.datetime(2025, 5, 8), "Fioriera sul marciapiede", 3])
    ws.append(["strettoia", 75.5, lat + 0.00002, lon, "08/05/2025", "Stessa fioriera, da un altro rilevatore", 3])
    ws.append(["gradini", None, lat, lon, dt.datetime(2025, 5, 8), "senza data di scadenza ma con gravità 9", 9])
    wb.save(HERE / "reports.xlsx")

    lat1, lon1 = node_ll(1, 0)
    lat2, lon2 = node_ll(1, 1)
    frame = gpd.GeoDataFrame(
        {"kind": ["raised_kerb", "steps"], "kerb_height_cm": [8.0, None], "date": ["2025-05-09", "2025-05-09"],
         "description": ["GeoJSON point", "a line is not a point"]},
        geometry=[Point(lon1, lat1), LineString([(lon1, lat1), (lon2, lat2)])], crs=4326)
    path = HERE / "reports.geojson"
    path.unlink(missing_ok=True)
    frame.to_file(path, driver="GeoJSON")
    gpkg = frame.iloc[:1].copy()
    gpkg["description"] = ["GeoPackage point in Gauss-Boaga"]
    gpkg = gpkg.to_crs(3003)
    path = HERE / "reports.gpkg"
    path.unlink(missing_ok=True)
    gpkg.to_file(path, driver="GPKG", layer="rilievi")


if __name__ == "__main__":
    write_osm()
    write_csvs()
    write_geo()
