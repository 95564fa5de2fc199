"""How a plan reads to people: the exported tables and the council report (pure).

:func:`plan_table` turns a :class:`~accessibility.planning.ranking.Plan` into the table
behind the map and the GeoPackage (WGS84, labels and places in Italian or English).
:func:`plan_sheets` gives the tables a Disability Manager opens in a spreadsheet: the
ranked list with headers for people and rounded figures, the people who gain a route
per profile and service, and a sheet that says how the figures are counted.
:func:`plan_report_html` writes the PEBA chapter for the council (template
``templates/plan_report.html``): an executive summary, how people are counted, the
situation, the criteria, the ranked plan and the cost. Text from data (street names,
survey descriptions) is escaped by the template.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import geopandas as gpd
import pandas as pd

from accessibility.constants import WGS84
from accessibility.i18n import N_, _, use_language
from accessibility.model.barriers import taxonomy
from accessibility.model.facilities import category
from accessibility.model.places import place_label
from accessibility.model.profiles import load_profiles
from accessibility.outputs.export import Sheet
from accessibility.outputs.report import sources_of
from accessibility.outputs.templates import render
from accessibility.planning.interventions import CostTable, load_cost_table
from accessibility.planning.ranking import Plan
from accessibility.surveys.merge import fix_point

__all__ = ["COLUMNS", "plan_people_table", "plan_report_html", "plan_sheets", "plan_table"]

#: The columns of the people's table: name -> (header, kind of figure).
COLUMNS: dict[str, tuple[str, str | None]] = {
    "rank": (N_("No."), "int"),
    "place": (N_("Place"), None),
    "area": (N_("Area"), None),
    "kind_label": (N_("Barrier"), None),
    "rule": (N_("Rule"), None),
    "intervention_label": (N_("Intervention"), None),
    "quantity": (N_("Quantity"), "decimal"),
    "unit": (N_("Unit"), None),
    "unit_cost": (N_("Unit cost (€)"), "money"),
    "cost": (N_("Cost (€)"), "money"),
    "people_total": (N_("People gaining a route (sum over profiles and services)"), "int"),
    "people_passing": (N_("People whose route passes it (sum over profiles and services)"), "int"),
    "facilities_total": (N_("Facilities made reachable"), "int"),
    "cumulative_cost": (N_("Cumulative cost (€)"), "money"),
    "funded": (N_("Funded"), None),
    "quantity_note": (N_("How the quantity was measured"), None),
    "description": (N_("Survey note"), None),
    "barrier_id": (N_("Barrier code"), None),
    "source": (N_("Source"), None),
    "lon": (N_("Longitude"), "coord"),
    "lat": (N_("Latitude"), "coord"),
}


def plan_table(plan: Plan, lang: str | None = "it", table: CostTable | None = None) -> gpd.GeoDataFrame:
    """The ranked plan in WGS84, with ``lon, lat`` of each barrier (its
    :func:`~accessibility.surveys.merge.fix_point`: reported back as fixed from there, a
    survey report lifts that barrier; ``barrier_id`` is the code a report may give), readable labels
    (``kind_label``, ``intervention_label``) and its ``place`` in words."""
    table = table or load_cost_table()
    tax = taxonomy()
    spots = gpd.GeoSeries([fix_point(g) for g in plan.table.geometry], crs=plan.table.crs).to_crs(WGS84)
    out = plan.table.to_crs(WGS84)
    out.insert(3, "lon", spots.x.round(7).to_numpy())
    out.insert(4, "lat", spots.y.round(7).to_numpy())
    with use_language(lang):
        out["quantity_note"] = out["quantity_note"].map(lambda note: "" if note is None else str(note))
        out.insert(6, "kind_label", out["kind"].map(lambda k: _(tax[k].label) if k in tax else _facility_kind(k)))
        out.insert(9, "intervention_label", out["intervention"].map(lambda t: _(table.interventions[t].label)))
        out.insert(
            5,
            "place",
            [
                place_label(s, n, w)
                for s, n, w in zip(out["street"], out.get("near", [""] * len(out)), out.get("within", [""] * len(out)))
            ],
        )
    return out


def _facility_kind(kind: str) -> str:
    """A facility work's kind (``facility_changing_room``) as the need it meets, in words."""
    from accessibility.model.usability import load_rules

    need = kind.removeprefix("facility_")
    need = "way_in" if need in {"steps", "door_width"} else need
    requirements = load_rules().requirements
    label = _(requirements[need].label) if need in requirements else need
    return _("{need} (inside the facility)").format(need=label)


def _labels(plan: Plan) -> tuple[dict[str, str], dict[str, str]]:
    profiles = load_profiles()
    plabel = {p: _(profiles[p].label) if p in profiles else p for p in plan.profiles}
    clabel = {k: _(category(k).label) for k in plan.categories}
    return plabel, clabel


