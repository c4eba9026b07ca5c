"""Retention: photos and try-on results are erased once they are older than the server's
``retention_days`` or the user's own, shorter choice.

:func:`purge_expired` is the whole rule, with the clock passed in (tests use their own);
:class:`RetentionSweeper` runs it every ``retention_interval_seconds`` in the server.
Garments are a catalog, not personal data, and stay.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

from sqlalchemy import or_, select

from fitroom.service.db import truncate_wal
from fitroom.service.models import Event, Photo, Share, TryOn, User, utcnow

__all__ = ["RetentionSweeper", "effective_days", "purge_expired"]

log = logging.getLogger("fitroom.service")


def effective_days(server_days: int, user_days: int | None) -> int | None:
    """How many days a user's photos and results are kept (None: until deleted)."""
    days = [d for d in (server_days or None, user_days) if d]
    return min(days) if days else None


def purge_expired(db, storage, server_days: int, now: datetime | None = None) -> dict[str, int]:
    """Erase every photo (with its analysis, its try-ons and their results and share links)
    and every try-on result older than its owner's retention at ``now``. Returns the counts
    erased and the photo ids (``forget``) whose cached analyses the caller should drop."""
    now = now or utcnow()
    users = db.execute(select(User.id, User.retention_days)).all()
    photos_n = tryons_n = 0
    forget: list[str] = []
    files: list[str | None] = []
    for uid, user_days in users:
        days = effective_days(server_days, user_days)
        if days is None:
            continue
        cutoff = now - timedelta(days=days)
        old_photos = db.execute(select(Photo).where(Photo.user_id == uid, Photo.created_at < cutoff)).scalars().all()
        old_ids = [p.id for p in old_photos]
        old_tryons = db.execute(select(TryOn).where(TryOn.user_id == uid, or_(
            TryOn.created_at < cutoff, TryOn.photo_id.in_(old_ids) if old_ids else False))).scalars().all()
        if not old_photos and not old_tryons:
            continue
        t_ids = [t.id for t in old_tryons]
        files += [t.result_path for t in old_tryons] + [p.image_path for p in old_photos] + \
            [p.analysis_path for p in old_photos]
        if t_ids:
            db.execute(Share.__table__.delete().where(Share.tryon_id.in_(t_ids)))
            db.execute(TryOn.__table__.delete().where(TryOn.id.in_(t_ids)))
        if old_ids:
            db.execute(Photo.__table__.delete().where(Photo.id.in_(old_ids)))
        db.add(Event(user_id=uid, kind="retention.purged", ref_id=uid))
        photos_n += len(old_ids)
        tryons_n += len(t_ids)
        forget += old_ids
    if photos_n or tryons_n:
        db.commit()
        truncate_wal(db)
        for rel in files:
            storage.delete(rel)
    return {"photos": photos_n, "tryons": tryons_n, "forget": forget}


class RetentionSweeper(threading.Thread):
    """Runs :func:`purge_expired` now and then every ``interval`` seconds until stopped."""

    def __init__(self, svc, interval: float):
        super().__init__(name="fitroom-retention", daemon=True)
        self.svc, self.interval = svc, float(interval)
        self._stop = threading.Event()

    def run(self) -> None:
        while not self._stop.is_set():
            try:
                with self.svc.db.session() as db:
                    done = purge_expired(db, self.svc.storage, self.svc.settings.retention_days)
                if done["forget"]:
                    self.svc.forget(done["forget"])
                if done["photos"] or done["tryons"]:
                    log.info("retention: erased %d photos and %d try-ons", done["photos"], done["tryons"])
            except Exception:  # a database hiccup: try again next time
                log.exception("retention sweep failed")
            self._stop.wait(self.interval)

    def stop(self) -> None:
        self._stop.set()
