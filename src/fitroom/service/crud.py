"""Queries and conversions the routes share: ownership lookups, public views, erasure."""

from __future__ import annotations

import json

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from fitroom.service.db import truncate_wal
from fitroom.service.errors import not_found
from fitroom.service.models import ApiKey, Event, Garment, Photo, Share, Token, TryOn, User
from fitroom.service.schemas import ErrorDetail, GarmentDetail, GarmentPublic, PhotoPublic, TryOnPublic
from fitroom.service.storage import Storage

__all__ = ["erase_user", "garment_public", "own_photo", "own_tryon", "photo_public", "tryon_public",
           "visible_garment"]


def own_photo(db: Session, user: User, photo_id: str) -> Photo:
    p = db.get(Photo, photo_id)
    if p is None or p.user_id != user.id:
        raise not_found("photo")
    return p


def own_tryon(db: Session, user: User, tryon_id: str) -> TryOn:
    t = db.get(TryOn, tryon_id)
    if t is None or t.user_id != user.id:
        raise not_found("try-on")
    return t


def visible_garment(db: Session, user: User, garment_id: str) -> Garment:
    g = db.get(Garment, garment_id)
    if g is None or (g.user_id is not None and g.user_id != user.id):
        raise not_found("garment")
    return g


def visible_garments_clause(user: User):
    return or_(Garment.user_id.is_(None), Garment.user_id == user.id)


def garment_public(g: Garment, detail: bool = False) -> GarmentPublic | GarmentDetail:
    base = dict(id=g.id, name=g.name, category=g.category, width=g.width, height=g.height,
                image_url=f"/v1/garments/{g.id}/image", mask_url=f"/v1/garments/{g.id}/mask",
                created_at=g.created_at, owner="demo" if g.user_id is None else "me", source=g.source or "product")
    if not detail:
        return GarmentPublic(**base)
    lm = json.loads(g.landmarks_json)
    return GarmentDetail(**base, landmarks=lm.get("points", {}), has_sleeves=bool(lm.get("has_sleeves", False)))


def photo_public(p: Photo) -> PhotoPublic:
    return PhotoPublic(id=p.id, name=p.name, width=p.width, height=p.height, created_at=p.created_at,
                       image_url=f"/v1/photos/{p.id}/image")


def tryon_public(t: TryOn) -> TryOnPublic:
    err = ErrorDetail(code=t.error_code, message=t.error_message or "The try-on failed.") if t.error_code else None
    return TryOnPublic(id=t.id, status=t.status, error=err, photo_id=t.photo_id, garment_id=t.garment_id,
                       created_at=t.created_at, started_at=t.started_at, finished_at=t.finished_at,
                       attempts=t.attempts,
                       image_url=f"/v1/tryons/{t.id}/image" if t.status == "succeeded" else None)


def erase_user(db: Session, storage: Storage, user_id: str) -> list[str]:
    """Delete the user and everything they own, rows and files. Returns the photo and
    garment ids whose cached analyses the caller should forget."""
    photos = list(db.execute(select(Photo.id).where(Photo.user_id == user_id)).scalars())
    garments = list(db.execute(select(Garment.id).where(Garment.user_id == user_id)).scalars())
    # explicit deletes, children first (no reliance on the backend's cascades)
    db.execute(delete(Event).where(Event.user_id == user_id))
    db.execute(delete(Share).where(Share.user_id == user_id))
    db.execute(delete(TryOn).where(TryOn.user_id == user_id))
    db.execute(delete(Photo).where(Photo.user_id == user_id))
    db.execute(delete(Garment).where(Garment.user_id == user_id))
    db.execute(delete(Token).where(Token.user_id == user_id))
    db.execute(delete(ApiKey).where(ApiKey.user_id == user_id))
    db.execute(delete(User).where(User.id == user_id))
    db.commit()
    truncate_wal(db)  # SQLite: nothing of the account left in the log either
    storage.delete_user(user_id)
    return photos + garments
