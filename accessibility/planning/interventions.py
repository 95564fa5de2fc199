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
from accessibility.i18n import N_, M, Message, Number, _
from accessibility.model.barriers import taxonomy, text_to_tags
from accessibility.sources.catalogues import read_toml, shipped_toml
from accessibility.values import parse_tag

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


#: The ``[defaults]`` of a cost table: what each must be, checked on reading.
_DEFAULTS: dict[str, tuple[float, str]] = {
    # name: (highest plausible value, what it is); every one must be greater than 0
    "step_rise_m": (1.0, N_("a step's rise in metres, e.g. 0.16")),
    "default_steps": (1000.0, N_("a number of steps, e.g. 5")),
    "ramp_slope": (1.0, N_("a slope as a fraction, e.g. 0.08 for 8 %")),
    "max_ramp_rise_m": (100.0, N_("a height in metres, e.g. 3.20")),
    "default_length_m": (10000.0, N_("a length in metres, e.g. 5.0")),
    "default_width_m": (100.0, N_("a width in metres, e.g. 1.5")),
}


def load_cost_table(path: str | Path | None = None) -> CostTable:
    """Read and check ``data/costs.toml`` (or the city's own copy at ``path``).

    Raises
    ------
    CostTableError
        A section that is not a table, an entry without its label, unit or price, a
        price or default that is not a finite positive number (``ramp_slope = 0``,
        ``step_rise_m = -0.16``, ``euro = "tanti"``), or a kind naming an unknown
        intervention; the message names the file, the entry and the value.
    """
    raw = shipped_toml("costs.toml") if path is None else read_toml(path, CostTableError)
    name_of_file = Path(path).name if path else "costs.toml"

    def fail(message: str, **values: Any) -> CostTableError:
        return CostTableError(f"{name_of_file}: " + _(message).format(**values))

    def section(key: str) -> dict[str, Any]:
        value = raw.get(key, {})
        if not isinstance(value, dict):
            raise fail(N_("[{section}] must be a section of tables, not {value}"), section=key, value=_shown(value))
        return value

    types: dict[str, InterventionType] = {}
    for name, t in section("interventions").items():
        if not isinstance(t, dict) or not all(k in t for k in ("label", "unit", "euro")):
            raise fail(N_("intervention {name} needs label, unit and euro"), name=repr(name))
        if not isinstance(t["label"], str) or not isinstance(t["unit"], str):
            raise fail(N_("intervention {name}: label and unit must be texts in quotes"), name=repr(name))
        euro = _positive(t["euro"])
        if euro is None:
            raise fail(
                N_("intervention {name}: euro = {value} must be a price in euros greater than 0"),
                name=repr(name),
                value=_shown(t["euro"]),
            )
        types[name] = InterventionType(name, t["label"], t["unit"], euro)
    kinds = section("kinds")
    for kind, k in kinds.items():
        if not isinstance(k, dict):
            raise fail(N_("kind {kind} must be a table (intervention and quantity)"), kind=repr(kind))
        if k.get("intervention") not in types:
            raise fail(
                N_("kind {kind} names unknown intervention {name}"), kind=repr(kind), name=_shown(k.get("intervention"))
            )
        if k.get("quantity") not in QUANTITY_RULES:
            raise fail(
                N_("kind {kind}: quantity must be one of {rules}"), kind=repr(kind), rules=", ".join(QUANTITY_RULES)
            )
    given = section("defaults")
    missing = sorted(set(_DEFAULTS) - set(given))
    if missing:
        raise fail(N_("[defaults] lacks {keys}"), keys=", ".join(missing))
    defaults: dict[str, float] = {}
    for key, value in given.items():
        high, what = _DEFAULTS.get(key, (math.inf, N_("a number")))
        number = _positive(value)
        if number is None or number > high:
            raise fail(
                N_("[defaults] {key} = {value} must be {what}, greater than 0 and at most {high}"),
                key=key,
                value=_shown(value),
                what=_(what),
                high=f"{high:g}",
            )
        defaults[key] = number
    works = section("roadworks")
    share = _finite(works.get("cost_share", 0.0))
    buffer_m = _finite(works.get("street_buffer_m", 15.0))
    if share is None or not 0 <= share <= 1:
        raise fail(
            N_("[roadworks] cost_share = {value} must be a number between 0 and 1"),
            value=_shown(works.get("cost_share")),
        )
    if buffer_m is None or buffer_m < 0:
        raise fail(
            N_("[roadworks] street_buffer_m = {value} must be a number of metres, 0 or more"),
            value=_shown(works.get("street_buffer_m")),
        )
    return CostTable(types, kinds, defaults, share, buffer_m)


def _positive(value: Any) -> float | None:
    """``value`` as a float when it is a finite number greater than 0, else ``None``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) and number > 0 else None


def _finite(value: Any) -> float | None:
    """``value`` as a float when it is a finite number (0 and negatives included), else ``None``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:59] + "…"


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
    """The way's width as the graph reads it (:func:`accessibility.values.parse_tag`:
    ``120 cm`` is 1.2 m here too; implausible values are unknown)."""
    for key in ("width", "est_width"):
        raw = tags.get(key)
        value = parse_tag(key, raw)[0] if isinstance(raw, str) else None
        if value is not None and value > 0:
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
