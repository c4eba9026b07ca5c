"""Shared try-ons: anyone with a signed, unexpired link sees a small page with the picture
(``GET /v1/shared/{token}``, with Open Graph tags for link previews) and the picture itself
(``GET /v1/shared/{token}/image``)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse, HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from fitroom.service.api.deps import DbSession, ServicesDep, client_ip, rate_limit
from fitroom.service.errors import ApiError
from fitroom.service.faces import picture_without_face
from fitroom.service.models import Garment, Photo, Share, TryOn, utcnow
from fitroom.service.schemas import ErrorPublic
from fitroom.service.security import hash_secret
from fitroom.service.sharepage import SHARE_PAGE_CSP, SharedLook, error_page, share_page

router = APIRouter(prefix="/shared", tags=["try-ons"])

#: a shared link is checked again on every view (never kept by a shared cache, nor used by a
#: browser unasked: revoking the link or deleting the try-on ends it at once); search engines
#: are asked not to index it
SHARED_HEADERS = {"Cache-Control": "private, no-cache", "X-Robots-Tag": "noindex, nofollow"}

_ERRORS = {404: {"model": ErrorPublic}, 410: {"model": ErrorPublic}}


def _shared_tryon(token: str, request: Request, db: Session, svc) -> tuple[TryOn, Share]:
    """The try-on behind a link, and the link; 410 once the link expired, 404 if it is not a
    link (revoked, never made) or the try-on is gone."""
    rate_limit(svc, f"ip:{client_ip(request)}", svc.settings.rate_limit_per_minute)
    share = db.execute(select(Share).where(Share.token_hash == hash_secret(token))).scalar_one_or_none()
    if share is None:
        raise ApiError(404, "not_found", "This link is not valid.")
    if share.expires_at <= utcnow():
        raise ApiError(410, "link_expired", "This link has expired.")
    t = db.get(TryOn, share.tryon_id)
    if t is None or t.status != "succeeded" or not svc.storage.exists(t.result_path):
        raise ApiError(404, "not_found", "This try-on no longer exists.")
    return t, share


def _accepts(request: Request, kind: str) -> int:
    """Where ``kind`` (e.g. ``text/html``) comes in the Accept header: its position, or -1."""
    types = [part.split(";", 1)[0].strip().lower() for part in request.headers.get("accept", "").split(",")]
    return next((i for i, t in enumerate(types) if t == kind or (kind.endswith("/*") and t.startswith(kind[:-1]))), -1)


def _wants_html(request: Request) -> bool:
    html, json = _accepts(request, "text/html"), _accepts(request, "application/json")
    return html >= 0 and (json < 0 or html < json)


def _image(t: TryOn, share: Share, svc, db) -> Response:
    if share.hide_face:
        return Response(picture_without_face(svc, db, t), media_type="image/jpeg", headers=SHARED_HEADERS)
    return FileResponse(svc.storage.path(t.result_path), media_type="image/jpeg", headers=SHARED_HEADERS)


def _base_url(request: Request, svc) -> str:
    return svc.settings.public_url or str(request.base_url).rstrip("/")


@router.get("/{token}", response_class=HTMLResponse,
            responses={200: {"content": {"text/html": {}, "image/jpeg": {}},
                             "description": "The share page; the picture itself for a client that asks only "
                                            "for images (an <img> pointed at an older link)."}, **_ERRORS})
def shared_page(token: str, request: Request, db: DbSession, svc: ServicesDep) -> Response:
    """The shared look's page (no sign-in): the picture, the garment's name, "made with
    fitroom", and Open Graph / Twitter card tags for link previews. 410 once the link
    expired; 404 if it was tampered with or the try-on was deleted (as a page for browsers,
    JSON otherwise)."""
    try:
        t, share = _shared_tryon(token, request, db, svc)
    except ApiError as e:
        if not _wants_html(request):
            raise
        title = "This link has expired" if e.status == 410 else "This look isn't here"
        return HTMLResponse(error_page(title, e.message), status_code=e.status,
                            headers={**(e.headers or {}), "Cache-Control": "no-store",
                                     "Content-Security-Policy": SHARE_PAGE_CSP, "X-Robots-Tag": "noindex, nofollow"})
    if _accepts(request, "image/*") >= 0 and _accepts(request, "text/html") < 0:
        return _image(t, share, svc, db)  # links shared before there was a page, used as an image
    garment = db.get(Garment, t.garment_id) if t.garment_id else None
    photo = db.get(Photo, t.photo_id)
    base = _base_url(request, svc)
    look = SharedLook(garment=garment.name if garment else "", page_url=f"{base}/v1/shared/{token}",
                      image_url=f"{base}/v1/shared/{token}/image",
                      width=photo.width if photo else None, height=photo.height if photo else None,
                      expires_at=share.expires_at)
    return HTMLResponse(share_page(look), headers={**SHARED_HEADERS, "Content-Security-Policy": SHARE_PAGE_CSP})


@router.get("/{token}/image", response_class=FileResponse,
            responses={200: {"content": {"image/jpeg": {}}}, **_ERRORS})
def shared_image(token: str, request: Request, db: DbSession, svc: ServicesDep) -> Response:
    """The shared try-on picture (no sign-in); same rules as the page."""
    return _image(*_shared_tryon(token, request, db, svc), svc, db)
