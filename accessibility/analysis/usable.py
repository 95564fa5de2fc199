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

__all__ = [
    "TABLE_PROFILES",
    "USABILITY_COLUMNS",
    "judge_sheet",
    "reached",
    "sheet_table",
    "usability_row",
    "usable_mask",
    "usable_points",
]

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


#: The profiles whose usability the facility table gives (those with needs in
#: ``data/usability.toml``).
TABLE_PROFILES = ("manual_wheelchair", "power_wheelchair", "walker", "pushchair")


def sheet_table(facilities: Any, profiles: list[Profile]) -> Any:
    """Every facility with its sheet and its usability per profile (a GeoDataFrame in the
    facilities' CRS, one row per facility, codes not words).

    Columns: ``category, name, source, osm_type, osm_id``, ``entrances`` (how many are
    mapped), then per sheet field ``<field>`` (the value: yes/limited/no, a number, a
    text; empty when unknown) and ``<field>_source`` (``osm node/31``, ``survey ...``,
    ``unknown``), the entrance fields read at the main entrance (else the first), then
    per profile ``usable_<profile>`` (status) and ``missing_<profile>`` (the needs unmet
    and the fields unknown, ``;``-joined), ``geometry``.

    Parameters
    ----------
    facilities
        The city's facilities (any CRS).
    profiles
        The profiles to judge.

    Returns
    -------
    geopandas.GeoDataFrame
    """
    import geopandas as gpd

    from accessibility.model.sheets import facility_sheets, sheet_fields

    specs = sheet_fields()
    rows = []
    for sheet, (_, fac) in zip(facility_sheets(facilities), facilities.iterrows()):
        door = next((d for d in sheet.entrances if d.value("entrance").value == "main"), sheet.entrances[0])
        row: dict[str, Any] = {
            "category": sheet.category,
            "name": sheet.name,
            "source": fac.get("source", "osm"),
            "osm_type": fac.get("osm_type", ""),
            "osm_id": fac.get("osm_id", -1),
            "entrances": len(sheet.entrances) if sheet.mapped_entrances else 0,
        }
        for name, spec in specs.items():
            value = door.value(name) if spec.element == "entrance" else sheet.value(name)
            asked = spec.element == "entrance" or name in sheet.asked
            row[name] = value.value if value.known else None
            row[f"{name}_source"] = (
                f"{value.source} {value.element}".strip() if value.known else ("unknown" if asked else "")
            )
        for profile in profiles:
            use = judge(sheet, profile)
            row[f"usable_{profile.name}"] = use.status
            row[f"missing_{profile.name}"] = ";".join(use.unmet + use.unknown_fields)
        rows.append(row)
    return gpd.GeoDataFrame(rows, geometry=list(facilities.geometry), crs=facilities.crs)


def usable_mask(facilities: Any, profile: Profile) -> np.ndarray:
    """Which rows of a facilities table are usable with ``profile`` (their sheet meets
    every need; unknown is not usable): for "the nearest pool usable with a wheelchair".

    Returns
    -------
    numpy.ndarray
        One bool per row, in order.
    """
    from accessibility.model.sheets import facility_sheets

    return np.array([judge(s, profile).status == "usable" for s in facility_sheets(facilities)], dtype=bool)
