"""Head, face features and hair, painted onto a :class:`~fitroom.data.synth.canvas.Canvas`."""

from __future__ import annotations

import cv2
import numpy as np

from fitroom.labels import Cihp

from .body import Skeleton, ellipse_field, grid, lambert, poly_coverage, roi_of
from .canvas import DP, Canvas
from .params import FaceParams, HairParams


def _hair_tex(xx, yy, sk: Skeleton, colour, light, ambient, cx, cy):
    """Hair colour with strands and a sheen, (h, w, 3) 0..1."""
    base = np.asarray(colour, np.float32) / 255
    h = np.float32(sk.h)
    strands = np.sin((xx - np.float32(cx)) * (np.float32(2 * np.pi) / (0.045 * h)) + 2.5 * np.sin(yy / (0.35 * h)))
    nx = np.clip((xx - np.float32(cx)) / (0.6 * h), -0.95, 0.95)
    ny = np.clip((yy - np.float32(cy)) / (0.9 * h), -0.95, 0.95)
    nz = np.sqrt(np.clip(1 - nx * nx - ny * ny, 0.05, 1))
    shade = lambert(nx, ny, nz, light, ambient) * (1 + np.float32(0.08) * strands)
    return base[None, None, :] * shade[..., None] + np.float32(0.04) * np.clip(strands, 0, 1)[..., None] * (0.3 + base)


def paint_back_hair(cv: Canvas, sk: Skeleton, hp: HairParams, light, ambient, size) -> None:
    c, a, b = sk.head_c, sk.head_a, sk.head_b
    vol = hp.volume * sk.h
    polys = []
    if hp.style in ("long", "long_front", "bob", "curly"):
        bottom = sk.chin_y + (0.15 * sk.h if hp.style == "bob" else (0.5 * sk.h if hp.style == "curly" else hp.length * sk.h))
        wt = a + vol + 0.04 * sk.h
        wb = wt * (1.05 if hp.style == "bob" else 1.25)
        t = np.linspace(np.pi, 2 * np.pi, 16)
        top = np.stack([c[0] + wt * np.cos(t), c[1] + (b + vol) * np.sin(t)], 1)
        poly = np.vstack([top, [[c[0] + wt, c[1]], [c[0] + wb, bottom - 0.1 * sk.h], [c[0] + wb * 0.6, bottom],
                                [c[0] - wb * 0.6, bottom], [c[0] - wb, bottom - 0.1 * sk.h], [c[0] - wt, c[1]]]])
        polys.append(poly)
    if hp.style == "bun":
        t = np.linspace(0, 2 * np.pi, 24, endpoint=False)
        r = 0.28 * sk.h
        polys.append(np.stack([c[0] + r * np.cos(t), c[1] - b - 0.05 * sk.h + r * 0.85 * np.sin(t)], 1))
    if hp.style == "ponytail":
        sg = 1 if hp.parting >= 0 else -1
        x = c[0] + sg * (a * 0.9)
        polys.append(np.array([[x - 0.12 * sk.h, c[1]], [x + 0.12 * sk.h, c[1]], [x + sg * 0.1 * sk.h, sk.chin_y + 0.8 * sk.h],
                               [x - sg * 0.02 * sk.h, sk.chin_y + 0.8 * sk.h]]))
    if not polys:
        return
    roi = roi_of(np.vstack(polys), 2, size)
    if roi is None:
        return
    cov = poly_coverage(polys, roi)
    xx, yy = grid(roi)
    col = _hair_tex(xx, yy, sk, hp.colour, light, ambient, c[0], c[1]) * np.float32(0.8)
    cv.paint(roi, cov, col, label=Cihp.HAIR)


