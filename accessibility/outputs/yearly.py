"""The yearly report on how the city has changed: an HTML page that prints well, and its
PDF (pure but for the PDF engine, which only turns the page into bytes).

The figures come from :class:`accessibility.planning.progress.YearReport`; this module
labels and formats them (Italian first) and draws the line charts as inline SVG built
from numbers only (no plotting library, no external file, no request). Text from data
(street names, notes, descriptions) reaches the page through the template, escaped.
"""

from __future__ import annotations

import datetime as dt
import html
import math
from typing import Any

import pandas as pd
from markupsafe import Markup

from accessibility.errors import ExportError
from accessibility.i18n import N_, _, date, percent, use_language
from accessibility.model.barriers import taxonomy
from accessibility.model.facilities import categories as all_categories
from accessibility.model.profiles import load_profiles
from accessibility.outputs.templates import render
from accessibility.planning.progress import YearReport

__all__ = ["line_chart_svg", "pdf_bytes", "yearly_report_html"]

#: Line colours (Okabe-Ito, readable by colour-blind people), each with its own dash and
#: marker so that no line is told from another by colour alone.
STYLES = [
    ("#000000", "6 4", "circle"),
    ("#0072B2", "", "square"),
    ("#D55E00", "", "diamond"),
    ("#009E73", "2 3", "triangle"),
    ("#CC79A7", "8 3 2 3", "circle"),
    ("#E69F00", "", "square"),
    ("#56B4E9", "4 2", "diamond"),
]

STATUS = {
    "reported": N_("reported"),
    "verified": N_("verified"),
    "planned": N_("planned"),
    "fixed": N_("fixed"),
    "rejected": N_("rejected"),
}
WHY = {"mapping": N_("removed from OpenStreetMap"), "survey": N_("report rejected, reopened or expired")}
STATE = {"done": N_("done"), "to_do": N_("to do"), "left_data": N_("left the data without works")}


def _marker(shape: str, x: float, y: float, colour: str) -> str:
    if shape == "square":
        return f'<rect x="{x - 3.5:.1f}" y="{y - 3.5:.1f}" width="7" height="7" fill="{colour}"/>'
    if shape == "diamond":
        points = f"M{x:.1f} {y - 4.5:.1f} L{x + 4.5:.1f} {y:.1f} L{x:.1f} {y + 4.5:.1f} L{x - 4.5:.1f} {y:.1f} Z"
        return f'<path d="{points}" fill="{colour}"/>'
    if shape == "triangle":
        points = f"M{x:.1f} {y - 4.5:.1f} L{x + 4.5:.1f} {y + 3.5:.1f} L{x - 4.5:.1f} {y + 3.5:.1f} Z"
        return f'<path d="{points}" fill="{colour}"/>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.8" fill="{colour}"/>'


