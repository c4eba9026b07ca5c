"""Sign-up and sign-in: Argon2id password hashes, opaque bearer tokens stored hashed."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi import APIRouter, Request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from fitroom.service.api.deps import DbSession, ServicesDep, client_ip, rate_limit
from fitroom.service.errors import ApiError
from fitroom.service.models import Event, Token, User, utcnow
from fitroom.service.retention import effective_days
from fitroom.service.schemas import AuthPublic, ErrorPublic, UserCreate, UserPublic
from fitroom.service.security import hash_password, hash_secret, new_token, password_problem, verify_password

router = APIRouter(prefix="/auth", tags=["accounts"])

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _email(raw: str) -> str:
    email = raw.strip().lower()
    if not _EMAIL.match(email):
        raise ApiError(422, "invalid_email", "This is not an email address.")
    return email


def issue_token(db: DbSession, svc: ServicesDep, user: User) -> AuthPublic:
    token = new_token()
    expires = utcnow() + timedelta(seconds=svc.settings.token_ttl_seconds)
    db.add(Token(user_id=user.id, token_hash=hash_secret(token), expires_at=expires))
    db.commit()
    return AuthPublic(token=token, expires_at=expires,
                      user=UserPublic(id=user.id, email=user.email, created_at=user.created_at,
                                      retention_days=effective_days(svc.settings.retention_days, user.retention_days)))


@router.post("/signup", status_code=201, response_model=AuthPublic,
             responses={409: {"model": ErrorPublic, "description": "email_taken"}})
def signup(body: UserCreate, request: Request, db: DbSession, svc: ServicesDep) -> AuthPublic:
    """Create an account and sign in: returns a bearer token."""
    rate_limit(svc, f"auth:{client_ip(request)}", svc.settings.auth_rate_limit_per_minute, "sign-up attempts")
    if not svc.settings.signup_enabled:
        raise ApiError(403, "signup_disabled", "Sign-up is closed on this server.")
    email = _email(body.email)
    weak = password_problem(body.password, (email, email.split("@")[0], "fitroom"))
    if weak:
        raise ApiError(422, "weak_password", weak)
    if db.execute(select(User.id).where(User.email == email)).first() is not None:
        raise ApiError(409, "email_taken", "An account with this email already exists; sign in instead.")
    user = User(email=email, password_hash=hash_password(body.password))
    db.add(user)
    try:
        db.flush()
    except IntegrityError:
        db.rollback()
        raise ApiError(409, "email_taken", "An account with this email already exists; sign in instead.") from None
    db.add(Event(user_id=user.id, kind="signup", ref_id=user.id))
    return issue_token(db, svc, user)


@router.post("/signin", response_model=AuthPublic,
             responses={401: {"model": ErrorPublic, "description": "invalid_credentials"}})
def signin(body: UserCreate, request: Request, db: DbSession, svc: ServicesDep) -> AuthPublic:
    """Sign in with email and password: returns a new bearer token.

    Failed attempts are counted per account and per IP: past a few, each further one makes
    that account (or address) wait, doubling from a second up to 15 minutes (429 with
    ``Retry-After``; the password is not even checked then). A success clears its account's
    count, and successful sign-ins never count against an address, so shoppers behind one
    shared address are not locked out by their own traffic."""
    email = body.email.strip().lower()
    ip = client_ip(request)
    for guard, key, what in ((svc.signin_ip_backoff, ip, "from this address"),
                             (svc.signin_backoff, email, "for this account")):
        wait = guard.wait(key)
        if wait is not None:
            raise ApiError(429, "rate_limited", f"Too many failed sign-ins {what}; try again in {int(wait)} seconds.",
                           headers={"Retry-After": str(int(wait))})
    user = db.execute(select(User).where(User.email == email)).scalar_one_or_none()
    if not verify_password(body.password, user.password_hash if user else None) or user is None:
        svc.signin_ip_backoff.failed(ip)
        svc.signin_backoff.failed(email)
        raise ApiError(401, "invalid_credentials", "The email or the password is wrong.")
    svc.signin_backoff.succeeded(email)
    db.add(Event(user_id=user.id, kind="signin", ref_id=user.id))
    return issue_token(db, svc, user)
