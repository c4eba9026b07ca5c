"""Safe image decoding: limits first, then pixels, orientation and colour.

Conventions: images are ``HxWx3`` ``uint8`` RGB arrays in sRGB, C-contiguous; masks are
``HxW`` ``bool``; label maps are ``HxW`` ``uint8``; sizes are ``(width, height)`` as in PIL.
Formats are recognised by content (magic bytes), never by file extension. Only JPEG, PNG
and WebP are accepted. Every problem with the input raises an :class:`ImageError` subclass
whose message is one sentence a user understands.
"""

from __future__ import annotations

import io
import numbers
import os
import struct
import tempfile
import warnings
import zlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO, TypeAlias

import numpy as np
from PIL import Image, ImageCms, ImageFile, ImageOps

from fitroom.errors import (
    CorruptImageError,
    EmptyImageError,
    ImageError,
    ImageTooLargeError,
    UnsupportedImageError,
)

__all__ = [
    "DEFAULT_LIMITS",
    "ImageLimits",
    "ImageSource",
    "load_image",
    "load_label_map",
    "load_mask",
    "save_image",
]

#: A path, the file's raw bytes, or a binary file object (read from its current position).
ImageSource: TypeAlias = str | os.PathLike[str] | bytes | bytearray | memoryview | BinaryIO

_NAMES = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP"}
_SUPPORTED = "a JPEG, PNG or WebP image"
# Errors Pillow raises for damaged or truncated data while opening or decoding.
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error, IndexError, zlib.error)
_SIXTEEN_BIT = ("I;16", "I;16L", "I;16B", "I;16N")


@dataclass(frozen=True)
class ImageLimits:
    """Upper bounds checked before decoding: file size in bytes and width*height; and
    optionally ``max_side``, the longest side an image is scaled down to as it is decoded (a
    JPEG is decoded at a reduced scale directly, so a 40-megapixel photo never takes its full
    size in memory; other formats are reduced right after decoding, before any copy)."""

    max_bytes: int = 20 * 1024 * 1024
    max_pixels: int = 40_000_000
    max_side: int | None = None

    def __post_init__(self) -> None:
        for name in ("max_bytes", "max_pixels", "max_side"):
            value = getattr(self, name)
            if name == "max_side" and value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
                raise ValueError(f"ImageLimits.{name} must be a positive integer, got {value!r}")


DEFAULT_LIMITS = ImageLimits()


# --- public API ---------------------------------------------------------------------------
def load_image(source: ImageSource, limits: ImageLimits = DEFAULT_LIMITS) -> np.ndarray:
    """Decode a JPEG, PNG or WebP into a contiguous ``HxWx3`` ``uint8`` sRGB array.

    Checks the byte limit before reading everything and the pixel limit from the header
    before decoding. Takes the first frame of animations, applies the EXIF orientation,
    converts an embedded ICC profile to sRGB (plain conversion if the profile is broken),
    composites transparency onto white and scales 16-bit/float grayscale to 8 bits.
    Metadata (EXIF, ICC, text) is dropped.
    """
    im, icc = _open_decoded(_read_bytes(source, limits.max_bytes), limits)
    im = _flatten(im)  # -> "RGB", "L" or "CMYK"
    im = _to_srgb(im, icc)
    return np.ascontiguousarray(np.array(im, dtype=np.uint8))


