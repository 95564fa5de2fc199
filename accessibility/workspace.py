"""Read and write a city workspace folder. Files only: nothing here computes.

Layout (version ``settings.workspace_version``)::

    city.json          name, CRS, sources and their SHA-256, build counts
    network.gpkg       layers: nodes, edges, barriers, area (graph CRS; QGIS opens it)
    tag_problems.csv   tag values that could not be read as given
    basemap.pmtiles    the base map every map draws (vector tiles; may be absent in
                       workspaces built before it existed)
    surveys.gpkg       survey reports (``accessibility.store``), kept across saves
    routers/           the routers' contraction hierarchies and hub labels, one ``.npz``
                       per content key (:class:`KeptHierarchies`); written by a service
                       or a batch, dropped by a save (a new network, new keys)

A save writes a new folder beside the old one and swaps it in at the end, so a failed
save never leaves a half-written workspace. Files the build does not own (the survey
store) are not copied: the new folder gets a second name (a hard link) of the very same
file, taken while the store's write lock is held, so an import running meanwhile waits,
then writes into the store the new workspace holds; nothing it acknowledged is lost.
A save or load that meets a damaged folder (a truncated ``network.gpkg``, a ``city.json``
naming a layer that is not there) says so in one line and names the file.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyogrio

from accessibility import settings
from accessibility.errors import WorkspaceError, brief
from accessibility.files import link_or_copy, new_file, sqlite_write_lock, swap_in, temp_folder
from accessibility.i18n import _
from accessibility.outputs.export import restore, write_csv

__all__ = ["BASEMAP", "META", "NETWORK", "PROBLEMS", "frames_to_graph", "graph_to_frames", "load", "read_meta", "save"]

log = logging.getLogger(__name__)

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
    PMTiles archive of the base map (left out when empty).

    Raises
    ------
    WorkspaceError
        The survey store stayed busy (an import writing) for
        ``settings.survey_lock_timeout_s``: nothing was changed.
    """
    path = Path(path)
    if path.is_dir() and not (path / META).is_file() and any(path.iterdir()):
        raise WorkspaceError(
            _(
                "{path} is a folder with other files and no {meta}: it is not a workspace, and a build "
                "replaces its folder whole; choose a new or empty folder"
            ).format(path=path, meta=META)
        )
    with temp_folder(path) as tmp:
        nodes, edges = graph_to_frames(G)
        gpkg = tmp / NETWORK
        layers = {"nodes": nodes, "edges": edges, "barriers": barriers, "area": area, **(extra_layers or {})}
        for name, frame in layers.items():
            pyogrio.write_dataframe(frame, gpkg, layer=name, driver="GPKG")
        write_csv(problems, tmp / PROBLEMS, sep=",", decimal=".")  # tag values: never a live formula
        if basemap:
            (tmp / BASEMAP).write_bytes(basemap)
        meta = {
            "format": "accessibility-city",
            "version": settings.workspace_version,
            "graph": dict(G.graph.items()),
            "layers": sorted(layers),
            **meta,
        }
        (tmp / META).write_text(json.dumps(meta, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
        _swap_keeping_store(tmp, path)
    return path


def _swap_keeping_store(tmp: Path, path: Path) -> None:
    """Swap ``tmp`` in for ``path``, carrying the files a build does not own (the survey
    store) over as the same files, under the store's write lock."""
    if not path.is_dir():
        swap_in(tmp, path)
        return
    store = path / settings.survey_store_name
    with sqlite_write_lock(store, settings.survey_lock_timeout_s) as held:
        if not held:
            raise WorkspaceError(
                _(
                    "{path}: the survey store stayed busy for {seconds} s (an import is writing); "
                    "the workspace was not changed: build again when it has finished"
                ).format(path=store, seconds=f"{settings.survey_lock_timeout_s:g}")
            )
        for name in settings.workspace_kept_files:  # e.g. the survey store: not ours to rebuild
            if (path / name).is_file():
                if not link_or_copy(path / name, tmp / name):
                    log.warning("%s: copied (no hard links here), under the store's lock", path / name)
        for name in settings.workspace_kept_folders:  # dated snapshots, the adopted programme
            if (path / name).is_dir():
                shutil.copytree(path / name, tmp / name, copy_function=_link_or_copy_file)
        swap_in(tmp, path)


def _link_or_copy_file(source: str, target: str) -> str:
    """``shutil.copytree``'s copy function: a hard link where possible (snapshots are not
    edited in place), else a copy."""
    link_or_copy(Path(source), Path(target))
    return target


def read_meta(path: str | Path) -> dict[str, Any]:
    """The ``city.json`` of a workspace, checked for format, version and its keys.

    Raises
    ------
    WorkspaceError
        No ``city.json``, a damaged one, another version, or one without the keys a
        workspace has.
    """
    path = Path(path)
    meta_file = path / META
    if not meta_file.is_file():
        raise WorkspaceError(
            _(
                "{path} is not a city workspace (no {meta}); create one with 'accessibility build --city {path} ...'"
            ).format(path=path, meta=META)
        )
    try:
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise WorkspaceError(_("{path} is damaged: {reason}").format(path=meta_file, reason=exc)) from None
    except OSError as exc:
        raise WorkspaceError(_("{path} cannot be read: {reason}").format(path=meta_file, reason=exc.strerror)) from None
    if not isinstance(meta, dict):
        raise WorkspaceError(_("{path} is damaged: not a JSON object").format(path=meta_file))
    if meta.get("format") != "accessibility-city" or meta.get("version") != settings.workspace_version:
        raise WorkspaceError(
            _("{path}: workspace version {version} is not {expected}; rebuild it with 'accessibility build'").format(
                path=path, version=repr(meta.get("version")), expected=settings.workspace_version
            )
        )
    layers = meta.get("layers")
    graph = meta.get("graph")
    if (
        not isinstance(layers, list)
        or not all(isinstance(name, str) for name in layers)
        or not {"nodes", "edges", "barriers", "area"} <= set(layers)
        or not isinstance(graph, dict)
        or not isinstance(graph.get("crs"), str)
        or not all(k in meta for k in ("name", "sources", "build"))
    ):
        raise WorkspaceError(
            _("{path} is damaged: it lacks the layers, graph or build it should list; rebuild the workspace").format(
                path=meta_file
            )
        )
    return meta


def read_basemap(path: str | Path) -> bytes:
    """The base map (PMTiles archive) of a workspace; empty bytes for a workspace built
    before base maps existed (maps then draw the network alone)."""
    file = Path(path) / BASEMAP
    return file.read_bytes() if file.is_file() else b""


def load(path: str | Path) -> tuple[dict[str, Any], nx.MultiDiGraph, dict[str, gpd.GeoDataFrame], pd.DataFrame]:
    """Read a workspace: metadata, graph, the other layers by name, and tag problems.

    Raises
    ------
    WorkspaceError
        Not a workspace, another version, a missing or damaged ``network.gpkg``, a layer
        ``city.json`` names that the GeoPackage does not hold, or an unreadable
        ``tag_problems.csv``; the message names the file.
    """
    path = Path(path)
    meta = read_meta(path)
    gpkg = path / NETWORK
    if not gpkg.is_file():
        raise WorkspaceError(_("{path}: {file} is missing; rebuild the workspace").format(path=path, file=NETWORK))
    try:
        present = {str(name) for name, _kind in pyogrio.list_layers(gpkg)}
    except Exception as exc:  # GDAL reports a damaged file in many ways
        raise _damaged(gpkg, exc) from None
    missing = [name for name in meta["layers"] if name not in present]
    if missing:
        raise WorkspaceError(
            _("{path}: {meta} names layer(s) {layers} that {file} does not hold; rebuild the workspace").format(
                path=path, meta=META, layers=", ".join(map(repr, missing)), file=NETWORK
            )
        )
    try:
        layers = {
            name: pyogrio.read_dataframe(gpkg, layer=name, use_arrow=True)
            for name in meta["layers"]
            if name not in {"nodes", "edges"}
        }
        nodes = pyogrio.read_dataframe(gpkg, layer="nodes", read_geometry=False, use_arrow=True)
        edges = pyogrio.read_dataframe(gpkg, layer="edges", use_arrow=True)
        for layer, frame, needed in (("nodes", nodes, _NODE_COLUMNS), ("edges", edges, _EDGE_COLUMNS)):
            lacking = sorted(needed - set(frame.columns))
            if lacking:
                raise WorkspaceError(
                    _("{file}: layer {layer} lacks the column(s) {columns}; rebuild the workspace").format(
                        file=gpkg, layer=layer, columns=", ".join(lacking)
                    )
                )
        G = frames_to_graph(nodes, edges, meta["graph"])
    except WorkspaceError:
        raise
    except Exception as exc:  # a truncated or edited file: GDAL, Arrow or a missing column
        raise _damaged(gpkg, exc) from None
    problems_file = path / PROBLEMS
    try:
        problems = (
            pd.read_csv(problems_file, dtype=str, keep_default_na=False, encoding="utf-8-sig").map(restore)
            if problems_file.is_file()
            else pd.DataFrame()
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, OSError) as exc:
        raise _damaged(problems_file, exc) from None
    return meta, G, layers, problems


_NODE_COLUMNS = frozenset({"node", "x", "y", "lon", "lat"})
_EDGE_COLUMNS = frozenset({"u", "v", "key", "osmid", "length", "reversed", "geometry"})


def _damaged(file: Path, exc: BaseException) -> WorkspaceError:
    reason = brief(exc)
    return WorkspaceError(
        _("{file} is damaged or incomplete ({reason}); rebuild the workspace with 'accessibility build'").format(
            file=file, reason=reason
        )
    )


class KeptHierarchies:
    """The routers' contraction hierarchies and hub labels kept in a workspace's
    ``routers/`` folder, one ``KEY.npz`` each (numpy's archive of plain arrays; never
    pickles), so that a service started again reads them in about a second instead of
    building them for minutes. The key is a digest of what the hierarchy is built from
    (:meth:`~accessibility.routing.contraction.Hierarchy.key`): a hierarchy kept is the
    one a build would give, and a change of barriers or profile means another key.

    A file is written atomically (two workers that build the same hierarchy at once
    each write a whole file, the last one stays); one that cannot be read is ignored
    (the router builds it again); a folder that cannot be written is a warning. The
    files used least recently beyond ``settings.hierarchies_kept`` are removed.
    """

    def __init__(self, workspace: str | Path) -> None:
        self.folder = Path(workspace) / settings.hierarchies_folder

    def _file(self, key: str) -> Path:
        if not key.isalnum():
            raise ValueError(f"not a hierarchy key: {key!r}")
        return self.folder / f"{key}.npz"

    def read(self, key: str) -> dict[str, np.ndarray] | None:
        """The arrays kept under ``key``, or None (none kept, or not readable)."""
        file = self._file(key)
        if not file.is_file():
            return None
        try:
            with np.load(file, allow_pickle=False) as archive:
                arrays = {name: archive[name] for name in archive.files}
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:  # truncated, not an archive, pickled
            log.warning("%s: unreadable (%s), not used", file, brief(exc))
            return None
        try:
            os.utime(file)  # used now: the last to be removed
        except OSError:
            pass
        return arrays

    def write(self, key: str, arrays: Mapping[str, np.ndarray]) -> None:
        """Keep ``arrays`` under ``key`` (a warning when the folder cannot be written)."""
        file = self._file(key)
        try:
            with new_file(file) as tmp, tmp.open("wb") as fh:
                np.savez(fh, allow_pickle=False, **arrays)
            self._prune(keep=file)
        except OSError as exc:
            log.warning("%s: not written (%s); the hierarchy is built again next time", file, brief(exc))

    def _prune(self, keep: Path) -> None:
        """Remove the files used least recently beyond ``settings.hierarchies_kept``."""
        files = []
        for file in self.folder.glob("*.npz"):
            try:
                files.append((file.stat().st_mtime_ns, file))
            except OSError:
                continue  # removed meanwhile by another worker
        files.sort(reverse=True)
        for _mtime, file in files[settings.hierarchies_kept :]:
            if file != keep:
                file.unlink(missing_ok=True)
