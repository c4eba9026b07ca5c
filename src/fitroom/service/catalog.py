"""The demo catalog: fitroom's bundled example garments, visible to every user."""

from __future__ import annotations

import logging

from sqlalchemy import select

from fitroom.examples import example_garments
from fitroom.imaging import load_image
from fitroom.service.db import Database
from fitroom.service.engine import TryOnEngine, encode_png, landmarks_json
from fitroom.service.models import Garment, new_id
from fitroom.service.storage import Storage

__all__ = ["seed_demo_catalog"]

log = logging.getLogger("fitroom.service")


def _title(stem: str) -> str:
    words = stem.replace("_", " ").replace("-", " ").split()
    nice = {"tee": "T-shirt", "top": "top", "longsleeve": "long-sleeve", "sleeveless": "sleeveless"}
    out = [nice.get(w, w) for w in words]
    # "tee striped" -> "Striped T-shirt"; "top longsleeve solid" -> "Solid long-sleeve top"
    if len(out) >= 2:
        out = out[-1:] + out[:-1][::-1]
    s = " ".join(out)
    return s[:1].upper() + s[1:]


def seed_demo_catalog(db: Database, storage: Storage, engine: TryOnEngine) -> int:
    """Add the bundled garments not yet in the catalog (idempotent); how many were added."""
    added = 0
    with db.session() as s:
        have = set(s.execute(select(Garment.demo_key).where(Garment.demo_key.is_not(None))).scalars())
    for path in example_garments():
        key = f"example:{path.name}"
        if key in have:
            continue
        image = load_image(path)
        ga = engine.garment(f"example:{path.name}", lambda: image)
        gid = new_id()
        img_rel = storage.rel("catalog", f"{gid}.png")
        mask_rel = storage.rel("catalog", f"{gid}.mask.png")
        # the bundled PNGs are fitroom's own renderings: stored as they are
        storage.write(img_rel, path.read_bytes() if path.suffix == ".png" else encode_png(image))
        storage.write(mask_rel, encode_png(ga.mask.astype("uint8") * 255))
        with db.session() as s:
            s.add(Garment(id=gid, user_id=None, name=_title(path.stem), category=str(ga.category),
                          width=int(image.shape[1]), height=int(image.shape[0]), image_path=img_rel,
                          mask_path=mask_rel, landmarks_json=landmarks_json(ga), demo_key=key))
            try:
                s.commit()
                added += 1
            except Exception:  # another process seeded it first
                s.rollback()
                storage.delete(img_rel)
                storage.delete(mask_rel)
    if added:
        log.info("demo catalog: added %d garments", added)
    return added
