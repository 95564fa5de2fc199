"""Write tables with geometry to the files people open: GeoJSON, CSV, GeoPackage, XLSX.

Writes go to a temporary file beside the target and are renamed into place at the end,
so a failure never leaves a partial file where the user expects a result.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio


def write_table(table: gpd.GeoDataFrame, path: str | Path, fmt: str, layer: str = "data") -> Path:
    """Write ``table`` as ``fmt`` (``geojson``, ``csv``, ``gpkg``); CSV gets a WKT column."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        if fmt == "csv":
            frame = pd.DataFrame(table.drop(columns=table.geometry.name))
            frame["wkt"] = table.geometry.to_wkt(rounding_precision=7)
            frame.to_csv(tmp, index=False, encoding="utf-8")
        elif fmt in {"geojson", "gpkg"}:
            tmp.unlink()  # the GDAL drivers want to create the file themselves
            driver = "GeoJSON" if fmt == "geojson" else "GPKG"
            pyogrio.write_dataframe(table, tmp, layer=layer, driver=driver)
        else:
            raise ValueError(f"unknown format {fmt!r}")
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_csv(frame: pd.DataFrame, path: str | Path, sep: str = ",") -> Path:
    """Write a plain table as CSV for spreadsheets (UTF-8 with BOM, so Excel reads accents),
    atomically like :func:`write_table`."""
    path = Path(path)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".csv", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        frame.to_csv(tmp, index=False, sep=sep, encoding="utf-8-sig")
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_xlsx(sheets: dict[str, pd.DataFrame], path: str | Path) -> Path:
    """Write plain tables as sheets of one XLSX workbook (openpyxl), atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".xlsx", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
            for name, frame in sheets.items():
                frame.to_excel(writer, sheet_name=name[:31], index=False)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path
