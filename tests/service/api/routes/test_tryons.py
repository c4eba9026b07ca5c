"""/v1/tryons: queue, long-poll, history, image, delete, idempotency, queue limit."""

from __future__ import annotations

import io
import time

import numpy as np
from PIL import Image

from ...helpers import auth, demo_garment, running_app, signup, tryon, upload_photo


def test_tryon_runs_and_returns_an_image(client):
    h = signup(client)
    photo = upload_photo(client, h)
    g = demo_garment(client, h, "short-sleeve top")
    r = client.post("/v1/tryons", headers=auth(h), json={"photo_id": photo["id"], "garment_id": g["id"]})
    assert r.status_code == 202
    job = r.json()
    assert job["status"] in ("queued", "running", "succeeded") and r.headers["Location"] == f"/v1/tryons/{job['id']}"
    assert set(job) >= {"id", "status", "error", "photo_id", "garment_id", "created_at", "finished_at", "image_url"}
    done = client.get(f"/v1/tryons/{job['id']}", headers=auth(h), params={"wait": 30}).json()
    assert done["status"] == "succeeded" and done["error"] is None and done["finished_at"]
    assert done["attempts"] == 1
    img = client.get(done["image_url"], headers=auth(h))
    assert img.status_code == 200 and img.headers["content-type"] == "image/jpeg"
    out = np.asarray(Image.open(io.BytesIO(img.content)).convert("RGB"))
    src = np.asarray(Image.open(io.BytesIO(client.get(photo["image_url"], headers=auth(h)).content)).convert("RGB"))
    assert out.shape == src.shape
    diff = np.abs(out.astype(int) - src.astype(int)).max(axis=2) > 40
    assert 0.02 < diff.mean() < 0.6  # the garment changed part of the photo, not all of it


def test_history_newest_first_and_delete(client):
    h = signup(client)
    photo = upload_photo(client, h)
    items = client.get("/v1/garments", headers=auth(h)).json()["items"]
    a = tryon(client, h, photo["id"], items[0]["id"])
    b = tryon(client, h, photo["id"], items[1]["id"])
    hist = client.get("/v1/tryons", headers=auth(h)).json()
    assert hist["total"] == 2 and [t["id"] for t in hist["items"]] == [b["id"], a["id"]]
    assert client.delete(f"/v1/tryons/{a['id']}", headers=auth(h)).status_code == 204
    assert client.get(f"/v1/tryons/{a['id']}/image", headers=auth(h)).status_code == 404
    assert client.get("/v1/tryons", headers=auth(h)).json()["total"] == 1


def test_unknown_photo_or_garment_is_404(client):
    h = signup(client)
    photo = upload_photo(client, h)
    r = client.post("/v1/tryons", headers=auth(h), json={"photo_id": "nope", "garment_id": demo_garment(client, h)["id"]})
    assert r.status_code == 404 and r.json()["error"]["message"] == "No such photo."
    r = client.post("/v1/tryons", headers=auth(h), json={"photo_id": photo["id"], "garment_id": "nope"})
    assert r.status_code == 404 and r.json()["error"]["message"] == "No such garment."
    r = client.post("/v1/tryons", headers=auth(h), json={"photo_id": photo["id"]})
    assert r.status_code == 422 and r.json()["error"]["message"] == "garment_id is required."


def test_idempotency_key(client):
    h = signup(client)
    photo = upload_photo(client, h)
    items = client.get("/v1/garments", headers=auth(h)).json()["items"]
    body = {"photo_id": photo["id"], "garment_id": items[0]["id"]}
    key = {"Idempotency-Key": "order-42"}
    r1 = client.post("/v1/tryons", headers={**auth(h), **key}, json=body)
    r2 = client.post("/v1/tryons", headers={**auth(h), **key}, json=body)
    assert r1.status_code == r2.status_code == 202 and r1.json()["id"] == r2.json()["id"]
    assert r2.headers.get("Idempotent-Replayed") == "true"
    r3 = client.post("/v1/tryons", headers={**auth(h), **key}, json={**body, "garment_id": items[1]["id"]})
    assert r3.status_code == 409 and r3.json()["error"]["code"] == "idempotency_conflict"
    # keys belong to a user: another user's same key is a different try-on
    other = signup(client)
    p2 = upload_photo(client, other)
    r4 = client.post("/v1/tryons", headers={**auth(other), **key}, json={**body, "photo_id": p2["id"]})
    assert r4.status_code == 202 and r4.json()["id"] != r1.json()["id"]
    assert client.get("/v1/tryons", headers=auth(h)).json()["total"] == 1


