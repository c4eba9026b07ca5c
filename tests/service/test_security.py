"""Passwords, token hashing, share tokens."""

from __future__ import annotations

import time

import pytest

from fitroom.service.security import (
    ShareTokenError,
    hash_password,
    hash_secret,
    make_share_token,
    new_token,
    read_share_token,
    verify_password,
)


def test_argon2id_round_trip():
    h = hash_password("pässword 1")
    assert h.startswith("$argon2id$")
    assert verify_password("pässword 1", h)
    assert not verify_password("password 1", h)
    assert not verify_password("anything", None)
    assert not verify_password("anything", "not a hash")


def test_tokens_are_random_and_hashes_stable():
    a, b = new_token(), new_token()
    assert a != b and len(a) > 40
    assert hash_secret(a) == hash_secret(a) and hash_secret(a) != hash_secret(b)


def test_share_tokens():
    key = b"k" * 32
    tok = make_share_token(key, "abc", int(time.time()) + 60)
    assert read_share_token(key, tok) == "abc"
    with pytest.raises(ShareTokenError) as e:
        read_share_token(b"other key" * 4, tok)
    assert not e.value.expired
    payload, sig = tok.split(".")
    forged = make_share_token(b"attacker" * 4, "other", int(time.time()) + 60).split(".")[0]
    with pytest.raises(ShareTokenError):
        read_share_token(key, f"{forged}.{sig}")
    with pytest.raises(ShareTokenError) as e:
        read_share_token(key, tok, now=time.time() + 61)
    assert e.value.expired
    for junk in ("", ".", "a.b.c", "!!!.???"):
        with pytest.raises(ShareTokenError):
            read_share_token(key, junk)