def load_mask(
    source: ImageSource,
    size: tuple[int, int] | None = None,
    limits: ImageLimits = DEFAULT_LIMITS,
) -> np.ndarray:
    """Load a mask image as ``HxW`` ``bool`` (``size`` is ``(width, height)``, nearest-neighbour).

    Foreground is luminance >= 128 (16-bit scaled to 8 bits first); masks stored with tiny
    values (maximum 1, e.g. 0/1 arrays saved as PNG) use ``!= 0``. Mode ``1`` uses its bit.
    Palette images whose used colours are all dark (label-style palettes) use index ``!= 0``.
    Pixels with alpha < 128 are background. EXIF orientation is applied, as for photos.
    """
    im, _ = _open_decoded(_read_bytes(source, limits.max_bytes), limits)
    mode = im.mode
    alpha: np.ndarray | None = None
    if mode == "1":
        mask = np.array(im, dtype=bool)
    elif mode in ("P", "PA"):
        index = np.array(im.getchannel(0) if mode == "PA" else im, dtype=np.uint8)
        if mode == "PA":
            alpha = np.array(im.getchannel("A"))
        elif "transparency" in im.info:
            alpha = np.array(im.convert("RGBA").getchannel("A"))
        palette = np.array(im.convert("RGB" if mode == "P" else "RGBA"))[..., :3]
        lum = _luma_u8(palette)
        mask = lum >= 128 if lum.max() >= 128 else index != 0
    else:
        if mode in _SIXTEEN_BIT or mode in ("I", "F"):
            gray = _gray_to_uint8(im)
        else:
            if mode in ("LA", "RGBA") or "transparency" in im.info:
                im = im.convert("LA" if mode in ("L", "LA") else "RGBA")
                alpha = np.array(im.getchannel("A"))
            gray = np.array(im.convert("L"), dtype=np.uint8)
        mask = gray != 0 if gray.max() <= 1 else gray >= 128
    if alpha is not None:
        mask &= alpha >= 128
    if size is not None:
        mask = _resize_nearest(mask, size)
    return np.ascontiguousarray(mask)


def load_label_map(source: ImageSource, limits: ImageLimits = DEFAULT_LIMITS) -> np.ndarray:
    """Load a label-id map (e.g. a CIHP parse) as ``HxW`` ``uint8``.

    Palette PNGs give their raw palette indices, grayscale PNGs their values (16-bit ones
    only if every value is below 256). Colour renderings and JPEGs are refused: JPEG
    compression changes label ids, and colours are not ids.
    """
    data = _read_bytes(source, limits.max_bytes)
    if _sniff(data) == "JPEG":
        raise ImageError(
            "label maps must be lossless PNG files; JPEG compression changes the label ids"
        )
    im, _ = _open_decoded(data, limits)
    mode = im.mode
    if mode in ("P", "PA", "L", "LA", "1"):
        return np.ascontiguousarray(np.array(im.getchannel(0), dtype=np.uint8))
    if mode in _SIXTEEN_BIT or mode == "I":
        values = np.array(im)
        if values.min() < 0 or values.max() > 255:
            raise ImageError("this label map has values above 255; label ids must fit in 8 bits")
        return np.ascontiguousarray(values.astype(np.uint8))
    raise ImageError(
        f"this is a colour ({mode}) image; a label-id map is needed "
        "(a palette or grayscale PNG whose pixel values are the label ids)"
    )


def save_image(path: str | os.PathLike[str], image: np.ndarray) -> None:
    """Write ``HxWx3`` ``uint8`` RGB or ``HxW`` ``uint8``/``bool`` as PNG or JPEG (quality 95).

    The format follows the extension (``.png``, ``.jpg``, ``.jpeg``); parent directories
    are created; the file is written atomically. No metadata is written.
    """
    path = Path(path)
    fmt = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG"}.get(path.suffix.lower())
    if fmt is None:
        raise UnsupportedImageError(
            f"cannot save an image as '{path.suffix or path.name}'; use .png, .jpg or .jpeg"
        )
    arr = np.asarray(image)
    if arr.dtype == np.bool_ and arr.ndim == 2:
        arr = arr.astype(np.uint8) * 255
    if arr.dtype != np.uint8 or not (arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] == 3)):
        raise ValueError(
            f"save_image needs HxWx3 uint8, HxW uint8 or HxW bool, got {arr.shape} {arr.dtype}"
        )
    im = Image.fromarray(np.ascontiguousarray(arr), mode="L" if arr.ndim == 2 else "RGB")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            if fmt == "JPEG":
                im.save(f, format="JPEG", quality=95)
            else:
                im.save(f, format="PNG")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# --- reading and sniffing ---------------------------------------------------------------
