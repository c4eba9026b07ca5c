"""Private images are never cached (a browser once showed a result from its cache after
"Delete my data"); only the demo catalog, the sample photo and shared links may be."""

from __future__ import annotations

from ..helpers import auth, demo_garment, garment_png, signup, tryon, upload_photo


def test_private_images_are_sent_no_store(client):
    h = signup(client)
    photo = upload_photo(client, h)
    t = tryon(client, h, photo["id"], demo_garment(client, h)["id"])
    r = client.post("/v1/garments", headers=auth(h), files={"file": ("tee.png", garment_png(), "image/png")})
    assert r.status_code == 201, r.text
    mine = r.json()
    private = [photo["image_url"], t["image_url"], mine["image_url"], mine["mask_url"], f"{mine['image_url']}?size=320"]
    for url in private:
        res = client.get(url, headers=auth(h))
        assert res.status_code == 200, (url, res.status_code)
        assert res.headers["cache-control"] == "no-store", (url, res.headers.get("cache-control"))


def test_public_images_may_be_cached(client):
    h = signup(client)
    demo = demo_garment(client, h)
    for url in (demo["image_url"], f"{demo['image_url']}?size=320", demo["mask_url"]):
        res = client.get(url, headers=auth(h))
        assert res.status_code == 200 and "max-age" in res.headers["cache-control"], url
    assert client.get("/v1/samples/person").headers["cache-control"].startswith("public")
