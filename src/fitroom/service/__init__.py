"""fitroom's web service: the HTTP API (FastAPI), its database, file storage and job queue.

``fitroom serve`` runs it with embedded defaults (SQLite, local files, in-process workers);
``FITROOM_DATABASE_URL`` and ``FITROOM_REDIS_URL`` move it onto PostgreSQL and Redis-backed
``fitroom worker`` processes. See :mod:`fitroom.service.settings` for every setting.
"""

from fitroom.service.settings import Settings, load_settings

__all__ = ["Settings", "create_app", "load_settings"]


def create_app(settings: Settings | None = None, on_ready=None):
    from fitroom.service.app import create_app as _create

    return _create(settings, on_ready)
