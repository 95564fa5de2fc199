"""Write files and folders atomically: all of a result, or nothing where the user looks.

Writes go to a temporary file or folder beside the target and are renamed into place at
the end, so a failure never leaves a partial file where the user expects a result.

Temporary names carry the writing process's id (``.report.html.part-4242-k3j9x2``), so a
run that was killed (``kill -9``, a power cut) is recognised by the next one: its
leftovers are removed, and a folder swap cut short between its two renames is finished
with the last complete folder. Folders and files get the user's normal mode (the umask),
never the private ``drwx------`` of :func:`tempfile.mkdtemp`: a web server or a colleague
can read the maps.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import re
import secrets
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = [
    "clean_leftovers",
    "link_or_copy",
    "new_file",
    "new_folder",
    "sqlite_write_lock",
    "swap_in",
    "temp_folder",
    "write_bytes",
    "write_text",
]

log = logging.getLogger(__name__)

_PART, _OLD = "part", "old"


def _temp_name(target: Path, kind: str, suffix: str = "") -> Path:
    return target.with_name(f".{target.name}.{kind}-{os.getpid()}-{secrets.token_hex(4)}{suffix}")


def _leftover_pattern(name: str, suffix: str) -> re.Pattern[str]:
    """Temporary names beside ``name``: ours (``.name.part-PID-xxxxxxxx``) and those of
    older versions (``tempfile``'s ``.name.xxxxxxxx`` and ``.name.old.xxxxxxxx`` folders,
    ``.name.xxxxxxxx.suffix`` files), nothing else a person might have named so."""
    ours = rf"(?P<kind>{_PART}|{_OLD})-(?P<pid>\d+)-[0-9a-f]{{8}}(?:{re.escape(suffix)})?"
    legacy = rf"(?P<legacy>(?:old\.)?[a-z0-9_]{{8}})(?P<legacy_suffix>{re.escape(suffix)})?"
    return re.compile(rf"^\.{re.escape(name)}\.(?:{ours}|{legacy})$")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True  # another writer in this process (a thread of the web app)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    return True


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def clean_leftovers(target: str | Path) -> list[Path]:
    """Remove what interrupted writes of ``target`` left beside it; returns what was removed.

    A folder swap cut short after the old folder was moved aside and before the new one
    took its place leaves no ``target``: the old folder (the last complete result) is put
    back. Temporary names of live processes are left alone.

    Parameters
    ----------
    target
        The file or folder a write produces.

    Returns
    -------
    list of Path
        The leftovers removed (and not the old folder put back).
    """
    target = Path(target)
    parent = target.parent
    if not parent.is_dir():
        return []
    pattern = _leftover_pattern(target.name, target.suffix)
    stale: list[tuple[str, Path]] = []
    for entry in parent.iterdir():
        m = pattern.match(entry.name)
        if m is None:
            continue
        pid = m.group("pid")
        if pid is not None and _alive(int(pid)):
            continue
        if m.group("legacy") and entry.is_dir() == bool(m.group("legacy_suffix") and target.suffix):
            continue  # tempfile's folders have no suffix, its files the target's
        kind = m.group("kind") or (_OLD if entry.name.startswith(f".{target.name}.old.") else _PART)
        stale.append((kind, entry))
    if not target.exists():
        olds = sorted((p for kind, p in stale if kind == _OLD and p.is_dir()), key=lambda p: p.stat().st_mtime)
        if olds:
            olds[-1].rename(target)
            log.warning("%s: an interrupted write had moved it aside; put back", target)
            stale = [(k, p) for k, p in stale if p != olds[-1]]
    removed = []
    for _kind, path in stale:
        _remove(path)
        removed.append(path)
        log.info("removed %s, left by an interrupted write", path)
    return removed


def _mkdir_normal(path: Path) -> None:
    """Create a folder with the user's normal mode (``os.mkdir`` applies the umask)."""
    os.mkdir(path)


@contextmanager
def temp_folder(target: str | Path) -> Iterator[Path]:
    """An empty folder beside ``target`` to write a new version of it into, removed if the
    block fails (the caller puts it in place with :func:`swap_in`). Leftovers of
    interrupted runs are cleaned first (:func:`clean_leftovers`)."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    clean_leftovers(target)
    tmp = _temp_name(target, _PART)
    _mkdir_normal(tmp)
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


@contextmanager
def new_folder(target: str | Path) -> Iterator[Path]:
    """Write a whole folder atomically: yield an empty folder beside ``target``; on success
    it replaces ``target`` (the old one is removed only after the swap), on failure it is
    deleted and ``target`` is left as it was. Leftovers of interrupted runs are cleaned
    first (:func:`clean_leftovers`).

    >>> import tempfile; base = Path(tempfile.mkdtemp())
    >>> with new_folder(base / "out") as tmp: _ = (tmp / "a.txt").write_text("1")
    >>> sorted(p.name for p in (base / "out").iterdir())
    ['a.txt']
    """
    with temp_folder(target) as tmp:
        yield tmp
        swap_in(tmp, Path(target))


def swap_in(new: Path, target: Path) -> None:
    """Put the folder ``new`` in the place of ``target`` (two renames; an old ``target`` is
    moved aside first and removed after). A run killed between the renames is repaired by
    the next :func:`clean_leftovers`."""
    if target.exists():
        old = _temp_name(target, _OLD)
        target.rename(old)
        new.rename(target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        new.rename(target)


@contextmanager
def new_file(target: str | Path) -> Iterator[Path]:
    """Write one file atomically: yield a free path beside ``target`` (same suffix); on
    success it replaces ``target``, on failure it is deleted and ``target`` is untouched.
    The writer creates the file itself, so it gets the user's normal mode."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    clean_leftovers(target)
    tmp = _temp_name(target, _PART, target.suffix)
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


def link_or_copy(source: Path, target: Path) -> bool:
    """Give ``source`` a second name ``target`` (a hard link: the same file, so a writer
    that has it open writes into both names); copy it where links are not possible
    (another file system, a share without links). Returns True for a link."""
    try:
        os.link(source, target)
        return True
    except OSError as exc:
        if exc.errno not in {errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP, errno.EOPNOTSUPP}:
            raise
    shutil.copy2(source, target)
    return False


@contextmanager
def sqlite_write_lock(path: Path, timeout_s: float) -> Iterator[bool]:
    """Hold the write lock of the SQLite file ``path`` (creating an empty file when there is
    none, so nobody can create it meanwhile): writers wait until the block ends.

    Yields True once the lock is held (or when ``path`` is no database at all: nobody
    can write it either); False when it stayed busy for ``timeout_s`` seconds (the
    block then runs without it: the caller decides what to do).
    """
    con = sqlite3.connect(path, timeout=timeout_s, isolation_level=None)
    try:
        held = True
        try:
            con.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            held = False
            log.warning("%s: write lock not taken (%s)", path, exc)
        except sqlite3.DatabaseError as exc:  # not a database: no writer can change it
            log.warning("%s: not an SQLite database (%s)", path, exc)
        try:
            yield held
        finally:
            with contextlib.suppress(sqlite3.Error):
                if con.in_transaction:
                    con.execute("ROLLBACK")
    finally:
        con.close()
