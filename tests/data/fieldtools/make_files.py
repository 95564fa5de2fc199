"""Regenerate the field-tool export files of this folder. Run from the repository root::

    .venv/bin/python tests/data/fieldtools/make_files.py

Each file is shaped as the tool writes its export of the project's own form
(``data/scheda_rilievo.xlsx``: questions ``tipo``, ``posizione`` (geopoint), ``foto`` ...),
with reports placed on the synthetic Cremona grid of ``tests/data/surveys``. Every file
has good rows and messy ones; each messy row says in its ``descrizione`` what is wrong.

- ``kobo.csv``: KoboToolbox CSV export (formpack): ``;``, every value quoted, the geopoint
  as ``posizione`` ("lat lon alt precision") and ``_posizione_latitude`` ...
  ``_posizione_precision``, ``foto`` and ``foto_URL``, then ``_id``, ``_uuid``,
  ``_submission_time``, ``_validation_status``, ``_notes``, ``_status``,
  ``_submitted_by``, ``__version__``, ``_tags``, ``_index``. ``kobo_media/`` is its media
  download: ``<user>/attachments/<form uid>/<submission uuid>/<file>``.
- ``kobo.xlsx``: a later KoboToolbox XLSX export of the same form: the rows of the CSV
  and one new submission (group ``dati/`` kept in the headers, as "include groups" does).
- ``odk_central/``: what ODK Central's "all data and media" zip holds: the CSV (``,``,
  group-prefixed names ``rilievo-posizione-Latitude``, ``SubmissionDate``, ``KEY``,
  ``ReviewState`` ...) and ``media/``. The tests zip it as Central does.
- ``google_form.csv``: a Google Form's responses (Italian account): the question titles
  as headers, ``Informazioni cronologiche`` first, the position typed as text.
- ``qfield/rilievo.gpkg``: the QField template filled in on a phone, photos at paths
  relative to the project (``DCIM/...``).
"""

from __future__ import annotations

import csv
import io
import sqlite3
from pathlib import Path

import geopandas as gpd
from PIL import Image
from shapely import Point

HERE = Path(__file__).resolve().parent
LAT0, LON0, DLAT, DLON = 45.1330, 10.0235, 0.0005, 0.0007  # the grid of tests/data/surveys


def node_ll(i: float, j: float) -> tuple[float, float]:
    return round(LAT0 + i * DLAT, 7), round(LON0 + j * DLON, 7)


def jpeg(colour: tuple[int, int, int], gps: bool = True) -> bytes:
    """A tiny photo, with the phone's position in its EXIF as phones write it."""
    image = Image.new("RGB", (24, 16), colour)
    exif = Image.Exif()
    if gps:
        exif.get_ifd(0x8825).update({1: "N", 2: (45.0, 8.0, 0.0), 3: "E", 4: (10.0, 1.0, 0.0)})
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=70, exif=exif.tobytes())
    return out.getvalue()


# --- KoboToolbox ------------------------------------------------------------------------------

KOBO_HEAD = [
    "start", "end", "username", "deviceid", "tipo", "posizione", "_posizione_latitude", "_posizione_longitude",
    "_posizione_altitude", "_posizione_precision", "altezza_cordolo_cm", "larghezza_cm", "pendenza_pct", "gradini",
    "lunghezza_m", "gravita", "superficie", "via", "descrizione", "temporaneo", "scadenza", "foto", "foto_URL",
    "foto_2", "foto_2_URL", "foto_3", "foto_3_URL", "codice_barriera", "rilevatore", "data_rilievo", "_id", "_uuid",
    "_submission_time", "_validation_status", "_notes", "_status", "_submitted_by", "__version__", "_tags", "_index",
]  # fmt: skip
KOBO_UUIDS = [
    "6f1c2a9e-3b1d-4c55-9a61-0c1f4b7e2d01",
    "6f1c2a9e-3b1d-4c55-9a61-0c1f4b7e2d02",
    "6f1c2a9e-3b1d-4c55-9a61-0c1f4b7e2d03",
    "6f1c2a9e-3b1d-4c55-9a61-0c1f4b7e2d04",
    "6f1c2a9e-3b1d-4c55-9a61-0c1f4b7e2d05",
    "6f1c2a9e-3b1d-4c55-9a61-0c1f4b7e2d06",
]
ASSET = "aBcDeFgHiJkLmNoPqRsTuV"


