"""The classical try-on engine: place the garment's landmarks on the body, warp each part
with a thin-plate spline. The layers are composed by :mod:`fitroom.pipelines.compose`, as
for every engine; :func:`shading_map` gives the old garment's folds and light.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from fitroom.geometry import remap, tps_dense_map, tps_fit
from fitroom.imaging.fill import pushpull_fill
from fitroom.imaging.masks import bbox
from fitroom.labels import UPPER_BODY_GARMENT, Cihp, GarmentCategory
from fitroom.person.body import across_body, along_body, arm_segments, draw_capsules
from fitroom.pipelines.compose import GarmentLayer
from fitroom.pipelines.placement import GarmentPlacement, place_garment
from fitroom.pipelines.regions import EditRegions, Protocol


@dataclass(frozen=True)
class WarpedGarment:
    """The garment resampled into the person photo: (H, W, 3) float32 RGB and float32 alphas."""

    rgb: np.ndarray
    alpha: np.ndarray  # whole garment
    torso_alpha: np.ndarray
    sleeve_alpha: np.ndarray


def warp_garment(garment, placement, out_size: tuple[int, int], regularization: float = 1e-3,
                 grid_step: int = 8) -> WarpedGarment:
    """Warp a :class:`GarmentAnalysis` into the person photo: torso and each sleeve with its own spline.

    Each part is mapped only inside its guard region (the hull of its body-side control
    points, grown), which bounds the work and keeps a folded spline from throwing garment
    pixels across the photo.

    Args:
        garment: the analysed product photo (image, mask, torso_mask, sleeve_masks).
        placement: :class:`GarmentPlacement` (garment px -> person px).
        out_size: (width, height) of the person photo.
    """
    w, h = out_size
    rgb = np.full((h, w, 3), 255, np.uint8)
    torso_a = np.zeros((h, w), np.float32)
    whole_a = np.zeros((h, w), np.float32)
    sleeve_a = np.zeros((h, w), np.float32)
    u8 = lambda m: m.astype(np.uint8) * 255  # noqa: E731

    def warp(part, guard_pts, grow, masks):
        box = _guard_box(guard_pts, grow, (h, w))
        if box is None:
            return None
        x0, y0, x1, y1 = box
        try:
            params = tps_fit(part.dst, part.src, regularization)
        except ValueError:  # degenerate landmarks (e.g. a sleeve reduced to a line): skip the part
            return None
        mx, my = tps_dense_map(params, (x1 - x0, y1 - y0), grid_step, origin=(x0, y0))
        c = remap(garment.image, mx, my, border_value=(255, 255, 255))
        m = remap(masks, mx, my, border_value=0).reshape(y1 - y0, x1 - x0, -1).astype(np.float32) / 255.0
        guard = _region_guard(guard_pts - np.array([x0, y0]), (y1 - y0, x1 - x0), grow)
        return box, c, m * guard[..., None]

    torso_pts = np.array([p for p, n in zip(placement.torso.dst, placement.torso.names) if not n.startswith("corner")])
    res = warp(placement.torso, torso_pts, 0.2, np.dstack([u8(garment.torso_mask), u8(garment.mask)]))
    if res is not None:
        (x0, y0, x1, y1), c, m = res
        rgb[y0:y1, x0:x1] = c
        torso_a[y0:y1, x0:x1] = m[..., 0]
        whole_a[y0:y1, x0:x1] = m[..., 1]
    for side, mask in zip(("left", "right"), garment.sleeve_masks):
        if side not in placement.sleeves or not mask.any():
            continue
        sp = placement.sleeves[side]
        res = warp(sp, sp.region, 0.15, u8(mask))
        if res is None:
            continue
        (x0, y0, x1, y1), c, m = res
        a = m[..., 0]
        on = a > 0
        win = rgb[y0:y1, x0:x1]
        win[on] = c[on]
        sleeve_a[y0:y1, x0:x1] = np.maximum(sleeve_a[y0:y1, x0:x1], a)
    alpha = np.maximum(np.maximum(torso_a, whole_a * (torso_a > 0)), sleeve_a)
    return WarpedGarment(rgb=rgb.astype(np.float32), alpha=alpha, torso_alpha=torso_a, sleeve_alpha=sleeve_a)


def _guard_box(pts: np.ndarray, grow: float, shape: tuple[int, int]) -> tuple[int, int, int, int] | None:
    """Integer bounding box (x0, y0, x1, y1) of the grown hull of ``pts``, clipped to the image."""
    pts = np.asarray(pts, np.float64)
    c = pts.mean(0)
    g = c + (pts - c) * (1 + grow)
    h, w = shape
    x0, y0 = np.floor(g.min(0)).astype(int) - 1
    x1, y1 = np.ceil(g.max(0)).astype(int) + 2
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    return None if x0 >= x1 or y0 >= y1 else (int(x0), int(y0), int(x1), int(y1))


def _region_guard(poly: np.ndarray, shape: tuple[int, int], grow: float) -> np.ndarray:
    """1 inside the convex hull of ``poly`` grown by ``grow`` x its size about its centre,
    else 0: a spline driven by odd landmarks can fold and throw garment pixels far from
    where they belong."""
    pts = np.asarray(poly, np.float64)
    c = pts.mean(0)
    hull = cv2.convexHull((c + (pts - c) * (1 + grow)).astype(np.float32)).reshape(-1, 2)
    m = np.zeros(shape, np.uint8)
    cv2.fillConvexPoly(m, np.round(hull).astype(np.int32), 1)
    return m.astype(np.float32)


def _feather(mask: np.ndarray, radius: float) -> np.ndarray:
    m = mask.astype(np.float32)
    if radius <= 0.3:
        return m
    k = int(2 * round(2 * radius) + 1)
    return cv2.GaussianBlur(m, (k, k), radius)


def _over(dst: np.ndarray, src: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """``dst`` with ``src`` composited over it by ``alpha`` (in place, on alpha's bounding box)."""
    rows, cols = np.nonzero(alpha.any(axis=1))[0], np.nonzero(alpha.any(axis=0))[0]
    if len(rows) == 0:
        return dst
    ys, xs = slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)
    a = alpha[ys, xs, None]
    d = dst[ys, xs]
    s = src[ys, xs] if src.shape[:2] == dst.shape[:2] else src
    d += (s - d) * a
    return dst


