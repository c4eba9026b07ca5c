"""POST /v1/tryons/{id}/share, the share page GET /v1/shared/{token} and its picture
GET /v1/shared/{token}/image."""

from __future__ import annotations

import time
from html.parser import HTMLParser

from ...helpers import auth, demo_garment, garment_png, running_app, signup, tryon, upload_photo

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
IMG_ACCEPT = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"


class _Page(HTMLParser):
    """The meta tags (property= or name=), the <title>, the <h1> and all text of a page."""

    def __init__(self, html: str):
        super().__init__()
        self.meta: dict[str, str] = {}
        self.imgs: list[dict] = []
        self.title = self.h1 = ""
        self.text: list[str] = []
        self._in = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "meta" and (a.get("property") or a.get("name")):
            self.meta[a.get("property") or a.get("name")] = a.get("content", "")
        elif tag == "img":
            self.imgs.append(a)
        elif tag in ("title", "h1"):
            self._in = tag

    def handle_endtag(self, tag):
        if tag == self._in:
            self._in = None

    def handle_data(self, data):
        if self._in == "title":
            self.title += data
        elif self._in == "h1":
            self.h1 += data
        if self._in != "title":
            self.text.append(data)


def _done(client):
    h = signup(client)
    photo = upload_photo(client, h)
    garment = demo_garment(client, h)
    return h, tryon(client, h, photo["id"], garment["id"]), garment


def _share(client, h, t, expires_in: int = 600) -> dict:
    r = client.post(f"/v1/tryons/{t['id']}/share", headers=auth(h), json={"expires_in": expires_in})
    assert r.status_code == 200, r.text
    return r.json()


def test_share_link_is_a_page_with_open_graph_tags_and_the_picture_at_its_own_url(client):
    h, t, garment = _done(client)
    link = _share(client, h, t, 60)
    assert link["url"].startswith("/v1/shared/") and link["expires_at"]
    assert link["image_url"] == link["url"] + "/image"

    r = client.get(link["url"], headers={"Accept": BROWSER_ACCEPT})  # no Authorization header
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = _Page(r.text)
    base = "http://testserver"
    m = page.meta
    assert m["og:type"] == "website" and m["og:site_name"] == "fitroom"
    assert garment["name"] in m["og:title"] and "fitroom" in m["og:title"]
    assert m["og:description"] and "fitroom" in m["og:description"]
    assert m["og:image"] == base + link["image_url"]  # absolute
    assert m["og:url"] == base + link["url"]
    assert (m["og:image:width"], m["og:image:height"]) == ("512", "512")
    assert m["twitter:card"] == "summary_large_image"
    assert m["twitter:image"] == m["og:image"] and m["twitter:title"] == m["og:title"]
    assert "noindex" in m["robots"]
    # what a person sees: the picture, the garment's name, "made with fitroom"
    assert page.h1 == garment["name"] and garment["name"] in page.title
    assert "made with fitroom" in " ".join("".join(page.text).split())
    assert any(i.get("src") == m["og:image"] and i.get("alt") for i in page.imgs)
    assert "default-src 'none'" in r.headers["content-security-policy"]

    img = client.get(m["og:image"].removeprefix(base))
    assert img.status_code == 200 and img.headers["content-type"] == "image/jpeg"
    assert img.content == client.get(t["image_url"], headers=auth(h)).content
    # a shared link may be kept a few minutes by the visitor's browser, never by a shared cache
    for res in (r, img):
        assert res.headers["cache-control"] == "private, no-cache", res.headers  # checked on every view
        assert "noindex" in res.headers["x-robots-tag"]


def test_an_older_link_used_as_an_image_still_gets_the_picture(client):
    h, t, _ = _done(client)
    link = _share(client, h, t)
    r = client.get(link["url"], headers={"Accept": IMG_ACCEPT})  # what an <img src=...> asks for
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"


def test_the_page_uses_the_public_url_and_escapes_the_garment_name(tmp_path):
    with running_app(tmp_path, public_url="https://shop.example.com/") as c:
        h = signup(c)
        photo = upload_photo(c, h)
        name = '<script>alert("x")</script> & Co\'s tee'
        r = c.post("/v1/garments", headers=auth(h), files={"file": ("tee.png", garment_png(), "image/png")},
                   data={"name": name})
        assert r.status_code == 201, r.text
        t = tryon(c, h, photo["id"], r.json()["id"])
        link = _share(c, h, t)
        html = c.get(link["url"]).text
        assert "<script>" not in html and "&lt;script&gt;" in html
        page = _Page(html)
        assert page.h1 == name and name in page.meta["og:title"]  # escaped in the HTML, whole when read
        assert page.meta["og:image"] == f"https://shop.example.com{link['image_url']}"
        assert page.meta["og:url"] == f"https://shop.example.com{link['url']}"