def kobo_rows() -> list[dict[str, str]]:
    def row(n: int, **values: str) -> dict[str, str]:
        base = dict.fromkeys(KOBO_HEAD, "")
        base.update(
            start=f"2025-05-03T09:{10 + n:02d}:05.123+02:00",
            end=f"2025-05-03T09:{11 + n:02d}:40.456+02:00",
            username="anna.bianchi",
            deviceid="collect:Xy12Ab34",
            _id=str(401230 + n),
            _uuid=KOBO_UUIDS[n],
            _submission_time=f"2025-05-03T07:{20 + n:02d}:00",
            _validation_status="",
            _status="submitted_via_web",
            _submitted_by="anna.bianchi",
            __version__="vGq8Zt3Wm2kQ",
            _tags="",
            _notes="",
            _index=str(n + 1),
        )
        base.update(values)
        return base

    def geo(lat: float, lon: float, alt: str, acc: str) -> dict[str, str]:
        return {
            "posizione": f"{lat} {lon} {alt} {acc}",
            "_posizione_latitude": str(lat),
            "_posizione_longitude": str(lon),
            "_posizione_altitude": alt,
            "_posizione_precision": acc,
        }

    media = f"https://kf.kobotoolbox.org/api/v2/assets/{ASSET}/data/{{id}}/attachments/{{n}}/"
    steps = node_ll(1.5, 3)  # on the steps of Vicolo 3 (way 2103)
    kerb = node_ll(2, 2)
    return [
        row(
            0,
            tipo="steps",
            **geo(*steps, "48.5", "3.9"),
            gradini="4",
            via="Vicolo 3",
            descrizione="Quattro gradini senza rampa",
            temporaneo="no",
            foto="1714729812345.jpg",
            foto_URL=media.format(id=401230, n=1),
            foto_2="1714729855555.jpg",
            foto_2_URL=media.format(id=401230, n=2),
            rilevatore="Anna Bianchi",
            data_rilievo="2025-05-03",
        ),
        row(
            1,
            tipo="raised_kerb",
            **geo(*kerb, "49.0", "18.5"),
            altezza_cordolo_cm="12.5",
            gravita="4",
            via="Via Prova 2",
            descrizione="Cordolo alto; GPS impreciso (18,5 m)",
            temporaneo="no",
            foto="1714729900000.jpg",
            foto_URL=media.format(id=401231, n=3),
            rilevatore="Anna Bianchi",
            data_rilievo="2025-05-03",
        ),
        row(
            2,
            tipo="obstacle",
            larghezza_cm="60",
            via="Via Prova 0",
            descrizione="messy: posizione non rilevata (geopoint vuoto)",
            temporaneo="no",
            rilevatore="Anna Bianchi",
            data_rilievo="2025-05-03",
        ),
        row(
            3,
            tipo="obstacle",
            **geo(*node_ll(0, 0.5), "48.0", "4.0"),
            larghezza_cm="70",
            descrizione="messy: respinta in KoboToolbox (Not Approved)",
            temporaneo="no",
            rilevatore="Anna Bianchi",
            data_rilievo="2025-05-03",
            _validation_status="Not Approved",
        ),
        row(
            4,
            tipo="crossing_no_tactile",
            **geo(*node_ll(1, 1), "48.2", "2.5"),
            via="Via Prova 1",
            descrizione="messy: data_rilievo vuota, la data viene da start",
            temporaneo="no",
            rilevatore="",
            _submitted_by="bruno.verdi",
            username="bruno.verdi",
        ),
    ]


def write_kobo() -> None:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(KOBO_HEAD)
    for r in kobo_rows():
        writer.writerow([r[h] for h in KOBO_HEAD])
    (HERE / "kobo.csv").write_text(out.getvalue(), encoding="utf-8")
    photos = {
        (KOBO_UUIDS[0], "1714729812345.jpg"): jpeg((200, 40, 40)),
        (KOBO_UUIDS[0], "1714729855555.jpg"): jpeg((40, 200, 40)),
        # 1714729900000.jpg of the second submission is missing from the download
    }
    for (uuid, name), data in photos.items():
        path = HERE / "kobo_media" / "anna_bianchi" / "attachments" / ASSET / uuid / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "scheda_rilievo_barriere"
    grouped = {h: (f"dati/{h}" if h in {"tipo", "gravita", "descrizione", "via"} else h) for h in KOBO_HEAD}
    sheet.append([grouped[h] for h in KOBO_HEAD])
    rows = kobo_rows()
    new = dict(rows[0])
    new.update(
        tipo="narrow_passage",
        posizione="",
        gradini="",
        larghezza_cm="75",
        via="Via Prova 3",
        descrizione="Nuova: marciapiede stretto",
        foto="",
        foto_URL="",
        foto_2="",
        foto_2_URL="",
        _id="401299",
        _uuid=KOBO_UUIDS[5],
        _index="6",
    )
    lat, lon = node_ll(3, 1.5)
    new.update(_posizione_latitude=str(lat), _posizione_longitude=str(lon), _posizione_precision="3.0")
    for r in [*rows, new]:
        values: list[object] = []
        for h in KOBO_HEAD:
            v = r[h]
            if h in {"_posizione_latitude", "_posizione_longitude", "_posizione_precision", "_id"} and v:
                values.append(float(v) if h != "_id" else int(v))
            else:
                values.append(v if v != "" else None)
        sheet.append(values)
    book.save(HERE / "kobo.xlsx")


