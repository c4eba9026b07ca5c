"""Product photos (with printed graphics and text) and their exact worn version.

The product photo is rendered first (:func:`fitroom.data.render_garment.render_garment`, in
flat layout, with its mask and landmarks). The worn garment is then produced by a known
smooth map from body pixels to product pixels:

* the torso part: a thin-plate spline from body target points (neck, shoulders, armpits,
  waist, hem) to the garment landmarks, plus a smooth fold displacement;
* each sleeve: the arm's own coordinates (distance along the bones ``t``, across ``s``)
  mapped bilinearly onto the sleeve quadrilateral of the product (seam -> cuff).

The product image is sampled through that map (``cv2.remap``), so every worn pixel's texture
coordinate is known: the pair (person, product) is exact ground truth.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from fitroom.data.render_garment import PATTERNS, render_garment
from fitroom.garment.landmarks import GarmentLandmarks
from fitroom.geometry.tps import tps_dense_map, tps_fit
from fitroom.labels import GarmentCategory

from .body import Skeleton, cylinder_normal, grid, lambert, limb_field, roi_of
from .params import GarmentParams

_PRINT_COLOURS = ((240, 240, 235), (20, 20, 24), (210, 40, 50), (240, 190, 40), (40, 110, 190), (60, 150, 80), (240, 120, 160))
_FONTS = (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_TRIPLEX, cv2.FONT_HERSHEY_COMPLEX,
          cv2.FONT_HERSHEY_PLAIN)


@dataclass(frozen=True)
class Product:
    """A product photo: ``image`` (H, W, 3) uint8 RGB, exact ``mask`` and parts, landmarks."""

    image: np.ndarray
    mask: np.ndarray
    torso_mask: np.ndarray
    sleeve_masks: tuple[np.ndarray, np.ndarray]  # wearer's left, right
    landmarks: GarmentLandmarks
    category: GarmentCategory
    pattern: str
    colour: tuple[int, int, int]


def _contrast_colour(base: tuple[int, int, int], rng: np.random.Generator) -> np.ndarray:
    lum = 0.299 * base[0] + 0.587 * base[1] + 0.114 * base[2]
    cands = [c for c in _PRINT_COLOURS if abs(0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2] - lum) > 60]
    return np.array(cands[int(rng.integers(len(cands)))] if cands else (20, 20, 24), np.float32)


def _print_layer(g: GarmentParams, lm: GarmentLandmarks, size: tuple[int, int], base) -> tuple[np.ndarray, np.ndarray]:
    """(colour (H, W, 3) float32 0-255, alpha (H, W) float32) of a chest print."""
    H, W = size
    rng = np.random.default_rng(g.print_seed)
    cw = lm.armpit_left[0] - lm.armpit_right[0]
    cx = (lm.neck_left[0] + lm.neck_right[0]) / 2
    top = max(lm.neck_front[1], lm.neck_left[1]) + cw * rng.uniform(0.12, 0.22)
    col = np.zeros((H, W, 3), np.uint8)
    alpha = np.zeros((H, W), np.uint8)
    bw = cw * rng.uniform(0.35, 0.6)
    if g.pattern == "text":
        font = _FONTS[int(rng.integers(len(_FONTS)))]
        thick = int(max(1, round(bw * rng.uniform(0.03, 0.07))))
        (tw, th), _ = cv2.getTextSize(g.print_word, font, 1.0, thick)
        scale = bw / max(tw, 1)
        thick = max(1, int(round(thick * min(scale, 1.5))))
        (tw, th), base_line = cv2.getTextSize(g.print_word, font, scale, thick)
        org = (int(round(cx - tw / 2)), int(round(top + th)))
        c = tuple(int(v) for v in _contrast_colour(base, rng))
        cv2.putText(col, g.print_word, org, font, scale, c, thick, cv2.LINE_AA)
        cv2.putText(alpha, g.print_word, org, font, scale, 255, thick, cv2.LINE_AA)
        if rng.random() < 0.4:  # a second, smaller line (a bar under the word)
            y = int(round(top + th + base_line + thick * 2))
            cv2.line(col, (int(cx - tw / 2), y), (int(cx + tw / 2), y), c, max(1, thick), cv2.LINE_AA)
            cv2.line(alpha, (int(cx - tw / 2), y), (int(cx + tw / 2), y), 255, max(1, thick), cv2.LINE_AA)
    else:  # graphic: a few simple shapes
        cy = top + bw * 0.5
        n = int(rng.integers(1, 4))
        for i in range(n):
            c = tuple(int(v) for v in _contrast_colour(base, rng))
            r = bw * rng.uniform(0.18, 0.45) / (1 + 0.3 * i)
            px = cx + rng.uniform(-0.25, 0.25) * bw
            py = cy + rng.uniform(-0.25, 0.25) * bw
            kind = int(rng.integers(5))
            S = 16
            if kind == 0:
                args = ((int(px * S), int(py * S)), int(r * S))
                cv2.circle(col, *args, c, -1, cv2.LINE_AA, 4)
                cv2.circle(alpha, *args, 255, -1, cv2.LINE_AA, 4)
                continue
            if kind == 1:
                ang = np.linspace(0, 2 * np.pi, 11)[:-1] - np.pi / 2
                rr = np.where(np.arange(10) % 2 == 0, r, r * 0.45)
                pts = np.stack([px + rr * np.cos(ang), py + rr * np.sin(ang)], 1)
            elif kind == 2:
                ang = np.array([-np.pi / 2, np.pi / 6, 5 * np.pi / 6])
                pts = np.stack([px + r * np.cos(ang), py + r * np.sin(ang)], 1)
            elif kind == 3:
                pts = np.array([[px - r, py - r * 0.7], [px + r, py - r * 0.7], [px + r, py + r * 0.7], [px - r, py + r * 0.7]])
            else:  # heart
                t = np.linspace(0, 2 * np.pi, 40, endpoint=False)
                hx = 16 * np.sin(t) ** 3
                hy = -(13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t))
                pts = np.stack([px + hx * r / 17, py + hy * r / 17], 1)
            ip = np.round(pts * S).astype(np.int32).reshape(-1, 1, 2)
            cv2.fillPoly(col, [ip], c, cv2.LINE_AA, 4)
            cv2.fillPoly(alpha, [ip], 255, cv2.LINE_AA, 4)
    return col.astype(np.float32), alpha.astype(np.float32) / 255


def render_product(g: GarmentParams, size: tuple[int, int]) -> Product:
    """The product photo of ``g`` at ``size = (height, width)``."""
    H, W = size
    base_pattern = g.pattern if g.pattern in PATTERNS else "solid"
    rg = render_garment(g.category, size=(W, H), seed=g.seed, pattern=base_pattern)
    image = rg.image
    if g.pattern in ("graphic", "text"):
        col, alpha = _print_layer(g, rg.landmarks, size, rg.colour)
        base = np.maximum(np.asarray(rg.colour, np.float32), 8.0)
        ratio = np.clip(image.astype(np.float32).mean(-1) / base.mean(), 0.4, 1.3)
        a = (alpha * rg.torso_mask)[..., None]
        image = np.clip(image * (1 - a) + col * ratio[..., None] * a + 0.5, 0, 255).astype(np.uint8)
    return Product(image=image, mask=rg.mask, torso_mask=rg.torso_mask, sleeve_masks=rg.sleeve_masks,
                   landmarks=rg.landmarks, category=rg.category, pattern=g.pattern, colour=rg.colour)


def _bleed(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Extend the garment colours a few pixels outside the mask (no light fringe when sampling)."""
    m = mask.astype(np.float32)
    img = image.astype(np.float32)
    num = cv2.GaussianBlur(img * m[..., None], (7, 7), 0)
    den = cv2.GaussianBlur(m, (7, 7), 0)[..., None]
    ext = num / np.maximum(den, 1e-3)
    out = np.where(mask[..., None], img, np.where(den > 1e-3, ext, img))
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


