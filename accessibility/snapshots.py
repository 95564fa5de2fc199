"""Dated snapshots of the audit, and the adopted programme, inside a workspace. Files only.

Each audit is kept as a snapshot of that day, so that any two can be compared (the
yearly report: :mod:`accessibility.planning.progress`). Layout
(version ``settings.snapshot_version``)::

    snapshots/2026-06-30/
        snapshot.json      date, city, profiles, categories, thresholds, people counted,
                           the OSM sources (SHA-256), survey reports by status
        reach.csv detour.csv completeness.csv unreachable.csv area_scores.csv
        people.csv         residents per network node (total, over65, over80)
        snapshot.gpkg      layers: barriers (in force that day), facilities (audited), areas
        workspace/         the workspace as it was: city.json, network.gpkg, surveys.gpkg
                           (a consistent copy of the survey store), tag_problems.csv
    programme/             the adopted programme (``accessibility programme --adopt``)
        programme.json     budgets, carry-over, lens, adopting act, adoption date
        programme.gpkg     layer programme: every ranked intervention with its year
        years.csv          the money and people per year

A snapshot is written into a new folder and swapped in at the end
(:func:`accessibility.files.new_folder`): a failure leaves the last good one. A second
snapshot on the same day replaces the first. The workspace keeps both folders when it is
rebuilt (``settings.workspace_kept_folders``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd
import pyogrio

from accessibility import settings, workspace
from accessibility.errors import SnapshotError
from accessibility.files import new_folder
from accessibility.i18n import _

if TYPE_CHECKING:
    from accessibility.analysis.audit import Audit
    from accessibility.planning.programme import Programme

__all__ = [
    "AdoptedProgramme",
    "Snapshot",
    "list_snapshots",
    "load_programme",
    "load_snapshot",
    "save_programme",
    "save_snapshot",
]

FORMAT = "accessibility-snapshot"
TABLES = ("reach", "detour", "completeness", "area_scores", "unreachable")


@dataclass
class Snapshot:
    """One dated snapshot, read back: the audit's tables, what it counted, and the
    workspace as it was (``workspace``: a folder :meth:`accessibility.City.load` reads)."""

    date: dt.date
    path: Path
    meta: dict[str, Any]
    reach: pd.DataFrame
    detour: pd.DataFrame
    completeness: pd.DataFrame
    area_scores: pd.DataFrame
    unreachable: pd.DataFrame
    people: pd.DataFrame
    barriers: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    areas: gpd.GeoDataFrame

    @property
    def workspace(self) -> Path:
        return self.path / "workspace"

    @property
    def surveys_path(self) -> Path:
        return self.workspace / settings.survey_store_name


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _copy_store(source: Path, target: Path) -> None:
    """A consistent copy of the survey store, even while someone writes to it (SQLite's
    online backup)."""
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def save_snapshot(
    city_dir: str | Path,
    day: dt.date,
    audit: Audit,
    barriers: gpd.GeoDataFrame,
    surveys_by_status: dict[str, int],
) -> Path:
    """Keep ``audit`` (with the ``barriers`` in force it was made on) as the snapshot of
    ``day`` in the workspace ``city_dir``; returns the snapshot's folder.

    Raises
    ------
    SnapshotError
        The audit does not carry the people it counted (made by an older version).
    """
    city_dir = Path(city_dir)
    meta_ws = workspace.read_meta(city_dir)
    if audit.people is None:
        raise SnapshotError(_("this audit does not carry the people it counted: run it again to keep a snapshot"))
    target = city_dir / settings.snapshots_folder / day.isoformat()
    with new_folder(target) as tmp:
        ws = tmp / "workspace"
        ws.mkdir()
        for name in (workspace.META, workspace.NETWORK, workspace.PROBLEMS):
            if (city_dir / name).is_file():
                shutil.copy2(city_dir / name, ws / name)
        store = city_dir / settings.survey_store_name
        if store.is_file() and store.stat().st_size > 0:
            _copy_store(store, ws / settings.survey_store_name)
        for name in TABLES:
            frame = getattr(audit, name, None) if name != "area_scores" else audit.areas
            if frame is None:
                continue
            frame = pd.DataFrame(frame)
            if "geometry" in frame:
                geometry = gpd.GeoSeries(frame["geometry"], crs=audit.areas.crs)
                frame = frame.drop(columns="geometry")
                if name == "unreachable":
                    frame["wkt"] = geometry.to_wkt()
            frame.to_csv(tmp / f"{name}.csv", index=False, encoding="utf-8")
        people = audit.people.rename_axis("node").reset_index()
        people.to_csv(tmp / "people.csv", index=False, encoding="utf-8")
        areas = audit.areas[["area_id", "name", "geometry"]].drop_duplicates("area_id").reset_index(drop=True)
        gpkg = tmp / "snapshot.gpkg"
        pyogrio.write_dataframe(gpd.GeoDataFrame(barriers), gpkg, layer="barriers", driver="GPKG")
        pyogrio.write_dataframe(audit.facilities, gpkg, layer="facilities", driver="GPKG")
        pyogrio.write_dataframe(gpd.GeoDataFrame(areas, geometry="geometry", crs=audit.areas.crs), gpkg, layer="areas")
        meta = {
            "format": FORMAT,
            "version": settings.snapshot_version,
            "date": day.isoformat(),
            "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "city": meta_ws.get("name"),
            "sources": meta_ws.get("sources", []),
            "network_sha256": file_sha256(city_dir / workspace.NETWORK),
            "surveys": surveys_by_status,
            **{k: v for k, v in audit.meta.items() if k not in {"labels", "speeds"}},
            "thresholds": [_threshold(label) for label in audit.meta.get("thresholds", [])],
        }
        (tmp / "snapshot.json").write_text(
            json.dumps(meta, indent=2, ensure_ascii=False, default=str), encoding="utf-8"
        )
    return target


def _threshold(label: str) -> dict[str, Any]:
    """``"500 m"`` / ``"15 min"`` (the audit's labels) as ``{label, metres, minutes}``."""
    value, unit = label.split(" ", 1)
    return {
        "label": label,
        "metres": float(value) if unit == "m" else None,
        "minutes": float(value) if unit == "min" else None,
    }


def list_snapshots(city_dir: str | Path) -> list[tuple[dt.date, Path]]:
    """The snapshots of a workspace, oldest first: ``(date, folder)``."""
    folder = Path(city_dir) / settings.snapshots_folder
    out = []
    if folder.is_dir():
        for child in folder.iterdir():
            try:
                day = dt.date.fromisoformat(child.name)
            except ValueError:
                continue  # a temporary folder of a write under way, or something else
            if (child / "snapshot.json").is_file():
                out.append((day, child))
    return sorted(out)


def load_snapshot(path: str | Path) -> Snapshot:
    """Read a snapshot folder back.

    Raises
    ------
    SnapshotError
        Not a snapshot, damaged, or of another version.
    """
    path = Path(path)
    meta_file = path / "snapshot.json"
    try:
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise SnapshotError(_("{path} is not a readable snapshot ({reason})").format(path=path, reason=exc)) from None
    if meta.get("format") != FORMAT or meta.get("version") != settings.snapshot_version:
        raise SnapshotError(
            _("{path}: snapshot version {version} is not {expected}").format(
                path=path, version=repr(meta.get("version")), expected=settings.snapshot_version
            )
        )
    try:
        tables = {name: pd.read_csv(path / f"{name}.csv", encoding="utf-8") for name in TABLES}
        people = pd.read_csv(path / "people.csv", encoding="utf-8").set_index("node")
        gpkg = path / "snapshot.gpkg"
        barriers = pyogrio.read_dataframe(gpkg, layer="barriers", use_arrow=True)
        facilities = pyogrio.read_dataframe(gpkg, layer="facilities", use_arrow=True)
        areas = pyogrio.read_dataframe(gpkg, layer="areas", use_arrow=True)
    except (OSError, ValueError, pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise SnapshotError(
            _("{path}: a part of the snapshot cannot be read ({reason})").format(path=path, reason=exc)
        ) from None
    if "node" in barriers:
        barriers["node"] = barriers["node"].astype("Int64")
    for column in ("edge_u", "edge_v", "edge_key", "survey_id"):
        if column in barriers:
            barriers[column] = barriers[column].astype("Int64")
    return Snapshot(
        dt.date.fromisoformat(meta["date"]),
        path,
        meta,
        tables["reach"],
        tables["detour"],
        tables["completeness"],
        tables["area_scores"],
        tables["unreachable"],
        people,
        barriers,
        facilities,
        areas,
    )


# --- the adopted programme -------------------------------------------------------------------------


@dataclass
class AdoptedProgramme:
    """The programme a council adopted: its rows (every ranked intervention with ``year``,
    ``status``, ``programme_cost``, ``barrier_id`` ...), years, and what it was made with."""

    meta: dict[str, Any]
    table: gpd.GeoDataFrame
    years: pd.DataFrame


def save_programme(
    city_dir: str | Path,
    programme: Programme,
    *,
    act_number: str | None = None,
    act_date: dt.date | None = None,
    adopted: dt.date | None = None,
) -> Path:
    """Keep ``programme`` as the workspace's adopted programme (replacing the one before)."""
    target = Path(city_dir) / settings.programme_folder
    workspace.read_meta(city_dir)
    with new_folder(target) as tmp:
        table = programme.table.copy()
        for column in table.columns:
            if table[column].dtype == object and column != table.geometry.name:
                table[column] = table[column].map(lambda v: None if v is None or v != v else str(v))
        pyogrio.write_dataframe(table, tmp / "programme.gpkg", layer="programme", driver="GPKG")
        programme.years.to_csv(tmp / "years.csv", index=False, encoding="utf-8")
        lens = programme.lens
        meta = {
            "format": "accessibility-programme",
            "version": 1,
            "adopted": (adopted or dt.date.today()).isoformat(),
            "act_number": act_number,
            "act_date": act_date.isoformat() if act_date else None,
            "budgets": {str(k): v for k, v in programme.budgets.items()},
            "carry_over": programme.carry_over,
            "cost_share": programme.cost_share,
            "lens": None if lens is None else {"name": lens.name, "label": lens.label},
            "profiles": programme.plan.profiles,
            "categories": programme.plan.categories,
            "threshold_m": programme.plan.threshold_m,
        }
        (tmp / "programme.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False), encoding="utf-8")
    return target


def load_programme(city_dir: str | Path) -> AdoptedProgramme | None:
    """The workspace's adopted programme, or ``None`` when none was adopted."""
    folder = Path(city_dir) / settings.programme_folder
    if not (folder / "programme.json").is_file():
        return None
    try:
        meta = json.loads((folder / "programme.json").read_text(encoding="utf-8"))
        table = pyogrio.read_dataframe(folder / "programme.gpkg", layer="programme", use_arrow=True)
        years = pd.read_csv(folder / "years.csv", encoding="utf-8")
    except (OSError, ValueError, pyogrio.errors.DataSourceError) as exc:
        raise SnapshotError(
            _("{path}: the adopted programme cannot be read ({reason})").format(path=folder, reason=exc)
        ) from None
    table["year"] = table["year"].astype("Int64")
    return AdoptedProgramme(meta, table, years)
