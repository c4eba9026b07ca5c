"""TryOnPipeline: person photo + garment photo -> photo of the person wearing the garment."""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from enum import StrEnum

from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np

from fitroom.errors import FitroomError
from fitroom.garment import GarmentAnalysis, analyze_garment
from fitroom.labels import ARMS, UPPER_BODY_GARMENT, Cihp, GarmentCategory, KeypointFormat
from fitroom.person.agnostic import agnostic_mask
from fitroom.person.analyze import PersonAnalysis, analyze_person
from fitroom.pipelines.classical import WarpedGarment, composite, shading_map, warp_garment
from fitroom.pipelines.placement import GarmentPlacement, place_garment

if TYPE_CHECKING:  # the learned engine imports torch; load it only when used
    from fitroom.pipelines.learned import LearnedOutput

DEFAULT_WEIGHTS = Path(__file__).resolve().parents[1] / "weights" / "learned"
#: the engine used when none is named: the one that is best on real photos (README, "Which
#: engine is the default"); "classical" needs no networks and is about half the CPU time
DEFAULT_ENGINE = "learned"


class Protocol(StrEnum):
    """How much of the photo a try-on may use.

    ``photo``: the everyday try-on. Only the old garment is replaced; the photo's own arms
    stay (in front of the new garment where they were in front of the old one) and the
    shading of the old garment is transferred onto the new one.

    ``paired``: the leak-free evaluation protocol (as VITON-HD's). The whole cloth-agnostic
    region (garment, arms, neck and torso skin, grown, plus bone bands) is unknown; nothing
    inside it is used. For a photo of someone already wearing the garment, the result can
    then be compared with the photo itself.
    """

    PHOTO = "photo"
    PAIRED = "paired"


@dataclass(frozen=True)
class TryOnResult:
    """A try-on and every intermediate, in the person photo's pixels."""

    image: np.ndarray  # (H, W, 3) uint8
    person: PersonAnalysis
    garment: GarmentAnalysis
    placement: GarmentPlacement | None  # classical engine
    warped: WarpedGarment | None  # classical engine
    removed_region: np.ndarray  # bool: pixels of the photo that were not used
    changed_region: np.ndarray  # bool: pixels that differ from the photo
    protocol: Protocol
    timings_ms: dict[str, float] = field(default_factory=dict)
    engine: str = "classical"
    learned: LearnedOutput | None = None  # learned engine


def _digest(*arrays: np.ndarray | None) -> str:
    h = hashlib.blake2b(digest_size=16)
    for a in arrays:
        if a is None:
            h.update(b"-")
        else:
            h.update(str(a.shape).encode())
            h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


class _Lru(OrderedDict):
    def __init__(self, size: int):
        super().__init__()
        self.size = size

    def get_or(self, key, make):
        if key in self:
            self.move_to_end(key)
            return self[key]
        val = make()
        self[key] = val
        if len(self) > self.size:
            self.popitem(last=False)
        return val


def body_width_profile(pa: PersonAnalysis):
    """``f(side, t) -> half-width``: how far the torso (its clothes and skin, arms excluded)
    reaches on one side at ``t`` torso lengths below the neck, from the parse map; ``None``
    where it cannot be measured."""
    from fitroom.person.body import across_body, along_body, arm_segments, draw_capsules

    f = pa.frame
    h, w = pa.parse.shape
    torso = np.isin(pa.parse, UPPER_BODY_GARMENT + (Cihp.TORSO_SKIN,))
    arms = draw_capsules((h, w), arm_segments(f, "left", 0.3) + arm_segments(f, "right", 0.3), 0.13 * f.shoulder_width)
    ys, xs = np.nonzero(torso & ~arms)
    if len(xs) < 50:
        return lambda side, t: None
    along = along_body(f, xs.astype(np.float32), ys.astype(np.float32))
    across = across_body(f, xs.astype(np.float32), ys.astype(np.float32))

    def width(side: str, t: float) -> float | None:
        band = np.abs(along - t) < 0.03
        if band.sum() < 10:
            return None
        a = across[band]
        v = np.percentile(a, 98) if side == "left" else -np.percentile(a, 2)
        return float(v) if v > 0 else None

    return width


