"""Maps people can read, that open without internet: routes, audit scores, unreachable
facilities and the intervention plan.

A map is a :class:`MapPage`: one HTML page with a title, the map, and beside it (below it
on a phone) a legend that explains every symbol and a text alternative (the route's
directions, the list of what the map shows), so that a screen-reader user gets the
content. The page is built with folium (:class:`_LeafletMap`, a ``folium.Map`` in a branca
figure that holds the page's frame): folium makes the map, its first view and any online
tile layer; the page's own script (``map_assets/map.js``) draws on that map. The page
carries everything it needs:

- Leaflet (from the installed ``django-js-lib-leaflet``), protomaps-leaflet, pmtiles and
  Leaflet.markercluster (npm packages of ``package.json``, installed by
  ``scripts/setup.sh``) are inlined; the page fetches nothing from a server unless it is
  made with an online tile layer (:class:`TileLayer`, ``--tiles URL``).
- The base map is the workspace's PMTiles archive (:mod:`accessibility.outputs.basemap`),
  cut to the map's surroundings, drawn as vector tiles with street names along the
  streets. Inline when small; when large (a whole city), :meth:`MapPage.save` writes it
  once beside the pages (``basemap-<hash>.js``) and every map of the folder shares it.
- What the map shows goes into the page as one JSON document in a
  ``<script type="application/json">`` element, escaped so that no text closes it; the
  page's script puts every name into the page as text, never as HTML or code. Names from
  OpenStreetMap, survey files and registries therefore cannot run in any map.

All the text is in the page's language (the catalogue, :mod:`accessibility.i18n`), numbers
in its format. Colours are the Okabe-Ito palette, readable with the common kinds of colour
blindness; lines also differ by dash, and plan markers by shape.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, Figure
from folium.template import Template

from accessibility.constants import OSM_ATTRIBUTION, WGS84
from accessibility.errors import ExportError, InputError
from accessibility.files import write_text
from accessibility.i18n import _, check_language, money, number, percent, use_language
from accessibility.model.basemap import MAX_ZOOM
from accessibility.outputs.basemap import basemap_kinds, subset_tiles
from accessibility.routing.route import Route

__all__ = [
    "ATTRIBUTION",
    "BASEMAP_SCRIPTS",
    "COLOURS",
    "OSM_TILES",
    "SCORE_CLASSES",
    "MapPage",
    "TileLayer",
    "basemap_page_config",
    "basemap_script",
    "map_assets",
    "plan_map",
    "route_map",
    "score_colour",
    "score_map",
    "unreachable_map",
]

#: Okabe & Ito (2008), colour-blind safe.
COLOURS = {
    "route": "#0072B2",
    "walk": "#E69F00",
    "unknown": "#CC79A7",
    "barrier": "#D55E00",
    "facility": "#009E73",
    "ends": "#000000",
    "next": "#8A4B00",  # the next budget's markers: dark orange, white numbers stay legible
}
#: What every map says about its data (ODbL asks for it on every map).
ATTRIBUTION = OSM_ATTRIBUTION
#: Plan markers always drawn on their own (never in a cluster), from the first.
PLAN_UNCLUSTERED = 10
#: Next-budget interventions shown after the funded ones.
PLAN_NEXT_SHOWN = 100
#: A base map larger than this (bytes) goes into a file beside the pages, shared by them.
INLINE_BASEMAP_MAX = 256 * 1024
#: Rows of a list in the text alternative before "and N more".
LIST_MAX = 200


@dataclass(frozen=True)
class TileLayer:
    """An online tile layer drawn under the base map: the only request a page can make.

    ``url`` has ``{z}``, ``{x}``, ``{y}`` (and optionally ``{s}``); ``attribution`` is
    shown as text on the map.
    """

    url: str
    attribution: str = ATTRIBUTION

    @classmethod
    def parse(cls, url: str, attribution: str | None = None) -> TileLayer:
        """A tile layer from a URL template given by a person, checked.

        Parameters
        ----------
        url
            ``http(s)://.../{z}/{x}/{y}.png``.
        attribution
            Who to credit (default: OpenStreetMap contributors).

        Returns
        -------
        TileLayer

        Raises
        ------
        InputError
            Not an http(s) URL with ``{z}``, ``{x}`` and ``{y}``.
        """
        if not re.match(r"^https?://[^\s\"'<>]+$", url or "") or not all(p in url for p in ("{z}", "{x}", "{y}")):
            raise InputError(
                _("{url} is not a tile URL: give http(s)://.../{{z}}/{{x}}/{{y}}.png").format(url=repr(url))
            )
        return cls(url, attribution or ATTRIBUTION)


#: The OpenStreetMap Foundation's standard tiles (``--tiles osm``).
OSM_TILES = TileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", ATTRIBUTION)


def _tiles(tiles: TileLayer | bool | str | None) -> TileLayer | None:
    if tiles is None or tiles is False:
        return None
    if tiles is True or tiles == "osm":
        return OSM_TILES
    if isinstance(tiles, str):
        return TileLayer.parse(tiles)
    return tiles


# --- assets --------------------------------------------------------------------------------


def _node_modules() -> Path:
    import os

    env = os.environ.get("ACCESSIBILITY_NODE_MODULES")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "node_modules"


def _npm_file(package: str, path: str) -> str:
    """A file of an npm package: from the copy ``scripts/setup.sh`` puts inside the package
    (``map_assets/vendor/``, shipped in the wheel), else from ``node_modules``."""
    vendored = resources.files("accessibility.outputs") / "map_assets" / "vendor" / Path(path).name
    if vendored.is_file():
        return vendored.read_text(encoding="utf-8")
    file = _node_modules() / package / path
    if not file.is_file():
        raise ExportError(
            _("the map script {file} is missing: run scripts/setup.sh (it installs package.json with npm)").format(
                file=f"{package}/{path}"
            )
        )
    return file.read_text(encoding="utf-8")


def _no_source_map(js: str) -> str:
    return re.sub(r"//# sourceMappingURL=\S+", "", js)


def _data_uri(path: Any) -> str:
    return f"data:image/png;base64,{base64.b64encode(path.read_bytes()).decode()}"


@cache
def map_assets() -> tuple[str, str, str]:
    """The maps' JavaScript and CSS, ready to inline: the libraries (Leaflet with its images
    as data URIs, pmtiles, protomaps-leaflet, Leaflet.markercluster), the page's own script
    (``map_assets/map.js``, run after folium's script has made the map) and the style.

    Raises
    ------
    ExportError
        The npm packages are not installed (``scripts/setup.sh`` installs them).
    """
    root = resources.files("js_lib_leaflet") / "static" / "js_lib_leaflet"
    leaflet = _no_source_map((root / "leaflet.js").read_text(encoding="utf-8"))
    css = (root / "leaflet.css").read_text(encoding="utf-8")
    css = re.sub(r"url\(images/([\w.-]+\.png)\)", lambda m: f"url({_data_uri(root / 'images' / m.group(1))})", css)
    # Default marker icons: Leaflet guesses their path from the CSS; give it the images.
    icons = {
        key: _data_uri(root / "images" / name)
        for key, name in (
            ("iconUrl", "marker-icon.png"),
            ("iconRetinaUrl", "marker-icon-2x.png"),
            ("shadowUrl", "marker-shadow.png"),
        )
    }
    leaflet += f'\nL.Icon.Default.imagePath = "";\nL.Icon.Default.mergeOptions({json.dumps(icons)});\n'
    own = resources.files("accessibility.outputs") / "map_assets"
    js = "\n;\n".join(
        [
            leaflet,
            _no_source_map(_npm_file("pmtiles", "dist/pmtiles.js")),
            _no_source_map(_npm_file("protomaps-leaflet", "dist/protomaps-leaflet.js")),
            _no_source_map(_npm_file("leaflet.markercluster", "dist/leaflet.markercluster.js")),
        ]
    )
    css += "\n" + _npm_file("leaflet.markercluster", "dist/MarkerCluster.css")
    css += "\n" + (own / "map.css").read_text(encoding="utf-8")
    page_js = "\n;\n".join((own / name).read_text(encoding="utf-8") for name in ("basemap.js", "map.js"))
    return js, page_js, css


#: The scripts the citizen's web page loads to draw the base map, by the name it asks for.
BASEMAP_SCRIPTS = {
    "pmtiles.js": ("pmtiles", "dist/pmtiles.js"),
    "protomaps-leaflet.js": ("protomaps-leaflet", "dist/protomaps-leaflet.js"),
    "basemap.js": ("", "basemap.js"),
}


def basemap_page_config(basemap: bytes, url: str = "/basemap.pmtiles") -> dict[str, Any] | None:
    """What a web page's script (``basemap.js``) needs to draw a base map that a server
    answers at ``url`` by byte ranges; ``None`` when the workspace has none."""
    return {"url": url, "maxzoom": MAX_ZOOM} if basemap else None


@cache
def basemap_script(name: str) -> str:
    """One of :data:`BASEMAP_SCRIPTS` as text (the web application serves them).

    Raises
    ------
    KeyError
        Not one of them.
    ExportError
        The npm packages are not installed (``scripts/setup.sh`` installs them).
    """
    package, path = BASEMAP_SCRIPTS[name]
    if not package:
        return (resources.files("accessibility.outputs") / "map_assets" / path).read_text(encoding="utf-8")
    return _no_source_map(_npm_file(package, path))


# --- the page ------------------------------------------------------------------------------


class _Document(Figure):
    """The HTML document around the map: branca's :class:`~branca.element.Figure` (what a
    folium map renders into) with the page's language, title and frame (skip link, heading,
    the panel beside the map). ``before``/``after`` are HTML made here, every text in it
    escaped; ``scripts_before`` holds the data and libraries that folium's script needs,
    ``scripts_after`` the page's own script, which takes the map folium made."""

    _template = Template(
        "<!DOCTYPE html>\n"
        '<html lang="{{ this.lang|e }}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        "<title>{{ this.page_title|e }}</title>\n"
        "{{ this.header.render(**kwargs) }}\n</head>\n<body>\n"
        "{{ this.before }}{{ this.html.render(**kwargs) }}\n{{ this.after }}"
        "{{ this.scripts_before }}\n<script>\n{{ this.script.render(**kwargs) }}\n</script>\n"
        "{{ this.scripts_after }}\n</body>\n</html>\n"
    )

    def __init__(self, lang: str, title: str) -> None:
        super().__init__()
        self.lang = lang
        self.page_title = title
        self.before = self.after = self.scripts_before = self.scripts_after = ""


