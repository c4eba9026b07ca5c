"""Render one synthetic sample: a person wearing a garment, and its product photo.

Painting order (back to front): background, back hair, legs, torso skin and neck, lower
garment, the worn garment's torso part, then each arm (skin, its sleeve, the hand), the head
and face, the front hair. The parse map and DensePose map are set by the same coverages.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from fitroom.geometry.curves import catmull_rom

from fitroom.garment.landmarks import GarmentLandmarks
from fitroom.labels import Cihp, GarmentCategory

from .body import (Skeleton, build_skeleton, cylinder_normal, ellipse_field, grid, keypoints, lambert, limb_field,
                   poly_coverage, roi_of)
from .canvas import DP, Canvas
from .face import paint_back_hair, paint_front_hair, paint_head
from .garments import Product, arm_chain, render_product, worn_sleeve, worn_torso
from .params import MONK_SKIN_TONES, SampleParams


@dataclass(frozen=True)
class RenderedSample:
    """Everything one sample holds. Images are RGB uint8 of ``size = (height, width)``."""

    image: np.ndarray  # the person
    parse: np.ndarray  # (H, W) uint8 CIHP ids
    keypoints: np.ndarray  # (25, 3) float32 BODY_25
    densepose: np.ndarray  # (H, W, 3) uint8, see fitroom.data.synth.canvas
    garment_image: np.ndarray  # the product photo
    garment_mask: np.ndarray  # (H, W) bool
    garment_landmarks: GarmentLandmarks
    worn_mask: np.ndarray  # (H, W) bool: where the garment was drawn (before anything in front of it)
    texture_coords: np.ndarray  # (H, W, 2) float32 product-photo xy of each worn pixel (NaN elsewhere)
    meta: dict


def _background(p: SampleParams, size) -> np.ndarray:
    H, W = size
    sc = p.scene
    c1 = np.asarray(sc.bg_colour, np.float32) / 255
    c2 = np.asarray(sc.bg_colour2, np.float32) / 255
    img = np.empty((H, W, 3), np.float32)
    if sc.background == "plain":
        img[:] = c1
    elif sc.background == "gradient":
        rng = np.random.default_rng(sc.bg_seed)
        ang = rng.uniform(0, 2 * np.pi)
        yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
        if rng.random() < 0.4:  # radial
            t = np.sqrt(((xx - W / 2) / W) ** 2 + ((yy - H * 0.4) / H) ** 2) * 1.6
        else:
            t = ((xx / W - 0.5) * np.cos(ang) + (yy / H - 0.5) * np.sin(ang)) + 0.5
        t = np.clip(t, 0, 1)[..., None]
        img[:] = c1 * (1 - t) + c2 * t
    else:  # textured: multi-octave smooth noise, sometimes with a floor line
        rng = np.random.default_rng(sc.bg_seed)
        tex = np.zeros((H, W), np.float32)
        for octave, amp in ((4, 0.5), (12, 0.3), (40, 0.2)):
            n = rng.standard_normal((octave * H // W + 2, octave + 2)).astype(np.float32)
            tex += amp * cv2.resize(n, (W, H), interpolation=cv2.INTER_CUBIC)
        tex = (tex - tex.mean()) / (tex.std() + 1e-6)
        t = np.clip(0.5 + 0.25 * tex, 0, 1)[..., None]
        img[:] = c1 * (1 - t) + c2 * t
        if rng.random() < 0.5:
            fy = int(H * rng.uniform(0.75, 0.95))
            img[fy:] *= np.float32(rng.uniform(0.7, 0.9))
    return img


def _skin(p: SampleParams) -> np.ndarray:
    base = np.asarray(MONK_SKIN_TONES[p.skin_tone - 1], np.float32) / 255
    return np.clip(base * np.asarray(p.skin_jitter, np.float32), 0, 1)


def _torso_polygon(sk: Skeleton) -> np.ndarray:
    h = sk.h
    sides = []
    for sg, sh in ((-1.0, sk.shoulder_r), (1.0, sk.shoulder_l)):
        half = abs(sh[0] - sk.cx)
        pts = [
            (sk.cx + sg * sk.neck_w, sk.neck_base_y),
            (sk.cx + sg * (half * 0.75), sh[1] - sk.arm_r * 0.75),
            (sk.cx + sg * (half + sk.arm_r * 0.35), sh[1] - sk.arm_r * 0.25),
            (sk.cx + sg * (half + sk.arm_r * 0.3), sh[1] + 0.25 * h),
            (sk.cx + sg * sk.chest_w, sk.armpit_y),
            (sk.cx + sg * sk.waist_w, sk.waist_y),
            (sk.cx + sg * sk.hip_w, sk.hip_y + 0.15 * h),
            (sk.cx + sg * sk.hip_w * 0.96, sk.crotch_y),
            (sk.cx, sk.crotch_y + 0.1 * h),
        ]
        sides.append(catmull_rom(np.array(pts), 6))
    return np.vstack([sides[0], sides[1][::-1]])



def _limb_shade(fld, light, ambient) -> np.ndarray:
    v = np.clip(fld.s / np.maximum(fld.r, 1e-3), -1, 1)
    nx, ny, nz = cylinder_normal(v * np.float32(0.9), fld.nx, fld.ny)
    return lambert(nx, ny, nz, light, ambient)


def _paint_legs(cv: Canvas, sk: Skeleton, skin, light, ambient, size) -> dict:
    fields = {}
    for side, hip, knee, ankle, label, dpu, dpl, sg in (
            ("right", sk.hip_r, sk.knee_r, sk.ankle_r, Cihp.RIGHT_LEG, DP.UPPER_LEG_RIGHT, DP.LOWER_LEG_RIGHT, -1.0),
            ("left", sk.hip_l, sk.knee_l, sk.ankle_l, Cihp.LEFT_LEG, DP.UPPER_LEG_LEFT, DP.LOWER_LEG_LEFT, 1.0)):
        joints = [hip, knee, ankle]
        radii = [sk.leg_r, sk.leg_r * 0.66, sk.leg_r * 0.42]
        roi = roi_of(np.array(joints), sk.leg_r + 2, size)
        if roi is None:
            continue
        fld = limb_field(joints, radii, sg, roi, extend_start=False)
        lt = np.linalg.norm(knee - hip)
        part = np.where(fld.seg == 0, np.uint8(dpu), np.uint8(dpl))
        u = np.where(fld.seg == 0, fld.t / lt, (fld.t - lt) / np.linalg.norm(ankle - knee))
        v = np.clip(fld.s / np.maximum(fld.r, 1e-3) * 0.5 + 0.5, 0, 1)
        cv.paint(roi, fld.cov, skin, shade=_limb_shade(fld, light, ambient), label=label, dp=(part, np.clip(u, 0, 1), v))
        fields[side] = (joints, radii, sg)
    return fields


def _paint_lower(cv: Canvas, p: SampleParams, sk: Skeleton, light, ambient, size) -> None:
    lo = p.lower
    if lo.kind == "none":
        return
    col = np.asarray(lo.colour, np.float32) / 255
    h = sk.h
    rng = np.random.default_rng(p.noise_seed + 7)
    band = sk.waist_y + 0.15 * h
    if lo.kind == "skirt":
        hem = sk.hip_y + lo.length * h
        ys = np.linspace(band, hem, 12)
        top_w = float(sk.half_width_at(band)) * 1.03
        xs = np.maximum(sk.half_width_at(ys) * 1.04, top_w + (sk.hip_w * lo.flare - top_w) * ((ys - band) / (hem - band)) ** 0.8)
        right = np.stack([sk.cx - xs, ys], 1)
        left = np.stack([sk.cx + xs, ys], 1)[::-1]
        t = np.linspace(0, 1, 12)
        hem_curve = np.stack([sk.cx - xs[-1] + 2 * xs[-1] * t, hem + 0.06 * h * np.sin(np.pi * t)], 1)
        poly = np.vstack([right, hem_curve[1:-1], left])
        roi = roi_of(poly, 2, size)
        if roi is None:
            return
        cov = poly_coverage([poly], roi)
        xx, yy = grid(roi)
        v = np.clip((xx - np.float32(sk.cx)) / np.float32(xs[-1]), -1, 1)
        nx, ny, nz = cylinder_normal(v * np.float32(0.8), np.float32(1), np.float32(0))
        pleat = np.sin((xx - np.float32(sk.cx)) * np.float32(2 * np.pi / (0.35 * h))) * np.clip((yy - np.float32(sk.hip_y)) / np.float32(2 * h), 0, 1)
        shade = lambert(nx + np.float32(0.25) * pleat, ny, nz, light, ambient)
        cv.paint(roi, cov, col, shade=shade, label=Cihp.SKIRT)
        return
    # trousers, jeans, shorts: a pelvis piece and two legs
    polys = []
    ys = np.linspace(band, sk.crotch_y + 0.15 * h, 6)
    xs = sk.half_width_at(ys) * 1.05
    polys.append(np.vstack([np.stack([sk.cx - xs, ys], 1), np.stack([sk.cx + xs, ys], 1)[::-1]]))
    roi = roi_of(polys[0], 2, size)
    if roi is not None:
        cov = poly_coverage(polys, roi)
        xx, yy = grid(roi)
        v = np.clip((xx - np.float32(sk.cx)) / np.float32(xs.max()), -1, 1)
        nx, ny, nz = cylinder_normal(v * np.float32(0.8), np.float32(1), np.float32(0))
        cv.paint(roi, cov, col, shade=lambert(nx, ny, nz, light, ambient), label=Cihp.PANTS)
    for hip, knee, ankle, sg in ((sk.hip_r, sk.knee_r, sk.ankle_r, -1.0), (sk.hip_l, sk.knee_l, sk.ankle_l, 1.0)):
        if lo.kind == "shorts":
            d = knee - hip
            end = hip + d * min(lo.length * h / np.linalg.norm(d), 0.95)
            joints = [hip, end]
            radii = [sk.leg_r * 1.3, sk.leg_r * 1.25]
        else:
            joints = [hip, knee, ankle]
            wide = 1.12 if lo.kind == "jeans" else rng.uniform(1.15, 1.45)
            radii = [sk.leg_r * 1.12, sk.leg_r * 0.66 * wide, sk.leg_r * 0.5 * wide]
        roi = roi_of(np.array(joints), max(radii) + 2, size)
        if roi is None:
            continue
        fld = limb_field(joints, radii, sg, roi, extend_start=False)
        shade = _limb_shade(fld, light, ambient)
        tex = col[None, None, :]
        if lo.kind == "jeans":
            xx, yy = grid(roi)
            twill = np.sin((xx + yy) * np.float32(2 * np.pi / max(1.5, 0.04 * h)))
            tex = tex * (1 + np.float32(0.05) * twill)[..., None]
            # faded front of the thigh
            fade = np.exp(-((fld.s / np.maximum(fld.r, 1)) ** 2) / 0.2) * np.exp(-((fld.t - 0.6 * np.linalg.norm(knee - hip)) / (0.8 * h)) ** 2)
            tex = tex * (1 + np.float32(0.25) * fade)[..., None]
        cv.paint(roi, fld.cov, tex, shade=shade, label=Cihp.PANTS)


def _paint_arm(cv: Canvas, sk: Skeleton, side: str, skin, light, ambient, size, sleeve, garment_label: int) -> None:
    joints, radii, sg = arm_chain(sk, side)
    label = Cihp.RIGHT_ARM if side == "right" else Cihp.LEFT_ARM
    dpu, dpl, dph = ((DP.UPPER_ARM_RIGHT, DP.LOWER_ARM_RIGHT, DP.RIGHT_HAND) if side == "right"
                     else (DP.UPPER_ARM_LEFT, DP.LOWER_ARM_LEFT, DP.LEFT_HAND))
    roi = roi_of(np.array(joints), radii[0] + 2, size)
    if roi is not None:
        fld = limb_field(joints, radii, sg, roi)
        l1 = float(np.linalg.norm(joints[1] - joints[0]))
        l2 = float(np.linalg.norm(joints[2] - joints[1]))
        part = np.where(fld.seg == 0, np.uint8(dpu), np.uint8(dpl))
        u = np.where(fld.seg == 0, fld.t / l1, (fld.t - l1) / l2)
        v = np.clip(fld.s / np.maximum(fld.r, 1e-3) * 0.5 + 0.5, 0, 1)
        cv.paint(roi, fld.cov, skin, shade=_limb_shade(fld, light, ambient), label=label, dp=(part, np.clip(u, 0, 1), v))
    if sleeve is not None:
        cv.paint(sleeve.roi, sleeve.cov, sleeve.rgb, label=garment_label)
    # the hand: a palm ellipse continuing the forearm, and a thumb
    e, w = joints[1], joints[2]
    d = (w - e) / (np.linalg.norm(w - e) + 1e-6)
    ang = float(np.arctan2(d[1], d[0]))
    hl, hw = sk.hand * 0.5, radii[2] * 1.25
    c = w + d * hl * 0.85
    roi = roi_of(c, hl + 2, size)
    if roi is None:
        return
    cov, u, v = ellipse_field(c, hl, hw, ang, roi)
    tc = w + d * hl * 0.5 + np.array([-d[1], d[0]]) * (-sg) * hw * 0.9
    cov_t, _, _ = ellipse_field(tc, hl * 0.45, hw * 0.4, ang + 0.5 * sg, roi)
    cov = np.maximum(cov, cov_t)
    nx, ny, nz = cylinder_normal(np.clip(v, -1, 1) * np.float32(0.8), np.float32(-d[1]), np.float32(d[0]))
    # finger separation lines near the tip
    fing = 1 - np.float32(0.12) * (np.clip(u, 0.2, 1) > 0.21) * (np.abs(np.sin(v * np.float32(2 * np.pi))) < 0.25)
    cv.paint(roi, cov, skin * 0.97, shade=lambert(nx, ny, nz, light, ambient) * fing, label=label,
             dp=(dph, np.clip(u * 0.5 + 0.5, 0, 1), np.clip(v * 0.5 + 0.5, 0, 1)))


def _neck(cv: Canvas, sk: Skeleton, skin, light, ambient, size) -> None:
    h = sk.h
    poly = np.array([[sk.cx - sk.neck_w * 0.92, sk.head_c[1] + 0.1 * h], [sk.cx + sk.neck_w * 0.92, sk.head_c[1] + 0.1 * h],
                     [sk.cx + sk.neck_w * 1.05, sk.neck_base_y + 0.2 * h], [sk.cx - sk.neck_w * 1.05, sk.neck_base_y + 0.2 * h]])
    roi = roi_of(poly, 2, size)
    if roi is None:
        return
    cov = poly_coverage([poly], roi)
    xx, yy = grid(roi)
    v = np.clip((xx - np.float32(sk.cx)) / np.float32(sk.neck_w), -1, 1)
    nx, ny, nz = cylinder_normal(v * np.float32(0.9), np.float32(1), np.float32(0))
    chin_shadow = 1 - np.float32(0.3) * np.clip((np.float32(sk.chin_y + 0.2 * h) - yy) / np.float32(0.25 * h), 0, 1)
    vv = np.clip((yy - np.float32(sk.chin_y)) / np.float32(sk.neck_base_y - sk.chin_y + 1), 0, 1)
    cv.paint(roi, cov, skin, shade=lambert(nx, ny, nz, light, ambient) * chin_shadow, label=Cihp.TORSO_SKIN,
             dp=(DP.TORSO, v * 0.5 + 0.5, vv * 0.1))


def render_sample(p: SampleParams, size: tuple[int, int]) -> RenderedSample:
    """Render the sample of parameters ``p`` at ``size = (height, width)``."""
    H, W = int(size[0]), int(size[1])
    if H < 64 or W < 48:
        raise ValueError(f"size must be at least 64x48 (height x width), got {H}x{W}")
    size = (H, W)
    sk = build_skeleton(p, size)
    light, amb = p.scene.light, p.scene.ambient
    skin = _skin(p)
    cv = Canvas(_background(p, size))
    # a soft contact shadow on the backdrop, away from the light
    product = render_product(p.garment, size)
    garment_label = Cihp.DRESS if p.garment.category == GarmentCategory.DRESS else Cihp.UPPER_CLOTHES

    paint_back_hair(cv, sk, p.hair, light, amb, size)
    _paint_legs(cv, sk, skin, light, amb, size)
    # torso skin
    poly = _torso_polygon(sk)
    roi = roi_of(poly, 2, size)
    if roi is not None:
        cov = poly_coverage([poly], roi)
        xx, yy = grid(roi)
        half = np.maximum(sk.half_width_at(yy), 1).astype(np.float32)
        v = np.clip((xx - np.float32(sk.cx)) / half, -1, 1)
        nx, ny, nz = cylinder_normal(v * np.float32(0.85), np.float32(1), np.float32(0))
        vv = np.clip((yy - np.float32(sk.neck_base_y)) / np.float32(sk.crotch_y - sk.neck_base_y), 0, 1)
        cv.paint(roi, cov, skin, shade=lambert(nx, ny, nz, light, amb), label=Cihp.TORSO_SKIN,
                 dp=(DP.TORSO, v * 0.5 + 0.5, np.broadcast_to(vv, v.shape)))
    _neck(cv, sk, skin, light, amb, size)
    _paint_lower(cv, p, sk, light, amb, size)

    worn = np.zeros((H, W), bool)
    tex = np.full((H, W, 2), np.nan, np.float32)
    torso, scale = worn_torso(sk, product, p.garment, light, amb, size)
    if torso is not None:
        m = cv.paint(torso.roi, torso.cov, torso.rgb, label=garment_label)
        x0, y0, x1, y1 = torso.roi
        worn[y0:y1, x0:x1] |= m
        tex[y0:y1, x0:x1][m] = np.stack([torso.map_x, torso.map_y], -1)[m]
    # arm cast shadows on the clothes/torso: darken where an arm lies just beside
    sleeves = {s: worn_sleeve(sk, product, p.garment, s, scale, light, amb, size) for s in ("right", "left")}
    order = ["right", "left"]
    if p.pose.label == "arms_crossed" and (p.noise_seed % 2):
        order = ["left", "right"]
    for side in order:
        sl = sleeves[side]
        _paint_arm(cv, sk, side, skin, light, amb, size, sl, garment_label)
        if sl is not None:
            x0, y0, x1, y1 = sl.roi
            m = sl.cov >= 0.5
            worn[y0:y1, x0:x1] |= m
            tex[y0:y1, x0:x1][m] = np.stack([sl.map_x, sl.map_y], -1)[m]
    paint_head(cv, sk, p.face, skin, p.hair.colour, light, amb, size)
    paint_front_hair(cv, sk, p.hair, light, amb, size, skin)

    # photo finish: exposure, softness, sensor noise
    img = cv.rgb * np.float32(p.scene.exposure)
    sigma = p.scene.blur * H / 256
    if sigma > 0.25:
        img = cv2.GaussianBlur(img, (0, 0), sigma)
    rng = np.random.default_rng(p.noise_seed)
    noise = rng.standard_normal((H, W, 1), dtype=np.float32) * np.float32(p.scene.noise / 255)
    img = img + noise
    image = np.clip(img * 255 + 0.5, 0, 255).astype(np.uint8)

    conf = np.random.default_rng(p.noise_seed + 1).uniform(0.7, 0.97, 25).astype(np.float32)
    kp = keypoints(sk, size, conf)
    meta = {
        "skin_tone": p.skin_tone,
        "body_shape": p.body.shape,
        "category": str(p.garment.category.value),
        "pattern": p.garment.pattern,
        "fit": p.garment.fit,
        "pose": p.pose.label,
        "lower": p.lower.kind,
        "background": p.scene.background,
        "hair": p.hair.style,
        "light_x": round(float(light[0]), 3),
    }
    return RenderedSample(image=image, parse=cv.parse, keypoints=kp, densepose=cv.dp, garment_image=product.image,
                          garment_mask=product.mask, garment_landmarks=product.landmarks, worn_mask=worn,
                          texture_coords=tex, meta=meta)
