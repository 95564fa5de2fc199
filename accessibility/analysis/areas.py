"""Areas for scores: a hexagon grid by default, or the user's neighbourhood polygons (pure).

Also measures data completeness per area, so that nobody mistakes missing data for
accessibility: the share of path length whose surface, width and incline are mapped, and
the share of crossings whose kerbs are known.
"""

from __future__ import annotations

import math
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
from shapely import Polygon

from accessibility.analysis.population import node_points
from accessibility.errors import InputError
from accessibility.i18n import _

#: The most hexagon cells a grid may have (a size of a few centimetres would exhaust memory).
MAX_HEXAGONS = 2_000_000


def hex_grid(bounds: tuple[float, float, float, float], size_m: float, crs: str) -> gpd.GeoDataFrame:
    """Flat-topped hexagons of circumradius ``size_m`` covering ``bounds`` (minx, miny, maxx, maxy).

    Hexagons are numbered ``hex-<column>-<row>`` from the lower left, so a grid over the
    same bounds always has the same ids.
    """
    if not (math.isfinite(size_m) and size_m > 0):
        raise InputError(_("the hexagon size must be a positive number of metres, not {size}").format(size=size_m))
    minx, miny, maxx, maxy = bounds
    width, height = 1.5 * size_m, math.sqrt(3) * size_m
    cells = (int((maxx - minx) / width) + 2) * (int((maxy - miny) / height) + 2)
    if cells > MAX_HEXAGONS:
        raise InputError(
            _(
                "hexagons of {size} m would make {cells} cells over this city (at most {limit}); choose a larger size"
            ).format(size=size_m, cells=cells, limit=MAX_HEXAGONS)
        )
    corners = [(size_m * math.cos(math.radians(a)), size_m * math.sin(math.radians(a))) for a in range(0, 360, 60)]
    ids, shapes = [], []
    for col in range(int((maxx - minx) / width) + 2):
        cx = minx + col * width
        offset = height / 2 if col % 2 else 0.0
        for row in range(int((maxy - miny) / height) + 2):
            cy = miny + row * height + offset
            ids.append(f"hex-{col}-{row}")
            shapes.append(Polygon([(cx + dx, cy + dy) for dx, dy in corners]))
    return gpd.GeoDataFrame({"area_id": ids}, geometry=shapes, crs=crs)


def areas_for(
    G: nx.MultiDiGraph, areas: gpd.GeoDataFrame | None = None, hex_size_m: float = 250.0, id_column: str | None = None
) -> gpd.GeoDataFrame:
    """The areas to score: the user's polygons (ids from ``id_column`` or row order) or a
    hexagon grid over the network, keeping only cells that hold network nodes."""
    crs = G.graph["crs"]
    if areas is not None:
        polygonal = areas.geometry.notna() & areas.geometry.geom_type.isin(["Polygon", "MultiPolygon"])
        if not len(areas) or not polygonal.all():
            kinds = ", ".join(sorted({str(k) for k in areas.geometry.geom_type.dropna()})) or _("no geometry")
            raise InputError(
                _("the areas must be polygons (neighbourhoods); this layer holds: {kinds}").format(kinds=kinds)
            )
        if areas.crs is None:
            raise InputError(_("the areas have no coordinate reference system"))
        if id_column is not None and id_column not in areas.columns:
            raise InputError(
                _("the areas have no column {column}; they have: {columns}").format(
                    column=repr(id_column), columns=", ".join(map(str, areas.columns))
                )
            )
        out = areas.to_crs(crs).reset_index(drop=True)
        ids = out[id_column].astype(str) if id_column else pd.Series([f"area-{i + 1}" for i in range(len(out))])
        name = out["name"].astype(str) if "name" in out else ids
        return gpd.GeoDataFrame({"area_id": ids, "name": name}, geometry=out.geometry.values, crs=crs)
    points = node_points(G)
    grid = hex_grid(tuple(points.total_bounds), hex_size_m, crs)
    used = gpd.sjoin(grid, points, predicate="contains")["area_id"].unique()
    grid = grid[grid["area_id"].isin(used)].reset_index(drop=True)
    grid["name"] = grid["area_id"]
    return grid[["area_id", "name", "geometry"]]


def node_areas(G: nx.MultiDiGraph, areas: gpd.GeoDataFrame) -> pd.Series:
    """The area id of each graph node (``None`` outside every area), indexed by node id."""
    points = node_points(G)
    joined = gpd.sjoin(points, areas[["area_id", "geometry"]], predicate="within")
    joined = joined[~joined.index.duplicated(keep="first")]
    return joined["area_id"].reindex(points.index)


def completeness(
    G: nx.MultiDiGraph, barriers: pd.DataFrame, areas: gpd.GeoDataFrame, where: pd.Series | None = None
) -> pd.DataFrame:
    """Per area: km of network, shares of length with surface / width / incline mapped,
    crossings and the share whose kerbs are known. One row per area, plus ``all``.
    ``where``: :func:`node_areas` when the caller has it already."""
    where = node_areas(G, areas) if where is None else where
    where = dict(zip(where.index, where.to_numpy(dtype=object)))  # plain lookups in the loops below
    rows = []
    for u, _v, d in G.edges(data=True):
        if d.get("reversed"):
            continue
        rows.append(
            {
                "area_id": where.get(u),
                "length": d["length"],
                "surface": "surface" in d,
                "width": "width_m" in d or "est_width_m" in d,
                "incline": "incline" in d,
            }
        )
    edges = pd.DataFrame(rows, columns=["area_id", "length", "surface", "width", "incline"])
    crossing_rows = _crossings(G, barriers, where)
    out = []
    for area_id, group in [*edges.groupby("area_id"), ("all", edges)]:
        length = group["length"].sum()
        cross = crossing_rows if area_id == "all" else crossing_rows[crossing_rows["area_id"] == area_id]
        out.append(
            {
                "area_id": area_id,
                "km": length / 1000,
                **{
                    f"{k}_known": (group["length"] * group[k]).sum() / length if length else np.nan
                    for k in ("surface", "width", "incline")
                },
                "crossings": len(cross),
                "kerbs_known": 1 - cross["kerb_unknown"].mean() if len(cross) else np.nan,
            }
        )
    return pd.DataFrame(out)


def _crossings(G: nx.MultiDiGraph, barriers: pd.DataFrame, where: dict) -> pd.DataFrame:
    """One row per crossing (a crossing way, or a crossing node off crossing ways)."""
    unknown = set(
        zip(
            barriers.loc[barriers["kind"] == "kerb_unknown", "element"],
            barriers.loc[barriers["kind"] == "kerb_unknown", "osm_id"].astype(int),
        )
    )
    rows: dict[tuple[str, int], Any] = {}
    on_crossing_way: set[int] = set()
    for u, v, d in G.edges(data=True):
        if d.get("footway") == "crossing" and not d.get("reversed"):
            rows.setdefault(("way", d["osmid"]), where.get(u))
            on_crossing_way.update((u, v))
    for n, d in G.nodes(data=True):
        if d.get("highway") == "crossing" and n not in on_crossing_way:
            rows[("node", n)] = where.get(n)
    return pd.DataFrame(
        [{"area_id": a, "kerb_unknown": key in unknown} for key, a in rows.items()], columns=["area_id", "kerb_unknown"]
    )
