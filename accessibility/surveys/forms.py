"""The survey form itself (scheda di rilievo), built from the project's own catalogues (pure).

Surveyors collect barrier reports with the field tools they already use: KoboToolbox /
KoboCollect and ODK Collect / ODK Central read an XLSForm; QField edits a GeoPackage.
Both are generated here from ``data/barriers.toml`` (the kinds and their labels),
``data/survey_columns.toml`` (which measurement each kind needs) and the ranges of
:mod:`accessibility.surveys.schema`, so the form never drifts from what the import
accepts: every question is named with a column name the importer already maps
(``tipo``, ``altezza_cordolo_cm``, ``data_rilievo`` ...; the position is the geopoint
``posizione``). Labels come from the text catalogue, Italian first.

:func:`form_fields` is the form as data; :func:`xlsform_sheets` lays it out as the three
sheets of an XLSForm (``survey``, ``choices``, ``settings``); writing files is
:mod:`accessibility.outputs.forms`' job.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from accessibility.i18n import LANGUAGES, N_, in_every_language
from accessibility.model.barriers import taxonomy
from accessibility.sources.surveys import survey_schema
from accessibility.surveys.schema import RANGES

__all__ = [
    "FACILITY_FORM_ID",
    "FORM_ID",
    "Choice",
    "FormField",
    "choice_lists",
    "facility_choice_lists",
    "facility_form_fields",
    "facility_xlsform_sheets",
    "form_fields",
    "xlsform_sheets",
]

#: The form's id in KoboToolbox and ODK Central (one id per form: new versions replace old).
FORM_ID = "scheda_rilievo_barriere"
#: XLSForm language names, as KoboToolbox and ODK write them.
LANGUAGE_NAMES = {"it": "Italiano (it)", "en": "English (en)"}

#: The question that carries each measurement (a name the importer maps), its XLSForm
#: type, its label and hint.
MEASUREMENTS = {
    "kerb_height_cm": (
        "altezza_cordolo_cm",
        "decimal",
        N_("Kerb height (cm)"),
        N_("The level difference between footpath and road, in centimetres."),
    ),
    "width_cm": (
        "larghezza_cm",
        "decimal",
        N_("Free width (cm)"),
        N_("The narrowest free width left to walk through, in centimetres."),
    ),
    "incline_pct": (
        "pendenza_pct",
        "decimal",
        N_("Slope (%)"),
        N_("Positive uphill, negative downhill, in the direction of the way."),
    ),
    "step_count": ("gradini", "integer", N_("Number of steps"), ""),
    "length_m": ("lunghezza_m", "decimal", N_("Length (m)"), N_("How long the barrier is along the path.")),
}


@dataclass(frozen=True)
class Choice:
    """One answer of a list: its stored value and its label (an English catalogue message)."""

    name: str
    label: str


@dataclass(frozen=True)
class FormField:
    """One question of the form (an XLSForm ``survey`` row)."""

    type: str
    name: str
    label: str = ""
    hint: str = ""
    required: bool = False
    constraint: str = ""
    constraint_message: str = ""
    relevant: str = ""
    appearance: str = ""
    default: str = ""
    parameters: str = ""
    body: dict[str, str] = field(default_factory=dict)


def choice_lists() -> dict[str, list[Choice]]:
    """The answer lists: barrier kinds (the taxonomy, then the survey-only kinds), the
    severity scale, yes/no."""
    kinds = [Choice(name, kind.label) for name, kind in taxonomy().items()]
    kinds += [Choice(name, table["label"]) for name, table in survey_schema()["clearing_kinds"].items()]
    severity = [
        Choice("1", N_("1 - minor: passable with care")),
        Choice("2", N_("2 - hinders some people")),
        Choice("3", N_("3 - hinders many people")),
        Choice("4", N_("4 - passable only with help")),
        Choice("5", N_("5 - impassable")),
    ]
    yes_no = [Choice("si", N_("yes")), Choice("no", N_("no"))]
    return {"tipo": kinds, "gravita": severity, "si_no": yes_no}


def _range(field_name: str) -> tuple[str, str]:
    low, high = RANGES[field_name]
    return (f". >= {low:g} and . <= {high:g}", N_("Out of range: the value must be between {low} and {high}."))


def form_fields() -> list[FormField]:
    """The questions of the scheda di rilievo, in order."""
    measure_of = survey_schema()["measure_field"]
    kinds_needing: dict[str, list[str]] = {}
    for kind, measure in measure_of.items():
        kinds_needing.setdefault(measure, []).append(kind)
    fields = [
        FormField("start", "start"),
        FormField("end", "end"),
        FormField("username", "username"),
        FormField("deviceid", "deviceid"),
        FormField(
            "select_one tipo",
            "tipo",
            N_("Kind of barrier"),
            N_("What stops or hinders people here."),
            required=True,
            appearance="minimal",
        ),
        FormField(
            "geopoint",
            "posizione",
            N_("Position"),
            N_("Stand at the barrier and wait until the accuracy is a few metres."),
            required=True,
            body={"accuracyThreshold": "5"},
        ),
    ]
    for measure, (name, kind, label, hint) in MEASUREMENTS.items():
        constraint, message = _range(measure)
        needed_by = kinds_needing.get(measure, [])
        relevant = " or ".join(f"selected(${{tipo}}, '{k}')" for k in needed_by) if needed_by else ""
        if measure == "length_m":
            relevant = ""  # any barrier along a path can have a length
        fields.append(
            FormField(kind, name, label, hint, constraint=constraint, constraint_message=message, relevant=relevant)
        )
    fields += [
        FormField("select_one gravita", "gravita", N_("Severity"), required=False),
        FormField(
            "text",
            "superficie",
            N_("Surface"),
            N_("The paving as OpenStreetMap names it: sett, cobblestone, gravel, asphalt ..."),
        ),
        FormField("text", "via", N_("Street and house number"), N_("Where it is, as people say it.")),
        FormField("text", "descrizione", N_("Description"), appearance="multiline"),
        FormField("select_one si_no", "temporaneo", N_("Temporary (works, scaffolding, stalls)"), default="no"),
        FormField(
            "date",
            "scadenza",
            N_("Until"),
            N_("The day the temporary barrier is expected to go."),
            required=True,
            relevant="${temporaneo} = 'si'",
            constraint=". >= today()",
            constraint_message=N_("The date must not be in the past."),
        ),
        FormField("image", "foto", N_("Photo"), parameters="max-pixels=2048"),
        FormField("image", "foto_2", N_("Second photo"), relevant="${foto} != ''", parameters="max-pixels=2048"),
        FormField("image", "foto_3", N_("Third photo"), relevant="${foto_2} != ''", parameters="max-pixels=2048"),
        FormField(
            "text",
            "codice_barriera",
            N_("Barrier code (optional)"),
            N_("The code printed on the plan or the barrier sheet, when you report on a known barrier."),
        ),
        FormField("text", "rilevatore", N_("Surveyor"), default="${username}"),
        FormField("today", "data_rilievo"),
    ]
    return fields


def _texts(message: str, column: str) -> dict[str, str]:
    """``message`` in every language of the catalogue, as an XLSForm's ``column::Language``."""
    if not message:
        return {}
    every = in_every_language(message)
    return {f"{column}::{LANGUAGE_NAMES[lang]}": every[lang] for lang in LANGUAGES}