class _LeafletMap(folium.Map):
    """folium's map, with what the page needs: its scripts and styles are inlined by the page
    (no link to a CDN: :data:`default_js` and :data:`default_css` are empty), zooming stays
    allowed (folium's own header sets ``user-scalable=no``, which WCAG 1.4.4 forbids), and the
    map's element is ``#map``, a labelled region. Tile layers (``--tiles``) and the first
    view (``fit_bounds``) are folium's elements; the page's script (``map.js``) draws the
    base map and the layers on the map folium made (its name is in the page's data)."""

    default_js: list[tuple[str, str]] = []
    default_css: list[tuple[str, str]] = []
    _template = Template(
        "{% macro html(this, kwargs) %}"
        '<div id="map" role="region" aria-label="{{ this.label|e }}"></div>'
        "{% endmacro %}"
        "{% macro script(this, kwargs) %}"
        'var {{ this.get_name() }} = L.map("map", {center: {{ this.location|tojson }}, '
        "...{{ this.options|tojavascript }}});"
        "{% endmacro %}"
    )

    def __init__(self, location: list[float], zoom_start: int, label: str) -> None:
        super().__init__(
            location=location, zoom_start=zoom_start, tiles=None, keyboard=True, zoom_snap=0.5, max_zoom=19
        )
        self.options["max_zoom"] = 19
        self.label = label


