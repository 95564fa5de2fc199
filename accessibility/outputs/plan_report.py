"""How a plan reads to people: the exported table and the council report (pure).

:func:`plan_table` turns a :class:`~accessibility.planning.Plan` into the table the
Disability Manager opens (WGS84, labels in Italian or English). :func:`plan_report_html`
writes the PEBA-style chapter for the council: the situation, the criteria, the ranked
plan, the cost. Every text that comes from data (street names, survey descriptions) is
HTML-escaped.
"""

from __future__ import annotations

import html

import geopandas as gpd
import pandas as pd

from accessibility.constants import WGS84
from accessibility.i18n import _, use_language
from accessibility.model.barriers import taxonomy
from accessibility.model.facilities import category
from accessibility.model.profiles import load_profiles
from accessibility.planning.interventions import CostTable, load_cost_table
from accessibility.planning.ranking import Plan


def plan_table(plan: Plan, lang: str = "it", table: CostTable | None = None) -> gpd.GeoDataFrame:
    """The ranked plan in WGS84, with ``lon, lat`` of each barrier and readable labels."""
    table = table or load_cost_table()
    tax = taxonomy()
    out = plan.table.to_crs(WGS84)
    point = out.geometry.representative_point()
    out.insert(3, "lon", point.x.round(7))
    out.insert(4, "lat", point.y.round(7))
    with use_language(lang):
        out.insert(6, "kind_label", out["kind"].map(lambda k: _(tax[k].label)))
        out.insert(9, "intervention_label", out["intervention"].map(lambda t: _(table.interventions[t].label)))
    return out


def _esc(value) -> str:
    return html.escape("" if value is None or (isinstance(value, float) and value != value) else str(value))


def _euro(x: float) -> str:
    return f"{x:,.0f} €".replace(",", ".")


def _n(x: float) -> str:
    return f"{x:,.0f}".replace(",", ".")


def plan_report_html(
    plan: Plan, city_name: str, lang: str = "it", table: CostTable | None = None, limit: int = 200
) -> str:
    """A self-contained HTML page (no external request): the plan as a PEBA chapter."""
    with use_language(lang):
        return _plan_report_html(plan, city_name, lang, table, limit)