#: the lightness range (times the fabric's median L*) that folds and light give one fabric;
#: pixels outside it are a print or trim of another tone
FABRIC_L_RANGE = (0.55, 1.45)


def shading_map(image: np.ndarray, region: np.ndarray, sigma: float, strength: float = 0.6,
                work_side: int = 384) -> np.ndarray:
    """Folds and light of the clothes in ``region`` as a multiplicative (H, W) map around 1.

    Measured on the garment's main fabric only (pixels whose chroma is near the dominant
    one and whose lightness is within :data:`FABRIC_L_RANGE` of its median), so prints,
    lace, logos and patches of another colour or tone are not copied; elsewhere in the
    region the map is interpolated from the fabric around them. The luminance is divided by
    its own wide blur (normalised inside the fabric, so edges do not darken), clipped to
    [0.7, 1.2] and softened by ``strength``. 1 outside the region. Folds are smooth, so the
    map is computed at a long side of ``work_side`` and upsampled.
    """
    h, w = region.shape
    if not region.any():
        return np.ones((h, w), np.float32)
    f = max(1.0, max(h, w) / work_side)
    if f > 1:
        size = (max(1, round(w / f)), max(1, round(h / f)))
        img = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        reg = cv2.resize(region.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST).astype(bool)
        sigma = sigma / f
    else:
        img, reg = image, region
    if not reg.any():
        return np.ones((h, w), np.float32)
    lab = cv2.cvtColor(img.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)
    ab = lab[..., 1:]
    med = np.median(ab[reg], axis=0)
    d = np.linalg.norm(ab - med, axis=-1)
    main = reg & (d < max(8.0, 2.5 * float(np.median(d[reg]))))
    # and of its main lightness: black lace or a white print on grey fabric has the fabric's
    # (lack of) chroma, but no fold darkens or lightens a fabric this much
    if main.any():
        L = lab[..., 0]
        ref = float(np.median(L[main]))
        main &= (L >= FABRIC_L_RANGE[0] * ref - 3.0) & (L <= FABRIC_L_RANGE[1] * ref + 3.0)
    if main.sum() < 0.2 * reg.sum():
        main = reg
    r = main.astype(np.float32)
    # a light blur drops weave and lace (normalised inside the fabric: no rim from the backdrop)
    s0 = max(0.5, 0.12 * sigma)
    lum = cv2.GaussianBlur(lab[..., 0] * r, (0, 0), s0) / np.maximum(cv2.GaussianBlur(r, (0, 0), s0), 1e-3) + 5.0
    num = cv2.GaussianBlur(lum * r, (0, 0), sigma)
    den = cv2.GaussianBlur(r, (0, 0), sigma)
    base = num / np.maximum(den, 1e-3)
    ratio = np.where(main, lum / np.maximum(base, 1e-3), 1.0).astype(np.float32)
    ratio = np.clip(ratio, 0.7, 1.2)
    if (reg & ~main).any():
        ratio = np.where(reg & ~main, pushpull_fill(ratio, main), ratio)
    ratio = (np.where(reg, ratio, 1.0) ** strength).astype(np.float32)
    ratio = cv2.GaussianBlur(ratio, (0, 0), 1.0)
    if f > 1:
        ratio = cv2.resize(ratio, (w, h), interpolation=cv2.INTER_LINEAR)
    return np.where(region, ratio, 1.0).astype(np.float32)


