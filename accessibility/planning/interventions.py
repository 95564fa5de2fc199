"""Candidate interventions: what fixing each open barrier means, and what it costs (pure).

Every barrier in force (``city.barriers``: OpenStreetMap and verified surveys) with
known data becomes one candidate: an intervention type, a quantity from the barrier's
measurements, the unit cost of ``data/costs.toml`` and the rule it breaks. Barriers of
unknown data (``known`` false: a kerb nobody measured) are survey tasks, not works, and
are left out.

>>> table = load_cost_table()
>>> qty, kind, note = quantity_of("steps", 12.0, 0.0, {}, table)
>>> qty, kind, note.text("en")
(24.0, 'ramp', '12 steps × 0.16 m = 1.92 m rise, a ramp at 8%')
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from accessibility.errors import CostTableError
from accessibility.i18n import M, Message, Number
from accessibility.model.barriers import taxonomy, text_to_tags
from accessibility.sources.catalogues import read_toml, shipped_toml

QUANTITY_RULES = ("piece", "length", "area", "steps")


@dataclass(frozen=True)
class InterventionType:
    name: str
    label: str  #: in English, the catalogue's message: shown as ``_(intervention.label)``
    unit: str
    euro: float


@dataclass(frozen=True)
class CostTable:
    """Unit costs by intervention type, the kind -> intervention mapping, and defaults."""

    interventions: dict[str, InterventionType]
    kinds: dict[str, dict[str, str]]
    defaults: dict[str, float]
    #: share of an intervention's cost still paid when it is made during scheduled roadworks
    roadworks_share: float = 0.0
    #: how far from the line of scheduled roadworks a barrier lies on that street, metres
    roadworks_buffer_m: float = 15.0


def load_cost_table(path: str | Path | None = None) -> CostTable:
    """Read and check ``data/costs.toml`` (or the city's own copy at ``path``)."""
    raw = shipped_toml("costs.toml") if path is None else read_toml(path, CostTableError)
    path = Path(path) if path else Path("costs.toml")
    types: dict[str, InterventionType] = {}
    for name, t in raw.get("interventions", {}).items():
        try:
            euro = float(t["euro"])
            types[name] = InterventionType(name, str(t["label"]), str(t["unit"]), euro)
        except (KeyError, TypeError, ValueError) as exc:
            raise CostTableError(f"{path}: intervention {name!r} needs label, unit, euro ({exc})") from None
        if not euro > 0:
            raise CostTableError(f"{path}: intervention {name!r}: euro must be positive, not {euro}")
    kinds = raw.get("kinds", {})
    for kind, k in kinds.items():
        if k.get("intervention") not in types:
            raise CostTableError(f"{path}: kind {kind!r} names unknown intervention {k.get('intervention')!r}")
        if k.get("quantity") not in QUANTITY_RULES:
            raise CostTableError(f"{path}: kind {kind!r}: quantity must be one of {', '.join(QUANTITY_RULES)}")
    defaults = {k: float(v) for k, v in raw.get("defaults", {}).items()}
    needed = {"step_rise_m", "default_steps", "ramp_slope", "max_ramp_rise_m", "default_length_m", "default_width_m"}
    if needed - set(defaults):
        raise CostTableError(f"{path}: [defaults] lacks {', '.join(sorted(needed - set(defaults)))}")
    works = raw.get("roadworks", {})
    try:
        share = float(works.get("cost_share", 0.0))
        buffer_m = float(works.get("street_buffer_m", 15.0))
    except (TypeError, ValueError, AttributeError):
        raise CostTableError(f"{path}: [roadworks] cost_share and street_buffer_m must be numbers") from None
    if not 0 <= share <= 1:
        raise CostTableError(f"{path}: [roadworks] cost_share must be between 0 and 1, not {share}")
    if not buffer_m >= 0:
        raise CostTableError(f"{path}: [roadworks] street_buffer_m must be 0 or more, not {buffer_m}")
    return CostTable(types, kinds, defaults, share, buffer_m)


def quantity_of(
    kind: str, measure: float | None, length_m: float, tags: dict[str, str], table: CostTable
) -> tuple[float, str, Message]:
    """``(quantity, intervention type, how the quantity was found)`` for one barrier; the
    last is a catalogue message, shown in the language of each output."""
    rule = table.kinds[kind]
    d = table.defaults
    how = rule["quantity"]
    if how == "piece":
        return 1.0, rule["intervention"], M("1 piece")
    length = length_m if length_m > 0 else d["default_length_m"]
    note = (
        M("{length} m", length=Number(length, 1))
        if length_m > 0
        else M("{length} m (default: length unknown)", length=Number(length, 1))
    )
    if how == "length":
        return round(length, 1), rule["intervention"], note
    if how == "area":
        width = _width_m(tags)
        wnote = (
            M("{width} m wide", width=Number(width, 2))
            if width
            else M("{width} m wide (default)", width=Number(d["default_width_m"], 2))
        )
        width = width or d["default_width_m"]
        return round(length * width, 1), rule["intervention"], M("{length} × {width}", length=note, width=wnote)
    # steps
    known = measure is not None and not math.isnan(measure) and measure > 0
    steps = float(measure) if known and measure is not None else d["default_steps"]
    rise = steps * d["step_rise_m"]
    count = (
        M("{count} steps", count=Number(steps))
        if known
        else M("{count} steps (default: count unknown)", count=Number(steps))
    )
    if rise > d["max_ramp_rise_m"]:
        return (
            1.0,
            "lift",
            M(
                "{count} × {step} m = {rise} m rise, more than {most} m: a lift",
                count=count,
                step=Number(d["step_rise_m"], 2),
                rise=Number(rise, 2),
                most=Number(d["max_ramp_rise_m"], 2),
            ),
        )
    ramp = rise / d["ramp_slope"]
    return (
        round(ramp, 1),
        rule["intervention"],
        M(
            "{count} × {step} m = {rise} m rise, a ramp at {slope}%",
            count=count,
            step=Number(d["step_rise_m"], 2),
            rise=Number(rise, 2),
            slope=Number(100 * d["ramp_slope"]),
        ),
    )


def _text(value) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _width_m(tags: dict[str, str]) -> float | None:
    for key in ("width", "est_width"):
        try:
            value = float(str(tags.get(key, "")).replace(",", ".").removesuffix("m").strip())
        except ValueError:
            continue
        if value > 0:
            return value
    return None


CANDIDATE_COLUMNS = [
    "row",
    "barrier_id",
    "kind",
    "source",
    "street",
    "description",
    "element",
    "intervention",
    "quantity",
    "unit",
    "unit_cost",
    "cost",
    "quantity_note",
    "rule",
]


def candidates(barriers: gpd.GeoDataFrame, table: CostTable | None = None) -> gpd.GeoDataFrame:
    """One candidate intervention per barrier row with known data, in the barriers' CRS.

    ``row`` is the position of the barrier in ``barriers`` (what planning removes when it
    fixes the candidate). Kinds without an intervention in the table are left out.
    """
    table = table or load_cost_table()
    tax = taxonomy()
    rows: list[dict[str, Any]] = []
    geoms = []
    known = barriers["known"].to_numpy(dtype=bool) if len(barriers) else np.array([], dtype=bool)
    for i, r in enumerate(barriers.itertuples(index=False)):
        if not known[i] or r.kind not in table.kinds:
            continue
        geom = r.geometry
        length = float(geom.length) if geom is not None and geom.geom_type != "Point" else 0.0
        measure = None if pd.isna(r.measure) else float(r.measure)
        qty, itype, note = quantity_of(r.kind, measure, length, text_to_tags(r.tags), table)
        it = table.interventions[itype]
        rows.append(
            {
                "row": i,
                "barrier_id": r.barrier_id,
                "kind": r.kind,
                "source": r.source,
                "street": None if pd.isna(r.street) else str(r.street),
                "description": _text(getattr(r, "description", None)),
                "element": r.element,
                "intervention": itype,
                "quantity": qty,
                "unit": it.unit,
                "unit_cost": it.euro,
                "cost": round(qty * it.euro, 2),
                "quantity_note": note,
                "rule": r.rule if isinstance(r.rule, str) and r.rule else tax[r.kind].rule,
            }
        )
        geoms.append(geom)
    return gpd.GeoDataFrame(rows, columns=CANDIDATE_COLUMNS, geometry=geoms, crs=barriers.crs)
