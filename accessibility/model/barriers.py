"""Barrier taxonomy and the rules that find barriers in the tags of the graph (pure).

One record per barrier: an OSM element (node or way) and a kind from
``data/barriers.toml``, with the measured value where the tags give one, the legal
threshold and rule it breaks, and a severity for every mobility profile. Missing data
that matters (a crossing whose kerb height nobody mapped) is recorded as a barrier of
unknown severity, never assumed fine.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

import geopandas as gpd
import networkx as nx
import pandas as pd
from shapely import Point
from shapely.ops import linemerge

from accessibility.model.profiles import Profile
from accessibility.sources.catalogues import shipped_toml

#: ``surface`` values that break the paving rule (uneven, loose or with wide joints).
POOR_SURFACES = frozenset(
    {
        "sand",
        "mud",
        "grass",
        "dirt",
        "earth",
        "ground",
        "gravel",
        "fine_gravel",
        "pebblestone",
        "woodchips",
        "rock",
        "stepping_stones",
        "cobblestone",
        "unhewn_cobblestone",
        "sett",
        "grass_paver",
        "unpaved",
        "compacted",
    }
)
POOR_SMOOTHNESS = frozenset({"bad", "very_bad", "horrible", "very_horrible", "impassable"})
#: ``barrier`` values that stand on the path.
OBSTACLES = frozenset(
    {
        "bollard",
        "gate",
        "lift_gate",
        "swing_gate",
        "sliding_gate",
        "wicket_gate",
        "turnstile",
        "full-height_turnstile",
        "cycle_barrier",
        "motorcycle_barrier",
        "kissing_gate",
        "stile",
        "block",
        "chain",
        "log",
        "bar",
        "jersey_barrier",
        "planter",
        "rope",
        "hampshire_gate",
        "bump_gate",
        "barrier_board",
        "spikes",
    }
)
LEVEL_KERBS = frozenset({"lowered", "flush", "no"})
KNOWN_KERBS = LEVEL_KERBS | {"raised", "rolled"}
SOUND_YES = frozenset({"yes", "walk", "locate", "crossing"})

COLUMNS = [
    "barrier_id",
    "kind",
    "measure",
    "unit",
    "threshold",
    "known",
    "tags",
    "element",
    "osm_id",
    "node",
    "street",
    "rule",
    "source",
    "source_id",
]


@dataclass(frozen=True)
class Kind:
    """One kind of barrier of the taxonomy, with the rule it breaks."""

    name: str
    label: str  #: in English, the catalogue's message: shown as ``_(kind.label)``
    unit: str
    rule: str  #: the articles of law
    rule_text: str  #: what the rule requires, in English (shown as ``_(kind.rule_text)``)
    threshold: float | None = None


@cache
def taxonomy() -> dict[str, Kind]:
    """The barrier kinds of ``data/barriers.toml``, by name."""
    raw = shipped_toml("barriers.toml")
    return {name: Kind(name=name, **table) for name, table in raw.items()}


def tags_to_text(tags: dict[str, str]) -> str:
    """``{"kerb": "raised"}`` -> ``"kerb=raised"``: a barrier's defining tags, readable."""
    return ";".join(f"{k}={v}" for k, v in sorted(tags.items()))


def text_to_tags(text: str | None) -> dict[str, str]:
    """Inverse of :func:`tags_to_text`."""
    if not text:
        return {}
    return dict(part.split("=", 1) for part in str(text).split(";") if "=" in part)


# --- finding barriers -------------------------------------------------------------------


def _node_barriers(n: int, d: dict[str, Any], on_crossing_way: bool) -> Iterable[tuple]:
    """Yield ``(kind, measure, defining tags, known)`` for one node."""
    kerb = d.get("kerb")
    height_cm = d["kerb_height_m"] * 100 if "kerb_height_m" in d else None
    threshold = taxonomy()["raised_kerb"].threshold or 2.5
    if height_cm is not None and height_cm > threshold:
        yield "raised_kerb", height_cm, _pick(d, "kerb", "kerb:height"), True
    elif kerb in {"raised", "rolled"} and height_cm is None:
        yield "raised_kerb", None, _pick(d, "kerb"), True
    elif (kerb is not None and kerb not in KNOWN_KERBS) or (d.get("barrier") == "kerb" and kerb is None):
        yield "kerb_unknown", None, _pick(d, "kerb", "barrier"), False

    barrier = d.get("barrier")
    if barrier in OBSTACLES:
        width = d.get("maxwidth_m", d.get("width_m"))
        yield "obstacle", None if width is None else width * 100, _pick(d, "barrier", "maxwidth", "width"), True
    elif barrier == "step":
        yield "steps", 1.0, _pick(d, "barrier"), True
    elif "width_m" in d and d["width_m"] * 100 < (taxonomy()["narrow_passage"].threshold or 90):
        yield "narrow_passage", d["width_m"] * 100, _pick(d, "width"), True

    if d.get("wheelchair") in {"no", "limited"}:
        yield "wheelchair_no", None, _pick(d, "wheelchair"), True

    if _is_crossing(d) and not on_crossing_way:
        yield from _crossing_barriers([d])
        if kerb is None and "kerb_height_m" not in d:
            yield "kerb_unknown", None, _pick(d, "highway", "crossing"), False


