"""/v1/photos: upload (validated, stripped, re-encoded, analysed once), list, get, image, delete."""

from __future__ import annotations

import io

from PIL import Image

from ...helpers import auth, demo_garment, png_bytes, signup, tryon, upload_photo


def _with_exif(jpg: bytes) -> bytes:
    im = Image.open(io.BytesIO(jpg))
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x9003] = "2020:01:01 10:00:00"
    buf = io.BytesIO()
    im.save(buf, format="JPEG", exif=exif.tobytes(), quality=95)
    return buf.getvalue()


def test_upload_strips_metadata_and_caches_analysis(client, tmp_path):
    from fitroom.examples import example_person

    h = signup(client)
    data = _with_exif(example_person().read_bytes())
    assert b"SecretCam" in data
    photo = upload_photo(client, h, data)
    assert set(photo) == {"id", "name", "width", "height", "created_at", "image_url"}
    assert (photo["width"], photo["height"]) == (512, 512) and photo["name"] == "me.jpg"
    r = client.get(photo["image_url"], headers=auth(h))
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    # a body photo is never kept in a cache: it must be gone once deleted
    assert r.headers["cache-control"] == "no-store"
    assert b"SecretCam" not in r.content and not Image.open(io.BytesIO(r.content)).getexif()
    svc = client.app.state.services
    from fitroom.service.models import Photo

    with svc.db.session() as s:
        row = s.get(Photo, photo["id"])
    assert svc.storage.exists(row.analysis_path)  # analysed once, at upload


def test_photo_without_person_is_422_no_person(client):
    h = signup(client)
    r = client.post("/v1/photos", headers=auth(h), files={"file": ("wall.png", png_bytes(300, 400), "image/png")})
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "no_person"
    assert client.get("/v1/photos", headers=auth(h)).json()["total"] == 0


def test_list_get_delete(client):
    h = signup(client)
    a = upload_photo(client, h)
    b = upload_photo(client, h)
    r = client.get("/v1/photos", headers=auth(h), params={"page_size": 1})
    body = r.json()
    assert body["total"] == 2 and body["page_size"] == 1 and len(body["items"]) == 1
    assert body["items"][0]["id"] == b["id"]  # newest first
    assert client.get(f"/v1/photos/{a['id']}", headers=auth(h)).json() == a
    assert client.delete(f"/v1/photos/{a['id']}", headers=auth(h)).status_code == 204
    assert client.get(f"/v1/photos/{a['id']}", headers=auth(h)).status_code == 404
    assert client.get(f"/v1/photos/{a['id']}/image", headers=auth(h)).status_code == 404
    assert client.delete(f"/v1/photos/{a['id']}", headers=auth(h)).status_code == 404
    assert client.get("/v1/photos", headers=auth(h)).json()["total"] == 1


def test_deleting_a_photo_deletes_its_tryons_and_files(client):
    h = signup(client)
    photo = upload_photo(client, h)
    t = tryon(client, h, photo["id"], demo_garment(client, h)["id"])
    assert t["status"] == "succeeded"
    svc = client.app.state.services
    before = sorted(p.name for p in (svc.storage.user_dir(h["_id"])).rglob("*") if p.is_file())
    assert any(n.endswith(".npz") for n in before) and len(before) == 3
    assert client.delete(f"/v1/photos/{photo['id']}", headers=auth(h)).status_code == 204
    assert client.get(f"/v1/tryons/{t['id']}", headers=auth(h)).status_code == 404
    assert not [p for p in svc.storage.user_dir(h["_id"]).rglob("*") if p.is_file()]


def test_page_size_is_limited(client):
    h = signup(client)
    r = client.get("/v1/photos", headers=auth(h), params={"page_size": 101})
    assert r.status_code == 422 and "at most 100" in r.json()["error"]["message"]
    r = client.get("/v1/photos", headers=auth(h), params={"page": 0})
    assert r.status_code == 422 and r.json()["error"]["code"] == "validation_error"
    r = client.get("/v1/photos", headers=auth(h), params={"page": 5})
    assert r.status_code == 200 and r.json()["items"] == []


def test_a_photo_keeps_its_name(client):
    """The file's name without its folders (or the name given) tells photos apart in the app."""
    h = signup(client)
    jpg = example_person_bytes()
    r = client.post("/v1/photos", headers=auth(h), files={"file": ("C:\\Users\\me\\Pictures\\beach.jpg", jpg, "image/jpeg")})
    assert r.status_code == 201 and r.json()["name"] == "beach.jpg"
    r = client.post("/v1/photos", headers=auth(h), files={"file": ("x.jpg", jpg, "image/jpeg")},
                    data={"name": "  Me, in the garden\x00 "})
    assert r.status_code == 201 and r.json()["name"] == "Me, in the garden"
    named = r.json()
    assert client.get(f"/v1/photos/{named['id']}", headers=auth(h)).json()["name"] == "Me, in the garden"
    assert [p["name"] for p in client.get("/v1/photos", headers=auth(h)).json()["items"]] == ["Me, in the garden", "beach.jpg"]
    r = client.post("/v1/photos", headers=auth(h), files={"file": ("x.jpg", jpg, "image/jpeg")}, data={"name": "n" * 201})
    assert r.status_code == 422


def example_person_bytes() -> bytes:
    from fitroom.examples import example_person

    return example_person().read_bytes()
