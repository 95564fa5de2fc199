"""How a programme over the years reads to people: its tables, the regional register's
sheets, and the council's page (pure: files are written by the caller).

- :func:`programme_table`: one row per ranked intervention with its year (``anno``),
  cost, roadworks and exact gains, headers in the language in use;
- :func:`years_table`: the cronoprogramma, money and people per year;
- :func:`register_tables`: the PEBA in the shape of the Lombardy regional register
  (LR 6/1989 art. 8-bis): the adoption act, the timetable, the update date, the funds per
  year, the interventions per year with their cost;
- :func:`programme_report_html`: the council's page (template ``programme.html``);
- :func:`for_csv`: numbers written the way the language's spreadsheets read them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from accessibility.constants import WGS84
from accessibility.i18n import N_, _, language, use_language
from accessibility.model.barriers import taxonomy
from accessibility.model.facilities import categories as all_categories
from accessibility.model.profiles import load_profiles
from accessibility.outputs.templates import render
from accessibility.planning.interventions import CostTable, load_cost_table
from accessibility.planning.programme import Programme

__all__ = [
    "STATUS_LABELS",
    "csv_separator",
    "for_csv",
    "programme_report_html",
    "programme_table",
    "register_tables",
    "years_table",
]

#: What each programme status reads as (catalogue messages).
STATUS_LABELS = {
    "roadworks": N_("during scheduled roadworks"),
    "funded": N_("funded"),
    "waiting": N_("waits for the next budgets"),
    "set_aside": N_("set aside: dearer than the programme can pay"),
    "after_programme": N_("waits for roadworks after the programme"),
    "no_gain": N_("serves nobody: not funded"),
}


def csv_separator(lang: str | None = None) -> str:
    """``;`` for Italian spreadsheets (the comma is their decimal mark), ``,`` otherwise."""
    return ";" if (lang or language()) == "it" else ","


def for_csv(frame: pd.DataFrame, lang: str | None = None) -> pd.DataFrame:
    """A copy whose decimal numbers are written with the language's decimal mark (``12,5``
    in Italian), so a spreadsheet opened with its defaults reads them as numbers; whole
    numbers stay as they are."""
    if (lang or language()) != "it":
        return frame
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_float_dtype(out[column]):
            values = out[column]
            out[column] = [
                "" if pd.isna(v) else (f"{v:.0f}" if float(v).is_integer() else f"{v:.2f}".replace(".", ","))
                for v in values
            ]
    return out


def _labels() -> tuple[dict[str, str], dict[str, str]]:
    profiles = {name: _(p.label) for name, p in load_profiles().items()}
    cats = {name: _(c.label) for name, c in all_categories().items()}
    return profiles, cats


def _key_header(prefix: str, profile: str, category: str) -> str:
    profiles, cats = _labels()
    return f"{prefix}: {profiles.get(profile, profile)} / {cats.get(category, category)}"


def programme_table(pr: Programme, lang: str | None = None, table: CostTable | None = None) -> pd.DataFrame:
    """Every ranked intervention with its year, in the programme's order (funded first,
    then the rest by rank), headers and labels in ``lang``; ``lon, lat`` in WGS84."""
    table = table or load_cost_table()
    with use_language(lang):
        tax = taxonomy()
        t = pr.table.to_crs(WGS84)
        point = t.geometry.representative_point()
        t = t.assign(lon=point.x.round(7), lat=point.y.round(7))
        t = t.assign(_funded=t["order"].isna()).sort_values(["_funded", "order", "rank"])
        columns: dict[str, Any] = {
            _("year"): t["year"],
            _("order"): t["order"],
            _("rank"): t["rank"],
            _("status"): t["status"].map(lambda s: _(STATUS_LABELS[s])),
            _("barrier code"): t["barrier_id"],
            _("street"): t["street"],
            _("barrier"): t["kind"].map(lambda k: _(tax[k].label)),
            _("rule"): t["rule"],
            _("intervention"): t["intervention"].map(lambda i: _(table.interventions[i].label)),
            _("quantity"): t["quantity"],
            _("unit"): t["unit"],
            _("cost"): t["programme_cost"].round(2),
            _("full cost"): t["cost"].round(2),
            _("roadworks"): [
                "" if w is None or pd.isna(w) else (f"{w} {n}" if isinstance(n, str) and n else str(w))
                for w, n in zip(t["works_id"], t["works_name"])
            ],
            _("people gaining access"): t["people_total"],
            _("facilities made reachable"): t["facilities_total"],
            _("people passing"): t["people_passing"].round(1),
            _("lens value"): t["lens_value"].round(1),
            _("longitude"): t["lon"],
            _("latitude"): t["lat"],
        }
        for p, k in pr.keys:
            columns[_key_header(_("people"), p, k)] = t[f"people_{p}_{k}"]
        for p, k in pr.keys:
            columns[_key_header(_("facilities"), p, k)] = t[f"facilities_{p}_{k}"]
        return pd.DataFrame(columns).reset_index(drop=True)


def years_table(pr: Programme, lang: str | None = None) -> pd.DataFrame:
    """The cronoprogramma: per year the budget, what was carried in, what the year spends
    (on roadworks and in all), what is left and carried on, the interventions, and the
    people gaining access per profile and category (exact, given the years before)."""
    with use_language(lang):
        y = pr.years
        columns: dict[str, Any] = {
            _("year"): y["year"],
            _("budget"): y["budget"],
            _("carried from the year before"): y["carried_in"],
            _("available"): y["available"],
            _("spent during roadworks"): y["roadworks_cost"],
            _("spent"): y["spent"],
            _("unspent"): y["unspent"],
            _("carried to the next year"): y["carried_out"],
            _("interventions"): y["interventions"],
            _("of which during roadworks"): y["roadworks"],
            _("people gaining access"): y["people_total"],
        }
        for p, k in pr.keys:
            columns[_key_header(_("people"), p, k)] = y[f"people_{p}_{k}"]
        return pd.DataFrame(columns)


def register_tables(
    pr: Programme,
    city_name: str,
    act_number: str,
    act_date: dt.date,
    updated: dt.date | None = None,
    lang: str | None = None,
    table: CostTable | None = None,
) -> dict[str, pd.DataFrame]:
    """The PEBA in the shape of the Lombardy regional register (LR 6/1989 art. 8-bis):
    three tables, by sheet name: the plan (adoption act, update date, period, funds),
    the timetable (funds and interventions per year), the interventions per year with
    their cost. ``act_number`` and ``act_date`` are those of the council's act adopting
    the plan (given by the user); ``updated`` defaults to today."""
    table = table or load_cost_table()
    updated = updated or dt.date.today()
    with use_language(lang):
        tax = taxonomy()
        funded = pr.funded.to_crs(WGS84)
        point = funded.geometry.representative_point()
        years = pr.years
        first, last = int(years["year"].min()), int(years["year"].max())
        plan = pd.DataFrame(
            [
                (_("Municipality"), city_name),
                (_("Adoption act: number"), str(act_number)),
                (_("Adoption act: date"), act_date.isoformat()),
                (_("Date of the last update"), updated.isoformat()),
                (_("Period of the timetable"), f"{first}-{last}"),
                (_("Funds allocated in all (euros)"), round(float(years["budget"].sum()), 2)),
                (_("Interventions in the timetable"), int(len(funded))),
                (
                    _("Cost of the interventions in the timetable (euros)"),
                    round(float(funded["programme_cost"].sum()), 2),
                ),
                (
                    _("Of which during scheduled roadworks"),
                    int((funded["status"] == "roadworks").sum()),
                ),
                (_("Unspent funds carried over to the next year"), _("yes") if pr.carry_over else _("no")),
                (
                    _("Priority criterion"),
                    _(pr.lens.label) if pr.lens is not None else _("People gaining access per euro"),
                ),
                (_("Data"), "© OpenStreetMap contributors (ODbL)"),
            ],
            columns=[_("item"), _("value")],
        )
        timetable = pd.DataFrame(
            {
                _("year"): years["year"],
                _("funds allocated (euros)"): years["budget"].round(2),
                _("interventions"): years["interventions"],
                _("cost of the interventions (euros)"): years["spent"].round(2),
                _("of which during roadworks (euros)"): years["roadworks_cost"].round(2),
                _("unspent (euros)"): years["unspent"].round(2),
            }
        )
        interventions = pd.DataFrame(
            {
                _("year"): funded["year"].to_numpy(),
                _("no."): funded["order"].to_numpy(),
                _("barrier code"): funded["barrier_id"].to_numpy(),
                _("street"): funded["street"].to_numpy(),
                _("barrier"): [_(tax[k].label) for k in funded["kind"]],
                _("rule broken"): funded["rule"].to_numpy(),
                _("intervention"): [_(table.interventions[i].label) for i in funded["intervention"]],
                _("quantity"): funded["quantity"].to_numpy(),
                _("unit"): funded["unit"].to_numpy(),
                _("cost (euros)"): funded["programme_cost"].round(2).to_numpy(),
                _("during scheduled roadworks"): [_("yes") if s == "roadworks" else _("no") for s in funded["status"]],
                _("longitude"): point.x.round(7).to_numpy(),
                _("latitude"): point.y.round(7).to_numpy(),
            }
        )
        return {_("plan"): plan, _("timetable"): timetable, _("interventions"): interventions}


def programme_report_html(
    pr: Programme, city_name: str, lang: str | None = None, table: CostTable | None = None, limit: int = 300
) -> str:
    """The council's page of the programme: the criterion and its weights, the money per
    year, who gains year after year per profile and service, the interventions of each
    year, and the roadworks apart. Self-contained: no external request."""
    table = table or load_cost_table()
    with use_language(lang):
        tax = taxonomy()
        profiles, cats = _labels()
        lens = pr.lens
        weights = (
            [
                {"profile": profiles.get(p, p), "category": cats.get(k, k), "weight": lens.weight(p, k)}
                for p, k in pr.keys
            ]
            if lens is not None
            else [{"profile": profiles.get(p, p), "category": cats.get(k, k), "weight": 1.0} for p, k in pr.keys]
        )
        years = pr.years.to_dict("records")
        gains = []
        for p, k in pr.keys:
            base = pr.baseline.get((p, k), 0.0)
            reached, by_year = base, []
            for y in years:
                reached += float(y[f"people_{p}_{k}"])
                by_year.append(reached)
            gains.append({"profile": profiles.get(p, p), "category": cats.get(k, k), "today": base, "years": by_year})
        rows = []
        funded = pr.funded
        for r in funded.head(limit).itertuples(index=False):
            rows.append(
                {
                    "year": int(r.year),
                    "order": int(r.order),
                    "rank": int(r.rank),
                    "street": r.street if isinstance(r.street, str) else "",
                    "description": r.description if isinstance(r.description, str) else "",
                    "barrier": _(tax[r.kind].label),
                    "barrier_id": r.barrier_id,
                    "rule": r.rule,
                    "intervention": _(table.interventions[r.intervention].label),
                    "cost": float(r.programme_cost),
                    "full_cost": float(r.cost),
                    "people": float(r.people_total),
                    "passing": float(r.people_passing),
                    "roadworks": r.status == "roadworks",
                    "works": " ".join(str(x) for x in (r.works_id, r.works_name) if isinstance(x, str) and x),
                }
            )
        t = pr.table
        other = {s: int((t["status"] == s).sum()) for s in ("waiting", "set_aside", "after_programme", "no_gain")}
        return render(
            "programme.html",
            city=city_name,
            today=dt.date.today(),
            lens_label=_(lens.label) if lens is not None else _("People gaining access per euro"),
            lens_explanation=_(lens.explanation) if lens is not None and lens.explanation else "",
            group={"residents": _("all residents"), "over65": _("residents over 65"), "over80": _("residents over 80")}[
                pr.plan.weight
            ],
            passing=lens.passing if lens is not None else 0.0,
            weights=weights,
            carry_over=pr.carry_over,
            cost_share=pr.cost_share,
            threshold=pr.plan.threshold_m,
            residents=pr.plan.residents,
            years=years,
            gains=gains,
            rows=rows,
            roadworks=[r for r in rows if r["roadworks"]],
            shown=len(rows),
            total=len(funded),
            other=other,
            status_labels={k: _(v) for k, v in STATUS_LABELS.items()},
            waiting_cost=float(t.loc[t["status"] == "waiting", "cost"].sum()),
        )
