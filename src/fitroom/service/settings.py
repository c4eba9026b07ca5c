"""The service's settings: one pydantic-settings class, read from ``FITROOM_*`` variables.

Validated once at start-up; :func:`load_settings` turns any problem into a
:class:`SettingsError` whose message is one line naming the variable.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from fitroom.errors import FitroomError

__all__ = ["Settings", "SettingsError", "load_settings"]

Positive = Annotated[int, Field(gt=0)]


class SettingsError(FitroomError):
    code = "invalid_settings"


class Settings(BaseSettings):
    """Everything a deployment can change. Every field is ``FITROOM_<NAME>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="FITROOM_", extra="ignore", frozen=True)

    # --- where things live ---------------------------------------------------------------
    data_dir: Path = Field(default=Path("fitroom-data"), description="Files (photos, results) and the default SQLite database.")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; default sqlite:///<data_dir>/fitroom.db. "
                                     "PostgreSQL: postgresql+psycopg://user@host/db.")
    redis_url: str | None = Field(default=None, description="redis://host:port/db: enables the Redis job queue and separate "
                                  "worker processes ('fitroom worker'); default: an in-process worker pool.")
    redis_prefix: str = Field(default="fitroom:", min_length=1, max_length=100,
                              description="Prefix of every Redis key and channel (to share one Redis).")
    secret_key: str | None = Field(default=None, min_length=32, description="Signs shared links. Default: a random key kept in <data_dir>/secret_key.")

    # --- accounts ------------------------------------------------------------------------
    token_ttl_seconds: Positive = 7 * 24 * 3600
    signup_enabled: bool = True

    # --- uploads -------------------------------------------------------------------------
    max_upload_bytes: Positive = 15 * 1024 * 1024
    max_upload_pixels: Positive = 40_000_000
    max_body_bytes: Positive = Field(default=1024 * 1024, description="Largest body of a request that is not an "
                                     "upload (JSON: sign-in, catalog edits ...).")
    max_photo_side: Positive = Field(default=2048, description="Uploaded photos and garments are scaled down to this "
                                     "longest side as they are decoded (a JPEG at a reduced scale directly), so a huge "
                                     "image never takes its full size in memory.")
    malloc_arenas: Annotated[int, Field(ge=0, le=64)] = Field(
        default=2, description="glibc malloc arenas of a server or worker process (as MALLOC_ARENA_MAX; 0: glibc's "
        "default, 8 per core). Each thread that decodes an image otherwise keeps its own arena of freed memory, so "
        "memory grows with the number of request threads instead of with the work done at once.")
    max_concurrent_decodes: Annotated[int, Field(ge=1, le=64)] = Field(
        default=2, description="Uploads decoded and analysed at once per process; more wait their turn (bounds "
        "memory under a flood of large images).")

    # --- limits --------------------------------------------------------------------------
    rate_limit_per_minute: Positive = Field(default=600, description="Requests per user (or per IP when signed out) per minute.")
    tryon_rate_limit_per_minute: Positive = Field(default=240, description="Try-ons a user may submit per minute.")
    auth_rate_limit_per_minute: Positive = Field(default=30, description="Sign-up attempts per IP per minute.")
    signin_free_failures: Positive = Field(default=5, description="Failed sign-ins to one account before each further "
                                           "one makes it wait, doubling from 1 s.")
    signin_ip_free_failures: Positive = Field(default=30, description="Failed sign-ins from one IP (any accounts) "
                                              "before it waits likewise; successful ones never count, so shoppers "
                                              "behind one shared address can sign in.")
    signin_max_wait_seconds: Positive = Field(default=900, description="The longest such wait.")
    trusted_proxies: str = Field(default="", description="Addresses (comma-separated IPs or CIDRs) of the reverse "
                                 "proxies whose X-Forwarded-For names the client; default none: the client is the "
                                 "socket's peer, and a forwarded header is ignored.")
    queue_max_length: Positive = Field(default=200, description="Queued try-ons (all users) before new ones get 503.")
    page_size_default: Positive = 24
    page_size_max: Positive = 100
    wait_max_seconds: Annotated[float, Field(gt=0, le=120)] = 30.0
    share_max_seconds: Positive = 30 * 24 * 3600
    public_url: str | None = Field(default=None, description="The site's address as visitors see it "
                                   "(https://shop.example.com): the absolute links of share pages (their Open Graph "
                                   "image). Default: the address each request was sent to.")

    # --- privacy -------------------------------------------------------------------------
    retention_days: Annotated[int, Field(ge=0, le=3650)] = Field(
        default=30, description="Photos and try-on results older than this many days are erased (their analyses and "
        "share links with them); a user may choose fewer for themselves. 0: kept until deleted.")
    retention_interval_seconds: Annotated[float, Field(gt=0)] = Field(
        default=3600.0, description="How often the server looks for data past its retention.")

    # --- jobs ----------------------------------------------------------------------------
    workers: Annotated[int, Field(ge=0, le=64)] = Field(default=2, description="In-process try-on threads (0: none, e.g. when only Redis workers run jobs).")
    job_lease_seconds: Annotated[float, Field(gt=0)] = 30.0
    job_max_attempts: Annotated[int, Field(ge=1, le=20)] = 3
    reaper_interval_seconds: Annotated[float, Field(gt=0)] = 2.0
    shutdown_grace_seconds: Annotated[float, Field(ge=0, le=3600)] = Field(
        default=10.0, description="On SIGTERM or Ctrl+C, how long a server or worker lets its running try-ons "
        "finish before it hands them back to the queue.")
    #: fault injection for tests and demos: each job sleeps this long before it runs
    job_delay_seconds: Annotated[float, Field(ge=0, le=60)] = 0.0

    reuse_results: bool = Field(default=True, description="A try-on of a photo and garment the user already "
                                "tried completes at once with a copy of that result (photos and garments never change).")

    # --- try-on engine ---------------------------------------------------------------------
    engine: Literal["classical", "learned"] = Field(
        default="learned", description="Try-on engine: learned (the default, as for fitroom tryon: the shipped "
        "networks, see weights; better on real photos) or classical (landmarks + thin-plate spline, "
        "no networks, about half the CPU per try-on).")
    weights: str = Field(
        default="real", description="The learned engine's weights: real (the default: fine-tuned on real photos "
        "of people, CC BY-NC 4.0, non-commercial), synthetic (fitroom's own synthetic data only, Apache-2.0: the "
        "commercially usable ones) or a folder with warp/ and tryon/ from fitroom train.")

    runtime: Literal["torch", "onnx"] = Field(
        default="torch", description="Where the learned networks run: torch (PyTorch, the default: the faster "
        "for the everyday try-on on 2 cores) or onnx (ONNX Runtime's CPU provider; exported once into "
        "FITROOM_CACHE_DIR, see fitroom export onnx).")

    # --- misc ----------------------------------------------------------------------------
    seed_demo_catalog: bool = True
    person_cache_size: Annotated[int, Field(ge=0)] = 64
    garment_cache_size: Annotated[int, Field(ge=0)] = 64

    @field_validator("weights")
    @classmethod
    def _check_weights(cls, v: str) -> str:
        from fitroom.errors import FitroomError
        from fitroom.pipelines.tryon import resolve_weights

        try:
            resolve_weights(v)
        except FitroomError as e:
            raise ValueError(str(e)) from None
        return v

    @field_validator("database_url")
    @classmethod
    def _check_db(cls, v: str | None) -> str | None:
        if v is None or v == "":
            return None
        if not (v.startswith("sqlite") or v.startswith("postgresql")):
            raise ValueError("must be a sqlite:/// or postgresql+psycopg:// URL")
        if v.startswith("postgresql://") or v.startswith("postgres://"):
            v = "postgresql+psycopg://" + v.split("://", 1)[1]
        return v

    @field_validator("redis_url")
    @classmethod
    def _check_redis(cls, v: str | None) -> str | None:
        if v is None or v == "":
            return None
        if not v.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must be a redis:// URL")
        return v

    @field_validator("public_url")
    @classmethod
    def _check_public_url(cls, v: str | None) -> str | None:
        if v is None or v == "":
            return None
        if not v.startswith(("http://", "https://")) or len(v.split("://", 1)[1].strip("/")) == 0:
            raise ValueError("must be an http:// or https:// address")
        return v.rstrip("/")

    @model_validator(mode="after")
    def _check_pages(self) -> Settings:
        if self.page_size_default > self.page_size_max:
            raise ValueError("page_size_default must not exceed page_size_max")
        return self

    # --- derived -------------------------------------------------------------------------
    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'fitroom.db').resolve()}"

    @property
    def files_dir(self) -> Path:
        return self.data_dir / "files"

    def signing_key(self) -> bytes:
        """The key that signs shared links: the setting, or one generated once per data dir."""
        if self.secret_key:
            return self.secret_key.encode()
        path = self.data_dir / "secret_key"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            try:
                with open(path, "x") as f:
                    f.write(secrets.token_urlsafe(48))
                path.chmod(0o600)
            except FileExistsError:
                pass
        return path.read_text().strip().encode()


def load_settings(**overrides) -> Settings:
    """Read and validate the settings; a problem becomes one line naming the variable."""
    try:
        return Settings(**overrides)
    except ValidationError as e:
        err = e.errors()[0]
        loc = ".".join(str(x) for x in err.get("loc", ()) if x != "__root__")
        name = f"FITROOM_{loc.upper()}" if loc else "settings"
        msg = err.get("msg", "invalid value").removeprefix("Value error, ")
        raise SettingsError(f"invalid setting {name}: {msg}") from None
