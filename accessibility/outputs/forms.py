"""Write the survey forms for the field tools: the XLSForm (KoboToolbox, ODK) and the
QField GeoPackage template. Files only: the forms are made in
:mod:`accessibility.surveys.forms`."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

from accessibility.files import new_file
from accessibility.surveys.forms import facility_xlsform_sheets, xlsform_sheets

__all__ = ["QFIELD_LAYER", "write_facility_xlsform", "write_qfield_template", "write_xlsform"]


def write_xlsform(path: str | Path, version: str | None = None) -> Path:
    """Write the scheda di rilievo as an XLSForm workbook (atomically).

    Every cell is written as text (never a formula): XLSForm expressions such as
    ``. >= 0`` are strings for the field tools to read.
    """
    return _write_sheets(xlsform_sheets(version), path)


def write_facility_xlsform(path: str | Path, version: str | None = None) -> Path:
    """Write the scheda impianto (the facility sheet surveyors fill in) as an XLSForm
    workbook, as :func:`write_xlsform`."""
    return _write_sheets(facility_xlsform_sheets(version), path)


def _write_sheets(sheets: dict[str, list[dict[str, str]]], path: str | Path) -> Path:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        columns: list[str] = []
        for row in rows:
            columns += [c for c in row if c not in columns]
        sheet.append(columns)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([row.get(c, "") for c in columns])
        for cells in sheet.iter_rows(min_row=2):
            for cell in cells:
                cell.data_type = "s"
        sheet.freeze_panes = "A2"
    with new_file(path) as tmp:
        workbook.save(tmp)
    return Path(path)


#: The QField layer's name in the GeoPackage.
QFIELD_LAYER = "segnalazioni"


def write_qfield_template(path: str | Path, lang: str | None = None) -> Path:
    """Write an empty GeoPackage for QField: one point layer (WGS84) with the form's
    fields, and its QGIS style (drop-downs, date pickers, photo fields, defaults,
    constraints) stored in the GeoPackage's ``layer_styles`` table as the default style,
    so QGIS and QField show the form as soon as the file is opened. Photos taken in QField
    are stored at paths relative to the project; the import reads them from there."""
    import sqlite3

    import geopandas as gpd
    import pandas as pd
    import pyogrio

    from accessibility.constants import WGS84
    from accessibility.surveys.forms import QFIELD_TYPES, qfield_style

    dtypes = {"REAL": "float64", "INTEGER": "Int32", "TEXT": "object", "DATE": "object"}
    frame = gpd.GeoDataFrame(
        {name: pd.Series([], dtype=dtypes[kind]) for name, kind in QFIELD_TYPES.items()},
        geometry=gpd.GeoSeries([], crs=WGS84),
        crs=WGS84,
    )
    with new_file(path) as tmp:
        pyogrio.write_dataframe(frame, tmp, layer=QFIELD_LAYER, driver="GPKG", geometry_type="Point")
        con = sqlite3.connect(tmp)
        try:
            con.executescript(
                "CREATE TABLE layer_styles (id INTEGER PRIMARY KEY AUTOINCREMENT, f_table_catalog TEXT(256), "
                "f_table_schema TEXT(256), f_table_name TEXT(256), f_geometry_column TEXT(256), styleName TEXT(30), "
                "styleQML TEXT, styleSLD TEXT, useAsDefault BOOLEAN, description TEXT, owner TEXT(30), ui TEXT(30), "
                "update_time DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')));"
                "INSERT INTO gpkg_contents (table_name, data_type, identifier, description) "
                "VALUES ('layer_styles', 'attributes', 'layer_styles', '');"
            )
            geometry = con.execute(
                "SELECT column_name FROM gpkg_geometry_columns WHERE table_name = ?", (QFIELD_LAYER,)
            ).fetchone()[0]
            con.execute(
                "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, f_geometry_column, "
                "styleName, styleQML, styleSLD, useAsDefault, description, owner, ui) "
                "VALUES ('', '', ?, ?, ?, ?, '', 1, ?, '', '')",
                (QFIELD_LAYER, geometry, QFIELD_LAYER, qfield_style(lang), "accessibility survey form"),
            )
            con.commit()
        finally:
            con.close()
    return Path(path)