def _script_json(value: Any) -> str:
    """JSON that can sit inside a ``<script>`` element whatever its strings hold: no ``<``,
    ``>`` or ``&`` (so no ``</script>`` or ``<!--``), no line separators JavaScript rejects."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for char, escape in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escape)
    return text


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


@dataclass
class LegendItem:
    """One symbol of a legend and what it means."""

    symbol: str  #: line, dot, area, number, cluster
    text: str
    colour: str = "#000000"
    dash: str = ""
    fill: str | None = None
    css: str = ""  #: the marker's class (numbers)
    label: str = ""  #: the marker's text (numbers)

    def svg(self) -> str:
        c, f = _e(self.colour), _e(self.fill or self.colour)
        if self.symbol == "line":
            return (
                f'<svg width="36" height="12" aria-hidden="true"><line x1="1" y1="6" x2="35" y2="6" stroke="{c}" '
                f'stroke-width="5" stroke-dasharray="{_e(self.dash)}"/></svg>'
            )
        if self.symbol == "casing":  # a street of the base map: white with a grey edge
            return (
                '<svg width="36" height="12" aria-hidden="true"><line x1="1" y1="6" x2="35" y2="6" stroke="#b9ae9f" '
                'stroke-width="8"/><line x1="1" y1="6" x2="35" y2="6" stroke="#ffffff" stroke-width="5"/></svg>'
            )
        if self.symbol == "dot":
            return (
                f'<svg width="36" height="16" aria-hidden="true"><circle cx="18" cy="8" r="6" fill="{f}" '
                f'stroke="{c}" stroke-width="2"/></svg>'
            )
        if self.symbol == "small":
            return (
                f'<svg width="36" height="16" aria-hidden="true"><circle cx="18" cy="8" r="4" fill="{f}" '
                f'stroke="{c}" stroke-width="1"/></svg>'
            )
        if self.symbol == "area":
            return (
                f'<svg width="36" height="16" aria-hidden="true"><rect x="4" y="2" width="28" height="12" fill="{f}" '
                f'stroke="{c}" stroke-width="1"/></svg>'
            )
        if self.symbol == "text":
            return (
                '<svg width="36" height="16" aria-hidden="true"><text x="18" y="12" text-anchor="middle" '
                f'font-size="11" font-weight="600" fill="{c}">{_e(self.label)}</text></svg>'
            )
        return f'<span class="{_e(self.css)}" aria-hidden="true">{_e(self.label)}</span>'


@dataclass
class Section:
    """A part of the text alternative: a heading, paragraphs, and a list or a table."""

    heading: str
    paragraphs: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)
    ordered: bool = False
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    numeric: set[int] = field(default_factory=set)  #: table columns aligned right
    more: int = 0  #: entries left out of a long list

    def html(self, more_text: str) -> str:
        out = [f"<h3>{_e(self.heading)}</h3>"]
        out += [f"<p>{_e(p)}</p>" for p in self.paragraphs]
        if self.items:
            tag = "ol" if self.ordered else "ul"
            out.append(f"<{tag}>" + "".join(f"<li>{_e(i)}</li>" for i in self.items) + f"</{tag}>")
        if self.rows:
            head = "".join(
                f'<th scope="col"{" class=num" if i in self.numeric else ""}>{_e(c)}</th>'
                for i, c in enumerate(self.columns)
            )
            body = "".join(
                "<tr>"
                + "".join(f"<td{' class=num' if i in self.numeric else ''}>{_e(v)}</td>" for i, v in enumerate(row))
                + "</tr>"
                for row in self.rows
            )
            out.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
        if self.more:
            out.append(f"<p>{_e(more_text.format(count=number(self.more)))}</p>")
        return "".join(out)


@dataclass
class MapPage:
    """One map page: what it shows (``layers``), its legend and its text alternative.

    Tests read the page through these fields (the layers and their features are plain
    dicts, as the page's script receives them); :meth:`render` writes the HTML.
    """

    title: str
    lang: str
    bounds: list[list[float]]  #: ``[[south, west], [north, east]]``
    layers: list[dict[str, Any]] = field(default_factory=list)
    legend: list[LegendItem] = field(default_factory=list)
    about: list[Section] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)
    switch: tuple[str, str, list[tuple[str, str]]] | None = None  #: (name, question, [(layer id, label)])
    basemap: bytes = b""
    tiles: TileLayer | None = None
    network: dict[str, Any] | None = None

    def layer(self, layer_id: str) -> dict[str, Any]:
        """The layer with this id (tests use it)."""
        for layer in self.layers:
            if layer["id"] == layer_id:
                return layer
        raise KeyError(layer_id)

    def get_root(self) -> MapPage:
        """The page itself (the folium-like call ``m.get_root().render()`` keeps working)."""
        return self

    def render(self, basemap_src: str | None = None) -> str:
        """The page as one HTML document.

        Parameters
        ----------
        basemap_src
            A file name beside the page holding the base map (written by :meth:`save`);
            ``None`` puts the base map inside the page.

        Returns
        -------
        str
        """
        with use_language(self.lang):
            return self._render(basemap_src)

    def _basemap_b64(self) -> str:
        if not self.basemap:
            return ""
        (south, west), (north, east) = self.bounds
        return base64.b64encode(subset_tiles(self.basemap, (west, south, east, north))).decode("ascii")

    def _render(self, basemap_src: str | None) -> str:
        libraries, own_js, css = map_assets()
        (south, west), (north, east) = self.bounds
        leaflet_map = _LeafletMap(
            location=[(south + north) / 2, (west + east) / 2],
            zoom_start=15,
            label=_("Map: {title}").format(title=self.title),
        )
        if self.tiles:
            folium.TileLayer(tiles=self.tiles.url, attr=_e(self.tiles.attribution), max_zoom=19, name="tiles").add_to(
                leaflet_map
            )
        leaflet_map.fit_bounds(self.bounds, padding=(24, 24), max_zoom=18)
        config = {
            "lang": self.lang,
            "map": leaflet_map.get_name(),
            "bounds": self.bounds,
            "attribution": _("Map data {attribution}").format(attribution=ATTRIBUTION),
            "basemap": {"maxzoom": MAX_ZOOM, "attribution": ATTRIBUTION} if self.basemap else None,
            "network": self.network,
            "layers": self.layers,
        }
        if basemap_src is not None:
            basemap_script = f'<script src="{_e(basemap_src)}"></script>'
        elif self.basemap:
            basemap_script = f'<script>window.ACCESSIBILITY_BASEMAP="{self._basemap_b64()}";</script>'
        else:
            basemap_script = ""
        legend = "".join(f"<li>{item.svg()}<span>{_e(item.text)}</span></li>" for item in self.legend)
        switch = ""
        if self.switch:
            name, question, options = self.switch
            radios = "".join(
                f'<label><input type="radio" name="{_e(name)}" data-layer="{_e(lid)}"{" checked" if i == 0 else ""}> '
                f"{_e(label)}</label>"
                for i, (lid, label) in enumerate(options)
            )
            switch = f'<fieldset class="switch"><legend>{_e(question)}</legend>{radios}</fieldset>'
        more = _("… and {count} more (see the table files).")
        about = "".join(f"<p>{_e(p)}</p>" for p in self.summary) + "".join(s.html(more) for s in self.about)
        sources = _("Data: {attribution}. No request is made to any server to show this map.").format(
            attribution=ATTRIBUTION
        )
        if self.tiles:
            sources = _("Data: {attribution}. The background comes from {url} ({credit}).").format(
                attribution=ATTRIBUTION, url=self.tiles.url, credit=self.tiles.attribution
            )
        skip = _("Skip to the description of the map")
        legend_h = _("Legend")
        about_h = _("What this map shows")
        panel = _("Legend and description of the map")
        document = _Document(lang=self.lang, title=self.title)
        document.header.add_child(Element(f"<style>{css}</style>"), name="style")
        document.before = (
            f'<a class="skip" href="#about">{_e(skip)}</a>\n'
            f'<header class="map-header"><h1>{_e(self.title)}</h1></header>\n'
            '<main class="layout">\n'
        )
        document.after = (
            f'<aside id="panel" tabindex="0" aria-label="{_e(panel)}">\n'
            f'<section id="legend" aria-labelledby="legend-h"><h2 id="legend-h">{_e(legend_h)}</h2>'
            f"<ul>{legend}</ul>{switch}</section>\n"
            f'<section id="about" aria-labelledby="about-h" tabindex="-1"><h2 id="about-h">{_e(about_h)}</h2>'
            f"{about}</section>\n"
            f'<p class="attribution-note">{_e(sources)}</p>\n'
            "</aside>\n</main>\n"
        )
        document.scripts_before = (
            f'<script type="application/json" id="map-config">{_script_json(config)}</script>\n'
            f"{basemap_script}\n<script>{libraries}</script>"
        )
        document.scripts_after = f"<script>{own_js}</script>"
        document.add_child(leaflet_map)
        return document.render()

    def save(self, path: str | Path, share_basemap: bool | None = None) -> Path:
        """Write the page (atomically). The base map goes inside it, or into
        ``basemap-<hash>.js`` beside it, written once and shared by the maps of the folder.

        Parameters
        ----------
        path
            The HTML file to write.
        share_basemap
            ``True``: a file beside the page; ``False``: inside it (one file to send);
            ``None``: beside it when larger than :data:`INLINE_BASEMAP_MAX` (the maps of
            an audit share one).

        Returns
        -------
        Path
        """
        path = Path(path)
        encoded = self._basemap_b64()
        if not encoded or share_basemap is False or (share_basemap is None and len(encoded) <= INLINE_BASEMAP_MAX):
            return write_text(self.render(), path)
        name = f"basemap-{hashlib.sha256(encoded.encode('ascii')).hexdigest()[:16]}.js"
        shared = path.parent / name
        if not shared.is_file():
            write_text(f'window.ACCESSIBILITY_BASEMAP="{encoded}";\n', shared)
        return write_text(self.render(basemap_src=name), path)


# --- shared pieces -------------------------------------------------------------------------------


def _basemap_legend(page: MapPage) -> list[LegendItem]:
    """The base map's symbols, those of the layers it holds only (Milan's has no buildings)."""
    if not page.basemap:
        return [LegendItem("line", _("Footways and streets of the mapped network"), "#9E9E9E")] if page.network else []
    kinds = basemap_kinds(page.basemap)
    streets = set(kinds.get("street", []))
    items = [
        (bool(streets - {"path", "sidewalk"}), LegendItem("casing", _("Streets (names along them when you zoom in)"))),
        (bool(streets & {"path", "sidewalk"}), LegendItem("line", _("Footways, sidewalks and paths"), "#a79d92")),
        ("building" in kinds, LegendItem("area", _("Buildings"), "#c3b7ab", fill="#ddd5cd")),
        ("green" in kinds, LegendItem("area", _("Parks and green areas"), "#b5d3a5", fill="#d3e9c6")),
        ("water" in kinds or "waterway" in kinds, LegendItem("area", _("Water"), "#7ab7e6", fill="#aad3f2")),
        ("railway" in kinds, LegendItem("line", _("Railways"), "#8c8c8c", dash="8 4")),
        ("address" in kinds, LegendItem("text", _("House numbers"), "#6b5e53", label="12")),
        (
            "facility" in kinds,
            LegendItem("small", _("Facilities (their names at street level)"), "#ffffff", fill="#00795a"),
        ),
    ]
    return [item for present, item in items if present]


def _network_geojson(G: nx.MultiDiGraph | None) -> dict[str, Any] | None:
    """The pedestrian network as one GeoJSON geometry (coordinates to ~10 cm), drawn only
    when the workspace has no base map."""
    if G is None or G.number_of_edges() == 0:
        return None
    lines = [d["geometry"] for _, _, d in G.edges(data=True) if not d.get("reversed")]
    frame = gpd.GeoDataFrame(geometry=lines, crs=G.graph["crs"]).simplify(0.5).to_crs(WGS84)
    merged = shapely.line_merge(shapely.set_precision(shapely.multilinestrings(frame.values), 1e-6))
    return json.loads(shapely.to_geojson(merged))


def _page(
    title: str,
    lang: str,
    bounds: list[list[float]],
    basemap: bytes,
    tiles: TileLayer | bool | str | None,
    network: nx.MultiDiGraph | None,
) -> MapPage:
    return MapPage(
        title=title,
        lang=lang,
        bounds=bounds,
        basemap=basemap or b"",
        tiles=_tiles(tiles),
        network=None if basemap else _network_geojson(network),
    )


def _bounds(points: Iterable[tuple[float, float]]) -> list[list[float]]:
    """``[[south, west], [north, east]]`` of ``(lat, lon)`` points (a small box around one)."""
    pts = np.asarray(list(points), dtype=float).reshape(-1, 2)
    pts = pts[np.isfinite(pts).all(axis=1)]
    if not len(pts):
        raise ExportError(_("nothing to draw on the map"))
    (s, w), (n, e) = pts.min(axis=0), pts.max(axis=0)
    if n - s < 0.001 and e - w < 0.001:
        s, w, n, e = s - 0.001, w - 0.001, n + 0.001, e + 0.001
    return [[float(s), float(w)], [float(n), float(e)]]


def _frame_bounds(frame: gpd.GeoDataFrame) -> list[list[float]]:
    minx, miny, maxx, maxy = frame.to_crs(WGS84).total_bounds
    return _bounds([(miny, minx), (maxy, maxx)])


def _text(value: Any) -> str:
    """A cell as text: missing values (None, NaN) are empty."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return str(value).strip()


