"""Tests for fitroom.imaging.load: decoding, limits, orientation, colour and saving."""

from __future__ import annotations

import io
import struct
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageCms, ImageFile

from fitroom.errors import (
    CorruptImageError,
    EmptyImageError,
    ImageError,
    ImageTooLargeError,
    UnsupportedImageError,
)
from fitroom.imaging import (
    DEFAULT_LIMITS,
    ImageLimits,
    load_image,
    load_label_map,
    load_mask,
    save_image,
)
from fitroom.imaging.load import _gray_to_uint8


# --- helpers ------------------------------------------------------------------------------
def encode(im: Image.Image, fmt: str, **kw: object) -> bytes:
    buf = io.BytesIO()
    im.save(buf, format=fmt, **kw)
    return buf.getvalue()


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def gradient(width: int = 48, height: int = 32) -> np.ndarray:
    """A smooth HxWx3 uint8 test picture (JPEG-friendly)."""
    y, x = np.mgrid[0:height, 0:width]
    return np.stack(
        [x * 255 // (width - 1), y * 255 // (height - 1), np.full_like(x, 90)], axis=-1
    ).astype(np.uint8)


def png_claiming_size(width: int, height: int) -> bytes:
    """A valid 1x1 PNG whose IHDR is patched to claim ``width x height`` (CRC fixed)."""
    data = bytearray(encode(Image.new("RGB", (1, 1)), "PNG"))
    assert data[12:16] == b"IHDR"
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def jpeg_claiming_size(width: int, height: int) -> bytes:
    data = bytearray(encode(Image.new("RGB", (8, 8)), "JPEG"))
    sof = data.find(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def webp_claiming_size(width: int, height: int) -> bytes:
    data = bytearray(encode(Image.new("RGBA", (8, 8), (1, 2, 3, 100)), "WEBP"))
    assert data[12:16] == b"VP8X"
    data[24:30] = (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    return bytes(data)


def swapped_primaries_profile() -> bytes:
    """Pillow's sRGB profile with the red and green colorants swapped (ICC "RGB " space)."""
    data = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    tags = {}
    for k in range(struct.unpack(">I", data[128:132])[0]):
        sig, off, size = struct.unpack(">4sII", data[132 + 12 * k : 144 + 12 * k])
        tags[sig] = (off, size)
    (r_off, r_size), (g_off, g_size) = tags[b"rXYZ"], tags[b"gXYZ"]
    red, green = bytes(data[r_off : r_off + r_size]), bytes(data[g_off : g_off + g_size])
    data[r_off : r_off + r_size], data[g_off : g_off + g_size] = green, red
    data[84:100] = bytes(16)  # profile ID (MD5) "not computed"
    return bytes(data)


class Stream:
    """A non-seekable binary stream (like a socket or an upload)."""

    def __init__(self, data: bytes) -> None:
        self._buf = io.BytesIO(data)

    def read(self, n: int = -1) -> bytes:
        return self._buf.read(n)


# --- round trips and sources ------------------------------------------------------------
@pytest.mark.parametrize(
    ("fmt", "name", "kw", "tol"),
    [
        ("PNG", "photo.jpg", {}, 0),
        ("JPEG", "photo.txt", {"quality": 95}, 6),
        ("WEBP", "photo.png", {"lossless": True}, 0),
        ("WEBP", "photo", {"quality": 95}, 12),
    ],
)
def test_round_trip_detected_by_content_not_extension(
    tmp_path: Path, fmt: str, name: str, kw: dict, tol: int
) -> None:
    pixels = gradient()
    path = write(tmp_path, name, encode(Image.fromarray(pixels), fmt, **kw))
    out = load_image(path)
    assert out.shape == (32, 48, 3) and out.dtype == np.uint8
    assert out.flags.c_contiguous and out.flags.writeable
    assert np.abs(out.astype(int) - pixels).max() <= tol


@pytest.mark.parametrize(
    "make",
    [
        lambda p, d: str(p),
        lambda p, d: p,
        lambda p, d: d,
        lambda p, d: bytearray(d),
        lambda p, d: memoryview(d),
        lambda p, d: io.BytesIO(d),
        lambda p, d: Stream(d),
    ],
    ids=["str", "path", "bytes", "bytearray", "memoryview", "bytesio", "stream"],
)
def test_sources(tmp_path: Path, make) -> None:
    pixels = gradient()
    data = encode(Image.fromarray(pixels), "PNG")
    path = write(tmp_path, "x.png", data)
    np.testing.assert_array_equal(load_image(make(path, data)), pixels)


def test_open_binary_file_object(tmp_path: Path) -> None:
    pixels = gradient()
    path = write(tmp_path, "x.png", encode(Image.fromarray(pixels), "PNG"))
    with path.open("rb") as f:
        np.testing.assert_array_equal(load_image(f), pixels)


def test_bad_source_types(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="path, bytes or a binary file"):
        load_image(42)  # type: ignore[arg-type]
    path = write(tmp_path, "x.png", encode(Image.new("RGB", (2, 2)), "PNG"))
    with path.open("r", encoding="latin-1") as f, pytest.raises(TypeError, match="binary"):
        load_image(f)  # type: ignore[arg-type]


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="file not found") as err:
        load_image(tmp_path / "nope.jpg")
    assert "nope.jpg" in str(err.value)
    with pytest.raises(ImageError, match="folder"):
        load_image(tmp_path)


# --- limits -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "make", [png_claiming_size, jpeg_claiming_size, webp_claiming_size], ids=["png", "jpeg", "webp"]
)
def test_huge_image_rejected_from_header_before_pillow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make
) -> None:
    path = write(tmp_path, "bomb.img", make(20000, 20000))
    assert path.stat().st_size < 1000

    def no_pillow(*args: object, **kwargs: object) -> None:
        raise AssertionError("Pillow must not be asked to open an over-limit image")

    monkeypatch.setattr(Image, "open", no_pillow)
    start = time.perf_counter()
    with pytest.raises(ImageTooLargeError) as err:
        load_image(path)
    assert time.perf_counter() - start < 0.5
    assert str(err.value) == (
        "image is 20000x20000 = 400.0 megapixels, more than the limit of 40.0"
    )
    assert err.value.code == "image_too_large"


