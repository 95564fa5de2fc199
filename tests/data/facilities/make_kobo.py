"""Write kobo_impianto.csv and kobo_impianto_media/: the KoboToolbox CSV export of the
facility form (``data/scheda_impianto.xlsx``) filled in on the tiny city of
``make_city.py``. Run from the repository root::

    .venv/bin/python tests/data/facilities/make_kobo.py

Shaped as KoboToolbox's CSV export with "include groups" (formpack): ``;`` between
fields, every value quoted, each question under its group (``gruppo_sports/changing_room``),
the geopoint ``posizione`` then its parts ``_posizione_latitude`` ... ``_posizione_precision``,
each photo with its ``_URL``, then Kobo's own columns (``_id``, ``_uuid``,
``_submission_time``, ``_validation_status`` ...). The media download is
``<user>/attachments/<form uid>/<submission uuid>/<file>``.

Rows (spreadsheet lines, header = 1); each messy row says in its ``descrizione`` what
is wrong:

2. the pool by its element (``way/20``): accessible changing room, shower "Sì", a
   photo in the media download
3. the library, found by its position alone (no element): accessible toilet, a door
   width with a decimal comma ("90,5")
4. a door width that is no number ("largo"): rejected, naming ``door_width``
5. a position 300 m from any facility and no element: rejected, naming the location
6. an element the city has not (``way/999``): rejected
7. the same submission as row 2 (same ``_uuid``): rejected
8. rejected by the reviewer in KoboToolbox (``validation_status_not_approved``)
"""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

from PIL import Image

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from make_city import at  # noqa: E402

from accessibility.surveys.forms import facility_form_fields  # noqa: E402

ASSET = "aImPiAnToCrEmOnA2026xY"
UUIDS = [f"0b7d1c3e-5a2f-4e8b-9c6d-2f4a6b8c0d{n:02d}" for n in range(1, 8)]
KOBO_TAIL = [
    "_id", "_uuid", "_submission_time", "_validation_status", "_notes", "_status", "_submitted_by",
    "__version__", "_tags", "_index",
]  # fmt: skip


def headers() -> list[str]:
    """The export's columns, in the form's order, as Kobo names them."""
    out: list[str] = []
    group = ""
    for f in facility_form_fields():
        if f.type == "begin_group":
            group = f.name + "/"
        elif f.type == "end_group":
            group = ""
        elif f.type == "geopoint":
            out += [f.name] + [f"_{f.name}_{p}" for p in ("latitude", "longitude", "altitude", "precision")]
        elif f.type == "image":
            out += [f.name, f"{f.name}_URL"]
        else:
            out.append(group + f.name)
    return out + KOBO_TAIL


def jpeg() -> bytes:
    """A tiny photo of the changing room."""
    out = io.BytesIO()
    Image.new("RGB", (24, 16), (40, 90, 200)).save(out, format="JPEG", quality=70)
    return out.getvalue()


def rows() -> list[dict[str, str]]:
    """The submissions: sheet answers by field name, the rest by column."""
    pool = at(0, -20)  # inside the pool, by its entrance
    library = at(3, 302)
    nowhere = at(0, 600)  # by the steps: 300 m from the library, 620 m from the pool
    base = {"start": "2026-05-04T09:12:00.000+02:00", "end": "2026-05-04T09:31:00.000+02:00", "username": "anna"}
    return [
        {**base, "impianto": "Piscina Comunale", "elemento_osm": "way/20", "where": pool, "changing_room": "si",
         "shower": "Sì", "toilet": "si", "foto": "1777900000001.jpg", "descrizione": "spogliatoio a norma",
         "uuid": UUIDS[0]},
        {**base, "impianto": "Biblioteca", "elemento_osm": "", "where": library, "toilet": "si",
         "door_width": "90,5", "descrizione": "trovata dalla posizione", "uuid": UUIDS[1]},
        {**base, "impianto": "Piscina Comunale", "elemento_osm": "way/20", "where": pool, "door_width": "largo",
         "descrizione": "larghezza porta non numerica", "uuid": UUIDS[2]},
        {**base, "impianto": "Palestra", "elemento_osm": "", "where": nowhere, "toilet": "no",
         "descrizione": "nessun impianto vicino", "uuid": UUIDS[3]},
        {**base, "impianto": "Stadio", "elemento_osm": "way/999", "where": pool, "toilet": "no",
         "descrizione": "elemento inesistente", "uuid": UUIDS[4]},
        {**base, "impianto": "Piscina Comunale", "elemento_osm": "way/20", "where": pool, "changing_room": "no",
         "descrizione": "stesso invio della riga 2", "uuid": UUIDS[0]},
        {**base, "impianto": "Piscina Comunale", "elemento_osm": "way/20", "where": pool, "changing_room": "no",
         "descrizione": "respinta in KoboToolbox", "uuid": UUIDS[6], "status": "validation_status_not_approved"},
    ]  # fmt: skip


def main() -> None:
    head = headers()
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(head)
    for n, r in enumerate(rows(), start=1):
        lon, lat = r["where"]
        cells = {
            "_posizione_latitude": f"{lat:.7f}",
            "_posizione_longitude": f"{lon:.7f}",
            "_posizione_altitude": "48.0",
            "_posizione_precision": "3.9",
            "posizione": f"{lat:.7f} {lon:.7f} 48.0 3.9",
            "foto_URL": f"https://kc.kobotoolbox.org/media/original?media_file=anna/{r.get('foto', '')}"
            if r.get("foto")
            else "",
            "_id": str(5000 + n),
            "_uuid": r["uuid"],
            "_submission_time": "2026-05-04T07:40:00",
            "_validation_status": r.get("status", ""),
            "_status": "submitted_via_web",
            "_submitted_by": "anna",
            "__version__": "vFaCiLiTy1",
            "_index": str(n),
            "data_rilievo": "2026-05-04",
            "rilevatore": "Anna Bianchi",
        }
        line = []
        for h in head:
            name = h.rsplit("/", 1)[-1]
            line.append(cells.get(h, r.get(name, "")))
        writer.writerow(line)
    (HERE / "kobo_impianto.csv").write_text(out.getvalue(), encoding="utf-8")
    photo = HERE / "kobo_impianto_media" / "anna" / "attachments" / ASSET / UUIDS[0] / "1777900000001.jpg"
    photo.parent.mkdir(parents=True, exist_ok=True)
    photo.write_bytes(jpeg())


if __name__ == "__main__":
    main()
