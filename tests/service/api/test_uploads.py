"""Malformed uploads on both upload routes: always a 4xx with a JSON error, never a 5xx."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from ..helpers import PERSON_JPG, auth, running_app, signup


def _png_header_only(w: int, h: int) -> bytes:
    """A PNG that declares w x h pixels (IHDR) and holds one tiny IDAT: a pixel bomb's header."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 16)) + chunk(b"IEND", b"")


def _zip_bomb_png() -> bytes:
    """6000 x 6000 of one colour: ~100 KB on disk, 108 MB decoded."""
    im = Image.new("RGB", (6000, 6000), (255, 255, 255))
    buf = io.BytesIO()
    im.save(buf, format="PNG", optimize=False, compress_level=9)
    return buf.getvalue()


JPG = PERSON_JPG.read_bytes()
CASES = {
    "empty file": (b"", "me.jpg", 422, "empty_file"),
    "text renamed .jpg": (b"hello, I am not a picture\n" * 20, "me.jpg", 422, "unsupported_format"),
    "truncated JPEG": (JPG[: len(JPG) // 3], "me.jpg", 422, "corrupt_image"),
    "only a JPEG header": (JPG[:20], "me.jpg", 422, None),
    "GIF": (b"GIF89a" + b"\x00" * 100, "me.gif", 422, "unsupported_format"),
    "huge-pixel PNG header": (_png_header_only(100_000, 100_000), "big.png", 413, "image_too_large"),
}


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """Limits small enough to test: 2 MB and 20 megapixels."""
    with running_app(tmp_path_factory.mktemp("up"), max_upload_bytes=2 * 1024 * 1024, max_upload_pixels=20_000_000) as c:
        yield c


@pytest.mark.parametrize("route", ["/v1/photos", "/v1/garments"])
@pytest.mark.parametrize("case", list(CASES))
def test_malformed_upload_is_4xx_json(small, route, case):
    data, name, status, code = CASES[case]
    h = signup(small)
    r = small.post(route, headers=auth(h), files={"file": (name, data, "image/jpeg")}, data={"name": "x"})
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert err["message"] and err["message"].endswith(".")
    if code:
        assert err["code"] == code


@pytest.mark.parametrize("route", ["/v1/photos", "/v1/garments"])
def test_decompression_bomb_png_is_refused(small, route):
    h = signup(small)
    r = small.post(route, headers=auth(h), files={"file": ("bomb.png", _zip_bomb_png(), "image/png")})
    assert r.status_code == 413 and r.json()["error"]["code"] == "image_too_large"


@pytest.mark.parametrize("route", ["/v1/photos", "/v1/garments"])
def test_file_over_the_byte_limit_is_413(small, route):
    h = signup(small)
    r = small.post(route, headers=auth(h), files={"file": ("big.jpg", JPG + b"\0" * (2 * 1024 * 1024), "image/jpeg")})
    assert r.status_code == 413 and r.json()["error"]["code"] in ("file_too_large", "too_large")


def test_request_body_far_over_the_limit_is_refused_before_parsing(small):
    h = signup(small)
    r = small.post("/v1/photos", headers=auth(h), files={"file": ("big.jpg", b"\xff" * (4 * 1024 * 1024), "image/jpeg")})
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"


@pytest.mark.parametrize("route", ["/v1/photos", "/v1/garments"])
def test_wrong_multipart_field_or_no_multipart(small, route):
    h = signup(small)
    r = small.post(route, headers=auth(h), files={"photo": ("me.jpg", JPG, "image/jpeg")})
    assert r.status_code == 422 and r.json()["error"]["message"] == "file is required."
    r = small.post(route, headers=auth(h), data={"file": "just a string"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "validation_error"
    r = small.post(route, headers=auth(h), json={"file": "x"})
    assert r.status_code == 422
    r = small.post(route, headers={**auth(h), "Content-Type": "multipart/form-data; boundary=zzz"}, content=b"--zzz\r\ngarbage")
    assert 400 <= r.status_code < 500 and "error" in r.json()
