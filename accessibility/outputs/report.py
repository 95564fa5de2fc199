"""The audit report: one self-contained HTML page a councillor can read (pure).

Figures are hand-made inline SVG bars (no plotting library, no external file, no
request); every text that comes from data (facility names, area names, notes) is
HTML-escaped. Italian by default, English with ``lang="en"``.
"""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

import numpy as np
import pandas as pd

from accessibility.analysis.audit import REASONS, Audit
from accessibility.i18n import _, use_language
from accessibility.model.facilities import categories
from accessibility.outputs.maps import COLOURS

TEXT = {
    "it": {
        "title": "Audit di accessibilità - {city}",
        "date": "Redatto il {date}",
        "intro": (
            "Per ogni profilo di mobilità e ogni tipo di servizio: la quota di residenti che raggiunge "
            "il servizio più vicino con un percorso accessibile entro {limits}, accanto alla stessa quota "
            "a piedi senza limiti (il riferimento, linea nera). I percorsi sono calcolati sulla rete "
            "pedonale con le barriere note; i dati mancanti non sono contati come accessibili."
        ),
        "population": "Residenti: {total:,.0f} ({source}); di cui con 65 anni e più: {o65}, con 80 e più: {o80}.",
        "istat": "struttura per età ISTAT",
        "uniform": "valore indicativo, senza tabella ISTAT",
        "placed": "distribuiti lungo {how}",
        "reach": "Residenti che raggiungono il servizio più vicino",
        "within": "entro {limit}",
        "profile": "Profilo",
        "category": "Servizio",
        "share": "Residenti",
        "walk": "a piedi",
        "o65": "65+",
        "o80": "80+",
        "length": "Rete",
        "detour": "Allungamento medio",
        "detour_note": (
            "Percorso accessibile diviso percorso a piedi, media pesata sui residenti che hanno "
            "entrambi; «senza percorso»: residenti che ci arrivano a piedi ma non con il profilo."
        ),
        "no_route": "senza percorso",
        "unreachable": "Servizi che nessuno raggiunge",
        "unreachable_note": "Per ciascun profilo, i servizi che nessun residente può raggiungere, e perché.",
        "none": "Nessuno.",
        "reason": "Motivo",
        "name": "Nome",
        "source": "Fonte",
        "complete": "Completezza dei dati",
        "complete_note": (
            "Quota della rete con il dato noto: senza questi dati un percorso può sembrare accessibile e non esserlo."
        ),
        "surface": "superficie",
        "width": "larghezza",
        "incline": "pendenza",
        "kerbs": "cordoli agli attraversamenti",
        "maps": "Mappe",
        "score_map": "Punteggio per zona - {profile}",
        "unreach_map": "Servizi non raggiungibili - {profile}",
        "notes": "Note sui dati",
        "areas": "Zone con il punteggio più basso",
        "score": "Punteggio",
        "area": "Zona",
        "no_age": "non disponibile",
    },
    "en": {
        "title": "Accessibility audit - {city}",
        "date": "Written on {date}",
        "intro": (
            "For each mobility profile and kind of facility: the share of residents who reach the nearest "
            "one on an accessible route within {limits}, beside the same share walking with no limits "
            "(the reference, black line). Routes run on the pedestrian network with its known barriers; "
            "missing data is not counted as accessible."
        ),
        "population": "Residents: {total:,.0f} ({source}); aged 65 and over: {o65}, 80 and over: {o80}.",
        "istat": "ISTAT age structure",
        "uniform": "indicative figure, no ISTAT table",
        "placed": "spread along {how}",
        "reach": "Residents who reach the nearest facility",
        "within": "within {limit}",
        "profile": "Profile",
        "category": "Facility",
        "share": "Residents",
        "walk": "walking",
        "o65": "65+",
        "o80": "80+",
        "length": "Network",
        "detour": "Average detour",
        "detour_note": (
            "Accessible route divided by walking route, averaged over the residents who have both; "
            "'no route': residents who can walk there but not with the profile."
        ),
        "no_route": "no route",
        "unreachable": "Facilities nobody can reach",
        "unreachable_note": "For each profile, the facilities no resident can reach, and why.",
        "none": "None.",
        "reason": "Reason",
        "name": "Name",
        "source": "Source",
        "complete": "Data completeness",
        "complete_note": (
            "Share of the network whose data is known: without it a route may look accessible and not be."
        ),
        "surface": "surface",
        "width": "width",
        "incline": "incline",
        "kerbs": "kerbs at crossings",
        "maps": "Maps",
        "score_map": "Score per area - {profile}",
        "unreach_map": "Unreachable facilities - {profile}",
        "notes": "Notes on the data",
        "areas": "Areas with the lowest score",
        "score": "Score",
        "area": "Area",
        "no_age": "not available",
    },
}