@dataclass(frozen=True)
class WornPart:
    """One drawn part of the worn garment, inside ``roi``."""

    roi: tuple[int, int, int, int]
    cov: np.ndarray  # coverage 0..1
    rgb: np.ndarray  # shaded colour 0..1
    map_x: np.ndarray  # product-photo x of each pixel
    map_y: np.ndarray


def _surface_y(sk: Skeleton, dx: float, side_y: float) -> float:
    """Height of the top of the shoulders ``dx`` pixels from the centre line."""
    tip = sk.shoulder_l[0] - sk.cx + 0.5 * sk.arm_r
    top = side_y - 0.9 * sk.arm_r
    f = np.clip((abs(dx) - sk.neck_w) / max(tip - sk.neck_w, 1e-3), 0, 1.4)
    return float(sk.neck_base_y + f * (top - sk.neck_base_y))


def torso_targets(sk: Skeleton, lm: GarmentLandmarks, g: GarmentParams) -> tuple[np.ndarray, np.ndarray, float]:
    """Body target points, matching product points, and the product->body scale."""
    pm = (np.array(lm.neck_left) + np.array(lm.neck_right)) / 2
    s = 2 * sk.chest_w * g.ease / max(lm.armpit_left[0] - lm.armpit_right[0], 1e-3)
    anchor = np.array([sk.cx, sk.neck_base_y])

    def B(p):
        return anchor + (np.asarray(p, np.float64) - pm) * s

    body, prod = [], []
    hug = {"fitted": 0.85, "regular": 0.5, "loose": 0.15}[g.fit]
    arm_y = {}
    for side, sg, sy in (("right", -1.0, sk.shoulder_r[1]), ("left", 1.0, sk.shoulder_l[1])):
        nk = getattr(lm, f"neck_{side}")
        b = B(nk)
        dx = sg * max(abs(b[0] - sk.cx), sk.neck_w * 1.12)
        body.append((sk.cx + dx, _surface_y(sk, dx, sy) - 0.02 * sk.h))
        prod.append(nk)
        sh = getattr(lm, f"shoulder_{side}")
        b = B(sh)
        tip = abs(sk.shoulder_l[0] - sk.cx) + 0.45 * sk.arm_r
        dx = sg * float(np.clip(abs(b[0] - sk.cx), sk.neck_w * 1.3, tip))
        body.append((sk.cx + dx, max(_surface_y(sk, dx, sy) - 0.03 * sk.h, body[-1][1] + 0.5)))
        prod.append(sh)
        ap = getattr(lm, f"armpit_{side}")
        b = B(ap)
        ay = max(b[1], sk.armpit_y - 0.05 * sk.h)
        arm_y[side] = ay
        body.append((sk.cx + sg * sk.chest_w * g.ease, ay))
        prod.append(ap)
    nf = np.array(lm.neck_front)
    bnf = B(nf)
    body.append((sk.cx, max(bnf[1], sk.neck_base_y + 0.12 * sk.h)))
    prod.append(nf)
    hem_y = sk.neck_base_y + (0.5 * (lm.hem_left[1] + lm.hem_right[1]) - pm[1]) * s * g.length
    hem_y = max(hem_y, max(arm_y.values()) + 0.8 * sk.h, sk.waist_y + 0.35 * sk.h)
    for side, sg in (("right", -1.0), ("left", 1.0)):
        hm = np.array(getattr(lm, f"hem_{side}"))
        b = B(hm)
        hx = max(abs(b[0] - sk.cx), float(sk.half_width_at(hem_y)) * 1.04)
        body.append((sk.cx + sg * hx, hem_y))
        prod.append(hm)
        # a point half-way down the side seam
        ap = np.array(getattr(lm, f"armpit_{side}"))
        pmid = (ap + hm) / 2
        ym = (arm_y[side] + hem_y) / 2
        straight = (sk.chest_w * g.ease + hx) / 2
        need = float(sk.half_width_at(ym)) * (1.0 + 0.5 * (g.ease - 1.0))
        x = straight + hug * (need - straight)
        x = max(x, float(sk.half_width_at(ym)) * 1.02)
        body.append((sk.cx + sg * x, ym))
        prod.append(pmid)
    # the centre line half-way between the neckline and the hem
    body.append((sk.cx, (body[6][1] + hem_y) / 2))
    prod.append((pm[0], (nf[1] + 0.5 * (lm.hem_left[1] + lm.hem_right[1])) / 2))
    return np.array(body, np.float64), np.array(prod, np.float64), float(s)


