"""Try-ons: queued jobs, long-polled results, history, signed share links."""

from __future__ import annotations

import asyncio
import hashlib
import time
from datetime import datetime, timedelta, timezone
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Response
from fastapi.responses import FileResponse
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool

from fitroom.service.api.deps import CurrentUser, DbSession, PageParams, ServicesDep, rate_limit, require_scope
from fitroom.service.crud import own_photo, own_tryon, tryon_public, visible_garment
from fitroom.service.errors import NO_STORE, ApiError, not_found
from fitroom.service.faces import picture_without_face
from fitroom.service.models import Event, Share, TryOn, new_id, utcnow
from fitroom.service.schemas import ErrorPublic, Page, ShareCreate, SharePublic, TryOnCreate, TryOnPublic
from fitroom.service.security import hash_secret, new_share_token

router = APIRouter(prefix="/tryons", tags=["try-ons"], dependencies=[Depends(require_scope("tryon"))])

_TERMINAL = ("succeeded", "failed")


def _request_hash(body: TryOnCreate) -> str:
    return hashlib.sha256(f"{body.photo_id}\n{body.garment_id}".encode()).hexdigest()


@router.post("", status_code=202, response_model=TryOnPublic,
             responses={409: {"model": ErrorPublic, "description": "idempotency_conflict"},
                        503: {"model": ErrorPublic, "description": "queue_full"}})
def create_tryon(body: TryOnCreate, user: CurrentUser, db: DbSession, svc: ServicesDep, response: Response,
                 idempotency_key: Annotated[str | None, Header(max_length=200, description=
                                            "Makes retries safe: the same key and body return the same try-on.")] = None
                 ) -> TryOnPublic:
    """Queue a try-on of a garment on one of your photos. Poll ``GET /v1/tryons/{id}?wait=10``."""
    key = idempotency_key.strip() if idempotency_key else None
    rhash = _request_hash(body)
    if key:
        prior = db.execute(select(TryOn).where(TryOn.user_id == user.id, TryOn.idempotency_key == key)).scalar_one_or_none()
        if prior is not None:
            return _replay(prior, rhash, response)
    photo = own_photo(db, user, body.photo_id)
    garment = visible_garment(db, user, body.garment_id)
    s = svc.settings
    rate_limit(svc, f"tryon:{user.id}", s.tryon_rate_limit_per_minute, "try-ons")
    if s.reuse_results:
        done = _reuse(db, svc, user.id, photo.id, garment.id, key, rhash)
        if done is not None:
            response.headers["Location"] = f"/v1/tryons/{done.id}"
            return tryon_public(done)
    if svc.queue_depth() >= s.queue_max_length:
        raise ApiError(503, "queue_full", "Too many try-ons are waiting; please try again in a few seconds.",
                       headers={"Retry-After": "5"})
    job = TryOn(id=new_id(), user_id=user.id, photo_id=photo.id, garment_id=garment.id, status="queued",
                idempotency_key=key, request_hash=rhash, attempts=0)
    db.add(job)
    db.add(Event(user_id=user.id, kind="tryon.created", ref_id=job.id))
    try:
        db.commit()
    except IntegrityError:  # the same key raced us
        db.rollback()
        prior = db.execute(select(TryOn).where(TryOn.user_id == user.id, TryOn.idempotency_key == key)).scalar_one_or_none()
        if prior is None:
            raise
        return _replay(prior, rhash, response)
    svc.queue.submit(job.id)
    response.headers["Location"] = f"/v1/tryons/{job.id}"
    return tryon_public(job)


def _reuse(db, svc, user_id: str, photo_id: str, garment_id: str, key: str | None, rhash: str) -> TryOn | None:
    """The same photo and garment were tried before: a new try-on, finished at once, with its
    own copy (hard link) of that result. Photos and garments never change, so neither does it."""
    prior = db.execute(select(TryOn).where(TryOn.user_id == user_id, TryOn.photo_id == photo_id,
                                           TryOn.garment_id == garment_id, TryOn.status == "succeeded")
                       .order_by(TryOn.finished_at.desc()).limit(1)).scalar_one_or_none()
    if prior is None or not svc.storage.exists(prior.result_path):
        return None
    now = utcnow()
    job = TryOn(id=new_id(), user_id=user_id, photo_id=photo_id, garment_id=garment_id, status="succeeded",
                idempotency_key=key, request_hash=rhash, attempts=0, created_at=now, started_at=now, finished_at=now,
                duration_ms=0.0)
    job.result_path = svc.storage.rel("users", user_id, "results", f"{job.id}.jpg")
    svc.storage.link(prior.result_path, job.result_path)
    db.add(job)
    db.add(Event(user_id=user_id, kind="tryon.created", ref_id=job.id))
    db.add(Event(user_id=user_id, kind="tryon.succeeded", ref_id=job.id))
    try:
        db.commit()
    except IntegrityError:  # the same idempotency key raced us
        db.rollback()
        svc.storage.delete(job.result_path)
        return None
    svc.metrics.jobs.labels("reused").inc()
    return job


def _replay(prior: TryOn, rhash: str, response: Response) -> TryOnPublic:
    if prior.request_hash != rhash:
        raise ApiError(409, "idempotency_conflict",
                       "This Idempotency-Key was already used for a different try-on; use a new key.")
    response.headers["Location"] = f"/v1/tryons/{prior.id}"
    response.headers["Idempotent-Replayed"] = "true"
    return tryon_public(prior)


