"""Every error the package raises: each is a domain error and a built-in one.

Callers catch :class:`AccessibilityError` for anything of ours, or the built-in
(``ValueError``, ``FileNotFoundError``, ``ConnectionError``) they already handle.
"""

from __future__ import annotations


class AccessibilityError(Exception):
    """Base class of every error raised by this package."""


class OsmFileError(ValueError, AccessibilityError):
    """An OpenStreetMap file that cannot be read: which file and why."""


class InputNotFoundError(FileNotFoundError, AccessibilityError):
    """A file or folder the user named does not exist."""


class OfflineError(ConnectionError, AccessibilityError):
    """A download was needed and the server cannot be reached."""


class DownloadError(RuntimeError, AccessibilityError):
    """The server answered, but not with usable data."""


class EmptyNetworkError(ValueError, AccessibilityError):
    """The input holds no way a pedestrian may use."""


class WorkspaceError(ValueError, AccessibilityError):
    """A city workspace folder that is missing, incomplete or of another version."""


class ProfileError(ValueError, AccessibilityError):
    """An unknown mobility profile or a bad threshold override."""


class PopulationError(ValueError, AccessibilityError):
    """A population table or census layer that cannot be used: which row and why."""


class SurveyError(ValueError, AccessibilityError):
    """A survey file that cannot be read as a whole: which file and why (row problems
    are not errors: they are listed in the import result and its rejects file)."""


class SurveyStoreError(ValueError, AccessibilityError):
    """A survey store that is missing, of another schema version, or busy too long."""


class ReviewError(ValueError, AccessibilityError):
    """A review that cannot be applied: unknown report, status or transition."""


class SnapError(ValueError, AccessibilityError):
    """A route endpoint too far from any path the profile can use."""


class FacilityError(ValueError, AccessibilityError):
    """An unknown facility category, or none of that category in the city."""


class RegistryError(ValueError, AccessibilityError):
    """A facility registry or its mapping file that cannot be used: which file, which
    column or row, and why."""


class CostTableError(ValueError, AccessibilityError):
    """An intervention cost table that cannot be used: which entry and why."""


class PlanError(ValueError, AccessibilityError):
    """A plan that cannot be made as asked (no residents, unknown category, bad budget)."""


class CatalogueError(ValueError, AccessibilityError):
    """A shipped or user-given catalogue file (TOML) that is missing or malformed."""


class LanguageError(ValueError, AccessibilityError):
    """A language the text catalogue does not have."""


class ExportError(ValueError, AccessibilityError):
    """An output that cannot be written as asked (unknown format, nothing to draw)."""


class InputError(ValueError, AccessibilityError):
    """Arguments that cannot be used together or as given: which, and what to give instead."""


class ProgrammeError(ValueError, AccessibilityError):
    """A programme over the years that cannot be made as asked (bad budgets, an unknown
    lens, weights that are not numbers): which value and why."""


class RoadworksError(ValueError, AccessibilityError):
    """A file of scheduled roadworks that cannot be used: which file, which record, why."""


class SnapshotError(ValueError, AccessibilityError):
    """A dated snapshot of the audit that is missing, damaged or of another version."""


class AccountError(ValueError, AccessibilityError):
    """An account that cannot be made or changed: unknown, duplicate name, bad role or
    password."""


class LoginError(PermissionError, AccessibilityError):
    """A login refused: wrong name or password, a disabled or locked account."""


class PhotoError(ValueError, AccessibilityError):
    """A photo that cannot be accepted: not an image of a kind we take, too large, damaged,
    or a decompression bomb (which photo and why)."""


def brief(exc: BaseException, limit: int = 200) -> str:
    """The reason a foreign exception (GDAL, pandas, SQLite) gives, as part of one line for a
    person: white space folded, cut at a word before ``limit`` characters with an ellipsis,
    the exception's type when it says nothing.

    >>> brief(ValueError("not\\n  a   number"))
    'not a number'
    >>> brief(ValueError("word " * 60), limit=20)
    'word word word word…'
    >>> brief(KeyError())
    'KeyError'
    """
    text = " ".join(str(exc).split())
    if len(text) > limit:
        cut = text[:limit].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
        text = cut.rstrip(" .,;:") + "…"
    return text or type(exc).__name__