def _read_bytes(source: ImageSource, max_bytes: int) -> bytes:
    """Return the whole input, refusing it before reading if it is over ``max_bytes``."""
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        try:
            size = path.stat().st_size
            if path.is_dir():
                raise ImageError(f"not a file but a folder: {path}")
            _check_bytes(size, max_bytes)
            with path.open("rb") as f:
                data = f.read(max_bytes + 1)
        except FileNotFoundError:
            raise ImageError(f"file not found: {path}") from None
        except PermissionError:
            raise ImageError(f"permission denied reading {path}") from None
        except OSError as e:
            raise ImageError(f"could not read {path}: {e.strerror or e}") from None
    elif isinstance(source, (bytes, bytearray, memoryview)):
        _check_bytes(memoryview(source).nbytes, max_bytes)
        data = bytes(source)
    elif hasattr(source, "read"):
        try:  # seekable: measure what is left before reading it
            start = source.tell()
            end = source.seek(0, os.SEEK_END)
            source.seek(start)
            _check_bytes(end - start, max_bytes)
        except (AttributeError, OSError, ValueError):
            pass
        data = source.read(max_bytes + 1)
        if not isinstance(data, bytes):
            raise TypeError("load_image needs a file opened in binary mode ('rb')")
    else:
        raise TypeError(
            f"image source must be a path, bytes or a binary file, not {type(source).__name__}"
        )
    if not data:
        raise EmptyImageError("the file is empty (0 bytes)")
    if len(data) > max_bytes:  # a stream whose size was not known in advance
        raise ImageTooLargeError(f"the file is larger than the limit of {_fmt_bytes(max_bytes)}")
    return data


def _check_bytes(size: int, max_bytes: int) -> None:
    if size > max_bytes:
        have, limit = _fmt_bytes(size), _fmt_bytes(max_bytes)
        if have == limit:  # rounding hides the difference: show exact counts
            have, limit = f"{size:,} bytes", f"{max_bytes:,} bytes"
        raise ImageTooLargeError(f"the file is {have}, more than the limit of {limit}")


def _fmt_bytes(n: int) -> str:
    if n < 1024:
        return f"{n} bytes"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n / (1024 * 1024):.1f} MB"