def _fold_field(xx, yy, rng: np.random.Generator, h: float, strength: float):
    """Height field of soft, mostly vertical folds: (height, d/dx, d/dy), pixels."""
    f = np.zeros(np.broadcast_shapes(xx.shape, yy.shape), np.float32)
    fx = np.zeros_like(f)
    fy = np.zeros_like(f)
    for _ in range(5):
        lam = h * rng.uniform(0.25, 0.8)
        amp = h * rng.uniform(0.008, 0.025) * strength
        ang = rng.uniform(-0.35, 0.35)
        w = 2 * np.pi / lam
        kx, ky = np.float32(w * np.cos(ang)), np.float32(w * np.sin(ang))
        ph = rng.uniform(0, 2 * np.pi)
        arg = kx * xx + ky * yy + np.float32(ph)
        sn, cs = np.sin(arg), np.cos(arg)
        f += np.float32(amp) * sn
        fx += np.float32(amp) * kx * cs
        fy += np.float32(amp) * ky * cs
    return f, fx, fy


def _row_cylinder(cov: np.ndarray) -> np.ndarray:
    """Across-coordinate v in [-1, 1] from each row's extent of ``cov``."""
    m = cov >= 0.5
    w = m.shape[1]
    anyr = m.any(1)
    left = np.argmax(m, 1).astype(np.float32)
    right = (w - 1 - np.argmax(m[:, ::-1], 1)).astype(np.float32)
    mid = np.where(anyr, (left + right) / 2, 0)[:, None]
    half = np.where(anyr, np.maximum((right - left) / 2 + 1.0, 1.0), 1.0)[:, None]
    return np.clip((np.arange(w, dtype=np.float32)[None, :] - mid) / half, -1, 1)


