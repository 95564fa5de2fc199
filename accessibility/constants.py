"""Constants shared across the package: fixed by standards or by the data model, never
settings (those are in :mod:`accessibility.settings`)."""

from __future__ import annotations

__all__ = ["FACILITY_COLUMNS", "OSM_ATTRIBUTION", "SEVERITIES", "WGS84"]

#: Longitude/latitude on the WGS84 ellipsoid: every export, map and user-facing coordinate.
WGS84 = "EPSG:4326"

#: A profile's judgement of a barrier, from harmless to impassable.
SEVERITIES: tuple[str, ...] = ("none", "unknown", "hindering", "blocking")

#: Columns of the facilities table (OpenStreetMap and registries alike). ``osm_tags``,
#: ``entrance_tags`` and ``nearby`` are JSON: what the facility sheet reads
#: (:mod:`accessibility.model.sheets`).
FACILITY_COLUMNS: list[str] = [
    "category",
    "name",
    "wheelchair",
    "osm_type",
    "osm_id",
    "tags",
    "entrances",
    "outline",
    "source",
    "osm_tags",
    "entrance_tags",
    "nearby",
]

#: What every map, report and export made from OpenStreetMap says of its data (the ODbL asks
#: for it where people see the data: map attribution, report footer, file metadata).
OSM_ATTRIBUTION = "© OpenStreetMap contributors (ODbL)"
