"""Build the pedestrian street graph from :class:`OsmData` (pure: no files, no network).

The graph is an osmnx-compatible ``networkx.MultiDiGraph`` in a projected UTM CRS:
nodes carry ``x``, ``y`` (metres), ``lon``, ``lat``, ``osmid`` and their accessibility tags;
edges carry ``osmid`` (the way id), ``length`` (metres), ``geometry`` (a LineString in the
graph CRS), the way's accessibility tags, and parsed numbers (``incline_pct`` signed along
the edge, ``width_m``, ``step_count_n``). Every walkable way is split only where it must be:
at its ends, where it meets another way, and at every node whose tags matter (a kerb, a
bollard, a crossing). Edges of different ways are never merged, so no accessibility
attribute is ever averaged away. Each edge exists in both directions.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np
from pyproj import Transformer
from shapely import LineString

from accessibility import settings
from accessibility.constants import WGS84
from accessibility.errors import EmptyNetworkError
from accessibility.i18n import M, Message, _, number
from accessibility.sources.osm import OsmData
from accessibility.values import parse_tag

log = logging.getLogger(__name__)


@dataclass
class TagProblem:
    """A tag value that could not be read as given: where, what, and why."""

    element: str  # "node" or "way"
    osm_id: int
    key: str
    value: str
    reason: Message  #: shown in the language in use (``tag_problems.csv`` is written in it)


@dataclass
class BuildReport:
    """What the build noticed and did not silently drop."""

    ways_read: int = 0
    ways_walkable: int = 0
    refs_without_coordinates: int = 0
    nodes_out_of_range: int = 0
    problems: list[TagProblem] = field(default_factory=list)


def is_walkable(tags: dict[str, str]) -> bool:
    """True when a pedestrian may use a way with these tags (see ``settings``)."""
    highway = tags.get("highway")
    foot = tags.get("foot")
    if highway is None or foot in settings.foot_forbidden:
        return False
    if tags.get("area") == "yes" and highway not in {"pedestrian", "footway", "platform"}:
        return False
    explicit = foot in settings.foot_allowed
    if tags.get("access") in settings.access_forbidden and not explicit:
        return False
    if tags.get("service") == "private" and not explicit:
        return False
    if highway in settings.walkable_highways:
        return True
    return highway in settings.walkable_if_foot_allowed and (
        explicit or tags.get("sidewalk") in {"both", "left", "right", "yes"}
    )


def utm_crs(lon: float, lat: float) -> str:
    """The EPSG code of the UTM zone containing a WGS84 point."""
    zone = int((lon + 180.0) // 6.0) % 60 + 1
    return f"EPSG:{32600 + zone if lat >= 0 else 32700 + zone}"


def _kept(tags: dict[str, str], keys: tuple[str, ...]) -> dict[str, str]:
    return {k: v for k, v in tags.items() if k in keys or k.startswith(settings.kept_tag_prefixes)}


def _node_matters(tags: dict[str, str]) -> bool:
    return tags.get("highway") in settings.node_highways_that_matter or any(
        k in settings.node_keys_that_matter for k in tags
    )


def _parse_numbers(tags: dict[str, str], element: str, osm_id: int, report: BuildReport) -> dict[str, float]:
    """Parsed numeric attributes of an element; unreadable values go to the report."""
    out: dict[str, float] = {}
    parsed = (
        ("width", "width_m"),
        ("est_width", "est_width_m"),
        ("maxwidth", "maxwidth_m"),
        ("kerb:height", "kerb_height_m"),
        ("incline", "incline_pct"),
        ("step_count", "step_count_n"),
    )
    for key, attr in parsed:
        raw = tags.get(key)
        if raw is None:
            continue
        value, problem = parse_tag(key, raw)
        if value is not None:
            out[attr] = value
        if problem:
            report.problems.append(TagProblem(element, osm_id, key, raw, problem))
    return out


def build_network(osm: OsmData, report: BuildReport | None = None) -> nx.MultiDiGraph:
    """Build the pedestrian graph of ``osm``.

    Parameters
    ----------
    osm
        Nodes and ways, as read by :mod:`accessibility.sources.osm`.
    report
        Filled with counts and unreadable tag values, if given.

    Raises
    ------
    EmptyNetworkError
        No walkable way with coordinates.
    """
    report = report if report is not None else BuildReport()
    report.ways_read = len(osm.ways)
    for nid, (lon, lat) in sorted(osm.out_of_range.items()):
        report.nodes_out_of_range += 1
        report.problems.append(
            TagProblem(
                "node",
                nid,
                "lat,lon",
                f"{lat!r},{lon!r}",
                M("outside latitude +-90 and longitude +-180: node skipped, its ways cut there"),
            )
        )
    ways = [(wid, w) for wid, w in sorted(osm.ways.items()) if is_walkable(w.tags)]
    report.ways_walkable = len(ways)

    # Split each way into runs of consecutive nodes that have coordinates.
    runs: list[tuple[int, list[int]]] = []
    for wid, way in ways:
        run: list[int] = []
        for ref in way.refs:
            node = osm.nodes.get(ref)
            if node is None or node.lon is None:
                report.refs_without_coordinates += 1
                if len(run) > 1:
                    runs.append((wid, run))
                run = []
            elif not run or run[-1] != ref:
                run.append(ref)
        if len(run) > 1:
            runs.append((wid, run))
    if not runs:
        raise EmptyNetworkError(
            _("no walkable way with coordinates in {sources} ({read} ways read, {walkable} walkable)").format(
                sources=", ".join(osm.sources) or _("the input"), read=number(len(osm.ways)), walkable=number(len(ways))
            )
        )
    if report.nodes_out_of_range:
        log.warning(
            "%d nodes lie outside latitude +-90 / longitude +-180 and were skipped (listed in the tag problems)",
            report.nodes_out_of_range,
        )
    if report.refs_without_coordinates:
        log.warning(
            "%d way node references had no coordinates (outside the extract): ways were cut there",
            report.refs_without_coordinates,
        )

    # Nodes where a way must be split: run ends, shared nodes, nodes whose tags matter.
    uses: Counter[int] = Counter()
    for _wid, run in runs:
        uses.update(run[1:] if run[0] == run[-1] else run)  # a closed run counts its node once
    split = {n for n, c in uses.items() if c > 1}
    split.update(r[0] for _wid, r in runs)
    split.update(r[-1] for _wid, r in runs)
    split.update(n for n in uses if _node_matters(osm.nodes[n].tags))

    used = sorted(uses.keys() | split)
    lons = np.array([osm.nodes[n].lon for n in used])
    lats = np.array([osm.nodes[n].lat for n in used])
    crs = utm_crs(float(np.median(lons)), float(np.median(lats)))
    xs, ys = Transformer.from_crs(WGS84, crs, always_xy=True).transform(lons, lats)
    xy = {n: (float(x), float(y)) for n, x, y in zip(used, xs, ys)}

    G = nx.MultiDiGraph(crs=crs, created_with="accessibility", simplified=True)
    for n in sorted(split):
        node = osm.nodes[n]
        attrs: dict[str, Any] = dict(_kept(node.tags, settings.node_tags))
        attrs.update(_parse_numbers(node.tags, "node", n, report))
        G.add_node(n, x=xy[n][0], y=xy[n][1], lon=node.lon, lat=node.lat, **attrs)

    for wid, run in runs:
        way_tags = osm.ways[wid].tags
        attrs = dict(_kept(way_tags, settings.edge_tags))
        attrs.update(_parse_numbers(way_tags, "way", wid, report))
        start = 0
        for i in range(1, len(run)):
            if run[i] in split:
                _add_edge_pair(G, wid, run[start : i + 1], xy, attrs)
                start = i
    _set_street_count(G)
    log.info(
        "built graph with %d nodes and %d edges (%d walkable ways of %d)",
        G.number_of_nodes(),
        G.number_of_edges(),
        report.ways_walkable,
        report.ways_read,
    )
    return G


def _add_edge_pair(
    G: nx.MultiDiGraph, wid: int, nodes: list[int], xy: dict[int, tuple[float, float]], attrs: dict
) -> None:
    coords = [xy[n] for n in nodes]
    line = LineString(coords)
    u, v = nodes[0], nodes[-1]
    forward = dict(attrs, osmid=wid, length=float(line.length), geometry=line, reversed=False)
    backward = dict(forward, geometry=line.reverse(), reversed=True)
    if "incline_pct" in attrs:
        backward["incline_pct"] = -attrs["incline_pct"]
    if attrs.get("incline") in {"up", "down"}:
        backward["incline"] = "down" if attrs["incline"] == "up" else "up"
    G.add_edge(u, v, **forward)
    G.add_edge(v, u, **backward)


def _set_street_count(G: nx.MultiDiGraph) -> None:
    """osmnx's ``street_count``: physical streets meeting at each node."""
    counts: Counter[int] = Counter()
    for u, v, data in G.edges(data=True):
        if not data["reversed"]:
            counts[u] += 1
            counts[v] += 1
    nx.set_node_attributes(G, dict(counts), "street_count")
