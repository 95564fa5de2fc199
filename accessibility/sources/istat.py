"""Read ISTAT resident population by single year of age (one comune)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from accessibility.errors import InputNotFoundError, PopulationError
from accessibility.i18n import _
from accessibility.sources.surveys import read_csv_records

REQUIRED = ("age", "tot")


def read_population_by_age(path: str | Path) -> pd.DataFrame:
    """The ISTAT table ``age, F, M, tot`` (age 100 means 100 and over), checked.

    Raises
    ------
    PopulationError
        A column is missing, or a row has a non-numeric or negative count; the message
        names the row.
    """
    path = Path(path)
    if not path.is_file():
        raise InputNotFoundError(_("population table not found: {path}").format(path=path))
    records = read_csv_records(path, PopulationError)  # binary, empty or broken files: one clear line
    table = pd.DataFrame(
        [dict(zip(records.headers, r)) for r in records.records], columns=records.headers, dtype=object
    ).fillna("")
    missing = [c for c in REQUIRED if c not in table.columns]
    if missing:
        raise PopulationError(
            _("{path}: missing column(s) {columns}; expected {expected}").format(
                path=path.name, columns=", ".join(missing), expected=", ".join(REQUIRED)
            )
        )
    if not len(table):
        raise PopulationError(_("{path}: the table has no rows").format(path=path.name))
    out = pd.DataFrame(index=table.index)
    for column in ("age", "tot", "F", "M"):
        if column not in table:
            continue
        numbers = pd.to_numeric(table[column].astype(str).str.strip(), errors="coerce")
        bad = numbers.isna() | (numbers < 0) | ~numbers.apply(lambda v: bool(v == v) and float(v).is_integer())
        if bad.any():
            row = int(bad.idxmax())
            raise PopulationError(
                _("{path}: row {row}, column {column}: {value} is not a count of people").format(
                    path=path.name, row=records.numbers[row], column=column, value=repr(table.at[row, column])
                )
            )
        out[column] = numbers.astype(int)
    return out
