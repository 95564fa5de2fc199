"""Usable, not only reachable: whether a facility's sheet meets what a visit needs (pure).

For each mobility profile, ``data/usability.toml`` lists what a visit to a facility of
each category needs ("needs"): a way in the profile can pass (an entrance without the
steps it cannot climb, or with a ramp it can manage, and a door wide enough), a lift
between levels, and for a wheelchair user at a sports facility an accessible toilet and
changing room (for a swimming pool a shower and a pool hoist too). :func:`judge` checks
a :class:`~accessibility.model.sheets.FacilitySheet` against them:

- ``usable`` (fruibile): every need is met;
- ``not_usable``: a need is known to be unmet (its :class:`Defect` says what works
  would meet it: a ramp at that entrance, an accessible changing room ...);
- ``unknown`` (da verificare): no need is known unmet, but some are unknown (the fields
  to survey are listed). Unknown is never taken for met.

What makes a visit easier without deciding it ("helps": an automatic door, a bell,
disabled parking, tactile guidance) is judged the same way and reported apart.

The way in is judged with the profile's own limits (``data/profiles.toml``: the steps a
walker can climb, the kerb height and slope a wheelchair can manage) and the door width
of ``data/usability.toml``. ``wheelchair=yes`` on an entrance means no step and a door
wide enough (OSM's definition); ``wheelchair=limited`` a step of at most 7 cm.

>>> from accessibility.model.profiles import load_profile
>>> from accessibility.model.sheets import sheet_from_tags
>>> pool = sheet_from_tags("sports", "Piscina", "way", 1, {"leisure": "swimming_pool",
...     "wheelchair": "yes", "toilets:wheelchair": "yes", "changing_room:wheelchair": "no"})
>>> u = judge(pool, load_profile("manual_wheelchair"))
>>> u.status, [c.need for c in u.checks if c.status == "unmet"], [d.key for d in u.defects]
('not_usable', ['changing_room'], ['changing_room@way/1'])
>>> judge(pool, load_profile("walker")).status
'usable'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache

from accessibility.errors import CatalogueError
from accessibility.model.profiles import Profile
from accessibility.model.sheets import EntranceSheet, FacilitySheet, sheet_fields
from accessibility.sources.catalogues import shipped_toml

__all__ = [
    "STATUSES",
    "Check",
    "Defect",
    "Need",
    "Rules",
    "Usability",
    "judge",
    "load_rules",
    "needs_of",
    "status_rank",
]

#: Whether a facility is usable for a profile, from worst to best.
STATUSES: tuple[str, ...] = ("not_usable", "unknown", "usable")
#: A need's judgement.
CHECKS: tuple[str, ...] = ("unmet", "unknown", "met")

#: ``wheelchair=limited`` (OSM): one step of at most this many centimetres.
LIMITED_STEP_CM = 7.0
#: A profile with at least this many steps allowed climbs any flight (walking, blind).
ANY_STEPS = 100000


@dataclass(frozen=True)
class Need:
    """One need of ``data/usability.toml``: its label, explanation, rule of law, and the
    sheet field a yes/no need reads (empty for ``way_in`` and ``between_levels``)."""

    name: str
    label: str
    explanation: str
    rule: str
    field: str = ""


@dataclass(frozen=True)
class Defect:
    """What is known wrong, and where: the works that would meet a need.

    ``work`` is ``steps`` (steps at an entrance, or a ramp too steep: a ramp), ``door_width``,
    ``between_levels`` or the need itself (``toilet``, ``changing_room`` ...); ``element``
    the entrance or facility; ``measure`` the step count when known.
    """

    work: str
    element: str
    measure: float | None = None

    @property
    def key(self) -> str:
        """``work@element``: what a plan lists as done (``steps@node/5``)."""
        return f"{self.work}@{self.element}"


@dataclass(frozen=True)
class Check:
    """One need judged: ``met``, ``unmet`` (with its defects) or ``unknown`` (with the
    fields to survey)."""

    need: str
    status: str
    unknown: tuple[str, ...] = ()
    defects: tuple[Defect, ...] = ()
    #: the works of a plan that met it (in a plan's hypothetical city)
    by_works: bool = False


@dataclass(frozen=True)
class Usability:
    """A facility judged for a profile: ``status`` (``usable``, ``not_usable``,
    ``unknown``), each need's check and each help's."""

    profile: str
    status: str
    checks: tuple[Check, ...]
    helps: tuple[Check, ...] = ()

    @property
    def defects(self) -> tuple[Defect, ...]:
        """The defects of the unmet needs: the works that would make it usable (when no
        other need is unmet)."""
        return tuple(d for c in self.checks if c.status == "unmet" for d in c.defects)

    @property
    def unknown_fields(self) -> tuple[str, ...]:
        """The sheet fields whose survey would settle the unknown needs."""
        return tuple(dict.fromkeys(f for c in self.checks if c.status == "unknown" for f in c.unknown))

    @property
    def unmet(self) -> tuple[str, ...]:
        return tuple(c.need for c in self.checks if c.status == "unmet")


@dataclass(frozen=True)
class Rules:
    """``data/usability.toml``: needs per category and profile, kinds, helps, door widths."""

    needs: Mapping[str, Mapping[str, tuple[str, ...]]]
    kinds: Mapping[str, tuple[str, Mapping[str, tuple[str, ...]], Mapping[str, tuple[str, ...]]]]
    helps: Mapping[str, tuple[str, ...]]
    min_door_cm: Mapping[str, float]
    requirements: Mapping[str, Need] = field(default_factory=dict)


@cache
def load_rules() -> Rules:
    """The shipped rules, checked: every need and help is a requirement the catalogue
    defines, and every yes/no need reads a field of the sheet.

    Raises
    ------
    CatalogueError
        A need that is not defined, or a field the sheet lacks.
    """
    raw = shipped_toml("usability.toml")
    fields = sheet_fields()
    requirements = {
        name: Need(name, t["label"], t.get("explanation", ""), t.get("rule", ""), t.get("field", ""))
        for name, t in raw.get("requirements", {}).items()
    }
    for need in requirements.values():
        if need.field and need.field not in fields:
            raise CatalogueError(f"usability.toml: requirement {need.name!r} reads unknown field {need.field!r}")
        if not need.field and need.name not in {"way_in", "between_levels"}:
            raise CatalogueError(f"usability.toml: requirement {need.name!r} needs a field")
    needs = {cat: {p: tuple(v) for p, v in t.items()} for cat, t in raw.get("needs", {}).items()}
    kinds = {
        name: (
            t["category"],
            {k: tuple(v) for k, v in t.get("match", {}).items()},
            {p: tuple(v) for p, v in t.items() if p not in {"category", "match"}},
        )
        for name, t in raw.get("kinds", {}).items()
    }
    helps = {p: tuple(v) for p, v in raw.get("helps", {}).items()}
    named = [n for t in needs.values() for v in t.values() for n in v]
    named += [n for _c, _m, t in kinds.values() for v in t.values() for n in v]
    named += [n for v in helps.values() for n in v]
    for name in named:
        if name not in requirements:
            raise CatalogueError(f"usability.toml: {name!r} is no requirement of the catalogue")
    doors = {p: float(t["min_door_cm"]) for p, t in raw.get("profiles", {}).items() if "min_door_cm" in t}
    return Rules(needs, kinds, helps, doors, requirements)


def needs_of(category: str, tags: Mapping[str, str], profile: str, rules: Rules | None = None) -> tuple[str, ...]:
    """What a visit to a facility of ``category`` with these tags needs for ``profile``.

    >>> needs_of("sports", {"leisure": "swimming_pool"}, "manual_wheelchair")
    ('way_in', 'between_levels', 'toilet', 'changing_room', 'shower', 'pool_hoist')
    >>> needs_of("bus_stop", {}, "manual_wheelchair"), needs_of("pharmacy", {}, "blind")
    ((), ())
    """
    rules = rules or load_rules()
    table = rules.needs.get(category, rules.needs.get("*", {}))
    out = list(table.get(profile, ()))
    for kind_category, match, extra in rules.kinds.values():
        if kind_category != category:
            continue
        if any(v.strip() in values for key, values in match.items() for v in str(tags.get(key, "")).split(";")):
            out += [n for n in extra.get(profile, ()) if n not in out]
    return tuple(out)


def judge(sheet: FacilitySheet, profile: Profile, rules: Rules | None = None) -> Usability:
    """Judge a facility's sheet for a profile (see module docstring).

    Parameters
    ----------
    sheet
        The facility's sheet; its ``works`` (a plan's hypothetical city) meet the needs
        whose defects they name.
    profile
        The mobility profile.
    rules
        The rules (default: the shipped ``data/usability.toml``).

    Returns
    -------
    Usability
    """
    rules = rules or load_rules()
    names = needs_of(sheet.category, sheet.tags, profile.name, rules)
    checks = tuple(_check(sheet, need, profile, rules) for need in names)
    helps = tuple(_check(sheet, need, profile, rules) for need in rules.helps.get(profile.name, ()))
    if any(c.status == "unmet" for c in checks):
        status = "not_usable"
    elif any(c.status == "unknown" for c in checks):
        status = "unknown"
    else:
        status = "usable"
    return Usability(profile.name, status, checks, helps)


def _check(sheet: FacilitySheet, need: str, profile: Profile, rules: Rules) -> Check:
    if need == "way_in":
        check = _way_in(sheet, profile, rules.min_door_cm.get(profile.name))
    elif need == "between_levels":
        check = _between_levels(sheet)
    elif need in {"automatic_door", "bell"}:
        check = _any_entrance(sheet, need, rules.requirements[need].field)
    elif need == "disabled_parking":
        value = sheet.value("parking")
        if not value.known:
            check = Check(need, "unknown", ("parking",))
        elif float(value.value) > 0:  # type: ignore[arg-type]
            check = Check(need, "met")
        else:
            check = Check(need, "unmet", (), (Defect(need, sheet.element),))
    else:
        name = rules.requirements[need].field
        value = sheet.value(name)
        if value.value == "yes":
            check = Check(need, "met")
        elif value.value in {"no", "limited"}:
            check = Check(need, "unmet", (), (Defect(need, sheet.element),))
        else:
            check = Check(need, "unknown", (name,))
    if check.status != "met" and check.defects and all(d.key in sheet.works for d in check.defects):
        return Check(need, "met", by_works=True)
    if check.status == "unknown" and need not in {"way_in", "between_levels"}:
        if f"{need}@{sheet.element}" in sheet.works:
            return Check(need, "met", by_works=True)
    return check


def _any_entrance(sheet: FacilitySheet, need: str, name: str) -> Check:
    """A help at an entrance (automatic door, bell): met at any entrance that has it."""
    values = [door.value(name) for door in sheet.entrances]
    if any(v.value == "yes" for v in values):
        return Check(need, "met")
    if values and all(v.value == "no" for v in values):
        return Check(need, "unmet", (), (Defect(need, _main(sheet.entrances).element or sheet.element),))
    return Check(need, "unknown", (name,))


def _main(doors: Iterable[EntranceSheet]) -> EntranceSheet:
    doors = list(doors)
    return next((d for d in doors if d.value("entrance").value == "main"), doors[0])


def _way_in(sheet: FacilitySheet, profile: Profile, min_door_cm: float | None) -> Check:
    """Met when one entrance is passable; unmet when none is (the defects are those of
    the entrance cheapest to fix: fewest defects, the main one first); else unknown."""
    judged = [(door, *_entrance(door, profile, min_door_cm, sheet.works)) for door in sheet.entrances]
    if any(status == "met" for _d, status, _u, _x in judged):
        by_works = bool(sheet.works) and not any(
            _entrance(door, profile, min_door_cm, frozenset())[0] == "met" for door in sheet.entrances
        )
        return Check("way_in", "met", by_works=by_works)
    unknown = [u for _d, status, u, _x in judged if status == "unknown"]
    if unknown:
        return Check("way_in", "unknown", tuple(dict.fromkeys(f for fields in unknown for f in fields)))
    main = _main(sheet.entrances)
    _door, _status, _u, defects = min(
        judged, key=lambda j: (len(j[3]), j[0] is not main, [d.measure or 0 for d in j[3]])
    )
    return Check("way_in", "unmet", (), tuple(defects))


def _entrance(
    door: EntranceSheet, profile: Profile, min_door_cm: float | None, works: frozenset[str]
) -> tuple[str, tuple[str, ...], tuple[Defect, ...]]:
    """``(status, unknown fields, defects)`` of one entrance for a profile."""
    wc = door.value("entrance_wheelchair").value
    steps = door.value("steps").value
    ramp = door.value("ramp").value
    height = door.value("step_height").value
    width = door.value("door_width").value
    element = door.element
    kerb_cm = profile.max_kerb_cm

    def ramp_ok() -> tuple[str, tuple[str, ...], tuple[Defect, ...]]:
        slope = door.value("ramp_slope").value
        if slope is None:
            return ("met", (), ()) if wc == "yes" else ("unknown", ("ramp_slope",), ())
        if abs(float(slope)) <= profile.max_incline_up_pct:
            return "met", (), ()
        return "unmet", (), (Defect("steps", element, float(steps) if steps is not None else None),)

    if f"steps@{element}" in works:
        step: tuple[str, tuple[str, ...], tuple[Defect, ...]] = ("met", (), ())
    elif steps is not None:
        count = float(steps)
        if count == 0:
            step = ("met", (), ())
        elif ramp == "yes":
            step = ramp_ok()
        elif count <= profile.max_steps:
            step = ("met", (), ())
        elif count == 1 and height is not None and float(height) * 100 <= kerb_cm:
            step = ("met", (), ())
        else:
            step = ("unmet", (), (Defect("steps", element, count),))
    elif ramp == "yes":
        step = ramp_ok()
    elif wc == "yes":
        step = ("met", (), ())
    elif wc == "limited":
        if height is not None:
            ok = float(height) * 100 <= kerb_cm or profile.max_steps >= 1
            step = ("met", (), ()) if ok else ("unmet", (), (Defect("steps", element, 1.0),))
        elif profile.max_steps >= 1 or kerb_cm >= LIMITED_STEP_CM:
            step = ("met", (), ())
        else:
            step = ("unknown", ("step_height",), ())
    elif profile.max_steps >= ANY_STEPS:
        step = ("met", (), ())
    elif wc == "no" and profile.wheelchair:
        step = ("unmet", (), (Defect("steps", element, None),))
    else:
        step = ("unknown", ("steps",), ())

    if min_door_cm is None or f"door_width@{element}" in works:
        door_check: tuple[str, tuple[str, ...], tuple[Defect, ...]] = ("met", (), ())
    elif width is not None:
        door_check = (
            ("met", (), ()) if float(width) * 100 >= min_door_cm else ("unmet", (), (Defect("door_width", element),))
        )
    elif wc == "yes":
        door_check = ("met", (), ())
    else:
        door_check = ("unknown", ("door_width",), ())

    parts = (step, door_check)
    if any(p[0] == "unmet" for p in parts):
        return "unmet", (), tuple(d for p in parts for d in p[2])
    if any(p[0] == "unknown" for p in parts):
        return "unknown", tuple(f for p in parts for f in p[1]), ()
    return "met", (), ()


def _storeys(text: object) -> list[str]:
    return [part.strip() for part in str(text).split(";") if part.strip()] if text is not None else []


def _between_levels(sheet: FacilitySheet) -> Check:
    """Met on one level (nothing mapped says otherwise: ``building:levels`` of 1 or none,
    the ground floor or no ``level``) or with a lift; unmet with ``lift=no`` on several
    levels; else unknown."""
    key = f"between_levels@{sheet.element}"
    if key in sheet.works:
        return Check("between_levels", "met", by_works=True)
    levels = sheet.value("levels").value
    storeys = _storeys(sheet.value("storey").value)
    several = (levels is not None and float(levels) > 1) or any(s != "0" for s in storeys)
    lift = sheet.value("lift").value
    if lift == "yes" or not several:
        return Check("between_levels", "met")
    if lift == "no":
        return Check("between_levels", "unmet", (), (Defect("between_levels", sheet.element),))
    if sheet.value("wheelchair").value == "yes":
        return Check("between_levels", "met")  # OSM: every room without steps
    return Check("between_levels", "unknown", ("lift",))


def status_rank(status: str) -> int:
    """Order of :data:`STATUSES` (worst first), for sorting."""
    return STATUSES.index(status)
