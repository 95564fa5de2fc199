"""Reports sent through the web: one report from the form or the API goes through the same
checks and the same store transaction as a survey file (:mod:`accessibility.surveys`);
reports and their history as the pages and the API show them.

It wires, it computes nothing of its own: :func:`accessibility.surveys.validate.validate`
checks the report, :func:`~accessibility.surveys.store.prepare_reports` and
:meth:`~accessibility.surveys.store.StoreTransaction.add_reports` store it, as
:func:`~accessibility.surveys.importing.import_file` does for a file.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from accessibility.errors import AccessibilityError
from accessibility.i18n import N_, _
from accessibility.model.barriers import taxonomy
from accessibility.sources.surveys import RawTable, survey_schema
from accessibility.surveys.importing import recheck
from accessibility.surveys.review import STATUSES
from accessibility.surveys.schema import MEASURES, clearing_kinds, kind_label
from accessibility.surveys.store import prepare_reports
from accessibility.surveys.validate import validate
from accessibility.values import normalise_name

__all__ = [
    "FIELDS",
    "STATUS_LABELS",
    "ReportRefused",
    "facility_choices",
    "facility_questions",
    "form_kinds",
    "parse_status",
    "report_json",
    "submit_report",
]

#: Fields a web report may carry (the canonical survey fields; ``id`` is the sender's own
#: identifier, which makes sending the same report twice store it once).
FIELDS = (
    "id",
    "kind",
    "lat",
    "lon",
    *MEASURES,
    "severity",
    "surface",
    "street",
    "description",
    "surveyed_on",
    "temporary",
    "expires_on",
)
#: Prefix of a facility sheet question among a web report's fields (``sheet.changing_room``).
SHEET = "sheet."
#: Fields a web facility sheet survey may carry besides its questions (``sheet.<name>``):
#: the facility's OSM element (``way/123``), notes, the date and the sender's identifier.
FACILITY_FIELDS = ("id", "facility_element", "description", "surveyed_on")
#: Longest free text of a web report field, in characters (a sheet's answer: ``sheet.*``).
TEXT_LIMITS = {"description": 2000, "street": 200, "surface": 100, "id": 80, "facility_element": 40, SHEET: 200}
#: The units of the sheet's numbers, as the form asks them.
_UNITS = {"length": "cm", "percent": "%"}
#: The statuses as people read them.
STATUS_LABELS = {
    "reported": N_("reported"),
    "verified": N_("verified"),
    "planned": N_("planned"),
    "fixed": N_("fixed"),
    "rejected": N_("rejected"),
}
#: Other names a status is given in (Italian, as the office says them).
_STATUS_NAMES = {
    "segnalata": "reported",
    "segnalato": "reported",
    "verificata": "verified",
    "verificato": "verified",
    "programmata": "planned",
    "programmato": "planned",
    "pianificata": "planned",
    "risolta": "fixed",
    "risolto": "fixed",
    "eliminata": "fixed",
    "respinta": "rejected",
    "respinto": "rejected",
    "rifiutata": "rejected",
}
#: Flags of the validation as people read them.
FLAG_LABELS = {
    "near_same_kind": N_("another report of the same kind within 5 m"),
    "off_network": N_("off the network"),
    "swapped": N_("coordinates swapped"),
    "crs_inferred": N_("coordinate system inferred"),
    "expired": N_("already expired"),
    "not_at_node": N_("not at a network node"),
}


@dataclass
class ReportRefused(ValueError, AccessibilityError):
    """A web report that the survey checks reject: each problem's field and reason."""

    problems: list[dict[str, str]]

    def __str__(self) -> str:
        return "; ".join(f"{p['field']}: {p['reason']}" for p in self.problems)


def parse_status(value: str) -> str:
    """A status by its English or Italian name (``verificata`` -> ``verified``); an
    unknown one is returned as given (the review says what is allowed)."""
    key = normalise_name(str(value))
    if key in STATUSES:
        return key
    return _STATUS_NAMES.get(key, str(value))