def paint_head(cv: Canvas, sk: Skeleton, fp: FaceParams, skin: np.ndarray, hair_colour, light, ambient, size) -> None:
    c, a, b = sk.head_c, sk.head_a, sk.head_b
    h = sk.h
    # ears
    for sg in (-1, 1):
        ec = np.array([c[0] + sg * a * 0.95, c[1] + 0.1 * b])
        roi = roi_of(ec, 0.25 * h, size)
        if roi is None:
            continue
        cov, u, v = ellipse_field(ec, 0.11 * h, 0.19 * h, 0.0, roi)
        cv.paint(roi, cov, skin * 0.88, label=Cihp.FACE, dp=(DP.HEAD, np.clip(u * 0.5 + 0.5, 0, 1), np.clip(v * 0.5 + 0.5, 0, 1)))
    # face: an egg, narrower at the chin
    t = np.linspace(0, 2 * np.pi, 48, endpoint=False)
    narrow = 1 - 0.2 * np.maximum(np.sin(t), 0) ** 2
    poly = np.stack([c[0] + a * np.cos(t) * narrow, c[1] + b * np.sin(t)], 1)
    roi = roi_of(poly, 2, size)
    if roi is None:
        return
    cov = poly_coverage([poly], roi)
    xx, yy = grid(roi)
    fu = (xx - np.float32(c[0])) / np.float32(a)
    fv = (yy - np.float32(c[1])) / np.float32(b)
    nx, ny = np.clip(fu * 0.8, -0.95, 0.95), np.clip(fv * 0.5, -0.95, 0.95)
    nz = np.sqrt(np.clip(1 - nx * nx - ny * ny, 0.05, 1))
    shade = lambert(nx, ny, nz, light, ambient)
    col = np.broadcast_to(skin[None, None, :], cov.shape + (3,)).copy()
    # cheeks slightly warmer, eye sockets slightly darker
    cheek = np.exp(-(((np.abs(fu) - 0.5) / 0.22) ** 2 + ((fv - 0.3) / 0.2) ** 2))
    col *= (1 + np.float32(0.06) * cheek[..., None] * np.array([1.0, -0.4, -0.4], np.float32))
    ey = np.float32(fp.eye_y)
    socket = np.exp(-(((np.abs(fu) - fp.eye_dx) / 0.22) ** 2 + ((fv - ey) / 0.12) ** 2))
    col *= (1 - np.float32(0.12 + 0.1 * fp.makeup) * socket)[..., None]
    # nose shadow on the side away from the light
    sgn = -1.0 if light[0] > 0 else 1.0
    nose = np.exp(-(((fu - sgn * 0.1) / 0.05) ** 2 + ((fv - 0.25) / 0.22) ** 2))
    tip = np.exp(-(((np.abs(fu) - 0.08) / 0.05) ** 2 + ((fv - 0.42) / 0.04) ** 2))
    col *= (1 - np.float32(0.16) * nose - np.float32(0.25) * tip)[..., None]
    cv.paint(roi, cov, col, shade=shade, label=Cihp.FACE,
             dp=(DP.HEAD, np.clip(fu * 0.5 + 0.5, 0, 1), np.clip(fv * 0.5 + 0.5, 0, 1)))
    # features drawn into the colour only (label stays FACE)
    S = 16

    def P(u, v):
        return (int(round((c[0] + u * a) * S)), int(round((c[1] + v * b) * S)))

    img = cv.rgb
    ew, eh = 0.16 * a * fp.eye_size, 0.07 * b * fp.eye_size
    for sg in (-1, 1):
        ex, ey_ = sg * fp.eye_dx, fp.eye_y
        cv2.ellipse(img, P(ex, ey_), (int(ew * S), int(eh * S)), 0, 0, 360, (0.93, 0.92, 0.9), -1, cv2.LINE_AA, 4)
        iris = tuple(float(v) / 255 for v in fp.iris_colour)
        cv2.circle(img, P(ex, ey_), int(eh * 0.95 * S), iris, -1, cv2.LINE_AA, 4)
        cv2.circle(img, P(ex, ey_), int(eh * 0.45 * S), (0.05, 0.05, 0.05), -1, cv2.LINE_AA, 4)
        # upper lid line
        cv2.ellipse(img, P(ex, ey_), (int(ew * S), int(eh * S)), 0, 190, 350, (0.12, 0.1, 0.1), max(1, int(0.012 * h)), cv2.LINE_AA, 4)
        # brow
        bc = tuple(float(v) / 255 * 0.8 for v in hair_colour)
        by = ey_ - 0.2
        pts = np.array([P(ex - sg * 0.16, by + 0.03 + fp.brow_tilt), P(ex, by - 0.03), P(ex + sg * 0.17, by + 0.02)], np.int32)
        cv2.polylines(img, [pts.reshape(-1, 1, 2)], False, bc, max(1, int(round(0.035 * h * fp.brow_thick))), cv2.LINE_AA, 4)
    # mouth
    lip = tuple(float(v) / 255 * (0.9 + 0.15 * fp.makeup) for v in fp.lip_colour)
    skin_f = skin.astype(float)
    lip = tuple(0.5 * l + 0.5 * sc * 0.8 for l, sc in zip(lip, skin_f))
    mw = fp.mouth_w
    cv2.ellipse(img, P(0, 0.52), (int(mw * a * S), int(0.07 * b * S)), 0, 0, 360, lip, -1, cv2.LINE_AA, 4)
    dark = tuple(float(v) * 0.45 for v in skin_f)
    pts = np.array([P(-mw, 0.52 - 0.03 * fp.smile), P(0, 0.52 + 0.02 * fp.smile), P(mw, 0.52 - 0.03 * fp.smile)], np.int32)
    cv2.polylines(img, [pts.reshape(-1, 1, 2)], False, dark, max(1, int(0.012 * h)), cv2.LINE_AA, 4)


