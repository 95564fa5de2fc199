"""The survey store: a GeoPackage (``surveys.gpkg``) in the workspace folder.

Files only: this module reads and writes the store; checking reports is
:mod:`accessibility.surveys`' job. The store is a plain SQLite file laid out as an OGC
GeoPackage 1.3, so QGIS opens it as it is. Tables:

``surveys``          one point feature per report (WGS84), with its status: barrier
                     reports, and facility sheet surveys (kind ``facility``: the
                     facility's element and the answers as JSON), reviewed alike
``survey_history``   every change: report, when, who, what (import or review), note
``survey_imports``   every import: file, its SHA-256, counts
``survey_meta``      ``schema_version`` and the time the store was created

A store written by an older version of the program is brought up to date the first time
it is opened (the columns added since are added, empty for the reports already there).

Every write runs in one SQLite transaction taken with ``BEGIN IMMEDIATE`` (SQLite's
file lock): two imports at the same time run one after the other, the valid rows of a
file are stored together or not at all, and a unique content hash per report makes a
second import of the same rows add nothing. The lock is held for the write alone: an
import checks its rows against a snapshot first (:meth:`SurveyStore.snapshot`) and,
under the lock, only against the reports stored since (:meth:`StoreTransaction.added_since`).

A workspace rebuilt while an import waits keeps the same store file (a hard link, see
:mod:`accessibility.workspace`); should the file at the store's path be another one by
the time the lock is had (a copy, where links are not possible), the transaction starts
again on the file now there, so no write lands in a file that was replaced.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import sqlite3
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from accessibility import settings
from accessibility.errors import ReviewError, SurveyStoreError
from accessibility.i18n import _
from accessibility.surveys.review import check_transition
from accessibility.surveys.schema import REPORT_FIELDS

log = logging.getLogger(__name__)

_TYPES = {
    "ref": "TEXT",
    "kind": "TEXT NOT NULL",
    "kerb_height_cm": "REAL",
    "width_cm": "REAL",
    "incline_pct": "REAL",
    "step_count": "INTEGER",
    "length_m": "REAL",
    "severity": "INTEGER",
    "surface": "TEXT",
    "street": "TEXT",
    "description": "TEXT",
    "photo": "TEXT",
    "surveyor": "TEXT NOT NULL",
    "surveyed_on": "DATE",
    "temporary": "BOOLEAN",
    "expires_on": "DATE",
    "barrier_code": "TEXT",
    "submission_id": "TEXT",
    "gps_precision_m": "REAL",
    "photos": "TEXT",
    "lon": "REAL",
    "lat": "REAL",
    "snap": "TEXT",
    "snap_m": "REAL",
    "flags": "TEXT",
    "content_hash": "TEXT NOT NULL UNIQUE",
    "source_row": "INTEGER",
    "facility": "TEXT",
    "answers": "TEXT",
}
REPORT_SET = frozenset(REPORT_FIELDS)
#: Columns of the ``surveys`` table besides ``fid`` and ``geom``.
COLUMNS = [
    *REPORT_FIELDS,
    "status",
    "status_note",
    "source_file",
    "import_id",
    "created_at",
    "created_by",
    "updated_at",
]
_EXTRA_TYPES = {
    "status": "TEXT NOT NULL",
    "status_note": "TEXT",
    "source_file": "TEXT",
    "import_id": "INTEGER",
    "created_at": "DATETIME",
    "created_by": "TEXT",
    "updated_at": "DATETIME",
}
_WGS84_WKT = (
    'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,'
    'AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,'
    'AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],'
    'AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]'
)


#: Re-imports look reports up by the field tool's submission id.
_SUBMISSION_INDEX = "CREATE INDEX IF NOT EXISTS surveys_submission ON surveys(submission_id)"


def _schema_sql() -> list[str]:
    columns = ", ".join(f'"{c}" {(_TYPES | _EXTRA_TYPES)[c]}' for c in COLUMNS)
    return [
        "CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, "
        "organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, "
        "description TEXT)",
        "CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, "
        "identifier TEXT UNIQUE, description TEXT DEFAULT '', last_change DATETIME NOT NULL DEFAULT "
        "(strftime('%Y-%m-%dT%H:%M:%fZ','now')), min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, "
        "srs_id INTEGER REFERENCES gpkg_spatial_ref_sys(srs_id))",
        "CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, "
        "geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL, "
        "PRIMARY KEY (table_name, column_name))",
        "INSERT INTO gpkg_spatial_ref_sys VALUES ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', NULL), "
        "('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', NULL), "
        f"('WGS 84 geodetic', 4326, 'EPSG', 4326, '{_WGS84_WKT}', 'longitude/latitude WGS84')",
        f"CREATE TABLE surveys (fid INTEGER PRIMARY KEY AUTOINCREMENT, geom POINT, {columns})",
        "CREATE TABLE survey_history (fid INTEGER PRIMARY KEY AUTOINCREMENT, report_id INTEGER NOT NULL, "
        "at DATETIME NOT NULL, by TEXT NOT NULL, action TEXT NOT NULL, from_status TEXT, to_status TEXT, note TEXT)",
        "CREATE TABLE survey_imports (fid INTEGER PRIMARY KEY AUTOINCREMENT, at DATETIME NOT NULL, by TEXT NOT NULL, "
        "file TEXT, file_sha256 TEXT, rows INTEGER, accepted INTEGER, rejected INTEGER, flagged INTEGER, "
        "already_stored INTEGER)",
        "CREATE TABLE survey_meta (fid INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE, value TEXT)",
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) VALUES "
        "('surveys', 'features', 'surveys', 'barrier reports by surveyors / segnalazioni dei rilevatori', 4326), "
        "('survey_history', 'attributes', 'survey_history', 'every change of every report', NULL), "
        "('survey_imports', 'attributes', 'survey_imports', 'every import', NULL), "
        "('survey_meta', 'attributes', 'survey_meta', 'schema version', NULL)",
        "INSERT INTO gpkg_geometry_columns VALUES ('surveys', 'geom', 'POINT', 4326, 0, 0)",
        "CREATE INDEX surveys_status ON surveys(status)",
        "CREATE INDEX survey_history_report ON survey_history(report_id)",
        _SUBMISSION_INDEX,
    ]


def point_blob(lon: float, lat: float) -> bytes:
    """A GeoPackage geometry blob for a WGS84 point (header without envelope + WKB).

    >>> from shapely import Point
    >>> point_blob(10.0, 45.0) == b"GP\\x00\\x01" + struct.pack("<i", 4326) + Point(10.0, 45.0).wkb
    True
    """
    return _POINT_HEADER + struct.pack("<dd", lon, lat)


#: GeoPackage header (no envelope, SRS 4326) and little-endian WKB point type.
_POINT_HEADER = b"GP" + bytes([0, 1]) + struct.pack("<i", 4326) + struct.pack("<BI", 1, 1)


def now_text() -> str:
    """UTC now as the GeoPackage DATETIME form, ``2025-05-03T09:30:00.000Z``."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class SurveyStore:
    """The survey store of one workspace (created on first write)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def exists(self) -> bool:
        """Whether the store holds its tables (a write rolled back on first use leaves an
        empty SQLite file, which counts as no store)."""
        if not self.path.is_file() or self.path.stat().st_size == 0:
            return False
        con = self._connect()
        try:
            return con.execute("SELECT 1 FROM sqlite_master WHERE type='table'").fetchone() is not None
        except sqlite3.DatabaseError:
            return True  # let the reader say what is wrong with it
        finally:
            con.close()

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, timeout=settings.survey_lock_timeout_s, isolation_level=None)
        con.row_factory = sqlite3.Row
        # a large import writes a unique index of random hashes: a page cache of 128 MB keeps
        # that index in memory instead of re-reading pages for every row under the lock
        with contextlib.suppress(sqlite3.DatabaseError):  # a file that is no database: said later
            con.execute("PRAGMA cache_size = -131072")
        return con

    @contextlib.contextmanager
    def transaction(self) -> Iterator[StoreTransaction]:
        """Hold the store's write lock; commit everything at the end, or nothing on error.

        Raises
        ------
        SurveyStoreError
            The store stayed busy for ``settings.survey_lock_timeout_s``, or the file is
            not an SQLite database.
        """
        if not self.path.parent.is_dir():
            raise SurveyStoreError(_("{path}: the workspace folder does not exist").format(path=self.path.parent))
        con = self._locked()
        try:
            try:
                self._ensure_schema(con)
                yield StoreTransaction(con)
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")
        finally:
            con.close()

    def _locked(self) -> sqlite3.Connection:
        """A connection holding the write lock of the file now at the store's path."""
        for _attempt in range(10):
            before = _identity(self.path)
            con = self._connect()
            try:
                con.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                con.close()
                raise SurveyStoreError(
                    _("{path}: the survey store stayed busy for {seconds} s ({reason}); try again").format(
                        path=self.path, seconds=f"{settings.survey_lock_timeout_s:g}", reason=exc
                    )
                ) from None
            except sqlite3.DatabaseError as exc:
                con.close()
                raise SurveyStoreError(_not_a_store(self.path, exc)) from None
            if before is None or _identity(self.path) == before:  # (None: this connection created it)
                return con
            con.execute("ROLLBACK")  # the file was replaced while we waited: start on the new one
            con.close()
        raise SurveyStoreError(_("{path}: the survey store keeps being replaced; try again").format(path=self.path))

    def _ensure_schema(self, con: sqlite3.Connection) -> None:
        has_meta = con.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='survey_meta'").fetchone()
        if not has_meta:
            tables = con.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall()
            if tables:
                raise SurveyStoreError(_("{path} is not a survey store (it has other tables)").format(path=self.path))
            con.execute("PRAGMA application_id = 1196444487")  # 'GPKG'
            con.execute("PRAGMA user_version = 10300")  # GeoPackage 1.3
            for sql in _schema_sql():
                con.execute(sql)
            con.executemany(
                "INSERT INTO survey_meta (key, value) VALUES (?, ?)",
                [("schema_version", str(settings.survey_store_version)), ("created_at", now_text())],
            )
        else:
            if self._check_version(con):
                _migrate(con)

    def _check_version(self, con: sqlite3.Connection) -> bool:
        """Whether the store is older than this program (to be migrated, see
        :func:`_migrate`); raise when it is newer or of no version this program knows."""
        row = con.execute("SELECT value FROM survey_meta WHERE key='schema_version'").fetchone()
        version = None if row is None else row["value"]
        if version is not None and version.isdigit() and 0 < int(version) < settings.survey_store_version:
            return True
        if version != str(settings.survey_store_version):
            raise SurveyStoreError(
                _(
                    "{path}: survey store schema version {version}, this program reads {expected}; "
                    "export it with the program that wrote it"
                ).format(path=self.path, version=repr(version), expected=settings.survey_store_version)
            )
        return False

    def _up_to_date(self) -> None:
        """Bring an older store up to this program's schema (in a write transaction) before
        reading it: its reports and history stay as they are."""
        con = self._connect()
        try:
            old = con.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='survey_meta'").fetchone()
            if old is None or not self._check_version(con):
                return
        except sqlite3.DatabaseError:
            return  # the reader says what is wrong with it
        finally:
            con.close()
        with self.transaction():
            pass  # _ensure_schema migrates under the lock

    def _read(self, sql: str, params: tuple = ()) -> pd.DataFrame:
        if not self.exists():
            return pd.DataFrame()
        self._up_to_date()
        con = self._connect()
        try:
            self._check_version(con)
            return pd.read_sql_query(sql, con, params=params)
        except (sqlite3.DatabaseError, pd.errors.DatabaseError) as exc:
            raise SurveyStoreError(_not_a_store(self.path, exc)) from None
        finally:
            con.close()

    def reports(self, status: str | None = None) -> pd.DataFrame:
        """All reports (or those of one status) as a plain table, ``report_id`` first."""
        if not self.exists():
            return _empty_reports()
        where, params = ("WHERE status = ?", (status,)) if status else ("", ())
        cols = ", ".join(f'"{c}"' for c in COLUMNS)
        frame = self._read(f"SELECT fid AS report_id, {cols} FROM surveys {where} ORDER BY fid", params)
        return _typed(frame)

    def history(self, report_id: int | None = None) -> pd.DataFrame:
        """Every change, oldest first (of one report if given)."""
        if not self.exists():
            return pd.DataFrame(columns=["report_id", "at", "by", "action", "from_status", "to_status", "note"])
        where, params = ("WHERE report_id = ?", (report_id,)) if report_id is not None else ("", ())
        return self._read(
            f"SELECT report_id, at, by, action, from_status, to_status, note FROM survey_history {where} ORDER BY fid",
            params,
        )

    def find(self, key: str | int) -> int:
        """The number of the report ``key`` names: its number (``12``, ``#12``), or the
        surveyor's own code (``R-002``, compared without case) or the field tool's
        submission id.

        Raises
        ------
        ReviewError
            No report, or several, go by that code.
        """
        text = str(key).strip()
        if text.lstrip("#").isdigit():
            return int(text.lstrip("#"))
        reports = self.reports()
        wanted = text.casefold()
        ids = [
            int(rid)
            for rid, ref, sid in zip(reports["report_id"], reports["ref"], reports["submission_id"])
            if (isinstance(ref, str) and ref.strip().casefold() == wanted)
            or (isinstance(sid, str) and sid.casefold() == wanted)
        ]
        if not ids:
            raise ReviewError(_("no survey report with number or code {code} in the store").format(code=repr(text)))
        if len(ids) > 1:
            raise ReviewError(
                _("{count} reports have the code {code} (#{ids}): give the number").format(
                    count=len(ids), code=repr(text), ids=", ".join(map(str, ids))
                )
            )
        return ids[0]

    def imports(self) -> pd.DataFrame:
        return self._read("SELECT * FROM survey_imports ORDER BY fid")

    def review(self, report_id: int, status: str, note: str | None, by: str) -> dict[str, Any]:
        """Move a report to ``status`` (checked by :func:`surveys.check_transition`), with history."""
        if not by or not by.strip():
            raise ReviewError(_("say who reviews (--by)"))
        with self.transaction() as tx:
            return tx.set_status(report_id, status, note, by)

    def snapshot(self) -> tuple[pd.DataFrame, int]:
        """Every report now stored, and the highest report id among them: what an import
        checks its rows against before it takes the lock (see
        :meth:`StoreTransaction.added_since`)."""
        reports = self.reports()
        last = int(reports["report_id"].max()) if len(reports) else 0
        return reports, last

    def state(self) -> tuple[int, int]:
        """Changes whenever the store file does (for caches)."""
        if not self.exists():
            return (0, 0)
        st = self.path.stat()
        return (st.st_mtime_ns, st.st_size)