# --- ODK Central ------------------------------------------------------------------------------

ODK_HEAD = [
    "SubmissionDate", "start", "end", "username", "deviceid", "rilievo-tipo", "rilievo-posizione-Latitude",
    "rilievo-posizione-Longitude", "rilievo-posizione-Altitude", "rilievo-posizione-Accuracy",
    "rilievo-altezza_cordolo_cm", "rilievo-larghezza_cm", "rilievo-pendenza_pct", "rilievo-gradini",
    "rilievo-lunghezza_m", "rilievo-gravita", "superficie", "via", "descrizione", "temporaneo", "scadenza", "foto",
    "foto_2", "foto_3", "codice_barriera", "rilevatore", "data_rilievo", "meta-instanceID", "KEY", "SubmitterID",
    "SubmitterName", "AttachmentsPresent", "AttachmentsExpected", "Status", "ReviewState", "DeviceID", "Edits",
    "FormVersion",
]  # fmt: skip


def write_odk() -> None:
    folder = HERE / "odk_central"
    (folder / "media").mkdir(parents=True, exist_ok=True)
    rows = []

    def row(key: str, **values: str) -> dict[str, str]:
        base = dict.fromkeys(ODK_HEAD, "")
        base.update(
            SubmissionDate="2025-05-04T08:12:44.918Z",
            start="2025-05-04T10:01:02.000+02:00",
            end="2025-05-04T10:03:09.000+02:00",
            username="carla",
            deviceid="collect:Q7w8E9r0",
            KEY=key,
            SubmitterID="12",
            SubmitterName="Carla Neri",
            Status="",
            DeviceID="collect:Q7w8E9r0",
            Edits="0",
            FormVersion="2025050301",
        )
        base["meta-instanceID"] = key
        base.update(values)
        return base

    lat, lon = node_ll(0, 2.5)
    rows.append(
        row(
            "uuid:0d3e7d0c-1c49-4a8e-9a1e-5b8a11f0aa01",
            **{
                "rilievo-tipo": "narrow_passage",
                "rilievo-posizione-Latitude": str(lat),
                "rilievo-posizione-Longitude": str(lon),
                "rilievo-posizione-Altitude": "47.3",
                "rilievo-posizione-Accuracy": "4.8",
                "rilievo-larghezza_cm": "72",
                "rilievo-gravita": "3",
                "via": "Via Prova 0",
                "descrizione": "Dehors che restringe il marciapiede",
                "temporaneo": "no",
                "foto": "1746345662000.jpg",
                "rilevatore": "Carla Neri",
                "data_rilievo": "2025-05-04",
                "AttachmentsPresent": "1",
                "AttachmentsExpected": "1",
                "ReviewState": "approved",
            },
        )
    )
    lat, lon = node_ll(2.5, 0)
    edited = row(
        "uuid:0d3e7d0c-1c49-4a8e-9a1e-5b8a11f0aa02",
        **{
            "rilievo-tipo": "steep_incline",
            "rilievo-posizione-Latitude": str(lat),
            "rilievo-posizione-Longitude": str(lon),
            "rilievo-posizione-Altitude": "47.9",
            "rilievo-posizione-Accuracy": "6.1",
            "rilievo-pendenza_pct": "-9.5",
            "via": "Vicolo 0",
            "descrizione": "messy: modificata in Central (meta-instanceID diverso da KEY)",
            "temporaneo": "no",
            "rilevatore": "Carla Neri",
            "data_rilievo": "2025-05-04",
            "ReviewState": "edited",
            "Edits": "1",
        },
    )
    edited["meta-instanceID"] = "uuid:9b0f5e2a-7777-4d1c-8e8e-1f2f3f4f5f06"
    rows.append(edited)
    lat, lon = node_ll(3, 2.5)
    rows.append(
        row(
            "uuid:0d3e7d0c-1c49-4a8e-9a1e-5b8a11f0aa03",
            **{
                "rilievo-tipo": "obstacle",
                "rilievo-posizione-Latitude": str(lat),
                "rilievo-posizione-Longitude": str(lon),
                "rilievo-posizione-Accuracy": "5.0",
                "rilievo-larghezza_cm": "55",
                "descrizione": "messy: respinta in Central (ReviewState rejected)",
                "temporaneo": "no",
                "rilevatore": "Carla Neri",
                "data_rilievo": "2025-05-04",
                "ReviewState": "rejected",
            },
        )
    )
    rows.append(
        row(
            "uuid:0d3e7d0c-1c49-4a8e-9a1e-5b8a11f0aa04",
            **{
                "rilievo-tipo": "bad_surface",
                "descrizione": "messy: posizione non acquisita (nessun fix GPS)",
                "superficie": "sett",
                "temporaneo": "no",
                "rilevatore": "Carla Neri",
                "data_rilievo": "2025-05-04",
            },
        )
    )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(ODK_HEAD)
    for r in rows:
        writer.writerow([r[h] for h in ODK_HEAD])
    (folder / "scheda_rilievo_barriere.csv").write_text(out.getvalue(), encoding="utf-8")
    (folder / "media" / "1746345662000.jpg").write_bytes(jpeg((40, 40, 200)))