def test_pixel_limit_on_a_real_image() -> None:
    data = encode(Image.new("RGB", (20, 20)), "PNG")
    with pytest.raises(ImageTooLargeError, match=r"20x20 = 0\.0004 megapixels"):
        load_image(data, ImageLimits(max_pixels=399))
    assert load_image(data, ImageLimits(max_pixels=400)).shape == (20, 20, 3)


def test_pillow_own_bomb_limit_is_converted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 50)  # 20x20 > 2 * 50
    data = encode(Image.new("RGB", (20, 20)), "PNG")
    with pytest.raises(ImageTooLargeError, match="Pillow's own safety limit"):
        load_image(data, ImageLimits(max_pixels=10**6))


@pytest.mark.parametrize(
    "make",
    [lambda p, d: p, lambda p, d: d, lambda p, d: io.BytesIO(d), lambda p, d: Stream(d)],
    ids=["path", "bytes", "bytesio", "stream"],
)
def test_byte_limit(tmp_path: Path, make) -> None:
    noise = np.random.default_rng(2).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    data = encode(Image.fromarray(noise), "PNG")
    assert len(data) > 1024
    path = write(tmp_path, "x.png", data)
    with pytest.raises(ImageTooLargeError, match="than the limit of 1.0 KB"):
        load_image(make(path, data), ImageLimits(max_bytes=1024))


def test_byte_limit_message_shows_exact_sizes_when_rounding_hides_them() -> None:
    data = encode(Image.new("RGB", (30, 30)), "PNG")
    limit = len(data) - 1
    with pytest.raises(ImageTooLargeError) as err:
        load_image(data, ImageLimits(max_bytes=limit))
    assert str(err.value) == f"the file is {len(data)} bytes, more than the limit of {limit} bytes"
    big = bytes(1060)
    with pytest.raises(ImageTooLargeError, match=r"is 1,060 bytes, more than the limit of 1,050"):
        load_image(big, ImageLimits(max_bytes=1050))
    with pytest.raises(ImageTooLargeError, match="the file is larger than the limit of 1.0 KB"):
        load_image(Stream(big), ImageLimits(max_bytes=1024))


