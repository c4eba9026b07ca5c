"""Shared try-on images: anyone with a signed, unexpired link."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse

from fitroom.service.api.deps import DbSession, ServicesDep, client_ip, rate_limit
from fitroom.service.errors import ApiError
from fitroom.service.models import TryOn
from fitroom.service.schemas import ErrorPublic
from fitroom.service.security import ShareTokenError, read_share_token

router = APIRouter(prefix="/shared", tags=["try-ons"])


@router.get("/{token}", response_class=FileResponse,
            responses={200: {"content": {"image/jpeg": {}}}, 410: {"model": ErrorPublic}})
def shared_image(token: str, request: Request, db: DbSession, svc: ServicesDep) -> FileResponse:
    """The shared try-on image (no sign-in). 410 once the link expired; 404 if it was
    tampered with or the try-on was deleted."""
    rate_limit(svc, f"ip:{client_ip(request)}", svc.settings.rate_limit_per_minute)
    try:
        tryon_id = read_share_token(svc.signing_key, token)
    except ShareTokenError as e:
        if e.expired:
            raise ApiError(410, "link_expired", "This link has expired.") from None
        raise ApiError(404, "not_found", "This link is not valid.") from None
    t = db.get(TryOn, tryon_id)
    if t is None or t.status != "succeeded" or not svc.storage.exists(t.result_path):
        raise ApiError(404, "not_found", "This try-on no longer exists.")
    return FileResponse(svc.storage.path(t.result_path), media_type="image/jpeg",
                        headers={"Cache-Control": "private, max-age=300"})
