"""The signed-in user: who am I, API keys, erase everything."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlalchemy import delete, select

from fitroom.service.api.deps import API_KEY_SCOPES, CurrentUser, DbSession, ServicesDep, SignedInUser
from fitroom.service.crud import erase_user
from fitroom.service.errors import ApiError, not_found
from fitroom.service.models import ApiKey, Token, User
from fitroom.service.retention import effective_days
from fitroom.service.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyPublic, UserPublic, UserUpdate
from fitroom.service.security import hash_secret, new_api_key

router = APIRouter(prefix="/me", tags=["accounts"])


def _public(user, settings) -> UserPublic:
    return UserPublic(id=user.id, email=user.email, created_at=user.created_at,
                      retention_days=effective_days(settings.retention_days, user.retention_days))


@router.get("", response_model=UserPublic)
def me(user: CurrentUser, svc: ServicesDep) -> UserPublic:
    return _public(user, svc.settings)


@router.patch("", response_model=UserPublic)
def update_me(body: UserUpdate, user: SignedInUser, db: DbSession, svc: ServicesDep) -> UserPublic:
    """Choose how long your photos and try-on results are kept (fewer days than the server's
    ``retention_days``, never more); older ones are erased at the next sweep."""
    server = svc.settings.retention_days
    if body.retention_days is not None and server and body.retention_days > server:
        raise ApiError(422, "validation_error", f"retention_days must be at most this server's {server}.")
    row = db.get(User, user.id)
    row.retention_days = body.retention_days
    db.commit()
    return _public(row, svc.settings)


@router.delete("", status_code=204, response_class=Response)
def delete_me(user: SignedInUser, db: DbSession, svc: ServicesDep) -> Response:
    """Erase the account and everything in it: photos, their analyses, garments, try-ons,
    events, tokens, API keys, and every file."""
    svc.forget(erase_user(db, svc.storage, user.id))
    return Response(status_code=204)


@router.post("/signout", status_code=204, response_class=Response)
def signout(user: SignedInUser, db: DbSession,
            api_keys: Annotated[bool, Query(description="Revoke every API key too (after a leak).")] = False) -> Response:
    """Sign out everywhere: revoke every bearer token of this user (and with ``api_keys=true``
    every API key, which a shop's back end otherwise keeps using)."""
    db.execute(delete(Token).where(Token.user_id == user.id))
    if api_keys:
        db.execute(delete(ApiKey).where(ApiKey.user_id == user.id))
    db.commit()
    return Response(status_code=204)


def _key_public(k: ApiKey) -> ApiKeyPublic:
    return ApiKeyPublic(id=k.id, name=k.name, prefix=k.prefix, scopes=[x for x in API_KEY_SCOPES if x in k.scopes.split()],
                        created_at=k.created_at, last_used_at=k.last_used_at)


@router.post("/api-keys", status_code=201, response_model=ApiKeyCreated)
def create_api_key(body: ApiKeyCreate, user: SignedInUser, db: DbSession) -> ApiKeyCreated:
    """A key for a shop's back end (header ``X-API-Key``) with the given scopes. The key is
    shown only here. Only a signed-in user can make, list or delete keys."""
    key = new_api_key()
    row = ApiKey(user_id=user.id, name=body.name, prefix=key[:10], key_hash=hash_secret(key),
                 scopes=" ".join(x for x in API_KEY_SCOPES if x in body.scopes))
    db.add(row)
    db.commit()
    return ApiKeyCreated(**_key_public(row).model_dump(), key=key)


@router.get("/api-keys", response_model=list[ApiKeyPublic])
def list_api_keys(user: SignedInUser, db: DbSession) -> list[ApiKeyPublic]:
    rows = db.execute(select(ApiKey).where(ApiKey.user_id == user.id).order_by(ApiKey.created_at)).scalars()
    return [_key_public(k) for k in rows]


@router.delete("/api-keys/{key_id}", status_code=204, response_class=Response)
def delete_api_key(key_id: str, user: SignedInUser, db: DbSession) -> Response:
    k = db.get(ApiKey, key_id)
    if k is None or k.user_id != user.id:
        raise not_found("API key")
    db.delete(k)
    db.commit()
    return Response(status_code=204)
