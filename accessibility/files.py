"""Write files and folders atomically: all of a result, or nothing where the user looks.

Writes go to a temporary file or folder beside the target and are renamed into place at
the end, so a failure never leaves a partial file where the user expects a result.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["new_file", "new_folder", "write_bytes", "write_text"]


@contextmanager
def new_folder(target: str | Path) -> Iterator[Path]:
    """Write a whole folder atomically: yield an empty folder beside ``target``; on success
    it replaces ``target`` (the old one is removed only after the swap), on failure it is
    deleted and ``target`` is left as it was.

    >>> import tempfile; base = Path(tempfile.mkdtemp())
    >>> with new_folder(base / "out") as tmp: _ = (tmp / "a.txt").write_text("1")
    >>> sorted(p.name for p in (base / "out").iterdir())
    ['a.txt']
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        yield tmp
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=target.parent))
            old.rmdir()
            target.rename(old)
            tmp.rename(target)
            shutil.rmtree(old)
        else:
            tmp.rename(target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


@contextmanager
def new_file(target: str | Path) -> Iterator[Path]:
    """Write one file atomically: yield a free path beside ``target`` (same suffix); on
    success it replaces ``target``, on failure it is deleted and ``target`` is untouched."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=target.suffix, dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    tmp.unlink()  # writers (GDAL among them) want to create the file themselves
    try:
        yield tmp
        tmp.replace(target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text(text: str, path: str | Path) -> Path:
    """Write a text file (HTML, GeoJSON) atomically, UTF-8."""
    with new_file(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_bytes(content: bytes, path: str | Path) -> Path:
    """Write a binary file atomically."""
    with new_file(path) as tmp:
        tmp.write_bytes(content)
    return Path(path)
