"""Property-based run of the whole API against its own OpenAPI schema: no 5xx, ever.

Signed in as a real user (with a photo and a finished try-on), schemathesis generates
requests for every operation, valid and invalid, and checks that none gives a server error.
``DELETE /v1/me`` and ``POST /v1/me/signout`` are left out: they would end the session of
every later case (they have their own tests).
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from fitroom.service.app import create_app

from .helpers import auth, demo_garment, make_settings, signup, tryon, upload_photo

pytestmark = pytest.mark.slow

_DIR = Path(tempfile.gettempdir()) / f"fitroom-schemathesis-{uuid.uuid4().hex[:10]}"  # made at start-up
app = create_app(make_settings(_DIR, max_upload_bytes=2 * 1024 * 1024, max_upload_pixels=4_000_000))


def _schema():
    # from the app's own OpenAPI document, without starting the app (from_asgi would run its
    # start-up at collection time: models and threads in the pytest process before other
    # tests fork workers)
    loaded = schemathesis.openapi.from_dict(app.openapi())
    loaded.app = app
    loaded.location = "/openapi.json"
    return loaded.exclude(path="/v1/me", method="DELETE").exclude(path="/v1/me/signout")


schema = _schema()


@pytest.fixture(scope="module")
def user():
    with TestClient(app) as c:  # runs start-up: database, models, queue
        h = signup(c)
        t = tryon(c, h, upload_photo(c, h)["id"], demo_garment(c, h)["id"])
        assert t["status"] == "succeeded"
        yield h
    shutil.rmtree(_DIR, ignore_errors=True)


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_server_errors(case, user):
    case.call_and_validate(headers=auth(user), checks=[not_a_server_error])
