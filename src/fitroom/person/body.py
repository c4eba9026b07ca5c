"""Body geometry from BODY_25 keypoints: a torso frame, limb bones and drawing helpers.

Pure functions on ``(25, 3)`` float keypoints ``[x, y, confidence]`` in pixels (xy order).
Missing points (confidence below ``min_conf``) are extrapolated from the ones present, so a
half-body photo (no hips in frame) still gets a plausible torso.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np

from fitroom.errors import KeypointsError
from fitroom.labels import Body25 as B

MIN_CONF = 0.2


@dataclass(frozen=True)
class BodyFrame:
    """Key body positions in pixels (xy). Left/right are the person's."""

    neck: np.ndarray  # midpoint of the shoulders
    shoulder_l: np.ndarray
    shoulder_r: np.ndarray
    hip_l: np.ndarray
    hip_r: np.ndarray
    elbow_l: np.ndarray
    elbow_r: np.ndarray
    wrist_l: np.ndarray
    wrist_r: np.ndarray
    knee_l: np.ndarray
    knee_r: np.ndarray
    ankle_l: np.ndarray
    ankle_r: np.ndarray
    shoulder_width: float
    torso_length: float  # neck to mid-hip
    down: np.ndarray  # unit vector from neck towards the hips
    right: np.ndarray  # unit vector from the person's right shoulder to the left one

    def shifted(self, dx: float, dy: float) -> BodyFrame:
        """The same frame in a crop whose top-left corner is at (dx, dy)."""
        d = np.array([dx, dy], np.float64)
        pts = ("neck", "shoulder_l", "shoulder_r", "hip_l", "hip_r", "elbow_l", "elbow_r", "wrist_l", "wrist_r",
               "knee_l", "knee_r", "ankle_l", "ankle_r")
        return replace(self, **{k: getattr(self, k) - d for k in pts})

    @property
    def mid_hip(self) -> np.ndarray:
        return (self.hip_l + self.hip_r) / 2

    def torso_polygon(self, widen: float = 1.0) -> np.ndarray:
        """(4, 2) polygon shoulders -> hips, widened about the body axis by ``widen``."""
        def w(p, c):
            return c + (p - c) * widen
        n, h = self.neck, self.mid_hip
        return np.array([w(self.shoulder_r, n), w(self.shoulder_l, n), w(self.hip_l, h), w(self.hip_r, h)], np.float32)


def _pt(kp: np.ndarray, i: int, min_conf: float) -> np.ndarray | None:
    return kp[i, :2].astype(np.float64) if kp[i, 2] >= min_conf else None


def body_frame(kp: np.ndarray, min_conf: float = MIN_CONF) -> BodyFrame:
    """Build a :class:`BodyFrame`; raises :class:`KeypointsError` without both shoulders."""
    kp = np.asarray(kp, np.float64)
    if kp.shape != (25, 3):
        raise ValueError(f"expected BODY_25 keypoints of shape (25, 3), got {kp.shape}")
    sl, sr = _pt(kp, B.LEFT_SHOULDER, min_conf), _pt(kp, B.RIGHT_SHOULDER, min_conf)
    if sl is None or sr is None:
        raise KeypointsError("both shoulders must be visible to dress the upper body")
    neck = (sl + sr) / 2
    sw = float(np.linalg.norm(sl - sr))
    if sw < 4:
        raise KeypointsError("the person is too small in the photo (shoulders are less than 4 pixels apart)")
    right = (sl - sr) / sw
    down = np.array([-right[1], right[0]])  # perpendicular, pointing down the image for an upright person
    if down[1] < 0:
        down = -down
    hl, hr = _pt(kp, B.LEFT_HIP, min_conf), _pt(kp, B.RIGHT_HIP, min_conf)
    torso_default = 1.45 * sw
    if hl is None and hr is None:
        hl = sl + down * torso_default - right * 0.12 * sw
        hr = sr + down * torso_default + right * 0.12 * sw
    elif hl is None:
        hl = hr + right * 0.75 * sw
    elif hr is None:
        hr = hl - right * 0.75 * sw
    mid_hip = (hl + hr) / 2
    tl = float(np.linalg.norm(mid_hip - neck))
    if tl < 0.5 * sw:  # implausible (e.g. bent over): fall back to proportions
        tl = torso_default
        hl = sl + down * tl - right * 0.12 * sw
        hr = sr + down * tl + right * 0.12 * sw
        mid_hip = (hl + hr) / 2
    else:
        down = (mid_hip - neck) / tl

    def limb(i: int, parent: np.ndarray, default_dir: np.ndarray, length: float) -> np.ndarray:
        p = _pt(kp, i, min_conf)
        return p if p is not None else parent + default_dir * length

    el = limb(B.LEFT_ELBOW, sl, down + 0.15 * right, 0.75 * sw)
    er = limb(B.RIGHT_ELBOW, sr, down - 0.15 * right, 0.75 * sw)
    wl = limb(B.LEFT_WRIST, el, (el - sl) / (np.linalg.norm(el - sl) + 1e-6), 0.7 * sw)
    wr = limb(B.RIGHT_WRIST, er, (er - sr) / (np.linalg.norm(er - sr) + 1e-6), 0.7 * sw)
    kl = limb(B.LEFT_KNEE, hl, down, 1.1 * sw)
    kr = limb(B.RIGHT_KNEE, hr, down, 1.1 * sw)
    al = limb(B.LEFT_ANKLE, kl, (kl - hl) / (np.linalg.norm(kl - hl) + 1e-6), 1.05 * sw)
    ar = limb(B.RIGHT_ANKLE, kr, (kr - hr) / (np.linalg.norm(kr - hr) + 1e-6), 1.05 * sw)
    return BodyFrame(neck=neck, shoulder_l=sl, shoulder_r=sr, hip_l=hl, hip_r=hr, elbow_l=el, elbow_r=er,
                     wrist_l=wl, wrist_r=wr, knee_l=kl, knee_r=kr, ankle_l=al, ankle_r=ar, shoulder_width=sw, torso_length=tl,
                     down=down, right=right)


