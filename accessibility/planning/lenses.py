"""Lenses: the weights a council sees and changes when it ranks interventions (pure).

A lens values an intervention by the people it serves, per mobility profile and facility
category, each figure multiplied by ``profile weight x category weight``; ``group`` says
whom to count (all residents, or those over 65 or 80), and ``passing`` what a person who
already has a route but passes the barrier on the way counts against one who gains a
route (tactile paving and acoustic signals never open a route: their value for blind
people is the people whose way passes them). The default lens weighs everything 1 and
``passing`` 0: the ranking of :func:`accessibility.planning.ranking.plan` as it always was.

The shipped lenses are in ``data/lenses.toml``; a city gives its own in the same form.

>>> lenses = load_lenses()
>>> lenses["sports"].weight("manual_wheelchair", "sports"), lenses["sports"].weight("walker", "pharmacy")
(1.0, 0.0)
>>> lenses["default"].is_default
True
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from accessibility.errors import ProgrammeError
from accessibility.i18n import _
from accessibility.sources.catalogues import read_toml, shipped_toml

__all__ = ["DEFAULT_LENS", "GROUPS", "Lens", "load_lenses"]

#: Whom a lens counts: every resident, or the residents of an age group (ISTAT shares).
GROUPS = ("residents", "over65", "over80")
#: The name of the lens used when none is named.
DEFAULT_LENS = "default"


@dataclass(frozen=True)
class Lens:
    """The weights of one way of ranking interventions (see module docstring)."""

    name: str
    label: str  #: English message of the catalogue, shown as ``_(lens.label)``
    explanation: str = ""
    group: str = "residents"
    profiles: Mapping[str, float] = field(default_factory=dict)
    other_profiles: float = 1.0
    categories: Mapping[str, float] = field(default_factory=dict)
    other_categories: float = 1.0
    passing: float = 0.0

    def weight(self, profile: str, category: str) -> float:
        """What one person gaining a route counts for ``(profile, category)``."""
        return float(self.profiles.get(profile, self.other_profiles)) * float(
            self.categories.get(category, self.other_categories)
        )

    def weights(self, profiles: Iterable[str], categories: Iterable[str]) -> dict[tuple[str, str], float]:
        """The weight of every ``(profile, category)`` pair of a plan."""
        cats = list(categories)
        return {(p, k): self.weight(p, k) for p in profiles for k in cats}

    @property
    def is_default(self) -> bool:
        """Whether the lens ranks exactly as the unweighted plan (every weight 1, all
        residents, people passing only ordering the tail)."""
        return (
            self.group == "residents"
            and self.passing == 0
            and self.other_profiles == 1
            and self.other_categories == 1
            and all(w == 1 for w in self.profiles.values())
            and all(w == 1 for w in self.categories.values())
        )

    def table(self, profiles: Iterable[str], categories: Iterable[str]) -> list[dict[str, Any]]:
        """The weights as rows ``profile, category, weight`` for a report (every pair)."""
        return [{"profile": p, "category": k, "weight": w} for (p, k), w in self.weights(profiles, categories).items()]


def _weight(value: Any, where: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if isinstance(value, bool) or not math.isfinite(number) or number < 0:
        raise ProgrammeError(
            _("{where}: a weight must be a number of 0 or more, not {value}").format(where=where, value=repr(value))
        )
    return number


def _lens(name: str, raw: Any, source: str) -> Lens:
    if not isinstance(raw, dict):
        raise ProgrammeError(_("{source}: lens {name} is not a table").format(source=source, name=repr(name)))
    known = {"label", "explanation", "group", "profiles", "other_profiles", "categories", "other_categories", "passing"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ProgrammeError(
            _("{source}: lens {name}: unknown setting(s) {unknown}; known: {known}").format(
                source=source, name=repr(name), unknown=", ".join(unknown), known=", ".join(sorted(known))
            )
        )
    group = str(raw.get("group", "residents"))
    if group not in GROUPS:
        raise ProgrammeError(
            _("{source}: lens {name}: group must be one of {groups}, not {group}").format(
                source=source, name=repr(name), groups=", ".join(GROUPS), group=repr(group)
            )
        )
    where = f"{source} [{name}]"
    tables = {}
    for key in ("profiles", "categories"):
        table = raw.get(key, {})
        if not isinstance(table, dict):
            raise ProgrammeError(_("{where}: {key} must be a table of weights").format(where=where, key=key))
        tables[key] = {str(k): _weight(v, f"{where} {key}.{k}") for k, v in table.items()}
    return Lens(
        name=name,
        label=str(raw.get("label", name)),
        explanation=str(raw.get("explanation", "")),
        group=group,
        profiles=tables["profiles"],
        other_profiles=_weight(raw.get("other_profiles", 1.0), f"{where} other_profiles"),
        categories=tables["categories"],
        other_categories=_weight(raw.get("other_categories", 1.0), f"{where} other_categories"),
        passing=_weight(raw.get("passing", 0.0), f"{where} passing"),
    )


def load_lenses(path: str | Path | None = None) -> dict[str, Lens]:
    """The lenses of ``data/lenses.toml`` (or of the city's own file at ``path``), by name.

    Raises
    ------
    ProgrammeError
        A lens with an unknown setting, a group that is not one of :data:`GROUPS`, or a
        weight that is not a number of 0 or more (the message names the lens and setting).
    """
    raw = shipped_toml("lenses.toml") if path is None else read_toml(path, ProgrammeError)
    source = "lenses.toml" if path is None else str(path)
    lenses = {str(name): _lens(str(name), table, source) for name, table in raw.items()}
    if not lenses:
        raise ProgrammeError(_("{source}: no lens defined").format(source=source))
    return lenses