def _sniff(data: bytes) -> str:
    """Return Pillow's format name for JPEG/PNG/WebP data, else raise UnsupportedImageError."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    what = _describe(data)
    if what:
        raise UnsupportedImageError(f"this file looks like {what}, not {_SUPPORTED}")
    raise UnsupportedImageError(f"this file is not {_SUPPORTED}")


def _describe(data: bytes) -> str | None:
    """Cheap guess at what a non-supported file is, for the error message."""
    magic = [
        ((b"GIF87a", b"GIF89a"), "a GIF image"),
        ((b"%PDF",), "a PDF document"),
        ((b"II*\x00", b"MM\x00*"), "a TIFF image"),
        ((b"BM",), "a BMP image"),
        ((b"8BPS",), "a Photoshop (PSD) file"),
        ((b"\x00\x00\x01\x00",), "an ICO icon"),
        ((b"\x00\x00\x00\x0cjP  ", b"\xff\x4f\xff\x51"), "a JPEG 2000 image"),
        ((b"\xff\x0a", b"\x00\x00\x00\x0cJXL "), "a JPEG XL image"),
        ((b"PK\x03\x04",), "a ZIP archive"),
        ((b"\x1f\x8b",), "a gzip archive"),
    ]
    for prefixes, name in magic:
        if data.startswith(prefixes):
            return name
    if data[4:8] == b"ftyp":
        brand = data[8:12]
        if brand in (b"avif", b"avis"):
            return "an AVIF image"
        if brand in (b"heic", b"heix", b"hevc", b"hevx", b"mif1", b"msf1"):
            return "a HEIC/HEIF image"
        return "a video (MP4/MOV)"
    sample = data[:1024]
    if b"\x00" in sample:
        return None
    text = sample.decode("utf-8", errors="replace")
    if text.count("\ufffd") > 1 or any(ord(c) < 32 and c not in "\t\n\r\f" for c in text):
        return None
    head = text.lstrip("\ufeff \t\r\n").lower()
    if head.startswith("<svg") or (head.startswith("<?xml") and "<svg" in head):
        return "an SVG drawing"
    if head.startswith(("<!doctype html", "<html")):
        return "an HTML page"
    return "text"


# --- header sizes -------------------------------------------------------------------------
def _header_size(data: bytes, fmt: str) -> tuple[int, int] | None:
    """``(width, height)`` read from the header without Pillow, or None if not found."""
    try:
        if fmt == "PNG":
            if data[12:16] == b"IHDR":
                return struct.unpack(">II", data[16:24])
        elif fmt == "WEBP":
            chunk = data[12:16]
            if chunk == b"VP8X":
                return 1 + int.from_bytes(data[24:27], "little"), 1 + int.from_bytes(
                    data[27:30], "little"
                )
            if chunk == b"VP8L" and data[20] == 0x2F:
                bits = int.from_bytes(data[21:25], "little")
                return 1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF)
            if chunk == b"VP8 " and data[23:26] == b"\x9d\x01\x2a":
                w, h = struct.unpack("<HH", data[26:30])
                return w & 0x3FFF, h & 0x3FFF
        elif fmt == "JPEG":
            return _jpeg_size(data)
    except (struct.error, IndexError):
        pass
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    """Walk JPEG marker segments up to the first SOFn frame header."""
    i, n = 2, len(data)
    while i + 4 <= n:
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0x01, 0xD8) or 0xD0 <= marker <= 0xD7:  # no length field
            i += 2
            continue
        if marker in (0xD9, 0xDA):  # end of image / start of scan before any frame
            return None
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return width, height
        i += 2 + int.from_bytes(data[i + 2 : i + 4], "big")
    return None


def _check_pixels(size: tuple[int, int], limits: ImageLimits) -> None:
    width, height = size
    if width * height > limits.max_pixels:
        raise ImageTooLargeError(
            f"image is {width}x{height} = {_fmt_mp(width * height)} megapixels, "
            f"more than the limit of {_fmt_mp(limits.max_pixels)}"
        )


def _fmt_mp(pixels: int) -> str:
    return f"{pixels / 1e6:.1f}" if pixels >= 100_000 else f"{pixels / 1e6:g}"


# --- decoding -----------------------------------------------------------------------------
def _open_decoded(data: bytes, limits: ImageLimits) -> tuple[Image.Image, bytes | None]:
    """Check the pixel limit, decode the first frame and apply the EXIF orientation.

    ``data`` comes from :func:`_read_bytes`. Returns the loaded Pillow image (any mode)
    and its embedded ICC profile, if any.
    """
    fmt = _sniff(data)
    name = _NAMES[fmt]
    header = _header_size(data, fmt)
    if header is not None:
        _check_pixels(header, limits)  # our own check, before Pillow allocates anything
    if ImageFile.LOAD_TRUNCATED_IMAGES:
        # Someone enabled it process-wide; truncated uploads would decode as grey. Undo it.
        warnings.warn(
            "PIL.ImageFile.LOAD_TRUNCATED_IMAGES was enabled; fitroom turned it off again",
            RuntimeWarning,
            stacklevel=3,
        )
        ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        im = Image.open(io.BytesIO(data), formats=[fmt])
        _check_pixels(im.size, limits)
        if limits.max_side is not None and fmt == "JPEG" and max(im.size) > limits.max_side:
            im.draft(im.mode, (limits.max_side, limits.max_side))  # DCT scaling: 1/2, 1/4 or 1/8
        im.load()  # first frame only
        if limits.max_side is not None and max(im.size) > limits.max_side:
            im.thumbnail((limits.max_side, limits.max_side), Image.Resampling.LANCZOS, reducing_gap=3.0)
    except Image.DecompressionBombError:
        # Only reachable when ``limits.max_pixels`` is above Pillow's process-wide limit.
        dims = f"{header[0]}x{header[1]} " if header else ""
        raise ImageTooLargeError(
            f"image {dims}is larger than Pillow's own safety limit of "
            f"{_fmt_mp(2 * (Image.MAX_IMAGE_PIXELS or 0))} megapixels"
        ) from None
    except _DECODE_ERRORS:  # includes UnidentifiedImageError (an OSError)
        raise CorruptImageError(
            f"this {name} image is damaged or incomplete and could not be read"
        ) from None
    icc = im.info.get("icc_profile") or None
    try:
        if im.getexif().get(0x0112, 1) in range(2, 9):  # Orientation tag other than "normal"
            im = ImageOps.exif_transpose(im)
    except _DECODE_ERRORS + (KeyError, TypeError, ZeroDivisionError):
        pass  # unreadable EXIF: keep the stored orientation rather than fail
    return im, icc


def _flatten(im: Image.Image) -> Image.Image:
    """Reduce any decoded mode to "RGB", "L" or "CMYK", compositing alpha onto white."""
    mode = im.mode
    if mode in _SIXTEEN_BIT or mode in ("I", "F"):
        gray = _gray_to_uint8(im)
        if "transparency" in im.info:
            gray = np.where(np.array(im) == im.info["transparency"], 255, gray).astype(np.uint8)
        return Image.fromarray(gray, mode="L")
    if mode not in ("RGBA", "RGBa", "LA", "La", "PA") and "transparency" not in im.info:
        return im if mode in ("RGB", "L", "CMYK") else im.convert("RGB")
    im = im.convert("LA" if mode in ("L", "LA", "La") else "RGBA")
    arr = np.asarray(im, dtype=np.uint16)
    color, alpha = arr[..., :-1], arr[..., -1:]
    flat = ((color * alpha + 255 * (255 - alpha) + 127) // 255).astype(np.uint8)
    return Image.fromarray(flat[..., 0] if flat.shape[2] == 1 else flat)


def _gray_to_uint8(im: Image.Image) -> np.ndarray:
    """16-bit, 32-bit int or float grayscale -> uint8 by the data's range.

    16-bit: ``v / 257`` (0..65535 -> 0..255). ``I``: the same when values fit 0..65535,
    else stretched min..max. ``F``: ``v * 255`` when values fit 0..1, else stretched.
    """
    values = np.array(im).astype(np.float64)
    lo, hi = (float(values.min()), float(values.max())) if values.size else (0.0, 0.0)
    if im.mode in _SIXTEEN_BIT or (im.mode == "I" and lo >= 0 and hi <= 65535):
        scaled = values / 257.0
    elif im.mode == "F" and lo >= 0 and hi <= 1:
        scaled = values * 255.0
    else:
        scaled = (values - lo) * (255.0 / (hi - lo)) if hi > lo else np.zeros_like(values)
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)


@lru_cache(maxsize=1)
def _srgb_profile() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _to_srgb(im: Image.Image, icc: bytes | None) -> Image.Image:
    """Convert "RGB"/"L"/"CMYK" to sRGB "RGB" through the embedded profile, if usable."""
    if icc:
        try:
            src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            space = {"RGB": "RGB", "GRAY": "L", "CMYK": "CMYK"}.get(
                src.profile.xcolor_space.strip()
            )
            if space == im.mode:
                out = ImageCms.profileToProfile(im, src, _srgb_profile(), outputMode="RGB")
                if out is not None:
                    return out
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            pass  # broken or mismatched profile: fall back to a plain conversion
    return im if im.mode == "RGB" else im.convert("RGB")


def _luma_u8(rgb: np.ndarray) -> np.ndarray:
    """Rec.601 luma of an ``...x3`` uint8 array, as uint8."""
    luma = rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114
    return np.clip(np.rint(luma), 0, 255).astype(np.uint8)


def _resize_nearest(mask: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    width, height = size
    if not all(isinstance(v, (int, np.integer)) and v > 0 for v in (width, height)):
        raise ValueError(f"size must be (width, height) with positive integers, got {size!r}")
    if (width, height) == (mask.shape[1], mask.shape[0]):
        return mask
    im = Image.fromarray(mask.astype(np.uint8) * 255, mode="L")
    return np.array(im.resize((int(width), int(height)), Image.Resampling.NEAREST)) >= 128
