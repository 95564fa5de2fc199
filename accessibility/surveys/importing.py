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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import pandas as pd

from accessibility import settings
from accessibility.errors import SurveyError
from accessibility.i18n import M, Message, _
from accessibility.outputs.export import write_csv
from accessibility.sources.surveys import RawTable, read_survey_file
from accessibility.surveys.store import SurveyStore, prepare_reports
from accessibility.surveys.validate import Reject, Validation, validate

__all__ = ["ImportResult", "file_sha256", "flagged_list", "import_file", "recheck", "rejects_table"]

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
    keep: list[int] = []
    for position, report in enumerate(validation.accepted):
        row = report["source_row"]
        if report["content_hash"] in hashes:
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
) -> ImportResult:
    """Import a survey file (CSV, XLSX, GeoJSON, GeoPackage) into ``store``.

    Valid rows are stored together or not at all; rows already stored are skipped;
    rejected rows go to ``<name>.rejects.csv`` beside the file (an old one is removed
    when nothing is rejected: it would describe errors now fixed).

    Raises
    ------
    SurveyError
        No surveyor, or the file cannot be read as a survey table.
    """
    if not surveyor or not str(surveyor).strip():
        raise SurveyError(_("say who imports the file (surveyor)"))
    if crs is not None and crs not in settings.survey_crs:
        raise SurveyError(
            _("unsupported CRS {crs}; use one of EPSG {codes}").format(
                crs=crs, codes=", ".join(map(str, sorted(settings.survey_crs)))
            )
        )
    path = Path(path)
    table = read_survey_file(path, columns=columns)
    sha256 = file_sha256(path)
    today = today or dt.date.today()
    existing, last = store.snapshot()
    validation = validate(table, area, network, surveyor, today, existing, crs)  # without the lock
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
        validation.notes,
    )
    log.info(result.summary())
    return result
