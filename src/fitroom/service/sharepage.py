"""The HTML of a shared try-on: the picture, the garment's name, "made with fitroom", and the
Open Graph / Twitter card tags that make a link preview in chat apps and social sites.

Plain strings with every value escaped; no template engine. The page's only outside
resources are the picture itself and the web app's font and icon (same origin).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import datetime
from html import escape

__all__ = ["SHARE_PAGE_CSP", "SharedLook", "error_page", "share_page"]


DESCRIPTION = "A virtual try-on made with fitroom: see clothes on your own photo before you buy."


@dataclass(frozen=True)
class SharedLook:
    garment: str          #: the garment's name ("" when it was deleted)
    page_url: str         #: absolute
    image_url: str        #: absolute
    width: int | None
    height: int | None
    expires_at: datetime


_STYLE = """
@font-face { font-family: "Inter"; font-style: normal; font-display: swap; font-weight: 100 900;
  src: url("/fonts/inter-latin-wght-normal.woff2") format("woff2-variations"); }
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; min-height: 100vh; display: grid; place-items: center; padding: 24px 16px;
  background: #f6f3ee; color: #1c1a17; font: 15px/1.5 "Inter", system-ui, -apple-system, "Segoe UI", sans-serif; }
.look { width: min(100%, 520px); background: #fff; border: 1px solid #e6e0d7; border-radius: 22px;
  overflow: hidden; box-shadow: 0 18px 50px -20px rgba(28, 26, 23, .28); }
.look .picture { display: block; width: 100%; height: auto; max-height: 72vh; object-fit: contain; background: #efebe4; }
.look .text { padding: 18px 22px 22px; }
h1 { margin: 0; font-size: 21px; line-height: 1.3; font-weight: 650; letter-spacing: -.01em; overflow-wrap: anywhere; }
.made { margin: 6px 0 0; color: #57524b; display: flex; align-items: center; gap: 8px; }
.made a { color: inherit; font-weight: 600; text-decoration: none; }
.made a:hover { text-decoration: underline; }
.mark { width: 22px; height: 22px; border-radius: 7px; flex: none; }
.cta { display: inline-block; margin-top: 16px; padding: 10px 16px; border-radius: 999px; background: #1c1a17;
  color: #fff; font-weight: 600; text-decoration: none; }
.cta:hover { background: #000; }
.fine { margin: 14px 0 0; font-size: 12.5px; color: #8b857c; }
"""


#: the page runs no script and loads only its own picture, font and icon; its one inline
#: style sheet is allowed by its hash
SHARE_PAGE_CSP = (f"default-src 'none'; img-src 'self'; style-src "
                  f"'sha256-{base64.b64encode(hashlib.sha256(_STYLE.encode()).digest()).decode()}'; font-src 'self'; "
                  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


def _attr(s: str) -> str:
    return escape(s, quote=True)


def share_page(look: SharedLook) -> str:
    """The share page of one look."""
    name = look.garment.strip()
    title = f"{name} · made with fitroom" if name else "A look made with fitroom"
    heading = name or "A look"
    alt = f"{name}, tried on with fitroom" if name else "A virtual try-on made with fitroom"
    size = ""
    if look.width and look.height:
        size = (f'\n<meta property="og:image:width" content="{int(look.width)}">'
                f'\n<meta property="og:image:height" content="{int(look.height)}">')
        dims = f' width="{int(look.width)}" height="{int(look.height)}"'
    else:
        dims = ""
    expires = look.expires_at.strftime("%-d %B %Y, %H:%M UTC")
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>{escape(title)}</title>
<meta name="description" content="{_attr(DESCRIPTION)}">
<meta property="og:type" content="website">
<meta property="og:site_name" content="fitroom">
<meta property="og:title" content="{_attr(title)}">
<meta property="og:description" content="{_attr(DESCRIPTION)}">
<meta property="og:url" content="{_attr(look.page_url)}">
<meta property="og:image" content="{_attr(look.image_url)}">
<meta property="og:image:type" content="image/jpeg">{size}
<meta property="og:image:alt" content="{_attr(alt)}">
<meta name="twitter:card" content="summary_large_image">
<meta name="twitter:title" content="{_attr(title)}">
<meta name="twitter:description" content="{_attr(DESCRIPTION)}">
<meta name="twitter:image" content="{_attr(look.image_url)}">
<meta name="twitter:image:alt" content="{_attr(alt)}">
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<style>{_STYLE}</style>
</head>
<body>
<main class="look">
  <img class="picture" src="{_attr(look.image_url)}" alt="{_attr(alt)}"{dims}>
  <div class="text">
    <h1>{escape(heading)}</h1>
    <p class="made"><img class="mark" src="/favicon.svg" alt=""><span>made with <a href="/">fitroom</a></span></p>
    <a class="cta" href="/">Try it on yourself</a>
    <p class="fine">This link works until {escape(expires)}.</p>
  </div>
</main>
</body>
</html>
"""


def error_page(title: str, message: str) -> str:
    """What a browser shows for a link that expired or is not valid (the API answers JSON)."""
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>{escape(title)} · fitroom</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<style>{_STYLE}</style>
</head>
<body>
<main class="look">
  <div class="text">
    <h1>{escape(title)}</h1>
    <p class="made">{escape(message)}</p>
    <a class="cta" href="/">Go to fitroom</a>
  </div>
</main>
</body>
</html>
"""
