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
from fitroom.imaging.fill import pushpull_fill
from fitroom.labels import ARMS, HEAD, Cihp
from fitroom.person.body import arm_segments, draw_capsules, draw_polygon


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

    Args:
        garment: the analysed product photo (image, mask, torso_mask, sleeve_masks).
        placement: :class:`GarmentPlacement` (garment px -> person px).
        out_size: (width, height) of the person photo.
    """
    w, h = out_size

    def warp(p, image, masks):
        params = tps_fit(p.dst, p.src, regularization)
        mx, my = tps_dense_map(params, out_size, grid_step)
        rgb = remap(image, mx, my, border_value=(255, 255, 255)).astype(np.float32)
        m = remap(masks, mx, my, border_value=0)
        return rgb, (m.astype(np.float32) / 255.0).reshape(h, w, -1)

    sl, sr = garment.sleeve_masks
    u8 = lambda m: m.astype(np.uint8) * 255  # noqa: E731
    rgb, m = warp(placement.torso, garment.image, np.dstack([u8(garment.torso_mask), u8(garment.mask)]))
    torso_a = m[..., 0] * _torso_guard(placement.torso, (h, w))
    sleeve_rgb = np.zeros_like(rgb)
    sleeve_a = np.zeros((h, w), np.float32)
    for side, mask in (("left", sl), ("right", sr)):
        if side not in placement.sleeves or not mask.any():
            continue
        sp = placement.sleeves[side]
        s_rgb, s_m = warp(sp, garment.image, u8(mask))
        a = s_m[..., 0] * _region_guard(sp.region, (h, w), grow=0.15)
        sleeve_rgb = sleeve_rgb * (1 - a[..., None]) + s_rgb * a[..., None]
        sleeve_a = np.maximum(sleeve_a, a)
    # one colour image: sleeves where they are, torso elsewhere
    out_rgb = np.where(sleeve_a[..., None] > 0, sleeve_rgb / np.maximum(sleeve_a[..., None], 1e-6), rgb)
    alpha = np.maximum(torso_a, sleeve_a)
    return WarpedGarment(rgb=out_rgb.astype(np.float32), alpha=alpha, torso_alpha=torso_a, sleeve_alpha=sleeve_a)


def _region_guard(poly: np.ndarray, shape: tuple[int, int], grow: float) -> np.ndarray:
    """1 inside the convex hull of ``poly`` grown by ``grow`` x its width, else 0: a spline
    driven by odd landmarks can fold and throw garment pixels far from where they belong."""
    hull = cv2.convexHull(np.asarray(poly, np.float32))
    m = np.zeros(shape, np.uint8)
    cv2.fillConvexPoly(m, np.round(hull).astype(np.int32), 1)
    span = float(min(np.ptp(poly[:, 0]), np.ptp(poly[:, 1]))) if len(poly) else 0.0
    r = max(1, int(grow * span))
    m = cv2.dilate(m, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1)))
    return m.astype(np.float32)


def _torso_guard(torso, shape: tuple[int, int]) -> np.ndarray:
    pts = np.array([p for p, n in zip(torso.dst, torso.names) if not n.startswith("corner")])
    return _region_guard(pts, shape, grow=0.2)


def _feather(mask: np.ndarray, radius: float) -> np.ndarray:
    m = mask.astype(np.float32)
    if radius <= 0.3:
        return m
    k = int(2 * round(2 * radius) + 1)
    return cv2.GaussianBlur(m, (k, k), radius)


def _over(dst: np.ndarray, src: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    a = alpha[..., None]
    return dst * (1 - a) + src * a


def shading_map(image: np.ndarray, region: np.ndarray, sigma: float, strength: float = 0.6) -> np.ndarray:
    """Folds and light of the clothes in ``region`` as a multiplicative (H, W) map around 1.

    Measured on the garment's main fabric only (pixels whose chroma is near the dominant
    one), so prints, logos and patches of another colour are not copied; elsewhere in the
    region the map is interpolated from the fabric around them. The luminance is divided by
    its own wide blur (normalised inside the fabric, so edges do not darken), clipped to
    [0.7, 1.2] and softened by ``strength``. 1 outside the region.
    """
    if not region.any():
        return np.ones(region.shape, np.float32)
    lab = cv2.cvtColor(image.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)
    ab = lab[..., 1:]
    med = np.median(ab[region], axis=0)
    d = np.linalg.norm(ab - med, axis=-1)
    main = region & (d < max(8.0, 2.5 * float(np.median(d[region]))))
    if main.sum() < 0.2 * region.sum():
        main = region
    lum = cv2.GaussianBlur(lab[..., 0], (0, 0), max(0.5, 0.12 * sigma)) + 5.0  # folds, not weave or lace
    r = main.astype(np.float32)
    num = cv2.GaussianBlur(lum * r, (0, 0), sigma)
    den = cv2.GaussianBlur(r, (0, 0), sigma)
    base = num / np.maximum(den, 1e-3)
    ratio = np.where(main, lum / np.maximum(base, 1e-3), 1.0).astype(np.float32)
    ratio = np.clip(ratio, 0.7, 1.2)
    if (region & ~main).any():
        ratio = np.where(region & ~main, pushpull_fill(ratio, main), ratio)
    ratio = np.where(region, ratio, 1.0) ** strength
    return cv2.GaussianBlur(ratio.astype(np.float32), (0, 0), 1.0)


def skin_layer(shape: tuple[int, int], skin_rgb: np.ndarray, mask: np.ndarray, radius: float) -> tuple[np.ndarray, np.ndarray]:
    """Skin of tone ``skin_rgb`` over ``mask``, a little darker near its edges (roundness)."""
    dist = cv2.distanceTransform(mask.astype(np.uint8), cv2.DIST_L2, 3)
    shade = 0.82 + 0.18 * np.clip(dist / max(radius, 1.0), 0, 1)
    rgb = skin_rgb[None, None, :].astype(np.float32) * shade[..., None]
    return rgb, _feather(mask, max(0.8, radius * 0.08))


def composite(person, warped: WarpedGarment, removed: np.ndarray, *, keep_photo_arms: bool,
              shading: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Compose the try-on. Returns (image (H, W, 3) uint8, changed-region bool mask).

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
    f = person.frame
    sw = f.shoulder_width
    parse = person.parse
    soft = max(0.7, 0.004 * max(h, w))

    # 1. background behind the removed region, from background pixels only
    known_bg = (parse == Cihp.BACKGROUND) & ~removed
    base = img.astype(np.float32)
    if removed.any():
        filled = pushpull_fill(img, known_bg)
        base = np.where(removed[..., None], filled, base)

    # 2. body skin under the removed region: torso and neck
    # the chin from the parse map (not the face mesh, which sees pixels of the removed region)
    fy = np.nonzero((parse == Cihp.FACE).any(axis=1))[0]
    chin_y = float(fy.max()) if len(fy) else f.neck[1] - 0.3 * sw
    neck_top = np.array([f.neck[0], chin_y]) - f.down * 0.05 * sw
    neck_poly = np.array([neck_top - f.right * 0.17 * sw, neck_top + f.right * 0.17 * sw,
                          f.neck + f.right * 0.2 * sw, f.neck - f.right * 0.2 * sw])
    body = (draw_polygon((h, w), f.torso_polygon(widen=0.95)) | draw_polygon((h, w), neck_poly)) & removed
    body &= ~np.isin(parse, HEAD)
    skin_rgb, skin_a = skin_layer((h, w), person.skin_rgb, body, 0.25 * sw)
    out = _over(base, skin_rgb, skin_a * removed)

    # 3. garment torso part
    g_rgb = warped.rgb if shading is None else warped.rgb * shading[..., None]
    torso_a = _feather(warped.torso_alpha > 0.5, soft) * (warped.alpha > 0.01)
    out = _over(out, g_rgb, torso_a)

    # 4. arms: the photo's own (they stay in front of the torso), or drawn from the pose
    arm_drawn = np.zeros((h, w), bool)
    for side in ("left", "right"):
        segs = arm_segments(f, side, hand=0.3)
        arm_drawn |= draw_capsules((h, w), segs[:1], 0.12 * sw) | draw_capsules((h, w), segs[1:], 0.095 * sw)
    if keep_photo_arms:
        photo_arms = np.isin(parse, ARMS) & ~removed
        arm_drawn &= removed  # only where the old sleeves hid the arm
        a_rgb, a_a = skin_layer((h, w), person.skin_rgb, arm_drawn, 0.1 * sw)
        out = _over(out, a_rgb, a_a)  # arms that old sleeves hid, now bare unless new sleeves cover them
        out = _over(out, img.astype(np.float32), _feather(photo_arms, soft * 0.7))
    else:
        arm_drawn &= removed
        a_rgb, a_a = skin_layer((h, w), person.skin_rgb, arm_drawn, 0.1 * sw)
        out = _over(out, a_rgb, a_a)

    # 5. sleeves over the arms
    sleeve_a = _feather(warped.sleeve_alpha > 0.5, soft) * (warped.alpha > 0.01)
    out = _over(out, g_rgb, sleeve_a)

    # 6. head and hair in front of everything
    head = np.isin(parse, HEAD) & ~removed
    out = _over(out, img.astype(np.float32), _feather(head, soft * 0.5) * head)

    changed = removed | (warped.alpha > 0.01) | (arm_drawn & removed)
    changed &= ~head
    result = np.clip(out + 0.5, 0, 255).astype(np.uint8)
    result[~changed] = img[~changed]
    return result, changed