def _measure_ranges(row: dict[str, str], name: str) -> None:
    """A measurement's constraint message with the range of ``schema`` filled in."""
    if name not in {n for n, *_ in MEASUREMENTS.values()}:
        return
    measure = next(m for m, (n, *_) in MEASUREMENTS.items() if n == name)
    low, high = RANGES[measure]
    for key, value in list(row.items()):
        if key.startswith("constraint_message::"):
            row[key] = value.format(low=f"{low:g}", high=f"{high:g}")


def _xlsform(
    fields: list[FormField],
    choice_lists: dict[str, list[Choice]],
    title: str,
    form_id: str,
    instance_name: str,
    version: str | None,
) -> dict[str, list[dict[str, str]]]:
    """A form's fields and choice lists as the rows of an XLSForm's three sheets, every
    label and hint in every language of the catalogue, Italian the default language."""
    survey = []
    for f in fields:
        row = {"type": f.type, "name": f.name, **_texts(f.label, "label"), **_texts(f.hint, "hint")}
        if f.required:
            row["required"] = "yes"
        if f.constraint:
            row["constraint"] = f.constraint
            row.update(_texts(f.constraint_message, "constraint_message"))
            _measure_ranges(row, f.name)
        for key in ("relevant", "appearance", "default", "parameters"):
            if getattr(f, key):
                row[key] = getattr(f, key)
        for key, value in f.body.items():
            row[f"body::{key}"] = value
        survey.append(row)
    choices = [
        {"list_name": list_name, "name": option.name, **_texts(option.label, "label")}
        for list_name, options in choice_lists.items()
        for option in options
    ]
    settings = [
        {
            "form_title": in_every_language(title)[LANGUAGES[0]],
            "form_id": form_id,
            "version": version or _package_version(),
            "default_language": LANGUAGE_NAMES[LANGUAGES[0]],
            "instance_name": instance_name,
        }
    ]
    return {"survey": survey, "choices": choices, "settings": settings}


