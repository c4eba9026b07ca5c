"""POST /v1/auth/signup and /v1/auth/signin."""

from __future__ import annotations

import time
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
    assert set(body["user"]) == {"id", "email", "created_at", "retention_days"}
    assert body["user"]["retention_days"] == 30  # the server's default
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


def test_sign_up_is_rate_limited_per_ip(tmp_path):
    from ...helpers import running_app

    with running_app(tmp_path, auth_rate_limit_per_minute=3) as c:
        rs = [c.post("/v1/auth/signup", json={"email": f"n{i}@example.com", "password": "correct horse 1"})
              for i in range(8)]
        codes = [r.status_code for r in rs]
        # 3 per minute-long window (8 sign-ups may straddle two windows: at most 6 succeed)
        assert codes[:3] == [201, 201, 201] or codes.count(201) <= 6, codes
        assert 429 in codes and codes.count(201) <= 6, codes
        limited = next(r for r in rs if r.status_code == 429)
        assert limited.json()["error"]["code"] == "rate_limited" and 1 <= int(limited.headers["Retry-After"]) <= 60


def test_failed_sign_ins_to_one_account_back_off(tmp_path):
    from ...helpers import running_app

    with running_app(tmp_path, signin_free_failures=3) as c:
        h = signup(c, "victim@example.com")
        wrong = {"email": "victim@example.com", "password": "not the password"}
        codes = [c.post("/v1/auth/signin", json=wrong).status_code for _ in range(3)]
        assert codes == [401, 401, 401]  # the free ones
        assert c.post("/v1/auth/signin", json=wrong).status_code == 401  # the 4th: now wait 1 s
        r = c.post("/v1/auth/signin", json={"email": "victim@example.com", "password": "correct horse 1"})
        assert r.status_code == 429 and r.json()["error"]["code"] == "rate_limited"  # not even checked
        assert int(r.headers["Retry-After"]) >= 1
        # another account, from the same address, is not affected
        other = signup(c)
        assert c.post("/v1/auth/signin", json={"email": other["_email"], "password": "correct horse 1"}).status_code == 200
        # the wait doubles with every further failure, and a success clears it
        svc = c.app.state.services
        assert svc.signin_backoff.wait("victim@example.com") is not None
        time.sleep(1.1)
        assert c.post("/v1/auth/signin", json=wrong).status_code == 401  # 5th: 2 s
        assert 1 <= svc.signin_backoff.wait("victim@example.com") <= 2
        time.sleep(2.1)
        assert c.post("/v1/auth/signin", json={"email": "victim@example.com", "password": "correct horse 1"}).status_code == 200
        assert svc.signin_backoff.wait("victim@example.com") is None
        assert h


def test_an_address_is_limited_on_failures_only(tmp_path):
    """Many shoppers behind one address sign in; an attacker there, guessing, is slowed down."""
    from ...helpers import running_app

    with running_app(tmp_path, signin_ip_free_failures=5) as c:
        users = [signup(c) for _ in range(8)]
        for _ in range(2):  # 16 good sign-ins from one address: never limited
            for u in users:
                assert c.post("/v1/auth/signin", json={"email": u["_email"], "password": "correct horse 1"}).status_code == 200
        guesses = [c.post("/v1/auth/signin", json={"email": f"g{i}@example.com", "password": "guess guess"}).status_code
                   for i in range(7)]
        assert guesses[:6] == [401] * 6 and guesses[6] == 429  # 5 free, the 6th sets a wait


def test_the_back_off_store_in_redis_is_shared(tmp_path):
    import redis

    from fitroom.service.ratelimit import MemoryBackoff, RedisBackoff

    from ...helpers import REDIS_URL, redis_prefix

    now = [1000.0]
    clock = lambda: now[0]  # noqa: E731
    for make in (lambda: MemoryBackoff(2, max_wait=8, clock=clock),):
        b = make()
        for _ in range(2):
            b.failed("k")
        assert b.wait("k") is None  # free failures
        waits = []
        for _ in range(5):
            b.failed("k")
            waits.append(b.wait("k"))
        assert waits == [1, 2, 4, 8, 8]  # doubling, capped
        now[0] += 9
        assert b.wait("k") is None
        b.succeeded("k")
    with redis_prefix() as prefix:
        a = RedisBackoff(redis.Redis.from_url(REDIS_URL), 1, max_wait=60, prefix=prefix, clock=clock)
        other = RedisBackoff(redis.Redis.from_url(REDIS_URL), 1, max_wait=60, prefix=prefix, clock=clock)
        a.failed("acct")
        a.failed("acct")
        assert other.wait("acct") == 1  # another process sees it
        other.succeeded("acct")
        assert a.wait("acct") is None


def test_common_and_trivial_passwords_are_refused_at_sign_up(client):
    for weak in ("aaaaaaaa", "password1", "12345678", "qwertyuiop", "iloveyou", "P@ssw0rd"):
        r = client.post("/v1/auth/signup", json={"email": _email(), "password": weak})
        assert r.status_code == 422, weak
        body = r.json()["error"]
        assert body["code"] == "weak_password" and body["message"].startswith("This password is too easy to guess."), body
    # nor the address itself
    r = client.post("/v1/auth/signup", json={"email": "grace.hopper@example.com", "password": "gracehopper"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "weak_password"
    assert client.post("/v1/auth/signup", json={"email": _email(), "password": "correct horse 1"}).status_code == 201


def test_a_long_password_is_judged_and_accepted(client):
    long = "correct horse battery staple " * 10  # 290 characters: zxcvbn itself takes at most 72
    assert client.post("/v1/auth/signup", json={"email": _email(), "password": long}).status_code == 201
