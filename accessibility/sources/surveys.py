"""Read surveyors' barrier report files into raw rows: CSV, XLSX, GeoJSON, GeoPackage.

Reading only: values stay as the file gives them (strings from CSV, numbers and dates
from XLSX); checking and converting them is :mod:`accessibility.surveys`' job. Column
headers are mapped to canonical field names by ``data/survey_columns.toml`` (Italian and
English names), so ``Data rilievo`` and ``surveyed_on`` both become ``surveyed_on``.

CSV files are read as Italian spreadsheets write them: comma, semicolon or tab
separated, UTF-8 with or without a byte-order mark, or Windows-1252.
"""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from accessibility.errors import InputNotFoundError, SurveyError
from accessibility.sources.catalogues import shipped_toml
from accessibility.values import normalise_name

log = logging.getLogger(__name__)

CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
XLSX_SUFFIXES = {".xlsx", ".xlsm"}
GEO_SUFFIXES = {".geojson", ".json", ".gpkg"}


@dataclass
class RawTable:
    """The rows of one survey file, with canonical field names.

    ``rows[i]`` maps canonical fields to the file's values (missing cells left out);
    ``original[i]`` is the same row under the file's own headers (for the rejects file);
    ``row_numbers[i]`` is where a person finds the row: the spreadsheet line (header = 1)
    or the feature number in a GeoJSON/GeoPackage (first = 1).
    """

    path: Path
    format: str
    rows: list[dict[str, Any]]
    original: list[dict[str, Any]]
    row_numbers: list[int]
    headers: list[str]
    mapping: dict[str, str]
    ignored_columns: list[str] = field(default_factory=list)
    encoding: str | None = None
    delimiter: str | None = None
    crs: str | None = None  # of a geographic file's geometry, already turned into lon/lat


@cache
def survey_schema() -> dict[str, Any]:
    """The parsed ``data/survey_columns.toml``."""
    return shipped_toml("survey_columns.toml")


def map_columns(headers: list[str], extra: dict[str, str] | None = None) -> tuple[dict[str, str], list[str]]:
    """Map file headers to canonical fields: ``({header: field}, [ignored headers])``.

    ``extra`` maps more headers (exact or normalised) to fields, for files that use names
    of their own. Two headers meaning the same field is an error naming both.
    """
    aliases: dict[str, str] = {}
    for fieldname, names in survey_schema()["columns"].items():
        for name in names:
            aliases[normalise_name(name)] = fieldname
    extra_norm = {normalise_name(k): v for k, v in (extra or {}).items()}
    ignored_names = {normalise_name(n) for n in survey_schema()["ignored"]["columns"]}
    mapping: dict[str, str] = {}
    ignored: list[str] = []
    for header in headers:
        key = normalise_name(header)
        target = extra_norm.get(key) or aliases.get(key)
        if target is None or key in ignored_names and key not in extra_norm:
            ignored.append(header)
            continue
        twin = next((h for h, f in mapping.items() if f == target), None)
        if twin is not None:
            raise SurveyError(
                f"columns {twin!r} and {header!r} both mean {target!r}: keep one "
                f"(le colonne {twin!r} e {header!r} indicano entrambe {target!r}: tenerne una)"
            )
        mapping[header] = target
    return mapping, ignored


def read_survey_file(path: str | Path, columns: dict[str, str] | None = None, sheet: str | None = None) -> RawTable:
    """Read a survey file of any supported format (chosen by its suffix).

    ``columns`` adds header -> field mappings to the shipped table; ``sheet`` picks an
    XLSX sheet (default: the first).
    """
    path = Path(path)
    if not path.is_file():
        raise InputNotFoundError(f"survey file not found: {path}")
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        table = _read_csv(path, columns)
    elif suffix in XLSX_SUFFIXES:
        table = _read_xlsx(path, columns, sheet)
    elif suffix in GEO_SUFFIXES:
        table = _read_geo(path, columns)
    else:
        raise SurveyError(
            f"{path.name}: unknown survey file type {suffix!r}; use CSV, XLSX, GeoJSON or "
            f"GeoPackage (tipo di file non riconosciuto)"
        )
    log.info("read %d survey rows from %s (%s)", len(table.rows), path.name, table.format)
    return table


# --- CSV ---------------------------------------------------------------------------------


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode CSV bytes: UTF-8 with BOM, UTF-8, else Windows-1252. Returns ``(text, encoding)``."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "cp1252"


def sniff_delimiter(header_line: str) -> str:
    """The separator of a CSV from its header line: the most frequent of ``; , TAB |``
    outside quotes (a header has no decimal commas to mislead the count)."""
    counts = dict.fromkeys((";", ",", "\t", "|"), 0)
    quoted = False
    for ch in header_line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


@dataclass
class CsvRecords:
    """The records of a CSV file as a spreadsheet shows them: ``headers``, ``records``
    (lists of cells), ``numbers`` (the spreadsheet line of each record, header = 1)."""

    headers: list[str]
    records: list[list[str]]
    numbers: list[int]
    encoding: str
    delimiter: str


