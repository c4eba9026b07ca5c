"""DELETE /v1/me leaves nothing of the user in the database or on disk."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text

from .helpers import app_on, auth, demo_garment, files_of, garment_png, signup, tryon, upload_photo


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_delete_me_erases_rows_and_files(backend, tmp_path):
    with app_on(backend, tmp_path) as c:
        svc = c.app.state.services
        keep = signup(c)  # another user, who must keep everything
        kp = upload_photo(c, keep)
        kt = tryon(c, keep, kp["id"], demo_garment(c, keep)["id"])

        h = signup(c)
        photo = upload_photo(c, h)
        g = c.post("/v1/garments", headers=auth(h), files={"file": ("t.png", garment_png(), "image/png")},
                   data={"name": "mine"}).json()
        t1 = tryon(c, h, photo["id"], g["id"])
        t2 = tryon(c, h, photo["id"], demo_garment(c, h)["id"])
        assert t1["status"] == t2["status"] == "succeeded"
        c.post(f"/v1/tryons/{t1['id']}/share", headers=auth(h), json={"expires_in": 600})
        c.post("/v1/me/api-keys", headers=auth(h), json={"name": "k"})
        c.post("/v1/auth/signin", json={"email": h["_email"], "password": "correct horse 1"})
        user_dir = svc.storage.user_dir(h["_id"])
        assert len(files_of(user_dir)) >= 6  # photo, analysis, garment + mask, two results

        assert c.delete("/v1/me", headers=auth(h)).status_code == 204

        ids = {h["_id"], h["_email"], photo["id"], g["id"], t1["id"], t2["id"]}
        with svc.db.engine.connect() as conn:
            for table in inspect(conn).get_table_names():
                if table == "alembic_version":
                    continue
                for row in conn.execute(text(f"SELECT * FROM {table}")):
                    leaked = ids & {str(v) for v in row}
                    assert not leaked, (table, leaked)
        assert not user_dir.exists()
        everything = "\n".join(str(p) for p in files_of(svc.storage.root))
        assert all(i not in everything for i in ids)
        # the other user is untouched
        assert c.get(f"/v1/tryons/{kt['id']}/image", headers=auth(keep)).status_code == 200
        assert c.get("/v1/photos", headers=auth(keep)).json()["total"] == 1


def test_nothing_of_an_erased_account_is_left_in_the_database_files(tmp_path):
    """SQLite: the database and its write-ahead log are this user's only (0600), and once an
    account is erased its e-mail, ids and names are in neither file (secure_delete overwrote
    them, the log was checkpointed and emptied)."""
    import os
    import stat

    with app_on("sqlite", tmp_path) as c:
        svc = c.app.state.services
        h = signup(c, "erase.me.please@example.com")
        photo = upload_photo(c, h)
        g = c.post("/v1/garments", headers=auth(h), files={"file": ("t.png", garment_png(), "image/png")},
                   data={"name": "Very Distinctive Garment Name"}).json()
        c.post("/v1/me/api-keys", headers=auth(h), json={"name": "distinctive-key-name"})
        db_file = svc.settings.data_dir / "fitroom.db"
        for p in (db_file, db_file.with_name("fitroom.db-wal")):
            if p.exists():
                assert stat.S_IMODE(os.stat(p).st_mode) == 0o600, p
        assert b"erase.me.please" in db_file.read_bytes() + db_file.with_name("fitroom.db-wal").read_bytes()
        assert c.delete("/v1/me", headers=auth(h)).status_code == 204
        raw = b"".join(p.read_bytes() for p in db_file.parent.glob("fitroom.db*") if p.is_file())
        for secret in (b"erase.me.please", h["_id"].encode(), photo["id"].encode(), g["id"].encode(),
                       b"Very Distinctive Garment Name", b"distinctive-key-name"):
            assert secret not in raw, secret
        # the server goes on
        assert c.get("/v1/garments", headers=auth(signup(c))).status_code == 200


def test_an_analysis_file_is_never_unpickled(tmp_path):
    """Write access to the data folder is not code execution: an analysis replaced by a pickle
    (as older versions wrote them) is made anew, and the pickle never runs."""
    import pickle

    marker = tmp_path / "owned"

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    with app_on("sqlite", tmp_path / "app") as c:
        svc = c.app.state.services
        h = signup(c)
        photo = upload_photo(c, h)
        from fitroom.service.models import Photo

        with svc.db.session() as s:
            rel = s.get(Photo, photo["id"]).analysis_path
        assert rel.endswith(".npz")
        svc.storage.write(rel, pickle.dumps(Evil()))
        svc.engine.forget(photo["id"])  # not in memory: the file is what there is
        t = tryon(c, h, photo["id"], demo_garment(c, h)["id"])
        assert t["status"] == "succeeded"
        assert not marker.exists()
        assert svc.storage.read(rel)[:2] == b"PK"  # replaced by a proper analysis
