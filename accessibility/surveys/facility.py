"""Facility sheet surveys (scheda impianto): which facility a row is about, and its answers (pure).

A surveyor fills the facility form (:mod:`accessibility.surveys.forms`, whose question
names are the sheet's field names) with the same tools as barrier reports; the export is
read by the same reader (:mod:`accessibility.sources.surveys`, with
:data:`FACILITY_COLUMNS`) and checked by the same validation
(:func:`accessibility.surveys.validate.validate` with ``facilities``), which calls
:func:`facility_answers` for what is the sheet's own: the facility (the OSM element the
form gives, else the nearest facility within ``settings.survey_facility_m``) and each
answer, readable for its field (:func:`accessibility.model.sheets.with_survey`).

Stored in the survey store as reports of kind :data:`FACILITY_KIND`, they are reviewed
like reports; :func:`surveyed_answers` picks, per facility, the newest verified (or later)
survey, which the city applies to the facility's sheet.

>>> is_facility_table(["start", "impianto", "gruppo_sports/changing_room"])
True
>>> is_facility_table(["tipo", "data", "lat", "lon"])
False
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from accessibility import settings
from accessibility.i18n import M, Message, Number
from accessibility.model.sheets import distance_m, sheet_fields, sheet_from_tags, with_survey
from accessibility.surveys.schema import FACILITY_KIND
from accessibility.values import normalise_name

__all__ = [
    "FACILITY_COLUMNS",
    "FACILITY_FORMS",
    "FACILITY_KIND",
    "FacilityIndex",
    "facility_answers",
    "is_facility_table",
    "surveyed_answers",
    "with_surveys",
]

#: The names of the facility form on the command line (``--form impianto``).
FACILITY_FORMS = frozenset({"impianto", "facility", "scheda_impianto"})
#: Prefix of the canonical field of a sheet question in a read row (``sheet.toilet``).
_SHEET = "sheet."
#: The statuses in which a facility survey holds (the same as a barrier report's).
_IN_FORCE = frozenset({"verified", "planned", "fixed"})


def _columns() -> dict[str, str]:
    out = {"impianto": "facility_name", "elemento_osm": "facility_element", "osm_element": "facility_element"}
    out.update({name: _SHEET + name for name in sheet_fields()})
    return out


#: Header -> field of the facility form's own questions (the facility, its element, every
#: sheet field by its name), added to the survey columns when a facility file is read.
FACILITY_COLUMNS: dict[str, str] = _columns()


def is_facility_table(headers: Iterable[str]) -> bool:
    """Whether a file's headers are the facility form's: a column for the facility's name
    (``impianto``) or its element (``elemento_osm``), under any group prefix."""
    for header in headers:
        last = normalise_name(str(header).rsplit("/", 1)[-1].rsplit("-", 1)[-1])
        if last in {"impianto", "elemento_osm"}:
            return True
    return False


class FacilityIndex:
    """The city's facilities by OSM element and by position (WGS84), for the rows."""

    def __init__(self, facilities: Any) -> None:
        wgs84 = facilities.to_crs(4326) if len(facilities) else facilities
        self.elements = [f"{t}/{int(i)}" for t, i in zip(wgs84["osm_type"], wgs84["osm_id"])] if len(wgs84) else []
        self.names = [str(n) if isinstance(n, str) else "" for n in wgs84["name"]] if len(wgs84) else []
        self.points = np.array([(p.x, p.y) for p in wgs84.geometry], dtype=float).reshape(-1, 2)
        self.by_element = {e: i for i, e in enumerate(self.elements)}

    def placed(self, raw: dict[str, Any]) -> dict[str, Any]:
        """A read row without a position (a sheet typed at the office) that names a facility
        of the city stands at that facility's point; any other row as it is."""
        if any(k in raw for k in ("lat", "lon", "x", "y", "position", "geometry_error")):
            return raw
        element = str(raw.get("facility_element") or "").strip().lower().replace(" ", "")
        if element not in self.by_element:
            return raw
        lon, lat = self.points[self.by_element[element]].tolist()
        return {**raw, "lon": round(lon, 7), "lat": round(lat, 7)}

    def find(self, element: str | None, lon: float, lat: float) -> tuple[int | None, float, Message | None]:
        """``(row, distance in m, problem)``: the facility ``element`` names, else the
        nearest within ``settings.survey_facility_m`` of ``(lon, lat)``."""
        if element:
            text = element.strip().lower().replace(" ", "")
            if text not in self.by_element:
                return None, 0.0, M("no facility {element} in the city (write it as on its sheet)", element=element)
            i = self.by_element[text]
            x, y = self.points[i].tolist()
            return i, distance_m((lon, lat), (x, y)), None
        if not len(self.points):
            return None, 0.0, M("the city has no facilities")
        ds = [distance_m((lon, lat), (x, y)) for x, y in self.points.tolist()]
        i = int(np.argmin(ds))
        if ds[i] > settings.survey_facility_m:
            return (
                None,
                ds[i],
                M(
                    "no facility within {distance} m of the position: give its OpenStreetMap element (elemento_osm)",
                    distance=Number(settings.survey_facility_m, 0),
                ),
            )
        return i, ds[i], None