_NAMES = ["geom", *COLUMNS]
_INSERT_REPORT = (
    f"INSERT INTO surveys ({', '.join(chr(34) + n + chr(34) for n in _NAMES)}) VALUES ({', '.join('?' * len(_NAMES))})"
)
_IMPORT_ID = _NAMES.index("import_id")
_TEMPORARY = _NAMES.index("temporary")


@dataclass
class PreparedReports:
    """Report rows ready for the store (all but their import id), made before the lock."""

    at: str
    rows: list[list[Any]]
    notes: list[str]


def prepare_reports(reports: list[dict[str, Any]], by: str, source_file: str) -> PreparedReports:
    """The store rows of validated reports, as ``reported`` now by ``by``: the work of an
    import's write that needs no lock (see :meth:`StoreTransaction.add_reports`)."""
    at = now_text()
    fixed = {
        "status": "reported",
        "status_note": None,
        "source_file": source_file,
        "import_id": None,
        "created_at": at,
        "created_by": by,
        "updated_at": at,
    }
    pick = [(c in REPORT_SET, c) for c in COLUMNS]
    rows = []
    for report in reports:
        values = [point_blob(report["lon"], report["lat"]), *(report.get(c) if own else fixed[c] for own, c in pick)]
        values[_TEMPORARY] = int(bool(values[_TEMPORARY]))
        rows.append(values)
    file_name = Path(source_file).name
    notes = [f"{file_name} row {report.get('source_row')}" for report in reports]
    return PreparedReports(at, rows, notes)