def _plan_report_html(plan: Plan, city_name: str, lang: str, table: CostTable | None, limit: int) -> str:
    it = lang == "it"
    table = table or load_cost_table()
    tax = taxonomy()
    profiles = load_profiles()
    t = plan.table
    funded = t[t["within_budget"]]
    gain = t[t["selection"] != "no gain"]
    who = {
        "residents": "residenti" if it else "residents",
        "over65": "residenti con più di 65 anni" if it else "residents over 65",
        "over80": "residenti con più di 80 anni" if it else "residents over 80",
    }[plan.weight]
    h = []
    h.append(
        f"<!DOCTYPE html><html lang='{lang}'><head><meta charset='utf-8'>"
        f"<title>{_esc(('Piano di interventi - ' if it else 'Intervention plan - ') + city_name)}</title>"
        "<style>body{font:15px/1.45 sans-serif;max-width:1100px;margin:24px auto;padding:0 12px;color:#222}"
        "table{border-collapse:collapse;width:100%;font-size:13px}th,td{border:1px solid #bbb;padding:3px 6px;"
        "text-align:left;vertical-align:top}th{background:#eee}td.n{text-align:right}"
        "tr.out td{color:#666}h1{font-size:24px}h2{font-size:19px;margin-top:28px}</style></head><body>"
    )
    h.append(
        f"<h1>{_esc(('Piano di eliminazione delle barriere architettoniche (PEBA) — ' if it else 'Barrier removal plan — ') + city_name)}</h1>"
    )
    # 1. situation
    h.append(f"<h2>{'1. La situazione' if it else '1. The situation'}</h2>")
    h.append(
        "<p>"
        + (
            f"Barriere in vigore considerate: {_n(len(t))} interventi possibili, di cui {_n(plan.relevant)} "
            f"interrompono almeno un percorso per almeno un profilo. Persone contate: {_n(plan.residents)} {who}."
            if it
            else f"Barriers in force considered: {_n(len(t))} possible interventions, {_n(plan.relevant)} of which "
            f"cut at least one route for at least one profile. People counted: {_n(plan.residents)} {who}."
        )
        + "</p>"
    )
    h.append(
        "<table><tr><th>"
        + ("Profilo" if it else "Profile")
        + "</th><th>"
        + ("Servizio" if it else "Facility")
        + "</th><th>"
        + (f"Raggiungono entro {plan.threshold_m:.0f} m oggi" if it else f"Reach within {plan.threshold_m:.0f} m today")
        + "</th><th>%</th><th>"
        + ("Dopo gli interventi finanziati" if it else "After the funded works")
        + "</th></tr>"
    )
    for (p, k), base in plan.baseline.items():
        after = base + funded[f"people_{p}_{k}"].sum()
        label_p = _(profiles[p].label) if p in profiles else p
        h.append(
            f"<tr><td>{_esc(label_p)}</td><td>{_esc(_(category(k).label))}</td><td class=n>{_n(base)}</td>"
            f"<td class=n>{100 * base / plan.residents:.1f}%</td><td class=n>{_n(after)} "
            f"({100 * after / plan.residents:.1f}%)</td></tr>"
        )
    h.append("</table>")
    # 2. criteria
    h.append(f"<h2>{'2. I criteri' if it else '2. The criteria'}</h2><ul>")
    crit = (
        [
            "Ogni barriera nota (OpenStreetMap e rilievi verificati) è un intervento possibile, con il costo dal prezzario "
            "modificabile <code>data/costs.toml</code> (stime da prezzari regionali delle opere pubbliche).",
            f"L'effetto di un intervento è calcolato esattamente sulla rete: quante persone ottengono un percorso "
            f"accessibile entro {plan.threshold_m:.0f} m verso ciascun tipo di servizio, per ogni profilo, e quanti servizi "
            f"diventano raggiungibili.",
            "Gli interventi sono ordinati per persone servite per euro; dopo ogni scelta gli effetti sono ricalcolati "
            "tenendo conto delle scelte precedenti. Barriere che contano solo insieme (due rampe di scale sullo stesso "
            "percorso) sono valutate in coppia.",
            "Gli interventi che non aprono nuovi percorsi (percorsi tattili, segnali acustici, pavimentazioni) seguono, "
            "ordinati per persone che passano di lì per euro.",
            "Il bilancio finanzia l'elenco dall'alto finché il costo cumulato rientra; le righe successive sono pronte "
            "per il bilancio seguente.",
            "Le barriere con dati sconosciuti non sono interventi ma rilievi da fare.",
        ]
        if it
        else [
            "Every known barrier (OpenStreetMap and verified surveys) is a possible intervention, costed from the "
            "editable price table <code>data/costs.toml</code> (estimates from regional public-works price lists).",
            f"The effect of an intervention is computed exactly on the network: people who get an accessible route "
            f"within {plan.threshold_m:.0f} m to each kind of facility, per profile, and facilities made reachable.",
            "Interventions are ordered by people served per euro; after each choice the effects are recomputed given "
            "the choices before. Barriers that only matter together (two flights of steps on one path) are tried in pairs.",
            "Interventions that open no new route (tactile paving, acoustic signals, paving) follow, ordered by the "
            "people whose way passes them, per euro.",
            "The budget funds the list from the top while the cumulative cost fits; the rows after it are ready for "
            "the next budget.",
            "Barriers of unknown data are survey tasks, not interventions.",
        ]
    )
    h += [f"<li>{c}</li>" for c in crit]
    h.append("</ul>")
    # 3. ranked plan
    h.append(f"<h2>{'3. Il piano ordinato' if it else '3. The ranked plan'}</h2><table><tr>")
    heads = (
        [
            "N.",
            "Via",
            "Barriera",
            "Norma",
            "Intervento",
            "Quantità",
            "Costo",
            "Persone",
            "Servizi",
            "Cumulato",
            "Nel bilancio",
        ]
        if it
        else [
            "No.",
            "Street",
            "Barrier",
            "Rule",
            "Intervention",
            "Quantity",
            "Cost",
            "People",
            "Facilities",
            "Cumulative",
            "Funded",
        ]
    )
    h.append("".join(f"<th>{x}</th>" for x in heads) + "</tr>")
    shown = pd.concat([gain, t[t["selection"] == "no gain"].head(max(0, limit - len(gain)))]).head(limit)
    for r in shown.itertuples(index=False):
        k = tax[r.kind]
        itype = table.interventions[r.intervention]
        h.append(
            f"<tr class='{'in' if r.within_budget else 'out'}'><td class=n>{r.rank}</td><td>{_esc(r.street)}{'<br><small>' + _esc(r.description) + '</small>' if isinstance(r.description, str) else ''}</td>"
            f"<td>{_esc(_(k.label))}<br><small>{_esc(r.barrier_id)}</small></td>"
            f"<td>{_esc(r.rule)}</td><td>{_esc(_(itype.label))}</td>"
            f"<td class=n>{r.quantity:g} {_esc(r.unit)}</td><td class=n>{_euro(r.cost)}</td>"
            f"<td class=n>{_n(r.people_total)}</td><td class=n>{r.facilities_total}</td>"
            f"<td class=n>{_euro(r.cumulative_cost)}</td><td>{('sì' if it else 'yes') if r.within_budget else 'no'}</td></tr>"
        )
    h.append("</table>")
    if len(t) > len(shown):
        h.append(
            f"<p>{_n(len(t) - len(shown))} "
            + (
                "altri interventi senza effetto sui percorsi sono nella tabella completa."
                if it
                else "more interventions with no effect on routes are in the full table."
            )
            + "</p>"
        )
    # 4. cost
    h.append(f"<h2>{'4. Il costo' if it else '4. The cost'}</h2>")
    spent = funded["cost"].sum()
    h.append(
        "<p>"
        + (
            f"Bilancio: {_euro(plan.budget)}. Interventi finanziati: {len(funded)}, per {_euro(spent)}; "
            f"persone che guadagnano accesso (somma su profili e servizi): {_n(funded['people_total'].sum())}. "
            f"Tutti gli interventi con effetto: {len(gain)}, per {_euro(gain['cost'].sum())}."
            if it
            else f"Budget: {_euro(plan.budget)}. Funded interventions: {len(funded)}, for {_euro(spent)}; people "
            f"gaining access (sum over profiles and facilities): {_n(funded['people_total'].sum())}. "
            f"All interventions with an effect: {len(gain)}, for {_euro(gain['cost'].sum())}."
        )
        + "</p>"
    )
    left = plan.budget - spent
    unfunded = gain[~gain["within_budget"]]
    if len(unfunded):
        nxt = unfunded.iloc[0]
        h.append(
            "<p>"
            + (
                f"Residuo non speso: {_euro(left)}. Il prossimo intervento in elenco (n. {nxt['rank']}) costa "
                f"{_euro(nxt['cost'])}: il bilancio si ferma prima, perché ogni riga è calcolata dando per "
                f"fatte quelle sopra."
                if it
                else f"Unspent: {_euro(left)}. The next intervention on the list (no. {nxt['rank']}) costs "
                f"{_euro(nxt['cost'])}: funding stops before it, as each row is computed given the rows above."
            )
            + "</p>"
        )
    elif len(gain):
        h.append(
            "<p>"
            + (
                f"Residuo non speso: {_euro(left)}: nessun altro intervento in elenco migliora l'accesso."
                if it
                else f"Unspent: {_euro(left)}: no other intervention on the list improves access."
            )
            + "</p>"
        )
    by_type = funded.groupby("intervention")["cost"].agg(["count", "sum"])
    if len(by_type):
        h.append(
            "<table><tr><th>"
            + ("Intervento" if it else "Intervention")
            + "</th><th>N.</th><th>"
            + ("Costo" if it else "Cost")
            + "</th></tr>"
        )
        for itype, row in by_type.iterrows():
            lab = _(table.interventions[itype].label)
            h.append(
                f"<tr><td>{_esc(lab)}</td><td class=n>{int(row['count'])}</td><td class=n>{_euro(row['sum'])}</td></tr>"
            )
        h.append("</table>")
    h.append(
        "<p><small>"
        + (
            "Costi stimati, IVA esclusa, da verificare con il prezzario del Comune."
            if it
            else "Estimated costs, VAT excluded, to be checked against the city's price list."
        )
        + "</small></p></body></html>"
    )
    return "\n".join(h)
