"""Every facility with its sheet, for spreadsheets and QGIS (write, compute nothing).

``accessibility facilities`` writes the table of
:func:`accessibility.analysis.usable.sheet_table`: each facility, each field of its sheet
(scheda impianto / edificio) with where the value comes from, and whether it is usable
per profile with what is missing or unknown. CSV and XLSX read in the language chosen
(labels, yes/no in words; every text cell inert, never a formula: :mod:`.export`); the
GeoPackage keeps the codes for QGIS. Every format names the data's licence:
"© OpenStreetMap contributors (ODbL)".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from accessibility.constants import WGS84
from accessibility.errors import ExportError
from accessibility.i18n import N_, _, use_language
from accessibility.model.facilities import categories
from accessibility.model.profiles import load_profiles
from accessibility.model.sheets import sheet_fields
from accessibility.outputs.export import Sheet, write_csv, write_table, write_xlsx
from accessibility.outputs.maps import ATTRIBUTION
from accessibility.outputs.report import USE_STATUS, field_labels, need_labels

__all__ = ["FORMATS", "facility_frame", "sheet_document", "write_facilities"]

#: File suffixes the command writes.
FORMATS = (".csv", ".xlsx", ".gpkg")

_WORDS = {"yes": N_("yes"), "no": N_("no"), "limited": N_("limited")}
_SOURCES = {"osm": "OpenStreetMap", "survey": N_("survey"), "works": N_("planned works"), "unknown": N_("unknown")}


def _source(text: str) -> str:
    kind, _sep, element = str(text).partition(" ")
    if not kind:
        return ""
    word = _SOURCES.get(kind, kind)
    word = word if kind == "osm" else _(word)
    return f"{word} {element}".strip()


def facility_frame(table: gpd.GeoDataFrame, lang: str = "it") -> tuple[pd.DataFrame, dict[str, str]]:
    """The sheet table in words: ``(frame, headers)`` for CSV and XLSX (``lon, lat`` in
    WGS84, values and sources in ``lang``); ``headers`` maps each column to its header."""
    specs = sheet_fields()
    cats = categories()
    profiles = load_profiles()
    wgs = table.to_crs(WGS84)
    with use_language(lang):
        frame = pd.DataFrame(wgs.drop(columns=wgs.geometry.name))
        frame.insert(5, "lon", wgs.geometry.x.round(7).to_numpy())
        frame.insert(6, "lat", wgs.geometry.y.round(7).to_numpy())
        frame["category"] = frame["category"].map(lambda c: _(cats[c].label) if c in cats else c)
        frame["source"] = frame["source"].map(lambda s: "OpenStreetMap" if s == "osm" else s)
        headers = {
            "category": _("Facility"),
            "name": _("Name"),
            "source": _("Source"),
            "osm_type": _("OSM element"),
            "osm_id": _("OSM id"),
            "lon": _("Longitude"),
            "lat": _("Latitude"),
            "entrances": _("Entrances mapped"),
        }
        for name, spec in specs.items():
            if name not in frame:
                continue
            frame[name] = frame[name].map(lambda v: _(_WORDS[v]) if v in _WORDS else v)
            frame[f"{name}_source"] = frame[f"{name}_source"].map(_source)
            headers[name] = _(spec.label)
            headers[f"{name}_source"] = _("{field}: source").format(field=_(spec.label))
        for column in [c for c in frame if c.startswith("usable_")]:
            profile = column.removeprefix("usable_")
            label = _(profiles[profile].label) if profile in profiles else profile
            frame[column] = frame[column].map(lambda s: _(USE_STATUS.get(str(s), str(s))))
            frame[f"missing_{profile}"] = frame[f"missing_{profile}"].map(_missing)
            headers[column] = _("Usable: {profile}").format(profile=label)
            headers[f"missing_{profile}"] = _("Missing or unknown: {profile}").format(profile=label)
        frame["licence"] = ATTRIBUTION
        headers["licence"] = _("Data licence")
    return frame, headers


def _missing(text: Any) -> str:
    """Needs and fields (``;``-joined codes) in words: the needs first, then the fields."""
    from accessibility.model.usability import load_rules

    needs = load_rules().requirements
    names = [n for n in str(text or "").split(";") if n]
    return ", ".join([need_labels(n) for n in names if n in needs] + [field_labels(n) for n in names if n not in needs])


def write_facilities(table: gpd.GeoDataFrame, path: str | Path, lang: str = "it") -> Path:
    """Write the sheet table as CSV, XLSX or GeoPackage (by the file's suffix).

    Raises
    ------
    ExportError
        A suffix other than ``.csv``, ``.xlsx`` or ``.gpkg``.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ExportError(
            _("cannot write {name}: give a file ending in .csv, .xlsx or .gpkg").format(name=repr(path.name))
        )
    if suffix == ".gpkg":
        out = table.to_crs(WGS84).copy()
        for column in out.columns:
            if column != out.geometry.name and out[column].dtype == object:
                out[column] = out[column].map(lambda v: None if v is None else str(v))
        out["licence"] = ATTRIBUTION
        return write_table(out, path, "gpkg", layer="facilities")
    frame, headers = facility_frame(table, lang)
    if suffix == ".csv":
        return write_csv(frame, path, lang=lang)
    with use_language(lang):
        notes = pd.DataFrame(
            {
                "note": [
                    _("Streets, paths, barriers and facilities:") + " © " + _("OpenStreetMap contributors") + " (ODbL)",
                    _(
                        "Each field says where its value comes from: OpenStreetMap (element), a survey, or unknown. "
                        "Unknown is never taken as usable."
                    ),
                ]
            }
        )
        sheets = {
            _("Facilities"): Sheet(frame, headers=headers, kinds={"lon": "coord", "lat": "coord", "osm_id": "int"}),
            _("Notes"): Sheet(notes, headers={"note": _("Notes")}),
        }
    return write_xlsx(sheets, path)


def sheet_document(sheet: Any, uses: dict[str, Any], lang: str = "it") -> dict[str, Any]:
    """One facility's sheet as a JSON document for people and programs: every field asked
    of it (value, the value in words, where it comes from), each entrance, whether it is
    usable per profile (with the needs missing and the fields unknown, in words), the
    known fields as A11yJSON, and the data licence.

    Parameters
    ----------
    sheet
        A :class:`~accessibility.model.sheets.FacilitySheet`.
    uses
        Profile name -> its :class:`~accessibility.model.usability.Usability`.
    lang
        The language of the words.
    """
    from accessibility.model.sheets import to_a11yjson
    from accessibility.outputs.report import value_origin, value_text

    specs = sheet_fields()
    cats = categories()
    profiles = load_profiles()

    def field(name: str, value: Any) -> dict[str, Any]:
        spec = specs[name]
        return {
            "field": name,
            "label": _(spec.label),
            "group": spec.group,
            "value": value.value,
            "text": value_text(spec, value.value) if value.known else _("unknown"),
            "source": value.source,
            "source_text": value_origin(value) or _("unknown"),
            "element": value.element or None,
            "tag": value.key or None,
            "raw": value.raw or None,
        }

    with use_language(lang):
        return {
            "element": sheet.element,
            "category": sheet.category,
            "category_label": _(cats[sheet.category].label) if sheet.category in cats else sheet.category,
            "name": sheet.name or None,
            "fields": [field(n, sheet.value(n)) for n in sheet.asked if specs[n].element != "entrance"],
            "entrances": [
                {
                    "element": door.element or None,
                    "lon": door.lon,
                    "lat": door.lat,
                    "fields": [field(n, door.value(n)) for n, spec in specs.items() if spec.element == "entrance"],
                }
                for door in sheet.entrances
            ],
            "usable": {
                name: {
                    "profile_label": _(profiles[name].label) if name in profiles else name,
                    "status": use.status,
                    "status_label": _(USE_STATUS.get(use.status, use.status)),
                    "missing": need_labels(";".join(use.unmet)) or None,
                    "unknown": field_labels(";".join(use.unknown_fields)) or None,
                }
                for name, use in uses.items()
            },
            "a11yjson": to_a11yjson(sheet),
            "attribution": ATTRIBUTION,
            "lang": lang,
        }
