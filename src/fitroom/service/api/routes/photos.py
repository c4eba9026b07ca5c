"""Person photos: validated, stripped of metadata, stored re-encoded, analysed once."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Response, UploadFile
from fastapi.responses import FileResponse
from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool

from fitroom.service.api.deps import CurrentUser, DbSession, PageParams, ServicesDep, require_scope
from fitroom.service.api.uploads import limits, read_upload
from fitroom.service.crud import own_photo, photo_public
from fitroom.service.engine import decode_upload, encode_jpeg
from fitroom.service.errors import NO_STORE, not_found
from fitroom.service.models import Event, Photo, new_id
from fitroom.service.schemas import ErrorPublic, Page, PhotoPublic

router = APIRouter(prefix="/photos", tags=["photos"], dependencies=[Depends(require_scope("tryon"))])

_IMAGE = {200: {"content": {"image/jpeg": {}}, "description": "The image."}}


@router.post("", status_code=201, response_model=PhotoPublic,
             responses={413: {"model": ErrorPublic}, 422: {"model": ErrorPublic}})
async def upload_photo(file: Annotated[UploadFile, File(description="A photo of one person: JPEG, PNG or WebP.")],
                       user: CurrentUser, svc: ServicesDep,
                       name: Annotated[str | None, Form(max_length=200, description=
                                       "What to call the photo; default: the file's name.")] = None,
                       ) -> PhotoPublic:
    """Upload a photo of yourself. It is checked (format, size, one person in it), stored
    without its metadata, and analysed once (pose, body parts) for every later try-on."""
    data = await read_upload(file, svc.settings)
    return await run_in_threadpool(_store_photo, svc, user.id, data, photo_name(name, file.filename))


def photo_name(given: str | None, filename: str | None) -> str | None:
    """The name to keep: the one given, else the file's own name without any folders;
    control characters dropped, at most 200 characters, None when nothing is left."""
    if given and given.strip():
        raw = given
    else:
        raw = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    clean = "".join(ch for ch in raw if ch.isprintable()).strip()
    return clean[:200] or None


def _store_photo(svc, user_id: str, data: bytes, name: str | None = None) -> PhotoPublic:
    with svc.decodes:  # decoding and analysis: a bounded number at once (memory)
        image = decode_upload(data, limits(svc.settings))
        pa = svc.engine.analyze_person(image)  # NoPersonError / MultiplePeopleError -> 422 now, not at try-on
    pid = new_id()
    st = svc.storage
    img_rel = st.rel("users", user_id, "photos", f"{pid}.jpg")
    ana_rel = st.rel("users", user_id, "analyses", f"{pid}.npz")
    st.write(img_rel, encode_jpeg(image, quality=95))
    st.write(ana_rel, svc.engine.dump_person(pa))
    with svc.db.session() as db:
        photo = Photo(id=pid, user_id=user_id, name=name, width=int(image.shape[1]), height=int(image.shape[0]),
                      image_path=img_rel, analysis_path=ana_rel)
        db.add(photo)
        db.add(Event(user_id=user_id, kind="photo.uploaded", ref_id=pid))
        try:
            db.commit()
        except Exception:
            st.delete(img_rel)
            st.delete(ana_rel)
            raise
    return photo_public(photo)


@router.get("", response_model=Page[PhotoPublic])
def list_photos(user: CurrentUser, db: DbSession, paging: PageParams) -> Page[PhotoPublic]:
    q = select(Photo).where(Photo.user_id == user.id)
    total = db.execute(select(func.count()).select_from(q.subquery())).scalar_one()
    rows = db.execute(q.order_by(Photo.created_at.desc(), Photo.id).offset(paging.offset).limit(paging.page_size)).scalars()
    return Page[PhotoPublic](items=[photo_public(p) for p in rows], total=total, page=paging.page,
                             page_size=paging.page_size)


@router.get("/{photo_id}", response_model=PhotoPublic)
def get_photo(photo_id: str, user: CurrentUser, db: DbSession) -> PhotoPublic:
    return photo_public(own_photo(db, user, photo_id))


@router.get("/{photo_id}/image", response_class=FileResponse, responses=_IMAGE)
def photo_image(photo_id: str, user: CurrentUser, db: DbSession, svc: ServicesDep) -> FileResponse:
    p = own_photo(db, user, photo_id)
    if not svc.storage.exists(p.image_path):
        raise not_found("photo")
    # a body photo: never kept in a browser's or a proxy's cache (it must be gone once deleted)
    return FileResponse(svc.storage.path(p.image_path), media_type="image/jpeg", headers=NO_STORE)


@router.delete("/{photo_id}", status_code=204, response_class=Response)
def delete_photo(photo_id: str, user: CurrentUser, db: DbSession, svc: ServicesDep) -> Response:
    """Delete the photo, its analysis, and the try-ons made from it (they show the person)."""
    from fitroom.service.models import TryOn

    p = own_photo(db, user, photo_id)
    results = list(db.execute(select(TryOn.result_path).where(TryOn.photo_id == p.id)).scalars())
    db.execute(TryOn.__table__.delete().where(TryOn.photo_id == p.id))
    db.delete(p)
    db.add(Event(user_id=user.id, kind="photo.deleted", ref_id=photo_id))
    db.commit()
    for rel in results + [p.image_path, p.analysis_path]:
        svc.storage.delete(rel)
    svc.forget([photo_id])
    return Response(status_code=204)
