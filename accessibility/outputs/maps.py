"""Route maps citizens can read, that open without internet (the only folium user).

Leaflet's JavaScript and CSS are read from the installed ``django-js-lib-leaflet``
package (plain Leaflet files; it needs no Django) and inlined into the page, with its
images as data URIs: the page makes no request at all unless a tile layer is asked for.
folium's own CDN links are dropped. Colours are the Okabe-Ito palette, readable with
the common kinds of colour blindness; the unknown-data segments differ by dash too.
"""

from __future__ import annotations

import base64
import html
import re
from functools import cache
from importlib import resources
from typing import Any

import folium
import geopandas as gpd
import networkx as nx
import shapely
from branca.element import Element

from accessibility.constants import WGS84
from accessibility.routing.route import Route

#: Okabe & Ito (2008), colour-blind safe.
COLOURS = {
    "route": "#0072B2",
    "walk": "#E69F00",
    "unknown": "#CC79A7",
    "barrier": "#D55E00",
    "facility": "#009E73",
    "ends": "#000000",
}
_TEXT = {
    "it": {
        "route": "Percorso accessibile ({profile})",
        "walk": "Percorso a piedi (confronto)",
        "unknown": "Tratti con dati di accessibilità sconosciuti",
        "barrier": "Barriere evitate",
        "blocker": "Barriere che bloccano il percorso a piedi",
        "facility": "Servizi",
        "title": "Legenda",
        "none": "Nessun percorso accessibile per il profilo {profile}",
        "start": "Partenza",
        "end": "Arrivo",
    },
    "en": {
        "route": "Accessible route ({profile})",
        "walk": "Walking route (comparison)",
        "unknown": "Segments with unknown accessibility data",
        "barrier": "Barriers avoided",
        "blocker": "Barriers blocking the walking route",
        "facility": "Facilities",
        "title": "Legend",
        "none": "No accessible route for profile {profile}",
        "start": "Start",
        "end": "Destination",
    },
}


@cache
def leaflet_assets() -> tuple[str, str]:
    """Leaflet's JS and CSS from the installed package, CSS images inlined."""
    root = resources.files("js_lib_leaflet") / "static" / "js_lib_leaflet"
    js = (root / "leaflet.js").read_text(encoding="utf-8")
    js = re.sub(r"//# sourceMappingURL=\S+", "", js)
    css = (root / "leaflet.css").read_text(encoding="utf-8")

    def inline(match: re.Match) -> str:
        return f"url({_data_uri(root / 'images' / match.group(1))})"

    css = re.sub(r"url\(images/([\w.-]+\.png)\)", inline, css)
    # Default marker icons: Leaflet builds their URLs from a path it guesses from the CSS,
    # which fails with inlined images; give it the images themselves instead.
    icons = {
        key: _data_uri(root / "images" / name)
        for key, name in (
            ("iconUrl", "marker-icon.png"),
            ("iconRetinaUrl", "marker-icon-2x.png"),
            ("shadowUrl", "marker-shadow.png"),
        )
    }
    js += (
        '\nL.Icon.Default.imagePath = "";\nL.Icon.Default.mergeOptions('
        + ", ".join(f'{{"{k}": "{v}"}}' for k, v in icons.items()).replace("}, {", ", ")
        + ");\n"
    )
    return js, css


def _data_uri(path) -> str:
    return f"data:image/png;base64,{base64.b64encode(path.read_bytes()).decode()}"


def _offline_map(bounds: list[list[float]], tiles: bool) -> folium.Map:
    m = folium.Map(tiles="OpenStreetMap" if tiles else None, control_scale=True, zoom_control=True)
    m.default_js, m.default_css = [], []  # no CDN: Leaflet is inlined below
    js, css = leaflet_assets()
    m.get_root().header.add_child(Element(f"<style>{css}</style>\n<script>{js}</script>"), name="leaflet_inline")
    m.fit_bounds(bounds)
    return m


def _legend_box(inner: str) -> str:
    """The legend panel, above the scale bar in the lower left corner."""
    return (
        '<div id="legend" style="position:fixed;bottom:64px;left:12px;z-index:1000;background:#fff;'
        'padding:8px 10px;border:1px solid #444;border-radius:4px;font:14px sans-serif;max-width:360px">'
        f"{inner}</div>"
    )