def xlsform_sheets(version: str | None = None) -> dict[str, list[dict[str, str]]]:
    """The barrier form as the rows of an XLSForm's three sheets (see :func:`_xlsform`)."""
    return _xlsform(
        form_fields(),
        choice_lists(),
        N_("Barrier survey sheet"),
        FORM_ID,
        "concat(${tipo}, ' - ', ${via}, ' - ', ${data_rilievo})",
        version,
    )


def _package_version() -> str:
    from accessibility import __version__

    return __version__


# --- QField --------------------------------------------------------------------------------

#: Field types of the QField layer (GeoPackage column types), by question name.
QFIELD_TYPES = {
    "tipo": "TEXT",
    "altezza_cordolo_cm": "REAL",
    "larghezza_cm": "REAL",
    "pendenza_pct": "REAL",
    "gradini": "INTEGER",
    "lunghezza_m": "REAL",
    "gravita": "INTEGER",
    "superficie": "TEXT",
    "via": "TEXT",
    "descrizione": "TEXT",
    "temporaneo": "TEXT",
    "scadenza": "DATE",
    "foto": "TEXT",
    "foto_2": "TEXT",
    "foto_3": "TEXT",
    "codice_barriera": "TEXT",
    "rilevatore": "TEXT",
    "data_rilievo": "DATE",
    "precisione_m": "REAL",
}
#: QGIS expressions that fill a field when a surveyor adds a point in QField.
QFIELD_DEFAULTS = {
    "data_rilievo": "now()",
    "rilevatore": "coalesce(@cloud_username, @user_full_name)",
    "precisione_m": "@position_horizontal_accuracy",
    "temporaneo": "'no'",
}