def plan_sheets(plan: Plan, lang: str = "it", table: CostTable | None = None) -> dict[str, Sheet]:
    """The plan as spreadsheet sheets, headers in ``lang``.

    Returns
    -------
    dict
        ``{name: Sheet}``: the ranked list (one row per intervention, the people's
        columns of :data:`COLUMNS`), the people who gain a route per profile and service
        (one row per intervention, profile and service with a gain), and how the figures
        are counted (with the data sources and their licences).
    """
    wide = plan_table(plan, lang, table)
    with use_language(lang):
        plabel, clabel = _labels(plan)
        main = pd.DataFrame(wide.drop(columns="geometry"))
        main["funded"] = main["within_budget"].map({True: _("yes"), False: _("no")})
        main["source"] = main["source"].map(lambda s: "OpenStreetMap" if s == "osm" else _("survey"))
        columns = [c for c in COLUMNS if c in main]
        digits = {"int": 0, "money": 2, "decimal": 2, "coord": 7}
        main = main[columns].copy()
        for col in columns:
            kind = COLUMNS[col][1]
            if kind in digits:
                main[col] = main[col].astype(float).round(digits[kind])
                if kind == "int":
                    main[col] = main[col].astype("Int64")
        ranked = Sheet(
            main,
            headers={c: _(COLUMNS[c][0]) for c in columns},
            kinds={c: k for c, (_h, k) in COLUMNS.items() if k},
        )
        rows = []
        funded = main["funded"].to_numpy()
        for i, r in enumerate(wide.itertuples(index=False)):
            for p in plan.profiles:
                for k in plan.categories:
                    people = float(getattr(r, f"people_{p}_{k}"))
                    facilities = int(getattr(r, f"facilities_{p}_{k}"))
                    if people or facilities:
                        rows.append((r.rank, r.place, plabel[p], clabel[k], round(people), facilities, funded[i]))
        detail = Sheet(
            pd.DataFrame(rows, columns=["rank", "place", "profile", "service", "people", "facilities", "funded"]),
            headers={
                "rank": _("No."),
                "place": _("Place"),
                "profile": _("Profile"),
                "service": _("Service"),
                "people": _("People gaining a route"),
                "facilities": _("Facilities made reachable"),
                "funded": _("Funded"),
            },
            kinds={"rank": "int", "people": "int", "facilities": "int"},
        )
        notes = pd.DataFrame({"note": [str(line) for line in _counting(plan)] + _source_lines(plan)})
        about = Sheet(notes, headers={"note": _("How the figures are counted")})
        return {_("Plan"): ranked, _("People by profile"): detail, _("Notes"): about}


def plan_people_table(plan: Plan, lang: str = "it", table: CostTable | None = None) -> pd.DataFrame:
    """The ranked list as one flat table for CSV, headers in ``lang``: the columns of
    the plan sheet, then the people gaining a route for each profile and service."""
    sheet = plan_sheets(plan, lang, table)
    ranked = next(iter(sheet.values()))
    frame = ranked.frame.rename(columns=dict(ranked.headers))
    wide = plan.table
    with use_language(lang):
        plabel, clabel = _labels(plan)
        for p in plan.profiles:
            for k in plan.categories:
                header = _("People gaining a route – {profile} – {service}").format(
                    profile=plabel[p], service=clabel[k]
                )
                frame[header] = wide[f"people_{p}_{k}"].round(0).to_numpy()
    return frame


def _source_lines(plan: Plan) -> list[str]:
    lines = [_("Streets, paths, barriers and facilities:") + " © " + _("OpenStreetMap contributors") + " (ODbL)"]
    for s in sources_of({"population_source": plan.population_source, "registries": plan.registries}):
        lines.append(f"{s['what']}: {s['name']}" + (f" ({s['licence']})" if s["licence"] else ""))
    return lines


def _who(plan: Plan) -> str:
    return {
        "residents": _("residents"),
        "over65": _("residents aged 65 and over"),
        "over80": _("residents aged 80 and over"),
    }[plan.weight]


def _counting(plan: Plan) -> list[str]:
    """How the people figures are counted, in plain sentences."""
    from accessibility.i18n import number

    limit = number(plan.threshold_m)
    return [
        _(
            "People are the {who} of the city ({total}), placed along the residential streets of the "
            "network in proportion to their length."
        ).format(who=_who(plan), total=number(plan.residents)),
        _(
            "A person gains a route from an intervention when, with it done (and the interventions above it "
            "in the list), the nearest facility of a kind is within {limit} m on a route the profile can use, "
            "and it was not before. Each row counts only what it adds to the rows above it."
        ).format(limit=limit),
        _(
            "The figure is counted for each mobility profile and each kind of facility separately, then "
            "added up: one resident who gains a route to a pharmacy and to a school, with a wheelchair and "
            "with a walker, counts four times. The total ranks the interventions; it is not a head count. "
            "The spreadsheet (sheet of people by profile) gives each figure on its own."
        ),
        _(
            "Interventions that open no new route (tactile paving, acoustic signals, resurfacing of a path "
            "that can be used already) are ranked by the people whose accessible route to the nearest facility "
            "passes them, counted in the same way."
        ),
        _(
            "Works inside a facility (an entrance ramp, an accessible toilet or changing room, a pool hoist) "
            "count the people who gain a usable facility: residents within {limit} m of it, with a profile "
            "for which the works make it usable, who reach no usable facility of its kind today. They are "
            "counted on today's streets and ranked in the same list; the situation table counts routes only."
        ).format(limit=limit),
    ]


