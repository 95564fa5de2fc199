"""The survey import holds the store's lock for the write alone: it validates against a
snapshot, then re-checks only what other imports stored since."""

from __future__ import annotations

import datetime as dt

from accessibility.sources.surveys import read_survey_file
from accessibility.surveys.importing import recheck
from accessibility.surveys.validate import validate
from survey_fixtures import grid_workspace

TODAY = dt.date(2026, 1, 10)


def test_rows_stored_after_the_snapshot_are_not_stored_twice(tmp_path):
    city, files = grid_workspace(tmp_path)
    table = read_survey_file(files / "good_semicolon_comma.csv")
    existing, last = city.store.snapshot()
    early = validate(table, city.area, city.network, "Anna", TODAY, existing)
    assert early.accepted and not early.already_stored
    # another import stores the same file between the snapshot and the lock
    other = city.import_surveys(files / "good_semicolon_comma.csv", surveyor="Anna", today=TODAY)
    assert len(other.accepted) == len(early.accepted)
    with city.store.transaction() as tx:
        added = tx.added_since(last)
    recheck(early, added)
    assert early.accepted == [] and len(early.already_stored) == len(other.accepted)
    assert all(f.report < len(early.accepted) for f in early.flags)


def test_an_id_taken_after_the_snapshot_is_rejected(tmp_path):
    city, files = grid_workspace(tmp_path)
    table = read_survey_file(files / "good_semicolon_comma.csv")
    existing, last = city.store.snapshot()
    early = validate(table, city.area, city.network, "Anna", TODAY, existing)
    refs = [r["ref"] for r in early.accepted if r["ref"]]
    assert refs
    first = early.accepted[0]
    with city.store.transaction() as tx:  # another import stored a different report with the same id
        other = dict(first, content_hash="another", description="altro")
        tx.add_reports(
            [other],
            by="Bruno",
            source_file="altro.csv",
            file_sha256="0",
            rows=1,
            rejected=0,
            flagged=0,
            already_stored=0,
        )
        added = tx.added_since(last)
    kept = len(early.accepted)
    recheck(early, added)
    assert len(early.accepted) == kept - 1
    assert any(r.field == "id" and "already used by stored report" in str(r.reason) for r in early.rejects)
