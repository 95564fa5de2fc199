"""Barrier sheets (schede) as pages: one HTML page per barrier, or all the sheets of a plan
in one printable document (and its PDF through WeasyPrint).

Writes, computes nothing: the sheets come as data from :mod:`accessibility.planning.sheets`.
The small map of the spot is an SVG drawn here from the network lines around it (no tile
server, nothing loaded from the network); photos are inlined (``data:`` URLs) so one file
holds the whole page. Every text from surveyors and OpenStreetMap is escaped by the
template environment: shown, never run.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable
from html import escape
from typing import Any

from accessibility.i18n import N_, _, language, number, use_language
from accessibility.model.profiles import load_profiles
from accessibility.outputs.templates import render
from accessibility.outputs.yearly import pdf_bytes
from accessibility.planning.interventions import CostTable, load_cost_table
from accessibility.planning.sheets import MAP_RADIUS_M, BarrierSheet
from accessibility.surveys.review import status_label
from accessibility.surveys.schema import kind_label

__all__ = ["SPOT_MAP_PX", "barrier_sheets_html", "barrier_sheets_pdf", "spot_map_svg"]

#: Units of the taxonomy's measures that are words (the rest are symbols: cm, %).
UNIT_LABELS = {"steps": N_("steps")}
#: Side of a sheet's small map, in CSS pixels.
SPOT_MAP_PX = 280


def spot_map_svg(sheet: BarrierSheet, size: int = SPOT_MAP_PX, radius_m: float = MAP_RADIUS_M) -> str:
    """The network around a barrier as an SVG square, north up: paths in grey, the barrier
    in red (its line, or a ringed dot), a 20 m scale bar. Coordinates are metres of the
    network's CRS; the SVG names what it shows for screen readers."""
    spot = sheet.geometry.centroid if sheet.geometry is not None else None
    label = _("Map of the spot: the barrier in red, the paths around it in grey; north is up.")
    if spot is None:
        return ""
    minx, maxy = spot.x - radius_m, spot.y + radius_m
    scale = size / (2 * radius_m)

    def xy(x: float, y: float) -> str:
        return f"{(x - minx) * scale:.1f},{(maxy - y) * scale:.1f}"

    def lines(geometry: Any) -> list[str]:
        parts = getattr(geometry, "geoms", [geometry])
        return [" ".join(xy(x, y) for x, y in part.coords) for part in parts if part.geom_type == "LineString"]

    out = [
        f'<svg class="spot" xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
        f'viewBox="0 0 {size} {size}" role="img" aria-label="{escape(label)}">',
        f"<title>{escape(label)}</title>",
        f'<rect width="{size}" height="{size}" fill="#f7f7f4" stroke="#999"/>',
        f'<clipPath id="clip-{escape(sheet.barrier_id)}"><rect width="{size}" height="{size}"/></clipPath>',
        f'<g clip-path="url(#clip-{escape(sheet.barrier_id)})" fill="none" stroke-linecap="round">',
    ]
    for geometry in sheet.nearby:
        for points in lines(geometry):
            out.append(f'<polyline points="{points}" stroke="#8a8a8a" stroke-width="3"/>')
    barrier = sheet.geometry
    if barrier is not None and barrier.geom_type in {"LineString", "MultiLineString"}:
        for points in lines(barrier):
            out.append(f'<polyline points="{points}" stroke="#c00000" stroke-width="6"/>')
    point = xy(spot.x, spot.y).split(",")
    out.append(f'<circle cx="{point[0]}" cy="{point[1]}" r="7" fill="#c00000" stroke="#fff" stroke-width="2.5"/></g>')
    bar = 20 * scale
    out.append(
        f'<g font-family="DejaVu Sans, Arial, sans-serif" font-size="11" fill="#1a1a1a">'
        f'<rect x="10" y="{size - 16}" width="{bar:.1f}" height="4" fill="#1a1a1a"/>'
        f'<text x="{14 + bar:.1f}" y="{size - 11}">20 m</text>'
        f'<text x="{size - 16}" y="18" font-weight="bold">N</text>'
        f'<path d="M{size - 12},22 l-4,10 l8,0 z" fill="#1a1a1a"/></g>'
    )
    out.append("</svg>")
    return "".join(out)