class StoreTransaction:
    """Reads and writes inside one :meth:`SurveyStore.transaction`."""

    def __init__(self, con: sqlite3.Connection) -> None:
        self.con = con

    def added_since(self, report_id: int) -> pd.DataFrame:
        """``report_id, ref, content_hash, submission_id`` of the reports stored after
        ``report_id`` (those another import added since a snapshot): a cheap re-check under
        the lock."""
        return pd.read_sql_query(
            "SELECT fid AS report_id, ref, content_hash, submission_id FROM surveys WHERE fid > ? ORDER BY fid",
            self.con,
            params=(int(report_id),),
        )

    def reports(self) -> pd.DataFrame:
        cols = ", ".join(f'"{c}"' for c in COLUMNS)
        return _typed(pd.read_sql_query(f"SELECT fid AS report_id, {cols} FROM surveys ORDER BY fid", self.con))

    def add_reports(
        self,
        reports: list[dict[str, Any]] | PreparedReports,
        by: str,
        source_file: str,
        file_sha256: str,
        rows: int,
        rejected: int,
        flagged: int,
        already_stored: int,
    ) -> tuple[int, list[int]]:
        """Insert validated reports as ``reported``, one history line each, and log the
        import. Returns ``(import id, report ids)``.

        ``reports`` may come prepared (:func:`prepare_reports`, before the lock is taken):
        under the lock there is then only the writing left.
        """
        prepared = reports if isinstance(reports, PreparedReports) else prepare_reports(reports, by, source_file)
        at = prepared.at
        cur = self.con.execute(
            "INSERT INTO survey_imports (at, by, file, file_sha256, rows, accepted, rejected, flagged, already_stored) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (at, by, source_file, file_sha256, rows, len(prepared.rows), rejected, flagged, already_stored),
        )
        import_id = int(cur.lastrowid or 0)
        for values in prepared.rows:
            values[_IMPORT_ID] = import_id
        self._insert_many(_INSERT_REPORT, prepared.rows)
        ids = [
            int(r[0])
            for r in self.con.execute("SELECT fid FROM surveys WHERE import_id = ? ORDER BY fid", (import_id,))
        ]
        self.con.executemany(
            "INSERT INTO survey_history (report_id, at, by, action, from_status, to_status, note) "
            "VALUES (?, ?, ?, 'import', NULL, 'reported', ?)",
            ((rid, at, by, note) for rid, note in zip(ids, prepared.notes)),
        )
        if ids:
            self._update_extent()
        return import_id, ids

    def _insert_many(self, sql: str, rows: Iterable[list[Any]]) -> None:
        """The report rows, in one statement run for each (a separate method so a test can
        make a write fail midway)."""
        self.con.executemany(sql, rows)

    def _update_extent(self) -> None:
        self.con.execute(
            "UPDATE gpkg_contents SET (min_x, min_y, max_x, max_y, last_change) = "
            "(SELECT min(lon), min(lat), max(lon), max(lat), strftime('%Y-%m-%dT%H:%M:%fZ','now') "
            "FROM surveys) WHERE table_name = 'surveys'"
        )

    def set_status(self, report_id: int, status: str, note: str | None, by: str) -> dict[str, Any]:
        fits = isinstance(report_id, int) and -(2**63) <= report_id < 2**63  # SQLite's integers
        row = self.con.execute("SELECT status FROM surveys WHERE fid = ?", (report_id,)).fetchone() if fits else None
        if row is None:
            raise ReviewError(_("no survey report #{report} in the store").format(report=report_id))
        check_transition(report_id, row["status"], status, note)
        at = now_text()
        self.con.execute(
            "UPDATE surveys SET status = ?, status_note = ?, updated_at = ? WHERE fid = ?",
            (status, note, at, report_id),
        )
        self.con.execute(
            "INSERT INTO survey_history (report_id, at, by, action, from_status, to_status, note) "
            "VALUES (?, ?, ?, 'review', ?, ?, ?)",
            (report_id, at, by, row["status"], status, note),
        )
        return {"report_id": report_id, "from": row["status"], "to": status, "at": at, "by": by, "note": note}