def form_kinds() -> list[dict[str, Any]]:
    """The kinds a surveyor may report, in the language in use, with the measurement each
    needs (``data/survey_columns.toml``'s ``measure_field``) and its unit."""
    measure_of = survey_schema()["measure_field"]
    out = []
    for name in [*taxonomy(), *clearing_kinds()]:
        out.append({"name": name, "label": kind_label(name), "measure": measure_of.get(name)})
    return out


def facility_questions() -> list[dict[str, Any]]:
    """The facility sheet's questions as the web form asks them, by section
    (:data:`~accessibility.surveys.forms.FACILITY_GROUPS`, labels in the language in use):
    ``[{"name", "label", "questions": [{"name", "label", "kind", "unit", "choices"}]}]``;
    ``choices`` are ``(value, label)`` of a yes/no question (the form's own answers)."""
    from accessibility.model.sheets import sheet_fields
    from accessibility.surveys.forms import FACILITY_GROUPS, facility_choice_lists

    lists = facility_choice_lists()
    specs = sheet_fields()
    groups = []
    for group, label in FACILITY_GROUPS.items():
        questions = []
        for name, spec in specs.items():
            if spec.group != group:
                continue
            choices = []
            if spec.kind == "yesno":
                choices = [(c.name, _(c.label)) for c in lists["si_limitato_no" if spec.limited else "si_no"]]
            questions.append(
                {
                    "name": name,
                    "label": _(spec.label),
                    "kind": spec.kind,
                    "unit": _UNITS.get(spec.kind, ""),
                    "choices": choices,
                }
            )
        groups.append({"name": group, "label": _(label), "questions": questions})
    return groups


def facility_choices(facilities: Any) -> list[dict[str, str]]:
    """The city's facilities for the form's list: ``{"element", "label"}`` (name and
    category), sports facilities first, then by category and name."""
    from accessibility.model.facilities import categories

    cats = categories()
    rows = []
    for osm_type, osm_id, name, cat in zip(
        facilities["osm_type"], facilities["osm_id"], facilities["name"], facilities["category"]
    ):
        shown = str(name) if isinstance(name, str) and name else _("(no name)")
        cat_label = _(cats[cat].label) if cat in cats else str(cat)
        rows.append((cat != "sports", str(cat_label), shown.casefold(), f"{osm_type}/{int(osm_id)}", shown))
    rows.sort()
    return [{"element": e, "label": f"{shown} ({cat})"} for _s, cat, _n, e, shown in rows]


