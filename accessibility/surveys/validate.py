"""Check and normalise the rows of a survey file into reports (pure).

Nothing here reads or writes files. :func:`validate` turns the raw rows of a survey file
(:mod:`accessibility.sources.surveys`) into normalised reports, rejects (row, field and a
plain reason in Italian and English) and flags for review (swapped coordinates, reports
of the same kind a few metres apart, reports off the network).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
from pyproj import Transformer
from scipy.spatial import cKDTree
from shapely.geometry.base import BaseGeometry

from accessibility import settings
from accessibility.coordinates import Location, locate, parse_crs
from accessibility.i18n import N_, Date, M, Message, Number, _
from accessibility.model.snapping import network_index
from accessibility.sources.surveys import RawTable
from accessibility.surveys.schema import (
    FACILITY_KIND,
    INTEGER_FIELDS,
    MEASURES,
    RANGES,
    TEXT_FIELDS,
    clearing_kinds,
    kind_names,
    node_kinds,
    parse_kind,
)
from accessibility.values import normalise_name, parse_date, parse_flag, parse_number

#: What each flag of a report means, in a few words (the flags column holds the codes).
FLAG_LABELS = {
    "swapped": N_("coordinates swapped"),
    "crs_inferred": N_("coordinate system inferred"),
    "expired": N_("already expired"),
    "off_network": N_("off the network"),
    "not_at_node": N_("no graph node near"),
    "near_same_kind": N_("same kind nearby"),
    "poor_gps": N_("poor GPS fix"),
    "photo_missing": N_("photo not found"),
    "photo_refused": N_("photo refused"),
}


def flag_labels(codes: str | None) -> str:
    """The flags of a report (``"poor_gps;swapped"``) in words, in the language in use."""
    return "; ".join(_(FLAG_LABELS[c]) if c in FLAG_LABELS else c for c in (codes or "").split(";") if c)


# --- results ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Reject:
    """One problem with one row: where, which field, and why."""

    row: int
    field: str
    value: str
    reason: Message  #: written in every language an output asks for


@dataclass(frozen=True)
class Flag:
    """An accepted report a person should look at; ``report`` indexes ``Validation.accepted``."""

    row: int
    report: int
    code: str
    reason: Message


@dataclass
class Validation:
    """What :func:`validate` made of a file: reports to store, rejects, flags, and the rows
    already in the store (identical content, so adding them again would duplicate)."""

    accepted: list[dict[str, Any]] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)
    already_stored: list[int] = field(default_factory=list)
    notes: list[Message] = field(default_factory=list)

    @property
    def rejected_rows(self) -> list[int]:
        return sorted({r.row for r in self.rejects})


class _RowProblems(list):
    def add(self, row: int, fieldname: str, value: Any, reason: Message) -> None:
        self.append(Reject(row, fieldname, "" if value is None else str(value), reason))


# --- validation ---------------------------------------------------------------------------


def validate(
    table: RawTable,
    area: gpd.GeoDataFrame,
    G: nx.MultiDiGraph,
    surveyor: str,
    today: dt.date,
    existing: pd.DataFrame | None = None,
    crs: int | None = None,
    facilities: gpd.GeoDataFrame | None = None,
) -> Validation:
    """Check every row of ``table`` and normalise the good ones (see module docstring).

    ``area``: the study area (any CRS); ``G``: the network, for snapping and its CRS;
    ``surveyor``: who imports (a row's own surveyor column wins); ``existing``: reports
    already stored (columns ``report_id, ref, kind, content_hash, lon, lat``), for
    duplicates; ``crs``: EPSG code of x/y columns when the file has no CRS column;
    ``facilities``: given, the rows are facility sheet surveys
    (:mod:`accessibility.surveys.facility`) about these facilities, not barrier reports.
    """
    from accessibility.surveys.facility import FacilityIndex, facility_answers

    out = Validation()
    places = FacilityIndex(facilities) if facilities is not None else None
    area_wgs84 = area.to_crs(4326).union_all()
    to_graph = Transformer.from_crs(4326, G.graph["crs"], always_xy=True)
    index = network_index(G)
    if table.ignored_columns:
        out.notes.append(M("ignored columns: {columns}", columns=", ".join(table.ignored_columns)))
    fields = set(table.mapping.values())
    if "kind" not in fields and places is None:
        out.notes.append(M("no column for the kind of barrier (tipo)"))

    existing = (
        existing
        if existing is not None
        else pd.DataFrame(columns=["report_id", "ref", "kind", "content_hash", "lon", "lat"])
    )
    stored_hashes = dict(zip(existing["content_hash"], existing["report_id"]))
    stored_refs = {str(r): rid for r, rid in zip(existing["ref"], existing["report_id"]) if isinstance(r, str) and r}
    seen_hashes: dict[str, int] = {}
    seen_refs: dict[str, int] = {}
    subs = existing["submission_id"] if "submission_id" in existing else []
    stored_subs = {str(s): rid for s, rid in zip(subs, existing["report_id"]) if isinstance(s, str) and s}
    seen_subs: dict[str, int] = {}

    pending: list[tuple[int, dict[str, Any], list[tuple[str, Message]]]] = []
    for number, raw in zip(table.row_numbers, table.rows):
        if places is not None:
            raw = places.placed(raw)
        problems = _RowProblems()
        report, notes = _normalise(number, raw, problems, surveyor, today, crs, area_wgs84, places is None)
        if places is not None and report is not None:
            _facility(number, raw, report, problems, places, facility_answers)
        if problems:
            out.rejects.extend(problems)
            continue
        assert report is not None
        report["content_hash"] = content_hash(
            report, raw.get("surveyor") is not None or raw.get("submitted_by") is not None
        )
        h = report["content_hash"]
        sid = report["submission_id"]
        if sid is not None:
            if sid in seen_subs:
                out.rejects.append(
                    Reject(number, "submission_id", sid, M("the same submission as row {other}", other=seen_subs[sid]))
                )
                continue
            seen_subs[sid] = number
            if sid in stored_subs:  # the tool's own id: this submission is stored, as it was or edited since
                out.already_stored.append(number)
                continue
        if h in seen_hashes:
            out.rejects.append(Reject(number, "*", "", M("duplicate row: same as row {other}", other=seen_hashes[h])))
            continue
        seen_hashes[h] = number
        if h in stored_hashes:
            out.already_stored.append(number)
            continue
        ref = report["ref"]
        if ref is not None:
            if ref in seen_refs:
                out.rejects.append(
                    Reject(
                        number,
                        "id",
                        ref,
                        M("id {ref} already used in row {other} with different data", ref=ref, other=seen_refs[ref]),
                    )
                )
                continue
            if ref in stored_refs:
                out.rejects.append(
                    Reject(
                        number,
                        "id",
                        ref,
                        M(
                            "id {ref} already used by stored report #{other} with different data: give a new id",
                            ref=ref,
                            other=stored_refs[ref],
                        ),
                    )
                )
                continue
            seen_refs[ref] = number
        report["source_row"] = number
        if places is not None:  # a facility survey stands at its facility: no snapping
            out.accepted.append(report)
            out.flags.extend(Flag(number, len(out.accepted) - 1, code, reason) for code, reason in notes)
            continue
        pending.append((number, report, notes))

    # one projection for all rows (pyproj per row costs more than the rest of a row)
    lons = np.array([r["lon"] for _, r, _ in pending], dtype=float)
    lats = np.array([r["lat"] for _, r, _ in pending], dtype=float)
    xs, ys = to_graph.transform(lons, lats) if len(pending) else (lons, lats)
    node_kind = node_kinds()
    clearing = clearing_kinds()
    xy = np.column_stack([np.atleast_1d(xs), np.atleast_1d(ys)]) if len(pending) else np.empty((0, 2))
    snaps = index.snap_reports(
        xy,
        np.array([r["kind"] in node_kind for _, r, _ in pending], dtype=bool),
        settings.survey_snap_node_m,
        settings.survey_snap_edge_m,
    )
    for (number, report, notes), (x, y), snap in zip(pending, xy.tolist(), snaps):
        report["snap"], report["snap_m"] = snap.element, round(snap.distance_m, 2)
        position = len(out.accepted)
        report["_xy"] = (x, y)
        out.accepted.append(report)
        for code, reason in notes:
            out.flags.append(Flag(number, position, code, reason))
        if snap.element == "off_network":
            out.flags.append(
                Flag(
                    number,
                    position,
                    "off_network",
                    M(
                        "off network: {distance} m from the nearest path (tolerance {tolerance} m); not moved",
                        distance=Number(snap.distance_m),
                        tolerance=Number(settings.survey_snap_edge_m, 1),
                    ),
                )
            )
        elif report["kind"] in clearing and snap.element != "node":
            out.flags.append(
                Flag(
                    number,
                    position,
                    "not_at_node",
                    M(
                        "no graph node within {distance} m: cannot override OpenStreetMap",
                        distance=Number(settings.survey_snap_node_m, 1),
                    ),
                )
            )
    if places is None:
        _flag_near(out, existing, to_graph)
    codes: list[set[str]] = [set() for _ in out.accepted]
    for f in out.flags:
        codes[f.report].add(f.code)
    for report, found in zip(out.accepted, codes):
        report["flags"] = ";".join(sorted(found))
        report.pop("_xy", None)
    return out


def _normalise(
    number: int,
    raw: dict[str, Any],
    problems: _RowProblems,
    surveyor: str,
    today: dt.date,
    crs: int | None,
    area_wgs84: BaseGeometry,
    barrier: bool = True,
) -> tuple[dict[str, Any] | None, list[tuple[str, Message]]]:
    """One row -> a report dict, adding each problem found to ``problems`` (``barrier``
    false: a facility sheet survey, without kind, measures or expiry)."""
    notes: list[tuple[str, Message]] = []
    report: dict[str, Any] = {"ref": None if raw.get("id") is None else _text(raw["id"])}

    if not barrier:
        report["kind"] = FACILITY_KIND
        raw = {k: v for k, v in raw.items() if k not in {*MEASURES, "severity", "temporary", "expires_on"}}
    elif "kind" not in raw:
        problems.add(number, "kind", None, M("the kind of barrier is missing"))
    else:
        try:
            report["kind"] = parse_kind(raw["kind"])
        except ValueError:
            problems.add(
                number,
                "kind",
                raw["kind"],
                M("unknown kind of barrier; valid kinds: {kinds}", kinds=", ".join(sorted(set(kind_names().values())))),
            )

    for name in (*MEASURES, "severity"):
        report[name] = None
        if name not in raw:
            continue
        try:
            value = parse_number(raw[name])
        except ValueError:
            problems.add(number, name, raw[name], M("not a number"))
            continue
        low, high = RANGES[name]
        if name in INTEGER_FIELDS and not value.is_integer():
            problems.add(number, name, raw[name], M("must be a whole number"))
        elif not low <= value <= high:
            problems.add(
                number,
                name,
                raw[name],
                M("out of range: must be between {low} and {high}", low=Number(low, 1), high=Number(high, 1)),
            )
        else:
            report[name] = int(value) if name in INTEGER_FIELDS else value

    for name in TEXT_FIELDS:
        report[name] = None if raw.get(name) is None else _text(raw[name])
    # the surveyor the row names, else the field tool's account, else who imports
    named = raw.get("surveyor") if raw.get("surveyor") is not None else raw.get("submitted_by")
    report["surveyor"] = _text(named) if named is not None else surveyor
    # the code of the barrier the report is about (printed on the plan and the barrier sheet)
    report["barrier_code"] = _short_text(raw.get("barrier_code"))
    # the field tool's own id of the submission: a re-import of it adds nothing
    report["submission_id"] = _short_text(raw.get("submission_id"))
    state = raw.get("review_state")
    if state is not None and normalise_name(str(state)) in REFUSED_STATES:
        problems.add(
            number,
            "review_state",
            state,
            M("rejected by the reviewer in the field tool ({state}): not imported", state=str(state)[:40]),
        )
    _photos(raw, report)

    surveyed = None
    # the survey date; a field tool's form may leave it to the start of the interview or
    # the time of submission
    date_field = next((f for f in ("surveyed_on", "started_at", "submitted_at") if f in raw), None)
    if date_field is None:
        problems.add(number, "surveyed_on", None, M("the survey date is missing"))
    else:
        try:
            surveyed = parse_date(raw[date_field])
        except ValueError:
            problems.add(number, date_field, raw[date_field], M("not a valid date (use dd/mm/yyyy or yyyy-mm-dd)"))
        else:
            if surveyed > today:
                problems.add(number, date_field, raw[date_field], M("survey date is in the future"))
                surveyed = None
            elif surveyed.year < settings.survey_oldest_year:
                problems.add(
                    number,
                    date_field,
                    raw[date_field],
                    M("survey date before {year}", year=settings.survey_oldest_year),
                )
                surveyed = None
    report["surveyed_on"] = surveyed.isoformat() if surveyed else None

    temporary = False
    if "temporary" in raw:
        try:
            temporary = parse_flag(raw["temporary"])
        except ValueError:
            problems.add(number, "temporary", raw["temporary"], M("not a valid value: use yes or no"))
    expires = None
    if "expires_on" in raw:
        try:
            expires = parse_date(raw["expires_on"])
        except ValueError:
            problems.add(
                number, "expires_on", raw["expires_on"], M("not a valid expiry date (use dd/mm/yyyy or yyyy-mm-dd)")
            )
        else:
            temporary = True  # an expiry date only makes sense for a temporary barrier
            if surveyed and expires < surveyed:
                problems.add(number, "expires_on", raw["expires_on"], M("the expiry date is before the survey date"))
            elif expires < today:
                notes.append(("expired", M("already expired on {date}: does not block", date=Date(expires))))
    elif temporary and "temporary" in raw:
        problems.add(number, "expires_on", None, M("a temporary barrier needs an expiry date"))
    report["temporary"] = temporary
    report["expires_on"] = expires.isoformat() if expires else None

    report["gps_precision_m"] = None
    if "lat" not in raw and "lon" not in raw and "x" not in raw and "y" not in raw and "position" in raw:
        try:
            parts = parse_position(raw["position"])
        except ValueError:
            problems.add(
                number,
                "position",
                raw["position"],
                M("not a position: give latitude and longitude, e.g. 45.1335, 10.0227"),
            )
            return None, notes
        raw = {**raw, "lat": parts[0], "lon": parts[1]}
        if len(parts) == 4 and "gps_precision_m" not in raw:
            raw["gps_precision_m"] = parts[3]
    if "gps_precision_m" in raw:
        try:
            precision = parse_number(raw["gps_precision_m"])
        except ValueError:
            problems.add(number, "gps_precision_m", raw["gps_precision_m"], M("not a number"))
        else:
            if not 0 <= precision <= 100_000:
                problems.add(
                    number,
                    "gps_precision_m",
                    raw["gps_precision_m"],
                    M("out of range: must be between {low} and {high}", low=Number(0, 1), high=Number(100_000, 1)),
                )
            else:
                report["gps_precision_m"] = precision
                if precision > settings.survey_gps_poor_m:
                    notes.append(
                        (
                            "poor_gps",
                            M(
                                "poor GPS fix: precise to {precision} m (more than {limit} m); check the position",
                                precision=Number(precision, 1),
                                limit=Number(settings.survey_gps_poor_m, 1),
                            ),
                        )
                    )
    location = _location(number, raw, problems, crs, area_wgs84)
    if location is not None:
        report["lon"], report["lat"] = round(location.lon, 7), round(location.lat, 7)
        if location.swapped:
            notes.append(("swapped", M("coordinates swapped (latitude/longitude or X/Y): corrected")))
        if location.inferred_crs:
            notes.append(("crs_inferred", M("no CRS given: EPSG:{code} inferred from the numbers", code=location.crs)))
    return (None if problems else report), notes


def _location(
    number: int, raw: dict[str, Any], problems: _RowProblems, crs: int | None, area_wgs84: BaseGeometry
) -> Location | None:
    if "geometry_error" in raw:
        problems.add(number, "geometry", raw["geometry_error"], M("the geometry must be a point"))
        return None
    geographic = "lat" in raw or "lon" in raw
    a_name, b_name = ("lon", "lat") if geographic else ("x", "y")
    if a_name not in raw and b_name not in raw:
        problems.add(number, "location", None, M("the location is missing (latitude and longitude, or X and Y)"))
        return None
    values = []
    for name in (a_name, b_name):
        if name not in raw:
            problems.add(number, name, None, M("coordinate {name} is missing", name=name))
            continue
        try:
            values.append(parse_number(raw[name]))
        except ValueError:
            problems.add(number, name, raw[name], M("coordinate is not a number"))
    row_crs = crs
    if "crs" in raw and not geographic:
        try:
            row_crs = parse_crs(raw["crs"])
        except ValueError:
            problems.add(
                number,
                "crs",
                raw["crs"],
                M("unsupported CRS; use one of EPSG {codes}", codes=", ".join(map(str, sorted(settings.survey_crs)))),
            )
            return None
    if len(values) < 2:
        return None
    found = locate(values[0], values[1], 4326 if geographic else row_crs, area_wgs84, geographic)
    if found == "no_crs":
        problems.add(number, "crs", None, M("X/Y without a CRS: add a crs column (e.g. 3003, 32632)"))
        return None
    if found == "outside":
        where = f"{values[0]}, {values[1]}"
        problems.add(number, "location", where, M("location outside the city's area"))
        return None
    return found  # type: ignore[return-value]


def _facility(
    number: int, raw: dict[str, Any], report: dict[str, Any], problems: _RowProblems, places: Any, answers_of: Any
) -> None:
    """Add to a facility survey's report its facility (``facility``: the element; ``street``:
    its name), the distance to it (``snap_m``) and its answers as JSON (``answers``)."""
    element = _short_text(raw.get("facility_element"))
    found, distance, problem = places.find(element, report["lon"], report["lat"])
    if problem is not None:
        problems.add(number, "elemento_osm" if element else "location", element, problem)
    else:
        report["facility"] = places.elements[found]
        report["street"] = places.names[found] or _short_text(raw.get("facility_name"))
        report["snap"], report["snap_m"] = "facility", round(distance, 2)
    answers, bad = answers_of(raw)
    for name, value, reason in bad:
        problems.add(number, name, value, reason)
    report["answers"] = json.dumps(answers, sort_keys=True, ensure_ascii=False)


#: Review states of the field tools that mean "rejected" (KoboToolbox's validation
#: status, as its label or its code; ODK Central's review state), normalised.
REFUSED_STATES = frozenset({"not_approved", "validation_status_not_approved", "rejected", "respinto", "non_approvato"})
#: The columns of a report's photos (file names), and of their links when a tool gives them.
PHOTO_FIELDS = ("photo", "photo_2", "photo_3")


def _short_text(value: Any) -> str | None:
    """A code or id as text, without surrounding blanks (``None`` when empty)."""
    if value is None:
        return None
    text = _text(value).strip()
    return text[:200] or None


def _photos(raw: dict[str, Any], report: dict[str, Any]) -> None:
    """The report's photos: their file names (``_photo_names``, for the import to find and
    attach them), and as text in ``photo`` (the names, else the links a tool gave)."""
    names = [_text(raw[f]).strip() for f in PHOTO_FIELDS if raw.get(f) is not None and _text(raw[f]).strip()]
    links = [
        _text(raw[f"{f}_url"]).strip()
        for f in PHOTO_FIELDS
        if raw.get(f"{f}_url") is not None and _text(raw[f"{f}_url"]).strip()
    ]
    report["photo"] = "; ".join(names) or "; ".join(links) or None
    report["_photo_names"] = [n for n in names if "://" not in n]  # a link is no file to attach
    report["photos"] = None


def parse_position(value: Any) -> list[float]:
    """A position as one text: ``"lat lon [altitude precision]"`` (a geopoint as KoboToolbox
    and ODK write it) or ``"lat, lon"`` as typed in a form, decimal point or comma.

    >>> parse_position("45.1335 10.0227 48.5 3.9"), parse_position("45,1335 10,0227"), parse_position("45.13, 10.02")
    ([45.1335, 10.0227, 48.5, 3.9], [45.1335, 10.0227], [45.13, 10.02])
    """
    text = str(value).strip()
    if "." in text:
        tokens = re.split(r"[\s,;]+", text)
    else:  # decimal commas: the numbers are apart by blanks or semicolons
        tokens = [t.replace(",", ".") for t in re.split(r"[\s;]+", text)]
    numbers = [float(t) for t in tokens if t and re.fullmatch(r"[-+]?\d+(\.\d+)?", t)]
    if len(numbers) != len([t for t in tokens if t]) or len(numbers) not in (2, 3, 4):
        raise ValueError("not a position")
    return numbers


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
    for k in ("barrier_code", "submission_id", "gps_precision_m", "facility", "answers"):  # hashed only when given
        if report.get(k) is not None:
            content[k] = report[k]
    if surveyor_in_file:
        content["surveyor"] = report["surveyor"]
    return hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()


#: At most this many reports of the same kind nearby are named in a report's flags (a
#: dense cluster would otherwise give every report every other one: quadratic).
NEAR_NAMED = 5


def _flag_near(out: Validation, existing: pd.DataFrame, to_graph: Transformer) -> None:
    """Flag accepted reports with another of the same kind within the near distance (the
    :data:`NEAR_NAMED` nearest, stored reports and rows of the file alike)."""
    radius = settings.survey_near_duplicate_m
    if not out.accepted:
        return
    old_kind = existing["kind"].to_numpy(dtype=object) if len(existing) else np.array([], dtype=object)
    if len(existing):
        ox, oy = to_graph.transform(existing["lon"].to_numpy(float), existing["lat"].to_numpy(float))
        old_xy = np.column_stack([np.atleast_1d(ox), np.atleast_1d(oy)])
    else:
        old_xy = np.empty((0, 2))
    old_ids = existing["report_id"].tolist() if len(existing) else []
    new_kind = np.array([r["kind"] for r in out.accepted], dtype=object)
    new_xy = np.array([r["_xy"] for r in out.accepted], dtype=float).reshape(-1, 2)
    for kind in sorted(set(new_kind.tolist())):
        mine = np.flatnonzero(new_kind == kind)
        theirs = np.flatnonzero(old_kind == kind) if len(old_kind) else np.array([], dtype=int)
        xy = np.vstack([old_xy[theirs], new_xy[mine]])
        tree = cKDTree(xy)
        k = min(NEAR_NAMED + 1, len(xy))
        dist, idx = tree.query(new_xy[mine], k=k, distance_upper_bound=radius)
        dist, idx = dist.reshape(len(mine), k), idx.reshape(len(mine), k)
        for row, (ds, js) in enumerate(zip(dist.tolist(), idx.tolist())):
            me = len(theirs) + row
            pos = int(mine[row])
            for d, j in zip(ds, js):
                if j == me or j >= len(xy) or not d < radius:
                    continue
                if j < len(theirs):
                    other = M("report #{report}", report=old_ids[int(theirs[j])])
                else:
                    other = M("row {row}", row=out.accepted[int(mine[j - len(theirs)])]["source_row"])
                out.flags.append(
                    Flag(
                        out.accepted[pos]["source_row"],
                        pos,
                        "near_same_kind",
                        M(
                            "{distance} m from {other} of the same kind: check whether it is the same barrier",
                            distance=Number(d, 1),
                            other=other,
                        ),
                    )
                )
