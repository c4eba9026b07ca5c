"""The signed-in user: who am I, API keys, erase everything."""

from __future__ import annotations

from fastapi import APIRouter, Response
from sqlalchemy import delete, select

from fitroom.service.api.deps import CurrentUser, DbSession, ServicesDep
from fitroom.service.crud import erase_user
from fitroom.service.errors import not_found
from fitroom.service.models import ApiKey, Token
from fitroom.service.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyPublic, UserPublic
from fitroom.service.security import hash_secret, new_api_key

router = APIRouter(prefix="/me", tags=["accounts"])


@router.get("", response_model=UserPublic)
def me(user: CurrentUser) -> UserPublic:
    return UserPublic(id=user.id, email=user.email, created_at=user.created_at)


@router.delete("", status_code=204, response_class=Response)
def delete_me(user: CurrentUser, db: DbSession, svc: ServicesDep) -> Response:
    """Erase the account and everything in it: photos, their analyses, garments, try-ons,
    events, tokens, API keys, and every file."""
    svc.forget(erase_user(db, svc.storage, user.id))
    return Response(status_code=204)


@router.post("/signout", status_code=204, response_class=Response)
def signout(user: CurrentUser, db: DbSession) -> Response:
    """Revoke every bearer token of this user."""
    db.execute(delete(Token).where(Token.user_id == user.id))
    db.commit()
    return Response(status_code=204)


def _key_public(k: ApiKey) -> ApiKeyPublic:
    return ApiKeyPublic(id=k.id, name=k.name, prefix=k.prefix, created_at=k.created_at, last_used_at=k.last_used_at)


@router.post("/api-keys", status_code=201, response_model=ApiKeyCreated)
def create_api_key(body: ApiKeyCreate, user: CurrentUser, db: DbSession) -> ApiKeyCreated:
    """A key for a shop's back end (header ``X-API-Key``). The key is shown only here."""
    key = new_api_key()
    row = ApiKey(user_id=user.id, name=body.name, prefix=key[:10], key_hash=hash_secret(key))
    db.add(row)
    db.commit()
    return ApiKeyCreated(**_key_public(row).model_dump(), key=key)


@router.get("/api-keys", response_model=list[ApiKeyPublic])
def list_api_keys(user: CurrentUser, db: DbSession) -> list[ApiKeyPublic]:
    rows = db.execute(select(ApiKey).where(ApiKey.user_id == user.id).order_by(ApiKey.created_at)).scalars()
    return [_key_public(k) for k in rows]


@router.delete("/api-keys/{key_id}", status_code=204, response_class=Response)
def delete_api_key(key_id: str, user: CurrentUser, db: DbSession) -> Response:
    k = db.get(ApiKey, key_id)
    if k is None or k.user_id != user.id:
        raise not_found("API key")
    db.delete(k)
    db.commit()
    return Response(status_code=204)