# --- Google Forms -----------------------------------------------------------------------------

GOOGLE_HEAD = [
    "Informazioni cronologiche",
    "Indirizzo email",
    "Tipo di barriera",
    "Posizione (latitudine, longitudine)",
    "Via e numero civico",
    "Altezza del cordolo (cm)",
    "Descrizione",
    "Data del rilievo",
    "Foto",
]


def write_google() -> None:
    lat1, lon1 = node_ll(1, 2)
    lat2, lon2 = node_ll(3, 3)
    rows = [
        [
            "4/5/2025 18.22.10",
            "dario@example.org",
            "Cordolo alto",
            f"{lat1}, {lon1}",
            "Via Prova 1, 12",
            "15",
            "Davanti alla farmacia",
            "04/05/2025",
            "https://drive.google.com/open?id=1AbCdEfGhIjKlMnOpQrStUvWxYz",
        ],
        [
            "4/5/2025 18.30.41",
            "dario@example.org",
            "Gradini",
            f"{str(lat2).replace('.', ',')} {str(lon2).replace('.', ',')}",
            "Vicolo 3",
            "",
            "messy: posizione con la virgola decimale, separata da uno spazio",
            "",
            "",
        ],
        [
            "5/5/2025 09.02.00",
            "elena@example.org",
            "Altro: panchina rotta",
            f"{lat1}, {lon1}",
            "",
            "",
            "messy: tipo scritto a mano, non è una barriera dell'elenco",
            "05/05/2025",
            "",
        ],
        [
            "5/5/2025 09.10.00",
            "elena@example.org",
            "Ostacolo",
            "vicino al bar",
            "Via Prova 2",
            "",
            "messy: posizione scritta a parole",
            "05/05/2025",
            "",
        ],
    ]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(GOOGLE_HEAD)
    writer.writerows(rows)
    (HERE / "google_form.csv").write_text(out.getvalue(), encoding="utf-8")


# --- QField -----------------------------------------------------------------------------------


def write_qfield() -> None:
    folder = HERE / "qfield"
    (folder / "DCIM").mkdir(parents=True, exist_ok=True)
    (folder / "DCIM" / "rilievo_20250506_101500.jpg").write_bytes(jpeg((120, 120, 0)))
    lat1, lon1 = node_ll(2, 1)
    lat2, lon2 = node_ll(0.5, 1)
    records = [
        {
            "tipo": "crossing_no_sound",
            "via": "Via Prova 2",
            "descrizione": "Semaforo senza avvisatore acustico",
            "temporaneo": "no",
            "foto": "DCIM/rilievo_20250506_101500.jpg",
            "rilevatore": "Franco Gialli",
            "data_rilievo": "2025-05-06",
            "precisione_m": 2.1,
            "geometry": Point(lon1, lat1),
        },
        {
            "tipo": "obstacle",
            "larghezza_cm": 80.0,
            "via": "Vicolo 1",
            "descrizione": "messy: precisione GPS scarsa (25 m)",
            "temporaneo": "no",
            "rilevatore": "Franco Gialli",
            "data_rilievo": "2025-05-06",
            "precisione_m": 25.0,
            "geometry": Point(lon2, lat2),
        },
        {
            "tipo": "obstacle",
            "descrizione": "messy: punto senza geometria",
            "temporaneo": "no",
            "rilevatore": "Franco Gialli",
            "data_rilievo": "2025-05-06",
            "geometry": None,
        },
    ]
    frame = gpd.GeoDataFrame(records, geometry="geometry", crs=4326)
    path = folder / "rilievo.gpkg"
    path.unlink(missing_ok=True)
    frame.to_file(path, layer="segnalazioni", driver="GPKG")
    con = sqlite3.connect(path)  # a stable file: no creation time in gpkg_contents
    con.execute("UPDATE gpkg_contents SET last_change = '2025-05-06T10:30:00.000Z'")
    con.commit()
    con.close()


if __name__ == "__main__":
    write_kobo()
    write_odk()
    write_google()
    write_qfield()