def _latlon(coords: Sequence[tuple[float, float]]) -> list[list[float]]:
    return [[round(float(lat), 7), round(float(lon), 7)] for lon, lat in coords]


def _capped(items: list[Any]) -> tuple[list[Any], int]:
    return items[:LIST_MAX], max(0, len(items) - LIST_MAX)


# --- route ------------------------------------------------------------------------------------


def route_map(
    route: Route,
    facilities: list[dict[str, Any]] | None = None,
    tiles: TileLayer | bool | str | None = None,
    basemap: bytes = b"",
    network: nx.MultiDiGraph | None = None,
) -> MapPage:
    """A map of ``route`` in the route's language: the accessible route, the walking one
    for comparison, segments with unknown data, the barriers avoided (or, without a route,
    those that block the walk), facilities, start and end; the directions as text.

    Parameters
    ----------
    route
        A route of :meth:`accessibility.City.route` or :meth:`~accessibility.City.nearest`.
    facilities
        Dicts with ``lat, lon, name, category, wheelchair`` to show too.
    tiles
        An online tile layer under the base map (``None``: none; the page stays offline).
    basemap
        The workspace's base map (``City.basemap``).
    network
        The network, drawn instead when there is no base map.

    Returns
    -------
    MapPage
    """
    lang = check_language(route.lang)
    with use_language(lang):
        points = [(lat, lon) for lon, lat in route.coords + route.walk_coords]
        points += [route.origin, route.destination]
        profile = route.profile_label
        if route.found:
            title = _("Accessible route for {profile}").format(profile=profile)
        else:
            title = _("No accessible route for {profile}").format(profile=profile)
        page = _page(title, lang, _bounds(points), basemap, tiles, network)
        page.legend = []
        layers = page.layers
        if route.walk_coords:
            layers.append(
                {
                    "id": "walk",
                    "type": "lines",
                    "style": {"color": COLOURS["walk"], "weight": 4, "dash": "8 6", "className": "walking-route"},
                    "features": [{"coords": _latlon(route.walk_coords), "text": [_("Walking route (comparison)")]}],
                }
            )
        if route.found and route.coords:
            layers.append(
                {
                    "id": "route",
                    "type": "lines",
                    "style": {"color": COLOURS["route"], "weight": 6, "className": "accessible-route"},
                    "features": [
                        {
                            "coords": _latlon(route.coords),
                            "text": [_("Accessible route ({profile})").format(profile=profile), route.message()],
                        }
                    ],
                }
            )
            unknown = [
                {"coords": _latlon(seg), "text": [_("Segment with unknown accessibility data")]}
                for seg in route.unknown_coords
                if len(seg) >= 2
            ]
            if unknown:
                layers.append(
                    {
                        "id": "unknown",
                        "type": "lines",
                        "style": {"color": COLOURS["unknown"], "weight": 3, "dash": "2 6", "className": "unknown-data"},
                        "features": unknown,
                    }
                )
        marks = route.barriers_avoided if route.found else route.blockers
        label = _("Barrier avoided") if route.found else _("Barrier blocking the walking route")
        barrier_lines = [_barrier_text(b) for b in marks]
        layers.append(
            {
                "id": "barriers",
                "type": "points",
                "style": {"color": COLOURS["barrier"], "radius": 7, "className": "barrier"},
                "features": [
                    {"at": [b["lat"], b["lon"]], "text": [label, *text]}
                    for b, text in zip(marks, barrier_lines)
                    if b.get("lat") is not None
                ],
            }
        )
        if facilities:
            layers.append(
                {
                    "id": "facilities",
                    "type": "points",
                    "style": {"color": COLOURS["facility"], "radius": 6, "className": "facility"},
                    "features": [
                        {"at": [f["lat"], f["lon"]], "text": _facility_text(f)}
                        for f in facilities
                        if f.get("lat") is not None
                    ],
                }
            )
        layers.append(
            {
                "id": "ends",
                "type": "points",
                "style": {"color": COLOURS["ends"], "fill": "#FFFFFF", "fillOpacity": 1, "radius": 8, "weight": 3},
                "features": [
                    {"at": list(route.origin), "text": [_("Start")]},
                    {"at": list(route.destination), "text": [_("Destination")]},
                ],
            }
        )
        if route.found:
            page.legend.append(
                LegendItem("line", _("Accessible route ({profile})").format(profile=profile), COLOURS["route"])
            )
            page.legend.append(
                LegendItem("line", _("Segments with unknown accessibility data"), COLOURS["unknown"], "2 6")
            )
        page.legend.append(LegendItem("line", _("Walking route (comparison)"), COLOURS["walk"], "8 6"))
        page.legend.append(
            LegendItem(
                "dot",
                _("Barriers avoided") if route.found else _("Barriers blocking the walking route"),
                COLOURS["barrier"],
            )
        )
        if facilities:
            page.legend.append(LegendItem("dot", _("Facilities"), COLOURS["facility"]))
        page.legend.append(LegendItem("dot", _("Start and destination"), COLOURS["ends"], fill="#FFFFFF"))
        page.legend += _basemap_legend(page)

        page.summary = [line.strip() for line in route.message().splitlines() if line.strip()][:1]
        if route.facility:
            f = route.facility
            page.summary.append(
                _("Destination: {what} {name}.").format(
                    what=f.get("label") or "", name=f.get("name") or f.get("osm") or ""
                )
            )
        if route.found:
            page.summary.append(
                _("Share of the route with unknown data: {share}.").format(share=percent(route.unknown_share))
            )
            page.about.append(Section(_("Directions"), items=list(route.directions), ordered=True))
        if marks:
            items, more = _capped([" — ".join(text) for text in barrier_lines])
            heading = _("Barriers avoided") if route.found else _("Barriers blocking the walking route")
            page.about.append(Section(heading, items=items, more=more))
        if facilities:
            items, more = _capped([" — ".join(_facility_text(f)) for f in facilities])
            page.about.append(Section(_("Facilities"), items=items, more=more))
    return page