def test_tampered_link_is_404_expired_is_410(client):
    h, t, _ = _done(client)
    link = _share(client, h, t, 1)
    url = link["url"]
    token = url.rsplit("/", 1)[1]
    bad = f"/v1/shared/{token[:-2]}{'AA' if token[-2:] != 'AA' else 'BB'}"
    for path in (bad, bad + "/image"):
        r = client.get(path)
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    assert client.get("/v1/shared/garbage").status_code == 404
    # a browser gets a page saying so, with the same status
    r = client.get(bad, headers={"Accept": BROWSER_ACCEPT})
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert "This link is not valid." in r.text and r.headers["cache-control"] == "no-store"
    time.sleep(1.1)
    for path in (url, link["image_url"]):
        r = client.get(path)
        assert r.status_code == 410 and r.json()["error"]["code"] == "link_expired"
    r = client.get(url, headers={"Accept": BROWSER_ACCEPT})
    assert r.status_code == 410 and "This link has expired" in r.text


def test_deleted_tryon_link_is_404(client):
    h, t, _ = _done(client)
    link = _share(client, h, t)
    assert client.delete(f"/v1/tryons/{t['id']}", headers=auth(h)).status_code == 204
    assert client.get(link["url"]).status_code == 404
    assert client.get(link["image_url"]).status_code == 404
    assert client.get(link["url"], headers={"Accept": BROWSER_ACCEPT}).status_code == 404


def test_share_validation(client):
    h, t, _ = _done(client)
    r = client.post(f"/v1/tryons/{t['id']}/share", headers=auth(h), json={"expires_in": 0})
    assert r.status_code == 422
    r = client.post(f"/v1/tryons/{t['id']}/share", headers=auth(h), json={"expires_in": 10**9})
    assert r.status_code == 422 and "at most" in r.json()["error"]["message"]
    r = client.post(f"/v1/tryons/{t['id']}/share", headers=auth(h))
    assert r.status_code == 200  # default expiry


def test_links_are_opaque_listed_and_revoked_at_once(client):
    h, t, _ = _done(client)
    a, b = _share(client, h, t), _share(client, h, t, 3600)
    for link in (a, b):
        token = link["url"].rsplit("/", 1)[1]
        assert t["id"] not in token and "." not in token  # says nothing about the try-on
        import base64

        decoded = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        assert t["id"].encode() not in decoded
    listed = client.get("/v1/shares", headers=auth(h)).json()
    assert {x["id"] for x in listed} == {a["id"], b["id"]} and all(x["tryon_id"] == t["id"] for x in listed)
    assert all("url" not in x for x in listed)  # only hashes are kept
    assert client.get(a["url"]).status_code == 200
    assert client.delete(f"/v1/shares/{a['id']}", headers=auth(h)).status_code == 204
    for path in (a["url"], a["image_url"]):
        assert client.get(path).status_code == 404  # at once
    assert client.get(b["url"]).status_code == 200  # the other link still works
    assert [x["id"] for x in client.get("/v1/shares", headers=auth(h)).json()] == [b["id"]]
    # nobody else can see or revoke them
    other = signup(client)
    assert client.get("/v1/shares", headers=auth(other)).json() == []
    assert client.delete(f"/v1/shares/{b['id']}", headers=auth(other)).status_code == 404
    assert client.get(b["url"]).status_code == 200


def test_a_link_and_a_download_can_hide_the_face(client):
    """On the real example photo: the face is pixelated where fitroom's analysis found it,
    the rest of the picture is the try-on's own."""
    import io

    import numpy as np
    from PIL import Image

    h, t, _ = _done(client)
    plain = np.asarray(Image.open(io.BytesIO(client.get(f"/v1/tryons/{t['id']}/image", headers=auth(h)).content)))
    r = client.get(f"/v1/tryons/{t['id']}/image", headers=auth(h), params={"hide_face": "true"})
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg" and r.headers["cache-control"] == "no-store"
    hidden = np.asarray(Image.open(io.BytesIO(r.content)))
    assert hidden.shape == plain.shape
    diff = np.abs(hidden.astype(int) - plain.astype(int)).max(axis=2) > 24
    ys, xs = np.nonzero(diff)
    assert diff.mean() > 0.005  # something was hidden ...
    assert ys.mean() < 0.45 * plain.shape[0]  # ... in the upper part of the picture, where the head is
    link = client.post(f"/v1/tryons/{t['id']}/share", headers=auth(h), json={"hide_face": True}).json()
    shared = np.asarray(Image.open(io.BytesIO(client.get(link["image_url"]).content)))
    assert np.abs(shared.astype(int) - hidden.astype(int)).mean() < 2  # the same picture, re-encoded alike
    assert [x["hide_face"] for x in client.get("/v1/shares", headers=auth(h)).json() if x["id"] == link["id"]] == [True]
    plain_link = client.post(f"/v1/tryons/{t['id']}/share", headers=auth(h), json={}).json()
    assert client.get(plain_link["image_url"]).content == client.get(f"/v1/tryons/{t['id']}/image", headers=auth(h)).content
