"""Surveyors' barrier reports: check and normalise rows, snap them, merge them (pure).

Nothing here reads or writes files. :func:`validate` turns the raw rows of a survey file
(:mod:`accessibility.sources.surveys`) into normalised reports, rejects (row, field and a
plain reason in Italian and English) and flags for review (swapped coordinates, reports
of the same kind a few metres apart, reports off the network). :func:`merge_barriers`
joins the reports in force with the OpenStreetMap barriers into the set that routing and
every later analysis use.

Lifecycle of a report: ``reported -> verified -> planned -> fixed``, or ``rejected`` with
a reason (see :data:`TRANSITIONS`). Verified and planned reports are in force.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
from pyproj import Transformer
from scipy.spatial import cKDTree
from shapely import STRtree, Point
from shapely.geometry.base import BaseGeometry
from shapely.prepared import prep

from . import settings
from .barriers import taxonomy, tags_to_text
from .errors import ReviewError
from .profiles import Profile
from .sources.surveys import RawTable, normalise_name, survey_schema

STATUSES = ("reported", "verified", "planned", "fixed", "rejected")
#: Allowed status changes; a rejection needs a note saying why.
TRANSITIONS: dict[str, frozenset[str]] = {
    "reported": frozenset({"verified", "rejected"}),
    "verified": frozenset({"planned", "fixed", "rejected"}),
    "planned": frozenset({"verified", "fixed", "rejected"}),
    "fixed": frozenset({"verified"}),  # reopened: the barrier is back
    "rejected": frozenset({"reported"}),  # reopened for a new review
}
#: Statuses whose reports change the barrier set.
IN_FORCE = frozenset({"verified", "planned"})

MEASURES = ("kerb_height_cm", "width_cm", "incline_pct", "step_count", "length_m")
#: Plausible ranges of the measurements and of the severity (inclusive).
RANGES: dict[str, tuple[float, float]] = {
    "kerb_height_cm": (0.0, 100.0), "width_cm": (1.0, 2000.0), "incline_pct": (-100.0, 100.0),
    "step_count": (1, 1000), "length_m": (0.0, 10000.0), "severity": (1, 5),
}
INTEGER_FIELDS = frozenset({"step_count", "severity"})
TEXT_FIELDS = ("street", "description", "photo", "surface")
#: The stored form of a report (besides geometry and store bookkeeping).
REPORT_FIELDS = ("ref", "kind", *MEASURES, "severity", "surface", "street", "description", "photo",
                 "surveyor", "surveyed_on", "temporary", "expires_on", "lon", "lat", "snap", "snap_m",
                 "flags", "content_hash", "source_row")

_CRS_NAMES = {
    "wgs84": 4326, "wgs_84": 4326, "gps": 4326, "latlon": 4326,
    "utm32n": 32632, "utm_32n": 32632, "wgs84_utm32n": 32632, "utm32": 32632,
    "gauss_boaga": 3003, "gaussboaga": 3003, "monte_mario": 3003, "gauss_boaga_ovest": 3003,
    "rdn2008": 6707, "rdn2008_utm32n": 6707,
}


# --- results ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Reject:
    """One problem with one row: where, which field, and why in Italian and English."""

    row: int
    field: str
    value: str
    reason_it: str
    reason_en: str


@dataclass(frozen=True)
class Flag:
    """An accepted report a person should look at; ``report`` indexes ``Validation.accepted``."""

    row: int
    report: int
    code: str
    reason_it: str
    reason_en: str


@dataclass
class Validation:
    """What :func:`validate` made of a file: reports to store, rejects, flags, and the rows
    already in the store (identical content, so adding them again would duplicate)."""

    accepted: list[dict[str, Any]] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)
    already_stored: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def rejected_rows(self) -> list[int]:
        return sorted({r.row for r in self.rejects})


class _RowProblems(list):
    def add(self, row: int, fieldname: str, value: Any, it: str, en: str) -> None:
        self.append(Reject(row, fieldname, "" if value is None else str(value), it, en))


# --- value parsing ----------------------------------------------------------------------

def parse_number(value: Any) -> float:
    """A number as people type it: ``12``, ``12,5``, ``1.234,5``, ``1,234.5``, ``8 %``.

    >>> parse_number("12,5"), parse_number("1.234,5"), parse_number(" 8 %")
    (12.5, 1234.5, 8.0)
    """
    if isinstance(value, bool):
        raise ValueError("not a number")
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError("not a number")
        return float(value)
    text = str(value).strip().replace("\u00a0", "").replace(" ", "").rstrip("%")
    if "," in text and "." in text:
        if text.rfind(",") > text.rfind("."):
            text = text.replace(".", "").replace(",", ".")
        else:
            text = text.replace(",", "")
    elif text.count(",") == 1:
        text = text.replace(",", ".")
    if not re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", text):
        raise ValueError("not a number")
    return float(text)


_DATE_PATTERNS = (
    (re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})"), ("y", "m", "d")),
    (re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})"), ("d", "m", "y")),
    (re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})"), ("y", "m", "d")),
)


def parse_date(value: Any) -> dt.date:
    """A date as Italian spreadsheets hold it: ``2025-05-03``, ``03/05/2025`` (day first),
    ``3.5.2025``, or a spreadsheet date cell; a time after the date is ignored.

    >>> parse_date("03/05/2025"), parse_date("2025-05-03T09:30")
    (datetime.date(2025, 5, 3), datetime.date(2025, 5, 3))
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, pd.Timestamp):
        return value.date()
    text = str(value).strip()
    for pattern, order in _DATE_PATTERNS:
        m = pattern.match(text)
        if m and (m.end() == len(text) or text[m.end()] in "T "):
            parts = dict(zip(order, (int(g) for g in m.groups())))
            return dt.date(parts["y"], parts["m"], parts["d"])  # ValueError on 31/02
    raise ValueError("not a date")


