"""The classical try-on engine: warp by landmarks, then composite in layers.

Layers, back to front: the background (the removed region is filled from background
pixels only), body skin (torso, neck), the garment's torso part, the arms (the photo's own
arm pixels, or arms drawn from the pose in skin tone where none may be used), the garment's
sleeves, and finally the head and hair from the photo. Every pixel outside the changed
region is copied from the input unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from fitroom.geometry import remap, tps_dense_map, tps_fit
from fitroom.imaging.fill import pushpull_field, pushpull_fill
from fitroom.imaging.masks import bbox
from fitroom.labels import ARMS, HEAD, Cihp
from fitroom.person.body import arm_segments, draw_capsules, draw_polygon, leg_segments


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


def shading_map(image: np.ndarray, region: np.ndarray, sigma: float, strength: float = 0.6,
                work_side: int = 384) -> np.ndarray:
    """Folds and light of the clothes in ``region`` as a multiplicative (H, W) map around 1.

    Measured on the garment's main fabric only (pixels whose chroma is near the dominant
    one), so prints, logos and patches of another colour are not copied; elsewhere in the
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


def paint_skin(out: np.ndarray, skin_rgb: np.ndarray, mask: np.ndarray, radius: float,
               limit: np.ndarray | None = None) -> np.ndarray:
    """Composite skin of tone ``skin_rgb`` over ``mask`` into ``out`` (in place), a little
    darker near the mask's edges (roundness), with soft edges; ``limit`` (bool) bounds the
    alpha. Works on the mask's bounding box only."""
    box = _bbox(mask, pad=int(max(2, radius * 0.3)))
    if box is None:
        return out
    x0, y0, x1, y1 = box
    m = mask[y0:y1, x0:x1]
    dist = cv2.distanceTransform(m.astype(np.uint8), cv2.DIST_L2, 3)
    shade = 0.82 + 0.18 * np.clip(dist / max(radius, 1.0), 0, 1)
    rgb = skin_rgb[None, None, :].astype(np.float32) * shade[..., None]
    a = _feather(m, max(0.8, radius * 0.08))
    if limit is not None:
        a = a * limit[y0:y1, x0:x1]
    _over(out[y0:y1, x0:x1], rgb, a)
    return out


def _bbox(mask: np.ndarray, pad: int) -> tuple[int, int, int, int] | None:
    """Bounding box (x0, y0, x1, y1) of ``mask``, grown by ``pad`` and clipped to the image."""
    b = bbox(mask)
    if b is None:
        return None
    h, w = mask.shape
    return max(0, b[0] - pad), max(0, b[1] - pad), min(w, b[2] + pad), min(h, b[3] + pad)