def test_byte_limit_checked_before_reading_a_seekable_file() -> None:
    data = encode(Image.fromarray(gradient()), "PNG")
    f = io.BytesIO(data)
    with pytest.raises(ImageTooLargeError, match="more than the limit of 100 bytes"):
        load_image(f, ImageLimits(max_bytes=100))
    assert f.tell() == 0  # nothing was consumed


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "10"])
def test_limits_validated(bad: object) -> None:
    with pytest.raises(ValueError, match="positive integer"):
        ImageLimits(max_bytes=bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="positive integer"):
        ImageLimits(max_pixels=bad)  # type: ignore[arg-type]
    assert DEFAULT_LIMITS == ImageLimits(20 * 1024 * 1024, 40_000_000)


# --- not images, empty, corrupt ----------------------------------------------------------
@pytest.mark.parametrize(
    ("data", "phrase"),
    [
        (b"hello, this is a text file\nnot a photo\n", "looks like text"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "looks like a PDF document"),
        (b"<!DOCTYPE html><html><body>hi</body></html>", "looks like an HTML page"),
        (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', "SVG"),
        (encode(Image.new("RGB", (4, 4)), "BMP"), "looks like a BMP image"),
        (encode(Image.new("RGB", (4, 4)), "TIFF"), "looks like a TIFF image"),
        (bytes(range(256)) * 4, "this file is not a JPEG, PNG or WebP image"),
    ],
    ids=["text", "pdf", "html", "svg", "bmp", "tiff", "binary"],
)
def test_unsupported_files(tmp_path: Path, data: bytes, phrase: str) -> None:
    path = write(tmp_path, "upload.jpg", data)
    with pytest.raises(UnsupportedImageError, match=phrase) as err:
        load_image(path)
    assert "JPEG, PNG or WebP" in str(err.value)


def test_animated_gif_is_unsupported() -> None:
    frames = [Image.new("RGB", (8, 8), c) for c in ((255, 0, 0), (0, 255, 0))]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=50)
    with pytest.raises(UnsupportedImageError, match="looks like a GIF image"):
        load_image(data)


def test_empty_file(tmp_path: Path) -> None:
    with pytest.raises(EmptyImageError, match="empty"):
        load_image(write(tmp_path, "empty.png", b""))
    with pytest.raises(EmptyImageError, match="empty"):
        load_image(b"")
    with pytest.raises(EmptyImageError, match="empty"):
        load_image(Stream(b""))


@pytest.mark.parametrize(
    ("magic", "name"), [(b"\xff\xd8\xff\xe0", "JPEG"), (b"\x89PNG\r\n\x1a\n", "PNG")]
)
def test_corrupt_data_after_a_valid_signature(magic: bytes, name: str) -> None:
    junk = np.random.default_rng(0).integers(0, 256, 4000, dtype=np.uint8).tobytes()
    with pytest.raises(CorruptImageError, match=f"this {name} image is damaged") as err:
        load_image(magic + junk)
    assert err.value.code == "corrupt_image"