_TRUE = {"si", "s", "yes", "y", "true", "vero", "1", "x", "temporaneo", "temporary"}
_FALSE = {"no", "n", "false", "falso", "0", "permanente", "permanent"}


def parse_flag(value: Any) -> bool:
    """Yes/no as people write it: ``sì``, ``si``, ``x``, ``1``, ``yes`` / ``no``, ``0``."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    key = normalise_name(str(value))
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    raise ValueError("not yes/no")


def parse_crs(value: Any) -> int:
    """An EPSG code from ``3003``, ``EPSG:3003``, ``Gauss-Boaga``, ``WGS84``...; only the
    systems of ``settings.survey_crs``."""
    if isinstance(value, (int, float)) and float(value).is_integer():
        code = int(value)
    else:
        key = normalise_name(str(value))
        digits = re.fullmatch(r"(?:epsg_?)?(\d{4,5})", key)
        code = int(digits.group(1)) if digits else _CRS_NAMES.get(key, -1)
    if code not in settings.survey_crs:
        raise ValueError("unknown CRS")
    return code


@cache
def kind_names() -> dict[str, str]:
    """Every accepted spelling of a kind (normalised) -> kind name."""
    names: dict[str, str] = {}
    for name, kind in taxonomy().items():
        names[normalise_name(name)] = name
        names[normalise_name(kind.label_it)] = name
        names[normalise_name(kind.label_en)] = name
    schema = survey_schema()
    for name, table in schema["clearing_kinds"].items():
        names[normalise_name(name)] = name
        names[normalise_name(table["label_it"])] = name
        names[normalise_name(table["label_en"])] = name
    for alias, name in schema["kind_aliases"].items():
        names[normalise_name(alias)] = name
    return names


def parse_kind(value: Any) -> str:
    """A barrier kind from its name, label or an alias (``gradini`` -> ``steps``)."""
    kind = kind_names().get(normalise_name(str(value)))
    if kind is None:
        raise ValueError("unknown kind")
    return kind


def clearing_kinds() -> dict[str, list[str]]:
    """Survey-only kinds that say a barrier is gone, with the OSM kinds each lifts."""
    return {k: list(t["lifts"]) for k, t in survey_schema()["clearing_kinds"].items()}


def kind_label(kind: str, lang: str = "it") -> str:
    if kind in taxonomy():
        return taxonomy()[kind].label_it if lang == "it" else taxonomy()[kind].label_en
    table = survey_schema()["clearing_kinds"].get(kind, {})
    return table.get(f"label_{lang}", kind)


# --- location ---------------------------------------------------------------------------

@cache
def _to_wgs84(epsg: int) -> Transformer:
    return Transformer.from_crs(epsg, 4326, always_xy=True)


def infer_projected_crs(x: float, y: float) -> int | None:
    """UTM 32N or Gauss-Boaga West from the size of the numbers, where only one fits
    northern Italy (RDN2008 UTM 32N is within a metre of WGS84 UTM 32N)."""
    if 4.0e6 < y < 5.5e6:
        if 1.0e5 < x < 1.0e6:
            return 32632
        if 1.2e6 < x < 1.9e6:
            return 3003
    return None


@dataclass(frozen=True)
class Location:
    lon: float
    lat: float
    swapped: bool
    crs: int
    inferred_crs: bool


def locate(first: float, second: float, crs: int | None, area_wgs84: BaseGeometry,
           geographic: bool) -> Location | str:
    """Place a coordinate pair in WGS84 and check it lies in ``area_wgs84``.

    ``geographic``: the pair is (lon, lat); else (x, y) in ``crs`` (inferred from the
    numbers when ``None``). When the pair lies outside the area as given but inside it
    the other way round, the swap is unambiguous and the result says ``swapped``.
    Returns a :class:`Location`, or a reason code (``outside``, ``no_crs``).
    """
    area = _prepared(area_wgs84)
    tried_crs = False
    for a, b, swapped in ((first, second, False), (second, first, True)):
        if geographic:
            epsg, inferred = 4326, False
            lon, lat = a, b
        else:
            epsg, inferred = (crs, False) if crs is not None else (infer_projected_crs(a, b), True)
            if epsg is None:
                continue
            tried_crs = True
            lon, lat = _to_wgs84(epsg).transform(a, b) if epsg != 4326 else (a, b)
        if -180 <= lon <= 180 and -90 <= lat <= 90 and area.contains(Point(lon, lat)):
            return Location(float(lon), float(lat), swapped, epsg, inferred)
    if not geographic and not tried_crs:
        return "no_crs"
    return "outside"


_PREPARED: dict[int, Any] = {}


def _prepared(geom: BaseGeometry):
    key = id(geom)
    if key not in _PREPARED:
        _PREPARED.clear()
        _PREPARED[key] = (geom, prep(geom))
    return _PREPARED[key][1]


# --- snapping ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Snap:
    """Where a report sits on the graph: a node, an edge, or nowhere within tolerance."""

    element: str  # "node", "edge" or "off_network"
    distance_m: float
    node: int | None = None
    edge: tuple[int, int, int] | None = None
    osmid: int | None = None


class SnapIndex:
    """Nearest graph node and edge of points in the graph CRS (built once per graph)."""

    def __init__(self, G: nx.MultiDiGraph) -> None:
        self.nodes = list(G.nodes)
        self.node_xy = np.array([(G.nodes[n]["x"], G.nodes[n]["y"]) for n in self.nodes]) \
            if self.nodes else np.empty((0, 2))
        self.node_tree = cKDTree(self.node_xy) if self.nodes else None
        self.edges = [(u, v, k, d["osmid"]) for u, v, k, d in G.edges(keys=True, data=True) if not d.get("reversed")]
        self.edge_geoms = [G.edges[u, v, k]["geometry"] for u, v, k, _ in self.edges]
        self.edge_tree = STRtree(self.edge_geoms) if self.edges else None

    def snap(self, x: float, y: float, prefer_node: bool, node_m: float, edge_m: float) -> Snap:
        if prefer_node and self.node_tree is not None:
            dist, i = self.node_tree.query((x, y))
            if dist <= node_m:
                return Snap("node", float(dist), node=self.nodes[int(i)])
        if self.edge_tree is not None:
            p = Point(x, y)
            found, dists = self.edge_tree.query_nearest(p, max_distance=edge_m, return_distance=True,
                                                        all_matches=False)
            if len(found):
                u, v, k, osmid = self.edges[int(found[0])]
                return Snap("edge", float(dists[0]), edge=(u, v, k), osmid=osmid)
        best = float(self.node_tree.query((x, y))[0]) if self.node_tree is not None else math.inf
        return Snap("off_network", best)


def node_kinds() -> frozenset[str]:
    return frozenset(survey_schema()["node_kinds"]["kinds"])


# --- validation ---------------------------------------------------------------------------

def validate(table: RawTable, area: gpd.GeoDataFrame, G: nx.MultiDiGraph, surveyor: str,
             today: dt.date, existing: pd.DataFrame | None = None, crs: int | None = None) -> Validation:
    """Check every row of ``table`` and normalise the good ones (see module docstring).

    ``area``: the study area (any CRS); ``G``: the network, for snapping and its CRS;
    ``surveyor``: who imports (a row's own surveyor column wins); ``existing``: reports
    already stored (columns ``report_id, ref, kind, content_hash, lon, lat``), for
    duplicates; ``crs``: EPSG code of x/y columns when the file has no CRS column.
    """
    out = Validation()
    area_wgs84 = area.to_crs(4326).union_all()
    to_graph = Transformer.from_crs(4326, G.graph["crs"], always_xy=True)
    index = SnapIndex(G)
    if table.ignored_columns:
        out.notes.append("ignored columns / colonne ignorate: " + ", ".join(table.ignored_columns))
    fields = set(table.mapping.values())
    if "kind" not in fields:
        out.notes.append("no column for the kind of barrier (tipo) / manca la colonna del tipo di barriera")

    existing = existing if existing is not None else pd.DataFrame(columns=["report_id", "ref", "kind", "content_hash", "lon", "lat"])
    stored_hashes = dict(zip(existing["content_hash"], existing["report_id"]))
    stored_refs = {str(r): rid for r, rid in zip(existing["ref"], existing["report_id"]) if isinstance(r, str) and r}
    seen_hashes: dict[str, int] = {}
    seen_refs: dict[str, int] = {}

    for number, raw in zip(table.row_numbers, table.rows):
        problems = _RowProblems()
        report, notes = _normalise(number, raw, problems, surveyor, today, crs, area_wgs84)
        if problems:
            out.rejects.extend(problems)
            continue
        assert report is not None
        report["content_hash"] = content_hash(report, raw.get("surveyor") is not None)
        h = report["content_hash"]
        if h in seen_hashes:
            out.rejects.append(Reject(number, "*", "", f"riga duplicata: identica alla riga {seen_hashes[h]}",
                                      f"duplicate row: same as row {seen_hashes[h]}"))
            continue
        seen_hashes[h] = number
        if h in stored_hashes:
            out.already_stored.append(number)
            continue
        ref = report["ref"]
        if ref is not None:
            if ref in seen_refs:
                out.rejects.append(Reject(number, "id", ref, f"id {ref} già usato alla riga {seen_refs[ref]} con dati diversi",
                                          f"id {ref} already used in row {seen_refs[ref]} with different data"))
                continue
            if ref in stored_refs:
                out.rejects.append(Reject(number, "id", ref,
                                          f"id {ref} già usato dalla segnalazione n. {stored_refs[ref]} con dati diversi: dare un nuovo id",
                                          f"id {ref} already used by stored report #{stored_refs[ref]} with different data: give a new id"))
                continue
            seen_refs[ref] = number
        x, y = to_graph.transform(report["lon"], report["lat"])
        snap = index.snap(x, y, report["kind"] in node_kinds(), settings.survey_snap_node_m, settings.survey_snap_edge_m)
        report["snap"], report["snap_m"] = snap.element, round(snap.distance_m, 2)
        report["source_row"] = number
        position = len(out.accepted)
        report["_xy"] = (x, y)
        out.accepted.append(report)
        for code, it, en in notes:
            out.flags.append(Flag(number, position, code, it, en))
        if snap.element == "off_network":
            out.flags.append(Flag(number, position, "off_network",
                                  f"fuori rete: a {snap.distance_m:.0f} m dal percorso più vicino (tolleranza {settings.survey_snap_edge_m:g} m); non spostata",
                                  f"off network: {snap.distance_m:.0f} m from the nearest path (tolerance {settings.survey_snap_edge_m:g} m); not moved"))
        elif report["kind"] in clearing_kinds() and snap.element != "node":
            out.flags.append(Flag(number, position, "not_at_node",
                                  f"nessun nodo entro {settings.survey_snap_node_m:g} m: non può sostituire il dato OSM",
                                  f"no graph node within {settings.survey_snap_node_m:g} m: cannot override OpenStreetMap"))
    _flag_near(out, existing, to_graph)
    for report in out.accepted:
        report["flags"] = ";".join(sorted({f.code for f in out.flags if out.accepted[f.report] is report}))
        del report["_xy"]
    return out


def _normalise(number: int, raw: dict[str, Any], problems: _RowProblems, surveyor: str, today: dt.date,
               crs: int | None, area_wgs84: BaseGeometry) -> tuple[dict[str, Any] | None, list[tuple[str, str, str]]]:
    """One row -> a report dict, adding each problem found to ``problems``."""
    notes: list[tuple[str, str, str]] = []
    report: dict[str, Any] = {"ref": None if raw.get("id") is None else _text(raw["id"])}

    if "kind" not in raw:
        problems.add(number, "kind", None, "manca il tipo di barriera", "the kind of barrier is missing")
    else:
        try:
            report["kind"] = parse_kind(raw["kind"])
        except ValueError:
            problems.add(number, "kind", raw["kind"],
                         f"tipo di barriera sconosciuto; tipi validi: {', '.join(sorted(set(kind_names().values())))}",
                         f"unknown kind of barrier; valid kinds: {', '.join(sorted(set(kind_names().values())))}")

    for name in (*MEASURES, "severity"):
        report[name] = None
        if name not in raw:
            continue
        try:
            value = parse_number(raw[name])
        except ValueError:
            problems.add(number, name, raw[name], "non è un numero", "not a number")
            continue
        low, high = RANGES[name]
        if name in INTEGER_FIELDS and not value.is_integer():
            problems.add(number, name, raw[name], "deve essere un numero intero", "must be a whole number")
        elif not low <= value <= high:
            problems.add(number, name, raw[name], f"fuori intervallo: deve essere tra {low:g} e {high:g}",
                         f"out of range: must be between {low:g} and {high:g}")
        else:
            report[name] = int(value) if name in INTEGER_FIELDS else value

    for name in TEXT_FIELDS:
        report[name] = None if raw.get(name) is None else _text(raw[name])
    report["surveyor"] = _text(raw["surveyor"]) if raw.get("surveyor") is not None else surveyor

    surveyed = None
    if "surveyed_on" not in raw:
        problems.add(number, "surveyed_on", None, "manca la data del rilievo", "the survey date is missing")
    else:
        try:
            surveyed = parse_date(raw["surveyed_on"])
        except ValueError:
            problems.add(number, "surveyed_on", raw["surveyed_on"], "data non valida (usare gg/mm/aaaa)",
                         "not a valid date (use dd/mm/yyyy or yyyy-mm-dd)")
        else:
            if surveyed > today:
                problems.add(number, "surveyed_on", raw["surveyed_on"], "data del rilievo nel futuro",
                             "survey date is in the future")
                surveyed = None
            elif surveyed.year < settings.survey_oldest_year:
                problems.add(number, "surveyed_on", raw["surveyed_on"],
                             f"data del rilievo anteriore al {settings.survey_oldest_year}",
                             f"survey date before {settings.survey_oldest_year}")
                surveyed = None
    report["surveyed_on"] = surveyed.isoformat() if surveyed else None

    temporary = False
    if "temporary" in raw:
        try:
            temporary = parse_flag(raw["temporary"])
        except ValueError:
            problems.add(number, "temporary", raw["temporary"], "valore non valido: usare sì o no",
                         "not a valid value: use yes or no")
    expires = None
    if "expires_on" in raw:
        try:
            expires = parse_date(raw["expires_on"])
        except ValueError:
            problems.add(number, "expires_on", raw["expires_on"], "data di scadenza non valida (usare gg/mm/aaaa)",
                         "not a valid expiry date (use dd/mm/yyyy or yyyy-mm-dd)")
        else:
            temporary = True  # an expiry date only makes sense for a temporary barrier
            if surveyed and expires < surveyed:
                problems.add(number, "expires_on", raw["expires_on"], "la scadenza precede la data del rilievo",
                             "the expiry date is before the survey date")
            elif expires < today:
                notes.append(("expired", f"già scaduta il {expires.isoformat()}: non blocca",
                              f"already expired on {expires.isoformat()}: does not block"))
    elif temporary and "temporary" in raw:
        problems.add(number, "expires_on", None, "una barriera temporanea richiede la data di scadenza",
                     "a temporary barrier needs an expiry date")
    report["temporary"] = temporary
    report["expires_on"] = expires.isoformat() if expires else None

    location = _location(number, raw, problems, crs, area_wgs84)
    if location is not None:
        report["lon"], report["lat"] = round(location.lon, 7), round(location.lat, 7)
        if location.swapped:
            notes.append(("swapped", "coordinate invertite (latitudine/longitudine o X/Y): corrette",
                          "coordinates swapped (latitude/longitude or X/Y): corrected"))
        if location.inferred_crs:
            notes.append(("crs_inferred", f"sistema di riferimento non indicato: dedotto EPSG:{location.crs}",
                          f"no CRS given: EPSG:{location.crs} inferred from the numbers"))
    return (None if problems else report), notes


def _location(number: int, raw: dict[str, Any], problems: _RowProblems, crs: int | None,
              area_wgs84: BaseGeometry) -> Location | None:
    if "geometry_error" in raw:
        problems.add(number, "geometry", raw["geometry_error"], "la geometria deve essere un punto",
                     "the geometry must be a point")
        return None
    geographic = "lat" in raw or "lon" in raw
    a_name, b_name = ("lon", "lat") if geographic else ("x", "y")
    if a_name not in raw and b_name not in raw:
        problems.add(number, "location", None, "manca la posizione (latitudine e longitudine, o X e Y)",
                     "the location is missing (latitude and longitude, or X and Y)")
        return None
    values = []
    for name in (a_name, b_name):
        if name not in raw:
            problems.add(number, name, None, f"manca la coordinata {name}", f"coordinate {name} is missing")
            continue
        try:
            values.append(parse_number(raw[name]))
        except ValueError:
            problems.add(number, name, raw[name], "coordinata non numerica", "coordinate is not a number")
    row_crs = crs
    if "crs" in raw and not geographic:
        try:
            row_crs = parse_crs(raw["crs"])
        except ValueError:
            problems.add(number, "crs", raw["crs"],
                         f"sistema di riferimento non gestito; usare uno di EPSG {sorted(settings.survey_crs)}",
                         f"unsupported CRS; use one of EPSG {sorted(settings.survey_crs)}")
            return None
    if len(values) < 2:
        return None
    found = locate(values[0], values[1], 4326 if geographic else row_crs, area_wgs84, geographic)
    if found == "no_crs":
        problems.add(number, "crs", None, "X/Y senza sistema di riferimento: indicare la colonna crs (es. 3003, 32632)",
                     "X/Y without a CRS: add a crs column (e.g. 3003, 32632)")
        return None
    if found == "outside":
        where = f"{values[0]}, {values[1]}"
        problems.add(number, "location", where, "posizione fuori dall'area della città",
                     "location outside the city's area")
        return None
    return found  # type: ignore[return-value]


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def content_hash(report: dict[str, Any], surveyor_in_file: bool) -> str:
    """SHA-256 of a report's content, so importing the same row twice adds nothing.

    The importer's name is left out unless the row names its surveyor itself: the same
    file imported by two people is still the same reports.
    """
    keys = ["ref", "kind", *MEASURES, "severity", *TEXT_FIELDS, "surveyed_on", "temporary", "expires_on", "lon", "lat"]
    content = {k: report.get(k) for k in keys}
    if surveyor_in_file:
        content["surveyor"] = report["surveyor"]
    return hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()


def _flag_near(out: Validation, existing: pd.DataFrame, to_graph: Transformer) -> None:
    """Flag accepted reports with another of the same kind within the near distance."""
    radius = settings.survey_near_duplicate_m
    others: list[tuple[str, float, float, str, str]] = []  # kind, x, y, label_it, label_en
    if len(existing):
        xs, ys = to_graph.transform(existing["lon"].to_numpy(float), existing["lat"].to_numpy(float))
        for kind, x, y, rid, status in zip(existing["kind"], np.atleast_1d(xs), np.atleast_1d(ys),
                                           existing["report_id"], existing.get("status", pd.Series(["?"] * len(existing)))):
            others.append((kind, x, y, f"la segnalazione n. {rid}", f"report #{rid}"))
    for r in out.accepted:
        others.append((r["kind"], *r["_xy"], f"la riga {r['source_row']}", f"row {r['source_row']}"))
    by_kind: dict[str, list[int]] = {}
    for i, o in enumerate(others):
        by_kind.setdefault(o[0], []).append(i)
    first_new = len(others) - len(out.accepted)
    for kind, members in by_kind.items():
        tree = cKDTree(np.array([others[i][1:3] for i in members]))
        for j, i in enumerate(members):
            if i < first_new:
                continue
            report_pos = i - first_new
            for k in sorted(tree.query_ball_point(others[i][1:3], radius)):
                if members[k] == i:
                    continue
                o = others[members[k]]
                dist = math.dist(others[i][1:3], o[1:3])
                out.flags.append(Flag(out.accepted[report_pos]["source_row"], report_pos, "near_same_kind",
                                      f"a {dist:.1f} m da {o[3]} dello stesso tipo: verificare se è la stessa barriera",
                                      f"{dist:.1f} m from {o[4]} of the same kind: check whether it is the same barrier"))


# --- review -----------------------------------------------------------------------------

def check_transition(report_id: int, current: str, new: str, note: str | None) -> None:
    """Raise :class:`ReviewError` unless ``current -> new`` is allowed (with its note)."""
    if new not in STATUSES:
        raise ReviewError(f"report #{report_id}: unknown status {new!r}; statuses: {', '.join(STATUSES)}")
    if new not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current]))
        raise ReviewError(f"report #{report_id} is {current}: it can become {allowed}, not {new}")
    if new == "rejected" and not (note and note.strip()):
        raise ReviewError(f"report #{report_id}: a rejection needs a note saying why (--note)")


# --- merge --------------------------------------------------------------------------------

EXTRA_COLUMNS = ["edge_u", "edge_v", "edge_key", "survey_id", "description"]


def in_force(reports: pd.DataFrame, today: dt.date) -> pd.Series:
    """Which reports change the barrier set today: verified or planned, not expired."""
    if not len(reports):
        return pd.Series([], dtype=bool)
    expired = [isinstance(e, str) and bool(e) and dt.date.fromisoformat(e[:10]) < today for e in reports["expires_on"]]
    return reports["status"].isin(IN_FORCE) & ~pd.Series(expired, index=reports.index, dtype=bool)


def merge_barriers(osm: gpd.GeoDataFrame, reports: gpd.GeoDataFrame, G: nx.MultiDiGraph,
                   profiles: dict[str, Profile], today: dt.date) -> gpd.GeoDataFrame:
    """The barrier set in force: OSM barriers, minus those surveys lift, plus survey barriers.

    - a report in force (:func:`in_force`) adds a barrier at the node or edge it snaps
      to, with a severity per profile from :meth:`Profile.severity`; off-network reports
      add nothing to the graph (they stay in ``city.surveys``);
    - at a node, it replaces OSM barriers of the kinds it supersedes (a measured kerb
      replaces an unknown one); a clearing kind (``lowered_kerb``) only lifts them;
    - a fixed report lifts the OSM barriers it supersedes at its node, or on the way it
      snaps to (the works were done there), and adds nothing;
    - reported, rejected and expired temporary reports change nothing.

    The result has the OSM columns plus ``edge_u, edge_v, edge_key, survey_id,
    description``; column ``source`` is ``osm`` or ``survey``.
    """
    osm = osm.copy()
    for col in EXTRA_COLUMNS:
        if col not in osm:
            osm[col] = pd.Series(pd.NA, index=osm.index, dtype="Int64" if col != "description" else "object")
    if reports is None or not len(reports):
        return osm
    reports = reports.to_crs(osm.crs) if reports.crs != osm.crs else reports
    schema = survey_schema()
    clearing = clearing_kinds()
    supersedes = {k: list(v) for k, v in schema["supersedes"].items()}
    measure_field = schema["measure_field"]
    index = SnapIndex(G)
    force = in_force(reports, today).to_numpy()
    lifted: set[tuple[int, str]] = set()
    lifted_ways: set[tuple[int, str]] = set()
    added: list[dict[str, Any]] = []
    severity_cols = [c for c in osm.columns if c.startswith("severity_")]
    for i, r in enumerate(reports.itertuples(index=False)):
        active, fixed = bool(force[i]), r.status == "fixed"
        if not (active or fixed):
            continue
        kind = r.kind
        snap = index.snap(r.geometry.x, r.geometry.y, kind in node_kinds(),
                          settings.survey_snap_node_m, settings.survey_snap_edge_m)
        if snap.element == "node":
            for k in clearing.get(kind, supersedes.get(kind, [])):
                lifted.add((snap.node, k))
        elif snap.element == "edge" and fixed:  # the works were done on this way
            for k in supersedes.get(kind, [kind]):
                lifted_ways.add((int(snap.osmid), k))
        if not active or kind in clearing or snap.element == "off_network":
            continue
        added.append(_survey_row(r, kind, snap, measure_field, profiles, severity_cols, G))
    if lifted or lifted_ways:
        keep = [not (s == "osm" and ((e == "node" and not pd.isna(n) and (int(n), k) in lifted)
                                     or (e == "way" and (int(w), k) in lifted_ways)))
                for s, e, n, w, k in zip(osm["source"], osm["element"], osm["node"], osm["osm_id"], osm["kind"])]
        osm = osm[keep]
    if not added:
        return osm.reset_index(drop=True)
    extra = gpd.GeoDataFrame(added, columns=list(osm.columns), geometry=osm.geometry.name, crs=osm.crs)
    merged = pd.concat([osm, extra.astype({c: osm[c].dtype for c in osm.columns if c != osm.geometry.name}, errors="ignore")],
                       ignore_index=True)
    return gpd.GeoDataFrame(merged, geometry=osm.geometry.name, crs=osm.crs)


def _survey_row(r: Any, kind: str, snap: Snap, measure_field: dict[str, str], profiles: dict[str, Profile],
                severity_cols: list[str], G: nx.MultiDiGraph) -> dict[str, Any]:
    k = taxonomy()[kind]
    measure = getattr(r, measure_field[kind]) if kind in measure_field else None
    measure = None if measure is None or pd.isna(measure) else float(measure)
    if kind == "steep_incline" and measure is not None:
        measure = abs(measure)
    tags = {}
    if isinstance(r.surface, str) and r.surface:
        tags["surface"] = r.surface
    if kind == "wheelchair_no":
        tags["wheelchair"] = "no"
    if r.temporary:
        tags["temporary"] = "yes"
    if snap.element == "node":
        osm_id, node, edge = snap.node, snap.node, (None, None, None)
        street = r.street if isinstance(r.street, str) else None
    else:
        osm_id, node, edge = snap.osmid, None, snap.edge
        name = G.edges[snap.edge].get("name")
        street = r.street if isinstance(r.street, str) else (str(name) if name is not None else None)
    row = {
        "barrier_id": f"survey-{r.report_id}-{kind}", "kind": kind, "measure": measure, "unit": k.unit,
        "threshold": k.threshold, "known": True, "tags": tags_to_text(tags), "element": snap.element,
        "osm_id": osm_id, "node": node, "street": street, "rule": k.rule, "source": "survey",
        "source_id": f"survey/{r.report_id}", "edge_u": edge[0], "edge_v": edge[1], "edge_key": edge[2],
        "survey_id": int(r.report_id), "description": r.description if isinstance(r.description, str) else None,
        "geometry": r.geometry,
    }
    for col in severity_cols:
        profile = profiles.get(col.removeprefix("severity_"))
        row[col] = profile.severity(kind, measure, tags, True) if profile else "unknown"
    return row


# --- import result --------------------------------------------------------------------------

@dataclass
class ImportResult:
    """What an import did: report ids stored, rows rejected (with reasons), reports flagged
    for review, rows already in the store, and where the rejects file was written."""

    file: str
    rows: int
    accepted: list[int]
    rejected: list[Reject]
    flagged: list[dict[str, Any]]
    already_stored: list[int]
    rejects_path: str | None
    notes: list[str]

    @property
    def rejected_rows(self) -> list[int]:
        return sorted({r.row for r in self.rejected})

    def summary(self) -> str:
        return (f"{self.file}: {self.rows} rows, {len(self.accepted)} accepted, {len(self.rejected_rows)} rejected, "
                f"{len({f['report_id'] for f in self.flagged})} flagged for review, "
                f"{len(self.already_stored)} already in the store")


def flagged_list(validation: Validation, report_ids: list[int]) -> list[dict[str, Any]]:
    """The flags of a validation with the store ids of their reports."""
    return [{"report_id": report_ids[f.report], "row": f.row, "code": f.code, "reason_it": f.reason_it,
             "reason_en": f.reason_en} for f in validation.flags]


def rejects_table(table: RawTable, validation: Validation) -> pd.DataFrame:
    """One line per rejected row: ``row, field, reason_it, reason_en``, then the row as the
    file gave it, so the surveyor can correct the file and import it again."""
    by_row: dict[int, list[Reject]] = {}
    for r in validation.rejects:
        by_row.setdefault(r.row, []).append(r)
    original = dict(zip(table.row_numbers, table.original))
    lines = []
    for row in sorted(by_row):
        problems = by_row[row]
        lines.append({"row": row, "field": "; ".join(p.field for p in problems),
                      "reason_it": "; ".join(f"{p.field}: {p.reason_it}" + (f" ({p.value})" if p.value else "")
                                             for p in problems),
                      "reason_en": "; ".join(f"{p.field}: {p.reason_en}" + (f" ({p.value})" if p.value else "")
                                             for p in problems),
                      **{k: v for k, v in original.get(row, {}).items() if k not in {"row", "field", "reason_it", "reason_en"}}})
    return pd.DataFrame(lines)
