"""Passwords, token hashing, share tokens."""

from __future__ import annotations

import time

import pytest

from fitroom.service.security import hash_password, hash_secret, new_share_token, new_token, verify_password


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


def test_share_tokens_are_random_and_say_nothing():
    a, b = new_share_token(), new_share_token()
    assert a != b and len(a) >= 32
    assert "." not in a and all(c.isalnum() or c in "-_" for c in a)  # no payload, no signature