def _is_crossing(d: dict[str, Any]) -> bool:
    return d.get("highway") == "crossing" or "crossing" in d or d.get("footway") == "crossing"


def _is_signalised(d: dict[str, Any]) -> bool:
    return (
        d.get("crossing") == "traffic_signals"
        or d.get("highway") == "traffic_signals"
        or d.get("crossing:signals") == "yes"
    )


def _crossing_barriers(parts: list[dict[str, Any]]) -> Iterable[tuple]:
    """Tactile paving and sound, judged on a crossing and the nodes along it."""
    tactile = {p["tactile_paving"] for p in parts if "tactile_paving" in p}
    if "no" in tactile:
        yield "crossing_no_tactile", None, {"tactile_paving": "no"}, True
    elif not tactile & {"yes", "incorrect"}:
        yield "crossing_no_tactile", None, {}, False
    if any(_is_signalised(p) for p in parts):
        sound = {p["traffic_signals:sound"] for p in parts if "traffic_signals:sound" in p}
        if sound and not sound & SOUND_YES:
            yield "crossing_no_sound", None, {"traffic_signals:sound": sorted(sound)[0]}, True
        elif not sound:
            yield "crossing_no_sound", None, {"crossing": "traffic_signals"}, False


def _way_barriers(d: dict[str, Any], nodes: list[dict[str, Any]]) -> Iterable[tuple]:
    """Yield ``(kind, measure, defining tags, known)`` for one way, given its nodes' data."""
    is_steps = d.get("highway") == "steps"
    if is_steps:
        yield (
            "steps",
            d.get("step_count_n"),
            _pick(d, "highway", "step_count", "ramp", "ramp:wheelchair", "handrail", "tactile_paving"),
            True,
        )
    else:
        incline = d.get("incline_pct")
        if incline is not None and abs(incline) > (taxonomy()["steep_incline"].threshold or 5):
            yield "steep_incline", abs(incline), _pick(d, "incline"), True
        elif incline is None and "incline" in d:  # "up", "down", "steep": a slope of unknown size
            yield "steep_incline", None, _pick(d, "incline"), False
    width = d.get("width_m", d.get("est_width_m"))
    if width is not None and width * 100 < (taxonomy()["narrow_passage"].threshold or 90):
        yield "narrow_passage", width * 100, _pick(d, "width", "est_width"), True
    if d.get("surface") in POOR_SURFACES or d.get("smoothness") in POOR_SMOOTHNESS:
        yield "bad_surface", None, _pick(d, "surface", "smoothness"), True
    if d.get("wheelchair") in {"no", "limited"}:
        yield "wheelchair_no", None, _pick(d, "wheelchair"), True
    if d.get("footway") == "crossing" or (d.get("highway") in {"footway", "path"} and "crossing" in d):
        yield from _crossing_barriers([d, *nodes])
        has_kerb = "kerb" in d or any("kerb" in n or n.get("barrier") == "kerb" for n in nodes)
        if not has_kerb:
            yield "kerb_unknown", None, _pick(d, "footway", "crossing"), False


def _pick(d: dict[str, Any], *keys: str) -> dict[str, str]:
    return {k: str(d[k]) for k in keys if k in d}