def _migrate(con: sqlite3.Connection) -> None:
    """Bring a store of an older schema version up to this one, inside the caller's
    transaction: every column the ``surveys`` table lacks is added (empty for the reports
    already stored), then the version is written. Version 2 added ``barrier_code``;
    version 3 ``submission_id``, ``gps_precision_m`` and ``photos``; version 4 ``facility``
    and ``answers`` (facility sheet surveys)."""
    have = {r["name"] for r in con.execute("PRAGMA table_info(surveys)")}
    for column in COLUMNS:
        if column not in have:
            kind = (_TYPES | _EXTRA_TYPES)[column].replace(" NOT NULL", "").replace(" UNIQUE", "")
            con.execute(f'ALTER TABLE surveys ADD COLUMN "{column}" {kind}')
    con.execute(_SUBMISSION_INDEX)
    con.execute("UPDATE survey_meta SET value = ? WHERE key = 'schema_version'", (str(settings.survey_store_version),))
    log.info("survey store brought up to schema version %d", settings.survey_store_version)


def _identity(path: Path) -> tuple[int, int] | None:
    """Which file is at ``path`` (device and inode), ``None`` when there is none."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_dev, st.st_ino)


def _not_a_store(path: Path, exc: BaseException) -> str:
    return _(
        "{path} cannot be read as a survey store ({reason}); move it away to start a new store, "
        "or restore it from a backup"
    ).format(path=path, reason=exc)


def _empty_reports() -> pd.DataFrame:
    return _typed(pd.DataFrame(columns=["report_id", *COLUMNS]))


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """Give the store's columns stable types whatever SQLite returned (NULL-only columns)."""
    floats = ["kerb_height_cm", "width_cm", "incline_pct", "length_m", "lon", "lat", "snap_m", "gps_precision_m"]
    ints = ["report_id", "step_count", "severity", "source_row", "import_id"]
    out = frame.copy()
    for c in floats:
        out[c] = pd.to_numeric(out[c], errors="coerce").astype("float64")
    for c in ints:
        out[c] = pd.to_numeric(out[c], errors="coerce").astype("Int64")
    out["temporary"] = out["temporary"].fillna(0).astype(int).astype(bool)
    text = [c for c in out.columns if c not in floats + ints + ["temporary"]]
    for c in text:
        out[c] = out[c].astype(object).where(out[c].notna(), None)
    return out
