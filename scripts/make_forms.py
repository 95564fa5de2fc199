#!/usr/bin/env python3
"""Regenerate the survey forms shipped in data/ from the catalogues (Italian first):

    data/scheda_rilievo.xlsx         XLSForm for KoboToolbox and ODK Central
    data/scheda_rilievo_qfield.gpkg  GeoPackage template for QField

Run after changing data/barriers.toml, data/survey_columns.toml or the form's labels;
tests/test_forms.py fails while the shipped files differ from what this writes.
"""

from pathlib import Path

from accessibility.i18n import use_language
from accessibility.outputs.forms import write_qfield_template, write_xlsform

DATA = Path(__file__).resolve().parents[1] / "data"

if __name__ == "__main__":
    with use_language("it"):
        print(write_xlsform(DATA / "scheda_rilievo.xlsx"))
        print(write_qfield_template(DATA / "scheda_rilievo_qfield.gpkg"))
