"""Procedural, tileable fabric textures: the texture GAN's training patches.

fitroom draws them itself (no photographs, nothing downloaded), so they may be used and
shipped freely. Every texture is periodic over its patch: a pattern is a function of
``(kx * x + ky * y) / P`` with integer wave numbers (or a grid of ``n x n`` cells), so a
patch tiles seamlessly, which is what the GAN should learn. Families:

* ``stripes``: one stripe direction with an integer wave vector (horizontal, vertical,
  diagonal), 1-3 colours;
* ``checks``: gingham, two crossing stripe sets blended;
* ``plaid``: tartan, several bands of different widths and colours in both directions;
* ``dots``: a (possibly staggered) grid of round dots;
* ``zigzag``: chevrons, stripes displaced by a triangle wave.

A faint tileable weave (a cross-hatch of integer-frequency sines) and a per-patch lightness
jitter make them look like cloth. Rendering is 2x supersampled and area-downsampled.

Layout written by :func:`write_texture_set`::

    DIR/meta.json
    DIR/{train,test}/patches/000123.png
    DIR/{train,test}/meta.jsonl          id, family, seed
    DIR/preview.png                      the first 64 training patches
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from fitroom.errors import DatasetError

from .render_garment import PALETTE

__all__ = ["TEXTURE_FAMILIES", "read_texture_set", "render_texture", "write_texture_set"]

TEXTURE_FAMILIES = ("stripes", "checks", "plaid", "dots", "zigzag")
KIND = "fitroom-texture-set"

_LIGHT = ((242, 240, 234), (250, 250, 248), (232, 220, 196), (214, 226, 238))


def _colour(rng: np.random.Generator, avoid: np.ndarray | None = None) -> np.ndarray:
    for _ in range(8):
        pool = PALETTE + _LIGHT
        c = np.array(pool[int(rng.integers(len(pool)))], np.float32) / 255.0
        c = np.clip(c * rng.uniform(0.85, 1.12), 0, 1)
        if avoid is None or np.abs(c - avoid).sum() > 0.45:
            return c
    return 1.0 - (avoid if avoid is not None else np.zeros(3, np.float32))


def _band(t: np.ndarray, duty: float, soft: float) -> np.ndarray:
    """0/1 band of width ``duty`` (fraction of a period) centred in each period of ``t``
    (``t`` in periods), with an anti-aliasing ramp of ``soft`` periods."""
    f = t - np.floor(t)
    return np.clip((duty / 2 - np.abs(f - 0.5)) / max(soft, 1e-6) + 0.5, 0.0, 1.0)


def render_texture(family: str, *, size: int = 64, seed: int) -> np.ndarray:
    """A tileable ``(size, size, 3)`` uint8 RGB texture of ``family`` drawn from ``seed``."""
    if family not in TEXTURE_FAMILIES:
        raise ValueError(f"unknown texture family {family!r}; choose one of {', '.join(TEXTURE_FAMILIES)}")
    if size < 8:
        raise ValueError(f"size must be at least 8, got {size}")
    rng = np.random.default_rng(seed)
    S = 2 * size  # supersampled
    yy, xx = np.mgrid[0:S, 0:S].astype(np.float32) / S  # in patch units [0, 1)
    soft = 1.0 / S
    base = _colour(rng)
    img = np.broadcast_to(base, (S, S, 3)).copy()

    def blend(layer: np.ndarray, col: np.ndarray, alpha: float = 1.0) -> None:
        nonlocal img
        a = (layer * alpha)[..., None]
        img = img * (1 - a) + col[None, None, :] * a

    if family == "stripes":
        n = int(rng.integers(2, 9))
        if rng.random() < 0.7:
            kx, ky = (0, n) if rng.random() < 0.75 else (n, 0)
        else:
            kx, ky = n, int(rng.choice([-n, n]))
        t = kx * xx + ky * yy
        c1 = _colour(rng, base)
        blend(_band(t, rng.uniform(0.15, 0.55), soft * max(abs(kx), abs(ky))), c1)
        if rng.random() < 0.4:  # a thin second stripe
            c2 = _colour(rng, c1)
            blend(_band(t + 0.5, rng.uniform(0.06, 0.15), soft * max(abs(kx), abs(ky))), c2)
    elif family == "checks":
        n = int(rng.integers(2, 7))
        duty = rng.uniform(0.35, 0.55)
        c1 = _colour(rng, base)
        a = _band(n * xx, duty, soft * n)
        b = _band(n * yy, duty, soft * n)
        blend(a, c1, 0.55)
        blend(b, c1, 0.55)
    elif family == "plaid":
        for _ in range(int(rng.integers(2, 4))):
            n = int(rng.choice([1, 2, 2, 3, 4]))
            duty = rng.uniform(0.05, 0.35)
            c = _colour(rng, base)
            off = rng.uniform(0, 1)
            alpha = rng.uniform(0.45, 0.8)
            blend(_band(n * xx + off, duty, soft * n), c, alpha)
            blend(_band(n * yy + off, duty, soft * n), c, alpha)
    elif family == "dots":
        n = int(rng.choice([2, 4, 4, 6, 8]))
        stagger = rng.random() < 0.5
        r = rng.uniform(0.12, 0.3)  # radius in cells
        u, v = xx * n, yy * n
        row = np.floor(v)
        if stagger:
            u = u + 0.5 * (row % 2)
        du, dv = u - np.floor(u) - 0.5, v - row - 0.5
        d = np.sqrt(du * du + dv * dv)
        blend(np.clip((r - d) / (soft * n) + 0.5, 0, 1), _colour(rng, base))
    else:  # zigzag
        n = int(rng.integers(2, 7))  # zigzags across
        m = int(rng.integers(3, 9))  # stripes down
        amp = rng.uniform(0.3, 0.9) / m * n / 2  # triangle amplitude (in patch units)
        tri = np.abs((xx * n) % 1.0 - 0.5) * 2  # 0..1
        t = m * (yy + amp * tri)
        blend(_band(t, rng.uniform(0.25, 0.55), soft * m * 2), _colour(rng, base))
    # weave: a faint cross-hatch of integer frequencies, and lightness jitter
    k = int(rng.choice([16, 24, 32])) if size >= 32 else 4
    weave = 1 + rng.uniform(0.01, 0.04) * np.sin(2 * np.pi * k * xx) * np.sin(2 * np.pi * k * yy)
    img = img * (weave[..., None] * rng.uniform(0.92, 1.05))
    small = cv2.resize(img.astype(np.float32), (size, size), interpolation=cv2.INTER_AREA)
    return np.clip(small * 255 + 0.5, 0, 255).astype(np.uint8)


def write_texture_set(out: str | Path, count: int, *, size: int = 64, seed: int = 0,
                      test_fraction: float = 0.1) -> dict:
    """Render ``count`` tileable patches (families uniform) into ``out``; returns meta.json's
    content. The split is a seeded permutation; the same arguments give the same bytes."""
    from PIL import Image

    from .garment_set import plan_split

    out = Path(out)
    is_test = plan_split(out, count, test_fraction, seed, "texture set")
    lines: dict[str, list[str]] = {"train": [], "test": []}
    for split in lines:
        (out / split / "patches").mkdir(parents=True, exist_ok=True)
    preview = []
    for i in range(count):
        fam = TEXTURE_FAMILIES[i % len(TEXTURE_FAMILIES)]
        s = int(seed) * 1_000_003 + i
        patch = render_texture(fam, size=size, seed=s)
        split = "test" if is_test[i] else "train"
        Image.fromarray(patch).save(out / split / "patches" / f"{i:06d}.png")
        lines[split].append(json.dumps({"id": f"{i:06d}", "family": fam, "seed": s}))
        if split == "train" and len(preview) < 64:
            preview.append(patch)
    for split, ls in lines.items():
        (out / split / "meta.jsonl").write_text("\n".join(ls) + "\n")
    if preview:
        from fitroom.imaging.sheet import grid_image

        Image.fromarray(grid_image(preview, cols=8)).save(out / "preview.png")
    summary = {"kind": KIND, "size": size, "seed": seed, "count": count, "train": len(lines["train"]),
               "test": len(lines["test"]), "families": list(TEXTURE_FAMILIES),
               "source": "fitroom.data.textures (procedural, tileable)"}
    (out / "meta.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def read_texture_set(root: str | Path, split: str = "train") -> tuple[np.ndarray, list[str]]:
    """``(patches uint8 [N, S, S, 3], families)`` of one split of a texture set."""
    from PIL import Image

    root = Path(root)
    meta_path = root / "meta.json"
    if not meta_path.is_file():
        raise DatasetError(f"{root} is not a texture set (no meta.json); write one with 'fitroom data textures'.")
    meta = json.loads(meta_path.read_text())
    if meta.get("kind") != KIND:
        raise DatasetError(f"{root} holds a '{meta.get('kind')}' dataset, not a texture set.")
    ml = root / split / "meta.jsonl"
    if not ml.is_file():
        raise DatasetError(f"{root} has no split '{split}'.")
    recs = [json.loads(ln) for ln in ml.read_text().splitlines() if ln.strip()]
    if not recs:
        raise DatasetError(f"{root} (split '{split}') holds no patches.")
    arr = np.stack([np.asarray(Image.open(root / split / "patches" / f"{r['id']}.png").convert("RGB")) for r in recs])
    return arr, [r["family"] for r in recs]
