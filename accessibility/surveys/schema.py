"""What a survey report holds: its fields, their ranges, and the kinds of barrier a
surveyor may name (``gradini``, ``cordolo``), from ``data/barriers.toml`` and
``data/survey_columns.toml`` (pure)."""

from __future__ import annotations

from functools import cache
from typing import Any

from accessibility.i18n import _, in_every_language
from accessibility.model.barriers import taxonomy
from accessibility.sources.surveys import survey_schema
from accessibility.values import normalise_name

__all__ = [
    "MEASURES",
    "RANGES",
    "FACILITY_KIND",
    "REPORT_FIELDS",
    "clearing_kinds",
    "kind_label",
    "kind_names",
    "node_kinds",
    "parse_kind",
]

MEASURES = ("kerb_height_cm", "width_cm", "incline_pct", "step_count", "length_m")
#: Plausible ranges of the measurements and of the severity (inclusive).
RANGES: dict[str, tuple[float, float]] = {
    "kerb_height_cm": (0.0, 100.0),
    "width_cm": (1.0, 2000.0),
    "incline_pct": (-100.0, 100.0),
    "step_count": (1, 1000),
    "length_m": (0.0, 10000.0),
    "severity": (1, 5),
}
INTEGER_FIELDS = frozenset({"step_count", "severity"})
TEXT_FIELDS = ("street", "description", "photo", "surface")
#: The stored form of a report (besides geometry and store bookkeeping).
REPORT_FIELDS = (
    "ref",
    "kind",
    *MEASURES,
    "severity",
    "surface",
    "street",
    "description",
    "photo",
    "surveyor",
    "surveyed_on",
    "temporary",
    "expires_on",
    "barrier_code",
    "submission_id",
    "gps_precision_m",
    "photos",
    "lon",
    "lat",
    "snap",
    "snap_m",
    "flags",
    "content_hash",
    "source_row",
    "facility",
    "answers",
)
#: The kind of a facility sheet survey (scheda impianto) in the store: ``facility`` names
#: the facility's element (``way/123``), ``answers`` the sheet's fields as JSON.
FACILITY_KIND = "facility"


@cache
def kind_names() -> dict[str, str]:
    """Every accepted spelling of a kind (normalised) -> kind name."""
    names: dict[str, str] = {}
    for name, kind in taxonomy().items():
        names[normalise_name(name)] = name
        for label in in_every_language(kind.label).values():
            names[normalise_name(label)] = name
    schema = survey_schema()
    for name, table in schema["clearing_kinds"].items():
        names[normalise_name(name)] = name
        for label in in_every_language(table["label"]).values():
            names[normalise_name(label)] = name
    for alias, name in schema["kind_aliases"].items():
        names[normalise_name(alias)] = name
    return names


def parse_kind(value: Any) -> str:
    """A barrier kind from its name, label or an alias (``gradini`` -> ``steps``)."""
    kind = kind_names().get(normalise_name(str(value)))
    if kind is None:
        raise ValueError("unknown kind")
    return kind


def clearing_kinds() -> dict[str, list[str]]:
    """Survey-only kinds that say a barrier is gone, with the OSM kinds each lifts."""
    return {k: list(t["lifts"]) for k, t in survey_schema()["clearing_kinds"].items()}


def kind_label(kind: str) -> str:
    """A kind's name for people, in the language in use (survey-only kinds included)."""
    if kind in taxonomy():
        return _(taxonomy()[kind].label)
    if kind == FACILITY_KIND:
        return _("facility sheet")
    table = survey_schema()["clearing_kinds"].get(kind)
    return _(table["label"]) if table else kind


def node_kinds() -> frozenset[str]:
    """Kinds that sit on a point (a kerb, a bollard): they snap to a graph node first."""
    return frozenset(survey_schema()["node_kinds"]["kinds"])
