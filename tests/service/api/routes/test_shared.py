"""POST /v1/tryons/{id}/share and GET /v1/shared/{token}."""

from __future__ import annotations

import time

from ...helpers import auth, demo_garment, signup, tryon, upload_photo


def _done(client):
    h = signup(client)
    photo = upload_photo(client, h)
    return h, tryon(client, h, photo["id"], demo_garment(client, h)["id"])


def test_share_link_serves_image_without_auth(client):
    h, t = _done(client)
    r = client.post(f"/v1/tryons/{t['id']}/share", headers=auth(h), json={"expires_in": 60})
    assert r.status_code == 200
    link = r.json()
    assert link["url"].startswith("/v1/shared/") and link["expires_at"]
    img = client.get(link["url"])
    assert img.status_code == 200 and img.headers["content-type"] == "image/jpeg"
    assert img.content == client.get(t["image_url"], headers=auth(h)).content


def test_tampered_link_is_404_expired_is_410(client):
    h, t = _done(client)
    url = client.post(f"/v1/tryons/{t['id']}/share", headers=auth(h), json={"expires_in": 1}).json()["url"]
    payload, sig = url.rsplit("/", 1)[1].split(".")
    bad = f"/v1/shared/{payload}.{sig[:-2]}{'AA' if sig[-2:] != 'AA' else 'BB'}"
    r = client.get(bad)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    assert client.get("/v1/shared/garbage").status_code == 404
    time.sleep(1.1)
    r = client.get(url)
    assert r.status_code == 410 and r.json()["error"]["code"] == "link_expired"


def test_deleted_tryon_link_is_404(client):
    h, t = _done(client)
    url = client.post(f"/v1/tryons/{t['id']}/share", headers=auth(h), json={"expires_in": 600}).json()["url"]
    assert client.delete(f"/v1/tryons/{t['id']}", headers=auth(h)).status_code == 204
    assert client.get(url).status_code == 404


def test_share_validation(client):
    h, t = _done(client)
    r = client.post(f"/v1/tryons/{t['id']}/share", headers=auth(h), json={"expires_in": 0})
    assert r.status_code == 422
    r = client.post(f"/v1/tryons/{t['id']}/share", headers=auth(h), json={"expires_in": 10**9})
    assert r.status_code == 422 and "at most" in r.json()["error"]["message"]
    r = client.post(f"/v1/tryons/{t['id']}/share", headers=auth(h))
    assert r.status_code == 200  # default expiry