def read_csv_records(path: Path, what: str = "file") -> CsvRecords:
    """Read any Italian spreadsheet CSV (see module docstring), skipping blank records.

    Shared by survey files and facility registries; ``what`` names the file in errors.
    """
    text, encoding = decode_text(Path(path).read_bytes())
    lines = text.splitlines()
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        raise SurveyError(f"{Path(path).name}: the {what} is empty (il file è vuoto)")
    delimiter = sniff_delimiter(lines[first])
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    header_index = next(i for i, r in enumerate(records) if any(c.strip() for c in r))
    headers = [h.strip() for h in records[header_index]]
    kept, numbers = [], []
    # a record is a spreadsheet row (a quoted cell may span lines): number rows by record
    for number, record in enumerate(records[header_index + 1 :], start=header_index + 2):
        if any(c.strip() for c in record):
            kept.append(record)
            numbers.append(number)
    return CsvRecords(headers, kept, numbers, encoding, delimiter)


def _read_csv(path: Path, columns: dict[str, str] | None) -> RawTable:
    table = read_csv_records(path)
    headers, delimiter = table.headers, table.delimiter
    mapping, ignored = map_columns(headers, columns)
    rows, original = [], []
    for record in table.records:
        values = dict(zip(headers, record))
        if len(record) > len(headers):
            values["_extra_cells"] = delimiter.join(record[len(headers) :])
        original.append(values)
        rows.append({mapping[h]: v.strip() for h, v in values.items() if h in mapping and v.strip() != ""})
    return RawTable(
        path,
        "csv",
        rows,
        original,
        table.numbers,
        headers,
        mapping,
        ignored,
        encoding=table.encoding,
        delimiter=delimiter,
    )


# --- XLSX --------------------------------------------------------------------------------


def _read_xlsx(path: Path, columns: dict[str, str] | None, sheet: str | None) -> RawTable:
    import openpyxl  # only needed for spreadsheets

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise SurveyError(f"{path.name}: not a readable XLSX workbook ({exc})") from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise SurveyError(f"{path.name}: no sheet {sheet!r}; sheets: {', '.join(book.sheetnames)}")
        ws = book[sheet] if sheet else book.worksheets[0]
        cells = [list(r) for r in ws.iter_rows(values_only=True)]
    finally:
        book.close()
    start = next((i for i, r in enumerate(cells) if any(c not in (None, "") for c in r)), None)
    if start is None:
        raise SurveyError(f"{path.name}: the sheet is empty (il foglio è vuoto)")
    headers = [str(c).strip() if c is not None else f"column_{j + 1}" for j, c in enumerate(cells[start])]
    mapping, ignored = map_columns(headers, columns)
    rows, original, numbers = [], [], []
    for i, record in enumerate(cells[start + 1 :], start=start + 2):
        if not any(c not in (None, "") for c in record):
            continue
        values = dict(zip(headers, record))
        original.append(values)
        rows.append(
            {
                mapping[h]: (v.strip() if isinstance(v, str) else v)
                for h, v in values.items()
                if h in mapping and v is not None and not (isinstance(v, str) and not v.strip())
            }
        )
        numbers.append(i)
    return RawTable(path, "xlsx", rows, original, numbers, headers, mapping, ignored)


# --- GeoJSON / GeoPackage ---------------------------------------------------------------------


def _read_geo(path: Path, columns: dict[str, str] | None) -> RawTable:
    """Point features; each point becomes ``lon``/``lat`` in WGS84 (``geometry_error`` for
    a feature whose geometry is not a point)."""
    import pyogrio

    try:
        frame = pyogrio.read_dataframe(path)
    except Exception as exc:  # GDAL reports damaged files in many ways
        raise SurveyError(f"{path.name}: not a readable GeoJSON/GeoPackage file ({exc})") from None
    crs = frame.crs.to_string() if frame.crs is not None else "EPSG:4326"
    if frame.crs is not None and frame.crs.to_epsg() != 4326:
        frame = frame.to_crs(4326)
    headers = [c for c in frame.columns if c != frame.geometry.name]
    mapping, ignored = map_columns(headers, columns)
    rows, original, numbers = [], [], []
    for i, (values, geom) in enumerate(zip(frame[headers].to_dict("records"), frame.geometry), start=1):
        values = {k: v for k, v in values.items() if not _missing(v)}
        row = {mapping[h]: (v.strip() if isinstance(v, str) else v) for h, v in values.items() if h in mapping}
        row = {k: v for k, v in row.items() if v != ""}
        if geom is not None and not geom.is_empty:
            if geom.geom_type == "Point":
                row.pop("x", None), row.pop("y", None), row.pop("crs", None)
                row["lon"], row["lat"] = float(geom.x), float(geom.y)
            else:
                row["geometry_error"] = geom.geom_type
        original.append({**values, "wkt": None if geom is None else geom.wkt})
        rows.append(row)
        numbers.append(i)
    fmt = "gpkg" if path.suffix.lower() == ".gpkg" else "geojson"
    return RawTable(path, fmt, rows, original, numbers, headers, mapping, ignored, crs=crs)


def _missing(value: Any) -> bool:
    try:
        return value is None or value != value  # NaN
    except (TypeError, ValueError):
        return False