def _barrier_text(b: dict[str, Any]) -> list[str]:
    head = _text(b.get("label"))
    if b.get("measure") is not None:
        head += f" ({number(b['measure'], 1)} {_text(b.get('unit'))})".rstrip()
    lines = [head]
    if b.get("street"):
        lines.append(_text(b["street"]))
    if b.get("description"):
        lines.append(_text(b["description"]))  # surveyors' free text: shown as text
    if b.get("osm"):
        lines.append(_text(b["osm"]))
    return lines


def _facility_text(f: dict[str, Any]) -> list[str]:
    name = _text(f.get("name")) or _text(f.get("category"))
    lines = [name]
    if f.get("wheelchair"):
        lines.append(f"wheelchair={_text(f['wheelchair'])}")
    return lines


# --- audit ----------------------------------------------------------------------------------

#: Score classes (lower bound, colour): a colour-blind-safe sequential scale, dark = poor.
SCORE_CLASSES = [(0, "#3b0f70"), (20, "#8c2981"), (40, "#de4968"), (60, "#fe9f6d"), (80, "#fcfdbf")]


def score_colour(score: float) -> str:
    """The colour of a 0-100 score's class.

    >>> score_colour(10), score_colour(85)
    ('#3b0f70', '#fcfdbf')
    """
    colour = SCORE_CLASSES[0][1]
    for bound, c in SCORE_CLASSES:
        if score >= bound:
            colour = c
    return colour


