"""Retention: photos and results older than the server's or the user's period are erased."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import update

from fitroom.service.models import Photo, TryOn, utcnow
from fitroom.service.retention import effective_days, purge_expired

from .helpers import app_on, auth, demo_garment, files_of, running_app, signup, tryon, upload_photo


def test_effective_days():
    assert effective_days(30, None) == 30 and effective_days(30, 7) == 7 and effective_days(0, None) is None
    assert effective_days(0, 5) == 5


def _user_with_a_look(c):
    h = signup(c)
    photo = upload_photo(c, h)
    t = tryon(c, h, photo["id"], demo_garment(c, h)["id"])
    share = c.post(f"/v1/tryons/{t['id']}/share", headers=auth(h), json={}).json()
    return h, photo, t, share


def test_purge_with_a_clock_of_our_own(tmp_path):
    with app_on("sqlite", tmp_path, retention_days=30) as c:
        svc = c.app.state.services
        a, a_photo, a_t, a_share = _user_with_a_look(c)
        b, b_photo, b_t, b_share = _user_with_a_look(c)
        r = c.patch("/v1/me", headers=auth(a), json={"retention_days": 7})
        assert r.status_code == 200 and r.json()["retention_days"] == 7
        assert c.get("/v1/me", headers=auth(b)).json()["retention_days"] == 30
        with svc.db.session() as db:  # nothing is old yet
            assert purge_expired(db, svc.storage, 30)["photos"] == 0
        with svc.db.session() as db:  # ten days on: A's week is over, B's month is not
            done = purge_expired(db, svc.storage, 30, now=utcnow() + timedelta(days=10))
        assert done["photos"] == 1 and done["tryons"] == 1 and done["forget"] == [a_photo["id"]]
        assert c.get(f"/v1/photos/{a_photo['id']}", headers=auth(a)).status_code == 404
        assert c.get(f"/v1/tryons/{a_t['id']}", headers=auth(a)).status_code == 404
        assert c.get(a_share["url"]).status_code == 404
        assert not files_of(svc.storage.user_dir(a["_id"]))
        assert c.get(f"/v1/tryons/{b_t['id']}/image", headers=auth(b)).status_code == 200
        assert c.get(b_share["url"]).status_code == 200
        with svc.db.session() as db:  # a month on: B's too
            assert purge_expired(db, svc.storage, 30, now=utcnow() + timedelta(days=31))["photos"] == 1
        assert c.get(f"/v1/photos/{b_photo['id']}", headers=auth(b)).status_code == 404
        # the accounts stay
        assert c.get("/v1/me", headers=auth(a)).status_code == 200


def test_a_user_may_only_shorten_it_and_only_signed_in(tmp_path):
    with running_app(tmp_path, retention_days=30) as c:
        h = signup(c)
        assert c.patch("/v1/me", headers=auth(h), json={"retention_days": 60}).status_code == 422
        assert c.patch("/v1/me", headers=auth(h), json={"retention_days": 0}).status_code == 422
        key = c.post("/v1/me/api-keys", headers=auth(h), json={}).json()["key"]
        assert c.patch("/v1/me", headers={"X-API-Key": key}, json={"retention_days": 1}).status_code == 403
        assert c.patch("/v1/me", headers=auth(h), json={"retention_days": None}).json()["retention_days"] == 30


def test_the_server_sweeps_on_its_own(tmp_path):
    with app_on("sqlite", tmp_path, retention_days=1, retention_interval_seconds=0.2) as c:
        svc = c.app.state.services
        h, photo, t, _ = _user_with_a_look(c)
        fresh = upload_photo(c, h)
        with svc.db.session() as db:  # the first photo and its try-on were made two days ago
            db.execute(update(Photo).where(Photo.id == photo["id"]).values(created_at=utcnow() - timedelta(days=2)))
            db.execute(update(TryOn).where(TryOn.id == t["id"]).values(created_at=utcnow() - timedelta(days=2)))
            db.commit()
        deadline = time.monotonic() + 10
        while c.get(f"/v1/photos/{photo['id']}", headers=auth(h)).status_code != 404:
            assert time.monotonic() < deadline, "the sweeper did not erase the old photo"
            time.sleep(0.1)
        assert c.get(f"/v1/tryons/{t['id']}", headers=auth(h)).status_code == 404
        assert c.get(f"/v1/photos/{fresh['id']}", headers=auth(h)).status_code == 200
