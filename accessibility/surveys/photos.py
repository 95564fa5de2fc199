"""Photos of survey reports: checked, cleaned and stored in the workspace by their content.

A photo comes from a surveyor's phone (through a field tool's export or the web form) or
from anyone on the internet: it is taken as bytes and trusted in nothing.

- **What it is** is read from its content, never from its name: JPEG, PNG, and HEIC/HEIF
  (iPhones' default) when ``pillow-heif`` is installed. Anything else is refused.
- **How big** it may be: at most ``settings.photo_max_bytes`` as a file and
  ``settings.photo_max_pixels`` as a picture, checked from the header before a pixel is
  decoded (a few kilobytes can declare a picture that takes gigabytes to decode).
- **Cleaned**: decoded and encoded again with Pillow, turned upright by its EXIF
  orientation first, scaled down to ``settings.photo_max_side_px``. The new file carries
  no metadata: no EXIF (the GPS position of the phone, its owner, its serial number), no
  XMP, no comments, nothing a crafted file hid after its image data. PNG stays PNG (a
  drawing or a screenshot), the rest becomes JPEG.
- **Stored** under ``photos/`` in the workspace, named by the SHA-256 of the stored file
  (``photos/ab/abcd….jpg``): the same photo sent twice is one file, a name says nothing
  about the report, and the path is made of hexadecimal digits alone, so it never points
  outside the workspace whatever the original file was called.

:func:`clean_photo` is pure (bytes in, bytes out); :func:`store_photo` writes;
:func:`photo_file` finds a stored photo again from its reference, refusing any path that
is not one this module wrote.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import logging
import os
import re
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from PIL import Image, ImageOps, UnidentifiedImageError

from accessibility import settings
from accessibility.errors import PhotoError
from accessibility.i18n import _, number

__all__ = ["PHOTO_FORMATS", "CleanPhoto", "PhotoRef", "clean_photo", "heif_supported", "photo_file", "store_photo"]

log = logging.getLogger(__name__)

#: Pillow format names accepted, and the suffix their stored file gets.
PHOTO_FORMATS = {"JPEG": ".jpg", "PNG": ".png", "HEIF": ".jpg"}
#: The first bytes of each format (checked before Pillow sees the file).
_PNG = b"\x89PNG\r\n\x1a\n"
_JPEG = b"\xff\xd8\xff"
#: ISO base-media brands of HEIC/HEIF images (bytes 8-12 after ``ftyp``).
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
#: A stored photo's reference: two hex digits, then the 64 of its SHA-256 and a suffix.
_REF = re.compile(r"^[0-9a-f]{2}/([0-9a-f]{64})\.(jpg|png)$")


@functools.cache
def heif_supported() -> bool:
    """Whether HEIC/HEIF photos can be read (``pillow-heif`` installed and registered)."""
    try:
        import pillow_heif
    except ImportError:  # pragma: no cover - a declared dependency; absent only in a bare install
        return False
    pillow_heif.register_heif_opener()
    return True


@dataclass(frozen=True)
class CleanPhoto:
    """A photo decoded and encoded again without metadata: its ``data``, the stored
    ``suffix``, its size in pixels and the format it came in."""

    data: bytes
    suffix: str
    width: int
    height: int
    source_format: str


@dataclass(frozen=True)
class PhotoRef:
    """A stored photo.

    ``path`` is relative to the workspace, with forward slashes
    (``photos/ab/abcd….jpg``): what a report keeps. ``sha256`` is that of the stored file,
    ``name`` the file name it came with (for people only, never used as a path).
    """

    path: str
    sha256: str
    width: int
    height: int
    size: int
    name: str
    source_format: str


def _sniff(data: bytes) -> str | None:
    """The format the first bytes say, if any we take."""
    if data.startswith(_JPEG):
        return "JPEG"
    if data.startswith(_PNG):
        return "PNG"
    if len(data) >= 12 and data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS:
        return "HEIF"
    return None


def _label(name: str) -> str:
    """A file name as shown in a message: its last part, at most 80 characters."""
    base = PurePosixPath(str(name).replace("\\", "/")).name or "?"
    return base if len(base) <= 80 else base[:79] + "…"


def clean_photo(data: bytes, name: str = "") -> CleanPhoto:
    """Check a photo and encode it again without metadata (see the module docstring).

    Parameters
    ----------
    data
        The file's bytes.
    name
        Its file name, only to say which photo an error is about.

    Returns
    -------
    CleanPhoto

    Raises
    ------
    PhotoError
        Empty, too large, not a JPEG/PNG/HEIC image (whatever its name says), a picture
        of more than ``settings.photo_max_pixels``, or damaged.
    """
    label = _label(name)
    if not data:
        raise PhotoError(_("photo {name}: the file is empty").format(name=label))
    if len(data) > settings.photo_max_bytes:
        raise PhotoError(
            _("photo {name}: {size} MB, more than the {limit} MB allowed").format(
                name=label,
                size=number(len(data) / 1e6, 1),
                limit=number(settings.photo_max_bytes / 1e6, 0),
            )
        )
    kind = _sniff(data)
    if kind == "HEIF" and not heif_supported():  # pragma: no cover - see heif_supported
        kind = None
    if kind is None:
        raise PhotoError(
            _("photo {name}: not a JPEG, PNG or HEIC image (its content is something else)").format(name=label)
        )
    damaged = _("photo {name}: the image is damaged or incomplete").format(name=label)
    too_big = None
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=[kind]) as image:
                width, height = image.size
                if width * height > settings.photo_max_pixels:
                    too_big = (width, height)
                else:
                    image.load()
                    upright = ImageOps.exif_transpose(image)
                    clean = _encode(upright, kind)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            too_big = (0, 0)
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
            raise PhotoError(damaged) from None
    if too_big is not None:
        raise PhotoError(
            _("photo {name}: the picture is too large ({pixels} million pixels; at most {limit})").format(
                name=label,
                pixels=number(too_big[0] * too_big[1] / 1e6, 0) if too_big[0] else "?",
                limit=number(settings.photo_max_pixels / 1e6, 0),
            )
        )
    data_out, suffix, size = clean
    return CleanPhoto(data_out, suffix, size[0], size[1], kind.lower())


def _encode(image: Image.Image, kind: str) -> tuple[bytes, str, tuple[int, int]]:
    """The picture encoded again: only pixels, no metadata."""
    image.thumbnail((settings.photo_max_side_px, settings.photo_max_side_px), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    if kind == "PNG":
        mode = "RGBA" if image.mode in {"RGBA", "LA", "PA"} or "transparency" in image.info else "RGB"
        pixels = _bare(image.convert(mode))
        pixels.save(out, format="PNG", optimize=True)  # no pnginfo: no text chunks, no EXIF
        suffix = ".png"
    else:
        pixels = _bare(image.convert("RGB"))
        pixels.save(out, format="JPEG", quality=settings.photo_jpeg_quality, optimize=True)  # no exif=, no icc
        suffix = ".jpg"
    return out.getvalue(), suffix, pixels.size


def _bare(image: Image.Image) -> Image.Image:
    """The same pixels in a new image with nothing else: Pillow carries EXIF, comments and
    ICC profiles over from ``image.info`` when it saves, so only a fresh image is bare."""
    return Image.frombytes(image.mode, image.size, image.tobytes())


def _photos_dir(workspace_dir: str | Path) -> tuple[Path, Path]:
    """The workspace and its photos folder, both resolved; the folder must lie inside."""
    root = Path(workspace_dir).resolve()
    if not root.is_dir():
        raise PhotoError(_("{path}: the workspace folder does not exist").format(path=workspace_dir))
    folder = (root / settings.photos_folder).resolve()
    if not folder.is_relative_to(root):
        raise PhotoError(_("{path}: the photos folder leads outside the workspace").format(path=folder))
    return root, folder


def store_photo(workspace_dir: str | Path, data: bytes, name: str = "") -> PhotoRef:
    """Check, clean and store a photo in the workspace (see the module docstring).

    Parameters
    ----------
    workspace_dir
        The city's workspace folder.
    data
        The photo's bytes, as received.
    name
        The file name it came with (for messages and :attr:`PhotoRef.name`).

    Returns
    -------
    PhotoRef
        Where it is stored; the same photo stored again gives the same reference.

    Raises
    ------
    PhotoError
        The photo is refused (see :func:`clean_photo`), or the workspace is missing.
    """
    clean = clean_photo(data, name)
    digest = hashlib.sha256(clean.data).hexdigest()
    root, folder = _photos_dir(workspace_dir)
    relative = f"{digest[:2]}/{digest}{clean.suffix}"
    target = (folder / relative).resolve()
    if not target.is_relative_to(folder):  # pragma: no cover - the name is hex digits only
        raise PhotoError(_("{path}: the photos folder leads outside the workspace").format(path=target))
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".photo-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(clean.data)
            os.replace(tmp, target)  # whole or not at all
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        log.info("stored photo %s (%d bytes, %dx%d)", relative, len(clean.data), clean.width, clean.height)
    return PhotoRef(
        f"{settings.photos_folder}/{relative}",
        digest,
        clean.width,
        clean.height,
        len(clean.data),
        _label(name) if name else "",
        clean.source_format,
    )


def photo_file(workspace_dir: str | Path, path: str) -> Path:
    """The file of a stored photo from its reference (``photos/ab/abcd….jpg``).

    Only references :func:`store_photo` makes are accepted: anything else (``..``, an
    absolute path, another folder) is refused, so a reference read from a store or a
    request never opens a file outside the photos folder.

    Raises
    ------
    PhotoError
        Not a photo reference, or no such photo in the workspace.
    """
    prefix = settings.photos_folder + "/"
    match = _REF.match(path[len(prefix) :]) if isinstance(path, str) and path.startswith(prefix) else None
    if match is None:
        raise PhotoError(_("{path} is not a stored photo").format(path=repr(str(path)[:100])))
    _root, folder = _photos_dir(workspace_dir)
    target = folder / path[len(prefix) :]
    if not target.is_file():
        raise PhotoError(_("photo {path} is not in the workspace").format(path=path))
    return target
