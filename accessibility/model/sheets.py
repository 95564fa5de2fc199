"""The facility sheet (scheda impianto / edificio): what a facility offers inside (pure).

A sports facility or a public building is more than the door a route reaches: people
need to get in, use a toilet, change, get into the water. The sheet describes that,
field by field (``data/facility_sheet.toml``), in the spirit of A11yJSON
(accessibility.cloud, Wheelmap): the entrances (steps, ramp and its slope, door width,
automatic door, bell), the accessible toilet, changing room and shower, a lift between
levels, disabled parking and its distance to the entrance, tactile guidance, a hearing
loop, places for spectators in wheelchairs, a pool hoist.

Every value says where it comes from (:class:`Value`): ``osm`` (which element, which
tag, the value as mapped), ``survey`` (a surveyor's sheet), ``works`` (the works of a
plan, in a plan's hypothetical city) or ``unknown``. Nothing is assumed: a field nobody
mapped is unknown, never "no".

The facilities table (:mod:`accessibility.model.facilities`) keeps, per facility, its
relevant tags (``osm_tags``), its entrances' tags (``entrance_tags``) and the nearby
elements the sheet reads (``nearby``: disabled parking, toilets and lifts inside its
outline), as JSON; :func:`facility_sheet` turns one row into a sheet. A workspace built
before those columns existed still gives a sheet, from its ``wheelchair`` column and
entrances.

>>> sheet = sheet_from_tags("sports", "Piscina", "way", 1, {"leisure": "swimming_pool",
...     "toilets:wheelchair": "no"}, entrances=[{"id": 5, "lon": 10.0, "lat": 45.1,
...     "tags": {"entrance": "main", "step_count": "2"}}])
>>> sheet.value("toilet").value, sheet.value("toilet").source, sheet.value("toilet").element
('no', 'osm', 'way/1')
>>> sheet.entrances[0].value("steps").value, sheet.entrances[0].element
(2.0, 'node/5')
>>> sheet.value("changing_room").source
'unknown'
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

from accessibility.errors import CatalogueError
from accessibility.sources.catalogues import shipped_toml
from accessibility.values import parse_count, parse_incline_pct, parse_length_m

__all__ = [
    "ELEMENTS",
    "GROUPS",
    "KINDS",
    "SOURCES",
    "EntranceSheet",
    "FacilitySheet",
    "FieldSpec",
    "Value",
    "distance_m",
    "facility_sheet",
    "facility_sheets",
    "relevant_keys",
    "sheet_fields",
    "sheet_from_tags",
    "to_a11yjson",
    "with_survey",
]

#: Where a value comes from.
SOURCES: tuple[str, ...] = ("osm", "survey", "works", "unknown")
#: Sections of the sheet, in the order people read them.
GROUPS: tuple[str, ...] = ("entrance", "inside", "sports", "outside")
#: Kinds of field.
KINDS: tuple[str, ...] = ("yesno", "count", "length", "percent", "text", "level")
#: Elements whose tags a field reads: the facility, each entrance, nearby elements.
ELEMENTS: tuple[str, ...] = ("facility", "entrance", "parking", "toilets", "elevator")


@dataclass(frozen=True)
class FieldSpec:
    """One field of the sheet, from ``data/facility_sheet.toml``."""

    name: str
    label: str  #: in English, the catalogue's message: shown as ``_(spec.label)``
    group: str
    kind: str
    element: str
    keys: tuple[str, ...]
    a11yjson: str = ""
    yes: frozenset[str] = frozenset()
    limited: frozenset[str] = frozenset()
    no: frozenset[str] = frozenset()
    fallback: tuple[str, tuple[str, ...]] | None = None
    applies: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    max: float | None = None
    bare_max: float | None = None

    def applies_to(self, tags: Mapping[str, str]) -> bool:
        """Whether the field is asked of a facility with these tags (a pool hoist of a pool)."""
        if not self.applies:
            return True
        return any(value in values for key, values in self.applies.items() for value in _split(tags.get(key)))

    def read(self, raw: str) -> tuple[float | str | None, str]:
        """``(value, problem)`` of a tag value as mapped: ``yes``/``limited``/``no`` for a
        yes/no field, a number for counts, lengths (metres) and slopes (%), the text
        itself otherwise; ``None`` with a short reason when it cannot be read."""
        text = raw.strip()
        if self.kind == "yesno":
            low = text.lower()
            for answer, values in (("yes", self.yes), ("limited", self.limited), ("no", self.no)):
                if low in values:
                    return answer, ""
            return None, f"{raw!r} is not one of {', '.join(sorted(self.yes | self.limited | self.no))}"
        if self.kind == "text" or self.kind == "level":
            return (text, "") if text else (None, "empty")
        if self.kind == "count":
            if text.lower() in self.yes:
                return 1.0, ""
            if text.lower() in self.no:
                return 0.0, ""
            value, problem = parse_count(text)
        elif self.kind == "length":
            value, problem = parse_length_m(text, bare_max=self.bare_max)
        else:
            value, problem = parse_incline_pct(text)
        if value is not None and self.max is not None and not (math.isfinite(value) and abs(value) <= self.max):
            return None, f"{raw!r} is not plausible"
        return value, "" if value is not None else str(problem.text("en") if problem is not None else "no value")


@dataclass(frozen=True)
class Value:
    """One field's value on a sheet, and where it comes from.

    ``value`` is normalised (``yes``/``limited``/``no``, a number in metres, % or a count,
    a text); ``None`` when unknown. ``element`` is ``node/123``, ``way/45`` (OSM), a
    survey's reference, or empty; ``key`` and ``raw`` the tag (or question) read and its
    value as written; ``note`` why a value present could not be used.
    """

    field: str
    value: float | str | None = None
    source: str = "unknown"
    element: str = ""
    key: str = ""
    raw: str = ""
    note: str = ""

    @property
    def known(self) -> bool:
        return self.value is not None


@dataclass(frozen=True)
class EntranceSheet:
    """One entrance: its element, position (WGS84) and the entrance fields."""

    element: str
    lon: float | None
    lat: float | None
    values: Mapping[str, Value]

    def value(self, name: str) -> Value:
        return self.values.get(name) or Value(name)


@dataclass(frozen=True)
class FacilitySheet:
    """The sheet of one facility: its fields, its entrances, the fields asked of it."""

    category: str
    name: str
    element: str
    lon: float | None
    lat: float | None
    tags: Mapping[str, str]
    values: Mapping[str, Value]
    entrances: tuple[EntranceSheet, ...]
    #: the fields asked of this facility (a pool hoist only of pools), in catalogue order
    asked: tuple[str, ...] = ()
    #: works done on it (keys of :class:`~accessibility.model.usability.Defect`): only in a
    #: plan's hypothetical city
    works: frozenset[str] = frozenset()
    #: whether the facility's entrances are mapped (else the facility is its own entrance)
    mapped_entrances: bool = False

    def value(self, name: str) -> Value:
        return self.values.get(name) or Value(name)


@cache
def sheet_fields() -> dict[str, FieldSpec]:
    """The fields of ``data/facility_sheet.toml``, by name, in the catalogue's order.

    Raises
    ------
    CatalogueError
        A field of an unknown kind, group or element.
    """
    raw = shipped_toml("facility_sheet.toml").get("fields", {})
    out: dict[str, FieldSpec] = {}
    for name, t in raw.items():
        if t.get("kind") not in KINDS or t.get("group") not in GROUPS or t.get("element") not in ELEMENTS:
            raise CatalogueError(f"facility_sheet.toml: field {name!r} needs a kind, group and element it knows")
        fallback = t.get("fallback")
        out[name] = FieldSpec(
            name=name,
            label=t["label"],
            group=t["group"],
            kind=t["kind"],
            element=t["element"],
            keys=tuple(t.get("keys", ())),
            a11yjson=t.get("a11yjson", ""),
            yes=frozenset(v.lower() for v in t.get("yes", ())),
            limited=frozenset(v.lower() for v in t.get("limited", ())),
            no=frozenset(v.lower() for v in t.get("no", ())),
            fallback=(fallback["element"], tuple(fallback["keys"])) if fallback else None,
            applies={k: tuple(v) for k, v in t.get("applies", {}).items()},
            max=t.get("max"),
            bare_max=t.get("bare_max"),
        )
    return out


#: Tags kept with a facility besides those the sheet reads (what it is, its name).
_IDENTITY = ("name", "amenity", "leisure", "sport", "healthcare", "building", "access", "operator")
#: Tags kept with nearby elements.
_NEARBY = ("amenity", "parking", "parking_space", "capacity", "access", "name", "highway", "level")


@cache
def relevant_keys(element: str) -> frozenset[str]:
    """The tag keys kept with an element of kind ``element`` at build time (the facility
    keeps its entrance fields' keys too: without mapped entrances it is its own)."""
    keys: set[str] = set()
    for spec in sheet_fields().values():
        elements = {spec.element} | ({"facility"} if spec.element == "entrance" else set())
        if element in elements:
            keys.update(spec.keys)
            keys.update(spec.applies)
        if spec.fallback and spec.fallback[0] == element:
            keys.update(spec.fallback[1])
    if element == "facility":
        keys.update(_IDENTITY)
    elif element == "entrance":
        keys.update(("name", "access", "level"))
    else:
        keys.update(_NEARBY)
    return frozenset(keys)


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in str(value).split(";")] if value else []


