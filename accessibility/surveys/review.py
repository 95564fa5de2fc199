"""A report's life: ``reported -> verified -> planned -> fixed``, or ``rejected`` with a
reason; which reports are in force on a day (pure)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from accessibility.errors import ReviewError
from accessibility.i18n import N_, _, in_every_language
from accessibility.values import normalise_name

__all__ = [
    "IN_FORCE",
    "STATUSES",
    "STATUS_LABELS",
    "TRANSITIONS",
    "check_transition",
    "in_force",
    "parse_status",
    "status_label",
]

STATUSES = ("reported", "verified", "planned", "fixed", "rejected")
#: Allowed status changes; a rejection needs a note saying why.
TRANSITIONS: dict[str, frozenset[str]] = {
    "reported": frozenset({"verified", "rejected"}),
    "verified": frozenset({"planned", "fixed", "rejected"}),
    "planned": frozenset({"verified", "fixed", "rejected"}),
    "fixed": frozenset({"verified"}),  # reopened: the barrier is back
    "rejected": frozenset({"reported"}),  # reopened for a new review
}
#: A status as people read it (a report, "segnalazione", is feminine in Italian).
STATUS_LABELS = {
    "reported": N_("reported"),
    "verified": N_("verified"),
    "planned": N_("planned"),
    "fixed": N_("fixed"),
    "rejected": N_("rejected"),
}
#: More ways the office writes a status (both genders of the Italian words, synonyms).
STATUS_ALIASES = {
    "segnalato": "reported",
    "nuovo": "reported",
    "da_verificare": "reported",
    "verificato": "verified",
    "confermato": "verified",
    "confermata": "verified",
    "pianificato": "planned",
    "programmato": "planned",
    "pianificata": "planned",
    "in_programma": "planned",
    "risolto": "fixed",
    "eliminato": "fixed",
    "eliminata": "fixed",
    "rimosso": "fixed",
    "rimossa": "fixed",
    "respinto": "rejected",
    "rifiutato": "rejected",
    "rifiutata": "rejected",
}
#: Statuses whose reports change the barrier set.
IN_FORCE = frozenset({"verified", "planned"})


def status_label(status: str) -> str:
    """A status in the language in use (``verified`` -> ``verificata``)."""
    return _(STATUS_LABELS[status]) if status in STATUS_LABELS else status


def parse_status(value: str) -> str:
    """A status from its name, its label in any language of the catalogue, or how the
    office writes it (``verificato``, ``verificata``, ``verified`` -> ``verified``).

    Raises
    ------
    ReviewError
        No status is called so (the message lists them in the language in use).
    """
    key = normalise_name(value)
    names = {normalise_name(s): s for s in STATUSES} | {normalise_name(k): v for k, v in STATUS_ALIASES.items()}
    for status, label in STATUS_LABELS.items():
        for text in in_every_language(label).values():
            names.setdefault(normalise_name(text), status)
    if key not in names:
        raise ReviewError(
            _("unknown status {status}; statuses: {choices}").format(
                status=repr(value), choices=", ".join(status_label(s) for s in STATUSES)
            )
        )
    return names[key]


def check_transition(report_id: int, current: str, new: str, note: str | None) -> None:
    """Raise :class:`ReviewError` unless ``current -> new`` is allowed (with its note)."""
    if new not in STATUSES:
        raise ReviewError(
            _("report #{report}: unknown status {status}; statuses: {choices}").format(
                report=report_id, status=repr(new), choices=", ".join(status_label(s) for s in STATUSES)
            )
        )
    if new not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(status_label(s) for s in TRANSITIONS[current]))
        raise ReviewError(
            _("report #{report} is {current}: it can become {allowed}, not {new}").format(
                report=report_id, current=status_label(current), allowed=allowed, new=status_label(new)
            )
        )
    if new == "rejected" and not (note and note.strip()):
        raise ReviewError(_("report #{report}: a rejection needs a note saying why (--note)").format(report=report_id))


def in_force(reports: pd.DataFrame, today: dt.date) -> pd.Series:
    """Which reports change the barrier set today: verified or planned, not expired."""
    if not len(reports):
        return pd.Series([], dtype=bool)
    expired = [isinstance(e, str) and bool(e) and dt.date.fromisoformat(e[:10]) < today for e in reports["expires_on"]]
    return reports["status"].isin(IN_FORCE) & ~pd.Series(expired, index=reports.index, dtype=bool)
