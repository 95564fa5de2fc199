"""The audit report: one self-contained HTML page a councillor can read (pure).

The page is the template ``templates/audit_report.html``; this module only turns an
:class:`~accessibility.analysis.audit.Audit` into the template's values (labels in the
language of the page, rows in the order people read them). Figures are inline SVG bars
(no plotting library, no external file, no request); every text that comes from data
(facility names, area names, notes) is escaped by the template. Italian by default,
English with ``lang="en"``.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pandas as pd

from accessibility import settings
from accessibility.analysis.audit import REASONS, Audit
from accessibility.i18n import N_, _, number, use_language
from accessibility.model.facilities import categories
from accessibility.model.places import place_label
from accessibility.outputs.templates import render

__all__ = [
    "UNREACHABLE_ROWS",
    "CHAPTER_FACILITIES",
    "USABILITY_ROWS",
    "USE_STATUS",
    "field_labels",
    "limit_label",
    "need_labels",
    "render_report",
    "sources_of",
    "value_origin",
    "value_text",
]

#: Rows of the unreachable-facility table shown in the report (the CSV has them all).
UNREACHABLE_ROWS = 300
#: Rows of the table of facilities reached but not usable shown in the report.
USABILITY_ROWS = 300
#: Facilities in the chapter on sports facilities (the named ones and those most residents
#: reach first; usability.csv has them all).
CHAPTER_FACILITIES = 60

#: A facility's usability for a profile, in words.
USE_STATUS = {
    "usable": N_("usable"),
    "not_usable": N_("not usable"),
    "unknown": N_("to be checked"),
}

_PLACED_BY = {
    "sections": N_("census sections"),
    "buildings": N_("residential buildings"),
    "residential street length": N_("along residential streets, by length"),
}


def limit_label(label: str) -> str:
    """A threshold label (``1000 m``, ``15 min``) in the language's number format.

    >>> with use_language("it"):
    ...     limit_label("1000 m"), limit_label("15 min")
    ('1.000 m', '15 min')
    """
    value, _sep, unit = str(label).partition(" ")
    try:
        return f"{number(float(value))} {unit}".strip()
    except ValueError:
        return str(label)


def sources_of(meta: dict[str, Any]) -> list[dict[str, str]]:
    """The data sources besides OpenStreetMap a page names in its footer, with licences:
    ISTAT when its table gave the population, each registry used."""
    out = []
    if meta.get("population_source") == "istat":
        out.append({"what": _("Population by age"), "name": "ISTAT", "licence": "CC BY 4.0"})
    for source in meta.get("registries", []):
        out.append({"what": _("Facility registry"), "name": source["name"], "licence": source.get("licence", "")})
    return out


def need_labels(names: str) -> str:
    """The needs of ``data/usability.toml`` named in ``names`` (joined by ``;``), in words."""
    from accessibility.model.usability import load_rules

    needs = load_rules().requirements
    return ", ".join(_(needs[n].label) if n in needs else n for n in str(names).split(";") if n)


def field_labels(names: str) -> str:
    """The facility-sheet fields named in ``names`` (joined by ``;``), in words."""
    from accessibility.model.sheets import sheet_fields

    fields = sheet_fields()
    return ", ".join(_(fields[n].label) if n in fields else n for n in str(names).split(";") if n)


def _usability(result: Audit, clabel: dict[str, str], plabel: dict[str, str]) -> dict[str, Any]:
    """Reach and use, per category and profile, and the facilities reached but not usable."""
    use = result.usability
    first = result.meta["thresholds"][0]
    if use is None or not len(use):
        return {"use_summary": [], "not_usable": [], "not_usable_more": 0}
    reach = result.reach[result.reach["threshold"] == first].set_index(["profile", "category"])
    summary = []
    for cat in result.meta["categories"]:
        for profile in result.meta["profiles"][1:]:
            rows = use[(use["category"] == cat) & (use["profile"] == profile)]
            if not len(rows):
                continue
            missing = pd.Series([n for m in rows["missing"] for n in str(m).split(";") if n]).value_counts()
            unknown = pd.Series([f for u in rows["unknown"] for f in str(u).split(";") if f]).value_counts()
            figures = reach.loc[(profile, cat)] if (profile, cat) in reach.index else None
            summary.append(
                {
                    "category": clabel.get(cat, cat),
                    "profile": plabel.get(profile, profile),
                    "facilities": len(rows),
                    "reachable": int(rows["reachable"].sum()),
                    "usable": int((rows["status"] == "usable").sum()),
                    "both": int((rows["reachable"] & (rows["status"] == "usable")).sum()),
                    "not_usable": int((rows["status"] == "not_usable").sum()),
                    "unknown": int((rows["status"] == "unknown").sum()),
                    "residents": float(figures["residents_share"]) if figures is not None else math.nan,
                    "residents_usable": float(figures["residents_usable_share"]) if figures is not None else math.nan,
                    "missing": need_labels(";".join(missing.index[:3])),
                    "to_survey": field_labels(";".join(unknown.index[:3])),
                }
            )
    grouped: dict[tuple[Any, ...], list[str]] = {}
    for r in use[use["reachable"] & (use["status"] != "usable")].itertuples(index=False):
        key = (r.category, r.name or "", r.status, r.missing, r.unknown, r.osm_type, r.osm_id)
        grouped.setdefault(key, []).append(plabel.get(r.profile, r.profile))
    rows_out = [
        {
            "category": clabel.get(cat, cat),
            "name": name or clabel.get(cat, cat),
            "status": _(USE_STATUS.get(status, status)),
            "missing": need_labels(missing),
            "unknown": field_labels(unknown),
            "profiles": ", ".join(profiles),
        }
        for (cat, name, status, missing, unknown, _t, _i), profiles in sorted(
            grouped.items(), key=lambda item: (item[0][2] != "not_usable", item[0][0], item[0][1])
        )[:USABILITY_ROWS]
    ]
    return {"use_summary": summary, "not_usable": rows_out, "not_usable_more": max(0, len(grouped) - USABILITY_ROWS)}


_VALUE_WORDS = {"yes": N_("yes"), "no": N_("no"), "limited": N_("limited")}


def value_text(spec: Any, value: Any) -> str:
    """A facility-sheet value in words and the language's numbers (``spec``: its
    :class:`~accessibility.model.sheets.FieldSpec`)."""
    if spec.kind == "yesno" or value in _VALUE_WORDS:
        return _(_VALUE_WORDS[value]) if value in _VALUE_WORDS else str(value)
    if spec.kind == "count":
        return number(float(value))
    if spec.kind == "length":
        return f"{number(float(value), 2)} m"
    if spec.kind == "percent":
        return f"{number(float(value), 1)} %"
    return str(value)


def value_origin(value: Any) -> str:
    """Where a facility-sheet value comes from, in words (empty when unknown)."""
    if value.source == "osm":
        return f"OpenStreetMap {value.element}"
    if value.source == "survey":
        return _("survey {reference}").format(reference=value.element)
    return ""


def _sports(result: Audit, clabel: dict[str, str], plabel: dict[str, str]) -> list[dict[str, Any]]:
    """The chapter on the facilities of ``settings.audit_facility_detail_categories`` (the
    mandate's sports facilities): each one, who reaches it per profile, what inside is
    usable, what to fix and at what cost."""
    from accessibility.model.sheets import sheet_fields

    use = result.usability
    if use is None or not result.sheets:
        return []
    specs = sheet_fields()
    works = result.works if result.works is not None else pd.DataFrame(columns=["element"])
    out = []
    elements = use["osm_type"].astype(str) + "/" + use["osm_id"].astype(str)
    reached_most = use.assign(element=elements).groupby("element")["residents_reached"].max().fillna(0.0)
    chosen = sorted(
        result.sheets.items(), key=lambda item: (item[1].name == "", -reached_most.get(item[0], 0.0), item[0])
    )[:CHAPTER_FACILITIES]
    for element, sheet in sorted(chosen, key=lambda item: (item[1].name == "", item[1].name, item[0])):
        rows = use[elements == element]
        door = next((d for d in sheet.entrances if d.value("entrance").value == "main"), sheet.entrances[0])
        inside = []
        for name in sheet.asked:
            spec = specs[name]
            if name in {"wheelchair_description"}:
                continue
            value = door.value(name) if spec.element == "entrance" else sheet.value(name)
            inside.append(
                {
                    "label": _(spec.label),
                    "value": value_text(spec, value.value) if value.known else "",
                    "origin": value_origin(value),
                }
            )
        fix = works[works["element"] == element] if len(works) else works
        out.append(
            {
                "name": sheet.name or clabel.get(sheet.category, sheet.category),
                "element": element,
                "profiles": [
                    {
                        "profile": plabel.get(r.profile, r.profile),
                        "reachable": bool(r.reachable),
                        "residents": float(r.residents_reached),
                        "status": _(USE_STATUS.get(r.status, r.status)),
                        "usable": r.status == "usable",
                        "missing": need_labels(r.missing),
                        "unknown": field_labels(r.unknown),
                    }
                    for r in rows.itertuples(index=False)
                ],
                "inside": inside,
                "works": [
                    {
                        "label": _(w.label),
                        "quantity": float(w.quantity),
                        "unit": w.unit,
                        "cost": float(w.cost),
                        "profiles": ", ".join(plabel.get(p, p) for p in str(w.profiles).split(";") if p),
                    }
                    for w in fix.itertuples(index=False)
                ],
                "works_cost": float(fix["cost"].sum()) if len(fix) else 0.0,
            }
        )
    return out


def render_report(
    result: Audit, lang: str = "it", maps: dict[str, str] | None = None, today: dt.date | None = None
) -> str:
    """The report page as a string.

    Parameters
    ----------
    result
        The audit.
    lang
        ``it`` or ``en``.
    maps
        Relative map file names and their titles, listed at the end of the report.
    today
        The date the report is written (default: today).

    Returns
    -------
    str
        A self-contained HTML page.
    """
    with use_language(lang):
        return render("audit_report.html", lang, today=today or dt.date.today(), **_context(result, maps or {}))


def _context(result: Audit, maps: dict[str, str]) -> dict[str, Any]:
    meta = result.meta
    cats = categories()
    clabel = {c: _(cats[c].label) if c in cats else c for c in meta["categories"]}
    plabel = {p: _(meta["labels"][p]) for p in meta["profiles"]}
    first = meta["thresholds"][0]
    reach = result.reach
    figures = []
    for cat in meta["categories"]:
        rows = reach[(reach["category"] == cat) & (reach["threshold"] == first)]
        figures.append(
            {
                "label": clabel[cat],
                "title": _("{facility}: residents within {limit}, per profile").format(
                    facility=clabel[cat], limit=limit_label(first)
                ),
                "rows": [(plabel[r.profile], r.residents_share, r.walk_residents_share) for r in rows.itertuples()],
            }
        )
    reach_rows = [
        {
            **r._asdict(),
            "category": clabel[r.category],
            "profile": plabel[r.profile],
            "threshold": limit_label(r.threshold),
        }
        for r in reach.itertuples(index=False)
    ]
    detour = []
    for cat in meta["categories"]:
        cells = []
        for p in meta["profiles"][1:]:
            d = result.detour[(result.detour["profile"] == p) & (result.detour["category"] == cat)]
            row = d.iloc[0] if len(d) else {"detour": math.nan, "no_route_share": math.nan}
            cells.append({"ratio": float(row["detour"]), "no_route": float(row["no_route_share"])})
        detour.append({"category": clabel[cat], "cells": cells})

    un = result.unreachable
    # one row per facility and reason, naming the profiles it is unreachable for
    grouped: dict[tuple[Any, ...], list[str]] = {}
    for r in un.itertuples(index=False):
        key = (
            r.category,
            r.name or "",
            place_label(getattr(r, "street", ""), getattr(r, "near", "")),
            r.source,
            r.reason,
            getattr(r, "osm_type", ""),
            getattr(r, "osm_id", ""),
        )
        grouped.setdefault(key, []).append(plabel.get(r.profile, r.profile))
    unreachable = [
        {
            "profiles": _("all profiles, walking included") if len(profiles) == len(plabel) else ", ".join(profiles),
            "category": clabel.get(cat, cat),
            "name": name or clabel.get(cat, cat),
            "place": place,
            "source": "OpenStreetMap" if source == "osm" else source,
            "reason": _(REASONS.get(reason, reason)),
        }
        for (cat, name, place, source, reason, _t, _i), profiles in list(grouped.items())[:UNREACHABLE_ROWS]
    ]
    counts = un.groupby("reason").size().sort_values(ascending=False) if len(un) else pd.Series(dtype=int)
    reason_counts = [{"reason": _(REASONS.get(k, k)), "count": int(v)} for k, v in counts.items()]

    areas = pd.DataFrame(result.areas.drop(columns="geometry"))
    worst: list[dict[str, Any]] = []
    if len(areas):
        table = (
            areas[areas["profile"] != "walk"]
            .groupby(["area_id", "name"], as_index=False)
            .agg(score=("score", "mean"), walk_score=("walk_score", "mean"), residents=("residents", "first"))
            .query("residents > 0")
            .nsmallest(10, "score")
        )
        worst = table.to_dict("records")

    c = result.completeness
    overall = c[c["area_id"] == "all"].iloc[0]
    completeness = [
        (_("surface"), overall["surface_known"], math.nan),
        (_("width"), overall["width_known"], math.nan),
        (_("incline"), overall["incline_known"], math.nan),
        (_("kerbs at crossings"), overall["kerbs_known"], math.nan),
    ]
    source = (
        _("ISTAT age structure") if meta.get("population_source") == "istat" else _("indicative figure, no ISTAT table")
    )
    placed = _(_PLACED_BY.get(meta.get("people_placed_by", ""), "along residential streets, by length"))
    return {
        "city": meta.get("city") or "",
        "limits": ", ".join(limit_label(t) for t in meta["thresholds"]),
        "first": limit_label(first),
        "population": {
            "total": meta["residents"],
            "over65": meta["over65"],
            "over80": meta["over80"],
            "source": source,
            "placed_by": placed,
        },
        "facility_count": len(result.facilities),
        "figures": figures,
        "reach": reach_rows,
        "detour_profiles": [plabel[p] for p in meta["profiles"][1:]],
        "detour": detour,
        "unreachable": unreachable,
        "unreachable_more": max(0, len(grouped) - UNREACHABLE_ROWS),
        "reason_counts": reason_counts,
        "areas": worst,
        "score_full": settings.audit_score_full_m,
        "score_zero": settings.audit_score_zero_m,
        "completeness": completeness,
        "maps": list(maps.items()),
        "notes": [str(n) for n in meta.get("notes", [])],
        "warnings": [str(w) for w in meta.get("warnings", [])],
        "sources": sources_of(meta),
        **_usability(result, clabel, plabel),
        "sports": _sports(result, clabel, plabel),
        "sports_more": max(0, len(result.sheets) - CHAPTER_FACILITIES),
        "sports_label": ", ".join(
            clabel.get(c, c) for c in settings.audit_facility_detail_categories if c in meta["categories"]
        ),
    }
