"""Browser security headers, and a web app that needs nothing the policy forbids."""

from __future__ import annotations

import base64
import hashlib
import re
from html.parser import HTMLParser

from fitroom.service.app import WEB_DIR
from fitroom.service.headers import APP_CSP

from .helpers import auth, signup, tryon, upload_photo, demo_garment


def _directives(csp: str) -> dict[str, list[str]]:
    return {d.split()[0]: d.split()[1:] for d in (x.strip() for x in csp.split(";")) if d}


def test_every_response_has_the_headers(client):
    for r in (client.get("/"), client.get("/v1/info"), client.get("/v1/photos"), client.get("/nothing-here"),
              client.post("/v1/auth/signin", content=b"x" * (2 * 1024 * 1024), headers={"Content-Type": "application/json"})):
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["referrer-policy"] == "no-referrer"
        csp = _directives(r.headers["content-security-policy"])
        assert csp["frame-ancestors"] == ["'none'"]
        assert csp["script-src"] == ["'self'"] and csp["object-src"] == ["'none'"] and csp["base-uri"] == ["'none'"]
        assert not any("unsafe" in v for vals in csp.values() for v in vals)
    assert client.get("/").headers["content-security-policy"] == APP_CSP
    assert "unsafe-inline" in client.get("/docs").headers["content-security-policy"]  # Swagger UI only


class _Inline(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script" and not a.get("src"):
            self.found.append("inline <script>")
        if tag == "style":
            self.found.append("<style>")
        for k, v in attrs:
            if k == "style" or k.startswith("on") or (v or "").strip().lower().startswith("javascript:"):
                self.found.append(f"{tag} {k}=")


def test_the_web_app_has_no_inline_script_or_style():
    p = _Inline()
    p.feed((WEB_DIR / "index.html").read_text())
    assert not p.found, p.found
    js = (WEB_DIR / "app.js").read_text()
    assert not re.search(r"\beval\(|new Function\(|setAttribute\(\s*['\"](style|on\w+)['\"]|[{,]\s*style\s*:", js)


def test_the_share_page_allows_exactly_its_own_style(client):
    h = signup(client)
    t = tryon(client, h, upload_photo(client, h)["id"], demo_garment(client, h)["id"])
    share = client.post(f"/v1/tryons/{t['id']}/share", headers=auth(h), json={}).json()
    r = client.get(share["url"])
    csp = _directives(r.headers["content-security-policy"])
    style = re.search(r"<style>(.*?)</style>", r.text, re.S).group(1)
    assert csp["style-src"] == [f"'sha256-{base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()}'"]
    assert csp["default-src"] == ["'none'"] and "script-src" not in csp and csp["frame-ancestors"] == ["'none'"]
