"""The same journey on every supported backend: SQLite or PostgreSQL, in-process or Redis queue."""

from __future__ import annotations

import pytest

from .helpers import app_on, auth, demo_garment, signup, tryon, upload_photo

BACKENDS = ["sqlite", "postgresql", "sqlite+redis", "postgresql+redis"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_journey(backend, tmp_path):
    extra = {"workers": 1} if backend.endswith("+redis") else {}
    with app_on(backend, tmp_path, **extra) as c:
        health = c.get("/healthz").json()
        assert health["database"] == ("postgresql" if backend.startswith("postgresql") else "sqlite")
        assert health["queue"] == ("redis" if backend.endswith("+redis") else "in-process")
        a, b = signup(c), signup(c)
        photo = upload_photo(c, a)
        garments = c.get("/v1/garments", headers=auth(a)).json()
        assert garments["total"] == 4
        key = {"Idempotency-Key": "k1"}
        t1 = tryon(c, a, photo["id"], garments["items"][0]["id"], headers=key)
        again = c.post("/v1/tryons", headers={**auth(a), **key},
                       json={"photo_id": photo["id"], "garment_id": garments["items"][0]["id"]})
        assert again.json()["id"] == t1["id"]
        t2 = tryon(c, a, photo["id"], demo_garment(c, a, "dress")["id"])
        assert t1["status"] == t2["status"] == "succeeded"
        hist = c.get("/v1/tryons", headers=auth(a)).json()
        assert [t["id"] for t in hist["items"]] == [t2["id"], t1["id"]]
        assert c.get(f"/v1/tryons/{t1['id']}", headers=auth(b)).status_code == 404
        assert c.get(f"/v1/photos/{photo['id']}/image", headers=auth(b)).status_code == 404
        share = c.post(f"/v1/tryons/{t2['id']}/share", headers=auth(a), json={"expires_in": 60}).json()
        assert c.get(share["url"]).status_code == 200
        assert c.delete("/v1/me", headers=auth(a)).status_code == 204
        assert c.get(share["url"]).status_code == 404
        assert c.get("/v1/me", headers=auth(b)).status_code == 200
