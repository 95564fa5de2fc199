"""Read ISTAT resident population by single year of age (one comune)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from accessibility.errors import InputNotFoundError, PopulationError

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
        raise InputNotFoundError(f"population table not found: {path}")
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in REQUIRED if c not in table.columns]
    if missing:
        raise PopulationError(f"{path}: missing column(s) {', '.join(missing)}; expected {', '.join(REQUIRED)}")
    out = pd.DataFrame(index=table.index)
    for column in ("age", "tot", "F", "M"):
        if column not in table:
            continue
        numbers = pd.to_numeric(table[column].str.strip(), errors="coerce")
        bad = numbers.isna() | (numbers < 0)
        if bad.any():
            row = int(bad.idxmax())
            raise PopulationError(
                f"{path}: row {row + 2}, column {column}: {table.at[row, column]!r} is not a count of people"
            )
        out[column] = numbers.astype(int)
    return out