def test_long_poll_returns_when_done_not_at_the_deadline(client):
    h = signup(client)
    photo = upload_photo(client, h)
    r = client.post("/v1/tryons", headers=auth(h), json={"photo_id": photo["id"], "garment_id": demo_garment(client, h)["id"]})
    t0 = time.monotonic()
    done = client.get(f"/v1/tryons/{r.json()['id']}", headers=auth(h), params={"wait": 20}).json()
    assert done["status"] == "succeeded" and time.monotonic() - t0 < 10


def test_queue_full_is_503_and_rate_limit_is_429(tmp_path):
    # no workers: jobs stay queued
    with running_app(tmp_path, workers=0, queue_max_length=2, tryon_rate_limit_per_minute=3) as c:
        h = signup(c)
        photo = upload_photo(c, h)
        body = {"photo_id": photo["id"], "garment_id": demo_garment(c, h)["id"]}
        codes = [c.post("/v1/tryons", headers=auth(h), json=body).status_code for _ in range(3)]
        assert codes == [202, 202, 503]
        r = c.post("/v1/tryons", headers=auth(h), json=body)
        assert r.status_code == 429 and r.headers["Retry-After"]
        assert c.get("/metrics").text.count("fitroom_queue_depth 2.0") == 1
        r = c.get(f"/v1/tryons/{c.get('/v1/tryons', headers=auth(h)).json()['items'][0]['id']}",
                  headers=auth(h), params={"wait": 0.3})
        assert r.json()["status"] == "queued" and r.json()["image_url"] is None
        img = c.get(f"/v1/tryons/{r.json()['id']}/image", headers=auth(h))
        assert img.status_code == 409 and img.json()["error"]["code"] == "not_ready"


def test_failed_tryon_reports_a_clear_error(client):
    """A garment deleted before the worker runs: the job fails with a sentence."""
    h = signup(client)
    photo = upload_photo(client, h)
    from ...helpers import garment_png

    g = client.post("/v1/garments", headers=auth(h), files={"file": ("t.png", garment_png(), "image/png")},
                    data={"name": "tmp"}).json()
    svc = client.app.state.services
    from fitroom.service.models import TryOn

    with svc.db.session() as s:  # queue it without a worker seeing it, then delete the garment
        s.add(TryOn(id="x" * 32, user_id=h["_id"], photo_id=photo["id"], garment_id=g["id"], status="queued"))
        s.commit()
    assert client.delete(f"/v1/garments/{g['id']}", headers=auth(h)).status_code == 204
    svc.queue.submit("x" * 32)
    done = client.get(f"/v1/tryons/{'x' * 32}", headers=auth(h), params={"wait": 10}).json()
    assert done["status"] == "failed" and done["error"]["code"] == "garment_deleted"
    assert done["image_url"] is None


def test_same_photo_and_garment_again_reuses_the_result(client):
    h = signup(client)
    photo = upload_photo(client, h)
    g = demo_garment(client, h)
    first = tryon(client, h, photo["id"], g["id"])
    r = client.post("/v1/tryons", headers=auth(h), json={"photo_id": photo["id"], "garment_id": g["id"]})
    again = r.json()
    assert r.status_code == 202 and again["status"] == "succeeded" and again["attempts"] == 0
    assert again["id"] != first["id"]
    img1 = client.get(first["image_url"], headers=auth(h)).content
    assert client.get(again["image_url"], headers=auth(h)).content == img1
    assert client.delete(f"/v1/tryons/{first['id']}", headers=auth(h)).status_code == 204
    assert client.get(again["image_url"], headers=auth(h)).content == img1  # its own copy


def test_reuse_can_be_switched_off(tmp_path):
    with running_app(tmp_path, reuse_results=False) as c:
        h = signup(c)
        photo = upload_photo(c, h)
        g = demo_garment(c, h)
        a = tryon(c, h, photo["id"], g["id"])
        b = tryon(c, h, photo["id"], g["id"])
        assert a["attempts"] == b["attempts"] == 1