def _photo_src(data: bytes) -> str:
    kind = "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"
    return f"data:{kind};base64,{base64.b64encode(data).decode('ascii')}"


def _measured(sheet: BarrierSheet) -> str:
    """The measured value against the limit of the rule, in words."""
    unit = f" {_(UNIT_LABELS.get(sheet.unit, sheet.unit))}" if sheet.unit else ""
    if sheet.measure is None:
        value = _("not measured")
    else:
        value = f"{_figure(sheet.measure)}{unit}"
    if sheet.threshold is None:
        return value
    return _("{value} (limit of the rule: {limit})").format(value=value, limit=f"{_figure(sheet.threshold)}{unit}")


def _figure(value: float) -> str:
    """A measure with a decimal only when it has one (4 steps, 12,5 cm)."""
    return number(value, 0 if float(value).is_integer() else 1)


def _context(
    sheets: list[BarrierSheet], photo: Callable[[str], bytes | None], table: CostTable
) -> list[dict[str, Any]]:
    profiles = load_profiles()

    def names(keys: list[str]) -> list[str]:
        return [_(profiles[p].label) if p in profiles else p for p in keys]

    out = []
    for number_, s in enumerate(sheets, start=1):
        photos = []
        for report in sorted(s.reports, key=lambda r: r.report_id, reverse=True):
            for path in report.photos:
                data = photo(path)
                if data:
                    photos.append({"src": _photo_src(data), "report": report.report_id, "date": report.surveyed_on})
        out.append(
            {
                "n": number_,
                "sheet": s,
                "kind": kind_label(s.kind),
                "source": "OpenStreetMap" if s.source == "osm" else _("survey"),
                "measured": _measured(s),
                "blocked": names(s.blocked),
                "hindered": names(s.hindered),
                "unknown": names(s.unknown),
                "intervention": _(table.interventions[s.intervention].label)
                if s.intervention in table.interventions
                else None,
                "quantity_note": "" if s.quantity_note is None else str(s.quantity_note),
                "map": spot_map_svg(s),
                "photos": photos,
                "reports": [
                    {
                        "r": r,
                        "status": status_label(r.status),
                        "measure": "" if r.measure is None else _figure(r.measure),
                        "kind": kind_label(r.kind),
                        "history": [
                            {
                                **h,
                                "from": status_label(h["from_status"]) if h.get("from_status") else "",
                                "to": status_label(h["to_status"]) if h.get("to_status") else "",
                            }
                            for h in r.history
                        ],
                    }
                    for r in s.reports
                ],
            }
        )
    return out


def barrier_sheets_html(
    sheets: list[BarrierSheet],
    lang: str | None = "it",
    *,
    title: str = "",
    city: str = "",
    photo: Callable[[str], bytes | None] | None = None,
    table: CostTable | None = None,
    today: dt.date | None = None,
) -> str:
    """The sheets as one HTML page (one sheet: the barrier's page; several: a document
    that prints one sheet per A4 page).

    Parameters
    ----------
    sheets
        The sheets (:func:`accessibility.planning.sheets.barrier_sheets`).
    lang
        The page's language.
    title
        The document's title (default: "Barrier sheet" or "Barrier sheets").
    city
        The city's name, in the heading.
    photo
        ``photo(path) -> bytes`` of a stored photo (``None``: no photos shown).
    table
        The cost table whose intervention names are shown.
    today
        The date written at the foot.

    Returns
    -------
    str
    """
    table = table or load_cost_table()
    with use_language(lang):
        heading = title or (_("Barrier sheet") if len(sheets) == 1 else _("Barrier sheets"))
        return render(
            "barrier_sheets.html",
            lang=language(),
            title=heading,
            city=city,
            sheets=_context(sheets, photo or (lambda path: None), table),
            sources=[],
            today=today or dt.date.today(),
        )


def barrier_sheets_pdf(sheets: list[BarrierSheet], lang: str | None = "it", **kw: Any) -> bytes:
    """The sheets as a PDF, one sheet per A4 page (:func:`barrier_sheets_html` printed by
    WeasyPrint).

    Raises
    ------
    ExportError
        WeasyPrint or the Pango library is missing.
    """
    return pdf_bytes(barrier_sheets_html(sheets, lang, **kw))