def _class_label(bound: int) -> str:
    return f"{bound}–{bound + 20 if bound < 80 else 100}"


def _geojson_features(frame: gpd.GeoDataFrame, props: list[dict[str, Any]]) -> list[dict[str, Any]]:
    geoms = shapely.set_precision(frame.to_crs(WGS84).geometry.to_numpy(), 1e-6)
    return [
        {"type": "Feature", "geometry": json.loads(shapely.to_geojson(g)), "properties": p}
        for g, p in zip(geoms, props)
        if g is not None and not g.is_empty
    ]


def score_map(
    areas: gpd.GeoDataFrame,
    profile: str,
    labels: dict[str, str],
    profile_label: str,
    lang: str = "it",
    tiles: TileLayer | bool | str | None = None,
    network: nx.MultiDiGraph | None = None,
    basemap: bytes = b"",
) -> MapPage:
    """The areas' accessibility scores (0-100) for one profile: one layer per facility
    category, chosen with radio buttons beside the map; the worst areas listed as text.

    Parameters
    ----------
    areas
        ``Audit.areas`` (columns ``profile, category, area_id, name, score, walk_score,
        residents``).
    profile, profile_label
        The profile and its name in ``lang``.
    labels
        Category -> its name in ``lang``.
    lang
        The page's language.
    tiles, network, basemap
        As :func:`route_map`.

    Returns
    -------
    MapPage
    """
    lang = check_language(lang)
    with use_language(lang):
        rows = areas[areas["profile"] == profile]
        title = _("Accessibility score by area (0-100) - {profile}").format(profile=profile_label)
        page = _page(title, lang, _frame_bounds(rows if len(rows) else areas), basemap, tiles, network)
        options: list[tuple[str, str]] = []
        for i, (cat, group) in enumerate(rows.groupby("category", sort=False)):
            layer_id = f"score-{i}"
            cat_label = labels.get(cat, cat)
            options.append((layer_id, cat_label))
            props = [
                {
                    "fill": score_colour(s),
                    "text": [
                        _text(n) or _text(a),
                        _("score {score}/100 (walking {walk})").format(score=number(s), walk=number(w)),
                        _("{residents} residents").format(residents=number(r)),
                    ],
                }
                for a, n, s, w, r in zip(
                    group["area_id"], group["name"], group["score"], group["walk_score"], group["residents"]
                )
            ]
            page.layers.append(
                {
                    "id": layer_id,
                    "type": "areas",
                    "group": "category",
                    "shown": i == 0,
                    "style": {"className": "score-area"},
                    "features": _geojson_features(group, props),
                }
            )
            worst = group.sort_values(["score", "residents"], ascending=[True, False])
            counts = [
                int(((group["score"] >= b) & (group["score"] < (b + 20 if b < 80 else 101))).sum())
                for b, _c in SCORE_CLASSES
            ]
            page.about.append(
                Section(
                    cat_label,
                    paragraphs=[
                        _("Areas by score: {classes}.").format(
                            classes="; ".join(
                                f"{_class_label(b)}: {number(n)}" for (b, _c), n in zip(SCORE_CLASSES, counts)
                            )
                        )
                    ],
                    columns=[_("Area"), _("Score"), _("Walking"), _("Residents")],
                    rows=[
                        [_text(n) or _text(a), number(s), number(w), number(r)]
                        for a, n, s, w, r in zip(
                            worst["area_id"][:10],
                            worst["name"][:10],
                            worst["score"][:10],
                            worst["walk_score"][:10],
                            worst["residents"][:10],
                        )
                    ],
                    numeric={1, 2, 3},
                )
            )
        if options:
            page.switch = ("category", _("Facility category shown"), options)
        page.summary = [
            _(
                "Each area's score says how well its residents reach the nearest facility with the profile "
                "{profile}, from 0 (nobody) to 100 (everyone, as on foot). The lowest-scoring areas of each "
                "category are listed below."
            ).format(profile=profile_label)
        ]
        page.legend = [
            LegendItem("area", _("Score {range}").format(range=_class_label(b)), "#555555", fill=c)
            for b, c in SCORE_CLASSES
        ] + _basemap_legend(page)
    return page


