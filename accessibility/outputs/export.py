"""Every table the package writes for people and their programs: GeoJSON, CSV, GeoPackage, XLSX.

All table writers live here, and every export goes through them (barriers, survey
reports, survey rejects, audit tables, plans), so that three promises hold everywhere:

- **Atomic**: writes go to a temporary file beside the target, renamed into place at the
  end; a failure never leaves a partial file where the user expects a result.
- **Text stays text** (OWASP, "CSV injection"): a cell of free text that begins with
  ``=``, ``+``, ``-``, ``@``, a tab or a carriage return would be taken for a formula by
  a spreadsheet. In CSV such a value is written with a leading apostrophe
  (:func:`neutralise`); in XLSX every text cell is written as a string, never a formula.
- **Spreadsheets open it as it is**: CSV for Italian (the default language) uses ``;``
  between fields and a decimal comma, UTF-8 with a byte-order mark, as Italian Excel
  expects; English uses ``,`` and a decimal point (:func:`csv_dialect`, overridable with
  ``sep``/``decimal``). XLSX sheets have headers for people in the page's language,
  rounded figures with number formats, a frozen header row and filters.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from accessibility.constants import OSM_ATTRIBUTION, WGS84
from accessibility.errors import ExportError
from accessibility.files import new_file, new_folder
from accessibility.i18n import _, use_language

__all__ = [
    "FORMULA_STARTS",
    "Sheet",
    "csv_dialect",
    "neutralise",
    "neutralise_frame",
    "restore",
    "write_audit",
    "write_csv",
    "attribution",
    "write_table",
    "write_xlsx",
]

#: First characters that make a spreadsheet read a cell as a formula (OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

#: Excel number formats by kind of column.
_FORMATS = {
    "int": "#,##0",
    "money": "#,##0.00 [$€-x-euro2]",
    "share": "0.0%",
    "decimal": "#,##0.00",
    "coord": "0.0000000",
}


def neutralise(value: Any) -> Any:
    """A text that a spreadsheet would run as a formula, made inert with a leading
    apostrophe (OWASP's advice for CSV); other values as they are.

    >>> neutralise('=HYPERLINK("http://x","y")'), neutralise("-5 cm"), neutralise("Via Po"), neutralise(-5)
    ('\\'=HYPERLINK("http://x","y")', "'-5 cm", 'Via Po', -5)
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def restore(value: Any) -> Any:
    """The text :func:`neutralise` was given, read back from a CSV this package wrote.

    >>> restore(neutralise("=1+1")), restore("'quoted"), restore("Via Po")
    ('=1+1', "'quoted", 'Via Po')
    """
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells (and headers) are :func:`neutralise` d."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(neutralise)
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out


def csv_dialect(lang: str | None = None) -> tuple[str, str]:
    """``(separator, decimal mark)`` for CSV files in ``lang`` (default: the language in
    use): ``;`` and ``,`` for Italian, as Italian Excel reads them; ``,`` and ``.`` for
    English.

    >>> csv_dialect("it"), csv_dialect("en")
    ((';', ','), (',', '.'))
    """
    with use_language(lang) as code:
        return (";", ",") if code == "it" else (",", ".")


def write_csv(
    frame: pd.DataFrame,
    path: str | Path,
    sep: str | None = None,
    decimal: str | None = None,
    lang: str | None = None,
) -> Path:
    """Write a plain table as CSV for spreadsheets, atomically.

    Parameters
    ----------
    frame
        The table; its text cells are :func:`neutralise` d.
    path
        The file to write.
    sep, decimal
        Field separator and decimal mark (default: :func:`csv_dialect` of ``lang``).
    lang
        The language whose spreadsheet conventions to follow (default: the one in use).

    Returns
    -------
    Path
    """
    default_sep, default_decimal = csv_dialect(lang)
    sep = sep or default_sep
    decimal = decimal or (default_decimal if sep != default_decimal else ".")
    if decimal == sep:
        raise ExportError(_("the CSV separator and the decimal mark must differ"))
    with new_file(path) as tmp:
        # CRLF line ends (RFC 4180): a field holding a line break of either kind is quoted
        neutralise_frame(frame).to_csv(
            tmp, index=False, sep=sep, decimal=decimal, encoding="utf-8-sig", lineterminator="\r\n"
        )
    return Path(path)


def attribution(sources: Iterable[Mapping[str, str]] = ()) -> str:
    """What a file says of its data: OpenStreetMap's credit, then each other source with its
    licence (``sources`` as :func:`accessibility.outputs.report.sources_of` lists them).

    >>> attribution([{"name": "ISTAT", "licence": "CC BY 4.0"}])
    '© OpenStreetMap contributors (ODbL); ISTAT (CC BY 4.0)'
    """
    parts = [OSM_ATTRIBUTION]
    parts += [s["name"] + (f" ({s['licence']})" if s.get("licence") else "") for s in sources]
    return "; ".join(parts)


def write_table(
    table: gpd.GeoDataFrame,
    path: str | Path,
    fmt: str,
    layer: str = "data",
    lang: str | None = None,
    sources: str = OSM_ATTRIBUTION,
) -> Path:
    """Write ``table`` as ``fmt`` (``geojson``, ``csv``, ``gpkg``), WGS84 as given.

    CSV gets a ``wkt`` geometry column and the spreadsheet conventions of ``lang``
    (:func:`write_csv`); GeoJSON and GeoPackage keep the field names and values as they
    are (QGIS reads them as data, never as formulas) and carry ``sources`` (default: the
    OpenStreetMap credit; see :func:`attribution`) as the layer's description, which QGIS
    shows in the layer's properties.

    Raises
    ------
    ExportError
        An unknown format.
    """
    if fmt not in {"csv", "geojson", "gpkg"}:
        raise ExportError(_("unknown format {format}; use csv, geojson or gpkg").format(format=repr(fmt)))
    if fmt == "csv":
        frame = pd.DataFrame(table.drop(columns=table.geometry.name))
        frame["wkt"] = table.geometry.to_wkt(rounding_precision=7)
        return write_csv(frame, path, lang=lang)
    with new_file(path) as tmp:
        pyogrio.write_dataframe(
            table,
            tmp,
            layer=layer,
            driver="GeoJSON" if fmt == "geojson" else "GPKG",
            layer_options={"DESCRIPTION": sources},
        )
    return Path(path)


@dataclass
class Sheet:
    """One sheet of a workbook: a table, the header people read for each column (default:
    the column's name) and the kind of figure each holds (``int``, ``money``, ``share``,
    ``decimal``, ``coord``; default: as it is). Figures are rounded to the kind's digits."""

    frame: pd.DataFrame
    headers: Mapping[str, str] = field(default_factory=dict)
    kinds: Mapping[str, str] = field(default_factory=dict)


_DIGITS = {"int": 0, "money": 2, "share": 4, "decimal": 2, "coord": 7}


def _cell(value: Any, kind: str | None) -> Any:
    """A value as a spreadsheet cell: numbers rounded to their kind, missing as empty,
    anything else as text."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        if not math.isfinite(float(value)):
            return None
        return round(float(value), _DIGITS[kind]) if kind in _DIGITS else float(value)
    return value if isinstance(value, str) else str(value)


def write_xlsx(sheets: Mapping[str, Sheet | pd.DataFrame], path: str | Path, sources: str = OSM_ATTRIBUTION) -> Path:
    """Write tables as sheets of one XLSX workbook, atomically.

    Each sheet has a bold, frozen header row with filters, columns wide enough to read,
    rounded figures with number formats; every text cell is a string, never a formula,
    whatever it begins with. The workbook's properties (File > Properties) name the
    data's ``sources`` (default: the OpenStreetMap credit; see :func:`attribution`).

    Parameters
    ----------
    sheets
        Sheet name (at most 31 characters are kept) -> :class:`Sheet` or plain table.
    path
        The file to write.

    Returns
    -------
    Path
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    book.remove(book.active)
    book.properties.creator = "accessibility"
    book.properties.description = sources
    book.properties.subject = sources
    for name, sheet in sheets.items():
        sheet = sheet if isinstance(sheet, Sheet) else Sheet(sheet)
        frame = sheet.frame
        ws = book.create_sheet(title=name[:31])
        columns = list(frame.columns)
        for j, col in enumerate(columns, start=1):
            cell = ws.cell(row=1, column=j)
            cell.value = str(sheet.headers.get(col, col))
            cell.data_type = "s"
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        kinds = [sheet.kinds.get(col) for col in columns]
        for i, row in enumerate(frame.itertuples(index=False, name=None), start=2):
            for j, (value, kind) in enumerate(zip(row, kinds), start=1):
                value = _cell(value, kind)
                cell = ws.cell(row=i, column=j)
                cell.value = value
                if isinstance(value, str):
                    cell.data_type = "s"  # a string, even "=...": never a formula
                elif kind in _FORMATS and isinstance(value, int | float) and not isinstance(value, bool):
                    cell.number_format = _FORMATS[kind]
        for j, col in enumerate(columns, start=1):
            sample = [len(str(sheet.headers.get(col, col)))] + [
                len(str(v)) for v in frame[col].head(200).tolist() if v is not None
            ]
            ws.column_dimensions[get_column_letter(j)].width = min(60, max(8, max(sample) * 0.9 + 2))
        ws.freeze_panes = "A2"
        if columns:
            ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(1, len(frame) + 1)}"
    with new_file(path) as tmp:
        book.save(tmp)
    return Path(path)


def _usability_table(usability: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The audit's ``usability`` table with its judgement in words beside the codes."""
    from accessibility.outputs.report import USE_STATUS, field_labels, need_labels

    table = usability.copy()
    table["status_text"] = table["status"].map(lambda k: _(USE_STATUS.get(k, str(k))))
    table["missing_text"] = table["missing"].map(need_labels)
    table["unknown_text"] = table["unknown"].map(field_labels)
    return table


def write_audit(result, folder: str | Path, lang: str = "it", tiles=None, network=None, basemap: bytes = b"") -> Path:
    """Write an audit's tables (CSV and one GeoPackage ``audit.gpkg``), maps and report.

    Everything is written into a new folder beside ``folder`` and swapped in at the end,
    so a failure never leaves a partial audit where the last good one was. The CSV
    tables follow the spreadsheet conventions of ``lang`` (:func:`write_csv`); the
    unreachable facilities carry the place (street) and the reason in words.
    """
    from accessibility.analysis.audit import REASONS
    from accessibility.model.facilities import categories
    from accessibility.model.places import place_label
    from accessibility.outputs.maps import score_map, unreachable_map
    from accessibility.outputs.report import render_report, sources_of

    folder = Path(folder)
    with new_folder(folder) as tmp, use_language(lang):
        for name in ("reach", "detour", "completeness"):
            write_csv(getattr(result, name), tmp / f"{name}.csv")
        unreachable = result.unreachable.copy()
        if len(unreachable):
            unreachable["place"] = [
                place_label(s, n) for s, n in zip(unreachable.get("street", ""), unreachable.get("near", ""))
            ]
            unreachable["reason_text"] = unreachable["reason"].map(lambda k: _(REASONS.get(k, str(k))))
        wgs = {
            "areas": result.areas.to_crs(WGS84),
            "unreachable": unreachable.to_crs(WGS84),
            "facilities": result.facilities.to_crs(WGS84),
        }
        if result.usability is not None:
            wgs["usability"] = _usability_table(result.usability).to_crs(WGS84)
        for name in [n for n in ("areas", "unreachable", "usability") if n in wgs]:
            frame = pd.DataFrame(wgs[name].drop(columns="geometry"))
            frame["wkt"] = wgs[name].geometry.to_wkt(rounding_precision=7)
            write_csv(frame, tmp / f"{name}.csv")
        sources = attribution(sources_of(result.meta))
        for name, frame in wgs.items():
            pyogrio.write_dataframe(
                frame, tmp / "audit.gpkg", layer=name, driver="GPKG", layer_options={"DESCRIPTION": sources}
            )
        labels = {c: _(cat.label) for c, cat in categories().items()}
        reasons = {k: _(v) for k, v in REASONS.items()}
        plabels = {p: _(result.meta["labels"][p]) for p in result.meta["profiles"]}
        (tmp / "maps").mkdir()
        maps: dict[str, str] = {}
        for profile in result.meta["profiles"]:
            plabel = plabels[profile]
            href = f"maps/score_{profile}.html"
            score_map(result.areas, profile, labels, plabel, lang, tiles, network, basemap).save(tmp / href)
            maps[href] = _("Score per area – {profile}").format(profile=plabel)
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
                maps[href] = _("Unreachable facilities – {profile}").format(profile=plabel)
        (tmp / "report.html").write_text(render_report(result, lang, maps), encoding="utf-8")
    return folder
