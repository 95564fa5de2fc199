"""Read a file of scheduled roadworks: street segments or areas with their dates.

The city's other plans (road maintenance, utilities, the mobility plan) schedule works on
streets; a PEBA folds the removal of barriers on those streets into them. The file is a
GeoJSON or GeoPackage of lines (street segments) or polygons (areas of works), or a CSV
(any Italian spreadsheet form: ``;`` or ``,``, UTF-8 or Windows-1252) with the geometry as
WKT. Columns, Italian or English, in any case:

============  =====================================================================
field         accepted headers
============  =====================================================================
geometry      the file's geometry; in a CSV ``wkt``, ``geometria``, ``geometry``, ``geom``
start         ``data_inizio``, ``inizio``, ``data``, ``dal``, ``start``, ``start_date``, ``date``
end           ``data_fine``, ``fine``, ``al``, ``end``, ``end_date`` (optional)
year          ``anno``, ``year`` (when there is no start date)
id            ``id``, ``codice``, ``cod``, ``numero``, ``works_id`` (default: the record number)
name          ``nome``, ``descrizione``, ``oggetto``, ``via``, ``name``, ``description``, ``street``
============  =====================================================================

Dates as Italian spreadsheets write them (``03/05/2027``, ``2027-05-03``, date cells).
Reading only: which barriers lie on the works is
:func:`accessibility.planning.programme.works_on_barriers`' job.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
from pyproj import CRS

from accessibility.constants import WGS84
from accessibility.errors import InputNotFoundError, RoadworksError
from accessibility.i18n import _
from accessibility.sources.surveys import read_csv_records
from accessibility.values import normalise_name, parse_date

__all__ = ["COLUMNS", "read_roadworks"]

log = logging.getLogger(__name__)

#: Columns of the table :func:`read_roadworks` returns (besides ``geometry``, WGS84).
COLUMNS = ["works_id", "name", "start", "end", "year", "record"]

_HEADERS = {
    "wkt": ("wkt", "geometria", "geometry", "geom", "the_geom"),
    "start": ("data_inizio", "inizio", "data_inizio_lavori", "data", "dal", "start", "start_date", "date", "begin"),
    "end": ("data_fine", "fine", "data_fine_lavori", "al", "end", "end_date", "until"),
    "year": ("anno", "year"),
    "works_id": ("id", "codice", "cod", "numero", "works_id", "code", "fid_lavori"),
    "name": ("nome", "descrizione", "oggetto", "via", "strada", "name", "description", "street", "title"),
}
_KINDS = {"LineString", "MultiLineString", "Polygon", "MultiPolygon"}


def _columns(headers: list[str]) -> dict[str, str]:
    """field -> the file's header for it (the first header that matches)."""
    normal = {normalise_name(h): h for h in reversed(headers)}
    found = {}
    for fieldname, names in _HEADERS.items():
        for name in names:
            if name in normal:
                found[fieldname] = normal[name]
                break
    return found


def _present(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, float) and value != value:
        return False
    return not (isinstance(value, str) and not value.strip())


def read_roadworks(path: str | Path, crs: int | str | None = None) -> gpd.GeoDataFrame:
    """The scheduled roadworks of a file, one row per record, in WGS84.

    Parameters
    ----------
    path
        GeoJSON, GeoPackage, or CSV with a WKT column.
    crs
        The CRS of a CSV's WKT (EPSG code; default WGS84 longitude/latitude). Geographic
        files carry their own.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns :data:`COLUMNS` and ``geometry``: ``start``/``end`` as dates (``end`` may be
        empty), ``year`` of the start (or the file's year), ``record`` the record number a
        person finds in the file (spreadsheet line, header = 1; feature number, first = 1).

    Raises
    ------
    InputNotFoundError
        No such file.
    RoadworksError
        The file cannot be read, or a record has no usable geometry or date: the message
        names the file, the record and why.
    """
    path = Path(path)
    if not path.is_file():
        raise InputNotFoundError(_("roadworks file not found: {path}").format(path=path))
    suffix = path.suffix.lower()
    if suffix in {".csv", ".txt", ".tsv"}:
        frame, numbers, source_crs = _read_csv(path, crs)
    elif suffix in {".geojson", ".json", ".gpkg"}:
        frame, numbers, source_crs = _read_geo(path)
    else:
        raise RoadworksError(
            _("{name}: unknown file type {suffix}; use GeoJSON, GeoPackage or CSV with WKT").format(
                name=path.name, suffix=repr(suffix)
            )
        )
    headers = [c for c in frame.columns if c != "geometry"]
    columns = _columns(headers)
    if "start" not in columns and "year" not in columns:
        raise RoadworksError(
            _(
                "{name}: no column with the start date or year of the works (e.g. data_inizio, anno); "
                "columns: {columns}"
            ).format(name=path.name, columns=", ".join(map(str, headers)))
        )
    rows = []
    for number, (_i, record) in zip(numbers, frame.iterrows()):
        rows.append(_record(path.name, number, record, columns))
    out = gpd.GeoDataFrame(rows, columns=[*COLUMNS, "geometry"], geometry="geometry", crs=source_crs)
    if out.crs is not None and not CRS.from_user_input(out.crs).equals(CRS.from_user_input(WGS84)):
        out = out.to_crs(WGS84)
    _check_lonlat(path.name, out)
    log.info("read %d roadworks from %s", len(out), path.name)
    return out