def line_chart_svg(
    series: dict[str, list[tuple[dt.date, float]]], title: str, width: int = 320, height: int = 200
) -> str:
    """A line chart of shares (0-1) over dates, one line per series (in order, styled by
    :data:`STYLES`): an inline SVG with its title for screen readers. The vertical axis
    spans the data (at least 10 points), so small changes show."""
    values = [v for points in series.values() for _, v in points if v is not None and not math.isnan(v)]
    days = sorted({d for points in series.values() for d, _ in points})
    left, right, top, bottom = 48, 12, 12, 34
    w, h = width - left - right, height - top - bottom
    if not values or not days:
        return ""
    lo = max(0.0, math.floor((min(values) - 0.02) * 20) / 20)
    hi = min(1.0, math.ceil((max(values) + 0.02) * 20) / 20)
    if hi - lo < 0.1:
        lo = max(0.0, hi - 0.1)
        hi = lo + 0.1
    first, last = days[0].toordinal(), days[-1].toordinal()

    pad = 34  # the first and last dates' labels stay inside the picture

    def x(d: dt.date) -> float:
        span = w - 2 * pad
        return left + pad + (span / 2 if last == first else span * (d.toordinal() - first) / (last - first))

    def y(v: float) -> float:
        return top + h * (1 - (v - lo) / (hi - lo))

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{html.escape(title)}"><title>{html.escape(title)}</title>',
        f'<rect x="{left}" y="{top}" width="{w}" height="{h}" fill="#fff" stroke="#b8c0c8"/>',
    ]
    steps = 5
    for i in range(steps + 1):
        v = lo + (hi - lo) * i / steps
        out.append(f'<line x1="{left}" x2="{left + w}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#e3e7eb"/>')
        out.append(
            f'<text x="{left - 5}" y="{y(v) + 4:.1f}" font-size="11" text-anchor="end" fill="#333">'
            f"{html.escape(percent(v))}</text>"
        )
    for d in days:
        out.append(
            f'<text x="{x(d):.1f}" y="{top + h + 16}" font-size="11" text-anchor="middle" fill="#333">'
            f"{html.escape(date(d))}</text>"
        )
    for n, (_name, points) in enumerate(series.items()):
        colour, dash, shape = STYLES[n % len(STYLES)]
        pts = [(x(d), y(v)) for d, v in sorted(points) if v is not None and not math.isnan(v)]
        if len(pts) > 1:
            path = " ".join(f"{'M' if i == 0 else 'L'}{px:.1f} {py:.1f}" for i, (px, py) in enumerate(pts))
            dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
            out.append(f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="2"{dash_attr}/>')
        out += [_marker(shape, px, py, colour) for px, py in pts]
    out.append("</svg>")
    return "".join(out)


def legend_entries(names: list[str]) -> list[dict[str, str]]:
    """Colour and dash of each series, for the HTML legend under a chart."""
    return [
        {"name": name, "colour": STYLES[n % len(STYLES)][0], "dash": STYLES[n % len(STYLES)][1]}
        for n, name in enumerate(names)
    ]


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    return str(value)


def yearly_report_html(report: YearReport, lang: str | None = None, limit: int = 200) -> str:
    """The yearly report as one self-contained HTML page (Italian unless ``lang`` says)."""
    with use_language(lang):
        return _html(report, limit)


def _html(report: YearReport, limit: int) -> str:
    tax = taxonomy()
    profiles = {name: _(p.label) for name, p in load_profiles().items()}
    cats = {name: _(c.label) for name, c in all_categories().items()}

    def kind(k: Any) -> str:
        return _(tax[k].label) if isinstance(k, str) and k in tax else _text(k)

    later, earlier, change = report.later, report.earlier, report.change
    threshold = report.threshold
    audited_profiles = list(later.meta["profiles"])
    audited_cats = list(later.meta["categories"])
    # who gained: residents at the main threshold, with the over-65 change beside
    gained = []
    totals = {"change": 0.0, "works": 0.0, "data": 0.0}
    if change is not None:
        r = change.reach[change.reach["threshold"] == threshold]
        res = r[r["group"] == "residents"].set_index(["profile", "category"])
        old = r[r["group"] == "over65"].set_index(["profile", "category"])
        people = float(later.meta.get("residents") or 0.0)
        ages = float(later.meta.get("over65") or 0.0) > 0  # known only from the ISTAT table or sections
        for p in audited_profiles:
            for k in audited_cats:
                if (p, k) not in res.index:
                    continue
                row = res.loc[(p, k)]
                gained.append(
                    {
                        "profile": profiles.get(p, p),
                        "category": cats.get(k, k),
                        "walk": p == "walk",
                        "before": row["before"],
                        "after": row["after"],
                        "before_share": row["before"] / people if people else math.nan,
                        "after_share": row["after"] / people if people else math.nan,
                        "change": row["change"],
                        "works": row["works"],
                        "data": row["data"],
                        "over65": old.loc[(p, k), "change"] if (p, k) in old.index and ages else math.nan,
                    }
                )
                if p != "walk":
                    for key in totals:
                        totals[key] += float(row[key]) if not pd.isna(row[key]) else 0.0
    # charts: one per facility, a line per profile
    charts = []
    hist = report.history
    for k in audited_cats:
        h = hist[hist["category"] == k]
        series = {
            profiles.get(p, p): list(zip(h.loc[h["profile"] == p, "date"], h.loc[h["profile"] == p, "share"]))
            for p in audited_profiles
            if (h["profile"] == p).any()
        }
        if not series:
            continue
        title = _("{category}: residents reaching the nearest within {limit}").format(
            category=cats.get(k, k), limit=threshold
        )
        charts.append(
            {
                "title": title,
                "svg": Markup(line_chart_svg(series, title)),  # built from numbers and escaped labels only
                "legend": legend_entries(list(series)),
            }
        )
    dates = sorted(set(hist["date"]))
    over_time = []
    for p in audited_profiles:
        for k in audited_cats:
            h = hist[(hist["profile"] == p) & (hist["category"] == k)].set_index("date")["share"]
            over_time.append(
                {"profile": profiles.get(p, p), "category": cats.get(k, k), "values": [h.get(d) for d in dates]}
            )
    works = []
    lifted = left = entered = []
    areas_up: list[dict[str, Any]] = []
    areas_down: list[dict[str, Any]] = []
    if change is not None:
        for w in change.works.head(limit).itertuples(index=False):
            works.append(
                {
                    "id": int(w.report_id),
                    "kind": kind(getattr(w, "kind", None)),
                    "street": _text(getattr(w, "street", None)),
                    "description": _text(getattr(w, "description", None)),
                    "fixed": date(pd.Timestamp(w.fixed_at).date()),
                    "by": _text(w.by),
                    "note": _text(w.note),
                }
            )
        lifted = [
            {"id": b.barrier_id, "kind": kind(b.kind), "street": _text(b.street), "source": b.source}
            for b in change.lifted.head(limit).itertuples(index=False)
        ]
        left = [
            {"id": b.barrier_id, "kind": kind(b.kind), "street": _text(b.street), "why": _(WHY[b.why])}
            for b in change.left_data.head(limit).itertuples(index=False)
        ]
        entered = [
            {"id": b.barrier_id, "kind": kind(b.kind), "street": _text(b.street), "source": b.source}
            for b in change.entered.head(limit).itertuples(index=False)
        ]
        a = change.areas.dropna(subset=["change"])
        for target, frame in (
            (areas_up, a[a["change"] > 0].nlargest(10, "change")),
            (areas_down, a[a["change"] < 0].nsmallest(10, "change")),
        ):
            for r in frame.itertuples(index=False):
                target.append(
                    {
                        "name": _text(r.name),
                        "before": r.before,
                        "after": r.after,
                        "change": r.change,
                        "residents": r.residents,
                        "lat": r.lat,
                        "lon": r.lon,
                    }
                )
    reports = [
        {
            "id": int(r.report_id),
            "kind": kind(r.kind),
            "street": _text(r.street),
            "description": _text(r.description),
            "surveyed": _text(r.surveyed_on),
            "status": _(STATUS.get(r.status, r.status)),
        }
        for r in report.reports.head(limit).itertuples(index=False)
    ]
    todo = [
        {
            "name": _text(r.name),
            "km": r.km,
            "surface": r.surface_known,
            "width": r.width_known,
            "incline": r.incline_known,
            "crossings": int(r.crossings),
            "kerbs": r.kerbs_known,
            "lat": r.lat,
            "lon": r.lon,
        }
        for r in report.surveys_todo.itertuples(index=False)
    ]
    unknown = [{"kind": kind(r.kind), "count": int(r.barriers)} for r in report.unknown.itertuples(index=False)]
    programme = None
    if report.programme is not None and report.programme_meta is not None:
        meta = report.programme_meta
        rows = report.programme.to_dict("records")
        late_rows = []
        if report.programme_rows is not None:
            pr = report.programme_rows
            late = pr[(pr["state"] == "to_do") & (pr["year"] <= report.year)].sort_values(["year", "order"])
            late_rows = [
                {
                    "year": int(r.year),
                    "id": r.barrier_id,
                    "kind": kind(r.kind),
                    "street": _text(r.street),
                    "cost": float(r.programme_cost),
                }
                for r in late.head(50).itertuples(index=False)
            ]
        programme = {
            "act_number": _text(meta.get("act_number")),
            "act_date": date(meta["act_date"]) if meta.get("act_date") else "",
            "adopted": date(meta["adopted"]) if meta.get("adopted") else "",
            "rows": rows,
            "late": late_rows,
            "planned": sum(r["planned"] for r in rows),
            "done": sum(r["done"] for r in rows),
            "budget": sum(r["budget"] for r in rows if not pd.isna(r["budget"])),
            "done_cost": sum(r["done_cost"] for r in rows),
        }
    notes = []
    if change is not None and "network_rebuilt" in change.notes:
        notes.append(
            _(
                "The network was rebuilt from new OpenStreetMap data between the two snapshots: part of the "
                "change comes from the new map, and is counted under data, not works."
            )
        )
    if earlier is not None and earlier.meta.get("residents") != later.meta.get("residents"):
        notes.append(_("The two snapshots counted different populations: the change in people includes that."))
    return render(
        "yearly_report.html",
        city=report.city,
        year=report.year,
        today=dt.date.today(),
        later_date=later.date,
        earlier_date=earlier.date if earlier is not None else None,
        threshold=threshold,
        residents=float(later.meta.get("residents") or 0.0),
        gained=gained,
        show_over65=any(not pd.isna(g["over65"]) for g in gained),
        totals=totals,
        charts=charts,
        dates=dates,
        over_time=over_time,
        works=works,
        lifted=lifted,
        left=left,
        entered=entered,
        areas_up=areas_up,
        areas_down=areas_down,
        reports=reports,
        reports_by_status=[
            {"status": _(STATUS.get(k, k)), "count": v} for k, v in sorted(report.reports_by_status.items())
        ],
        todo=todo,
        unknown=unknown,
        programme=programme,
        notes=notes,
        snapshots=len(dates),
    )


def pdf_bytes(page: str) -> bytes:
    """The HTML page as a PDF (WeasyPrint: A4, the page's print styles).

    Raises
    ------
    ExportError
        WeasyPrint or the system libraries it needs (Pango) are missing: the message says
        how to install them.
    """
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:  # OSError: Pango missing from the system
        raise ExportError(
            _("the PDF needs WeasyPrint and the Pango library ({reason}); install them with scripts/setup.sh").format(
                reason=exc
            )
        ) from None
    return HTML(string=page).write_pdf()
