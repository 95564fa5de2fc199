"""The survey reports as the office reads them: one spreadsheet sheet (writes nothing itself:
:func:`accessibility.outputs.export.write_xlsx` writes it, every text cell a string, never a
formula)."""

from __future__ import annotations

import json

import pandas as pd

from accessibility.i18n import N_, _, use_language
from accessibility.model.sheets import sheet_fields
from accessibility.outputs.export import Sheet
from accessibility.surveys.review import status_label
from accessibility.surveys.schema import kind_label
from accessibility.surveys.validate import flag_labels

__all__ = ["SURVEY_COLUMNS", "survey_sheet"]

#: The columns of the sheet: header (an English catalogue message) and kind of figure.
SURVEY_COLUMNS: dict[str, tuple[str, str | None]] = {
    "report_id": (N_("Number"), "int"),
    "ref": (N_("Surveyor's code"), None),
    "status_label": (N_("Status"), None),
    "kind_label": (N_("Kind of barrier"), None),
    "kind": (N_("Kind (code)"), None),
    "barrier_code": (N_("Barrier code"), None),
    "kerb_height_cm": (N_("Kerb height (cm)"), "decimal"),
    "width_cm": (N_("Free width (cm)"), "decimal"),
    "incline_pct": (N_("Slope (%)"), "decimal"),
    "step_count": (N_("Number of steps"), "int"),
    "length_m": (N_("Length (m)"), "decimal"),
    "severity": (N_("Severity"), "int"),
    "surface": (N_("Surface"), None),
    "street": (N_("Street and house number"), None),
    "description": (N_("Description"), None),
    "surveyor": (N_("Surveyor"), None),
    "surveyed_on": (N_("Survey date"), None),
    "temporary": (N_("Temporary"), None),
    "expires_on": (N_("Until"), None),
    "lat": (N_("Latitude"), "coord"),
    "lon": (N_("Longitude"), "coord"),
    "gps_precision_m": (N_("GPS accuracy (m)"), "decimal"),
    "facility": (N_("Facility (OpenStreetMap element)"), None),
    "answers_label": (N_("Facility sheet answers"), None),
    "flags_label": (N_("To check"), None),
    "photo": (N_("Photo"), None),
    "photos": (N_("Photos stored"), None),
    "status_note": (N_("Review note"), None),
    "submission_id": (N_("Submission id (field tool)"), None),
    "source_file": (N_("Imported from"), None),
    "updated_at": (N_("Last change"), None),
}


def survey_sheet(reports: pd.DataFrame, lang: str | None = "it") -> Sheet:
    """The reports as one sheet, headers, statuses, kinds and flags in ``lang``.

    Parameters
    ----------
    reports
        The store's reports (:meth:`accessibility.surveys.store.SurveyStore.reports`).
    lang
        The language of the sheet.

    Returns
    -------
    Sheet
    """
    with use_language(lang):
        frame = reports.copy()
        frame["status_label"] = frame["status"].map(status_label)
        frame["kind_label"] = frame["kind"].map(kind_label)
        frame["flags_label"] = frame["flags"].map(flag_labels)
        frame["temporary"] = frame["temporary"].map(lambda t: _("yes") if t else _("no"))
        if "answers" in frame:
            frame["answers_label"] = frame["answers"].map(_answers)
        columns = [c for c in SURVEY_COLUMNS if c in frame]
        return Sheet(
            pd.DataFrame(frame[columns]),
            headers={c: _(SURVEY_COLUMNS[c][0]) for c in columns},
            kinds={c: k for c, (_h, k) in SURVEY_COLUMNS.items() if k and c in columns},
        )


def _answers(text: object) -> str | None:
    """A facility survey's answers (JSON) as people read them: ``Accessible toilet: si; ...``
    in the language in use, in the sheet's order."""
    if not isinstance(text, str) or not text:
        return None
    try:
        answers = json.loads(text)
    except json.JSONDecodeError:
        return text
    if not isinstance(answers, dict):
        return text
    specs = sheet_fields()
    order = [n for n in specs if n in answers] + [n for n in answers if n not in specs]
    return "; ".join(f"{_(specs[n].label) if n in specs else n}: {answers[n]}" for n in order)