def submit_report(
    city: Any,
    account: str,
    fields: dict[str, Any],
    photos: list[str],
    today: dt.date | None = None,
    facility: bool = False,
) -> dict[str, Any]:
    """Check and store one report sent by ``account`` (who is its surveyor).

    Parameters
    ----------
    city
        The :class:`~accessibility.city.City` of the workspace.
    account
        The account name: the report's surveyor and the history's author.
    fields
        The report's fields by their canonical names (:data:`FIELDS`), as typed.
    photos
        References of photos already stored (``photos/ab/….jpg``).
    today
        The date survey dates are checked against.
    facility
        A facility sheet survey (:mod:`accessibility.surveys.facility`), not a barrier
        report: its fields are :data:`FACILITY_FIELDS` and the sheet's questions
        (``sheet.<name>``), checked as an imported facility row against the city's facilities.

    Returns
    -------
    dict
        ``report_id``, ``already`` (the same report was stored before: its id), ``flags``.

    Raises
    ------
    ReportRefused
        The checks reject the report (each field and why).
    """
    today = today or dt.date.today()
    row: dict[str, Any] = {}
    problems = []
    names = [*FACILITY_FIELDS, *(k for k in fields if k.startswith(SHEET))] if facility else FIELDS
    for name in names:
        value = fields.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        value = value.strip() if isinstance(value, str) else value
        limit = TEXT_LIMITS.get(SHEET if name.startswith(SHEET) else name)
        if limit and len(str(value)) > limit:
            problems.append(
                {"field": name.removeprefix(SHEET), "reason": _("at most {count} characters").format(count=limit)}
            )
        row[name] = value
    if facility and not row.get("facility_element"):
        problems.append({"field": "facility", "reason": _("choose the facility")})
    if problems:
        raise ReportRefused(problems)
    row["surveyor"] = account
    row.setdefault("surveyed_on", today.isoformat())
    if photos:
        row["photo"] = ";".join(photos)
    table = RawTable(
        path=Path("web"),
        format="web",
        rows=[row],
        original=[dict(row)],
        row_numbers=[1],
        headers=list(row),
        mapping={k: k for k in row},
    )
    store = city.store
    existing, last = store.snapshot()
    places = city.facilities if facility else None
    validation = validate(table, city.area, city.network, account, today, existing, facilities=places)
    if validation.rejects:
        raise ReportRefused([{"field": r.field, "reason": str(r.reason)} for r in validation.rejects])
    if validation.already_stored:
        return {"report_id": _stored_id(existing, row), "already": True, "flags": []}
    prepared = prepare_reports(validation.accepted, account, "web")
    with store.transaction() as tx:
        if recheck(validation, tx.added_since(last)):
            if validation.rejects:
                raise ReportRefused([{"field": r.field, "reason": str(r.reason)} for r in validation.rejects])
            if not validation.accepted:
                return {"report_id": _stored_id(tx.reports(), row), "already": True, "flags": []}
            prepared = prepare_reports(validation.accepted, account, "web")
        _import_id, ids = tx.add_reports(
            prepared,
            by=account,
            source_file="web",
            file_sha256="",
            rows=1,
            rejected=0,
            flagged=1 if validation.flags else 0,
            already_stored=0,
        )
    return {
        "report_id": ids[0],
        "already": False,
        "flags": [{"code": f.code, "reason": str(f.reason)} for f in validation.flags],
    }


def _stored_id(reports: pd.DataFrame, row: dict[str, Any]) -> int | None:
    ref = row.get("id")
    if ref is not None and len(reports):
        found = reports[reports["ref"] == str(ref)]
        if len(found):
            return int(found["report_id"].iloc[0])
    return None


def _clean(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


def report_json(row: dict[str, Any]) -> dict[str, Any]:
    """A stored report as the pages and the API give it (labels in the language in use)."""
    kind = row.get("kind") or ""
    unit = taxonomy()[kind].unit if kind in taxonomy() else ""
    photos = [p for p in str(row.get("photo") or "").split(";") if p.startswith("photos/")]
    flags = [f for f in str(row.get("flags") or "").split(";") if f]
    status = row.get("status") or "reported"
    return {
        "id": _clean(row.get("report_id")),
        "ref": _clean(row.get("ref")),
        "kind": kind,
        "kind_label": kind_label(kind) if kind else "",
        "unit": unit,
        **{m: _clean(row.get(m)) for m in MEASURES},
        "severity": _clean(row.get("severity")),
        "street": _clean(row.get("street")),
        "description": _clean(row.get("description")),
        "photos": [f"/survey/{p}" for p in photos],
        "surveyor": _clean(row.get("surveyor")),
        "surveyed_on": _clean(row.get("surveyed_on")),
        "temporary": bool(row.get("temporary")),
        "expires_on": _clean(row.get("expires_on")),
        "lat": _clean(row.get("lat")),
        "lon": _clean(row.get("lon")),
        "status": status,
        "status_label": _(STATUS_LABELS.get(status, status)),
        "status_note": _clean(row.get("status_note")),
        "flags": flags,
        "flag_labels": [_(FLAG_LABELS[f]) if f in FLAG_LABELS else f for f in flags],
        "created_by": _clean(row.get("created_by")),
        "created_at": _clean(row.get("created_at")),
        "updated_at": _clean(row.get("updated_at")),
    }