def qfield_style(lang: str | None = None) -> str:
    """The QGIS layer style (QML) of the QField template: a drop-down of barrier kinds,
    severity and yes/no, date pickers, photos stored at paths relative to the project,
    defaults (date, surveyor, GPS accuracy), labels in ``lang``, range constraints.
    QGIS applies it when the GeoPackage is opened (it is stored as the layer's default)."""
    import xml.etree.ElementTree as ET

    from accessibility.i18n import _, use_language

    lists = choice_lists()
    by_name = {f.name: f for f in form_fields()}
    with use_language(lang):
        aliases = {
            name: _(by_name[name].label) if name in by_name and by_name[name].label else name for name in QFIELD_TYPES
        }
        aliases["precisione_m"] = _("GPS accuracy (m)")
        options = {key: [(_(c.label), c.name) for c in choices] for key, choices in lists.items()}
        ranges = {}
        for measure, (name, *_rest) in MEASUREMENTS.items():
            low, high = RANGES[measure]
            ranges[name] = (
                low,
                high,
                _("Out of range: the value must be between {low} and {high}.").format(low=f"{low:g}", high=f"{high:g}"),
            )

    def option(parent: ET.Element, **attrs: str) -> ET.Element:
        return ET.SubElement(parent, "Option", attrs)

    def widget(field: ET.Element, kind: str) -> ET.Element:
        edit = ET.SubElement(field, "editWidget", {"type": kind})
        return option(ET.SubElement(edit, "config"), type="Map")

    root = ET.Element("qgis", {"version": "3.34.0", "styleCategories": "Fields|Forms"})
    configuration = ET.SubElement(root, "fieldConfiguration")
    lists_of = {"tipo": "tipo", "gravita": "gravita", "temporaneo": "si_no"}
    for name in QFIELD_TYPES:
        field = ET.SubElement(configuration, "field", {"name": name, "configurationFlags": "None"})
        if name in lists_of:
            mapping = option(widget(field, "ValueMap"), name="map", type="List")
            for label, value in options[lists_of[name]]:
                option(option(mapping, type="Map"), name=label, value=value, type="QString")
        elif QFIELD_TYPES[name] == "DATE":
            config = widget(field, "DateTime")
            option(config, name="calendar_popup", value="true", type="bool")
            option(config, name="display_format", value="dd/MM/yyyy", type="QString")
            option(config, name="field_format", value="yyyy-MM-dd", type="QString")
        elif name.startswith("foto"):
            config = widget(field, "ExternalResource")
            option(config, name="DocumentViewer", value="1", type="int")  # shows the image
            option(config, name="RelativeStorage", value="1", type="int")  # paths relative to the project
            option(config, name="StorageMode", value="0", type="int")
        else:
            widget(field, "TextEdit")
    alias_list = ET.SubElement(root, "aliases")
    defaults = ET.SubElement(root, "defaults")
    constraints = ET.SubElement(root, "constraints")
    expressions = ET.SubElement(root, "constraintExpressions")
    required = {"tipo", "data_rilievo"}
    for index, name in enumerate(QFIELD_TYPES):
        ET.SubElement(alias_list, "alias", {"field": name, "index": str(index), "name": aliases[name]})
        ET.SubElement(
            defaults, "default", {"field": name, "expression": QFIELD_DEFAULTS.get(name, ""), "applyOnUpdate": "0"}
        )
        flag = "1" if name in required else "0"
        ET.SubElement(
            constraints,
            "constraint",
            {
                "field": name,
                "constraints": flag,
                "notnull_strength": flag,
                "unique_strength": "0",
                "exp_strength": "1" if name in ranges else "0",
            },
        )
        if name in ranges:
            low, high, text = ranges[name]
            quoted = f'"{name}"'
            ET.SubElement(
                expressions,
                "constraint",
                {
                    "field": name,
                    "desc": text,
                    "exp": f"{quoted} IS NULL OR ({quoted} >= {low:g} AND {quoted} <= {high:g})",
                },
            )
    ET.SubElement(root, "editorlayout").text = "generatedlayout"
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + ET.tostring(root, encoding="unicode")


# --- the facility sheet (scheda impianto) ------------------------------------------------

#: The facility form's id in KoboToolbox and ODK Central.
FACILITY_FORM_ID = "scheda_impianto"
#: The facility form's sections: the groups of ``data/facility_sheet.toml``, with labels.
FACILITY_GROUPS = {
    "entrance": N_("The way in (the entrance you used)"),
    "inside": N_("Inside"),
    "sports": N_("Sports: changing room, shower, pool"),
    "outside": N_("Outside: parking"),
}
#: Hints of the questions by kind of field (lengths in centimetres, as the sheet reads them).
_KIND_HINTS = {
    "length": N_("In centimetres."),
    "percent": N_("In percent (8 for 8 %)."),
    "level": N_("0 is the ground floor; several storeys separated by ;"),
}