class TryOnPipeline:
    """Try garments on people. Person and garment analyses are cached by image content.

    Example::

        pipe = TryOnPipeline()
        result = pipe(load_image("me.jpg"), load_image("tee.png"))
        save_image("me_in_tee.png", result.image)
    """

    def __init__(self, engine: str = DEFAULT_ENGINE, cache_size: int = 32, *, weights: str | Path | None = None,
                 device: str = "cpu"):
        """``engine``: ``"learned"`` (default) or ``"classical"``; the learned engine loads ``weights``
        (a folder with ``warp/`` and ``tryon/``, as written by ``fitroom train``; default
        the weights shipped in ``fitroom/weights/learned``)."""
        if engine not in ("classical", "learned"):
            raise FitroomError(f"unknown engine {engine!r}; available: classical, learned")
        self.engine = engine
        self._learned = None
        if engine == "learned":
            from fitroom.pipelines.learned import LearnedEngine

            root = Path(weights) if weights is not None else DEFAULT_WEIGHTS
            self._learned = LearnedEngine(root / "warp", root / "tryon", device=device)
        self._people = _Lru(cache_size)
        self._garments = _Lru(cache_size)

    def warm_up(self) -> None:
        """Load the person-analysis models now instead of on the first photo."""
        from fitroom.person.mediapipe_models import warm_up

        warm_up()

    def analyze_person(self, image: np.ndarray, *, keypoints: tuple[np.ndarray, KeypointFormat] | None = None,
                       parse: np.ndarray | None = None) -> PersonAnalysis:
        kp = None if keypoints is None else keypoints[0]
        key = _digest(image, kp, parse) + (str(keypoints[1]) if keypoints else "")
        return self._people.get_or(key, lambda: analyze_person(image, keypoints=keypoints, parse=parse))

    def analyze_garment(self, image: np.ndarray, mask: np.ndarray | None = None) -> GarmentAnalysis:
        return self._garments.get_or(_digest(image, mask), lambda: analyze_garment(image, mask=mask))

    def __call__(self, person: np.ndarray | PersonAnalysis, garment: np.ndarray | GarmentAnalysis, *,
                 protocol: Protocol | str = Protocol.PHOTO) -> TryOnResult:
        protocol = Protocol(protocol)
        t: dict[str, float] = {}
        t0 = time.perf_counter()
        pa = person if isinstance(person, PersonAnalysis) else self.analyze_person(person)
        t["person"] = (time.perf_counter() - t0) * 1e3
        t1 = time.perf_counter()
        ga = garment if isinstance(garment, GarmentAnalysis) else self.analyze_garment(garment)
        t["garment"] = (time.perf_counter() - t1) * 1e3
        result = self.try_on(pa, ga, protocol=protocol)
        result.timings_ms.update(t)
        result.timings_ms["total"] = (time.perf_counter() - t0) * 1e3
        return result

    def try_on(self, pa: PersonAnalysis, ga: GarmentAnalysis, *, protocol: Protocol = Protocol.PHOTO) -> TryOnResult:
        """Try an analysed garment on an analysed person."""
        t: dict[str, float] = {}
        t0 = time.perf_counter()
        h, w = pa.image.shape[:2]
        is_dress = ga.category == GarmentCategory.DRESS
        if self._learned is not None:
            out = self._learned(pa, ga, dress=is_dress)
            t["networks_and_composite"] = (time.perf_counter() - t0) * 1e3
            return TryOnResult(image=out.image, person=pa, garment=ga, placement=None, warped=None,
                               removed_region=out.removed, changed_region=out.changed, protocol=protocol,
                               timings_ms=t, engine="learned", learned=out)
        placement = place_garment(ga.landmarks, pa.frame, (ga.image.shape[1], ga.image.shape[0]),
                                  has_sleeves=ga.category.has_sleeves or (is_dress and ga.landmarks.has_sleeves),
                                  is_dress=is_dress,
                                  # the everyday try-on may look at the body's width; the leak-free one may not
                                  body_width=body_width_profile(pa) if protocol == Protocol.PHOTO else None)
        warped = warp_garment(ga, placement, (w, h))
        t["warp"] = (time.perf_counter() - t0) * 1e3
        t1 = time.perf_counter()
        sw = pa.frame.shoulder_width
        if protocol == Protocol.PAIRED:
            removed = agnostic_mask(pa.parse, pa.frame, keep_lower_body=not is_dress)
            shading = None
            keep_arms = False
        else:
            old = np.isin(pa.parse, UPPER_BODY_GARMENT)
            if not is_dress:
                # a dress worn under a new top: only its upper part is replaced
                from fitroom.person.body import along_body

                ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
                old &= (pa.parse != Cihp.DRESS) | (along_body(pa.frame, xs, ys) < 1.05)
            r = max(1, int(round(0.02 * sw)))
            removed = cv2.dilate(old.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))).astype(bool)
            removed &= ~np.isin(pa.parse, ARMS + (Cihp.FACE, Cihp.HAIR)) | old
            shading = shading_map(pa.image, old & (warped.alpha > 0.5), sigma=0.1 * sw)
            keep_arms = True
        image, changed = composite(pa, warped, removed, keep_photo_arms=keep_arms, shading=shading)
        t["compose"] = (time.perf_counter() - t1) * 1e3
        return TryOnResult(image=image, person=pa, garment=ga, placement=placement, warped=warped,
                           removed_region=removed, changed_region=changed, protocol=protocol, timings_ms=t)
