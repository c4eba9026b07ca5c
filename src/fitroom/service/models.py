"""SQLAlchemy 2 models: users and their credentials, photos, garments, try-on jobs, events.

Every row a user creates carries ``user_id``; deleting the user deletes them all (the
foreign keys cascade, and :func:`fitroom.service.crud.erase_user` also removes the files).
Demo catalog garments have ``user_id = NULL`` and are visible to everyone.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false as sa_false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = ["ApiKey", "Base", "Event", "Garment", "Photo", "Token", "TryOn", "User", "new_id", "utcnow"]


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def new_id() -> str:
    return uuid.uuid4().hex


class UtcDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    pass


_ID = String(32)


class User(Base):
    __tablename__ = "users"
    id: Mapped[str] = mapped_column(_ID, primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(320), unique=True, index=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    #: the user's own retention of photos and results, in days (None: the server's); never
    #: longer than the server's ``retention_days``
    retention_days: Mapped[int | None] = mapped_column(Integer, nullable=True)


class Token(Base):
    """A bearer token; only its SHA-256 is stored."""

    __tablename__ = "tokens"
    id: Mapped[str] = mapped_column(_ID, primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ApiKey(Base):
    """A key for a shop's back end (``X-API-Key``); only its SHA-256 is stored."""

    __tablename__ = "api_keys"
    id: Mapped[str] = mapped_column(_ID, primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    #: space-separated: ``catalog`` (garments), ``tryon`` (photos, try-ons, share links)
    scopes: Mapped[str] = mapped_column(String(100), default="catalog tryon", server_default="catalog tryon")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class Photo(Base):
    """A person photo, stored re-encoded (no metadata); its analysis is cached on disk."""

    __tablename__ = "photos"
    id: Mapped[str] = mapped_column(_ID, primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: the uploaded file's name (or the one given), shown to its owner only
    name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    image_path: Mapped[str] = mapped_column(String(400))
    analysis_path: Mapped[str | None] = mapped_column(String(400), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Garment(Base):
    """A catalog garment: a user's own (``user_id``) or the demo catalog's (``user_id`` NULL)."""

    __tablename__ = "garments"
    id: Mapped[str] = mapped_column(_ID, primary_key=True, default=new_id)
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True, nullable=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(40), index=True)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    image_path: Mapped[str] = mapped_column(String(400))
    landmarks_json: Mapped[str] = mapped_column(Text)
    mask_path: Mapped[str] = mapped_column(String(400))
    demo_key: Mapped[str | None] = mapped_column(String(100), unique=True, nullable=True)
    #: "product": an uploaded product photo (its mask is found again at try-on, with the inside
    #: of the neckline); "tryoff": laid flat from a person photo (its stored mask is the truth)
    source: Mapped[str] = mapped_column(String(20), default="product", server_default="product")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class TryOn(Base):
    """A try-on job. Its state lives here; queues only carry its id.

    A worker claims a job with a conditional UPDATE (queued, or running with an expired
    lease), renews ``lease_until`` while it works, and completes it with a conditional
    UPDATE fenced by ``worker_id`` and ``attempts``: a worker that lost its lease cannot
    complete the job a second time.
    """

    __tablename__ = "tryons"
    __table_args__ = (
        UniqueConstraint("user_id", "idempotency_key", name="uq_tryons_user_idempotency"),
        Index("ix_tryons_user_created", "user_id", "created_at"),
        Index("ix_tryons_status_lease", "status", "lease_until"),
    )
    id: Mapped[str] = mapped_column(_ID, primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    photo_id: Mapped[str] = mapped_column(ForeignKey("photos.id", ondelete="CASCADE"), index=True)
    garment_id: Mapped[str | None] = mapped_column(ForeignKey("garments.id", ondelete="SET NULL"), nullable=True, index=True)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    error_code: Mapped[str | None] = mapped_column(String(60), nullable=True)
    error_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    request_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    result_path: Mapped[str | None] = mapped_column(String(400), nullable=True)
    duration_ms: Mapped[float | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class Event(Base):
    """What happened to a user's data (sign-ins, uploads, try-ons completed): an audit trail."""

    __tablename__ = "events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(60))
    ref_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Share(Base):
    """A share link of a try-on: its token is random (it says nothing about the try-on) and
    only its SHA-256 is stored; deleting the row revokes the link at once."""

    __tablename__ = "shares"
    id: Mapped[str] = mapped_column(_ID, primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    tryon_id: Mapped[str] = mapped_column(ForeignKey("tryons.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    #: the picture is shown with the face pixelated (:mod:`fitroom.person.anonymize`)
    hide_face: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