def facility_choice_lists() -> dict[str, list[Choice]]:
    """The facility form's answer lists: yes/no, and yes/limited/no."""
    return {
        "si_no": [Choice("si", N_("yes")), Choice("no", N_("no"))],
        "si_limitato_no": [Choice("si", N_("yes")), Choice("limitato", N_("limited")), Choice("no", N_("no"))],
    }


def facility_form_fields() -> list[FormField]:
    """The questions of the scheda impianto, in order: the facility, its position, then
    every field of ``data/facility_sheet.toml`` by section (named as the sheet's fields,
    so that :func:`accessibility.model.sheets.with_survey` reads the answers as they
    are), photos, notes. Facility-specific fields (the pool hoist) are asked of every
    facility: the surveyor leaves them empty where they do not apply."""
    from accessibility.model.sheets import sheet_fields

    specs = sheet_fields()
    fields = [
        FormField("start", "start"),
        FormField("end", "end"),
        FormField("username", "username"),
        FormField("deviceid", "deviceid"),
        FormField("text", "impianto", N_("Name of the facility"), N_("As on the facility sheet."), required=True),
        FormField(
            "text",
            "elemento_osm",
            N_("OpenStreetMap element (optional)"),
            N_("As printed on the facility sheet, e.g. way/123456."),
            constraint="regex(., '^(node|way|relation)/[0-9]+$')",
            constraint_message=N_("Write node/, way/ or relation/ and the number."),
        ),
        FormField(
            "geopoint",
            "posizione",
            N_("Position"),
            N_("Stand at the main entrance and wait until the accuracy is a few metres."),
            required=True,
            body={"accuracyThreshold": "5"},
        ),
    ]
    for group, label in FACILITY_GROUPS.items():
        fields.append(FormField("begin_group", f"gruppo_{group}", label))
        for name, spec in specs.items():
            if spec.group != group:
                continue
            if spec.kind == "yesno":
                kind = "select_one si_limitato_no" if spec.limited else "select_one si_no"
                fields.append(FormField(kind, name, spec.label, appearance="minimal"))
            elif spec.kind == "count":
                high = spec.max if spec.max is not None else 1000
                fields.append(
                    FormField(
                        "integer",
                        name,
                        spec.label,
                        constraint=f". >= 0 and . <= {high:g}",
                        constraint_message=N_("The number must be 0 or more."),
                    )
                )
            elif spec.kind in {"length", "percent"}:
                fields.append(
                    FormField(
                        "decimal",
                        name,
                        spec.label,
                        _KIND_HINTS[spec.kind],
                        constraint=". >= 0" if spec.kind == "length" else "",
                        constraint_message=N_("The number must be 0 or more.") if spec.kind == "length" else "",
                    )
                )
            else:
                fields.append(FormField("text", name, spec.label, _KIND_HINTS.get(spec.kind, "")))
        fields.append(FormField("end_group", f"gruppo_{group}"))
    fields += [
        FormField("image", "foto", N_("Photo"), parameters="max-pixels=2048"),
        FormField("image", "foto_2", N_("Second photo"), relevant="${foto} != ''", parameters="max-pixels=2048"),
        FormField("image", "foto_3", N_("Third photo"), relevant="${foto_2} != ''", parameters="max-pixels=2048"),
        FormField("text", "descrizione", N_("Description"), appearance="multiline"),
        FormField("text", "rilevatore", N_("Surveyor"), default="${username}"),
        FormField("today", "data_rilievo"),
    ]
    return fields


def facility_xlsform_sheets(version: str | None = None) -> dict[str, list[dict[str, str]]]:
    """The scheda impianto as the rows of an XLSForm's three sheets (see :func:`_xlsform`)."""
    return _xlsform(
        facility_form_fields(),
        facility_choice_lists(),
        N_("Facility survey sheet"),
        FACILITY_FORM_ID,
        "concat(${impianto}, ' - ', ${data_rilievo})",
        version,
    )