def plan_report_html(
    plan: Plan,
    city_name: str,
    lang: str = "it",
    table: CostTable | None = None,
    limit: int = 200,
    today: dt.date | None = None,
) -> str:
    """A self-contained HTML page (no external request): the plan as a PEBA chapter.

    Parameters
    ----------
    plan
        The ranked plan.
    city_name
        The city, in the title.
    lang
        ``it`` or ``en``.
    table
        The cost table the plan was made with (for the intervention labels).
    limit
        Rows of the ranked list shown (those that gain something come first; the
        spreadsheet has them all).
    today
        The date the report is written.

    Returns
    -------
    str
    """
    with use_language(lang):
        return render(
            "plan_report.html", lang, today=today or dt.date.today(), **_context(plan, city_name, table, limit)
        )


def _context(plan: Plan, city_name: str, cost_table: CostTable | None, limit: int) -> dict[str, Any]:
    cost_table = cost_table or load_cost_table()
    t = plan_table(plan, None, cost_table)
    plabel, clabel = _labels(plan)
    funded = t[t["within_budget"]]
    street = funded[funded["row"] >= 0]  # reach counts routes: the works inside facilities apart
    gain = t[(t["selection"] != "no gain") | (t["people_passing"] > 0)]
    opens = t[t["selection"] != "no gain"]
    situation = []
    for (p, k), base in plan.baseline.items():
        added = float(street[f"people_{p}_{k}"].sum())
        situation.append(
            {
                "profile": plabel.get(p, p),
                "category": clabel.get(k, k),
                "before": base,
                "before_share": base / plan.residents if plan.residents else float("nan"),
                "gain": added,
                "after": base + added,
                "after_share": (base + added) / plan.residents if plan.residents else float("nan"),
            }
        )
    per_profile = []
    for p in plan.profiles:
        cells = [float(street[f"people_{p}_{k}"].sum()) for k in plan.categories]
        per_profile.append({"profile": plabel.get(p, p), "cells": cells})
    by_type: list[dict[str, Any]] = []
    for itype, group in funded.groupby("intervention"):
        by_type.append(
            {
                "label": _(cost_table.interventions[itype].label),
                "count": len(group),
                "cost": float(group["cost"].sum()),
            }
        )
    by_type.sort(key=lambda r: -float(r["cost"]))
    shown = pd.concat([gain, t.drop(gain.index).head(max(0, limit - len(gain)))]).head(limit)
    rows = [
        {
            "rank": int(r.rank),
            "place": r.place,
            "area": getattr(r, "area", ""),
            "description": r.description if isinstance(r.description, str) else "",
            "kind": r.kind_label,
            "barrier_id": r.barrier_id,
            "rule": r.rule,
            "intervention": r.intervention_label,
            "quantity": float(r.quantity),
            "unit": r.unit,
            "cost": float(r.cost),
            "people": float(r.people_total),
            "passing": float(r.people_passing),
            "facilities": int(r.facilities_total),
            "cumulative": float(r.cumulative_cost),
            "funded": bool(r.within_budget),
            "pair": int(r.selection.rsplit(" ", 1)[1]) if str(r.selection).startswith("pair with rank") else None,
        }
        for r in shown.itertuples(index=False)
    ]
    unfunded = opens[~opens["within_budget"]]
    spent = float(funded["cost"].sum())
    named = int((funded["place"].astype(str) != "").sum())
    return {
        "city": city_name,
        "plan": plan,
        "who": _who(plan),
        "threshold": plan.threshold_m,
        "budget": plan.budget,
        "spent": spent,
        "left": plan.budget - spent,
        "funded_count": len(funded),
        "funded_opening": int((funded["selection"] != "no gain").sum()),
        "funded_passing": int(((funded["selection"] == "no gain") & (funded["people_passing"] > 0)).sum()),
        "funded_named": named,
        "gain_count": len(opens),
        "gain_cost": float(opens["cost"].sum()),
        "next": unfunded.iloc[0] if len(unfunded) else None,
        "categories": [clabel[k] for k in plan.categories],
        "per_profile": per_profile,
        "situation": situation,
        "counting": _counting(plan),
        "by_type": by_type,
        "rows": rows,
        "more": len(t) - len(shown),
        "total": len(t),
        "warnings": [str(w) for w in plan.warnings],
        "notes": [str(n) for n in plan.notes],
        "sources": sources_of({"population_source": plan.population_source, "registries": plan.registries}),
        "has_area": "area" in t.columns,
    }
