"""Passwords (Argon2id), opaque bearer tokens and API keys (stored as SHA-256), signed share links."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = ["ShareTokenError", "hash_password", "hash_secret", "make_share_token", "new_api_key",
           "new_token", "read_share_token", "share_token_expiry", "verify_password"]

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

    r = zxcvbn(password[:100], user_inputs=[u for u in user_inputs if u])
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


def _b64(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def _unb64(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


class ShareTokenError(Exception):
    def __init__(self, expired: bool):
        self.expired = expired


def make_share_token(key: bytes, tryon_id: str, expires_at: int) -> str:
    payload = _b64(json.dumps({"t": tryon_id, "e": int(expires_at)}, separators=(",", ":")).encode())
    sig = _b64(hmac.new(key, payload.encode(), hashlib.sha256).digest())
    return f"{payload}.{sig}"


def read_share_token(key: bytes, token: str, now: float | None = None) -> str:
    """The try-on id in a share token; ShareTokenError(expired=...) when tampered or expired."""
    try:
        payload, sig = token.split(".")
        want = _b64(hmac.new(key, payload.encode(), hashlib.sha256).digest())
        if not hmac.compare_digest(sig, want):
            raise ValueError
        data = json.loads(_unb64(payload))
        tryon_id, exp = str(data["t"]), int(data["e"])
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise ShareTokenError(expired=False) from None
    if (time.time() if now is None else now) >= exp:
        raise ShareTokenError(expired=True)
    return tryon_id


def share_token_expiry(token: str) -> int:
    """When a share token (already checked with :func:`read_share_token`) expires, in Unix seconds."""
    return int(json.loads(_unb64(token.split(".")[0]))["e"])
