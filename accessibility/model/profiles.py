"""Mobility profiles: what each kind of pedestrian can pass, from ``data/profiles.toml``.

A :class:`Profile` judges a barrier with :meth:`Profile.severity`, one of
``blocking`` (the profile cannot pass), ``hindering`` (passable at a cost), ``unknown``
(the data cannot tell) or ``none``. Routing and the barrier table use the same judgement,
so a barrier that blocks a route is the barrier reported as blocking.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from accessibility.errors import ProfileError
from accessibility.i18n import N_, _
from accessibility.sources.catalogues import read_toml, shipped_toml

SEVERITIES = ("none", "unknown", "hindering", "blocking")


@dataclass(frozen=True)
class Profile:
    """Limits and speed of one mobility profile. Thresholds in cm, %, m/s."""

    name: str
    label: str  #: in English, the catalogue's message: shown as ``_(profile.label)``
    speed_mps: float
    max_incline_up_pct: float
    max_incline_down_pct: float
    comfort_incline_pct: float
    max_steps: int
    surfaces_block: frozenset[str]
    surfaces_hinder: frozenset[str]
    smoothness_block: frozenset[str]
    smoothness_hinder: frozenset[str]
    obstacles_block: frozenset[str]
    unknown: str
    unknown_penalty: float
    needs_tactile: bool
    needs_sound: bool
    wheelchair: bool
    max_kerb_cm: float = math.inf
    min_width_cm: float = 0.0
    explanation: str = ""  #: one line for people choosing a profile (English message)

    def with_overrides(self, **overrides: Any) -> Profile:
        """A copy with some thresholds changed; ``None`` values are ignored.

        >>> load_profile("manual_wheelchair").with_overrides(max_kerb_cm=3).max_kerb_cm
        3.0
        """
        changes = {k: v for k, v in overrides.items() if v is not None}
        if not changes:
            return self  # frozen: the same profile
        fields = {f.name: str(f.type) for f in dataclasses.fields(Profile) if f.name != "name"}
        unknown_keys = sorted(set(changes) - set(fields))
        if unknown_keys:
            raise ProfileError(
                _("profile {name}: unknown setting(s) {keys}; known: {known}").format(
                    name=repr(self.name), keys=", ".join(unknown_keys), known=", ".join(sorted(fields))
                )
            )
        checked = {k: _setting("", self.name, k, v, fields[k]) for k, v in changes.items()}
        return dataclasses.replace(self, **checked)

    # --- judgement ---------------------------------------------------------------------

    def severity(self, kind: str, measure: float | None, tags: dict[str, str], known: bool = True) -> str:
        """Judge one barrier for this profile (see module docstring)."""
        judge = getattr(self, f"_judge_{kind}", None)
        if judge is None:
            return "unknown"
        return judge(measure, tags, known)

    def _judge_steps(self, count, tags, known):
        if self.wheelchair and tags.get("ramp:wheelchair") == "yes":
            return "hindering"
        if self.max_steps >= 100000:
            return "hindering" if self.needs_tactile and tags.get("tactile_paving") == "no" else "none"
        if count is None:
            return "blocking" if self.max_steps == 0 else "unknown"
        return "blocking" if count > self.max_steps else "hindering"

    def _judge_raised_kerb(self, height, tags, known):
        if math.isinf(self.max_kerb_cm):
            return "none"
        if height is None:  # "raised" without a height: at least 3 cm (OSM wiki)
            return "blocking" if self.max_kerb_cm < 3.0 else "unknown"
        if height > self.max_kerb_cm:
            return "blocking"
        return "hindering"

    def _judge_kerb_unknown(self, height, tags, known):
        return "none" if math.isinf(self.max_kerb_cm) else "unknown"

    def _judge_steep_incline(self, incline, tags, known):
        if incline is None:
            return "unknown" if self.comfort_incline_pct < 100 else "none"
        steep = abs(incline)
        if steep > min(self.max_incline_up_pct, self.max_incline_down_pct):
            return "blocking"  # at least in one direction; routing checks each direction
        return "hindering" if steep > self.comfort_incline_pct else "none"

    def _judge_narrow_passage(self, width, tags, known):
        if width is None:
            return "unknown" if self.min_width_cm > 0 else "none"
        if width < self.min_width_cm:
            return "blocking"
        return "hindering" if self.min_width_cm > 0 else "none"

    def _judge_bad_surface(self, _, tags, known):
        surface, smooth = tags.get("surface"), tags.get("smoothness")
        if surface in self.surfaces_block or smooth in self.smoothness_block:
            return "blocking"
        if surface in self.surfaces_hinder or smooth in self.smoothness_hinder:
            return "hindering"
        return "none"

    def _judge_obstacle(self, width, tags, known):
        kind = tags.get("barrier", "")
        if kind in self.obstacles_block:
            return "blocking"
        if width is not None and width < self.min_width_cm:
            return "blocking"
        if self.needs_tactile or self.wheelchair or self.min_width_cm > 0:
            return "hindering"  # an obstacle on the path: slows, hurts the blind
        return "none"

    def _judge_crossing_no_tactile(self, _, tags, known):
        if not self.needs_tactile:
            return "none"
        return "hindering" if known else "unknown"

    def _judge_crossing_no_sound(self, _, tags, known):
        if not self.needs_sound:
            return "none"
        return "hindering" if known else "unknown"

    def _judge_wheelchair_no(self, _, tags, known):
        value = tags.get("wheelchair")
        if self.wheelchair:
            return "blocking" if value == "no" else "hindering"
        if self.min_width_cm > 0 and value == "no":
            return "hindering"
        return "none"


#: What each setting's type is called in messages (the dataclass annotations are strings).
_TYPE_WORDS = {
    "float": N_("a number"),
    "int": N_("a whole number"),
    "bool": N_("true or false"),
    "frozenset[str]": N_('a list of words in brackets, e.g. ["gravel", "sand"]'),
    "str": N_("a text in quotes"),
}
#: Settings that must be positive (> 0); every other number must be at least 0.
_POSITIVE = frozenset({"speed_mps", "max_incline_up_pct", "max_incline_down_pct", "unknown_penalty"})


def _make(name: str, raw: Any, where: str = "") -> Profile:
    """A checked :class:`Profile` from a table of settings; ``where`` (a file) prefixes the
    errors. Numbers must be finite (``nan``/``inf`` are refused: leave a limit out for no
    limit), limits at least 0, speeds and incline limits above 0."""
    prefix = f"{where}: " if where else ""
    if not isinstance(raw, dict):
        raise ProfileError(
            prefix
            + _(
                "profile {name} must be a table of settings ([{name}] with speed_mps = ... below it), not {value}"
            ).format(name=name, value=_shown(raw))
        )
    fields = {f.name: f for f in dataclasses.fields(Profile)}
    unknown_keys = set(raw) - set(fields)
    if unknown_keys:
        raise ProfileError(
            prefix
            + _("profile {name}: unknown setting(s) {keys}; known: {known}").format(
                name=repr(name), keys=", ".join(sorted(unknown_keys)), known=", ".join(sorted(set(fields) - {"name"}))
            )
        )
    values: dict[str, Any] = {"name": name}
    for key, value in raw.items():
        ftype = str(fields[key].type)
        values[key] = _setting(prefix, name, key, value, ftype)
    try:
        profile = Profile(**values)
    except TypeError:
        missing = sorted(k for k, f in fields.items() if k not in values and f.default is dataclasses.MISSING)
        raise ProfileError(
            prefix + _("profile {name} is incomplete: {keys} missing").format(name=repr(name), keys=", ".join(missing))
        ) from None
    if profile.unknown not in {"penalty", "avoid"}:
        raise ProfileError(
            prefix
            + _("profile {name}: unknown must be 'penalty' or 'avoid', not {value}").format(
                name=repr(name), value=_shown(profile.unknown)
            )
        )
    return profile


def _setting(prefix: str, name: str, key: str, value: Any, ftype: str) -> Any:
    """One checked setting of a profile (see :func:`_make`)."""

    def wrong() -> ProfileError:
        return ProfileError(
            prefix
            + _("profile {name}: {key} = {value} is not {kind}").format(
                name=repr(name), key=key, value=_shown(value), kind=_(_TYPE_WORDS.get(ftype, ftype))
            )
        )

    if ftype == "frozenset[str]":
        if not isinstance(value, list | tuple | set | frozenset) or not all(isinstance(v, str) for v in value):
            raise wrong()
        return frozenset(value)
    if ftype == "bool":
        if not isinstance(value, bool):
            raise wrong()
        return value
    if ftype == "str":
        if not isinstance(value, str):
            raise wrong()
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise wrong()
    if ftype == "int" and not float(value).is_integer():
        raise wrong()
    number = float(value)
    if not math.isfinite(number):
        raise ProfileError(
            prefix
            + _("profile {name}: {key} = {value} is not a finite number (leave a limit out for no limit)").format(
                name=repr(name), key=key, value=_shown(value)
            )
        )
    if key in _POSITIVE and number <= 0:
        raise ProfileError(
            prefix
            + _("profile {name}: {key} = {value} must be greater than 0").format(
                name=repr(name), key=key, value=_shown(value)
            )
        )
    if number < 0:
        raise ProfileError(
            prefix
            + _("profile {name}: {key} = {value} cannot be negative").format(
                name=repr(name), key=key, value=_shown(value)
            )
        )
    return int(number) if ftype == "int" else number


def _shown(value: Any) -> str:
    """A value as the file wrote it, short enough for one line."""
    text = repr(value)
    return text if len(text) <= 60 else text[:59] + "…"


def load_profiles(path: str | Path | None = None) -> dict[str, Profile]:
    """All profiles of a TOML file (default: the shipped ``data/profiles.toml``)."""
    return dict(_load(None if path is None else str(path)))


@cache
def _load(path: str | None) -> tuple[tuple[str, Profile], ...]:
    raw = shipped_toml("profiles.toml") if path is None else read_toml(path, ProfileError)
    where = "" if path is None else Path(path).name
    profiles = tuple((name, _make(name, table, where)) for name, table in raw.items())
    if not profiles:
        raise ProfileError(_("{file}: no profile in the file").format(file=where or "profiles.toml"))
    return profiles


def load_profile(name: str, path: str | Path | None = None) -> Profile:
    """One profile by name; the error lists the names there are."""
    profiles = load_profiles(path)
    if name not in profiles:
        raise ProfileError(
            _("unknown profile {name}; choose one of: {choices}").format(name=repr(name), choices=", ".join(profiles))
        )
    return profiles[name]
