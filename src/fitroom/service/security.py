"""Passwords (Argon2id), opaque bearer tokens, API keys and share-link tokens (stored as SHA-256)."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = ["MIN_PASSWORD_SCORE", "hash_password", "hash_secret", "new_api_key", "new_share_token", "new_token",
           "password_problem", "verify_password"]

# argon2-cffi's defaults are Argon2id (RFC 9106 low-memory profile)
_hasher = PasswordHasher()
# a valid hash to verify against when the email is unknown, so sign-in takes as long either way
_DUMMY = _hasher.hash("fitroom-dummy-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


#: zxcvbn's strength score (0-4) a new password must reach: 2 is "somewhat guessable"
#: (about 10^8 guesses; 0 and 1 are the common passwords, keyboard walks, repeats, a word and
#: a digit)
MIN_PASSWORD_SCORE = 2


def password_problem(password: str, user_inputs: tuple[str, ...] = ()) -> str | None:
    """Why ``password`` is too weak to set (one sentence), or None. Judged offline by zxcvbn
    (its lists of common passwords, words and names, keyboard patterns, dates, repeats);
    ``user_inputs``: words of this account (the e-mail address) that must not be the password."""
    from zxcvbn import zxcvbn

    r = zxcvbn(password[:72], user_inputs=[u for u in user_inputs if u])  # it refuses longer ones
    if r["score"] >= MIN_PASSWORD_SCORE:
        return None
    fb = r.get("feedback") or {}
    why = (fb.get("warning") or "").strip()
    tip = " ".join(fb.get("suggestions") or []).strip()
    return " ".join(x for x in ("This password is too easy to guess.", why, tip) if x)


def verify_password(password: str, password_hash: str | None) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def hash_secret(secret: str) -> str:
    """Tokens and keys are long random strings: a plain SHA-256 is the right lookup hash."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_token() -> str:
    return "frt_" + secrets.token_urlsafe(32)


def new_api_key() -> str:
    return "frk_" + secrets.token_urlsafe(32)


def new_share_token() -> str:
    """The secret of a share link: random, so it says nothing about what it shows."""
    return secrets.token_urlsafe(24)
