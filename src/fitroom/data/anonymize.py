"""``fitroom data anonymize``: a copy of a folder of people's photos that can be handed to
someone training models: every face pixelated (found by fitroom's own analysis), every file
re-encoded from its pixels (EXIF, GPS, ICC, XMP and comments gone), every name replaced by
a keyed hash.

Names: ``HMAC-SHA256(key, relative path without extension)``, first 16 hex digits. The key
is random per run unless given, and is never written into the copy, so the names cannot be
reversed by hashing guesses; with the same ``key``, the same person photo gets the same name
in every run (a dataset can be refreshed). Sub-folders are kept, their names hashed too.
A JSON file beside an image (``meta.jsonl`` lines, label maps such as skin_tone.json) keyed
by file name is rewritten with the hashed names; other files are not copied.

A photo where no face is found is not copied unless ``keep_faceless`` (a person seen from
the back has none to hide; a face the analysis missed would be left visible): the report
says which, by their new names only.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

from fitroom.errors import FitroomError

__all__ = ["AnonymizeSummary", "anonymize_folder", "hashed_name"]

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")


@dataclass
class AnonymizeSummary:
    written: int = 0
    faceless: list[str] = field(default_factory=list)  # new names of photos without a face
    refused: dict[str, str] = field(default_factory=dict)  # new name -> why (not a photo, no person ...)
    labels: int = 0
    seconds: float = 0.0


def hashed_name(key: bytes, rel: str) -> str:
    return hmac.new(key, rel.encode(), hashlib.sha256).hexdigest()[:16]


def _new_rel(key: bytes, rel: Path) -> Path:
    parts = [hashed_name(key, "/".join(rel.parts[: i + 1])) for i in range(len(rel.parts) - 1)]
    return Path(*parts, hashed_name(key, rel.with_suffix("").as_posix()) + ".jpg")


def anonymize_folder(src: str | os.PathLike[str], out: str | os.PathLike[str], *, key: bytes | None = None,
                     keep_faceless: bool = False, quality: int = 92) -> AnonymizeSummary:
    """Write the anonymised copy of ``src`` into ``out`` (see the module docstring)."""
    from fitroom.imaging import load_image, save_image
    from fitroom.person.analyze import analyze_person
    from fitroom.person.anonymize import face_region, hide_face

    src, out = Path(src), Path(out)
    if not src.is_dir():
        raise FitroomError(f"{src} is not a folder")
    if out.resolve() == src.resolve() or out.resolve().is_relative_to(src.resolve()):
        raise FitroomError("--out must be outside the folder being anonymised")
    key = key or secrets.token_bytes(32)
    t0 = time.perf_counter()
    s = AnonymizeSummary()
    images = sorted(p for p in src.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    if not images:
        raise FitroomError(f"no photos (JPEG, PNG, WebP) in {src}")
    names: dict[str, str] = {}  # old file name -> new file name, for label files
    for p in images:
        rel = p.relative_to(src)
        new = _new_rel(key, rel)
        try:
            img = load_image(p)
            pa = analyze_person(img)
        except FitroomError as e:
            s.refused[new.as_posix()] = type(e).__name__
            continue
        region = face_region(pa)
        if not region.any():
            s.faceless.append(new.as_posix())
            if not keep_faceless:
                continue
        dst = out / new
        dst.parent.mkdir(parents=True, exist_ok=True)
        save_image(dst, hide_face(img, region))  # pixels only: no metadata travels
        names[p.name] = new.name
        names[p.stem] = new.stem
        s.written += 1
    for f in sorted(src.rglob("*.json")) + sorted(src.rglob("*.jsonl")):
        s.labels += _rewrite_labels(f, out / _label_rel(key, f.relative_to(src)), names)
    s.seconds = time.perf_counter() - t0
    return s


def _label_rel(key: bytes, rel: Path) -> Path:
    parts = [hashed_name(key, "/".join(rel.parts[: i + 1])) for i in range(len(rel.parts) - 1)]
    return Path(*parts, rel.name)


def _rewrite_labels(path: Path, dst: Path, names: dict[str, str]) -> int:
    """A label file keyed by photo names, with the new names (entries of photos that were not
    copied dropped; anything else in the file is not carried over). Returns 1 if written."""
    try:
        if path.suffix == ".jsonl":
            rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
            kept = []
            for r in rows:
                ref = next((k for k in ("person_id", "id", "image", "file") if isinstance(r.get(k), str)), None)
                if ref is None or Path(r[ref]).name not in names and Path(r[ref]).stem not in names:
                    continue
                old = Path(r[ref]).name if Path(r[ref]).name in names else Path(r[ref]).stem
                kept.append({**{k: v for k, v in r.items() if k not in ("person_id", "id", "image", "file")},
                             ref: names[old]})
            text = "".join(json.dumps(r) + "\n" for r in kept)
        else:
            data = json.loads(path.read_text())
            if not isinstance(data, dict):
                return 0
            text = json.dumps({names[k]: v for k, v in data.items() if k in names}, indent=1)
    except (OSError, json.JSONDecodeError):
        return 0
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_text(text)
    return 1
