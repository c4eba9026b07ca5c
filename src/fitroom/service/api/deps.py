"""Dependencies as ``Annotated`` aliases: the services, a database session, the current user."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from fitroom.service.services import Services
from fitroom.service.errors import ApiError
from fitroom.service.models import ApiKey, Token, User, utcnow
from fitroom.service.security import hash_secret
from fitroom.service.settings import Settings

__all__ = ["API_KEY_SCOPES", "ApiKeyAuth", "BearerAuth", "CurrentUser", "DbSession", "PageParams", "Principal",
           "ServicesDep", "SettingsDep", "SignedInUser", "client_ip", "rate_limit", "require_scope"]


def get_services(request: Request) -> Services:
    return request.app.state.services


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


ServicesDep = Annotated[Services, Depends(get_services)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_session(svc: ServicesDep) -> Iterator[Session]:
    with svc.db.session() as s:
        yield s


DbSession = Annotated[Session, Depends(get_session)]

_bearer = HTTPBearer(auto_error=False, description="A token from /v1/auth/signup or /v1/auth/signin.")
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="A key from /v1/me/api-keys.")
BearerAuth = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
ApiKeyAuth = Annotated[str | None, Depends(_api_key)]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def rate_limit(svc: Services, key: str, limit: int, what: str = "requests") -> None:
    wait = svc.limiter.hit(key, limit)
    if wait is not None:
        raise ApiError(429, "rate_limited", f"Too many {what}; try again in {int(wait)} seconds.",
                       headers={"Retry-After": str(int(wait))})


#: what an API key may be given: a shop's back end manages its catalog and runs try-ons;
#: account control (keys, sign-out, erasure) is never a key's, only a signed-in user's
API_KEY_SCOPES = ("catalog", "tryon")


@dataclass(frozen=True)
class Principal:
    """Who is calling: the user, and with an API key its scopes (None: a signed-in user)."""

    user: User
    key_scopes: frozenset[str] | None = None


def get_principal(request: Request, svc: ServicesDep, db: DbSession, bearer: BearerAuth,
                  api_key: ApiKeyAuth) -> Principal:
    user, scopes = None, None
    now = utcnow()
    if bearer is not None and bearer.credentials:
        row = db.execute(select(Token.user_id, Token.expires_at).where(Token.token_hash == hash_secret(bearer.credentials))).first()
        if row is None or row.expires_at <= now:
            rate_limit(svc, f"ip:{client_ip(request)}", svc.settings.rate_limit_per_minute)
            raise ApiError(401, "invalid_token", "Your session has expired or is not valid; sign in again.",
                           headers={"WWW-Authenticate": "Bearer"})
        user = db.get(User, row.user_id)
    elif api_key:
        key = db.execute(select(ApiKey).where(ApiKey.key_hash == hash_secret(api_key))).scalar_one_or_none()
        if key is None:
            rate_limit(svc, f"ip:{client_ip(request)}", svc.settings.rate_limit_per_minute)
            raise ApiError(401, "invalid_api_key", "This API key is not valid.")
        if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
            db.execute(update(ApiKey).where(ApiKey.id == key.id).values(last_used_at=now))
            db.commit()
        user = db.get(User, key.user_id)
        scopes = frozenset(key.scopes.split())
    if user is None:
        rate_limit(svc, f"ip:{client_ip(request)}", svc.settings.rate_limit_per_minute)
        raise ApiError(401, "unauthorized", "Sign in first: send 'Authorization: Bearer <token>' or 'X-API-Key'.",
                       headers={"WWW-Authenticate": "Bearer"})
    rate_limit(svc, f"user:{user.id}", svc.settings.rate_limit_per_minute)
    return Principal(user=user, key_scopes=scopes)


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def get_current_user(p: PrincipalDep) -> User:
    return p.user


def get_signed_in_user(p: PrincipalDep) -> User:
    """The user, when signed in with a token: account actions are not an API key's."""
    if p.key_scopes is not None:
        raise ApiError(403, "signed_in_user_required",
                       "This needs a signed-in user (Authorization: Bearer); an API key cannot manage the account.")
    return p.user


def require_scope(scope: str):
    """A dependency: an API key must carry ``scope`` (a signed-in user may do everything)."""
    if scope not in API_KEY_SCOPES:
        raise ValueError(f"unknown scope {scope!r}")

    def check(p: PrincipalDep) -> None:
        if p.key_scopes is not None and scope not in p.key_scopes:
            raise ApiError(403, "scope_missing", f"This API key does not have the '{scope}' scope.")

    return check


CurrentUser = Annotated[User, Depends(get_current_user)]
SignedInUser = Annotated[User, Depends(get_signed_in_user)]


class Paging:
    def __init__(self, page: int, page_size: int):
        self.page, self.page_size = page, page_size

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size


def get_paging(settings: SettingsDep,
               page: Annotated[int, Query(ge=1, le=1_000_000, description="1-based page number.")] = 1,
               page_size: Annotated[int | None, Query(ge=1, description="Items per page (at most the server's maximum).")] = None) -> Paging:
    size = settings.page_size_default if page_size is None else page_size
    if size > settings.page_size_max:
        raise ApiError(422, "validation_error", f"page_size must be at most {settings.page_size_max}.")
    return Paging(page, size)


PageParams = Annotated[Paging, Depends(get_paging)]


def aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)
