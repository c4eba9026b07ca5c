"""Migrations: the shipped scripts build exactly the models' schema, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from fitroom.service.db import Database, migrate
from fitroom.service.models import Base

from .helpers import pg_schema


def _diff(engine):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn), Base.metadata)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_migrations_match_models_and_are_idempotent(backend, tmp_path):
    if backend == "sqlite":
        db = Database(f"sqlite:///{tmp_path / 'x.db'}")
        migrate(db.engine, tmp_path)
        migrate(db.engine, tmp_path)  # twice: nothing to do
        assert _diff(db.engine) == []
        db.dispose()
        return
    with pg_schema() as url:
        db = Database(url)
        migrate(db.engine)
        migrate(db.engine)
        assert _diff(db.engine) == []
        with db.engine.connect() as c:
            assert c.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == "0007"
        db.dispose()


def test_sqlite_runs_in_wal_mode_with_busy_timeout(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'x.db'}")
    with db.engine.connect() as c:
        assert c.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
        assert c.execute(text("PRAGMA busy_timeout")).scalar_one() == 30000
        assert c.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
    db.dispose()


def test_migration_scripts_ship_in_the_package():
    from fitroom.service.db import MIGRATIONS

    assert (MIGRATIONS / "env.py").is_file() and (MIGRATIONS / "script.py.mako").is_file()
    assert list((MIGRATIONS / "versions").glob("0001_*.py")) and list((MIGRATIONS / "versions").glob("0002_*.py"))


def test_a_database_of_the_first_schema_is_upgraded_and_keeps_its_photos(tmp_path):
    """0001 -> 0002 (photos.name) on a database that already holds a photo."""
    from fitroom.service.models import Photo

    db = Database(f"sqlite:///{tmp_path / 'x.db'}")
    migrate(db.engine, tmp_path, revision="0001")
    with db.engine.begin() as c:
        c.execute(text("INSERT INTO users (id, email, password_hash, created_at) VALUES ('u', 'a@b.c', 'x', '2026-01-01')"))
        c.execute(text("INSERT INTO photos (id, user_id, width, height, image_path, created_at) "
                       "VALUES ('p', 'u', 3, 4, 'a.jpg', '2026-01-01')"))
    migrate(db.engine, tmp_path)
    assert _diff(db.engine) == []
    with db.session() as s:
        p = s.get(Photo, "p")
        assert (p.width, p.height, p.name) == (3, 4, None)
    db.dispose()