def _record(name: str, number: int, record: pd.Series, columns: dict[str, str]) -> dict[str, Any]:
    def where(reason: str) -> RoadworksError:
        return RoadworksError(_("{name}: record {number}: {reason}").format(name=name, number=number, reason=reason))

    geom = record.get("geometry")
    if geom is None or (isinstance(geom, float) and geom != geom) or geom.is_empty:
        raise where(_("no geometry"))
    if geom.geom_type not in _KINDS:
        raise where(
            _("a {kind} is not a street segment or an area (give lines or polygons)").format(kind=geom.geom_type)
        )
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    start = end = None
    year = None
    if "start" in columns and _present(record.get(columns["start"])):
        start = _date(record[columns["start"]], columns["start"], where)
        year = start.year
    if "end" in columns and _present(record.get(columns["end"])):
        end = _date(record[columns["end"]], columns["end"], where)
        if start is not None and end < start:
            raise where(_("the works end before they start"))
    if year is None:
        raw = record.get(columns["year"]) if "year" in columns else None
        if not _present(raw):
            raise where(_("no start date nor year"))
        try:
            year = int(float(str(raw).strip()))
        except ValueError:
            raise where(_("{value} is not a year").format(value=repr(raw))) from None
    if not 1900 <= year <= 2200:
        raise where(_("{value} is not a year").format(value=repr(year)))
    works_id = record.get(columns["works_id"]) if "works_id" in columns else None
    label = record.get(columns["name"]) if "name" in columns else None
    return {
        "works_id": str(works_id).strip() if _present(works_id) else str(number),
        "name": str(label).strip() if _present(label) else None,
        "start": start,
        "end": end,
        "year": int(year),
        "record": number,
        "geometry": geom,
    }


def _date(value: Any, column: str, where: Any) -> dt.date:
    try:
        return parse_date(value)
    except (ValueError, TypeError):
        raise where(_("{column}: {value} is not a date").format(column=column, value=repr(value))) from None


def _read_csv(path: Path, crs: int | str | None) -> tuple[pd.DataFrame, list[int], Any]:
    table = read_csv_records(path, RoadworksError)
    columns = _columns(table.headers)
    if "wkt" not in columns:
        raise RoadworksError(
            _("{name}: no WKT column with the geometry of the works (wkt or geometria); columns: {columns}").format(
                name=path.name, columns=", ".join(table.headers)
            )
        )
    rows = []
    for number, cells in zip(table.numbers, table.records):
        row: dict[str, Any] = dict(zip(table.headers, (c.strip() for c in cells)))
        text = row.pop(columns["wkt"], "")
        try:
            row["geometry"] = shapely.from_wkt(text) if text else None
        except shapely.errors.GEOSException:
            raise RoadworksError(
                _("{name}: record {number}: the geometry is not WKT ({value})").format(
                    name=path.name, number=number, value=repr(text[:40])
                )
            ) from None
        rows.append(row)
    frame = pd.DataFrame(rows, columns=[h for h in table.headers if h != columns["wkt"]] + ["geometry"])
    try:
        source = CRS.from_user_input(crs if crs is not None else WGS84)
    except Exception:  # pyproj raises its own CRSError for anything unknown
        raise RoadworksError(_("{crs} is not a known CRS (give an EPSG code)").format(crs=repr(crs))) from None
    return frame, table.numbers, source


def _read_geo(path: Path) -> tuple[pd.DataFrame, list[int], Any]:
    import pyogrio

    try:
        frame = pyogrio.read_dataframe(path)
    except Exception as exc:  # GDAL reports damaged files in many ways
        raise RoadworksError(
            _("{name}: not a readable GeoJSON/GeoPackage file ({reason})").format(name=path.name, reason=exc)
        ) from None
    crs = frame.crs if frame.crs is not None else WGS84
    frame = pd.DataFrame(frame).rename(columns={frame.geometry.name: "geometry"})
    return frame, list(range(1, len(frame) + 1)), crs


def _check_lonlat(name: str, frame: gpd.GeoDataFrame) -> None:
    """WGS84 coordinates out of range mean the file's CRS was not what it said."""
    for number, geom in zip(frame["record"], frame.geometry):
        minx, miny, maxx, maxy = geom.bounds
        if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
            raise RoadworksError(
                _(
                    "{name}: record {number}: coordinates out of longitude/latitude range: "
                    "give the CRS of the file (--roadworks-crs EPSG)"
                ).format(name=name, number=number)
            )