def body_width_profile(pa):
    """``f(side, t) -> half-width``: how far the torso (its clothes and skin, arms excluded)
    reaches on one side at ``t`` torso lengths below the neck, from the parse map; ``None``
    where it cannot be measured."""
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


class ClassicalEngine:
    """Landmark placement (:func:`place_garment`) and a thin-plate-spline warp per part: the
    garment layer for :func:`~fitroom.pipelines.compose.compose`. Needs no weights."""

    name = "classical"

    def render(self, pa, ga, regions: EditRegions) -> tuple[GarmentLayer, tuple[GarmentPlacement, WarpedGarment]]:
        h, w = pa.image.shape[:2]
        is_dress = ga.category == GarmentCategory.DRESS
        placement = place_garment(ga.landmarks, pa.frame, (ga.image.shape[1], ga.image.shape[0]),
                                  has_sleeves=ga.category.has_sleeves or (is_dress and ga.landmarks.has_sleeves),
                                  is_dress=is_dress,
                                  # the everyday try-on may look at the body's width; the leak-free one may not
                                  body_width=body_width_profile(pa) if regions.protocol == Protocol.PHOTO else None)
        warped = _close_seams(warp_garment(ga, placement, (w, h)), 0.05 * pa.frame.shoulder_width)
        soft = max(0.7, 0.004 * max(h, w))
        present = (warped.alpha > 0.01).astype(np.float32)
        torso = _feather(warped.torso_alpha > 0.5, soft) * present
        sleeve = _feather(warped.sleeve_alpha > 0.5, soft) * present
        layer = GarmentLayer(rgb=warped.rgb, alpha=np.maximum(torso, sleeve), torso_alpha=torso, sleeve_alpha=sleeve)
        return layer, (placement, warped)


def _close_seams(warped: WarpedGarment, radius: float) -> WarpedGarment:
    """Close the slits where separately warped parts (torso, sleeves) do not quite meet: gaps
    narrower than ``2 * radius`` px between them become garment, coloured from the garment
    around them (the torso part; a sleeve never comes loose from its armhole). Works on the
    box around the sleeves only (where the parts meet)."""
    sleeves = warped.sleeve_alpha > 0.5
    b = bbox(sleeves)
    if b is None or not (warped.torso_alpha > 0.5).any():
        return warped
    r = max(1, int(round(radius)))
    h, w = sleeves.shape
    x0, y0, x1, y1 = max(0, b[0] - 3 * r), max(0, b[1] - 3 * r), min(w, b[2] + 3 * r), min(h, b[3] + 3 * r)
    win = (slice(y0, y1), slice(x0, x1))
    solid = warped.alpha[win] > 0.5
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
    near = lambda m: cv2.dilate(m.astype(np.uint8), k).astype(bool)  # noqa: E731
    gap = cv2.morphologyEx(solid.astype(np.uint8), cv2.MORPH_CLOSE, k).astype(bool) & ~solid
    # only between the parts: next to both a sleeve and the torso
    gap &= near(sleeves[win]) & near(warped.torso_alpha[win] > 0.5)
    if not gap.any():
        return warped
    from fitroom.imaging.fill import pushpull_field

    rgb, torso = warped.rgb.copy(), warped.torso_alpha.copy()
    field = pushpull_field(warped.rgb[win], solid, max_side=256)
    rgb[win][gap] = field[gap]
    torso[win][gap] = 1.0
    return WarpedGarment(rgb=rgb, alpha=np.maximum(warped.alpha, torso), torso_alpha=torso,
                         sleeve_alpha=warped.sleeve_alpha)