def _e(value: Any) -> str:
    return html.escape("" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value))


def _pct(value: float) -> str:
    return "–" if value is None or np.isnan(value) else f"{100 * value:.0f}%"


def bars_svg(rows: list[tuple[str, float, float]], width: int = 520) -> str:
    """Horizontal bars: ``(label, share, reference share)``; the reference is a black tick."""
    label_w, bar_w, h = 210, width - 260, 20
    parts = [
        f'<svg class="bars" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{h * len(rows) + 6}" role="img">'
    ]
    for i, (label, share, ref) in enumerate(rows):
        y = 3 + i * h
        s = 0.0 if np.isnan(share) else share
        parts.append(f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end" font-size="12">{_e(label)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 2}" width="{bar_w}" height="{h - 6}" fill="#eeeeee"/>')
        parts.append(
            f'<rect x="{label_w}" y="{y + 2}" width="{bar_w * s:.1f}" height="{h - 6}" fill="{COLOURS["route"]}"/>'
        )
        if not np.isnan(ref):
            x = label_w + bar_w * ref
            parts.append(f'<line x1="{x:.1f}" y1="{y}" x2="{x:.1f}" y2="{y + h - 2}" stroke="#000" stroke-width="2"/>')
        parts.append(f'<text x="{label_w + bar_w + 6}" y="{y + 14}" font-size="12">{_pct(share)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def render_report(
    result: Audit, lang: str = "it", maps: dict[str, str] | None = None, today: dt.date | None = None
) -> str:
    """The report page as a string; ``maps`` maps relative map file names to their titles."""
    t = TEXT["it" if lang == "it" else "en"]
    meta = result.meta
    cats = categories()
    with use_language(lang):
        clabel = {c: _(cats[c].label) if c in cats else c for c in meta["categories"]}
        plabel = {p: _(meta["labels"][p]) for p in meta["profiles"]}
        reasons = {k: _(v) for k, v in REASONS.items()}
    first = meta["thresholds"][0]
    out = [
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">',
        f"<title>{_e(t['title'].format(city=meta.get('city') or ''))}</title>",
        "<style>body{font:15px/1.45 sans-serif;max-width:1000px;margin:2em auto;padding:0 1em;color:#222}"
        "table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #bbb;padding:3px 7px;"
        "text-align:right}th{background:#f2f2f2}td.l,th.l{text-align:left}h2{margin-top:2em}"
        "figure{margin:1em 0}figcaption{font-weight:bold}</style></head><body>",
        f"<h1>{_e(t['title'].format(city=meta.get('city') or ''))}</h1>",
        f"<p>{_e(t['date'].format(date=(today or dt.date.today()).isoformat()))}</p>",
        f"<p>{_e(t['intro'].format(limits=', '.join(meta['thresholds'])))}</p>",
    ]
    o65 = f"{meta['over65']:,.0f}" if not np.isnan(meta["over65"]) else t["no_age"]
    o80 = f"{meta['over80']:,.0f}" if not np.isnan(meta["over80"]) else t["no_age"]
    source = t["istat"] if meta.get("population_source") == "istat" else t["uniform"]
    out.append(
        f"<p>{_e(t['population'].format(total=meta['residents'], source=source, o65=o65, o80=o80))} "
        f"{_e(t['placed'].format(how=meta.get('people_placed_by', '')))}</p>"
    )

    reach = result.reach
    out.append(f"<h2>{_e(t['reach'])} {_e(t['within'].format(limit=first))}</h2>")
    for cat in meta["categories"]:
        rows = reach[(reach["category"] == cat) & (reach["threshold"] == first)]
        bars = [(plabel[r.profile], r.residents_share, r.walk_residents_share) for r in rows.itertuples()]
        out.append(f"<figure><figcaption>{_e(clabel[cat])}</figcaption>{bars_svg(bars)}</figure>")

    out.append(
        f"<h2>{_e(t['reach'])}</h2><table><tr><th class='l'>{_e(t['category'])}</th>"
        f"<th class='l'>{_e(t['profile'])}</th><th>{_e(t['within'].format(limit=''))}</th>"
        f"<th>{_e(t['share'])}</th><th>({_e(t['walk'])})</th><th>{_e(t['o65'])}</th><th>{_e(t['o80'])}</th>"
        f"<th>{_e(t['length'])}</th><th>({_e(t['walk'])})</th></tr>"
    )
    for r in reach.itertuples():
        out.append(
            f"<tr><td class='l'>{_e(clabel[r.category])}</td><td class='l'>{_e(plabel[r.profile])}</td>"
            f"<td>{_e(r.threshold)}</td><td>{_pct(r.residents_share)}</td><td>{_pct(r.walk_residents_share)}</td>"
            f"<td>{_pct(r.over65_share)}</td><td>{_pct(r.over80_share)}</td><td>{_pct(r.length_share)}</td>"
            f"<td>{_pct(r.walk_length_share)}</td></tr>"
        )
    out.append("</table>")

    out.append(
        f"<h2>{_e(t['detour'])}</h2><p>{_e(t['detour_note'])}</p><table><tr>"
        f"<th class='l'>{_e(t['category'])}</th>"
        + "".join(f"<th>{_e(plabel[p])}</th>" for p in meta["profiles"][1:])
        + "</tr>"
    )
    for cat in meta["categories"]:
        cells = []
        for p in meta["profiles"][1:]:
            d = result.detour[(result.detour["profile"] == p) & (result.detour["category"] == cat)].iloc[0]
            ratio = "–" if np.isnan(d["detour"]) else f"×{d['detour']:.2f}"
            cells.append(f"<td>{ratio}<br><small>{_pct(d['no_route_share'])} {_e(t['no_route'])}</small></td>")
        out.append(f"<tr><td class='l'>{_e(clabel[cat])}</td>{''.join(cells)}</tr>")
    out.append("</table>")

    out.append(f"<h2>{_e(t['unreachable'])}</h2><p>{_e(t['unreachable_note'])}</p>")
    un = result.unreachable
    if len(un) == 0:
        out.append(f"<p>{_e(t['none'])}</p>")
    else:
        out.append(
            f"<table><tr><th class='l'>{_e(t['profile'])}</th><th class='l'>{_e(t['category'])}</th>"
            f"<th class='l'>{_e(t['name'])}</th><th class='l'>{_e(t['source'])}</th>"
            f"<th class='l'>{_e(t['reason'])}</th></tr>"
        )
        for r in un.itertuples():
            reason = reasons.get(r.reason, r.reason)
            out.append(
                f"<tr><td class='l'>{_e(plabel[r.profile])}</td><td class='l'>{_e(clabel[r.category])}</td>"
                f"<td class='l'>{_e(r.name or '?')}</td><td class='l'>{_e(r.source)}</td>"
                f"<td class='l'>{_e(reason)}</td></tr>"
            )
        out.append("</table>")

    areas = pd.DataFrame(result.areas.drop(columns="geometry"))
    if len(areas):
        worst = (
            areas[areas["profile"] != "walk"]
            .groupby(["area_id", "name"], as_index=False)
            .agg(score=("score", "mean"), walk_score=("walk_score", "mean"), residents=("residents", "first"))
            .query("residents > 0")
            .nsmallest(10, "score")
        )
        out.append(
            f"<h2>{_e(t['areas'])}</h2><table><tr><th class='l'>{_e(t['area'])}</th>"
            f"<th>{_e(t['score'])}</th><th>({_e(t['walk'])})</th><th>{_e(t['share'])}</th></tr>"
        )
        for r in worst.itertuples():
            out.append(
                f"<tr><td class='l'>{_e(r.name)}</td><td>{r.score:.0f}</td><td>{r.walk_score:.0f}</td>"
                f"<td>{r.residents:,.0f}</td></tr>"
            )
        out.append("</table>")

    c = result.completeness
    overall = c[c["area_id"] == "all"].iloc[0]
    out.append(f"<h2>{_e(t['complete'])}</h2><p>{_e(t['complete_note'])}</p>")
    out.append(
        bars_svg(
            [
                (t["surface"], overall["surface_known"], np.nan),
                (t["width"], overall["width_known"], np.nan),
                (t["incline"], overall["incline_known"], np.nan),
                (t["kerbs"], overall["kerbs_known"], np.nan),
            ]
        )
    )

    if maps:
        out.append(f"<h2>{_e(t['maps'])}</h2><ul>")
        out += [f'<li><a href="{html.escape(href, quote=True)}">{_e(title)}</a></li>' for href, title in maps.items()]
        out.append("</ul>")
    if meta.get("notes"):
        out.append(f"<h2>{_e(t['notes'])}</h2><ul>" + "".join(f"<li>{_e(n)}</li>" for n in meta["notes"]) + "</ul>")
    out.append("</body></html>")
    return "\n".join(out)
