"""The media files that come with a field tool's export: photos by file name (reading only).

Surveyors' photos arrive in the shapes the tools give them:

- files beside the export, or at paths relative to it (QField: ``DCIM/foto.jpg``);
- a media folder beside it: ODK Central's ``media/``, a KoboToolbox media download
  (``<user>/attachments/<form>/<submission>/<file>``), or any folder named on the command
  line;
- a zip of them, or the export itself inside a zip (ODK Central's "all data and media").

:class:`MediaFiles` finds a photo by the name a report gives (its last part, compared
without case), and reads its bytes; checking them is :mod:`accessibility.surveys.photos`'
job. Nothing is extracted to disk: zip members are read in memory, at most
``settings.photo_max_bytes`` each, so a crafted zip neither writes outside its folder
nor fills the memory.
"""

from __future__ import annotations

import logging
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from accessibility import settings
from accessibility.errors import SurveyError
from accessibility.i18n import _

__all__ = ["MEDIA_FOLDERS", "MediaFiles", "media_beside"]

log = logging.getLogger(__name__)

#: Folders beside an export that hold its media, as the tools name them.
MEDIA_FOLDERS = ("media", "attachments", "files", "DCIM", "foto", "photos")
#: At most this many files are indexed from one folder or zip (a tool's download of a few
#: thousand reports holds a few thousand photos).
MAX_MEDIA_FILES = 100_000
_IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".heic", ".heif"}


def _key(name: str) -> str:
    """The name a photo is found by: its last part, lower case."""
    return PurePosixPath(str(name).replace("\\", "/")).name.lower()


@dataclass
class MediaFiles:
    """Photos found by name in folders and zips (see the module docstring)."""

    files: dict[str, Path] = field(default_factory=dict)
    members: dict[str, tuple[Path, str]] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)

    def add_folder(self, folder: Path) -> None:
        """Index the images under ``folder`` (all depths); the first of a name stands."""
        count = 0
        for path in sorted(folder.rglob("*")):
            if path.suffix.lower() in _IMAGE_SUFFIXES and path.is_file() and not path.is_symlink():
                self.files.setdefault(_key(path.name), path)
                count += 1
                if count >= MAX_MEDIA_FILES:
                    break
        self.sources.append(str(folder))

    def add_zip(self, path: Path) -> None:
        """Index the images inside the zip ``path``.

        Raises
        ------
        SurveyError
            The file is not a readable zip.
        """
        try:
            with zipfile.ZipFile(path) as archive:
                for info in archive.infolist()[:MAX_MEDIA_FILES]:
                    if info.is_dir() or PurePosixPath(info.filename).suffix.lower() not in _IMAGE_SUFFIXES:
                        continue
                    self.members.setdefault(_key(info.filename), (path, info.filename))
        except (zipfile.BadZipFile, OSError) as exc:
            raise SurveyError(
                _("{file}: not a readable zip file ({reason})").format(file=path.name, reason=exc)
            ) from None
        self.sources.append(str(path))

    def add(self, path: Path) -> None:
        """A folder or a zip of media."""
        if path.is_dir():
            self.add_folder(path)
        elif zipfile.is_zipfile(path):
            self.add_zip(path)
        else:
            raise SurveyError(_("{path}: give a folder or a zip file of photos").format(path=path))

    def __len__(self) -> int:
        return len(self.files.keys() | self.members.keys())

    def read(self, name: str) -> bytes | None:
        """The bytes of the photo called ``name`` (a path's last part counts), ``None``
        when there is no such photo. A file larger than ``settings.photo_max_bytes`` is
        read only that far (plus one byte, so the check says it is too large)."""
        key = _key(name)
        limit = settings.photo_max_bytes + 1
        if key in self.files:
            with open(self.files[key], "rb") as fh:
                return fh.read(limit)
        if key in self.members:
            archive_path, member = self.members[key]
            with zipfile.ZipFile(archive_path) as archive, archive.open(member) as fh:
                return fh.read(limit)
        return None


def media_beside(export: Path, extra: list[Path] | None = None) -> MediaFiles:
    """The media of an export: the files beside it, its media folders (see
    :data:`MEDIA_FOLDERS`, and ``<name>_media`` / ``<name>-media``, folder or zip), the
    export itself when it is a zip, then ``extra`` folders or zips."""
    media = MediaFiles()
    folder = export.parent
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.suffix.lower() in _IMAGE_SUFFIXES:
            media.files.setdefault(_key(path.name), path)
    stem = export.name.rsplit(".", 1)[0]
    for name in (*MEDIA_FOLDERS, f"{stem}_media", f"{stem}-media", f"{stem}_media.zip", f"{stem}-media.zip"):
        path = folder / name
        if path.is_dir() or (path.is_file() and zipfile.is_zipfile(path)):
            media.add(path)
    if zipfile.is_zipfile(export):
        media.add_zip(export)
    for path in extra or []:
        media.add(path)
    return media
