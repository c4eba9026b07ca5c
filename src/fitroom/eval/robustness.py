"""How much a try-on changes under small, meaningless changes of the input photo.

Each perturbation ``T`` of the person photo (JPEG at quality 70, a rotation of 2 degrees
either way, 10% more or less light, mild noise) should change the result exactly as it
changed the photo, and no more: the measure is ``SSIM(f(T x), T f(x))`` over the pixels both
images have (a rotation's corners are left out). 1 is perfectly stable; the lower, the more
the try-on itself jumps (a sleeve that flips, a hem that moves, a parse that changes its
mind). The pipeline analyses every perturbed photo itself, as it would a shopper's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import cv2
import numpy as np

from fitroom.eval.metrics import ssim_map

__all__ = ["PERTURBATIONS", "Perturbation", "robustness"]


@dataclass(frozen=True)
class Perturbation:
    name: str
    apply: Callable[[np.ndarray], np.ndarray]
    degrees: float = 0.0  # a rotation: its corners show no photo and are not compared


def _jpeg(q: int):
    def f(img):
        ok, buf = cv2.imencode(".jpg", cv2.cvtColor(img, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, q])
        return cv2.cvtColor(cv2.imdecode(buf, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    return f


def _rotate(deg: float):
    def f(img):
        h, w = img.shape[:2]
        m = cv2.getRotationMatrix2D((w / 2, h / 2), deg, 1.0)
        return cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return f


def _light(factor: float):
    def f(img):
        return np.clip(img.astype(np.float32) * factor + 0.5, 0, 255).astype(np.uint8)
    return f


def _noise(sigma: float, seed: int = 0):
    def f(img):
        rng = np.random.default_rng(seed)
        return np.clip(img.astype(np.float32) + rng.normal(0, sigma, img.shape) + 0.5, 0, 255).astype(np.uint8)
    return f


PERTURBATIONS = (
    Perturbation("jpeg70", _jpeg(70)),
    Perturbation("rotate+2", _rotate(2.0), 2.0),
    Perturbation("rotate-2", _rotate(-2.0), -2.0),
    Perturbation("light+10", _light(1.10)),
    Perturbation("light-10", _light(0.90)),
    Perturbation("noise3", _noise(3.0)),
)


def robustness(try_on: Callable[[np.ndarray], np.ndarray], person: np.ndarray,
               base: np.ndarray | None = None) -> dict[str, float | None]:
    """``robustness_<name>`` for every perturbation, and ``robustness`` (their mean):
    ``try_on`` maps a person photo ((H, W, 3) uint8) to its try-on; ``base``: its result for
    ``person`` when already known. A perturbation whose photo the pipeline refuses gives None."""
    from fitroom.errors import FitroomError

    base = try_on(person) if base is None else base
    h, w = person.shape[:2]
    out: dict[str, float | None] = {}
    for p in PERTURBATIONS:
        try:
            moved = try_on(p.apply(person))
        except FitroomError:
            out[f"robustness_{p.name}"] = None
            continue
        want = p.apply(base)
        m = ssim_map(moved, want)
        keep = np.ones((h, w), np.uint8)
        if p.degrees:
            keep = cv2.warpAffine(keep, cv2.getRotationMatrix2D((w / 2, h / 2), p.degrees, 1.0), (w, h),
                                  flags=cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        keep = cv2.erode(keep, np.ones((9, 9), np.uint8)).astype(bool)
        out[f"robustness_{p.name}"] = float(m[keep].mean())
    vals = [v for v in out.values() if v is not None]
    out["robustness"] = float(np.mean(vals)) if vals else None
    return out
