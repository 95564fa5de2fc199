"""A survey import: read a file, validate its rows, store the good ones, write the rejects.

:func:`import_file` wires the reader (:mod:`accessibility.sources.surveys`), the checks
(:mod:`accessibility.surveys.validate`) and the store; :class:`ImportResult` says what it
did, and :func:`rejects_table` is the file a surveyor corrects and imports again.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import geopandas as gpd
import networkx as nx
import pandas as pd

from accessibility import settings
from accessibility.errors import PhotoError, SurveyError
from accessibility.i18n import M, Message, _
from accessibility.outputs.export import write_csv
from accessibility.sources.media import MediaFiles, media_beside
from accessibility.sources.surveys import CSV_SUFFIXES, GEO_SUFFIXES, XLSX_SUFFIXES, RawTable, read_survey_file
from accessibility.surveys.facility import FACILITY_COLUMNS, FACILITY_FORMS, is_facility_table
from accessibility.surveys.photos import store_photo
from accessibility.surveys.store import SurveyStore, prepare_reports
from accessibility.surveys.validate import Flag, Reject, Validation, validate
from accessibility.values import normalise_name

__all__ = [
    "ImportResult",
    "attach_photos",
    "file_sha256",
    "flagged_list",
    "import_file",
    "recheck",
    "rejects_table",
]

log = logging.getLogger(__name__)


@dataclass
class ImportResult:
    """What an import did: report ids stored, rows rejected (with reasons), reports flagged
    for review, rows already in the store, and where the rejects file was written."""

    file: str
    rows: int
    accepted: list[int]
    rejected: list[Reject]
    flagged: list[dict[str, Any]]
    already_stored: list[int]
    rejects_path: str | None
    notes: list[Message]

    @property
    def rejected_rows(self) -> list[int]:
        return sorted({r.row for r in self.rejected})

    def summary(self) -> str:
        return (
            f"{self.file}: {self.rows} rows, {len(self.accepted)} accepted, {len(self.rejected_rows)} rejected, "
            f"{len({f['report_id'] for f in self.flagged})} flagged for review, "
            f"{len(self.already_stored)} already in the store"
        )


def flagged_list(validation: Validation, report_ids: list[int]) -> list[dict[str, Any]]:
    """The flags of a validation with the store ids of their reports (``reason`` is a
    :class:`~accessibility.i18n.Message`: ``str()`` shows it in the language in use)."""
    return [
        {"report_id": report_ids[f.report], "row": f.row, "code": f.code, "reason": f.reason} for f in validation.flags
    ]


def rejects_table(table: RawTable, validation: Validation) -> pd.DataFrame:
    """One line per rejected row: the row number, the fields and the reasons (headers and
    reasons in the language in use: ``riga, campo, motivo`` in Italian), then the row as
    the file gave it, so the surveyor can correct the file and import it again (these
    three columns are ignored on import)."""
    by_row: dict[int, list[Reject]] = {}
    for r in validation.rejects:
        by_row.setdefault(r.row, []).append(r)
    original = dict(zip(table.row_numbers, table.original))
    heads = (_("row"), _("field"), _("reason"))
    lines = []
    for row in sorted(by_row):
        problems = by_row[row]
        reasons = "; ".join(f"{p.field}: {p.reason}" + (f" ({p.value})" if p.value else "") for p in problems)
        lines.append(
            {
                heads[0]: row,
                heads[1]: "; ".join(p.field for p in problems),
                heads[2]: reasons,
                **{k: v for k, v in original.get(row, {}).items() if k not in heads},
            }
        )
    return pd.DataFrame(lines)


def recheck(validation: Validation, added: pd.DataFrame) -> bool:
    """Check a validation made against a snapshot once more against the reports stored
    since (``added``: ``report_id, ref, content_hash``), in place: a row another import
    stored meanwhile is already stored; a row whose id it took is rejected. Linear in
    the rows of the file and those added since, so it is cheap under the store's lock.
    Returns whether the accepted reports changed."""
    if not len(added) or not validation.accepted:
        return False
    hashes = set(added["content_hash"])
    refs = {str(r): int(rid) for r, rid in zip(added["ref"], added["report_id"]) if isinstance(r, str) and r}
    subs = {str(s) for s in added.get("submission_id", []) if isinstance(s, str) and s}
    keep: list[int] = []
    for position, report in enumerate(validation.accepted):
        row = report["source_row"]
        if report["content_hash"] in hashes or report.get("submission_id") in subs:
            validation.already_stored.append(row)
        elif report["ref"] is not None and report["ref"] in refs:
            validation.rejects.append(
                Reject(
                    row,
                    "id",
                    report["ref"],
                    M(
                        "id {ref} already used by stored report #{other} with different data: give a new id",
                        ref=report["ref"],
                        other=refs[report["ref"]],
                    ),
                )
            )
        else:
            keep.append(position)
    if len(keep) == len(validation.accepted):
        return False
    new_position = {old: new for new, old in enumerate(keep)}
    validation.accepted = [validation.accepted[i] for i in keep]
    validation.flags = [
        dataclasses.replace(f, report=new_position[f.report]) for f in validation.flags if f.report in new_position
    ]
    validation.already_stored.sort()
    return True


def attach_photos(validation: Validation, media: MediaFiles, workspace: Path) -> list[Message]:
    """Find the photos each accepted report names among ``media``, store them in the
    workspace (:func:`~accessibility.surveys.photos.store_photo`: checked, without their
    metadata) and give the report their references (``photos``). A photo not found or
    refused flags its report; nothing is rejected for a photo. Returns notes for the
    whole file."""
    notes: list[Message] = []
    named = sum(len(r.get("_photo_names") or []) for r in validation.accepted)
    if named and not len(media):
        notes.append(
            M(
                "the file names {count} photos, but no photo files are beside it (give the media folder or zip)",
                count=named,
            )
        )
    for position, report in enumerate(validation.accepted):
        names = report.pop("_photo_names", None) or []
        if not len(media):
            continue
        stored: list[str] = []
        for name in names:
            data = media.read(name)
            if data is None:
                _flag(validation, position, "photo_missing", M("photo {name} not found with the file", name=name))
                continue
            try:
                stored.append(store_photo(workspace, data, name).path)
            except PhotoError as exc:
                _flag(validation, position, "photo_refused", M("photo not attached: {reason}", reason=str(exc)))
        report["photos"] = ";".join(dict.fromkeys(stored)) or None
    for report in validation.accepted:
        report.pop("_photo_names", None)
    return notes


def _flag(validation: Validation, position: int, code: str, reason: Message) -> None:
    report = validation.accepted[position]
    validation.flags.append(Flag(report["source_row"], position, code, reason))
    codes = set(filter(None, (report.get("flags") or "").split(";"))) | {code}
    report["flags"] = ";".join(sorted(codes))


#: The table inside a zip export is one of these (ODK Central's "all data and media").
_TABLE_SUFFIXES = CSV_SUFFIXES | XLSX_SUFFIXES | GEO_SUFFIXES


def _table_in_zip(path: Path, folder: Path) -> Path:
    """The survey table of a zip export, copied into ``folder`` under its own last name:
    the shallowest table file of the zip (ODK Central's main CSV; repeat groups sit in
    files whose names add ``-<group>``, so the shortest name wins among equals)."""
    with zipfile.ZipFile(path) as archive:
        tables = [
            i
            for i in archive.infolist()
            if not i.is_dir() and PurePosixPath(i.filename).suffix.lower() in _TABLE_SUFFIXES
        ]
        if not tables:
            raise SurveyError(_("{file}: the zip holds no survey table (CSV, XLSX, GeoPackage)").format(file=path.name))
        best = min(tables, key=lambda i: (i.filename.count("/"), len(i.filename), i.filename))
        if best.file_size > settings.survey_max_zip_table_bytes:
            raise SurveyError(
                _("{file}: {member} is too large to be a survey table").format(file=path.name, member=best.filename)
            )
        target = folder / PurePosixPath(best.filename).name  # the last name only: never outside the folder
        target.write_bytes(archive.read(best))
    return target


def _read_table(path: Path, columns: dict[str, str] | None) -> RawTable:
    """The survey table of a file, or of the zip export it is."""
    if path.suffix.lower() == ".zip" and zipfile.is_zipfile(path):
        with tempfile.TemporaryDirectory(prefix="accessibility-zip-") as folder:
            return read_survey_file(_table_in_zip(path, Path(folder)), columns=columns)
    return read_survey_file(path, columns=columns)


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def import_file(
    store: SurveyStore,
    path: str | Path,
    *,
    surveyor: str,
    area: gpd.GeoDataFrame,
    network: nx.MultiDiGraph,
    crs: int | None = None,
    columns: dict[str, str] | None = None,
    today: dt.date | None = None,
    media: Iterable[str | Path] = (),
    facilities: gpd.GeoDataFrame | None = None,
    form: str | None = None,
) -> ImportResult:
    """Import a survey file (CSV, XLSX, GeoJSON, GeoPackage, or a zip holding one and its
    media) into ``store``.

    Valid rows are stored together or not at all; rows already stored are skipped (the
    same content, or the same submission of a field tool); rejected rows go to
    ``<name>.rejects.csv`` beside the file (an old one is removed when nothing is
    rejected: it would describe errors now fixed). The photos the rows name are looked
    for beside the file, in its media folders, in the zip, and in ``media`` (folders or
    zips), and stored in the workspace (:func:`attach_photos`).

    A file of the facility form (``form="impianto"``, or columns ``impianto`` /
    ``elemento_osm``) holds facility sheet surveys about ``facilities``
    (:mod:`accessibility.surveys.facility`), stored as reports of kind ``facility``.

    Raises
    ------
    SurveyError
        No surveyor, the file cannot be read as a survey table, an unknown ``form``, or a
        facility file without ``facilities``.
    """
    if form is not None and normalise_name(form) not in FACILITY_FORMS | {"rilievo", "barriere", "barrier"}:
        raise SurveyError(_("unknown form {form}: use impianto or rilievo").format(form=repr(form)))
    if not surveyor or not str(surveyor).strip():
        raise SurveyError(_("say who imports the file (surveyor)"))
    if crs is not None and crs not in settings.survey_crs:
        raise SurveyError(
            _("unsupported CRS {crs}; use one of EPSG {codes}").format(
                crs=crs, codes=", ".join(map(str, sorted(settings.survey_crs)))
            )
        )
    path = Path(path)
    table = _read_table(path, columns)
    facility_form = normalise_name(form) in FACILITY_FORMS if form else is_facility_table(table.headers)
    if facility_form:
        if facilities is None:
            raise SurveyError(_("a facility sheet survey needs the city's facilities"))
        table = _read_table(path, {**FACILITY_COLUMNS, **(columns or {})})
    sha256 = file_sha256(path)
    today = today or dt.date.today()
    existing, last = store.snapshot()
    validation = validate(  # without the lock
        table, area, network, surveyor, today, existing, crs, facilities if facility_form else None
    )
    photo_notes = attach_photos(validation, media_beside(path, [Path(m) for m in media]), store.path.parent)
    prepared = prepare_reports(validation.accepted, surveyor, str(path))
    with store.transaction() as tx:  # the lock, for the write alone
        if recheck(validation, tx.added_since(last)):  # rows stored meanwhile: prepare what is left
            prepared = prepare_reports(validation.accepted, surveyor, str(path))
        _import_id, ids = tx.add_reports(
            prepared,
            by=surveyor,
            source_file=str(path),
            file_sha256=sha256,
            rows=len(table.rows),
            rejected=len(validation.rejected_rows),
            flagged=len({f.report for f in validation.flags}),
            already_stored=len(validation.already_stored),
        )
    rejects_path = path.with_name(f"{path.name.rsplit('.', 1)[0]}.rejects.csv")
    if validation.rejects:
        write_csv(rejects_table(table, validation), rejects_path, sep=table.delimiter or ",")
    else:
        rejects_path.unlink(missing_ok=True)
    result = ImportResult(
        str(path),
        len(table.rows),
        ids,
        validation.rejects,
        flagged_list(validation, ids),
        validation.already_stored,
        str(rejects_path) if validation.rejects else None,
        [*validation.notes, *photo_notes],
    )
    log.info(result.summary())
    return result