def add_network(m: folium.Map, G: nx.MultiDiGraph | None) -> None:
    """Draw the pedestrian network as thin grey lines under everything else, so a map
    without a tile background still shows where things are."""
    if G is None or G.number_of_edges() == 0:
        return
    lines = [d["geometry"] for _, _, d in G.edges(data=True) if not d.get("reversed")]
    frame = gpd.GeoDataFrame(geometry=lines, crs=G.graph["crs"]).simplify(0.5).to_crs(WGS84)
    merged = shapely.line_merge(shapely.set_precision(shapely.multilinestrings(frame.values), 1e-6))
    folium.GeoJson(
        shapely.to_geojson(merged),  # one feature, coordinates to ~10 cm: small pages
        name="network",
        control=False,
        interactive=False,
        class_name="network",
        style_function=lambda _: {"color": "#9E9E9E", "weight": 1, "opacity": 0.8},
    ).add_to(m)


def route_map(route: Route, facilities: list[dict[str, Any]] | None = None, tiles: bool = False) -> folium.Map:
    """A map of ``route``: the accessible route, the walking one, unknown segments,
    barriers avoided (or, without a route, those blocking the walk), facilities and a legend.

    ``facilities``: dicts with ``lat, lon, name, category, wheelchair``. ``tiles=True`` adds
    the OpenStreetMap tile layer (the only external request the page can make).
    """
    t = _TEXT["it" if route.lang == "it" else "en"]
    points = [(lat, lon) for lon, lat in route.coords + route.walk_coords]
    points += [route.origin, route.destination]
    lats, lons = [p[0] for p in points], [p[1] for p in points]
    m = _offline_map([[min(lats), min(lons)], [max(lats), max(lons)]], tiles)

    if route.walk_coords:
        folium.PolyLine(
            [(lat, lon) for lon, lat in route.walk_coords],
            color=COLOURS["walk"],
            weight=4,
            opacity=0.9,
            dash_array="8 6",
            tooltip=t["walk"],
        ).add_to(m)
    if route.found and route.coords:
        folium.PolyLine(
            [(lat, lon) for lon, lat in route.coords],
            color=COLOURS["route"],
            weight=6,
            opacity=0.9,
            tooltip=t["route"].format(profile=route.profile),
            class_name="accessible-route",
        ).add_to(m)
        for seg in route.unknown_coords:
            if len(seg) >= 2:
                folium.PolyLine(
                    [(lat, lon) for lon, lat in seg],
                    color=COLOURS["unknown"],
                    weight=3,
                    dash_array="2 6",
                    tooltip=t["unknown"],
                ).add_to(m)
    marks = route.barriers_avoided if route.found else route.blockers
    label = t["barrier"] if route.found else t["blocker"]
    for b in marks:
        if b.get("lat") is None:
            continue
        text = b["label"]
        if b.get("measure") is not None:
            text += f" ({b['measure']:g} {b.get('unit') or ''})"
        if b.get("description"):  # surveyors' free text: escaped below like everything else
            text += f" · {b['description']}"
        folium.CircleMarker(
            (b["lat"], b["lon"]),
            radius=7,
            color=COLOURS["barrier"],
            fill=True,
            fill_opacity=0.9,
            tooltip=html.escape(f"{label}: {text} — {b['osm']}"),
        ).add_to(m)
    for f in facilities or []:
        name = f.get("name") or f.get("category", "")
        wc = f" · wheelchair={f['wheelchair']}" if f.get("wheelchair") else ""
        folium.CircleMarker(
            (f["lat"], f["lon"]),
            radius=6,
            color=COLOURS["facility"],
            fill=True,
            fill_opacity=0.8,
            tooltip=html.escape(f"{name}{wc}"),
        ).add_to(m)
    for (lat, lon), what in ((route.origin, t["start"]), (route.destination, t["end"])):
        folium.CircleMarker(
            (lat, lon),
            radius=8,
            color=COLOURS["ends"],
            weight=3,
            fill=True,
            fill_color="#FFFFFF",
            fill_opacity=1,
            tooltip=what,
        ).add_to(m)
    m.get_root().html.add_child(Element(_legend(route, t, bool(facilities))), name="legend")
    return m


