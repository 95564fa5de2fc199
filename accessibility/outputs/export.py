"""Write tables with geometry to the files people open: GeoJSON, CSV, GeoPackage, XLSX.

Writes go to a temporary file beside the target and are renamed into place at the end,
so a failure never leaves a partial file where the user expects a result.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from accessibility.constants import WGS84
from accessibility.files import new_file, new_folder
from accessibility.i18n import _, use_language


def write_table(table: gpd.GeoDataFrame, path: str | Path, fmt: str, layer: str = "data") -> Path:
    """Write ``table`` as ``fmt`` (``geojson``, ``csv``, ``gpkg``); CSV gets a WKT column."""
    if fmt not in {"csv", "geojson", "gpkg"}:
        raise ValueError(f"unknown format {fmt!r}")
    with new_file(path) as tmp:
        if fmt == "csv":
            frame = pd.DataFrame(table.drop(columns=table.geometry.name))
            frame["wkt"] = table.geometry.to_wkt(rounding_precision=7)
            frame.to_csv(tmp, index=False, encoding="utf-8")
        else:
            pyogrio.write_dataframe(table, tmp, layer=layer, driver="GeoJSON" if fmt == "geojson" else "GPKG")
    return Path(path)


def write_csv(frame: pd.DataFrame, path: str | Path, sep: str = ",") -> Path:
    """Write a plain table as CSV for spreadsheets (UTF-8 with BOM, so Excel reads accents),
    atomically like :func:`write_table`."""
    with new_file(path) as tmp:
        frame.to_csv(tmp, index=False, sep=sep, encoding="utf-8-sig")
    return Path(path)


def write_audit(result, folder: str | Path, lang: str = "it", tiles=None, network=None, basemap: bytes = b"") -> Path:
    """Write an audit's tables (CSV and one GeoPackage ``audit.gpkg``), maps and report.

    Everything is written into a new folder beside ``folder`` and swapped in at the end,
    so a failure never leaves a partial audit where the last good one was.
    """
    from accessibility.analysis.audit import REASONS
    from accessibility.model.facilities import categories
    from accessibility.outputs.maps import score_map, unreachable_map
    from accessibility.outputs.report import render_report

    folder = Path(folder)
    with new_folder(folder) as tmp:
        for name in ("reach", "detour", "completeness"):
            getattr(result, name).to_csv(tmp / f"{name}.csv", index=False, encoding="utf-8-sig")
        wgs = {
            "areas": result.areas.to_crs(WGS84),
            "unreachable": result.unreachable.to_crs(WGS84),
            "facilities": result.facilities.to_crs(WGS84),
        }
        for name in ("areas", "unreachable"):
            frame = pd.DataFrame(wgs[name].drop(columns="geometry"))
            frame["wkt"] = wgs[name].geometry.to_wkt(rounding_precision=7)
            frame.to_csv(tmp / f"{name}.csv", index=False, encoding="utf-8-sig")
        for name, frame in wgs.items():
            pyogrio.write_dataframe(frame, tmp / "audit.gpkg", layer=name, driver="GPKG")
        with use_language(lang):
            labels = {c: _(cat.label) for c, cat in categories().items()}
            reasons = {k: _(v) for k, v in REASONS.items()}
            plabels = {p: _(result.meta["labels"][p]) for p in result.meta["profiles"]}
        (tmp / "maps").mkdir()
        maps: dict[str, str] = {}
        for profile in result.meta["profiles"]:
            plabel = plabels[profile]
            href = f"maps/score_{profile}.html"
            score_map(result.areas, profile, labels, plabel, lang, tiles, network, basemap).save(tmp / href)
            maps[href] = ("Punteggio per zona - " if lang == "it" else "Score per area - ") + plabel
            if profile != "walk":
                href = f"maps/unreachable_{profile}.html"
                unreachable_map(
                    result.unreachable,
                    result.facilities,
                    profile,
                    plabel,
                    reasons,
                    labels,
                    lang,
                    tiles,
                    network,
                    basemap,
                ).save(tmp / href)
                maps[href] = ("Servizi non raggiungibili - " if lang == "it" else "Unreachable facilities - ") + plabel
        (tmp / "report.html").write_text(render_report(result, lang, maps), encoding="utf-8")
    return folder


def write_xlsx(sheets: dict[str, pd.DataFrame], path: str | Path) -> Path:
    """Write plain tables as sheets of one XLSX workbook (openpyxl), atomically."""
    with new_file(path) as tmp:
        with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
            for name, frame in sheets.items():
                frame.to_excel(writer, sheet_name=name[:31], index=False)
    return Path(path)
