"""No NUL, control or bidirectional-override character reaches the database, on either one."""

from __future__ import annotations

import pytest

from fitroom.service.text import check_name, check_secret, has_nul_escape

from .helpers import PERSON_JPG, app_on, auth, garment_png, signup, upload_photo


def test_the_checks():
    assert check_name("Summer tee, blue") == "Summer tee, blue"
    for bad in ("a\x00b", "tab\there", "line\nbreak", "abc\u202egpj.exe", "zero\u200bwidth"):
        with pytest.raises(ValueError):
            check_name(bad)
    assert check_secret("any thing \u202e goes") == "any thing \u202e goes"
    with pytest.raises(ValueError):
        check_secret("pass\x00word")
    assert has_nul_escape(b'{"a": "x\\u0000"}') and has_nul_escape(b'{"a": "\x00"}')
    assert not has_nul_escape(b'{"a": "x\\\\u0000"}')  # an escaped backslash, then the text u0000


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def client(request, tmp_path_factory):
    with app_on(request.param, tmp_path_factory.mktemp("nul")) as c:
        yield c


def _is_422(r):
    assert r.status_code == 422, (r.status_code, r.text)
    assert r.json()["error"]["code"] == "validation_error"


def test_a_nul_anywhere_is_a_422_never_a_500(client):
    _is_422(client.post("/v1/auth/signup", json={"email": "nul\x00@example.com", "password": "correct horse 1"}))
    _is_422(client.post("/v1/auth/signup", json={"email": "nul@example.com", "password": "correct\x00horse 1"}))
    _is_422(client.post("/v1/auth/signin", json={"email": "who\x00@example.com", "password": "correct horse 1"}))
    _is_422(client.post("/v1/auth/signin", content=b'{"email": "a@b.c", "password": "x\\u0000yyyyyyyy"}',
                        headers={"Content-Type": "application/json"}))
    h = signup(client)
    photo = upload_photo(client, h)
    _is_422(client.post("/v1/garments", headers=auth(h), files={"file": ("g.png", garment_png(), "image/png")},
                        data={"name": "tee\x00"}))
    _is_422(client.post("/v1/garments", headers=auth(h), files={"file": ("g.png", garment_png(), "image/png")},
                        data={"name": "tee\u202egnp.exe"}))  # a name that reads backwards from there
    for path in ("/v1/photos/ab%00cd", "/v1/garments/ab%00cd", "/v1/tryons/ab%00cd", "/v1/garments/x%00/image"):
        _is_422(client.get(path, headers=auth(h)))
    _is_422(client.delete("/v1/photos/ab%00cd", headers=auth(h)))
    _is_422(client.get("/v1/garments", headers=auth(h), params={"q": "tee\x00"}))
    _is_422(client.post("/v1/me/api-keys", headers=auth(h), json={"name": "shop\x00"}))
    _is_422(client.post("/v1/tryons", headers=auth(h), json={"photo_id": photo["id"] + "\x00", "garment_id": "g"}))
    # a photo's name taken from its file name is cleaned instead (the browser chose it)
    r = client.post("/v1/photos", headers=auth(h), files={"file": ("me\u202e.jpg", PERSON_JPG.read_bytes(), "image/jpeg")})
    assert r.status_code == 201 and r.json()["name"] == "me.jpg"
    # and the server still works for everyone
    assert client.get("/v1/photos", headers=auth(h)).status_code == 200
