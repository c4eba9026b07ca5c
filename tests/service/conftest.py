"""Fixtures for the service tests (helpers in helpers.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .helpers import running_app


@pytest.fixture(scope="module")
def client(tmp_path_factory) -> Iterator:
    """One SQLite app per test module (tests sign up their own users)."""
    with running_app(tmp_path_factory.mktemp("svc")) as c:
        yield c


