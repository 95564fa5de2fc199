"""Works inside facilities: what makes a reached facility usable, and whom it serves (pure).

A facility that people reach but cannot use (:mod:`accessibility.model.usability`: an
entrance with steps, no accessible changing room ...) names its defects; each defect is
priced by ``[kinds.facility_<work>]`` of ``data/costs.toml`` (an entrance ramp from the
step count like a ramp in the street, an accessible toilet or changing room, a pool hoist
...). The works that make a facility usable for every profile it is not usable for form
one step of the plan (funded whole, like a pair of street barriers); within it, each work
is one row whose gain is exact given the rows above it.

The gain is the people who gain a usable facility: for each profile and category, the
residents within the plan's threshold of the facility who reach no usable facility of the
category today. They are counted on today's street network: the works in the street
ranked beside them do not change who reaches a facility's door in this count (a
documented simplification; the street rows' gains are exact among themselves).
Facilities compete with each other exactly: after one is ranked, the residents it serves
no longer count for the next.

The helps of ``data/usability.toml`` (an automatic door, a bell, disabled parking,
tactile guidance) change nobody's usability: their works are listed without a gain,
ranked by the residents who reach the facility (``people_passing``, as street works that
serve people on their way).

>>> from accessibility.model.usability import Defect
>>> work_kind(Defect("changing_room", "way/20"))
'facility_changing_room'
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from accessibility.i18n import Message
from accessibility.model.profiles import Profile
from accessibility.model.sheets import FacilitySheet
from accessibility.model.usability import Defect, judge, load_rules
from accessibility.planning.impact import Gain
from accessibility.planning.interventions import CostTable, quantity_of

__all__ = [
    "WORKS_COLUMNS",
    "FacilityStep",
    "FacilityWork",
    "rank_facility_works",
    "work_kind",
    "works_of",
    "works_table",
]


def work_kind(defect: Defect) -> str:
    """The ``[kinds]`` entry of the cost table that prices a defect."""
    return f"facility_{defect.work}"


@dataclass(frozen=True)
class FacilityWork:
    """One priced work on one facility."""

    key: str  #: the defect's key, ``work@element`` (what a plan lists as done)
    kind: str
    facility: int  #: position in the facilities table
    category: str
    name: str
    intervention: str
    quantity: float
    unit: str
    unit_cost: float
    cost: float
    note: Message
    rule: str
    geometry: Any


@dataclass
class FacilityStep:
    """The works ranked together on one facility; ``gains[i]`` is the gain of
    ``works[i]`` given the works above it; ``reach`` the residents who reach the
    facility (``people_passing`` of help works)."""

    works: list[FacilityWork]
    gains: list[Gain] = field(default_factory=list)
    reach: float = 0.0

    @property
    def cost(self) -> float:
        return float(sum(w.cost for w in self.works))

    @property
    def total(self) -> float:
        return float(sum(g.total for g in self.gains))


def works_of(
    defects: list[Defect], facility: int, sheet: FacilitySheet, geometry: Any, table: CostTable
) -> list[FacilityWork]:
    """The priced works for ``defects`` of one facility, cheapest first (a defect the
    cost table does not price is left out)."""
    rules = load_rules().requirements
    out = {}
    for d in defects:
        kind = work_kind(d)
        if kind not in table.kinds or d.key in out:
            continue
        qty, itype, note = quantity_of(kind, d.measure, 0.0, {}, table)
        it = table.interventions[itype]
        need = "way_in" if d.work in {"steps", "door_width"} else d.work
        out[d.key] = FacilityWork(
            d.key,
            kind,
            facility,
            sheet.category,
            sheet.name,
            itype,
            qty,
            it.unit,
            it.euro,
            round(qty * it.euro, 2),
            note,
            rules[need].rule if need in rules else "",
            geometry,
        )
    return sorted(out.values(), key=lambda w: (w.cost, w.key))


def rank_facility_works(
    sheets: dict[str, list[FacilitySheet]],
    geometries: dict[str, list[Any]],
    profiles: list[Profile],
    distances: Callable[[str, str, int | None], np.ndarray],
    usable_distances: Callable[[str, str, set[int]], np.ndarray],
    people: np.ndarray,
    thresholds: dict[str, float],
    table: CostTable,
    value: Callable[[Gain], float] | None = None,
) -> tuple[list[FacilityStep], list[FacilityStep]]:
    """Rank the works that make facilities usable (see module docstring).

    Parameters
    ----------
    sheets, geometries
        Per category, the facilities' sheets and points (positions as in the facilities
        of that category).
    profiles
        The plan's profiles.
    distances
        ``distances(profile, category, i)``: every node's distance to facility ``i`` on
        today's network (``i=None``: to the nearest of the category).
    usable_distances
        ``usable_distances(profile, category, usable)``: to the nearest of the positions
        ``usable``.
    people
        Residents per node (the plan's group).
    thresholds
        The reach threshold per profile, metres.
    table
        The cost table.
    value
        A step's value (default: its people); a lens weighs it.

    Returns
    -------
    tuple of list of FacilityStep
        The steps with a gain, best value per euro first; the help works (no gain), by
        residents reaching the facility per euro.
    """
    value = value or (lambda g: g.total)
    names = [p.name for p in profiles]
    # per (profile, category): which facilities are usable, and what each unusable one lacks
    usable: dict[tuple[str, str], set[int]] = {}
    lacks: dict[tuple[str, str, int], frozenset[str]] = {}
    bundles: dict[tuple[str, int], list[FacilityWork]] = {}
    helps: dict[tuple[str, int], list[FacilityWork]] = {}
    for cat, cat_sheets in sheets.items():
        for p in profiles:
            usable[(p.name, cat)] = set()
        for i, sheet in enumerate(cat_sheets):
            defects: list[Defect] = []
            help_defects: list[Defect] = []
            for p in profiles:
                use = judge(sheet, p)
                help_defects += [d for c in use.helps if c.status == "unmet" for d in c.defects]
                if use.status == "usable":
                    usable[(p.name, cat)].add(i)
                elif use.status == "not_usable":
                    priced = [d for d in use.defects if work_kind(d) in table.kinds]
                    if len(priced) == len(use.defects):  # every unmet need has a priced work
                        lacks[(p.name, cat, i)] = frozenset(d.key for d in use.defects)
                        defects += use.defects
            if defects:
                bundles[(cat, i)] = works_of(defects, i, sheet, geometries[cat][i], table)
            if help_defects:
                helps[(cat, i)] = works_of(help_defects, i, sheet, geometries[cat][i], table)
    # today's distance to the nearest usable facility, per (profile, category)
    du = {(p, k): usable_distances(p, k, usable[(p, k)]) for p in names for k in sheets}
    near: dict[tuple[str, str, int], np.ndarray] = {}

    def d_to(p: str, k: str, i: int) -> np.ndarray:
        if (p, k, i) not in near:
            near[(p, k, i)] = distances(p, k, i)
        return near[(p, k, i)]

    def gains(cat: str, i: int, works: list[FacilityWork]) -> list[Gain]:
        out, done = [], set()
        for w in works:
            done.add(w.key)
            g = Gain({(p, k): 0.0 for p in names for k in sheets}, {(p, k): 0 for p in names for k in sheets})
            for p in names:
                need = lacks.get((p, cat, i))
                if need is None or not need <= done or need <= done - {w.key}:
                    continue  # usable only once the last of its works is done: this one
                T = thresholds[p]
                newly = (d_to(p, cat, i) <= T) & (du[(p, cat)] > T)
                g.people[(p, cat)] = float(people[newly].sum())
                g.facilities[(p, cat)] = 1
            out.append(g)
        return out

    ranked: list[FacilityStep] = []
    left = dict(bundles)
    while left:
        best, best_key, best_gains = -math.inf, None, []
        for key, works in left.items():
            g = gains(key[0], key[1], works)
            cost = sum(w.cost for w in works)
            score = sum(value(x) for x in g) / cost if cost > 0 else math.inf
            if score > best:
                best, best_key, best_gains = score, key, g
        if best_key is None or best <= 0:
            break
        cat, i = best_key
        ranked.append(FacilityStep(left.pop(best_key), best_gains))
        for name in names:  # usable from now on: its residents no longer count for the next
            if lacks.get((name, cat, i)) is not None:
                du[(name, cat)] = np.minimum(du[(name, cat)], d_to(name, cat, i))
    rest = [FacilityStep(works, [Gain() for _ in works]) for works in left.values()]
    for (cat, i), works in helps.items():
        T = max(thresholds.values())
        reach = max(float(people[d_to(p, cat, i) <= T].sum()) for p in names)
        rest.append(FacilityStep(works, [Gain() for _ in works], reach))
    rest.sort(key=lambda s: (-s.reach / max(s.cost, 1e-9), s.cost, s.works[0].key))
    return ranked, rest


#: Columns of :func:`works_table`.
WORKS_COLUMNS = [
    "element",
    "key",
    "intervention",
    "label",
    "quantity",
    "unit",
    "unit_cost",
    "cost",
    "quantity_note",
    "rule",
    "profiles",
]


def works_table(usability: pd.DataFrame, sheets: dict[str, FacilitySheet], table: CostTable) -> pd.DataFrame:
    """The priced works that would make each facility of ``sheets`` usable for the profiles
    it is not usable for (the audit's ``usability`` rows name the defects).

    Parameters
    ----------
    usability
        The audit's ``usability`` table (``osm_type``, ``osm_id``, ``profile``, ``defects``).
    sheets
        The facilities' sheets by element (``way/20``).
    table
        The cost table.

    Returns
    -------
    pandas.DataFrame
        One row per facility and work (:data:`WORKS_COLUMNS`; ``profiles``: those the
        work is needed for, ``;``-joined), cheapest first within a facility.
    """
    by_key: dict[tuple[str, str], tuple[FacilityWork, list[str]]] = {}
    for r in usability.itertuples(index=False):
        element = f"{r.osm_type}/{r.osm_id}"
        if element not in sheets or not r.defects:
            continue
        defects = []
        for key in str(r.defects).split(";"):
            work, _sep, where = key.partition("@")
            defects.append(Defect(work, where))
        for w in works_of(defects, 0, sheets[element], None, table):
            found = by_key.setdefault((element, w.key), (w, []))
            found[1].append(r.profile)
    rows = [
        {
            "element": element,
            "key": w.key,
            "intervention": w.intervention,
            "label": table.interventions[w.intervention].label,
            "quantity": w.quantity,
            "unit": w.unit,
            "unit_cost": w.unit_cost,
            "cost": w.cost,
            "quantity_note": w.note,
            "rule": w.rule,
            "profiles": ";".join(dict.fromkeys(profiles)),
        }
        for (element, _key), (w, profiles) in by_key.items()
    ]
    return pd.DataFrame(rows, columns=WORKS_COLUMNS)