def draw_capsules(shape: tuple[int, int], segments: list[tuple[np.ndarray, np.ndarray]], radius: float) -> np.ndarray:
    """Bool (H, W) mask of thick line segments with round ends (all with ``radius`` pixels)."""
    m = np.zeros(shape, np.uint8)
    r = max(1, int(round(radius)))
    for a, b in segments:
        pa = tuple(int(round(v)) for v in a)
        pb = tuple(int(round(v)) for v in b)
        cv2.line(m, pa, pb, 1, thickness=2 * r, lineType=cv2.LINE_8)
        cv2.circle(m, pa, r, 1, -1)
        cv2.circle(m, pb, r, 1, -1)
    return m.astype(bool)


def draw_polygon(shape: tuple[int, int], poly: np.ndarray) -> np.ndarray:
    m = np.zeros(shape, np.uint8)
    cv2.fillPoly(m, [np.round(poly).astype(np.int32)], 1)
    return m.astype(bool)


def arm_segments(f: BodyFrame, side: str, hand: float = 0.25) -> list[tuple[np.ndarray, np.ndarray]]:
    """Bones of one arm (``side`` 'left' or 'right'), the last extended by ``hand`` x forearm for the hand."""
    s, e, w = (f.shoulder_l, f.elbow_l, f.wrist_l) if side == "left" else (f.shoulder_r, f.elbow_r, f.wrist_r)
    hand_end = w + (w - e) * hand
    return [(s, e), (e, hand_end)]


def leg_segments(f: BodyFrame, side: str) -> list[tuple[np.ndarray, np.ndarray]]:
    """Bones of one leg: hip -> knee -> ankle."""
    h, k, a = (f.hip_l, f.knee_l, f.ankle_l) if side == "left" else (f.hip_r, f.knee_r, f.ankle_r)
    return [(h, k), (k, a)]


def point_segment_distance(px: np.ndarray, py: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance from every pixel (px, py arrays) to the segment a-b."""
    ab = b - a
    denom = float(ab @ ab) or 1e-9
    t = np.clip(((px - a[0]) * ab[0] + (py - a[1]) * ab[1]) / denom, 0, 1)
    dx = px - (a[0] + t * ab[0])
    dy = py - (a[1] + t * ab[1])
    return np.sqrt(dx * dx + dy * dy)


def along_body(f: BodyFrame, px: np.ndarray, py: np.ndarray) -> np.ndarray:
    """Signed distance of pixels along the body axis, in torso lengths: 0 at the neck, 1 at the hips."""
    return ((px - f.neck[0]) * f.down[0] + (py - f.neck[1]) * f.down[1]) / f.torso_length


def across_body(f: BodyFrame, px: np.ndarray, py: np.ndarray) -> np.ndarray:
    """Signed distance across the body axis from the neck-hip line, in pixels (+ towards the person's left)."""
    return (px - f.neck[0]) * f.right[0] + (py - f.neck[1]) * f.right[1]