@pytest.mark.parametrize(("fmt", "name"), [("JPEG", "JPEG"), ("PNG", "PNG"), ("WEBP", "WebP")])
def test_truncated(tmp_path: Path, fmt: str, name: str) -> None:
    noise = np.random.default_rng(1).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    data = encode(Image.fromarray(noise), fmt)
    path = write(tmp_path, "cut", data[: len(data) // 2])
    with pytest.raises(CorruptImageError, match=f"this {name} image is damaged or incomplete"):
        load_image(path)


def test_truncated_still_rejected_if_someone_enabled_load_truncated(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    data = encode(Image.fromarray(gradient()), "JPEG")
    with pytest.warns(RuntimeWarning, match="LOAD_TRUNCATED_IMAGES"):
        with pytest.raises(CorruptImageError, match="damaged or incomplete"):
            load_image(data[: len(data) // 2])
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


# --- modes --------------------------------------------------------------------------------
def test_cmyk_jpeg_keeps_its_colour() -> None:
    im = Image.new("CMYK", (16, 16), (0, 255, 255, 0))  # pure red in naive CMYK
    im.paste((0, 0, 0, 255), (8, 0, 16, 16))  # right half black
    out = load_image(encode(im, "JPEG", quality=95))
    assert np.abs(out[:, :6].astype(int) - (255, 0, 0)).max() <= 8
    assert out[:, 10:].max() <= 8


def test_16bit_grayscale_png_is_divided_by_257() -> None:
    values = np.array([[0, 257 * 10, 32896, 65535, 257 * 200 + 128]], dtype=np.uint16)
    data = encode(Image.fromarray(values), "PNG")
    assert Image.open(io.BytesIO(data)).mode == "I;16"
    out = load_image(data)
    assert out.shape == (1, 5, 3)
    np.testing.assert_array_equal(out[..., 0], [[0, 10, 128, 255, 200]])
    assert (out == out[..., :1]).all()


@pytest.mark.parametrize(
    ("mode", "values", "expected"),
    [
        ("I", [0, 257, 65535], [0, 1, 255]),
        ("I", [-10, 0, 10], [0, 128, 255]),
        ("F", [0.0, 0.5, 1.0], [0, 128, 255]),
        ("F", [-1.0, 0.0, 3.0], [0, 64, 255]),
        ("I;16B", [0, 514, 65535], [0, 2, 255]),
    ],
)
def test_wide_grayscale_scaled_by_range(mode: str, values: list, expected: list) -> None:
    dtype = {"I": "<i4", "F": "<f4", "I;16B": ">u2"}[mode]
    arr = np.array([values], dtype=dtype)
    im = Image.frombuffer(mode, (3, 1), arr.tobytes(), "raw", mode, 0, 1)
    np.testing.assert_array_equal(_gray_to_uint8(im), [expected])


def _alpha_cases() -> list:
    rgba = Image.new("RGBA", (3, 1))
    rgba.putdata([(255, 0, 0, 255), (255, 0, 0, 0), (0, 0, 0, 128)])
    la = Image.new("LA", (3, 1))
    la.putdata([(40, 255), (40, 0), (0, 128)])
    pal = Image.new("P", (3, 1))
    pal.putpalette([255, 0, 0, 0, 0, 255, 0, 0, 0])
    pal.putdata([0, 1, 2])
    l_trns = Image.new("L", (3, 1))
    l_trns.putdata([40, 7, 7])
    rgb_trns = Image.new("RGB", (3, 1))
    rgb_trns.putdata([(255, 0, 0), (1, 2, 3), (1, 2, 3)])
    return [
        pytest.param(rgba, {}, [(255, 0, 0), (255, 255, 255), (127, 127, 127)], id="RGBA"),
        pytest.param(la, {}, [(40, 40, 40), (255, 255, 255), (127, 127, 127)], id="LA"),
        pytest.param(
            pal,
            {"transparency": bytes([255, 0, 128])},
            [(255, 0, 0), (255, 255, 255), (127, 127, 127)],
            id="P-alpha-table",
        ),
        pytest.param(pal, {"transparency": 1}, [(255, 0, 0), (255,) * 3, (0, 0, 0)], id="P-index"),
        pytest.param(l_trns, {"transparency": 7}, [(40,) * 3, (255,) * 3, (255,) * 3], id="L-tRNS"),
        pytest.param(
            rgb_trns,
            {"transparency": (1, 2, 3)},
            [(255, 0, 0), (255,) * 3, (255,) * 3],
            id="RGB-tRNS",
        ),
    ]


@pytest.mark.parametrize(("im", "kw", "expected"), _alpha_cases())
def test_transparency_composited_on_white(im: Image.Image, kw: dict, expected: list) -> None:
    out = load_image(encode(im, "PNG", **kw))
    np.testing.assert_allclose(out[0], expected, atol=1)


def test_transparent_webp_composited_on_white() -> None:
    im = Image.new("RGBA", (8, 8), (0, 0, 255, 0))
    im.paste((0, 0, 255, 255), (0, 0, 4, 8))
    out = load_image(encode(im, "WEBP", lossless=True))
    np.testing.assert_array_equal(out[:, :4], np.broadcast_to([0, 0, 255], (8, 4, 3)))
    np.testing.assert_array_equal(out[:, 4:], np.full((8, 4, 3), 255))


@pytest.mark.parametrize("mode", ["1", "L", "P", "RGB", "RGBA", "LA", "I;16"])
def test_every_mode_gives_rgb_uint8(mode: str) -> None:
    im = Image.new(mode, (5, 3))
    out = load_image(encode(im, "PNG"))
    assert out.shape == (3, 5, 3) and out.dtype == np.uint8 and out.flags.c_contiguous


# --- animation ----------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_animation_returns_first_frame(fmt: str) -> None:
    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255)]
    frames = [Image.new("RGB", (8, 6), c) for c in colours]
    extra = {"lossless": True} if fmt == "WEBP" else {}
    data = encode(frames[0], fmt, save_all=True, append_images=frames[1:], duration=80, **extra)
    assert Image.open(io.BytesIO(data)).n_frames == 3
    out = load_image(data)
    assert out.shape == (6, 8, 3)
    np.testing.assert_array_equal(out, np.broadcast_to(colours[0], (6, 8, 3)))


# --- orientation --------------------------------------------------------------------------
def _corners(img: np.ndarray, size: int = 8) -> dict[str, float]:
    return {
        "tl": img[:size, :size].mean(),
        "tr": img[:size, -size:].mean(),
        "bl": img[-size:, :size].mean(),
        "br": img[-size:, -size:].mean(),
    }


@pytest.mark.parametrize(
    ("orientation", "shape", "marked"),
    [
        (1, (40, 60, 3), "tl"),
        (3, (40, 60, 3), "br"),
        (6, (60, 40, 3), "tr"),
        (8, (60, 40, 3), "bl"),
    ],
)
def test_exif_orientation(orientation: int, shape: tuple, marked: str) -> None:
    stored = np.zeros((40, 60, 3), np.uint8)
    stored[:12, :12] = 255  # mark the stored top-left corner
    exif = Image.Exif()
    exif[0x0112] = orientation
    out = load_image(encode(Image.fromarray(stored), "JPEG", quality=95, exif=exif))
    assert out.shape == shape
    corners = _corners(out)
    assert corners.pop(marked) > 200
    assert max(corners.values()) < 30


def test_save_image_writes_no_metadata(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "ACME camera"  # Make
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = encode(Image.fromarray(gradient()), "JPEG", exif=exif, icc_profile=icc)
    img = load_image(data)
    for name in ("out.jpg", "out.png"):
        save_image(tmp_path / name, img)
        with Image.open(tmp_path / name) as im:
            assert len(im.getexif()) == 0
            assert "exif" not in im.info and "icc_profile" not in im.info
            assert im.size == (32, 48)


# --- colour management --------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_icc_profile_is_converted_to_srgb(fmt: str) -> None:
    im = Image.new("RGB", (16, 16), (255, 0, 0))
    out = load_image(encode(im, fmt, icc_profile=swapped_primaries_profile(), quality=95))
    # In that profile the first channel is sRGB's green primary.
    assert np.abs(out.astype(int) - (0, 255, 0)).max() <= 6


@pytest.mark.parametrize(
    "icc",
    [
        ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes(),
        b"this is not an ICC profile",
        ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB")).tobytes(),  # wrong space
    ],
    ids=["srgb", "broken", "lab"],
)
def test_srgb_broken_or_mismatched_profile_keeps_pixels(icc: bytes) -> None:
    pixels = gradient()
    out = load_image(encode(Image.fromarray(pixels), "PNG", icc_profile=icc))
    assert np.abs(out.astype(int) - pixels).max() <= 1


def test_icc_profile_applied_after_compositing_alpha() -> None:
    im = Image.new("RGBA", (4, 4), (255, 0, 0, 255))
    im.paste((255, 0, 0, 0), (0, 0, 2, 4))
    out = load_image(encode(im, "PNG", icc_profile=swapped_primaries_profile()))
    assert np.abs(out[:, 2:].astype(int) - (0, 255, 0)).max() <= 2
    assert out[:, :2].min() >= 253  # white stays white


# --- masks --------------------------------------------------------------------------------
def _disc(h: int = 40, w: int = 50) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w]
    return (y - 20) ** 2 + (x - 25) ** 2 <= 12**2


def test_load_mask_grayscale_png_and_jpeg() -> None:
    disc = _disc()
    gray = Image.fromarray(disc.astype(np.uint8) * 255)
    mask = load_mask(encode(gray, "PNG"))
    assert mask.dtype == np.bool_ and mask.shape == (40, 50)
    np.testing.assert_array_equal(mask, disc)
    jpeg_mask = load_mask(encode(gray, "JPEG", quality=75))
    assert (jpeg_mask != disc).sum() <= 4


def test_load_mask_modes() -> None:
    disc = _disc()
    zero_one = Image.fromarray(disc.astype(np.uint8))  # values 0/1
    bilevel = Image.fromarray(disc)  # mode "1"
    assert bilevel.mode == "1"
    rgb = Image.fromarray(np.repeat(disc[..., None], 3, axis=2).astype(np.uint8) * 255)
    # palette with white at index 0: foreground must follow luminance, not the index
    inverted = Image.fromarray((~disc).astype(np.uint8), mode="P")
    inverted.putpalette([255, 255, 255, 0, 0, 0])
    # label-style palette: all colours dark, foreground = index != 0
    labels = Image.fromarray(disc.astype(np.uint8), mode="P")
    labels.putpalette([0, 0, 0, 128, 0, 0])
    for im in (zero_one, bilevel, rgb, inverted, labels):
        np.testing.assert_array_equal(load_mask(encode(im, "PNG")), disc, err_msg=im.mode)


def test_load_mask_transparent_pixels_are_background() -> None:
    disc = _disc()
    rgba = np.zeros((40, 50, 4), np.uint8)
    rgba[..., :3] = 255
    rgba[..., 3] = disc * 255
    np.testing.assert_array_equal(load_mask(encode(Image.fromarray(rgba), "PNG")), disc)


def test_load_mask_resize_nearest() -> None:
    mask = np.zeros((4, 6), bool)
    mask[:2, :3] = True
    out = load_mask(encode(Image.fromarray(mask), "PNG"), size=(12, 8))
    assert out.shape == (8, 12)
    np.testing.assert_array_equal(out, np.kron(mask, np.ones((2, 2), bool)))
    with pytest.raises(ValueError, match="width, height"):
        load_mask(encode(Image.fromarray(mask), "PNG"), size=(0, 8))


def test_load_mask_errors() -> None:
    with pytest.raises(UnsupportedImageError, match="GIF"):
        load_mask(b"GIF89a" + bytes(20))
    with pytest.raises(EmptyImageError):
        load_mask(b"")


# --- label maps ---------------------------------------------------------------------------
def test_load_label_map_palette_gives_indices() -> None:
    ids = (np.arange(20 * 30).reshape(20, 30) % 20).astype(np.uint8)
    im = Image.fromarray(ids, mode="P")
    im.putpalette(np.random.default_rng(0).integers(0, 256, 768, dtype=np.uint8).tobytes())
    out = load_label_map(encode(im, "PNG"))
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out, ids)


def test_load_label_map_grayscale_and_16_bit() -> None:
    ids = (np.arange(12).reshape(3, 4) * 7).astype(np.uint8)
    np.testing.assert_array_equal(load_label_map(encode(Image.fromarray(ids), "PNG")), ids)
    wide = Image.fromarray(ids.astype(np.uint16))
    np.testing.assert_array_equal(load_label_map(encode(wide, "PNG")), ids)
    with pytest.raises(ImageError, match="above 255"):
        load_label_map(encode(Image.fromarray(np.full((2, 2), 300, np.uint16)), "PNG"))


def test_load_label_map_refuses_colour_and_jpeg() -> None:
    with pytest.raises(ImageError, match="label-id map is needed"):
        load_label_map(encode(Image.new("RGB", (4, 4), (254, 85, 0)), "PNG"))
    with pytest.raises(ImageError, match="lossless PNG"):
        load_label_map(encode(Image.new("L", (4, 4)), "JPEG"))


# --- saving -------------------------------------------------------------------------------
def test_save_image_round_trips(tmp_path: Path) -> None:
    rgb = gradient()
    gray = rgb[..., 0].copy()
    mask = gray > 100
    save_image(tmp_path / "a" / "b" / "rgb.png", rgb)
    save_image(tmp_path / "gray.PNG", gray)
    save_image(tmp_path / "mask.png", mask)
    save_image(tmp_path / "rgb.jpeg", rgb)
    np.testing.assert_array_equal(load_image(tmp_path / "a" / "b" / "rgb.png"), rgb)
    np.testing.assert_array_equal(load_image(tmp_path / "gray.PNG")[..., 1], gray)
    np.testing.assert_array_equal(load_mask(tmp_path / "mask.png"), mask)
    assert np.abs(load_image(tmp_path / "rgb.jpeg").astype(int) - rgb).max() <= 6
    with Image.open(tmp_path / "rgb.jpeg") as im:
        assert im.format == "JPEG"
    leftovers = [p.name for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []


def test_save_image_errors(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedImageError, match=r"'\.gif'"):
        save_image(tmp_path / "x.gif", gradient())
    bads = (gradient().astype(np.float32), np.zeros((4, 4, 4), np.uint8), np.zeros(5, np.uint8))
    for bad in bads:
        with pytest.raises(ValueError, match="HxWx3 uint8"):
            save_image(tmp_path / "x.png", bad)
    assert not (tmp_path / "x.png").exists()


# --- real data (skipped when ../shared/realdata is absent) --------------------------------
@pytest.mark.realdata
def test_real_try_on_images(realdata: Path) -> None:
    files = [p for p in sorted(realdata.rglob("*")) if p.suffix.lower() in (".jpg", ".png")]
    assert files
    for path in files:
        img = load_image(path)
        assert img.ndim == 3 and img.shape[2] == 3 and img.dtype == np.uint8
        folder = path.parent.name
        if folder in ("image-parse", "image_parse"):
            labels = load_label_map(path)
            assert labels.shape == img.shape[:2] and labels.max() <= 19  # CIHP ids
        elif folder in ("cloth-mask", "cloth_mask"):
            mask = load_mask(path)
            assert 0.05 < mask.mean() < 0.95, path


def test_a_huge_image_is_scaled_down_as_it_is_decoded(tmp_path):
    """A 6300x6300 image (40 MP, 128 KB as a PNG) decoded with ``max_side``: the result is at
    most that size, and the decoding process never holds the full image more than once
    (peak RSS measured in a fresh process)."""
    import subprocess
    import sys

    from PIL import Image

    for fmt in ("PNG", "JPEG"):
        path = tmp_path / f"big.{fmt.lower()}"
        Image.new("RGB", (6300, 6300), (120, 80, 60)).save(path, fmt)
        code = (
            "import re\n"
            "from fitroom.imaging import ImageLimits, load_image\n"
            f"a = load_image(open({str(path)!r}, 'rb').read(), ImageLimits(max_bytes=50_000_000, max_side=2048))\n"
            # VmHWM: this process's own peak (ru_maxrss would carry the parent's over the exec)
            "hwm = int(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1))\n"
            "print(a.shape[0], a.shape[1], hwm // 1024)\n"
        )
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
        h, w, peak_mb = (int(v) for v in out)
        assert (h, w) == (2048, 2048)
        # the full image as RGB is 119 MB; the old path held about 3.6 copies (430 MB)
        assert peak_mb < (330 if fmt == "PNG" else 200), (fmt, peak_mb)
