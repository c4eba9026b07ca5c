"""The access log: one info line per request with the method, the route template, the
status and the duration; never a token, a header, a query string or a concrete id."""

from __future__ import annotations

import logging
import re

import pytest

from fitroom.service.accesslog import route_template

from .helpers import auth, signup, upload_photo

LINE = re.compile(r"(GET|POST|DELETE) (\S+) (\d{3}) (\d+\.\d)ms")


def _access(caplog) -> list[tuple[str, str, int]]:
    out = []
    for rec in caplog.records:
        if rec.name == "fitroom.access":
            assert rec.levelno == logging.INFO
            m = LINE.fullmatch(rec.getMessage())
            assert m, rec.getMessage()
            out.append((m[1], m[2], int(m[3])))
    return out


def test_one_line_per_request_with_the_route_template(client, caplog):
    h = signup(client)
    photo = upload_photo(client, h)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="fitroom.access"):
        r = client.get(f"/v1/photos/{photo['id']}", headers=auth(h))
        assert r.status_code == 200
    assert _access(caplog) == [("GET", "/v1/photos/{photo_id}", 200)]
    assert photo["id"] not in caplog.text


@pytest.mark.parametrize("path, template, status", [
    ("/healthz", "/healthz", 200),
    ("/v1/garments", "/v1/garments", 401),
    ("/v1/no/such/route", "<unmatched>", 404),
    ("/", "<static>", 200),
])
def test_templates_of_other_requests(client, caplog, path, template, status):
    with caplog.at_level(logging.INFO, logger="fitroom.access"):
        assert client.get(path).status_code == status
    assert _access(caplog) == [("GET", template, status)]


def test_tokens_in_headers_query_strings_and_paths_never_reach_the_log(client, caplog):
    h = signup(client)
    bearer = h["Authorization"].split()[1]
    secrets = ["QUERY-SECRET-1f2e", "APIKEY-SECRET-9a8b", "PATH-SECRET-77c3", bearer]
    with caplog.at_level(logging.DEBUG):  # every logger, at every level
        r = client.get(f"/v1/shared/{secrets[2]}", params={"access_token": secrets[0], "sig": secrets[0]},
                       headers={"Authorization": f"Bearer {bearer}", "X-API-Key": secrets[1],
                                "Cookie": f"session={secrets[0]}"})
        assert r.status_code == 404
        r = client.get("/v1/me", params={"token": secrets[0]}, headers={"X-API-Key": secrets[1]})
        assert r.status_code == 401
        r = client.get("/v1/me", headers=auth(h))
        assert r.status_code == 200
    assert _access(caplog) == [("GET", "/v1/shared/{token}", 404), ("GET", "/v1/me", 401), ("GET", "/v1/me", 200)]
    # everything the server logged (the test's own HTTP client, httpx, logs its URLs)
    logged = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith(("httpx", "httpcore")))
    for s in secrets:
        assert s not in logged
    assert "access_token" not in logged and "?" not in "".join(
        r.getMessage() for r in caplog.records if r.name == "fitroom.access")


def test_quiet_below_info(client, caplog):
    with caplog.at_level(logging.WARNING, logger="fitroom.access"):
        client.get("/healthz")
    assert _access(caplog) == []


def test_route_template_prefix_params_become_names():
    class R:
        path_format = "/items/{item_id}"

    scope = {"route": R(), "path": "/v1/users/u123/items/i9", "path_params": {"user_id": "u123", "item_id": "i9"}}
    assert route_template(scope) == "/v1/users/{user_id}/items/{item_id}"
    assert route_template({"path": "/x"}, 404) == "<unmatched>"