def _legend(route: Route, t: dict[str, str], facilities: bool) -> str:
    def line(colour: str, dash: str, text: str) -> str:
        return (
            f'<div><svg width="34" height="10"><line x1="0" y1="5" x2="34" y2="5" stroke="{colour}" '
            f'stroke-width="5" stroke-dasharray="{dash}"/></svg> {html.escape(text)}</div>'
        )

    def dot(colour: str, text: str) -> str:
        return (
            f'<div><svg width="34" height="14"><circle cx="17" cy="7" r="6" fill="{colour}"/></svg> '
            f"{html.escape(text)}</div>"
        )

    rows = []
    if route.found:
        rows.append(line(COLOURS["route"], "", t["route"].format(profile=route.profile)))
        rows.append(line(COLOURS["unknown"], "2 6", t["unknown"]))
    else:
        rows.append(f"<div><b>{html.escape(t['none'].format(profile=route.profile))}</b></div>")
    rows.append(line(COLOURS["walk"], "8 6", t["walk"]))
    rows.append(dot(COLOURS["barrier"], t["barrier"] if route.found else t["blocker"]))
    if facilities:
        rows.append(dot(COLOURS["facility"], t["facility"]))
    summary = html.escape(route.message().splitlines()[0])
    return _legend_box(f"<b>{html.escape(t['title'])}</b><div>{summary}</div>{''.join(rows)}")


# --- audit maps ----------------------------------------------------------------------------

#: Score classes (lower bound, colour): a colour-blind-safe sequential scale, dark = poor.
SCORE_CLASSES = [(0, "#3b0f70"), (20, "#8c2981"), (40, "#de4968"), (60, "#fe9f6d"), (80, "#fcfdbf")]
_AUDIT_TEXT = {
    "it": {
        "score": "Punteggio di accessibilità (0-100) - {profile}",
        "walk": "a piedi",
        "residents": "residenti",
        "unreachable": "Servizi che nessuno raggiunge - {profile}",
        "no_data": "nessun dato",
    },
    "en": {
        "score": "Accessibility score (0-100) - {profile}",
        "walk": "walking",
        "residents": "residents",
        "unreachable": "Facilities nobody can reach - {profile}",
        "no_data": "no data",
    },
}


def score_colour(score: float) -> str:
    """The colour of a 0-100 score's class."""
    colour = SCORE_CLASSES[0][1]
    for bound, c in SCORE_CLASSES:
        if score >= bound:
            colour = c
    return colour


def _bounds_of(frame) -> list[list[float]]:
    minx, miny, maxx, maxy = frame.to_crs(WGS84).total_bounds
    return [[miny, minx], [maxy, maxx]]


def score_map(
    areas,
    profile: str,
    labels: dict[str, str],
    profile_label: str,
    lang: str = "it",
    tiles: bool = False,
    network: nx.MultiDiGraph | None = None,
) -> folium.Map:
    """A choropleth of the area scores of one profile, one layer per facility category
    (the first shown; the layer control switches). ``areas`` is ``Audit.areas``;
    ``labels`` maps categories to their names in ``lang``."""
    t = _AUDIT_TEXT["it" if lang == "it" else "en"]
    rows = areas[areas["profile"] == profile].to_crs(WGS84)
    m = _offline_map(_bounds_of(rows if len(rows) else areas), tiles)
    add_network(m, network)
    for i, (cat, group) in enumerate(rows.groupby("category", sort=False)):
        layer = folium.FeatureGroup(name=html.escape(labels.get(cat, cat)), show=i == 0)
        frame = group[["area_id", "name", "score", "walk_score", "residents", "geometry"]].copy()
        frame["tip"] = [
            html.escape(f"{n}: {s:.0f}/100 ({t['walk']} {w:.0f}) · {r:,.0f} {t['residents']}")
            for n, s, w, r in zip(frame["name"], frame["score"], frame["walk_score"], frame["residents"])
        ]
        frame["fill"] = frame["score"].map(score_colour)
        folium.GeoJson(
            frame[["tip", "fill", "score", "geometry"]].to_json(),
            style_function=lambda f: {
                "fillColor": f["properties"]["fill"],
                "color": "#555555",
                "weight": 0.5,
                "fillOpacity": 0.75,
            },
            tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False),
            class_name="score-area",
        ).add_to(layer)
        layer.add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    m.get_root().html.add_child(Element(_score_legend(t["score"].format(profile=profile_label))), name="legend")
    return m


def _score_legend(title: str) -> str:
    rows = "".join(
        f'<div><span style="display:inline-block;width:18px;height:12px;background:{c};'
        f'border:1px solid #555"></span> {b}-{b + 20 if b < 80 else 100}</div>'
        for b, c in SCORE_CLASSES
    )
    return _legend_box(f"<b>{html.escape(title)}</b>{rows}")