@router.get("", response_model=Page[TryOnPublic])
def list_tryons(user: CurrentUser, db: DbSession, paging: PageParams) -> Page[TryOnPublic]:
    """Your try-ons, newest first."""
    q = select(TryOn).where(TryOn.user_id == user.id)
    total = db.execute(select(func.count()).select_from(q.subquery())).scalar_one()
    rows = db.execute(q.order_by(TryOn.created_at.desc(), TryOn.id.desc()).offset(paging.offset)
                      .limit(paging.page_size)).scalars()
    return Page[TryOnPublic](items=[tryon_public(t) for t in rows], total=total, page=paging.page,
                             page_size=paging.page_size)


def _load(svc, user_id: str, tryon_id: str) -> TryOn | None:
    with svc.db.session() as db:
        t = db.get(TryOn, tryon_id)
        return t if t is not None and t.user_id == user_id else None


@router.get("/{tryon_id}", response_model=TryOnPublic)
async def get_tryon(tryon_id: str, user: CurrentUser, svc: ServicesDep,
                    wait: Annotated[float, Query(ge=0, le=3600, description=
                                    "Seconds to wait for the try-on to finish (capped by the server).")] = 0
                    ) -> TryOnPublic:
    """A try-on's status; with ``wait`` the answer comes as soon as it finishes (long poll)."""
    job = await run_in_threadpool(_load, svc, user.id, tryon_id)
    if job is None:
        raise not_found("try-on")
    deadline = time.monotonic() + min(wait, svc.settings.wait_max_seconds)
    while job.status not in _TERMINAL and time.monotonic() < deadline:
        ev = svc.notifier.register(tryon_id)
        try:
            job = await run_in_threadpool(_load, svc, user.id, tryon_id)  # finished before we registered?
            if job is None:
                raise not_found("try-on")
            if job.status in _TERMINAL:
                break
            try:
                # woken by the worker; the timeout is a safety net (another process, a missed wake-up)
                await asyncio.wait_for(ev.wait(), timeout=max(0.01, min(1.0, deadline - time.monotonic())))
            except asyncio.TimeoutError:
                pass
        finally:
            svc.notifier.unregister(tryon_id, ev)
        job = await run_in_threadpool(_load, svc, user.id, tryon_id)
        if job is None:
            raise not_found("try-on")
    return tryon_public(job)


@router.get("/{tryon_id}/image", response_class=FileResponse,
            responses={200: {"content": {"image/jpeg": {}}}, 409: {"model": ErrorPublic}})
def tryon_image(tryon_id: str, user: CurrentUser, db: DbSession, svc: ServicesDep,
                hide_face: Annotated[bool, Query(description="Pixelate the face (for a picture to pass on).")] = False,
                ) -> Response:
    t = own_tryon(db, user, tryon_id)
    if t.status != "succeeded" or not svc.storage.exists(t.result_path):
        raise ApiError(409, "not_ready", f"This try-on has no image (it is {t.status}).")
    # it shows the person: never cached (it must be gone once deleted); shared links are the exception
    if hide_face:
        return Response(picture_without_face(svc, db, t), media_type="image/jpeg", headers=NO_STORE)
    return FileResponse(svc.storage.path(t.result_path), media_type="image/jpeg", headers=NO_STORE)


@router.delete("/{tryon_id}", status_code=204, response_class=Response)
def delete_tryon(tryon_id: str, user: CurrentUser, db: DbSession, svc: ServicesDep) -> Response:
    t = own_tryon(db, user, tryon_id)
    rel = t.result_path
    db.delete(t)
    db.add(Event(user_id=user.id, kind="tryon.deleted", ref_id=tryon_id))
    db.commit()
    svc.storage.delete(rel)
    return Response(status_code=204)


@router.post("/{tryon_id}/share", response_model=SharePublic, responses={409: {"model": ErrorPublic}})
def share_tryon(tryon_id: str, user: CurrentUser, db: DbSession, svc: ServicesDep,
                body: ShareCreate | None = None) -> SharePublic:
    """A link that shows the result to anyone who has it, until it expires or is revoked
    (``DELETE /v1/shares/{id}``): ``url`` is a page with the picture and link-preview tags,
    ``image_url`` the picture. Its token is random (it reveals nothing about the try-on) and
    only its hash is stored, so the link is shown only in this answer."""
    body = body or ShareCreate()
    t = own_tryon(db, user, tryon_id)
    if t.status != "succeeded":
        raise ApiError(409, "not_ready", f"Only a finished try-on can be shared (this one is {t.status}).")
    if body.expires_in > svc.settings.share_max_seconds:
        raise ApiError(422, "validation_error",
                       f"expires_in must be at most {svc.settings.share_max_seconds} seconds.")
    token = new_share_token()
    share = Share(user_id=user.id, tryon_id=t.id, token_hash=hash_secret(token), hide_face=body.hide_face,
                  expires_at=utcnow() + timedelta(seconds=body.expires_in))
    db.add(share)
    db.add(Event(user_id=user.id, kind="tryon.shared", ref_id=tryon_id))
    db.commit()
    return SharePublic(id=share.id, url=f"/v1/shared/{token}", image_url=f"/v1/shared/{token}/image",
                       expires_at=share.expires_at)