#!/usr/bin/env python3
"""Regenerate the survey forms shipped in data/ from the catalogues (Italian first):

    data/scheda_rilievo.xlsx         XLSForm for KoboToolbox and ODK Central
    data/scheda_rilievo_qfield.gpkg  GeoPackage template for QField
    data/scheda_impianto.xlsx        XLSForm of the facility sheet (scheda impianto)

Run after changing data/barriers.toml, data/survey_columns.toml, data/facility_sheet.toml
or the forms' labels;
tests/test_forms.py fails while the shipped files differ from what this writes.
"""

from pathlib import Path

from accessibility.i18n import use_language
from accessibility.outputs.forms import write_facility_xlsform, write_qfield_template, write_xlsform

DATA = Path(__file__).resolve().parents[1] / "data"

if __name__ == "__main__":
    with use_language("it"):
        print(write_xlsform(DATA / "scheda_rilievo.xlsx"))
        print(write_qfield_template(DATA / "scheda_rilievo_qfield.gpkg"))
        print(write_facility_xlsform(DATA / "scheda_impianto.xlsx"))
