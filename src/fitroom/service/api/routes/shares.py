"""A user's share links: list them, revoke one (it stops working at once)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response
from sqlalchemy import select

from fitroom.service.api.deps import CurrentUser, DbSession, require_scope
from fitroom.service.errors import not_found
from fitroom.service.models import Event, Share, utcnow
from fitroom.service.schemas import ShareListed

router = APIRouter(prefix="/shares", tags=["try-ons"], dependencies=[Depends(require_scope("tryon"))])


@router.get("", response_model=list[ShareListed])
def list_shares(user: CurrentUser, db: DbSession) -> list[ShareListed]:
    """Your share links, newest first (their URLs are not kept: only a hash of each secret)."""
    now = utcnow()
    rows = db.execute(select(Share).where(Share.user_id == user.id).order_by(Share.created_at.desc())).scalars()
    return [ShareListed(id=s.id, tryon_id=s.tryon_id, hide_face=s.hide_face, created_at=s.created_at, expires_at=s.expires_at,
                        expired=s.expires_at <= now) for s in rows]


@router.delete("/{share_id}", status_code=204, response_class=Response)
def revoke_share(share_id: str, user: CurrentUser, db: DbSession) -> Response:
    """Revoke a link: from now on it answers 404."""
    s = db.get(Share, share_id)
    if s is None or s.user_id != user.id:
        raise not_found("share link")
    db.delete(s)
    db.add(Event(user_id=user.id, kind="share.revoked", ref_id=s.tryon_id))
    db.commit()
    return Response(status_code=204)
