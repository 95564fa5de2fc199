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
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from accessibility.errors import AccessibilityError, InputNotFoundError, SurveyError
from accessibility.i18n import M, Message, _, number
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
    of their own. Two headers meaning the same field is an error naming both, except for
    the field tools' own columns of ``first_wins`` (the first stands).

    The field tools' names are understood as they write them (:func:`tool_field`): a
    group before the name (``dati/tipo``, ``rilievo-tipo``), a geopoint split into
    ``_posizione_latitude`` or ``posizione-Latitude``, a photo's ``foto_URL``; their
    bookkeeping columns (``_id``, ``meta-instanceID``, ``Edits`` ...) are set aside
    without a note.
    """
    schema = survey_schema()
    aliases = _aliases()
    extra_norm = {normalise_name(k): v for k, v in (extra or {}).items()}
    ignored_names = {normalise_name(n) for n in schema["ignored"]["columns"]}
    skip = set(schema["tool_columns"]["skip"])
    first_wins = set(schema["tool_columns"]["first_wins"])
    mapping: dict[str, str] = {}
    ignored: list[str] = []
    for header in headers:
        key = normalise_name(header)
        if header in skip and key not in extra_norm:
            continue
        target = extra_norm.get(key) or aliases.get(key)
        if target is None and key not in extra_norm:
            target = tool_field(header, extra_norm)
            if target == "":
                continue
        if target is None or key in ignored_names and key not in extra_norm:
            ignored.append(header)
            continue
        twin = next((h for h, f in mapping.items() if f == target), None)
        if twin is not None:
            if target in first_wins:
                continue
            raise SurveyError(
                _("columns {first} and {second} both mean {field}: keep one").format(
                    first=repr(twin), second=repr(header), field=repr(target)
                )
            )
        mapping[header] = target
    return mapping, ignored


@cache
def _aliases() -> dict[str, str]:
    aliases: dict[str, str] = {}
    for fieldname, names in survey_schema()["columns"].items():
        for name in names:
            aliases[normalise_name(name)] = fieldname
    return aliases


#: The parts of a geopoint as KoboToolbox (``_q_latitude``) and ODK Central
#: (``q-Latitude``) split it; the altitude is not kept ("").
_GEOPOINT_PART = re.compile(r"^_?(.+?)[_-](latitude|longitude|altitude|precision|accuracy)$", re.IGNORECASE)
_GEOPOINT_FIELD = {
    "latitude": "lat",
    "longitude": "lon",
    "altitude": "",
    "precision": "gps_precision_m",
    "accuracy": "gps_precision_m",
}


def tool_field(header: str, extra: dict[str, str] | None = None) -> str | None:
    """The field of a header as a field tool writes it, ``""`` for a part to set aside,
    ``None`` when it is no field. ``extra`` maps more normalised names to fields (the
    facility form's questions), looked up before the shipped names.

    >>> [tool_field(h) for h in ("dati/tipo", "rilievo-gradini", "_posizione_latitude", "grp-posizione-Accuracy")]
    ['kind', 'step_count', 'lat', 'gps_precision_m']
    >>> tool_field("foto_2_URL"), tool_field("_posizione_altitude"), tool_field("colore")
    ('photo_2_url', '', None)
    """
    aliases = {**_aliases(), **extra} if extra else _aliases()
    name = header.strip().rsplit("/", 1)[-1]  # KoboToolbox groups: "dati/tipo"
    geo = _GEOPOINT_PART.match(name)
    if geo:
        return _GEOPOINT_FIELD[geo.group(2).lower()]
    if name.endswith("_URL"):  # KoboToolbox's link to a media file beside the file name
        base = tool_field(name[: -len("_URL")], extra) or aliases.get(normalise_name(name[: -len("_URL")]))
        return f"{base}_url" if base in {"photo", "photo_2", "photo_3"} else None
    parts = name.split("-")  # ODK Central groups: "rilievo-tipo"
    for i in range(len(parts)):
        found = aliases.get(normalise_name("-".join(parts[i:])))
        if found is not None:
            return found
    return None


def read_survey_file(path: str | Path, columns: dict[str, str] | None = None, sheet: str | None = None) -> RawTable:
    """Read a survey file of any supported format (chosen by its suffix).

    ``columns`` adds header -> field mappings to the shipped table; ``sheet`` picks an
    XLSX sheet (default: the first).
    """
    path = Path(path)
    if not path.is_file():
        raise InputNotFoundError(_("survey file not found: {path}").format(path=path))
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        table = _named(path, _read_csv, columns)
    elif suffix in XLSX_SUFFIXES:
        table = _named(path, _read_xlsx, columns, sheet)
    elif suffix in GEO_SUFFIXES:
        table = _named(path, _read_geo, columns)
    else:
        raise SurveyError(
            _("{file}: unknown survey file type {suffix}; use CSV, XLSX, GeoJSON or GeoPackage").format(
                file=path.name, suffix=repr(suffix)
            )
        )
    if table.format in {"csv", "xlsx"} and table.rows and not table.mapping:
        raise _not_a_table(
            SurveyError,
            path,
            M(
                "none of its columns ({columns}) is a survey field (tipo, data, lat, lon ...; see data/SURVEYS.md)",
                columns=", ".join(repr(h[:40]) for h in table.headers[:8]),
            ),
        )
    log.info("read %d survey rows from %s (%s)", len(table.rows), path.name, table.format)
    return table


def _named(path: Path, reader: Any, *args: Any) -> RawTable:
    """``reader(path, *args)``; its errors name the file (the column mapping does not know it)."""
    try:
        return reader(path, *args)
    except SurveyError as exc:
        if path.name in str(exc):
            raise
        raise SurveyError(f"{path.name}: {exc}") from None


# --- CSV ---------------------------------------------------------------------------------


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode CSV bytes: UTF-16 with its byte-order mark (Excel's "Unicode text"), UTF-8
    with BOM, UTF-8, else Windows-1252. Returns ``(text, encoding)``."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass  # not text after all: the caller finds the NUL bytes
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError:
            return data[3:].decode("cp1252", errors="replace"), "cp1252"
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


#: The longest cell a CSV may hold, in characters (Python's csv module's own limit): a
#: longer one is no survey note but a damaged or hostile file.
MAX_CELL_CHARS = csv.field_size_limit()
#: Share of control characters (besides tab and line ends) above which a text is binary.
_BINARY_SHARE = 0.10


def _not_a_table(error: type[AccessibilityError], path: Path, reason: Message | str) -> AccessibilityError:
    return error(str(M("{file} is not a readable table: {reason}", file=Path(path).name, reason=reason)))


def _is_binary(text: str) -> bool:
    """NUL bytes, or more control characters than a text file has."""
    if "\x00" in text:
        return True
    sample = text[:65536]
    controls = sum(1 for c in sample if ord(c) < 32 and c not in "\t\r\n\f")
    return controls > _BINARY_SHARE * max(len(sample), 1)


def _parse_csv(text: str, delimiter: str) -> list[list[str]]:
    """The records of ``text``; ``csv.Error`` (with the line) for an unterminated quote or a
    cell over :data:`MAX_CELL_CHARS`. Quoting mistakes inside a line (``1,"x"y``) are
    read leniently, as spreadsheets do."""
    records: list[list[str]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    last_line = 0  # the physical line the last complete record ended on
    try:
        for record in reader:
            records.append(record)
            last_line = reader.line_num
        return records
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise csv.Error(
                M(
                    "the record starting on line {line} has a cell longer than {limit} characters",
                    line=last_line + 1,
                    limit=number(MAX_CELL_CHARS),
                )
            ) from None
        if "unexpected end of data" in str(exc) or "newline inside string" in str(exc):
            raise csv.Error(
                M(
                    "a quote opened in the record starting on line {line} is never closed "
                    "(the rest of the file would be one cell)",
                    line=last_line + 1,
                )
            ) from None
    # another strictness error (a quote in the middle of a cell): read as spreadsheets do
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def read_csv_records(path: Path, error: type[AccessibilityError] = SurveyError) -> CsvRecords:
    """Read any Italian spreadsheet CSV (see module docstring), skipping blank records.

    Shared by survey files and facility registries.

    Raises
    ------
    SurveyError (or ``error``)
        The file is empty, binary, has a quote never closed or a cell longer than
        :data:`MAX_CELL_CHARS`: it is not a readable table (the message says which line).
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise error(_("{file}: cannot be read ({reason})").format(file=path.name, reason=exc.strerror or exc)) from None
    text, encoding = decode_text(data)
    if _is_binary(text):
        raise _not_a_table(error, path, M("it holds binary data, not text (save it as CSV UTF-8 from the spreadsheet)"))
    lines = text.splitlines()
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        raise error(_("{file}: the file is empty").format(file=path.name))
    delimiter = sniff_delimiter(lines[first])
    try:
        records = _parse_csv(text, delimiter)
    except csv.Error as exc:
        reason: Message | str = exc.args[0] if exc.args and isinstance(exc.args[0], Message) else str(exc)
        raise _not_a_table(error, path, reason) from None
    header_index = next((i for i, r in enumerate(records) if any(c.strip() for c in r)), None)
    if header_index is None:  # only separators: no header, no cell
        raise error(_("{file}: the file is empty").format(file=path.name))
    headers = [h.strip() for h in records[header_index]]
    kept, numbers = [], []
    # a record is a spreadsheet row (a quoted cell may span lines): number rows by record
    for row_number, record in enumerate(records[header_index + 1 :], start=header_index + 2):
        if any(c.strip() for c in record):
            kept.append(record)
            numbers.append(row_number)
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
        raise SurveyError(
            _("{file}: not a readable XLSX workbook ({reason})").format(file=path.name, reason=_short(exc))
        ) from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise SurveyError(
                _("{file}: no sheet {sheet}; sheets: {sheets}").format(
                    file=path.name, sheet=repr(sheet), sheets=", ".join(book.sheetnames)
                )
            )
        if not book.worksheets:
            raise SurveyError(_("{file}: the workbook has no sheet").format(file=path.name))
        ws = book[sheet] if sheet else book.worksheets[0]
        cells = [list(r) for r in ws.iter_rows(values_only=True)]
    except SurveyError:
        raise
    except Exception as exc:  # a damaged sheet inside a readable zip
        raise SurveyError(
            _("{file}: not a readable XLSX workbook ({reason})").format(file=path.name, reason=_short(exc))
        ) from None
    finally:
        book.close()
    start = next((i for i, r in enumerate(cells) if any(c not in (None, "") for c in r)), None)
    if start is None:
        raise SurveyError(_("{file}: the sheet is empty").format(file=path.name))
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
        crs = frame.crs.to_string() if frame.crs is not None else "EPSG:4326"
        if frame.crs is not None and frame.crs.to_epsg() != 4326:
            frame = frame.to_crs(4326)
    except Exception as exc:  # GDAL and PROJ report damaged files in many ways
        raise SurveyError(
            _("{file}: not a readable GeoJSON/GeoPackage file ({reason})").format(file=path.name, reason=_short(exc))
        ) from None
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


def _short(exc: BaseException) -> str:
    """An exception's message on one line, at most 200 characters (GDAL's can be long)."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 200 else text[:199] + "…"


def _missing(value: Any) -> bool:
    try:
        return value is None or value != value  # NaN
    except (TypeError, ValueError):
        return False