def paint_front_hair(cv: Canvas, sk: Skeleton, hp: HairParams, light, ambient, size, skin: np.ndarray) -> None:
    c, a, b = sk.head_c, sk.head_a, sk.head_b
    vol = hp.volume * sk.h
    roi = roi_of(np.array([[c[0] - a - vol - 2, c[1] - b - vol - 2], [c[0] + a + vol + 2, sk.chin_y + 0.1 * sk.h]]), 1, size)
    if roi is None:
        return
    xx, yy = grid(roi)
    dx, dy = xx - np.float32(c[0]), yy - np.float32(c[1] - 0.03 * sk.h)
    ao, bo = np.float32(a * 1.05 + vol), np.float32(b * 1.04 + vol)
    ang = np.arctan2(dy, dx)
    bump = np.float32(1.0)
    if hp.style == "curly":
        bump = 1 + np.float32(0.06) * np.sin(ang * 11)
    rho = np.sqrt((dx / ao) ** 2 + (dy / bo) ** 2) / bump
    inside = np.clip((1 - rho) * np.float32(min(ao, bo)) + 0.5, 0, 1)
    xn = (xx - np.float32(c[0])) / np.float32(a)
    hl = 0.42 - 0.25 * xn * xn - 0.3 * hp.fringe + 0.06 * hp.parting * xn
    if hp.style == "buzz":
        hl = hl - 0.08
    hairline = np.float32(c[1]) - np.float32(b) * hl.astype(np.float32)
    above = np.clip(hairline - yy + 0.5, 0, 1)
    region = above
    if hp.style in ("bob", "long", "long_front", "curly"):
        side_bottom = np.float32(c[1] + b * (0.7 if hp.style != "bob" else 0.95))
        side = np.clip((np.abs(xx - np.float32(c[0])) - np.float32(a * 0.78)) + 0.5, 0, 1) * np.clip(side_bottom - yy + 0.5, 0, 1)
        region = np.maximum(region, side)
    cov = inside * region
    col = _hair_tex(xx, yy, sk, hp.colour, light, ambient, c[0], c[1])
    if hp.style == "buzz":
        col = 0.6 * col + 0.4 * skin[None, None, :] * 0.8
    cv.paint(roi, cov, col, label=Cihp.HAIR)
    if hp.style == "long_front":  # locks falling in front of the shoulders
        polys = []
        bottom = sk.chin_y + hp.length * sk.h
        for sg in (-1, 1):
            x0 = c[0] + sg * a * 0.95
            pin, pout = x0 - sg * 0.07 * sk.h, x0 + sg * 0.16 * sk.h
            polys.append(np.array([[pin, c[1] + 0.1 * b], [pout, c[1] - 0.3 * b],
                                   [pout + sg * 0.1 * sk.h, bottom - 0.15 * sk.h],
                                   [x0 + sg * 0.12 * sk.h, bottom], [pin + sg * 0.02 * sk.h, bottom - 0.2 * sk.h]]))
        roi = roi_of(np.vstack(polys), 2, size)
        if roi is not None:
            cov = poly_coverage(polys, roi)
            xx, yy = grid(roi)
            col = _hair_tex(xx, yy, sk, hp.colour, light, ambient, c[0], c[1])
            cv.paint(roi, cov, col, label=Cihp.HAIR)
