"""Read and write a city workspace folder. Files only: nothing here computes.

Layout (version ``settings.workspace_version``)::

    city.json          name, CRS, sources and their SHA-256, build counts
    network.gpkg       layers: nodes, edges, barriers, area (graph CRS; QGIS opens it)
    tag_problems.csv   tag values that could not be read as given
    basemap.pmtiles    the base map every map draws (vector tiles; may be absent in
                       workspaces built before it existed)
    surveys.gpkg       survey reports (``accessibility.store``), kept across saves

A save writes a new folder beside the old one and swaps it in at the end, so a failed
save never leaves a half-written workspace.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import pandas as pd
import pyogrio

from accessibility import settings
from accessibility.errors import WorkspaceError
from accessibility.files import new_folder
from accessibility.outputs.export import restore, write_csv

META = "city.json"
NETWORK = "network.gpkg"
PROBLEMS = "tag_problems.csv"
BASEMAP = "basemap.pmtiles"


def graph_to_frames(G: nx.MultiDiGraph) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Nodes and edges of ``G`` as GeoDataFrames in the graph CRS (``u, v, key`` columns)."""
    crs = G.graph["crs"]
    nodes = pd.DataFrame.from_records([{"node": n, **d} for n, d in G.nodes(data=True)])
    nodes = gpd.GeoDataFrame(nodes, geometry=gpd.points_from_xy(nodes["x"], nodes["y"]), crs=crs)
    edges = pd.DataFrame.from_records([{"u": u, "v": v, "key": k, **d} for u, v, k, d in G.edges(keys=True, data=True)])
    edges = gpd.GeoDataFrame(edges, geometry="geometry", crs=crs)
    return nodes, edges


def frames_to_graph(nodes: pd.DataFrame, edges: pd.DataFrame, graph_attrs: dict[str, Any]) -> nx.MultiDiGraph:
    """Inverse of :func:`graph_to_frames`: missing values are left out of attribute dicts."""
    G = nx.MultiDiGraph(**graph_attrs)
    G.add_nodes_from(zip(nodes["node"].tolist(), _row_dicts(nodes, exclude={"node", "geometry"})))
    G.add_edges_from(
        zip(
            edges["u"].tolist(),
            edges["v"].tolist(),
            edges["key"].tolist(),
            _row_dicts(edges, exclude={"u", "v", "key"}),
        )
    )
    return G


def _row_dicts(frame: pd.DataFrame, exclude: set[str]) -> list[dict[str, Any]]:
    """One attribute dict per row holding only the present values, built column by column
    (work in proportion to the filled cells: most tag columns are mostly empty)."""
    rows: list[dict[str, Any]] = [{} for _ in range(len(frame))]
    for column in frame.columns:
        if column in exclude:
            continue
        series = frame[column]
        present = series.notna().to_numpy()
        positions = present.nonzero()[0].tolist()
        values = series[present].tolist() if not isinstance(series, gpd.GeoSeries) else list(series.values[present])
        for i, value in zip(positions, values):
            rows[i][column] = value
    return rows


def save(
    path: str | Path,
    meta: dict[str, Any],
    G: nx.MultiDiGraph,
    barriers: gpd.GeoDataFrame,
    area: gpd.GeoDataFrame,
    problems: pd.DataFrame,
    extra_layers: dict[str, gpd.GeoDataFrame] | None = None,
    basemap: bytes | None = None,
) -> Path:
    """Write a workspace folder atomically (see module docstring); ``basemap`` is the
    PMTiles archive of the base map (left out when empty)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with new_folder(path) as tmp:
        nodes, edges = graph_to_frames(G)
        gpkg = tmp / NETWORK
        layers = {"nodes": nodes, "edges": edges, "barriers": barriers, "area": area, **(extra_layers or {})}
        for name, frame in layers.items():
            pyogrio.write_dataframe(frame, gpkg, layer=name, driver="GPKG")
        write_csv(problems, tmp / PROBLEMS, sep=",", decimal=".")  # tag values: never a live formula
        if basemap:
            (tmp / BASEMAP).write_bytes(basemap)
        for name in settings.workspace_kept_files:  # e.g. the survey store: not ours to rebuild
            if (path / name).is_file():
                shutil.copy2(path / name, tmp / name)
        for name in settings.workspace_kept_folders:  # dated snapshots, the adopted programme
            if (path / name).is_dir():
                shutil.copytree(path / name, tmp / name)
        meta = {
            "format": "accessibility-city",
            "version": settings.workspace_version,
            "graph": dict(G.graph.items()),
            "layers": sorted(layers),
            **meta,
        }
        (tmp / META).write_text(json.dumps(meta, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    return path


def read_meta(path: str | Path) -> dict[str, Any]:
    """The ``city.json`` of a workspace, checked for format and version."""
    path = Path(path)
    meta_file = path / META
    if not meta_file.is_file():
        raise WorkspaceError(
            f"{path} is not a city workspace (no {META}); create one with 'accessibility build --city {path} ...'"
        )
    try:
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise WorkspaceError(f"{meta_file} is damaged: {exc}") from None
    if meta.get("format") != "accessibility-city" or meta.get("version") != settings.workspace_version:
        raise WorkspaceError(
            f"{path}: workspace version {meta.get('version')!r} is not "
            f"{settings.workspace_version}; rebuild it with 'accessibility build'"
        )
    return meta


def read_basemap(path: str | Path) -> bytes:
    """The base map (PMTiles archive) of a workspace; empty bytes for a workspace built
    before base maps existed (maps then draw the network alone)."""
    file = Path(path) / BASEMAP
    return file.read_bytes() if file.is_file() else b""


def load(path: str | Path) -> tuple[dict[str, Any], nx.MultiDiGraph, dict[str, gpd.GeoDataFrame], pd.DataFrame]:
    """Read a workspace: metadata, graph, the other layers by name, and tag problems."""
    path = Path(path)
    meta = read_meta(path)
    gpkg = path / NETWORK
    if not gpkg.is_file():
        raise WorkspaceError(f"{path}: {NETWORK} is missing; rebuild the workspace")
    layers = {
        name: pyogrio.read_dataframe(gpkg, layer=name, use_arrow=True)
        for name in meta["layers"]
        if name not in {"nodes", "edges"}
    }
    nodes = pyogrio.read_dataframe(gpkg, layer="nodes", read_geometry=False, use_arrow=True)
    edges = pyogrio.read_dataframe(gpkg, layer="edges", use_arrow=True)
    G = frames_to_graph(nodes, edges, meta["graph"])
    problems_file = path / PROBLEMS
    problems = (
        pd.read_csv(problems_file, dtype=str, keep_default_na=False, encoding="utf-8-sig").map(restore)
        if problems_file.is_file()
        else pd.DataFrame()
    )
    return meta, G, layers, problems