def _read(spec: FieldSpec, tags: Mapping[str, str], element: str, keys: Iterable[str]) -> Value | None:
    """The value of ``spec`` from the first of ``keys`` present in ``tags`` (``None`` when
    none is)."""
    for key in keys:
        raw = tags.get(key)
        if raw is None or not str(raw).strip():
            continue
        value, problem = spec.read(str(raw))
        return Value(spec.name, value, "osm" if value is not None else "unknown", element, key, str(raw), problem)
    return None


def _entrance(
    specs: list[FieldSpec], element: str, lon: float | None, lat: float | None, tags: Mapping[str, str]
) -> EntranceSheet:
    values = {}
    for spec in specs:
        found = _read(spec, tags, element, spec.keys)
        values[spec.name] = found or Value(spec.name)
    return EntranceSheet(element, lon, lat, values)


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in metres between two ``(lon, lat)`` points.

    >>> round(distance_m((10.0, 45.0), (10.0, 45.001)))
    111
    """
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(min(1.0, math.sqrt(h)))


def sheet_from_tags(
    category: str,
    name: str,
    osm_type: str,
    osm_id: int,
    tags: Mapping[str, str],
    *,
    lon: float | None = None,
    lat: float | None = None,
    entrances: Iterable[Mapping[str, Any]] = (),
    nearby: Iterable[Mapping[str, Any]] = (),
) -> FacilitySheet:
    """The sheet of a facility from its tags, its entrances and nearby elements.

    Parameters
    ----------
    category, name, osm_type, osm_id
        The facility (``osm_type``/``osm_id``: its OSM element, or a registry's).
    tags
        The facility's own tags.
    lon, lat
        Its point (WGS84), for the distance to disabled parking when no entrance is mapped.
    entrances
        ``{"id", "lon", "lat", "tags"}`` per mapped entrance (an OSM node).
    nearby
        ``{"kind", "osm_type", "osm_id", "lon", "lat", "tags"}`` per nearby element
        (``kind``: parking, toilets or elevator).

    Returns
    -------
    FacilitySheet
    """
    specs = sheet_fields()
    element = f"{osm_type}/{osm_id}"
    tags = {str(k): str(v) for k, v in tags.items()}
    door_specs = [s for s in specs.values() if s.element == "entrance"]
    doors = [
        _entrance(
            door_specs,
            f"node/{e['id']}" if e.get("id") is not None else "",
            _float(e.get("lon")),
            _float(e.get("lat")),
            {str(k): str(v) for k, v in (e.get("tags") or {}).items()},
        )
        for e in entrances
    ]
    mapped = bool(doors)
    if not doors:  # the facility is its own entrance
        doors = [_entrance(door_specs, element, lon, lat, tags)]
    near = list(nearby)
    values: dict[str, Value] = {}
    for spec in specs.values():
        if spec.element == "entrance":
            continue
        found = None
        if spec.element == "facility":
            found = _read(spec, tags, element, spec.keys)
        if (found is None or not found.known) and spec.fallback is not None:
            kind, keys = spec.fallback
            for item in _by_distance(near, kind, lon, lat):
                where = f"{item['osm_type']}/{item['osm_id']}"
                item_tags = item.get("tags") or {}
                candidate = _read(spec, item_tags, where, keys)
                if candidate is None and kind == "parking" and item_tags.get("parking_space") == "disabled":
                    candidate = Value(spec.name, 1.0, "osm", where, "parking_space", "disabled")
                if candidate is not None and candidate.known:
                    found = candidate
                    break
        values[spec.name] = found or Value(spec.name)
    values["parking_distance"] = _parking_distance(values.get("parking"), near, doors, lon, lat)
    asked = tuple(s.name for s in specs.values() if s.applies_to(tags))
    return FacilitySheet(category, name, element, lon, lat, tags, values, tuple(doors), asked, frozenset(), mapped)


def _by_distance(
    near: list[Mapping[str, Any]], kind: str, lon: float | None, lat: float | None
) -> list[Mapping[str, Any]]:
    items = [n for n in near if n.get("kind") == kind]
    if lon is None or lat is None:
        return items
    return sorted(items, key=lambda n: distance_m((lon, lat), (float(n["lon"]), float(n["lat"]))))


def _parking_distance(
    parking: Value | None,
    near: list[Mapping[str, Any]],
    doors: list[EntranceSheet],
    lon: float | None,
    lat: float | None,
) -> Value:
    """The distance from the disabled parking the sheet names to the nearest entrance
    (or to the facility's point), straight line, in metres; unknown when the spaces are
    the facility's own (``capacity:disabled`` on it: on site, distance not mapped)."""
    if parking is None or not parking.known:
        return Value("parking_distance")
    item = next((n for n in near if f"{n['osm_type']}/{n['osm_id']}" == parking.element), None)
    if item is None:
        return Value("parking_distance")
    where = (float(item["lon"]), float(item["lat"]))
    points = [(d.lon, d.lat) for d in doors if d.lon is not None and d.lat is not None]
    if not points and lon is not None and lat is not None:
        points = [(lon, lat)]
    if not points:
        return Value("parking_distance")
    metres = min(distance_m(where, (float(x), float(y))) for x, y in points if x is not None and y is not None)
    return Value("parking_distance", round(metres, 1), "osm", parking.element, parking.key, parking.raw)


def _float(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def _json(value: Any, default: Any) -> Any:
    text = _text(value)
    if not text:
        return default
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return default


def facility_sheet(row: Any, lonlat: tuple[float, float] | None = None) -> FacilitySheet:
    """The sheet of one row of the facilities table (a namedtuple or a Series); ``lonlat``
    is the facility's point in WGS84 (the distance to disabled parking is measured from
    it when no entrance is mapped; entrances and nearby elements carry their own).

    A row with a ``survey`` (JSON ``{"reference", "answers"}``: the newest verified facility
    sheet survey, see :mod:`accessibility.surveys.facility`) has its answers applied
    (:func:`with_survey`). A row of a workspace built before the sheets existed (no
    ``osm_tags``) gives the
    sheet its ``wheelchair`` column and entrances say; a registry's row, the sheet of
    what the registry says (nothing, mostly: every field unknown).
    """
    get = row.get if hasattr(row, "get") else lambda k, d=None: getattr(row, k, d)
    tags = _json(get("osm_tags", ""), None)
    if not isinstance(tags, dict):
        tags = {}
        for pair in _text(get("tags", "")).split(";"):
            key, sep, value = pair.partition("=")
            if sep:
                tags[key] = value
        if _text(get("wheelchair", "")):
            tags["wheelchair"] = _text(get("wheelchair", ""))
    entrances = _json(get("entrance_tags", ""), None)
    if not isinstance(entrances, list):
        entrances = []
        for part in _text(get("entrances", "")).split(";"):
            bits = part.split()
            if len(bits) >= 2:
                flag = {"wheelchair": bits[2]} if len(bits) > 2 else {}
                entrances.append({"id": None, "lon": bits[0], "lat": bits[1], "tags": flag})
    nearby = _json(get("nearby", ""), [])
    lon, lat = lonlat if lonlat is not None else (None, None)
    osm_id = get("osm_id", -1)
    works = frozenset(w for w in _text(get("works", "")).split(";") if w)
    sheet = sheet_from_tags(
        _text(get("category", "")),
        _text(get("name", "")),
        _text(get("osm_type", "")) or "registry",
        int(osm_id) if _float(osm_id) is not None else -1,
        tags,
        lon=_float(lon),
        lat=_float(lat),
        entrances=[e for e in entrances if isinstance(e, dict)],
        nearby=[n for n in nearby if isinstance(n, dict) and {"kind", "osm_type", "osm_id", "lon", "lat"} <= set(n)],
    )
    sheet = replace(sheet, works=works) if works else sheet
    survey = _json(get("survey", ""), None)  # the newest verified facility sheet survey
    if isinstance(survey, dict) and isinstance(survey.get("answers"), dict):
        try:
            sheet = with_survey(sheet, survey["answers"], str(survey.get("reference", "survey")))
        except ValueError:
            pass  # checked on import: a survey this program cannot read leaves OSM's sheet
    return sheet


def with_survey(sheet: FacilitySheet, answers: Mapping[str, Any], reference: str) -> FacilitySheet:
    """The sheet with a surveyor's answers: each answered field takes the survey's value
    (source ``survey``, ``element`` the survey's ``reference``), whatever OSM says;
    unanswered fields keep theirs. Entrance fields describe the entrance the surveyor
    used and are added as one more entrance.

    Parameters
    ----------
    sheet
        The sheet from OSM.
    answers
        Field name -> the answer as written (``si``/``no``/``limitato`` are read as
        yes/no/limited; numbers in the field's unit, door widths and step heights in
        centimetres as the form asks).
    reference
        The survey's reference (``survey/12``).

    Returns
    -------
    FacilitySheet

    Raises
    ------
    ValueError
        An answer names no field of the sheet, or cannot be read for its field.
    """
    specs = sheet_fields()
    values = dict(sheet.values)
    door: dict[str, Value] = {}
    for name, answer in answers.items():
        if name not in specs:
            raise ValueError(f"{name!r} is no field of the facility sheet")
        text = _text(answer).strip()
        if not text:
            continue
        spec = specs[name]
        value = _survey_value(spec, text)
        if value is None:
            raise ValueError(f"{name}: {text!r} cannot be read")
        found = Value(name, value, "survey", reference, name, text)
        if spec.element == "entrance":
            door[name] = found
        else:
            values[name] = found
    doors = sheet.entrances
    if door:
        door_specs = [s.name for s in specs.values() if s.element == "entrance"]
        entrance = EntranceSheet(reference, None, None, {n: door.get(n) or Value(n) for n in door_specs})
        doors = (*(sheet.entrances if sheet.mapped_entrances else ()), entrance)
    return replace(sheet, values=values, entrances=tuple(doors), mapped_entrances=sheet.mapped_entrances or bool(door))


_SURVEY_YES = {"si", "sì", "yes", "s", "y", "1", "true", "vero"}
_SURVEY_NO = {"no", "n", "0", "false", "falso"}
_SURVEY_LIMITED = {"limitato", "limited", "parziale", "partial"}


def _survey_value(spec: FieldSpec, text: str) -> float | str | None:
    low = text.lower()
    if spec.kind == "yesno":
        if low in _SURVEY_YES:
            return "yes"
        if low in _SURVEY_NO:
            return "no"
        if low in _SURVEY_LIMITED and spec.limited:
            return "limited"
        return None
    if spec.kind in {"text", "level"}:
        return text
    if spec.kind == "length":  # the form asks centimetres
        metres, _problem = parse_length_m(text, bare_unit="cm")
        return metres
    number, _reason = spec.read(text.replace(",", "."))
    return number if isinstance(number, float) else None


# --- A11yJSON ----------------------------------------------------------------------------

_GRADES = {"yes": "fully", "limited": "partially", "no": "not"}


def to_a11yjson(sheet: FacilitySheet) -> dict[str, Any]:
    """The sheet as an A11yJSON ``accessibility`` object (the known fields only: A11yJSON
    leaves a property out when it is unknown). Lengths are ``{"value", "unit": "m"}``,
    slopes ``{"value", "unit": "%"}``. Fields A11yJSON has no property for go under
    ``x-accessibility`` by their name.

    >>> s = sheet_from_tags("sports", "", "way", 1, {"wheelchair": "yes", "toilets:wheelchair": "no"})
    >>> to_a11yjson(s)["wheelchairAccessibilityGrade"], to_a11yjson(s)["restrooms"]
    ('fully', [{'isAccessibleWithWheelchair': False}])
    """
    specs = sheet_fields()
    out: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for name in sheet.asked:
        spec = specs[name]
        if spec.element == "entrance":
            continue
        v = sheet.value(name)
        if not v.known:
            continue
        if not spec.a11yjson or (spec.kind == "yesno" and v.value == "limited" and name != "wheelchair"):
            extra[name] = _json_value(spec, v.value)
        elif name == "wheelchair":
            out["wheelchairAccessibilityGrade"] = _GRADES[str(v.value)]
        else:
            _put(out, spec.a11yjson, _json_value(spec, v.value))
    entrances = []
    for door in sheet.entrances:
        item: dict[str, Any] = {}
        for name, spec in specs.items():
            if spec.element != "entrance" or not spec.a11yjson:
                continue
            v = door.value(name)
            if not v.known:
                continue
            path = spec.a11yjson.removeprefix("entrances[].")
            if name == "entrance":
                item["isMainEntrance"] = v.value == "main"
            elif name == "door":
                _put(item, path, v.value == "revolving")
            elif name == "steps":
                _put(item, path, int(float(v.value)))  # type: ignore[arg-type]
                item["isLevel"] = float(v.value) == 0  # type: ignore[arg-type]
            else:
                _put(item, path, _json_value(spec, v.value))
        if item:
            entrances.append(item)
    if entrances:
        out["entrances"] = entrances
    if extra:
        out["x-accessibility"] = extra
    return out


def _json_value(spec: FieldSpec, value: Any) -> Any:
    if spec.kind == "yesno":
        return {"yes": True, "no": False}.get(value, value)
    if spec.kind == "count":
        return int(value)
    if spec.kind == "length":
        return {"value": value, "unit": "m"}
    if spec.kind == "percent":
        return {"value": value, "unit": "%"}
    return value


def _put(target: dict[str, Any], path: str, value: Any) -> None:
    """Set ``value`` at a dotted A11yJSON path; ``a[]`` makes a one-item list."""
    parts = path.split(".")
    node = target
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if part.endswith("[]"):
            key = part[:-2]
            items = node.setdefault(key, [{}])
            if last:
                node[key] = [value]
                return
            node = items[0]
        elif last:
            node[part] = value
        else:
            node = node.setdefault(part, {})


def facility_sheets(facilities: Any) -> list[FacilitySheet]:
    """The sheet of every row of a facilities table (a GeoDataFrame in any CRS), in order.

    Returns
    -------
    list of FacilitySheet
    """
    if len(facilities) == 0:
        return []
    points = facilities.geometry.to_crs("EPSG:4326")
    out = []
    for (_, row), point in zip(facilities.iterrows(), points):
        lonlat = (float(point.x), float(point.y)) if point is not None and not point.is_empty else None
        out.append(facility_sheet(row, lonlat))
    return out
