"""Local file storage under ``<data_dir>/files``: one folder per user, one for the catalog.

Paths stored in the database are relative to the storage root, so a data dir can move.
Writes are atomic (temporary file, then rename).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

__all__ = ["Storage"]


class Storage:
    def __init__(self, root: Path):
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def user_dir(self, user_id: str) -> Path:
        return self.root / "users" / user_id

    def rel(self, *parts: str) -> str:
        return "/".join(parts)

    def path(self, rel: str) -> Path:
        p = (self.root / rel).resolve()
        if not p.is_relative_to(self.root):  # never follow a stored path out of the root
            raise ValueError(f"path outside storage: {rel}")
        return p

    def write(self, rel: str, data: bytes) -> Path:
        p = self.path(rel)
        p.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=f".{p.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, p)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return p

    def link(self, src_rel: str, dst_rel: str) -> None:
        """``dst`` becomes a hard link to ``src`` (a copy where links are not possible): each
        can be deleted without the other."""
        src, dst = self.path(src_rel), self.path(dst_rel)
        dst.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(src, dst)
        except FileExistsError:
            pass
        except OSError:
            shutil.copyfile(src, dst)

    def read(self, rel: str) -> bytes:
        return self.path(rel).read_bytes()

    def exists(self, rel: str | None) -> bool:
        return bool(rel) and self.path(rel).is_file()

    def delete(self, rel: str | None) -> None:
        if not rel:
            return
        p = self.path(rel)
        p.unlink(missing_ok=True)
        self._prune(p.parent)

    def delete_user(self, user_id: str) -> None:
        shutil.rmtree(self.user_dir(user_id), ignore_errors=True)

    def _prune(self, d: Path) -> None:
        """Remove empty folders up to the storage root."""
        while d != self.root and d.is_relative_to(self.root):
            try:
                d.rmdir()
            except OSError:
                return
            d = d.parent
