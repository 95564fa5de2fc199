"""A report's life: ``reported -> verified -> planned -> fixed``, or ``rejected`` with a
reason; which reports are in force on a day (pure)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from accessibility.errors import ReviewError
from accessibility.i18n import _

__all__ = ["IN_FORCE", "STATUSES", "TRANSITIONS", "check_transition", "in_force"]

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


def check_transition(report_id: int, current: str, new: str, note: str | None) -> None:
    """Raise :class:`ReviewError` unless ``current -> new`` is allowed (with its note)."""
    if new not in STATUSES:
        raise ReviewError(
            _("report #{report}: unknown status {status}; statuses: {choices}").format(
                report=report_id, status=repr(new), choices=", ".join(STATUSES)
            )
        )
    if new not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current]))
        raise ReviewError(
            _("report #{report} is {current}: it can become {allowed}, not {new}").format(
                report=report_id, current=current, allowed=allowed, new=new
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