def composite(person, warped: WarpedGarment, removed: np.ndarray, *, keep_photo_arms: bool,
              shading: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Compose the try-on. Returns (image (H, W, 3) uint8, changed-region bool mask).

    Only the bounding box of what can change (the removed region and the warped garment)
    is processed; every other pixel is the photo's.

    Args:
        person: :class:`PersonAnalysis`.
        warped: the garment in person pixels.
        removed: bool region of the photo whose pixels must not be used (old garment, or the
            whole agnostic region in the leak-free protocol).
        keep_photo_arms: use the photo's own arm pixels (False in the leak-free protocol).
        shading: optional multiplicative shading map for the garment.
    """
    img = person.image
    h, w = img.shape[:2]
    soft = max(0.7, 0.004 * max(h, w))
    result = img.copy()
    changed = np.zeros((h, w), bool)
    box = _bbox(removed | (warped.alpha > 0.01), pad=int(3 * soft) + 2)
    if box is None:
        return result, changed
    x0, y0, x1, y1 = box
    ys, xs = slice(y0, y1), slice(x0, x1)
    crop_w = WarpedGarment(rgb=warped.rgb[ys, xs], alpha=warped.alpha[ys, xs], torso_alpha=warped.torso_alpha[ys, xs],
                           sleeve_alpha=warped.sleeve_alpha[ys, xs])
    fy = np.nonzero((person.parse == Cihp.FACE).any(axis=1))[0]
    # the chin from the parse map (not the face mesh, which sees pixels of the removed region)
    chin_y = (float(fy.max()) if len(fy) else person.frame.neck[1] - 0.3 * person.frame.shoulder_width) - y0
    # background behind the removed region, from background pixels only (of the whole photo:
    # the crop may hold little background)
    filled = pushpull_field(img, (person.parse == Cihp.BACKGROUND) & ~removed, box=box, max_side=256)
    out_c, changed_c = _composite_crop(
        img[ys, xs], person.parse[ys, xs], person.frame.shifted(x0, y0), person.skin_rgb, chin_y, crop_w,
        removed[ys, xs], None if shading is None else shading[ys, xs], filled, keep_photo_arms=keep_photo_arms,
        soft=soft)
    result[ys, xs] = out_c
    changed[ys, xs] = changed_c
    return result, changed


def _composite_crop(img, parse, f, skin, chin_y, warped: WarpedGarment, removed, shading, filled, *,
                    keep_photo_arms: bool, soft: float) -> tuple[np.ndarray, np.ndarray]:
    """The layers, on a crop (all arrays and the frame in crop pixels)."""
    h, w = img.shape[:2]
    sw = f.shoulder_width

    # 1. background where the removed region was
    base = np.where(removed[..., None], filled, img.astype(np.float32))

    # 2. body skin under the removed region: torso and neck
    neck_top = np.array([f.neck[0], chin_y]) - f.down * 0.05 * sw
    neck_poly = np.array([neck_top - f.right * 0.17 * sw, neck_top + f.right * 0.17 * sw,
                          f.neck + f.right * 0.2 * sw, f.neck - f.right * 0.2 * sw])
    body = (draw_polygon((h, w), f.torso_polygon(widen=0.95)) | draw_polygon((h, w), neck_poly)) & removed
    head = np.isin(parse, HEAD) & ~removed
    body &= ~head
    out = paint_skin(base, skin, body, 0.25 * sw, limit=removed)
    # legs under a removed dress or skirt (a shorter new garment shows them)
    legs = np.zeros((h, w), bool)
    for side in ("left", "right"):
        legs |= draw_capsules((h, w), leg_segments(f, side), 0.16 * sw)
    legs &= removed & ~body
    paint_skin(out, skin, legs, 0.14 * sw, limit=removed)

    # 3. garment torso part
    g_rgb = warped.rgb if shading is None else warped.rgb * shading[..., None]
    present = warped.alpha > 0.01
    out = _over(out, g_rgb, _feather(warped.torso_alpha > 0.5, soft) * present)

    # 4. arms: the photo's own (they stay in front of the torso), or drawn from the pose
    arm_drawn = np.zeros((h, w), bool)
    for side in ("left", "right"):
        segs = arm_segments(f, side, hand=0.3)
        arm_drawn |= draw_capsules((h, w), segs[:1], 0.105 * sw) | draw_capsules((h, w), segs[1:], 0.085 * sw)
    arm_drawn &= removed  # only where no arm pixel may be used, or where old sleeves hid it
    paint_skin(out, skin, arm_drawn, 0.1 * sw)
    if keep_photo_arms:
        photo_arms = np.isin(parse, ARMS) & ~removed
        out = _over(out, img.astype(np.float32), _feather(photo_arms, soft * 0.7) * photo_arms)

    # 5. sleeves over the arms
    out = _over(out, g_rgb, _feather(warped.sleeve_alpha > 0.5, soft) * present)

    # 6. head and hair in front of everything
    out = _over(out, img.astype(np.float32), _feather(head, soft * 0.5) * head)

    changed = (removed | present | arm_drawn) & ~head
    result = np.clip(out + 0.5, 0, 255).astype(np.uint8)
    result[~changed] = img[~changed]
    return result, changed