def unreachable_map(
    unreachable: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    profile: str,
    profile_label: str,
    reasons: dict[str, str],
    labels: dict[str, str],
    lang: str = "it",
    tiles: TileLayer | bool | str | None = None,
    network: nx.MultiDiGraph | None = None,
    basemap: bytes = b"",
) -> MapPage:
    """The facilities of ``Audit.facilities`` (green), and those nobody with ``profile``
    can reach (vermilion, larger), each with the reason; the list as text.

    Parameters
    ----------
    unreachable, facilities
        ``Audit.unreachable`` and ``Audit.facilities``.
    profile, profile_label
        The profile and its name in ``lang``.
    reasons
        Reason code -> its text in ``lang``.
    labels
        Category -> its name in ``lang``.
    lang, tiles, network, basemap
        As :func:`score_map`.

    Returns
    -------
    MapPage
    """
    lang = check_language(lang)
    with use_language(lang):
        every = facilities.to_crs(WGS84)
        rows = unreachable[unreachable["profile"] == profile].to_crs(WGS84)
        title = _("Facilities nobody can reach - {profile}").format(profile=profile_label)
        shown = every if len(every) else rows
        bounds = _frame_bounds(shown) if len(shown) else _bounds([(45.13, 10.02)])
        page = _page(title, lang, bounds, basemap, tiles, network)
        points = every.geometry.representative_point()
        page.layers.append(
            {
                "id": "facilities",
                "type": "points",
                "canvas": True,
                "style": {"color": COLOURS["facility"], "radius": 4, "weight": 1, "fillOpacity": 0.6},
                "features": [
                    {"at": [p.y, p.x], "text": [_text(n) or labels.get(c, c), labels.get(c, c)]}
                    for p, n, c in zip(points, every["name"], every["category"])
                ],
            }
        )
        where = rows.geometry.representative_point()
        texts = [
            [_text(n) or "?", labels.get(c, c), reasons.get(r, r)]
            for n, c, r in zip(rows["name"], rows["category"], rows["reason"])
        ]
        page.layers.append(
            {
                "id": "unreachable",
                "type": "points",
                "style": {"color": COLOURS["barrier"], "radius": 8, "weight": 3, "className": "unreachable"},
                "features": [{"at": [p.y, p.x], "text": t} for p, t in zip(where, texts)],
            }
        )
        page.legend = [
            LegendItem("dot", _("Facility nobody with this profile can reach"), COLOURS["barrier"]),
            LegendItem("dot", _("Other facilities"), COLOURS["facility"]),
            *_basemap_legend(page),
        ]
        page.summary = [
            _("{count} facilities nobody with the profile {profile} can reach, out of {total}.").format(
                count=number(len(rows)), profile=profile_label, total=number(len(every))
            )
        ]
        items, more = _capped([" — ".join(t) for t in texts])
        if items:
            page.about.append(Section(_("Facilities nobody can reach"), items=items, more=more))
    return page


# --- plan ----------------------------------------------------------------------------------------


def _column(table: pd.DataFrame, *names: str) -> pd.Series:
    """The first of ``names`` the table has, else empty text (columns move as the plan grows)."""
    for name in names:
        if name in table.columns:
            return table[name]
    return pd.Series([""] * len(table), index=table.index)