def unreachable_map(
    unreachable,
    facilities,
    profile: str,
    profile_label: str,
    reasons: dict[str, str],
    labels: dict[str, str],
    lang: str = "it",
    tiles: bool = False,
    network: nx.MultiDiGraph | None = None,
) -> folium.Map:
    """The facilities of ``Audit.facilities`` (green), and in red those no one with
    ``profile`` can reach, with the reason (``reasons`` maps reason codes to text)."""
    t = _AUDIT_TEXT["it" if lang == "it" else "en"]
    every = facilities.to_crs(WGS84)
    m = _offline_map(_bounds_of(every) if len(every) else [[0, 0], [1, 1]], tiles)
    add_network(m, network)
    for f in every.itertuples(index=False):
        folium.CircleMarker(
            (f.geometry.y, f.geometry.x),
            radius=4,
            color=COLOURS["facility"],
            fill=True,
            fill_opacity=0.6,
            tooltip=html.escape(f"{labels.get(f.category, f.category)}: {f.name}"),
        ).add_to(m)
    rows = unreachable[unreachable["profile"] == profile].to_crs(WGS84)
    for f in rows.itertuples(index=False):
        point = f.geometry.representative_point()
        folium.CircleMarker(
            (point.y, point.x),
            radius=8,
            color=COLOURS["barrier"],
            weight=3,
            fill=True,
            fill_opacity=0.9,
            class_name="unreachable",
            tooltip=html.escape(
                f"{labels.get(f.category, f.category)}: {f.name or '?'} — {reasons.get(f.reason, f.reason)}"
            ),
        ).add_to(m)
    legend = _legend_box(f"<b>{html.escape(t['unreachable'].format(profile=profile_label))}</b>: {len(rows)}")
    m.get_root().html.add_child(Element(legend), name="legend")
    return m


def plan_map(
    table, lang: str = "it", tiles: bool = False, limit: int = 300, network: nx.MultiDiGraph | None = None
) -> folium.Map:
    """Numbered interventions of a plan (``plan_report.plan_table``: WGS84 with ``lon, lat``):
    the funded ones in blue, the next budget in orange; rows with no effect are left out
    (they are in the table). Opens without internet unless ``tiles``."""
    it = lang == "it"
    rows = table[table["selection"] != "no gain"].head(limit)
    if len(rows) == 0:
        rows = table.head(limit)
    lats, lons = rows["lat"].to_numpy(), rows["lon"].to_numpy()
    if len(rows) == 0:
        raise ValueError("the plan has no interventions to map")
    m = _offline_map([[float(lats.min()), float(lons.min())], [float(lats.max()), float(lons.max())]], tiles)
    add_network(m, network)
    for r in rows.itertuples(index=False):
        colour = COLOURS["route"] if r.within_budget else COLOURS["walk"]
        if r.geometry is not None and r.geometry.geom_type in ("LineString", "MultiLineString"):
            lines = [r.geometry] if r.geometry.geom_type == "LineString" else list(r.geometry.geoms)
            for line in lines:
                folium.PolyLine([(y, x) for x, y in line.coords], color=colour, weight=5, opacity=0.8).add_to(m)
        text = (
            f"{r.rank}. {r.kind_label} — {r.intervention_label} — {r.cost:,.0f} € — "
            + (f"persone: {r.people_total:,.0f}" if it else f"people: {r.people_total:,.0f}")
            + (f" — {r.street}" if isinstance(r.street, str) and r.street else "")
        )
        icon = folium.DivIcon(
            html=(
                f'<div class="plan-number" style="background:{colour};color:#fff;border-radius:11px;'
                f"width:22px;height:22px;line-height:22px;text-align:center;font:bold 11px sans-serif;"
                f'border:1px solid #000">{int(r.rank)}</div>'
            ),
            icon_size=(22, 22),
            icon_anchor=(11, 11),
        )
        folium.Marker((float(r.lat), float(r.lon)), icon=icon, tooltip=html.escape(text)).add_to(m)
    legend = _legend_box(
        f"<b>{'Piano di interventi' if it else 'Intervention plan'}</b>"
        f'<div><span style="color:{COLOURS["route"]}">&#9679;</span> '
        f"{'finanziati dal bilancio' if it else 'funded by the budget'}</div>"
        f'<div><span style="color:{COLOURS["walk"]}">&#9679;</span> '
        f"{'bilancio successivo' if it else 'next budget'}</div>"
    )
    m.get_root().html.add_child(Element(legend), name="legend")
    return m
