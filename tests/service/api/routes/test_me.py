"""GET/DELETE /v1/me, sign-out, API keys."""

from __future__ import annotations

from ...helpers import auth, signup


def test_me(client):
    h = signup(client)
    r = client.get("/v1/me", headers=auth(h))
    assert r.status_code == 200 and r.json()["email"] == h["_email"]


def test_api_keys_create_list_use_delete(client):
    h = signup(client)
    r = client.post("/v1/me/api-keys", headers=auth(h), json={"name": "shop backend"})
    assert r.status_code == 201
    created = r.json()
    assert created["key"].startswith("frk_") and created["name"] == "shop backend"
    listed = client.get("/v1/me/api-keys", headers=auth(h)).json()
    assert [k["id"] for k in listed] == [created["id"]] and "key" not in listed[0]
    r = client.get("/v1/me", headers={"X-API-Key": created["key"]})
    assert r.status_code == 200 and r.json()["id"] == h["_id"]
    assert client.delete(f"/v1/me/api-keys/{created['id']}", headers=auth(h)).status_code == 204
    r = client.get("/v1/me", headers={"X-API-Key": created["key"]})
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_api_key"
    assert client.delete(f"/v1/me/api-keys/{created['id']}", headers=auth(h)).status_code == 404


def test_api_key_defaults_and_validation(client):
    h = signup(client)
    r = client.post("/v1/me/api-keys", headers=auth(h), json={})
    assert r.status_code == 201 and r.json()["name"] == "default"
    r = client.post("/v1/me/api-keys", headers=auth(h), json={"name": ""})
    assert r.status_code == 422 and r.json()["error"]["code"] == "validation_error"


def test_signout_revokes_tokens(client):
    h = signup(client)
    assert client.post("/v1/me/signout", headers=auth(h)).status_code == 204
    assert client.get("/v1/me", headers=auth(h)).status_code == 401


def test_delete_me_then_token_is_dead_and_email_free(client):
    h = signup(client)
    assert client.delete("/v1/me", headers=auth(h)).status_code == 204
    assert client.get("/v1/me", headers=auth(h)).status_code == 401
    signup(client, h["_email"])  # the address can be used again


def test_rate_limit_per_user_gives_429_with_retry_after(tmp_path):
    from ...helpers import running_app

    with running_app(tmp_path, rate_limit_per_minute=5) as c:
        h = signup(c)
        other = signup(c)
        codes = [c.get("/v1/me", headers=auth(h)).status_code for _ in range(7)]
        assert codes[:5] == [200] * 5 and codes[5:] == [429, 429]
        r = c.get("/v1/me", headers=auth(h))
        assert r.json()["error"]["code"] == "rate_limited" and int(r.headers["Retry-After"]) >= 1
        assert c.get("/v1/me", headers=auth(other)).status_code == 200  # per user


def test_an_api_key_cannot_control_the_account(client):
    h = signup(client)
    key = client.post("/v1/me/api-keys", headers=auth(h), json={"name": "shop"}).json()
    assert key["scopes"] == ["catalog", "tryon"]  # the default: what a shop's back end needs
    k = {"X-API-Key": key["key"]}
    for method, path in (("POST", "/v1/me/api-keys"), ("GET", "/v1/me/api-keys"),
                         ("DELETE", f"/v1/me/api-keys/{key['id']}"), ("POST", "/v1/me/signout"), ("DELETE", "/v1/me")):
        r = client.request(method, path, headers=k, json={"name": "more"} if method == "POST" else None)
        assert r.status_code == 403, (method, path, r.text)
        assert r.json()["error"]["code"] == "signed_in_user_required"
    # the account and the key are still there, and the key still does its job
    assert client.get("/v1/me", headers=auth(h)).status_code == 200
    assert client.get("/v1/garments", headers=k).status_code == 200
    assert client.get("/v1/photos", headers=k).status_code == 200


def test_api_key_scopes(client):
    h = signup(client)
    cat = client.post("/v1/me/api-keys", headers=auth(h), json={"name": "catalog", "scopes": ["catalog"]}).json()
    run = client.post("/v1/me/api-keys", headers=auth(h), json={"name": "runs", "scopes": ["tryon"]}).json()
    assert cat["scopes"] == ["catalog"] and run["scopes"] == ["tryon"]
    assert client.get("/v1/garments", headers={"X-API-Key": cat["key"]}).status_code == 200
    r = client.get("/v1/photos", headers={"X-API-Key": cat["key"]})
    assert r.status_code == 403 and r.json()["error"]["code"] == "scope_missing"
    assert client.get("/v1/tryons", headers={"X-API-Key": cat["key"]}).status_code == 403
    assert client.get("/v1/photos", headers={"X-API-Key": run["key"]}).status_code == 200
    assert client.get("/v1/garments", headers={"X-API-Key": run["key"]}).status_code == 403
    for bad in ({"scopes": []}, {"scopes": ["account"]}, {"scopes": ["admin", "tryon"]}):
        assert client.post("/v1/me/api-keys", headers=auth(h), json=bad).status_code == 422
    listed = {k["name"]: k["scopes"] for k in client.get("/v1/me/api-keys", headers=auth(h)).json()}
    assert listed == {"catalog": ["catalog"], "runs": ["tryon"]}


def test_signing_out_everywhere_can_revoke_the_keys_too(client):
    h = signup(client)
    key = client.post("/v1/me/api-keys", headers=auth(h), json={"name": "shop"}).json()["key"]
    assert client.post("/v1/me/signout", headers=auth(h)).status_code == 204
    assert client.get("/v1/me", headers=auth(h)).status_code == 401  # every token is gone
    assert client.get("/v1/garments", headers={"X-API-Key": key}).status_code == 200  # keys stay: the shop runs on
    r = client.post("/v1/auth/signin", json={"email": h["_email"], "password": "correct horse 1"})
    h2 = {"Authorization": f"Bearer {r.json()['token']}"}
    assert client.post("/v1/me/signout", headers=h2, params={"api_keys": "true"}).status_code == 204
    assert client.get("/v1/garments", headers={"X-API-Key": key}).status_code == 401  # after a leak: all revoked
