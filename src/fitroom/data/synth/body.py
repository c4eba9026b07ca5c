"""The parametric 2-D body: skeleton, silhouette helpers, keypoints and shading.

Coordinates are pixels (x right, y down, pixel centres at integers). "Left"/"right" are the
person's: the person's left arm is on the image right. ``h`` is the head height in pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from fitroom.labels import Body25

from .params import ArmPose, SampleParams

_SHIFT = 4


@dataclass(frozen=True)
class Skeleton:
    """Joint positions (pixels) and sizes of one rendered body."""

    h: float  # head height, pixels
    cx: float  # body centre line x
    head_c: np.ndarray  # centre of the head ellipse
    head_a: float  # head half-width
    head_b: float  # head half-height
    chin_y: float
    neck_base_y: float
    shoulder_y: float  # mean shoulder-joint height
    shoulder_r: np.ndarray
    shoulder_l: np.ndarray
    elbow_r: np.ndarray
    elbow_l: np.ndarray
    wrist_r: np.ndarray
    wrist_l: np.ndarray
    hip_r: np.ndarray
    hip_l: np.ndarray
    knee_r: np.ndarray
    knee_l: np.ndarray
    ankle_r: np.ndarray
    ankle_l: np.ndarray
    armpit_y: float
    waist_y: float
    hip_y: float  # hip line (joints)
    crotch_y: float
    neck_w: float
    chest_w: float
    waist_w: float
    hip_w: float
    arm_r: float
    leg_r: float
    hand: float

    def half_width_at(self, y: np.ndarray | float) -> np.ndarray:
        """Half-width of the torso silhouette at height ``y`` (chest -> waist -> hip)."""
        ys = [self.armpit_y, self.waist_y, self.hip_y + 0.15 * self.h, self.crotch_y + 2 * self.h]
        ws = [self.chest_w, self.waist_w, self.hip_w, self.hip_w * 0.95]
        return np.interp(y, ys, ws)


def _ik(s: np.ndarray, target: np.ndarray, l1: float, l2: float, out_sign: float) -> tuple[np.ndarray, np.ndarray]:
    """Two-bone inverse kinematics in the image plane; the elbow bends outwards."""
    d = target - s
    dist = float(np.clip(np.linalg.norm(d), abs(l1 - l2) + 1e-3, (l1 + l2) * 0.995))
    u = d / (np.linalg.norm(d) + 1e-9)
    w = s + u * dist
    cos_a = (l1 * l1 + dist * dist - l2 * l2) / (2 * l1 * dist)
    a = float(np.arccos(np.clip(cos_a, -1, 1)))
    best = None
    for sg in (-1.0, 1.0):
        c, sn = np.cos(sg * a), np.sin(sg * a)
        r = np.array([u[0] * c - u[1] * sn, u[0] * sn + u[1] * c])
        e = s + r * l1
        if best is None or e[0] * out_sign > best[0] * out_sign:
            best = e
    return best, w  # type: ignore[return-value]


def _arm(pose: ArmPose, s: np.ndarray, out_sign: float, l1: float, l2: float, sk: dict) -> tuple[np.ndarray, np.ndarray]:
    if pose.mode == "fk":
        d1 = np.array([out_sign * np.sin(pose.a), np.cos(pose.a)])
        d2 = np.array([out_sign * np.sin(pose.b), np.cos(pose.b)])
        e = s + d1 * l1
        return e, e + d2 * l2
    if pose.mode == "ik":  # hand on the hip
        target = np.array([sk["cx"] + out_sign * sk["hip_w"] * pose.a, sk["hip_y"] + pose.b * sk["h"]])
        return _ik(s, target, l1, l2, out_sign)
    # cross: wrist on the other side of the torso
    target = np.array([sk["cx"] - out_sign * sk["chest_w"] * pose.a, sk["shoulder_y"] + pose.b * sk["h"]])
    return _ik(s, target, l1, l2, out_sign)


def build_skeleton(p: SampleParams, size: tuple[int, int]) -> Skeleton:
    """Place the body of ``p`` in an image of ``size = (height, width)``."""
    H, W = size
    b, sc = p.body, p.scene
    neck_base = 1.0 + b.neck_len * 0.75  # head units from the crown
    shoulder = 1.0 + b.neck_len
    hip = shoulder + b.torso_len
    bottom = hip + sc.bottom * b.thigh
    span = sc.top_margin + bottom
    h = H / span
    top = sc.top_margin * h
    cx = (W - 1) / 2 + sc.x_shift * W
    y = lambda v: top + v * h  # noqa: E731
    sy = y(shoulder)
    half = b.shoulder_w * h / 2
    dt = np.tan(b.tilt) * half
    shoulder_r = np.array([cx - half, sy + dt])
    shoulder_l = np.array([cx + half, sy - dt])
    sk = {"cx": cx, "hip_w": b.hip_w * h, "hip_y": y(hip), "h": h, "chest_w": b.chest_w * h, "shoulder_y": sy}
    l1, l2 = b.upper_arm * h, b.forearm * h
    elbow_r, wrist_r = _arm(p.pose.right, shoulder_r, -1.0, l1, l2, sk)
    elbow_l, wrist_l = _arm(p.pose.left, shoulder_l, 1.0, l1, l2, sk)
    hy = y(hip)
    hx = b.hip_w * h * 0.62
    hip_r, hip_l = np.array([cx - hx, hy]), np.array([cx + hx, hy])
    legs = []
    for hp, sg in ((hip_r, -1.0), (hip_l, 1.0)):
        d = np.array([sg * np.sin(b.stance), np.cos(b.stance)])
        k = hp + d * b.thigh * h
        a = k + np.array([sg * np.sin(b.stance * 0.5), 1.0]) / np.hypot(np.sin(b.stance * 0.5), 1.0) * b.shin * h
        legs.append((k, a))
    return Skeleton(
        h=h, cx=cx, head_c=np.array([cx, top + 0.5 * h]), head_a=b.head_w * h / 2, head_b=0.5 * h,
        chin_y=y(1.0), neck_base_y=y(neck_base), shoulder_y=sy, shoulder_r=shoulder_r, shoulder_l=shoulder_l,
        elbow_r=elbow_r, elbow_l=elbow_l, wrist_r=wrist_r, wrist_l=wrist_l, hip_r=hip_r, hip_l=hip_l,
        knee_r=legs[0][0], knee_l=legs[1][0], ankle_r=legs[0][1], ankle_l=legs[1][1],
        armpit_y=sy + 0.6 * h, waist_y=sy + b.torso_len * 0.55 * h, hip_y=hy, crotch_y=hy + 0.55 * h,
        neck_w=b.neck_w * h, chest_w=b.chest_w * h, waist_w=b.waist_w * h, hip_w=b.hip_w * h,
        arm_r=b.arm_r * h, leg_r=b.leg_r * h, hand=b.hand * h,
    )


def keypoints(sk: Skeleton, size: tuple[int, int], conf: np.ndarray) -> np.ndarray:
    """BODY_25 keypoints ``(25, 3)`` float32; points outside the image get (0, 0, 0)."""
    H, W = size
    kp = np.zeros((25, 3), np.float32)
    hc, a, bb = sk.head_c, sk.head_a, sk.head_b
    pts = {
        Body25.NOSE: (hc[0], hc[1] + 0.2 * bb),
        Body25.NECK: tuple((sk.shoulder_r + sk.shoulder_l) / 2),
        Body25.RIGHT_SHOULDER: sk.shoulder_r, Body25.LEFT_SHOULDER: sk.shoulder_l,
        Body25.RIGHT_ELBOW: sk.elbow_r, Body25.LEFT_ELBOW: sk.elbow_l,
        Body25.RIGHT_WRIST: sk.wrist_r, Body25.LEFT_WRIST: sk.wrist_l,
        Body25.MID_HIP: tuple((sk.hip_r + sk.hip_l) / 2),
        Body25.RIGHT_HIP: sk.hip_r, Body25.LEFT_HIP: sk.hip_l,
        Body25.RIGHT_KNEE: sk.knee_r, Body25.LEFT_KNEE: sk.knee_l,
        Body25.RIGHT_ANKLE: sk.ankle_r, Body25.LEFT_ANKLE: sk.ankle_l,
        Body25.RIGHT_EYE: (hc[0] - 0.38 * a, hc[1]), Body25.LEFT_EYE: (hc[0] + 0.38 * a, hc[1]),
        Body25.RIGHT_EAR: (hc[0] - 0.97 * a, hc[1] + 0.1 * bb), Body25.LEFT_EAR: (hc[0] + 0.97 * a, hc[1] + 0.1 * bb),
    }
    foot = 0.35 * sk.h
    for ank, big, small, heel, sg in ((sk.ankle_l, Body25.LEFT_BIG_TOE, Body25.LEFT_SMALL_TOE, Body25.LEFT_HEEL, 1),
                                      (sk.ankle_r, Body25.RIGHT_BIG_TOE, Body25.RIGHT_SMALL_TOE, Body25.RIGHT_HEEL, -1)):
        pts[big] = (ank[0] - sg * 0.05 * sk.h, ank[1] + foot)
        pts[small] = (ank[0] + sg * 0.12 * sk.h, ank[1] + foot * 0.85)
        pts[heel] = (ank[0], ank[1] + 0.12 * sk.h)
    for k, (x, y) in pts.items():
        if 0 <= x <= W - 1 and 0 <= y <= H - 1:
            kp[int(k)] = (x, y, conf[int(k)])
    return kp


# --- rasterisation helpers ----------------------------------------------------------------
def roi_of(points: np.ndarray, pad: float, size: tuple[int, int]) -> tuple[int, int, int, int] | None:
    """Integer box ``(x0, y0, x1, y1)`` (exclusive ends) around ``points`` grown by ``pad``; None if empty."""
    H, W = size
    pts = np.asarray(points, np.float64).reshape(-1, 2)
    x0 = max(int(np.floor(pts[:, 0].min() - pad)), 0)
    y0 = max(int(np.floor(pts[:, 1].min() - pad)), 0)
    x1 = min(int(np.ceil(pts[:, 0].max() + pad)) + 1, W)
    y1 = min(int(np.ceil(pts[:, 1].max() + pad)) + 1, H)
    if x1 <= x0 or y1 <= y0:
        return None
    return x0, y0, x1, y1


def grid(roi: tuple[int, int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    x0, y0, x1, y1 = roi
    return (np.arange(x0, x1, dtype=np.float32)[None, :], np.arange(y0, y1, dtype=np.float32)[:, None])


def poly_coverage(polys: list[np.ndarray], roi: tuple[int, int, int, int]) -> np.ndarray:
    """Anti-aliased coverage in [0, 1] (float32) of the union of polygons, inside ``roi``."""
    x0, y0, x1, y1 = roi
    canvas = np.zeros((y1 - y0, x1 - x0), np.uint8)
    pts = [np.round((np.asarray(p, np.float64) - (x0, y0)) * (1 << _SHIFT)).astype(np.int32).reshape(-1, 1, 2) for p in polys]
    cv2.fillPoly(canvas, pts, 255, lineType=cv2.LINE_AA, shift=_SHIFT)
    return canvas.astype(np.float32) * np.float32(1 / 255)


@dataclass(frozen=True)
class LimbField:
    """Per-pixel coordinates of a chain of tapered bones inside a ROI."""

    cov: np.ndarray  # coverage 0..1
    t: np.ndarray  # distance along the chain from its first joint (pixels; < 0 before it)
    s: np.ndarray  # signed distance across (pixels, + on the ``side`` normal)
    r: np.ndarray  # radius at t
    seg: np.ndarray  # index of the nearest bone
    nx: np.ndarray  # across direction per pixel (unit, x)
    ny: np.ndarray


def limb_field(joints: list[np.ndarray], radii: list[float], side: float, roi: tuple[int, int, int, int],
               extend_start: bool = True) -> LimbField:
    """Signed-distance description of a tapered limb (capsules between consecutive joints).

    ``side`` picks the across normal: ``side * (dy, -dx)`` of each bone direction.
    """
    xx, yy = grid(roi)
    best_d = None
    out = {}
    acc = 0.0
    for i in range(len(joints) - 1):
        a, b = np.asarray(joints[i], np.float32), np.asarray(joints[i + 1], np.float32)
        ab = b - a
        ln = float(np.hypot(*ab)) + 1e-6
        u = ab / ln
        tt = (xx - a[0]) * u[0] + (yy - a[1]) * u[1]
        lo = -np.inf if (i == 0 and extend_start) else 0.0
        tc = np.clip(tt, lo, ln) if i == 0 and extend_start else np.clip(tt, 0.0, ln)
        tcl = np.clip(tt, 0.0, ln)
        px, py = a[0] + u[0] * tcl, a[1] + u[1] * tcl
        d = np.sqrt((xx - px) ** 2 + (yy - py) ** 2)
        n = np.float32(side) * np.array([u[1], -u[0]], np.float32)
        s = (xx - a[0]) * n[0] + (yy - a[1]) * n[1]
        r = np.float32(radii[i]) + (np.float32(radii[i + 1]) - np.float32(radii[i])) * (tcl / np.float32(ln))
        dd = d - r  # distance to the surface
        tg = acc + tc
        if best_d is None:
            best_d, out = dd, {"t": tg, "s": s, "r": r, "seg": np.zeros_like(dd, np.int8), "nx": np.full_like(dd, n[0]), "ny": np.full_like(dd, n[1])}
        else:
            m = dd < best_d
            best_d = np.where(m, dd, best_d)
            for k, v in (("t", tg), ("s", s), ("r", r), ("nx", np.full_like(dd, n[0])), ("ny", np.full_like(dd, n[1]))):
                out[k] = np.where(m, v, out[k])
            out["seg"] = np.where(m, np.int8(i), out["seg"])
        acc += ln
    cov = np.clip(0.5 - best_d, 0.0, 1.0)
    return LimbField(cov=cov, **out)


def ellipse_field(c: np.ndarray, a: float, b: float, angle: float, roi) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Coverage and local coordinates (u, v in ellipse radii) of a rotated ellipse."""
    xx, yy = grid(roi)
    ca, sa = np.float32(np.cos(angle)), np.float32(np.sin(angle))
    dx, dy = xx - np.float32(c[0]), yy - np.float32(c[1])
    u = (dx * ca + dy * sa) / np.float32(a)
    v = (-dx * sa + dy * ca) / np.float32(b)
    rho = np.sqrt(u * u + v * v)
    cov = np.clip((1 - rho) * np.float32(min(a, b)) + 0.5, 0.0, 1.0)
    return cov, u, v


def lambert(nx: np.ndarray, ny: np.ndarray, nz: np.ndarray, light: tuple[float, float, float], ambient: float) -> np.ndarray:
    """Shading factor, 1.0 for a surface facing the camera."""
    lx, ly, lz = (np.float32(v) for v in light)
    d = np.maximum(nx * lx + ny * ly + nz * lz, 0)
    amb = np.float32(ambient)
    return (amb + (1 - amb) * d) / (amb + (1 - amb) * lz)


def cylinder_normal(v: np.ndarray, ax: np.ndarray, ay: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Normal of a cylinder: ``v`` in [-1, 1] across it, (ax, ay) the across direction."""
    v = np.clip(v, -0.999, 0.999)
    nz = np.sqrt(1 - v * v)
    return v * ax, v * ay, nz
