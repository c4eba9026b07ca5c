"""What kind of garment a product photo shows, from the shape of its mask.

The decision uses ratios of the garment's own measurements, so it does not depend on the
photo's size or framing. The unit is the width of the upper body ``W``: shoulder to shoulder
(or armpit to armpit when that is wider, as for most sleeveless garments). From ordinary
garment sizing (shoulders about 38 cm; tops 55-70 cm long from the high point of the
shoulder, tunics up to about 80; dresses from about 85 (mini); sleeves: cap/short 10-20 cm,
elbow 30-35, three-quarter 45, long 58-65), and allowing for photos on an invisible mannequin
where the body looks narrower than laid flat:

* **dress** when the body length is at least 2.5 W; from 2.0 W when the garment has sleeves
  (sleeved tops end at about 1.8 W at most) or flares into a skirt (hem at least 1.3 times
  the waist);
* **long sleeves** from 1.0 W (shoulder to cuff: three-quarter and longer), short below
  (elbow length included), **sleeveless** when no sleeve sticks out of the armholes;
* **bottoms**: a straight waistband as the top edge (no neck opening, no shoulders, no
  armholes beside it); **trousers** when two legs leave a gap open at the bottom (the crotch),
  narrower than 0.55 of the garment's width (wider, it is the torso between hanging sleeves).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from fitroom.errors import NoGarmentError
from fitroom.garment.landmarks import GarmentLandmarks, _Runs
from fitroom.labels import GarmentCategory

#: body length / upper-body width from which any garment is a dress
DRESS_LENGTH_RATIO = 2.5
#: ... from which a garment with sleeves, or with a flared skirt, is a dress
DRESS_LENGTH_RATIO_SLEEVED_OR_FLARED = 2.0
#: hem width / waist width from which the lower part is a flared skirt
FLARE_RATIO = 1.3
#: sleeve length (shoulder to cuff) / upper-body width from which a sleeve is long
LONG_SLEEVE_RATIO = 1.0
#: fraction of a row just below the top that a bottom covers (a waistband has no neck opening)
WAISTBAND_FILL = 0.9
#: concavity on the sides (armholes, sleeves) / width below which there are no sleeves or armholes
SIDE_NOTCH = 0.04
#: crotch gap height / garment height from which a bottom is a pair of trousers (or shorts)
CROTCH_GAP_RATIO = 0.15
#: ... and at most this wide (garment widths) at the bottom: between trouser legs the gap is a
#: fifth of the width or so (flares, up to a third); between the long sleeves hanging beside a
#: top with a high, straight neckline, it is the whole torso (0.8)
CROTCH_MAX_WIDTH = 0.55


@dataclass(frozen=True)
class GarmentShape:
    """The measurements :func:`classify_garment` decides on (all ratios, unitless)."""

    waistband_fill: float  # filled fraction of a row just below the top (1: no neck opening)
    top_width: float  # that row's extent / the width of the upper half
    side_notch: float  # deepest concavity on the sides of the upper half / garment width
    crotch_gap: float  # height of a gap between legs open at the bottom / garment height
    length_ratio: float  # neck point to hem / upper-body width
    sleeve_ratio: float  # shoulder to cuff / upper-body width (0 without sleeves)
    flare: float  # hem width / narrowest width between the armpits and the hem
    has_sleeves: bool
    crotch_width: float = 0.0  # that gap's width halfway up / garment width


def _rows(m: np.ndarray) -> tuple[int, int]:
    rows = np.nonzero(m.any(axis=1))[0]
    return int(rows[0]), int(rows[-1])


def measure_shape(mask: np.ndarray, landmarks: GarmentLandmarks) -> GarmentShape:
    """The shape ratios of a garment mask (see :class:`GarmentShape`)."""
    m = np.asarray(mask)
    if m.ndim != 2:
        raise ValueError(f"mask must be a 2-D array, got shape {m.shape}")
    m8 = (m > 0).astype(np.uint8)
    x0, y0, bw, bh = cv2.boundingRect(m8)
    if bw == 0 or bh == 0:
        raise NoGarmentError("No garment found: the garment mask is empty.")
    # measure at a moderate resolution
    y1, x1 = y0 + bh, x0 + bw
    m = m8[y0:y1, x0:x1] > 0
    s = min(1.0, 300.0 / max(m.shape))
    if s < 1.0:
        m = cv2.resize(m.astype(np.uint8) * np.uint8(255), (max(round(m.shape[1] * s), 1), max(round(m.shape[0] * s), 1)),
                       interpolation=cv2.INTER_AREA) >= 128
    lm = landmarks.translated(-x0, -y0).scaled(s, s)
    h, w = m.shape
    top, bottom = _rows(m)
    height = bottom - top + 1

    # --- waistband: how much of the upper width the top rows cover ---
    upper = m[top: top + max(height // 2, 1)]
    cols = np.nonzero(upper.any(axis=0))[0]
    upper_w = cols[-1] - cols[0] + 1
    k = max(1, int(round(0.03 * height)))
    row = m[min(top + k, bottom)]
    rc = np.nonzero(row)[0]
    extent = rc[-1] - rc[0] + 1 if len(rc) else 0
    fill = float(len(rc)) / extent if extent else 0.0
    top_width = extent / upper_w

    # --- concavities on the sides of the upper half (sleeves, armholes) ---
    cs, _ = cv2.findContours(m.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    c = max(cs, key=cv2.contourArea)
    notch = 0.0
    if len(c) >= 4:
        hull = cv2.convexHull(c, returnPoints=False)
        try:
            defects = cv2.convexityDefects(c, hull)
        except cv2.error:
            defects = None
        if defects is not None:
            xc = 0.5 * (cols[0] + cols[-1])
            for _, _, f, d in defects[:, 0]:
                px, py = c[f, 0]
                if py > top + 0.6 * height or abs(px - xc) < 0.2 * upper_w:
                    continue  # the crotch or a hem, not a side
                notch = max(notch, d / 256.0 / upper_w)

    # --- crotch: a gap in the middle that opens at the bottom, garment on both sides ---
    col_mass = m.sum(axis=0).astype(np.float64)
    xc = float(np.searchsorted(np.cumsum(col_mass), 0.5 * col_mass.sum()))
    xi = int(np.clip(round(xc), 0, w - 1))
    centre_free = ~m[:, max(xi - 1, 0): xi + 2].any(axis=1)
    both = m[:, :max(xi - 1, 0)].any(axis=1) & m[:, xi + 2:].any(axis=1)
    legs = centre_free & both
    # the run of such rows that reaches (nearly) the bottom: legs apart down to the hems
    gap = 0
    y = bottom
    while y > top and not legs[y] and bottom - y < 0.05 * height:
        y -= 1
    low = y
    while y > top and legs[y]:
        gap += 1
        y -= 1
    crotch = gap / height
    crotch_width = 0.0
    if gap:  # how wide the gap is halfway up (a jogger's cuffs taper, a flare's hems spread)
        cloth = np.nonzero(m[low - gap // 2])[0]  # the legs: the nearest garment pixels each side
        left_x = cloth[cloth < xi].max(initial=-1)
        right_x = cloth[cloth > xi].min(initial=w)
        crotch_width = float(right_x - left_x - 1) / w

    # --- proportions from the landmarks ---
    chest = abs(lm.armpit_left[0] - lm.armpit_right[0])
    shoulders = abs(lm.shoulder_left[0] - lm.shoulder_right[0])
    # shoulders count up to 1.35 chest widths: beyond that the "shoulders" are sleeves
    # hanging from them or bulging beside the torso
    width = max(chest, min(shoulders, 1.35 * chest), 1e-6)
    neck_y = min(lm.neck_left[1], lm.neck_right[1])
    length_ratio = (bottom - neck_y) / width
    sleeve = 0.0
    if lm.has_sleeves:
        for side in ("left", "right"):
            sh = np.array(getattr(lm, f"shoulder_{side}"))
            cuff = 0.5 * (np.array(getattr(lm, f"sleeve_{side}_outer")) + np.array(getattr(lm, f"sleeve_{side}_inner")))
            sleeve = max(sleeve, float(np.hypot(*(cuff - sh))))
    # flare: hem width against the narrowest torso row between the armpits and the hem
    ya = int(np.clip(round(max(lm.armpit_left[1], lm.armpit_right[1])), top, bottom))
    yh = int(np.clip(round(min(lm.hem_left[1], lm.hem_right[1]) - 0.05 * height), top, bottom))
    hem_w = abs(lm.hem_left[0] - lm.hem_right[0])
    xl, xr = min(lm.hem_left[0], lm.hem_right[0]), max(lm.hem_left[0], lm.hem_right[0])
    waist = hem_w
    if yh > ya:
        # width of the run through the middle, per row
        cx = float(np.clip(round(0.5 * (xl + xr)), 0, w - 1))
        left, right = _Runs(m[ya: yh + 1].astype(np.uint8)).central(cx)
        widths = right - left + 1
        if np.isfinite(widths).any():
            waist = max(float(np.nanmin(widths)), 1.0)
    flare = hem_w / max(waist, 1e-6)
    return GarmentShape(waistband_fill=fill, top_width=float(top_width), side_notch=notch,
                        crotch_gap=crotch, crotch_width=crotch_width, length_ratio=float(length_ratio),
                        sleeve_ratio=sleeve / width, flare=float(flare), has_sleeves=lm.has_sleeves)


def classify_garment(mask: np.ndarray, landmarks: GarmentLandmarks) -> GarmentCategory:
    """The category of the garment whose mask and landmarks are given.

    Bottoms first: a straight waistband as top edge with no armholes or sleeves beside it
    (trousers when two legs leave a gap open at the bottom, else a skirt); then dress or top
    by body length, and the sleeve type by sleeve length (see the module docstring).
    """
    shape = measure_shape(mask, landmarks)
    return category_from_shape(shape)


def category_from_shape(shape: GarmentShape) -> GarmentCategory:
    waistband = shape.waistband_fill >= WAISTBAND_FILL and shape.top_width >= 0.6
    if waistband and shape.crotch_gap > CROTCH_GAP_RATIO and shape.crotch_width < CROTCH_MAX_WIDTH:
        return GarmentCategory.TROUSERS
    if waistband and shape.side_notch < SIDE_NOTCH:
        return GarmentCategory.SKIRT
    if shape.length_ratio >= DRESS_LENGTH_RATIO or (
        shape.length_ratio >= DRESS_LENGTH_RATIO_SLEEVED_OR_FLARED
        and (shape.has_sleeves or shape.flare >= FLARE_RATIO)
    ):
        return GarmentCategory.DRESS
    if not shape.has_sleeves:
        return GarmentCategory.SLEEVELESS_TOP
    if shape.sleeve_ratio >= LONG_SLEEVE_RATIO:
        return GarmentCategory.LONG_SLEEVE_TOP
    return GarmentCategory.SHORT_SLEEVE_TOP