def facility_answers(raw: dict[str, Any]) -> tuple[dict[str, str], list[tuple[str, Any, Message]]]:
    """The sheet answers of a read row (``{field: answer as written}``) and the problems
    ``(field, value, reason)`` of those that cannot be read for their field."""
    blank = sheet_from_tags("", "", "node", 0, {})
    answers: dict[str, str] = {}
    problems: list[tuple[str, Any, Message]] = []
    for key, value in raw.items():
        if not key.startswith(_SHEET):
            continue
        name = key[len(_SHEET) :]
        text = _text(value).strip()
        if not text:
            continue
        try:
            with_survey(blank, {name: text}, "")
        except ValueError:
            problems.append((name, value, _reason(name)))
            continue
        answers[name] = text
    if not answers and not problems:
        problems.append(("*", None, M("no question of the facility sheet is answered")))
    return answers, problems


def _reason(name: str) -> Message:
    kind = sheet_fields()[name].kind
    if kind == "yesno":
        return M("not an answer of the sheet: use si, no or limitato")
    if kind == "length":
        return M("not a length: give centimetres")
    return M("not a number")


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def surveyed_answers(reports: pd.DataFrame) -> dict[str, tuple[str, dict[str, str]]]:
    """Per facility element, the newest verified (planned, fixed) facility survey:
    ``{element: (reference, answers)}`` (``reference`` is ``survey/<number>``). Newest is
    the later survey date, then the later report."""
    if not len(reports) or "facility" not in reports:
        return {}
    rows = reports[(reports["kind"] == FACILITY_KIND) & reports["status"].isin(_IN_FORCE)]
    rows = rows[rows["facility"].notna() & rows["answers"].notna()]
    out: dict[str, tuple[str, dict[str, str]]] = {}
    ordered = rows.assign(_day=rows["surveyed_on"].fillna("")).sort_values(["_day", "report_id"])
    for rid, element, answers in zip(ordered["report_id"], ordered["facility"], ordered["answers"]):
        try:
            parsed = json.loads(answers)
        except json.JSONDecodeError:
            continue
        if isinstance(parsed, dict):
            out[str(element)] = (f"survey/{int(rid)}", {str(k): str(v) for k, v in parsed.items()})
    return out


def with_surveys(facilities: Any, answers: dict[str, tuple[str, dict[str, str]]]) -> Any:
    """The facilities table with column ``survey`` (JSON ``{"reference", "answers"}``) on
    the rows ``answers`` (:func:`surveyed_answers`) has a survey for, empty elsewhere; the
    table itself when no survey applies.

    Returns
    -------
    geopandas.GeoDataFrame
    """
    if not answers or not len(facilities):
        return facilities
    elements = [f"{t}/{int(i)}" for t, i in zip(facilities["osm_type"], facilities["osm_id"])]
    column = [
        json.dumps({"reference": answers[e][0], "answers": answers[e][1]}, ensure_ascii=False) if e in answers else ""
        for e in elements
    ]
    return facilities.assign(survey=column)