def find_barriers(G: nx.MultiDiGraph, profiles: dict[str, Profile]) -> gpd.GeoDataFrame:
    """Every barrier of the graph, one row per (OSM element, kind), in the graph's CRS.

    Columns: ``barrier_id, kind, measure, unit, threshold, known, tags, element, osm_id,
    node, street, rule, source, source_id``, one ``severity_<profile>`` per profile,
    and ``geometry``.
    """
    way_edges: dict[int, list[tuple[int, int, dict]]] = defaultdict(list)
    node_ways: dict[int, set[int]] = defaultdict(set)
    for u, v, d in G.edges(data=True):
        if not d["reversed"]:
            way_edges[d["osmid"]].append((u, v, d))
            node_ways[u].add(d["osmid"])
            node_ways[v].add(d["osmid"])
    crossing_ways = {w for w, es in way_edges.items() if es[0][2].get("footway") == "crossing"}

    def street_of_node(n: int) -> str | None:
        names = sorted({str(way_edges[w][0][2]["name"]) for w in node_ways[n] if "name" in way_edges[w][0][2]})
        return " / ".join(names) or None

    rows: list[dict[str, Any]] = []
    for n, d in G.nodes(data=True):
        for kind, measure, tags, known in _node_barriers(n, d, bool(node_ways[n] & crossing_ways)):
            rows.append(
                _row(kind, measure, tags, known, "node", n, n, street_of_node(n), Point(d["x"], d["y"]), profiles)
            )
    for wid in sorted(way_edges):
        edges = way_edges[wid]
        d = edges[0][2]
        node_ids = sorted({x for u, v, _ in edges for x in (u, v)})
        nodes = [G.nodes[x] for x in node_ids]
        found = list(_way_barriers(d, nodes))
        if not found:
            continue
        street = d.get("name") or next(filter(None, (street_of_node(x) for x in node_ids)), None)
        geometry = linemerge([e[2]["geometry"] for e in edges])
        for kind, measure, tags, known in found:
            rows.append(_row(kind, measure, tags, known, "way", wid, None, street, geometry, profiles))
    columns = COLUMNS + [f"severity_{p}" for p in profiles] + ["geometry"]
    frame = gpd.GeoDataFrame(rows, columns=columns, geometry="geometry", crs=G.graph["crs"])
    return frame.astype(
        {"measure": "float64", "threshold": "float64", "osm_id": "int64", "node": "Int64", "known": "bool"}
    )


def _row(
    kind: str,
    measure: float | None,
    tags: dict[str, str],
    known: bool,
    element: str,
    osm_id: int,
    node: int | None,
    street: str | None,
    geometry,
    profiles: dict[str, Profile],
) -> dict:
    k = taxonomy()[kind]
    row = {
        "barrier_id": f"osm-{element}-{osm_id}-{kind}",
        "kind": kind,
        "measure": None if measure is None else round(float(measure), 2),
        "unit": k.unit,
        "threshold": k.threshold,
        "known": known,
        "tags": tags_to_text(tags),
        "element": element,
        "osm_id": osm_id,
        "node": node,
        "street": street,
        "rule": k.rule,
        "source": "osm",
        "source_id": f"{element}/{osm_id}",
        "geometry": geometry,
    }
    for name, profile in profiles.items():
        row[f"severity_{name}"] = profile.severity(kind, row["measure"], tags, known)
    return row


def barrier_targets(
    barriers: pd.DataFrame, G: nx.MultiDiGraph
) -> tuple[dict[int, list[int]], dict[tuple[int, int, int], list[int]]]:
    """Where each barrier row sits in ``G``: graph nodes and directed edges, by row position.

    ``element == "node"``: the graph node in column ``node``. ``element == "way"``: every
    edge (both directions) whose ``osmid`` is ``osm_id``. ``element == "edge"`` (a survey
    report snapped onto an edge): the edge ``(edge_u, edge_v, edge_key)`` and its reverse.
    Rows whose place is not in ``G`` map to nothing.
    """
    by_way: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    for u, v, k, wid in G.edges(keys=True, data="osmid"):
        by_way[wid].append((u, v, k))
    nodes: dict[int, list[int]] = defaultdict(list)
    edges: dict[tuple[int, int, int], list[int]] = defaultdict(list)
    element = barriers["element"].to_numpy()
    column: dict[str, Any] = {
        c: barriers[c].to_numpy(dtype=object, na_value=None) if c in barriers else [None] * len(barriers)
        for c in ("node", "osm_id", "edge_u", "edge_v", "edge_key")
    }
    for i, kind in enumerate(element):
        if kind == "node":
            node = column["node"][i]
            if node is not None and int(node) in G:
                nodes[int(node)].append(i)
        elif kind == "way" and column["osm_id"][i] is not None:
            for e in by_way.get(int(column["osm_id"][i]), ()):
                edges[e].append(i)
        elif kind == "edge" and None not in (column["edge_u"][i], column["edge_v"][i], column["edge_key"][i]):
            u, v, k = int(column["edge_u"][i]), int(column["edge_v"][i]), int(column["edge_key"][i])
            if G.has_edge(u, v, k):
                edges[(u, v, k)].append(i)
                wid = G.edges[u, v, k]["osmid"]
                for rk, d in G[v][u].items():
                    if d["osmid"] == wid:
                        edges[(v, u, rk)].append(i)
    return dict(nodes), dict(edges)