def worn_torso(sk: Skeleton, product: Product, g: GarmentParams, light, ambient: float,
               size: tuple[int, int]) -> tuple[WornPart | None, float]:
    """The torso part of the worn garment (and the product->body scale)."""
    H, W = size
    body, prod, s = torso_targets(sk, product.landmarks, g)
    roi = roi_of(body, 0.6 * sk.h, size)
    if roi is None:
        return None, s
    x0, y0, x1, y1 = roi
    tps = tps_fit(body, prod, regularization=0.0)
    step = 4 if H <= 300 else 8
    mx, my = tps_dense_map(tps, (x1 - x0, y1 - y0), grid_step=step, origin=(x0, y0))
    rng = np.random.default_rng(g.fold_seed)
    xx, yy = grid(roi)
    strength = {"fitted": 0.6, "regular": 1.0, "loose": 1.5}[g.fit]
    f, fx, fy = _fold_field(xx, yy, rng, sk.h, strength)
    # more drape towards the hem, less on the chest
    env = np.clip((yy - sk.armpit_y) / max(sk.h * 1.5, 1), 0.25, 1.0).astype(np.float32)
    f, fx, fy = f * env, fx * env, fy * env
    mx = mx + f * np.float32(0.6 / s)
    my = my + f * np.float32(0.15 / s)
    tex = _bleed(product.image, product.mask)
    cov = cv2.remap(product.torso_mask.astype(np.uint8) * 255, mx, my, cv2.INTER_LINEAR,
                    borderMode=cv2.BORDER_CONSTANT, borderValue=0).astype(np.float32) * np.float32(1 / 255)
    rgb = cv2.remap(tex, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE).astype(np.float32) * np.float32(1 / 255)
    v = _row_cylinder(cov)
    nx, ny, nz = cylinder_normal(v * np.float32(0.85), np.float32(1.0), np.float32(0.0))
    nx, ny = nx - fx, ny - fy
    n = np.sqrt(nx * nx + ny * ny + nz * nz)
    shade = lambert(nx / n, ny / n, nz / n, light, ambient)
    rgb = rgb * shade[..., None]
    return WornPart(roi=roi, cov=cov, rgb=rgb, map_x=mx, map_y=my), s


def arm_chain(sk: Skeleton, side: str) -> tuple[list[np.ndarray], list[float], float]:
    """Joints, radii and across-sign of one arm (person's ``side``)."""
    if side == "right":
        j = [sk.shoulder_r, sk.elbow_r, sk.wrist_r]
        sg = -1.0
    else:
        j = [sk.shoulder_l, sk.elbow_l, sk.wrist_l]
        sg = 1.0
    r = sk.arm_r
    return j, [r, r * 0.74, r * 0.56], sg


