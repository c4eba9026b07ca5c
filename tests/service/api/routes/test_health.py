"""/healthz, /metrics, OpenAPI, JSON errors for unknown routes, the web app mount."""

from __future__ import annotations

from ...helpers import auth, demo_garment, signup, tryon, upload_photo


def test_healthz(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "database": "sqlite", "queue": "in-process", "queue_depth": 0}


def test_metrics_count_requests_and_jobs(client):
    h = signup(client)
    t = tryon(client, h, upload_photo(client, h)["id"], demo_garment(client, h)["id"])
    assert t["status"] == "succeeded"
    text = client.get("/metrics").text
    assert 'fitroom_http_requests_total{method="POST",route="/v1/tryons",status="202"}' in text
    assert 'fitroom_http_request_duration_seconds_bucket{le="0.005",method="GET",route="/v1/garments"}' in text
    assert "fitroom_queue_depth 0.0" in text
    assert 'fitroom_jobs_total{outcome="succeeded"}' in text
    assert 'fitroom_tryons{status="succeeded"}' in text


def test_openapi_schema_lists_the_contract(client):
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    for p in ("/v1/auth/signup", "/v1/auth/signin", "/v1/me", "/v1/me/api-keys", "/v1/me/api-keys/{key_id}",
              "/v1/garments", "/v1/garments/{garment_id}", "/v1/garments/{garment_id}/image", "/v1/photos",
              "/v1/photos/{photo_id}", "/v1/photos/{photo_id}/image", "/v1/tryons", "/v1/tryons/{tryon_id}",
              "/v1/tryons/{tryon_id}/image", "/v1/tryons/{tryon_id}/share", "/v1/shared/{token}",
              "/v1/shared/{token}/image", "/v1/info", "/v1/info/model-card", "/v1/samples/person", "/healthz",
              "/metrics"):
        assert p in paths, p
    assert {"HTTPBearer", "APIKeyHeader"} <= set(spec["components"]["securitySchemes"])


def test_unknown_routes_and_methods_are_json(client):
    h = signup(client)
    for method, path, status in [("GET", "/v1/nothing", 404), ("PUT", "/v1/photos", 405), ("POST", "/healthz", 405),
                                 ("DELETE", "/v1/garments", 405)]:
        r = client.request(method, path, headers=auth(h))
        assert r.status_code == status, (method, path)
        assert r.headers["content-type"].startswith("application/json")
        assert set(r.json()["error"]) == {"code", "message"}


def test_web_app_is_served_at_root(client):
    from fitroom.service.app import WEB_DIR

    r = client.get("/")
    if (WEB_DIR / "index.html").exists():
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        # revalidated on every load, so an upgraded server never runs an old app.js
        js = client.get("/app.js")
        assert js.status_code == 200 and js.headers["cache-control"] == "no-cache" and js.headers.get("etag")
        assert client.get("/app.js", headers={"If-None-Match": js.headers["etag"]}).status_code == 304
        assert r.headers["cache-control"] == "no-cache"
    else:
        assert r.status_code == 404
