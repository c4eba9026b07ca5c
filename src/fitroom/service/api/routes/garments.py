"""The garment catalog: the demo catalog (everyone's) and each user's own garments."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Query, Response, UploadFile
from fastapi.responses import FileResponse
from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool

from fitroom.labels import GarmentCategory
from fitroom.service.api.deps import CurrentUser, DbSession, PageParams, ServicesDep, require_scope
from fitroom.service.api.uploads import limits, read_upload
from fitroom.service.crud import garment_public, visible_garment, visible_garments_clause
from fitroom.service.engine import decode_upload, encode_png, landmarks_json
from fitroom.service.errors import NO_STORE, ApiError, not_found
from fitroom.service.models import Event, Garment, new_id
from fitroom.service.schemas import ErrorPublic, GarmentDetail, GarmentPublic, Page
from fitroom.service.text import Name

router = APIRouter(prefix="/garments", tags=["garments"], dependencies=[Depends(require_scope("catalog"))])

_IMAGE = {200: {"content": {"image/png": {}}, "description": "The image."}}


@router.get("", response_model=Page[GarmentPublic])
def list_garments(user: CurrentUser, db: DbSession, paging: PageParams,
                  category: Annotated[GarmentCategory | None, Query(description="Only this category.")] = None,
                  q: Annotated[Name | None, Query(max_length=100, description="Words in the name.")] = None,
                  ) -> Page[GarmentPublic]:
    """The catalog: the demo garments and your own, yours first."""
    stmt = select(Garment).where(visible_garments_clause(user))
    if category is not None:
        stmt = stmt.where(Garment.category == str(category))
    if q:
        for word in q.split()[:8]:
            escaped = word.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            stmt = stmt.where(func.lower(Garment.name).like(f"%{escaped}%", escape="\\"))
    total = db.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    rows = db.execute(stmt.order_by(Garment.user_id.is_(None), Garment.created_at.desc(), Garment.name, Garment.id)
                      .offset(paging.offset).limit(paging.page_size)).scalars()
    return Page[GarmentPublic](items=[garment_public(g) for g in rows], total=total, page=paging.page,
                               page_size=paging.page_size)


@router.post("", status_code=201, response_model=GarmentDetail,
             responses={413: {"model": ErrorPublic}, 422: {"model": ErrorPublic}})
async def create_garment(file: Annotated[UploadFile, File(description="Product photo on a plain background.")],
                         user: CurrentUser, svc: ServicesDep,
                         name: Annotated[Name, Form(min_length=1, max_length=200)] = "My garment",
                         category: Annotated[GarmentCategory | None, Form(
                             description="What the garment is, if you know; detected from the photo otherwise.")] = None,
                         ) -> GarmentDetail:
    """Add a garment to your catalog from a product photo; it is analysed now (mask,
    landmarks, category: the one given, else detected). A photo that shows no top or dress is
    refused with 422."""
    data = await read_upload(file, svc.settings)
    name = name.strip()
    if not name:
        raise ApiError(422, "validation_error", "name must not be blank.")
    return await run_in_threadpool(_store_uploaded_garment, svc, user.id, name, data, category)


def _store_uploaded_garment(svc, user_id: str, name: str, data: bytes, category: GarmentCategory | None) -> GarmentDetail:
    with svc.decodes:  # decoding and analysis: a bounded number at once (memory)
        return _store_garment(svc, user_id, name, decode_upload(data, limits(svc.settings)), category)


@router.post("/from-photo", status_code=201, response_model=GarmentDetail,
             responses={413: {"model": ErrorPublic}, 422: {"model": ErrorPublic}})
async def garment_from_photo(file: Annotated[UploadFile, File(
                                 description="A photo of a person wearing the top or dress: JPEG, PNG or WebP.")],
                             user: CurrentUser, svc: ServicesDep,
                             name: Annotated[Name, Form(min_length=1, max_length=200)] = "From a photo",
                             ) -> GarmentDetail:
    """Try-off: add to your catalog the top or dress someone wears in a photo ("try on what
    she is wearing"). The garment is taken off the body and laid flat, front view, on white,
    with its mask (``fitroom.pipelines.tryoff``); only the garment is kept, never the photo.
    A photo without a person, or of a person wearing no top or dress, is refused with 422."""
    data = await read_upload(file, svc.settings)
    name = name.strip()
    if not name:
        raise ApiError(422, "validation_error", "name must not be blank.")
    return await run_in_threadpool(_store_tryoff, svc, user.id, name, data)


def _store_tryoff(svc, user_id: str, name: str, data: bytes) -> GarmentDetail:
    from fitroom.person.analyze import analyze_person
    from fitroom.pipelines.tryoff import tryoff_analysis

    with svc.decodes:  # decoding and analysis: a bounded number at once (memory)
        photo = decode_upload(data, limits(svc.settings))
        res = tryoff_analysis(analyze_person(photo))  # not the engine's cache: someone else's photo is not kept
        return _store_garment(svc, user_id, name, res.image, str(res.garment_category), mask=res.mask, source="tryoff")


def _store_garment(svc, user_id: str, name: str, image, category: GarmentCategory | str | None = None,
                   mask=None, source: str = "product") -> GarmentDetail:
    """Analyse and store a garment photo ``image`` (RGB uint8) for ``user_id``; ``mask``: its
    known mask (a try-off's, ``source="tryoff"``; then stored and used at every try-on)."""
    ga = svc.engine.analyze_garment(image, category=None if category is None else str(category), mask=mask)
    gid = new_id()
    st = svc.storage
    img_rel = st.rel("users", user_id, "garments", f"{gid}.png")
    mask_rel = st.rel("users", user_id, "garments", f"{gid}.mask.png")
    st.write(img_rel, encode_png(image))
    st.write(mask_rel, encode_png((mask if mask is not None else ga.mask).astype("uint8") * 255))
    with svc.db.session() as db:
        g = Garment(id=gid, user_id=user_id, name=name, category=str(ga.category), width=int(image.shape[1]),
                    height=int(image.shape[0]), image_path=img_rel, mask_path=mask_rel, landmarks_json=landmarks_json(ga),
                    source=source)
        db.add(g)
        db.add(Event(user_id=user_id, kind="garment.created", ref_id=gid))
        try:
            db.commit()
        except Exception:
            st.delete(img_rel)
            st.delete(mask_rel)
            raise
    return garment_public(g, detail=True)


@router.get("/{garment_id}", response_model=GarmentDetail)
def get_garment(garment_id: str, user: CurrentUser, db: DbSession) -> GarmentDetail:
    return garment_public(visible_garment(db, user, garment_id), detail=True)


def _cache_headers(g: Garment) -> dict[str, str]:
    """The demo catalog's images are the same for everyone and never change: cached a day. A
    user's own uploads are private: never stored in a cache (they must be gone once deleted)."""
    return {"Cache-Control": "private, max-age=86400"} if g.user_id is None else dict(NO_STORE)


#: catalog thumbnail sizes (longest side, pixels): a few fixed ones, so browsers cache them
THUMB_SIZES = (160, 320, 640)


@router.get("/{garment_id}/image", response_class=FileResponse,
            responses={200: {"content": {"image/png": {}, "image/jpeg": {}}, "description": "The image."}})
def garment_image(garment_id: str, user: CurrentUser, db: DbSession, svc: ServicesDep,
                  size: Annotated[int | None, Query(description=f"A JPEG thumbnail whose longest side is one of "
                                                    f"{', '.join(map(str, THUMB_SIZES))} px; absent: the full PNG.")] = None):
    g = visible_garment(db, user, garment_id)
    if not svc.storage.exists(g.image_path):
        raise not_found("garment")
    cache = _cache_headers(g)
    if size is None:
        return FileResponse(svc.storage.path(g.image_path), media_type="image/png", headers=cache)
    if size not in THUMB_SIZES:
        raise ApiError(422, "invalid_size", f"size must be one of {', '.join(map(str, THUMB_SIZES))}.")
    return Response(_thumbnail(svc.storage.path(g.image_path), size), media_type="image/jpeg", headers=cache)


def _thumbnail(path, size: int) -> bytes:
    """The stored product photo (a valid image the service wrote) shrunk to ``size`` px on its
    longest side (never enlarged), on white, as JPEG."""
    import io

    from PIL import Image

    with Image.open(path) as im:
        im.draft("RGB", (size, size))
        im = im.convert("RGBA") if im.mode in ("RGBA", "LA", "P") else im.convert("RGB")
        im.thumbnail((size, size), Image.Resampling.LANCZOS)
        if im.mode == "RGBA":
            bg = Image.new("RGB", im.size, "white")
            bg.paste(im, mask=im.getchannel("A"))
            im = bg
        buf = io.BytesIO()
        im.save(buf, format="JPEG", quality=85)
    return buf.getvalue()


@router.get("/{garment_id}/mask", response_class=FileResponse, responses=_IMAGE)
def garment_mask(garment_id: str, user: CurrentUser, db: DbSession, svc: ServicesDep) -> FileResponse:
    """The garment's mask (white garment on black), as computed on upload."""
    g = visible_garment(db, user, garment_id)
    if not svc.storage.exists(g.mask_path):
        raise not_found("garment")
    return FileResponse(svc.storage.path(g.mask_path), media_type="image/png", headers=_cache_headers(g))


@router.delete("/{garment_id}", status_code=204, response_class=Response)
def delete_garment(garment_id: str, user: CurrentUser, db: DbSession, svc: ServicesDep) -> Response:
    """Delete one of your garments (demo garments cannot be deleted). Try-ons made with it
    keep their images."""
    g = db.get(Garment, garment_id)
    if g is None or g.user_id != user.id:
        if g is not None and g.user_id is None:
            raise ApiError(403, "forbidden", "Demo catalog garments cannot be deleted.")
        raise not_found("garment")
    db.delete(g)
    db.add(Event(user_id=user.id, kind="garment.deleted", ref_id=garment_id))
    db.commit()
    svc.storage.delete(g.image_path)
    svc.storage.delete(g.mask_path)
    svc.forget([garment_id])
    return Response(status_code=204)