def plan_map(
    table: gpd.GeoDataFrame,
    lang: str = "it",
    tiles: TileLayer | bool | str | None = None,
    limit: int | None = None,
    network: nx.MultiDiGraph | None = None,
    basemap: bytes = b"",
) -> MapPage:
    """The numbered interventions of a plan: every funded one (blue circles), then the
    next budget's (brown dashed squares); the first in the ranking is drawn on top, and
    markers after the first :data:`PLAN_UNCLUSTERED` gather into clusters where they
    overlap (a cluster shows the best rank it holds). The list is given as text.

    Parameters
    ----------
    table
        ``plan_report.plan_table``: WGS84 with ``rank``, ``lon``, ``lat``,
        ``within_budget``, ``cost``; read defensively: a place column (``place``,
        ``street``), ``kind_label``, ``intervention_label``, ``people_total``,
        ``people_passing`` and ``selection`` are used when present.
    lang
        The page's language.
    tiles, network, basemap
        As :func:`route_map`.
    limit
        Next-budget interventions shown (default :data:`PLAN_NEXT_SHOWN`).

    Returns
    -------
    MapPage

    Raises
    ------
    ExportError
        The plan has no intervention to draw.
    """
    lang = check_language(lang)
    with use_language(lang):
        if len(table) == 0:
            raise ExportError(_("the plan has no interventions to map"))
        funded_mask = _column(table, "within_budget").fillna(False).astype(bool).to_numpy()
        gain = np.array(_column(table, "selection").astype(str) != "no gain", dtype=bool)
        if "people_passing" in table:
            gain |= pd.to_numeric(table["people_passing"], errors="coerce").fillna(0).to_numpy() > 0
        funded = table[funded_mask]
        nxt = table[~funded_mask & gain].head(PLAN_NEXT_SHOWN if limit is None else limit)
        rows = pd.concat([funded, nxt]).sort_values("rank", kind="stable")
        if len(rows) == 0:
            rows = table.sort_values("rank", kind="stable").head(PLAN_NEXT_SHOWN)
        rows = rows[np.isfinite(pd.to_numeric(rows["lat"], errors="coerce").to_numpy(dtype=float))]
        title = _("Intervention plan: {funded} funded interventions").format(funded=number(len(funded)))
        page = _page(title, lang, _bounds(zip(rows["lat"], rows["lon"])), basemap, tiles, network)
        place = _column(rows, "place", "place_name", "street")
        what = _column(rows, "intervention_label", "intervention")
        kind = _column(rows, "kind_label", "kind")
        people = pd.to_numeric(_column(rows, "people_total"), errors="coerce")
        passing = pd.to_numeric(_column(rows, "people_passing"), errors="coerce")
        numbers: list[dict[str, Any]] = []
        lines: list[dict[str, Any]] = []
        funded_rows: list[list[str]] = []
        next_rows: list[list[str]] = []
        for i, (r, fund, pl, wh, ki, pe, pa) in enumerate(
            zip(rows.itertuples(index=False), rows["within_budget"].astype(bool), place, what, kind, people, passing)
        ):
            rank = int(r.rank)
            head = f"{rank}. {_text(wh)}"
            text = [head, _text(ki)]
            if _text(pl):
                text.append(_text(pl))
            text.append(_("Cost: {cost}").format(cost=money(float(r.cost))))
            if not np.isnan(pe) and pe > 0:
                text.append(_("People who gain an accessible route: {people}").format(people=number(pe)))
            if not np.isnan(pa) and pa > 0:
                text.append(_("People whose way passes here: {people}").format(people=number(pa)))
            text.append(_("Funded by this budget") if fund else _("Next budget"))
            numbers.append(
                {
                    "at": [float(r.lat), float(r.lon)],
                    "label": str(rank),
                    "rank": rank,
                    "funded": bool(fund),
                    "cluster": i >= PLAN_UNCLUSTERED,
                    "title": head,
                    "text": text,
                }
            )
            geometry = getattr(r, "geometry", None)
            if geometry is not None and geometry.geom_type in ("LineString", "MultiLineString"):
                parts = [geometry] if geometry.geom_type == "LineString" else list(geometry.geoms)
                lines += [
                    {"coords": _latlon(list(p.coords)), "text": text, "funded": bool(fund)}
                    for p in parts
                    if len(p.coords) >= 2
                ]
            where_what = " — ".join(t for t in (_text(wh), _text(pl)) if t)
            (funded_rows if fund else next_rows).append(
                [str(rank), where_what, money(float(r.cost)), number(pe) if not np.isnan(pe) else ""]
            )
        for key, colour in (("funded", COLOURS["route"]), ("next", COLOURS["next"])):
            chosen = [ln for ln in lines if ln["funded"] == (key == "funded")]
            if chosen:
                page.layers.append(
                    {
                        "id": f"lines-{key}",
                        "type": "lines",
                        "style": {
                            "color": colour,
                            "weight": 5,
                            "opacity": 0.8,
                            "dash": "" if key == "funded" else "6 4",
                        },
                        "features": chosen,
                    }
                )
        page.layers.append(
            {
                "id": "interventions",
                "type": "numbers",
                "style": {"funded": {"className": "funded"}, "next": {"className": "next"}},
                "clusterTitle": _("{count} interventions, the first no. {first}: zoom in to see them"),
                "features": numbers,
            }
        )
        page.legend = [
            LegendItem(
                "number", _("Intervention funded by the budget, with its rank"), css="plan-number funded", label="1"
            ),
            LegendItem("number", _("Intervention of the next budget"), css="plan-number next", label="2"),
            LegendItem(
                "number",
                _("Several interventions close together: the best rank among them; zoom in to separate them"),
                css="plan-cluster",
                label="5+",
            ),
            *_basemap_legend(page),
        ]
        spent = float(pd.to_numeric(funded["cost"], errors="coerce").sum())
        page.summary = [
            _("{funded} interventions funded ({spent}); the next {next} follow in the ranking.").format(
                funded=number(len(funded)), spent=money(spent), next=number(len(nxt))
            ),
            _("Number 1 is the first in the ranking and is drawn on top of the others."),
        ]
        columns = [_("No."), _("Intervention and place"), _("Cost"), _("People")]
        for heading, table_rows in ((_("Funded by this budget"), funded_rows), (_("Next budget"), next_rows)):
            if table_rows:
                items, more = _capped(table_rows)
                page.about.append(Section(heading, columns=columns, rows=items, numeric={0, 2, 3}, more=more))
    return page