def worn_sleeve(sk: Skeleton, product: Product, g: GarmentParams, side: str, scale: float, light, ambient: float,
                size: tuple[int, int]) -> WornPart | None:
    """The sleeve of the person's ``side`` arm (None for sleeveless garments)."""
    lm = product.landmarks
    if not lm.has_sleeves:
        return None
    so, si = np.array(getattr(lm, f"shoulder_{side}")), np.array(getattr(lm, f"armpit_{side}"))
    co, ci = np.array(getattr(lm, f"sleeve_{side}_outer")), np.array(getattr(lm, f"sleeve_{side}_inner"))
    lp = float(np.linalg.norm((co + ci) / 2 - (so + si) / 2))
    joints, radii, sg = arm_chain(sk, side)
    arm_len = float(np.linalg.norm(joints[1] - joints[0]) + np.linalg.norm(joints[2] - joints[1]))
    lb = min(lp * scale * (0.6 + 0.4 * g.length), arm_len * 1.0)
    w_seam = radii[0] * g.sleeve_ease * 1.1
    ratio = float(np.linalg.norm(co - ci) / max(np.linalg.norm(so - si), 1e-3))
    w_cuff = w_seam * float(np.clip(ratio, 0.5, 1.3))
    roi = roi_of(np.array(joints), w_seam * 1.6 + 2, size)
    if roi is None:
        return None
    fld = limb_field(joints, radii, sg, roi)
    u = fld.t / np.float32(lb)
    w = np.float32(w_seam) + np.float32(w_cuff - w_seam) * np.clip(u, 0, 1)
    w = np.maximum(w, fld.r * np.float32(1.06))
    # a tube along the arm, closed at the shoulder by a round cap just over the shoulder joint
    cap_r = np.float32(radii[0] * 1.08)
    cap = np.clip(cap_r - np.sqrt(fld.t * fld.t + fld.s * fld.s) + 0.5, 0, 1)
    body_tube = np.clip(w - np.abs(fld.s) + 0.5, 0, 1) * np.clip(fld.t + 0.5, 0, 1)
    tube = np.maximum(body_tube, cap) * np.clip(np.float32(lb) - fld.t + 0.5, 0, 1)
    um = np.clip(u, 0.02, 1.0)[..., None]
    vm = (np.clip(fld.s / w, -1, 1)[..., None] + 1) / 2  # 0 inner .. 1 outer
    seam = si[None, None, :] + (so - si)[None, None, :] * vm
    cuff = ci[None, None, :] + (co - ci)[None, None, :] * vm
    p = (seam * (1 - um) + cuff * um).astype(np.float32)
    mx, my = np.ascontiguousarray(p[..., 0]), np.ascontiguousarray(p[..., 1])
    # elbow wrinkles for long sleeves: rings across the arm around the elbow
    l1 = float(np.linalg.norm(joints[1] - joints[0]))
    rng = np.random.default_rng(g.fold_seed + (1 if side == "left" else 2))
    lam = sk.h * rng.uniform(0.12, 0.25)
    env = np.exp(-((fld.t - np.float32(l1)) / np.float32(0.5 * sk.h)) ** 2) * np.float32(rng.uniform(0.3, 0.8))
    wr = np.sin(fld.t * np.float32(2 * np.pi / lam) + np.float32(rng.uniform(0, 6.3))) * env
    mask = product.mask.astype(np.uint8) * 255
    cov = cv2.remap(mask, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0).astype(np.float32) / 255
    cov = np.minimum(cov, tube)
    tex = _bleed(product.image, product.mask)
    rgb = cv2.remap(tex, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE).astype(np.float32) / 255
    vv = np.clip(fld.s / w, -1, 1)
    nx, ny, nz = cylinder_normal(vv * np.float32(0.9), fld.nx, fld.ny)
    # along-arm tilt of the wrinkles
    ax, ay = -fld.ny, fld.nx
    nx = nx + wr * ax * np.float32(0.35)
    ny = ny + wr * ay * np.float32(0.35)
    n = np.sqrt(nx * nx + ny * ny + nz * nz)
    shade = lambert(nx / n, ny / n, nz / n, light, ambient)
    rgb = rgb * shade[..., None]
    return WornPart(roi=roi, cov=cov, rgb=rgb, map_x=mx, map_y=my)
