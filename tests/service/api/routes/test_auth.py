"""POST /v1/auth/signup and /v1/auth/signin."""

from __future__ import annotations

import uuid

from ...helpers import signup


def _email() -> str:
    return f"a{uuid.uuid4().hex[:8]}@example.com"


def test_signup_returns_token_and_user(client):
    email = _email()
    r = client.post("/v1/auth/signup", json={"email": email.upper(), "password": "long enough"})
    assert r.status_code == 201
    body = r.json()
    assert body["token"].startswith("frt_") and body["token_type"] == "bearer"
    assert body["user"]["email"] == email  # normalised to lower case
    assert set(body["user"]) == {"id", "email", "created_at"}
    me = client.get("/v1/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200 and me.json()["id"] == body["user"]["id"]


def test_signup_twice_is_409_email_taken(client):
    email = _email()
    signup(client, email)
    r = client.post("/v1/auth/signup", json={"email": email, "password": "another one"})
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "email_taken"


def test_signup_validates_email_and_password(client):
    r = client.post("/v1/auth/signup", json={"email": "not-an-email", "password": "long enough"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_email"
    r = client.post("/v1/auth/signup", json={"email": _email(), "password": "short"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "validation_error"
    assert "password" in r.json()["error"]["message"]
    r = client.post("/v1/auth/signup", content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "validation_error"


def test_signin_right_and_wrong_password(client):
    email = _email()
    signup(client, email, password="right password")
    r = client.post("/v1/auth/signin", json={"email": email, "password": "right password"})
    assert r.status_code == 200
    assert r.json()["user"]["email"] == email and r.json()["token"]
    r = client.post("/v1/auth/signin", json={"email": email, "password": "wrong password"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_credentials"
    r = client.post("/v1/auth/signin", json={"email": _email(), "password": "whatever123"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_credentials"


def test_passwords_are_argon2id_and_tokens_stored_hashed(client):
    from sqlalchemy import select

    from fitroom.service.models import Token, User

    h = signup(client, password="secret password")
    svc = client.app.state.services
    token = h["Authorization"].split()[1]
    with svc.db.session() as s:
        user = s.get(User, h["_id"])
        assert user.password_hash.startswith("$argon2id$")
        hashes = list(s.execute(select(Token.token_hash).where(Token.user_id == user.id)).scalars())
    assert token not in hashes and len(hashes) == 1 and len(hashes[0]) == 64


def test_bad_and_expired_tokens_are_401(client):
    from datetime import timedelta

    from sqlalchemy import update

    from fitroom.service.models import Token, utcnow

    r = client.get("/v1/me")
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
    r = client.get("/v1/me", headers={"Authorization": "Bearer frt_nonsense"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_token"
    h = signup(client)
    with client.app.state.services.db.session() as s:
        s.execute(update(Token).where(Token.user_id == h["_id"]).values(expires_at=utcnow() - timedelta(seconds=1)))
        s.commit()
    r = client.get("/v1/me", headers={"Authorization": h["Authorization"]})
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_token"


def test_auth_rate_limit_per_ip(tmp_path):
    from ...helpers import running_app

    with running_app(tmp_path, auth_rate_limit_per_minute=3) as c:
        codes = [c.post("/v1/auth/signin", json={"email": "x@example.com", "password": "whatever123"}).status_code
                 for _ in range(5)]
        assert codes[:3] == [401, 401, 401] and codes[3:] == [429, 429]
        r = c.post("/v1/auth/signin", json={"email": "x@example.com", "password": "whatever123"})
        assert r.json()["error"]["code"] == "rate_limited"
        assert 1 <= int(r.headers["Retry-After"]) <= 60
