"""Everything fitroom needs to know about a garment's product photo."""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from fitroom.errors import NoGarmentError, UnsupportedGarmentError
from fitroom.garment.category import classify_garment
from fitroom.garment.landmarks import GarmentLandmarks, detect_landmarks
from fitroom.garment.mask import garment_mask
from fitroom.garment.neckline import inner_back
from fitroom.labels import GarmentCategory


@dataclass(frozen=True)
class GarmentAnalysis:
    """A product photo with its mask, landmarks and category.

    ``image`` is the ``(H, W, 3)`` uint8 RGB photo; ``mask``, ``torso_mask`` and the two
    ``sleeve_masks`` (wearer's left, wearer's right) are ``(H, W)`` bool, with
    ``mask == torso_mask | sleeve_left | sleeve_right`` and the three parts disjoint (sleeves
    are empty for sleeveless garments). Landmarks are in the photo's pixel coordinates.
    """

    image: np.ndarray = field(repr=False)
    mask: np.ndarray = field(repr=False)
    landmarks: GarmentLandmarks
    category: GarmentCategory
    torso_mask: np.ndarray = field(repr=False)
    sleeve_masks: tuple[np.ndarray, np.ndarray] = field(repr=False)
    #: the inside of the garment seen through the neckline (back panel, label), in the
    #: silhouette but not in ``mask``: it is never put on a body (:mod:`fitroom.garment.neckline`)
    inner_mask: np.ndarray | None = field(default=None, repr=False)
    #: ``"detected"`` or ``"given"`` (the shop said what it is)
    category_source: str = "detected"

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of the photo."""
        return int(self.image.shape[1]), int(self.image.shape[0])

    @property
    def sleeve_left(self) -> np.ndarray:
        return self.sleeve_masks[0]

    @property
    def sleeve_right(self) -> np.ndarray:
        return self.sleeve_masks[1]


def split_sleeves(mask: np.ndarray, landmarks: GarmentLandmarks) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """Split a garment mask into its torso and its two sleeves (wearer's left, right).

    Each sleeve is cut off along its armhole, the segment from the shoulder to the armpit
    (extended a little beyond both so the cut goes right through the garment): the part
    on the outer side that holds the sleeve's cuff is the sleeve. If a sleeve lies against
    the torso so that the cut does not detach it, the sleeve is the part of the mask beyond
    the armhole line (and its extension downwards) on that side.
    """
    m = np.asarray(mask) > 0
    h, w = m.shape
    empty = np.zeros_like(m)
    if not landmarks.has_sleeves:
        return m.copy(), (empty, empty.copy())
    scale = max(h, w)
    thick = max(2, int(round(0.004 * scale)))
    sleeves = []
    for side in ("left", "right"):
        sh = np.array(getattr(landmarks, f"shoulder_{side}"), np.float64)
        ap = np.array(getattr(landmarks, f"armpit_{side}"), np.float64)
        outer = np.array(getattr(landmarks, f"sleeve_{side}_outer"), np.float64)
        inner = np.array(getattr(landmarks, f"sleeve_{side}_inner"), np.float64)
        cuff = 0.5 * (outer + inner)
        if np.allclose(outer, sh) and np.allclose(inner, ap):
            sleeves.append(empty.copy())  # no sleeve on this side
            continue
        d = ap - sh
        n = np.hypot(*d)
        if n < 1e-6 or np.hypot(*(cuff - ap)) < 1e-6:
            sleeves.append(empty.copy())
            continue
        d /= n
        # the cut: the armhole, extended upwards out of the garment and a little downwards
        p0 = sh - d * (0.15 * n + 4 * thick)
        p1 = ap + d * (2 * thick)
        cut = np.zeros((h, w), np.uint8)
        cv2.line(cut, tuple(np.round(p0).astype(int)), tuple(np.round(p1).astype(int)), 1, thick)
        parts = (m & (cut == 0)).astype(np.uint8)
        n_lbl, lbl = cv2.connectedComponents(parts, connectivity=4)
        # which side of the armhole line is "outside"?
        normal = np.array([-d[1], d[0]])
        if np.dot(cuff - sh, normal) < 0:
            normal = -normal
        cx, cy = np.clip(np.round(cuff).astype(int), 0, [w - 1, h - 1])
        k = lbl[cy, cx]
        if k == 0:
            # the cuff point fell on the cut or just outside the mask: nearest labelled pixel
            win = lbl[max(cy - 6, 0): cy + 7, max(cx - 6, 0): cx + 7]
            vals = win[win > 0]
            k = int(np.bincount(vals).argmax()) if len(vals) else 0
        yy, xx = np.arange(h)[:, None], np.arange(w)[None, :]
        beyond = ((xx - sh[0]) * normal[0] + (yy - sh[1]) * normal[1]) > 0
        # a point well inside the torso: between the hem corners, halfway up from the hem
        tx = 0.5 * (landmarks.hem_left[0] + landmarks.hem_right[0])
        ty = 0.5 * (0.5 * (landmarks.armpit_left[1] + landmarks.armpit_right[1])
                    + 0.5 * (landmarks.hem_left[1] + landmarks.hem_right[1]))
        t_lbl = lbl[int(np.clip(round(ty), 0, h - 1)), int(np.clip(round(tx), 0, w - 1))]
        if k > 0 and k != t_lbl:
            sleeve = lbl == k
        else:
            # not detached (a sleeve lying against the torso): beyond the armhole above the
            # armpit, beyond the vertical through the armpit below it
            outward = np.sign(cuff[0] - tx) or 1.0
            below = (yy > ap[1]) & (outward * (xx - ap[0]) > 0)
            sleeve = m & ((beyond & (yy <= ap[1])) | below)
        # give the cut pixels back to the part they touch
        ring = (cut > 0) & m
        grow = cv2.dilate(sleeve.astype(np.uint8), np.ones((3, 3), np.uint8), iterations=thick + 1) > 0
        sleeve = sleeve | (ring & grow & beyond)
        # keep the part connected to the cuff
        n_s, lbl_s = cv2.connectedComponents(sleeve.astype(np.uint8), connectivity=8)
        if n_s > 2:
            k_s = lbl_s[cy, cx]
            if k_s == 0:
                k_s = 1 + int(np.argmax(np.bincount(lbl_s[lbl_s > 0].ravel())[1:]))
            sleeve = lbl_s == k_s
        sleeves.append(sleeve & m)
    left, right = sleeves
    right &= ~left
    torso = m & ~left & ~right
    return torso, (left, right)


def _check_layout(mask: np.ndarray, lm: GarmentLandmarks) -> None:
    """Reject outlines that are not one upright top or dress (two garments in one photo, a
    folded or hanging garment): their landmarks would dress the person in nonsense."""
    xs = np.nonzero(mask.any(axis=0))[0]
    width = float(xs[-1] - xs[0] + 1) if len(xs) else 1.0
    chest = lm.armpit_left[0] - lm.armpit_right[0]
    problems = []
    if chest < 0.25 * width:
        problems.append("no chest width between the armpits")
    if lm.shoulder_left[0] <= lm.shoulder_right[0]:
        problems.append("shoulders in the wrong order")
    if min(lm.hem_left[1], lm.hem_right[1]) <= max(lm.armpit_left[1], lm.armpit_right[1]):
        problems.append("hem above the armpits")
    if max(lm.shoulder_left[1], lm.shoulder_right[1]) >= min(lm.hem_left[1], lm.hem_right[1]):
        problems.append("shoulders below the hem")
    if problems:
        raise UnsupportedGarmentError(
            "Could not make out a single upright top or dress in this photo (" + "; ".join(problems)
            + "); use a product photo of one garment, laid flat or on a mannequin, front view."
        )


def parse_category(category: GarmentCategory | str | None) -> GarmentCategory | None:
    """A category a user gave (``"dress"``, ``"long-sleeve top"``, ``"long_sleeve_top"``, any
    case), or None; an unknown name raises :class:`ValueError` listing the known ones."""
    if category is None or isinstance(category, GarmentCategory):
        return category
    key = str(category).strip().lower().replace("_", " ").replace("-", " ")
    for c in GarmentCategory:
        if key in (c.value.replace("-", " "), c.name.lower().replace("_", " ")):
            return c
    raise ValueError(f"unknown garment category {category!r}; use one of: "
                     + ", ".join(c.value for c in GarmentCategory))


def analyze_garment(image: np.ndarray, mask: np.ndarray | None = None,
                    category: GarmentCategory | str | None = None) -> GarmentAnalysis:
    """Mask, landmarks, category and torso/sleeve split of a garment's product photo.

    ``image`` is ``(H, W, 3)`` uint8 RGB; ``mask`` (bool ``(H, W)``), when given, is used
    instead of :func:`~fitroom.garment.mask.garment_mask`; ``category``, when given (a shop
    knows what it sells), is used instead of the detected one.

    Raises :class:`~fitroom.errors.NoGarmentError` when no garment is found and
    :class:`~fitroom.errors.UnsupportedGarmentError` for trousers and skirts.
    """
    img = np.asarray(image)
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=2)
    if img.ndim != 3 or img.shape[2] not in (3, 4):
        raise ValueError(f"image must be HxWx3 RGB, got shape {img.shape}")
    if img.shape[2] == 4:
        m_alpha = img
        img = img[..., :3]
    else:
        m_alpha = img
    if img.dtype != np.uint8:
        img = np.clip(img, 0, 255).astype(np.uint8)
    if mask is None:
        m = garment_mask(m_alpha)
    else:
        m = np.asarray(mask)
        if m.shape != img.shape[:2]:
            raise ValueError(f"mask shape {m.shape} does not match the image {img.shape[:2]}")
        m = m > 0
        if not m.any():
            raise NoGarmentError("No garment found: the garment mask is empty.")
    landmarks = detect_landmarks(m)
    given = parse_category(category)
    category = given if given is not None else classify_garment(m, landmarks)
    if category.is_bottom:
        what = "trousers" if category == GarmentCategory.TROUSERS else "a skirt"
        raise UnsupportedGarmentError(
            f"This garment looks like {what}; only tops and dresses can be tried on for now."
        )
    _check_layout(m, landmarks)
    torso, sleeves = split_sleeves(m, landmarks)
    inner = inner_back(img, m, landmarks) & torso
    return GarmentAnalysis(image=np.ascontiguousarray(img), mask=m & ~inner, landmarks=landmarks,
                           category=category, torso_mask=torso & ~inner, sleeve_masks=sleeves, inner_mask=inner,
                           category_source="detected" if given is None else "given")
