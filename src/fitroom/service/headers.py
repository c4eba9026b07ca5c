"""Browser security headers on every response.

The web app keeps its bearer token in ``localStorage`` and sends it as ``Authorization``;
its defence against script injection is the policy here: scripts only from the app's own
files (there is no inline script or style attribute to allow), no plug-ins, no framing (no
clickjacking of "Delete my data"), no ``<base>`` tricks, and requests only to this origin.
A response that sets its own ``Content-Security-Policy`` (the share page) keeps it. The API
docs (``/docs``: Swagger UI, an inline script and files from a CDN) get a policy of their own.
"""

from __future__ import annotations

__all__ = ["APP_CSP", "DOCS_CSP", "SecurityHeadersMiddleware"]

#: the web app and every API response
APP_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
           "media-src 'self' blob:; font-src 'self'; connect-src 'self' blob:; object-src 'none'; base-uri 'none'; "
           "form-action 'self'; frame-ancestors 'none'")
#: FastAPI's Swagger UI page
DOCS_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
            "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; img-src 'self' data: https://fastapi.tiangolo.com; "
            "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")

_COMMON = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),  # share links carry their secret in the path
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(self), microphone=(), geolocation=(), payment=()"),
]


class SecurityHeadersMiddleware:
    """Adds the headers above to every HTTP response (pure ASGI: no body buffering)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        csp = (DOCS_CSP if scope.get("path") in ("/docs", "/docs/oauth2-redirect") else APP_CSP).encode()

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in _COMMON if k not in present]
                if b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", csp))
                message = {**message, "headers": headers}
            await send(message)

        return await self.app(scope, receive, send_with_headers)
