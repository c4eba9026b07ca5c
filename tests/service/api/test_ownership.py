"""User B can neither read, list, change nor delete user A's objects, on any route (404)."""

from __future__ import annotations

import pytest

from ..helpers import app_on, auth, demo_garment, garment_png, signup, tryon, upload_photo


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def client(request, tmp_path_factory):
    """The ownership checks run on both databases."""
    with app_on(request.param, tmp_path_factory.mktemp("own")) as c:
        yield c


@pytest.fixture(scope="module")
def world(client):
    a, b = signup(client), signup(client)
    photo = upload_photo(client, a)
    garment = client.post("/v1/garments", headers=auth(a), files={"file": ("t.png", garment_png(), "image/png")},
                          data={"name": "A's private tee"}).json()
    t = tryon(client, a, photo["id"], garment["id"])
    assert t["status"] == "succeeded"
    key = client.post("/v1/me/api-keys", headers=auth(a), json={"name": "a"}).json()
    b_photo = upload_photo(client, b)
    return {"a": a, "b": b, "photo": photo["id"], "garment": garment["id"], "tryon": t["id"], "key": key["id"],
            "b_photo": b_photo["id"], "demo": demo_garment(client, a)["id"]}


ROUTES = [
    ("GET", "/v1/photos/{photo}", None),
    ("GET", "/v1/photos/{photo}/image", None),
    ("DELETE", "/v1/photos/{photo}", None),
    ("GET", "/v1/garments/{garment}", None),
    ("GET", "/v1/garments/{garment}/image", None),
    ("GET", "/v1/garments/{garment}/mask", None),
    ("DELETE", "/v1/garments/{garment}", None),
    ("GET", "/v1/tryons/{tryon}", None),
    ("GET", "/v1/tryons/{tryon}/image", None),
    ("POST", "/v1/tryons/{tryon}/share", {"expires_in": 60}),
    ("DELETE", "/v1/tryons/{tryon}", None),
    ("DELETE", "/v1/me/api-keys/{key}", None),
    ("POST", "/v1/tryons", {"photo_id": "{photo}", "garment_id": "{demo}"}),  # A's photo
    ("POST", "/v1/tryons", {"photo_id": "{b_photo}", "garment_id": "{garment}"}),  # A's garment
]


@pytest.mark.parametrize("method,path,body", ROUTES, ids=[f"{m} {p} {i}" for i, (m, p, _) in enumerate(ROUTES)])
def test_other_users_objects_are_404(client, world, method, path, body):
    fill = {k: v for k, v in world.items() if isinstance(v, str)}
    json_body = {k: v.format(**fill) if isinstance(v, str) else v for k, v in body.items()} if body else None
    r = client.request(method, path.format(**fill), headers=auth(world["b"]), json=json_body)
    assert r.status_code == 404, (method, path, r.text)
    assert r.json()["error"]["code"] == "not_found"
    # and the API key works too, with the same answer
    kb = client.post("/v1/me/api-keys", headers=auth(world["b"]), json={"name": "b"}).json()["key"]
    r = client.request(method, path.format(**fill), headers={"X-API-Key": kb}, json=json_body)
    # (managing keys is a signed-in user's, never a key's: 403 before anything is looked up)
    assert r.status_code == (403 if path.startswith("/v1/me/") else 404)


def test_lists_show_only_own_objects(client, world):
    b = auth(world["b"])
    assert [p["id"] for p in client.get("/v1/photos", headers=b).json()["items"]] == [world["b_photo"]]
    assert client.get("/v1/tryons", headers=b).json()["total"] == 0
    ids = {g["id"] for g in client.get("/v1/garments", headers=b, params={"page_size": 100}).json()["items"]}
    assert world["garment"] not in ids and world["demo"] in ids
    assert client.get("/v1/garments", headers=b, params={"q": "private"}).json()["total"] == 0
    assert all(k["name"] == "b" for k in client.get("/v1/me/api-keys", headers=b).json())


def test_a_still_has_everything(client, world):
    a = auth(world["a"])
    assert client.get(f"/v1/photos/{world['photo']}", headers=a).status_code == 200
    assert client.get(f"/v1/garments/{world['garment']}", headers=a).status_code == 200
    assert client.get(f"/v1/tryons/{world['tryon']}/image", headers=a).status_code == 200
    assert [k["id"] for k in client.get("/v1/me/api-keys", headers=a).json()] == [world["key"]]
