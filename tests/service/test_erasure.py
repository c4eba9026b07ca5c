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
