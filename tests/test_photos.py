"""Photos of survey reports: read by content, limits, metadata stripped, stored by hash
inside the workspace (tiny images generated here)."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image, PngImagePlugin

from accessibility import settings
from accessibility.errors import AccessibilityError, PhotoError
from accessibility.surveys.photos import clean_photo, heif_supported, photo_file, store_photo

GPS_IFD = 0x8825


def jpeg_with_gps(size=(40, 20), orientation: int | None = None) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0131] = "secret-owner-app"  # Software
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (45.0, 8.0, 0.0), 3: "E", 4: (10.0, 1.0, 0.0)})
    if orientation:
        exif[0x0112] = orientation
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes(), comment=b"taken at home")
    return out.getvalue()


def png_bytes(size=(8, 6), mode="RGBA", text: str | None = None) -> bytes:
    image = Image.new(mode, size, (10, 200, 10, 128) if mode == "RGBA" else (10, 200, 10))
    out = io.BytesIO()
    info = PngImagePlugin.PngInfo()
    if text:
        info.add_text("Comment", text)
    image.save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def png_header_claiming(width: int, height: int) -> bytes:
    """A few hundred bytes that declare a huge picture (a decompression bomb's header)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 1000)) + chunk(b"IEND", b"")
    )


def test_jpeg_is_stored_without_exif_gps_under_its_hash(tmp_path):
    data = jpeg_with_gps()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD)  # the input has a position
    ref = store_photo(tmp_path, data, "IMG_0001.JPG")
    stored = tmp_path / ref.path
    assert ref.path == f"photos/{ref.sha256[:2]}/{ref.sha256}.jpg" and stored.is_file()
    raw = stored.read_bytes()
    import hashlib

    assert hashlib.sha256(raw).hexdigest() == ref.sha256 and ref.size == len(raw)
    with Image.open(stored) as image:
        assert image.format == "JPEG" and image.size == (40, 20) == (ref.width, ref.height)
        assert not image.getexif() and "exif" not in image.info and "comment" not in image.info
    for secret in (b"PhoneMaker", b"secret-owner-app", b"taken at home", b"Exif"):
        assert secret not in raw
    assert ref.name == "IMG_0001.JPG" and ref.source_format == "jpeg"
    # the same photo again: the same file, nothing new written
    again = store_photo(tmp_path, data, "copy.jpg")
    assert again.path == ref.path and len(list((tmp_path / "photos").rglob("*.*"))) == 1
    assert photo_file(tmp_path, ref.path) == stored


def test_orientation_is_applied_before_the_exif_goes(tmp_path):
    ref = store_photo(tmp_path, jpeg_with_gps((40, 20), orientation=6), "sideways.jpg")
    assert (ref.width, ref.height) == (20, 40)


def test_png_stays_png_without_its_text_chunks(tmp_path):
    ref = store_photo(tmp_path, png_bytes(text="via Roma 3, casa di Anna"), "schizzo.png")
    raw = (tmp_path / ref.path).read_bytes()
    assert ref.path.endswith(".png") and b"casa di Anna" not in raw
    with Image.open(io.BytesIO(raw)) as image:
        assert image.mode == "RGBA" and image.size == (8, 6) and not image.text


def test_large_photos_are_scaled_down(tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "photo_max_side_px", 16)
    clean = clean_photo(jpeg_with_gps((64, 32)), "big.jpg")
    assert (clean.width, clean.height) == (16, 8)


@pytest.mark.skipif(not heif_supported(), reason="pillow-heif not installed")
def test_heic_becomes_jpeg(tmp_path):
    import pillow_heif

    image = Image.new("RGB", (32, 16), (0, 0, 255))
    out = io.BytesIO()
    try:
        pillow_heif.from_pillow(image).save(out, format="HEIF", quality=80)
    except Exception as exc:  # a libheif built without an encoder can only read
        pytest.skip(f"no HEIF encoder here ({exc})")
    ref = store_photo(tmp_path, out.getvalue(), "IMG_0002.HEIC")
    assert ref.path.endswith(".jpg") and ref.source_format == "heif" and (ref.width, ref.height) == (32, 16)


@pytest.mark.parametrize(
    "data, name, words",
    [
        (b"", "vuota.jpg", "empty"),
        (b"<svg onload='alert(1)'></svg>", "foto.jpg", "not a JPEG, PNG or HEIC"),
        (b"GIF89a" + b"\0" * 30, "animata.gif", "not a JPEG, PNG or HEIC"),
        (b"%PDF-1.4 ...", "doc.png", "not a JPEG, PNG or HEIC"),
        (jpeg_with_gps()[:200], "tagliata.jpg", "damaged"),
        (png_header_claiming(30_000, 30_000), "bomba.png", "too large"),
    ],
)
def test_refused_with_one_clear_line(tmp_path, data, name, words):
    with pytest.raises(PhotoError, match=words) as caught:
        store_photo(tmp_path, data, name)
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, AccessibilityError)
    assert name in str(caught.value) and "\n" not in str(caught.value)
    assert not (tmp_path / "photos").exists()


def test_file_size_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "photo_max_bytes", 100)
    with pytest.raises(PhotoError, match="more than"):
        store_photo(tmp_path, jpeg_with_gps(), "grande.jpg")


def test_pixel_limit_is_checked_before_decoding(tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "photo_max_pixels", 100)
    with pytest.raises(PhotoError, match="too large"):
        clean_photo(png_bytes((11, 10)), "a.png")
    assert clean_photo(png_bytes((10, 10)), "b.png").width == 10


def test_names_never_become_paths(tmp_path):
    ws = tmp_path / "ws"
    ws.mkdir()
    ref = store_photo(ws, png_bytes(), "../../../etc/passwd.png")
    assert ref.name == "passwd.png" and (ws / ref.path).resolve().is_relative_to(ws.resolve())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ws"]
    for bad in ("../x.jpg", "/etc/passwd", "photos/../surveys.gpkg", "photos/ab/../../x.jpg", "photos/ab/zz.jpg"):
        with pytest.raises(PhotoError, match="not a stored photo"):
            photo_file(ws, bad)
    with pytest.raises(PhotoError, match="not in the workspace"):
        photo_file(ws, f"photos/00/{'0' * 64}.jpg")


def test_photos_folder_leading_outside_is_refused(tmp_path):
    ws, outside = tmp_path / "ws", tmp_path / "elsewhere"
    ws.mkdir(), outside.mkdir()
    (ws / "photos").symlink_to(outside)
    with pytest.raises(PhotoError, match="outside the workspace"):
        store_photo(ws, png_bytes(), "a.png")
    assert not any(outside.iterdir())


def test_missing_workspace(tmp_path):
    with pytest.raises(PhotoError, match="does not exist"):
        store_photo(tmp_path / "nowhere", png_bytes(), "a.png")
