"""Usable, not only reachable: the audit's judgement of each facility's sheet (pure).

The audit counts who reaches a facility; this module says whether, once there, the
facility is usable ("fruibile") with the profile (:mod:`accessibility.model.usability`):
every need of its category met by its sheet (:mod:`accessibility.model.sheets`). A
facility is ``usable``, ``not_usable`` (a need known unmet: the missing fields are named)
or ``unknown`` (to be checked: the unknown fields are named). Reaching a facility that
cannot be used counts as reaching it, never as using it: the audit reports both.

>>> from accessibility.model.sheets import sheet_from_tags
>>> from accessibility.model.profiles import load_profile
>>> pool = sheet_from_tags("sports", "Piscina", "way", 1, {"leisure": "swimming_pool",
...     "wheelchair": "yes", "toilets:wheelchair": "yes", "changing_room:wheelchair": "no"})
>>> row = usability_row(judge_sheet(pool, load_profile("manual_wheelchair")))
>>> row["status"], row["missing"], row["unknown"]
('not_usable', 'changing_room', 'shower;pool_hoist')
"""

from __future__ import annotations

from typing import Any

import numpy as np

from accessibility.model.profiles import Profile
from accessibility.model.sheets import FacilitySheet
from accessibility.model.usability import Usability, judge

__all__ = ["USABILITY_COLUMNS", "judge_sheet", "reached", "usability_row", "usable_points"]

#: Columns of the audit's ``usability`` table (one row per profile and facility), before
#: ``geometry``. ``missing``: the needs known unmet; ``unknown``: the sheet fields to
#: survey; ``defects``: the works that would meet the unmet needs (``work@element``).
USABILITY_COLUMNS = [
    "profile",
    "category",
    "name",
    "source",
    "osm_type",
    "osm_id",
    "reachable",
    "residents_reached",
    "status",
    "missing",
    "unknown",
    "defects",
]


def judge_sheet(sheet: FacilitySheet, profile: Profile) -> Usability:
    """The sheet judged for the profile (:func:`accessibility.model.usability.judge`)."""
    return judge(sheet, profile)


def usability_row(use: Usability) -> dict[str, Any]:
    """The judgement as the table's text columns: ``status``, ``missing`` (unmet needs),
    ``unknown`` (fields to survey) and ``defects`` (works), lists joined by ``;``."""
    return {
        "status": use.status,
        "missing": ";".join(use.unmet),
        "unknown": ";".join(use.unknown_fields),
        "defects": ";".join(d.key for d in use.defects),
    }


def usable_points(points: list[tuple[int, float]], facility: list[int], usable: set[int]) -> list[tuple[int, float]]:
    """The arrival points (``Targets.points``) of the facilities in ``usable`` only.

    >>> usable_points([(3, 0.0), (7, 5.0)], [0, 1], {1})
    [(7, 5.0)]
    """
    return [p for p, f in zip(points, facility) if f in usable]


def reached(distances: np.ndarray, people: np.ndarray, metres: float) -> float:
    """Residents at nodes within ``metres`` of ``distances``."""
    return float(people[distances <= metres].sum())
