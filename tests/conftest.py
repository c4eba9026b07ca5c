"""Shared pytest fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

#: where the real try-on images live: ../shared/realdata beside the repository
DEFAULT_REALDATA = Path(__file__).resolve().parents[1].parent / "shared" / "realdata"


def realdata_dir() -> Path:
    """The real-data folder: ``$FITROOM_REALDATA`` if set, else ``../shared/realdata``."""
    env = os.environ.get("FITROOM_REALDATA")
    return Path(env) if env else DEFAULT_REALDATA


@pytest.fixture(scope="session")
def realdata() -> Path:
    """Path of the real try-on data (see its README.md); skips the test when it is absent."""
    path = realdata_dir()
    if not path.is_dir():
        pytest.skip(
            f"real data not found at {path} (set FITROOM_REALDATA to the folder holding "
            "viton256_paired/, dress256_paired/, hd_unpaired/)"
        )
    return path
