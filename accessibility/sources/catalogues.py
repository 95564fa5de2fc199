"""The shipped catalogues of ``data/``: profiles, barrier kinds, facility categories,
costs, the survey schema, registry mappings (reading only).

``data/`` sits at the top of the repository and ships inside the wheel as the package
``accessibility.data``; it is read through :mod:`importlib.resources`, so an installed
package finds it wherever it lives. A user's own file (``--profile-file``,
``--costs``) is read by the same function from its path.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from accessibility.errors import AccessibilityError, CatalogueError
from accessibility.i18n import _

__all__ = ["data_file", "read_toml", "shipped_toml"]


def data_file(name: str) -> Traversable:
    """A file shipped in ``data/`` (``"profiles.toml"``, ``"registries/x.toml"``)."""
    node: Traversable = resources.files("accessibility.data")
    for part in name.split("/"):
        node = node / part
    return node


@cache
def shipped_toml(name: str) -> dict[str, Any]:
    """A shipped TOML catalogue, parsed once per process."""
    return read_toml(data_file(name))


def read_toml(source: str | Path | Traversable, error: type[AccessibilityError] = CatalogueError) -> dict[str, Any]:
    """Parse a TOML file; a missing or malformed file raises ``error`` naming it."""
    path = Path(source) if isinstance(source, str) else source
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(_("file not found: {path}").format(path=path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error(_("{path}: cannot be read ({reason})").format(path=path, reason=exc)) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(_("{path}: not valid TOML ({reason})").format(path=path, reason=exc)) from None
