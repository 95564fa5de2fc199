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
#: Longest free text of a web report field, in characters.
TEXT_LIMITS = {"description": 2000, "street": 200, "surface": 100, "id": 80}
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


def submit_report(
    city: Any,
    account: str,
    fields: dict[str, Any],
    photos: list[str],
    today: dt.date | None = None,
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
    for name in FIELDS:
        value = fields.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        value = value.strip() if isinstance(value, str) else value
        limit = TEXT_LIMITS.get(name)
        if limit and len(str(value)) > limit:
            problems.append({"field": name, "reason": _("at most {count} characters").format(count=limit)})
        row[name] = value
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
    validation = validate(table, city.area, city.network, account, today, existing)
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
