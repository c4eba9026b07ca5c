"""Helpers for the service tests: real SQLite, real PostgreSQL (127.0.0.1:5432, a fresh
schema per app, dropped afterwards) and real Redis (127.0.0.1:6379, a fresh key prefix)."""

from __future__ import annotations

import contextlib
import io
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

PG_URL = os.environ.get("FITROOM_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("FITROOM_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
EXAMPLES = Path(__file__).resolve().parents[2] / "src" / "fitroom" / "examples"
PERSON_JPG = EXAMPLES / "astronaut.jpg"


def _pg_reachable() -> str | None:
    try:
        import psycopg

        with psycopg.connect(PG_URL.replace("postgresql+psycopg://", "postgresql://"), connect_timeout=3):
            return None
    except Exception as e:  # noqa: BLE001
        return f"PostgreSQL not reachable at {PG_URL}: {str(e).strip().splitlines()[0] if str(e).strip() else e}"


def _redis_reachable() -> str | None:
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
        return None
    except Exception as e:  # noqa: BLE001
        return f"Redis not reachable at {REDIS_URL}: {e}"


@contextlib.contextmanager
def pg_schema() -> Iterator[str]:
    """A fresh PostgreSQL schema; yields a database URL whose search_path is that schema."""
    why = _pg_reachable()
    if why:
        pytest.skip(why)
    import psycopg

    name = f"fitroom_test_{uuid.uuid4().hex[:12]}"
    raw = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(raw, autocommit=True) as c:
        c.execute(f'CREATE SCHEMA "{name}"')
    sep = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{sep}options=-csearch_path%3D{name}"
    finally:
        with psycopg.connect(raw, autocommit=True) as c:
            c.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


@contextlib.contextmanager
def redis_prefix() -> Iterator[str]:
    why = _redis_reachable()
    if why:
        pytest.skip(why)
    import redis

    prefix = f"fitroom-test-{uuid.uuid4().hex[:10]}:"
    try:
        yield prefix
    finally:
        r = redis.Redis.from_url(REDIS_URL)
        keys = list(r.scan_iter(match=prefix + "*"))
        if keys:
            r.delete(*keys)
        r.close()


def make_settings(data_dir: Path, **overrides):
    from fitroom.service.settings import load_settings

    base = dict(data_dir=data_dir, reaper_interval_seconds=0.5, rate_limit_per_minute=100_000,
                tryon_rate_limit_per_minute=100_000, auth_rate_limit_per_minute=100_000,
                signin_ip_free_failures=100_000)
    base.update(overrides)
    return load_settings(**base)


@contextlib.contextmanager
def running_app(data_dir: Path, **overrides):
    """A started application (lifespan run) and a TestClient for it."""
    from fastapi.testclient import TestClient

    from fitroom.service.app import create_app

    app = create_app(make_settings(data_dir, **overrides))
    with TestClient(app) as client:
        yield client


@contextlib.contextmanager
def app_on(backend: str, tmp: Path, **overrides):
    """An app on ``sqlite`` or ``postgresql``, with the in-process queue or ``+redis``."""
    with contextlib.ExitStack() as stack:
        if backend.startswith("postgresql"):
            overrides["database_url"] = stack.enter_context(pg_schema())
        if backend.endswith("+redis"):
            overrides["redis_url"] = REDIS_URL
            overrides["redis_prefix"] = stack.enter_context(redis_prefix())
        yield stack.enter_context(running_app(tmp, **overrides))


# --- helpers --------------------------------------------------------------------------------
def signup(client, email: str | None = None, password: str = "correct horse 1") -> dict:
    email = email or f"u{uuid.uuid4().hex[:10]}@example.com"
    r = client.post("/v1/auth/signup", json={"email": email, "password": password})
    assert r.status_code == 201, r.text
    body = r.json()
    return {"Authorization": f"Bearer {body['token']}", "_id": body["user"]["id"], "_email": email}


def auth(h: dict) -> dict:
    return {k: v for k, v in h.items() if not k.startswith("_")}


def upload_photo(client, h: dict, data: bytes | None = None, name: str = "me.jpg") -> dict:
    data = PERSON_JPG.read_bytes() if data is None else data
    r = client.post("/v1/photos", headers=auth(h), files={"file": (name, data, "image/jpeg")})
    assert r.status_code == 201, r.text
    return r.json()


def demo_garment(client, h: dict, category: str | None = None) -> dict:
    params = {"category": category} if category else {}
    r = client.get("/v1/garments", headers=auth(h), params=params)
    assert r.status_code == 200, r.text
    return [g for g in r.json()["items"] if g["owner"] == "demo"][0]


def tryon(client, h: dict, photo_id: str, garment_id: str, wait: float = 30, headers: dict | None = None) -> dict:
    r = client.post("/v1/tryons", headers={**auth(h), **(headers or {})},
                    json={"photo_id": photo_id, "garment_id": garment_id})
    assert r.status_code == 202, r.text
    r = client.get(f"/v1/tryons/{r.json()['id']}", headers=auth(h), params={"wait": wait})
    assert r.status_code == 200, r.text
    return r.json()


def png_bytes(w: int, h: int, color=(200, 200, 200)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (w, h), color).save(buf, format="PNG")
    return buf.getvalue()


def garment_png() -> bytes:
    return (EXAMPLES / "tee_striped.png").read_bytes()


def files_of(root: Path) -> list[Path]:
    return [p for p in Path(root).rglob("*") if p.is_file()]


def noise_png(w: int = 64, h: int = 64) -> bytes:
    rng = np.random.default_rng(0)
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 255, (h, w, 3), dtype=np.uint8)).save(buf, format="PNG")
    return buf.getvalue()
