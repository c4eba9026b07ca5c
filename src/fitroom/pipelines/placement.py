"""Where each garment landmark goes on the body: pure geometry from the pose.

The garment's torso is placed by a similarity transform (scaled so its armpit-to-armpit
width spans the body's chest, its shoulder midpoint on the neck point), then its sides are
set on the body's sides and its hem widened to the body at that height. Each sleeve gets a
placement of its own: its root (shoulder seam and armpit) on the body's, its centre line
bent along the arm (shoulder -> elbow -> wrist) at the garment's own sleeve length. Torso
and sleeves are warped separately, so a sleeve can swing freely without dragging the torso.

All placements are matching ``(K, 2)`` arrays of source points (garment photo pixels, xy)
and target points (person photo pixels, xy) for a thin-plate spline.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from fitroom.person.body import BodyFrame

#: worn shoulder-seam span relative to the shoulder-joint distance
SHOULDER_SPAN = 1.18
#: worn armpit-to-armpit width relative to the shoulder-joint distance
CHEST_SPAN = 1.04
#: frontal width of a worn garment relative to its flat (product photo) width
FLAT_TO_WORN = 0.8
#: body half-width at the armpits, in shoulder-joint distances
ARMPIT_HALF = 0.52

_LANDMARKS = ("neck_left", "neck_right", "neck_front", "shoulder_left", "shoulder_right", "armpit_left",
              "armpit_right", "sleeve_left_outer", "sleeve_left_inner", "sleeve_right_outer",
              "sleeve_right_inner", "hem_left", "hem_right")


@dataclass(frozen=True)
class Placement:
    """Control points of one warped part."""

    src: np.ndarray  # (K, 2) garment pixels
    dst: np.ndarray  # (K, 2) person pixels
    names: tuple[str, ...]


@dataclass(frozen=True)
class GarmentPlacement:
    torso: Placement
    sleeves: dict[str, Placement] = field(default_factory=dict)  # "left" / "right"
    scale: float = 1.0  # person pixels per garment pixel

    @property
    def dst(self) -> np.ndarray:
        """All target points (for drawing)."""
        return np.concatenate([self.torso.dst] + [p.dst for p in self.sleeves.values()])


def _polyline_point(pts: list[np.ndarray], dist: float) -> tuple[np.ndarray, np.ndarray]:
    """Point at arc length ``dist`` along a polyline (extrapolating past its end) and the direction there."""
    for a, b in zip(pts[:-1], pts[1:]):
        seg = b - a
        n = float(np.linalg.norm(seg)) or 1e-6
        if dist <= n:
            return a + seg * (dist / n), seg / n
        dist -= n
    a, b = pts[-2], pts[-1]
    d = (b - a) / (float(np.linalg.norm(b - a)) or 1e-6)
    return b + d * dist, d


def _cross(a: np.ndarray, b: np.ndarray) -> float:
    return float(a[0] * b[1] - a[1] * b[0])


def _dedupe(names: list[str], src: list, dst: list) -> Placement:
    """Drop near-duplicate control points (they make the spline singular)."""
    s, d = np.array(src, np.float64), np.array(dst, np.float64)
    keep: list[int] = []
    for i in range(len(d)):
        if all(np.linalg.norm(d[i] - d[j]) > 1.0 and np.linalg.norm(s[i] - s[j]) > 1.0 for j in keep):
            keep.append(i)
    return Placement(src=s[keep], dst=d[keep], names=tuple(names[i] for i in keep))


def place_garment(lm, frame: BodyFrame, garment_size: tuple[int, int], *, has_sleeves: bool,
                  is_dress: bool = False) -> GarmentPlacement:
    """Placements of a garment's torso and sleeves on a body.

    Args:
        lm: :class:`fitroom.garment.GarmentLandmarks` (garment photo pixels; left/right are
            the wearer's).
        frame: body frame (person photo pixels).
        garment_size: (width, height) of the garment photo.
        has_sleeves: place the sleeves (short or long); sleeveless tops and strappy dresses
            have none.
        is_dress: widen the hem to clear the hips.
    """
    P = {n: np.asarray(getattr(lm, n), np.float64) for n in _LANDMARKS}
    sw = frame.shoulder_width
    g_chest = float(np.linalg.norm(P["armpit_left"] - P["armpit_right"])) or 1.0
    scale = CHEST_SPAN * sw / g_chest
    g_mid = (P["shoulder_left"] + P["shoulder_right"]) / 2
    g_sh = P["shoulder_left"] - P["shoulder_right"]
    g_right = g_sh / (float(np.linalg.norm(g_sh)) or 1.0)
    g_down = np.array([-g_right[1], g_right[0]])
    if g_down[1] < 0:
        g_down = -g_down
    up_shift = 0.06 * sw  # a seam sits a little above the joints

    def sim(p: np.ndarray) -> np.ndarray:
        d = p - g_mid
        return frame.neck - frame.down * up_shift + frame.right * (float(d @ g_right) * scale) + frame.down * (float(d @ g_down) * scale)

    def on_body(across_px: float, along_tl: float) -> np.ndarray:
        return frame.neck + frame.right * across_px + frame.down * (along_tl * frame.torso_length)

    def along_of(p: np.ndarray) -> float:
        return float((p - frame.neck) @ frame.down) / frame.torso_length

    names: list[str] = []
    src: list[np.ndarray] = []
    dst: list[np.ndarray] = []

    def add(name: str, s: np.ndarray, t: np.ndarray) -> None:
        names.append(name)
        src.append(np.asarray(s, np.float64))
        dst.append(np.asarray(t, np.float64))

    for n in ("neck_left", "neck_right", "neck_front"):
        add(n, P[n], sim(P[n]))
    shoulder_dst = {}
    for side, sign in (("left", 1.0), ("right", -1.0)):
        if has_sleeves:  # a set-in sleeve's seam sits on the shoulder
            t = on_body(sign * SHOULDER_SPAN / 2 * sw, along_of(sim(P[f"shoulder_{side}"])))
        else:
            t = sim(P[f"shoulder_{side}"])
        shoulder_dst[side] = t
        add(f"shoulder_{side}", P[f"shoulder_{side}"], t)

    # sides on the body's sides; the hem follows the body's width at its height (a flat
    # garment is wider than its frontal view when worn: the sides wrap around)
    hip_half = max(0.5 * float(np.linalg.norm(frame.hip_l - frame.hip_r)) * 1.3, 0.45 * sw)
    arm_half = ARMPIT_HALF * sw
    armpit_dst, ap_along = {}, {}
    for side, sign in (("left", 1.0), ("right", -1.0)):
        t = float(np.clip(along_of(sim(P[f"armpit_{side}"])), 0.22, 0.45))
        ap_along[side] = t
        armpit_dst[side] = on_body(sign * arm_half, t)
        add(f"armpit_{side}", P[f"armpit_{side}"], armpit_dst[side])
    for side, sign in (("left", 1.0), ("right", -1.0)):
        hp = sim(P[f"hem_{side}"])
        t = max(along_of(hp), ap_along[side] + 0.2)
        k = float(np.clip((t - ap_along[side]) / max(1e-6, 1.0 - ap_along[side]), 0.0, 1.0))
        body_half = arm_half * (1 - k) + hip_half * k
        flat_half = abs(float((hp - frame.neck) @ frame.right))
        half = max(body_half * 1.04, FLAT_TO_WORN * flat_half)
        if is_dress:
            half = max(half, hip_half * 1.1)
        add(f"hem_{side}", P[f"hem_{side}"], on_body(sign * half, t))
    gw, gh = garment_size
    for i, c in enumerate(((0, 0), (gw - 1, 0), (0, gh - 1), (gw - 1, gh - 1))):
        add(f"corner{i}", np.array(c, float), sim(np.array(c, float)))
    torso = _dedupe(names, src, dst)

    sleeves: dict[str, Placement] = {}
    if has_sleeves:
        for side in ("left", "right"):
            sleeves[side] = _place_sleeve(P, side, frame, scale, shoulder_dst[side], armpit_dst[side])
    return GarmentPlacement(torso=torso, sleeves=sleeves, scale=scale)


def _place_sleeve(P: dict, side: str, frame: BodyFrame, scale: float, shoulder_dst: np.ndarray,
                  armpit_dst: np.ndarray) -> Placement:
    """A sleeve: root (shoulder seam, armpit) fixed on the body; its centre line along the arm."""
    sh_g, ap_g = P[f"shoulder_{side}"], P[f"armpit_{side}"]
    c1, c2 = P[f"sleeve_{side}_outer"], P[f"sleeve_{side}_inner"]
    root_g = (sh_g + ap_g) / 2
    cuff_g = (c1 + c2) / 2
    axis_g = cuff_g - root_g
    length_g = float(np.linalg.norm(axis_g)) or 1.0
    d_g = axis_g / length_g
    # which side of the sleeve's centre line the shoulder seam is on: corners on that side go
    # to the same side of the arm (no mirroring)
    top_sign = np.sign(_cross(d_g, sh_g - root_g)) or 1.0
    c_top, c_bottom = (c1, c2) if np.sign(_cross(d_g, c1 - cuff_g)) == top_sign else (c2, c1)
    root_w_g = float(np.linalg.norm(sh_g - ap_g))
    cuff_w_g = float(np.linalg.norm(c_top - c_bottom))

    root_b = (shoulder_dst + armpit_dst) / 2
    elbow, wrist = (frame.elbow_l, frame.wrist_l) if side == "left" else (frame.elbow_r, frame.wrist_r)
    arm = [root_b, elbow, wrist]
    length_b = length_g * scale
    names = [f"{side}_root_top", f"{side}_root_bottom"]
    src = [sh_g, ap_g]
    dst = [shoulder_dst, armpit_dst]
    for frac in (0.35, 0.7, 1.0):
        c_b, d_b = _polyline_point(arm, length_b * frac)
        n_b = np.array([-d_b[1], d_b[0]])
        if np.sign(_cross(d_b, n_b)) != top_sign:
            n_b = -n_b
        n_g = np.array([-d_g[1], d_g[0]])
        if np.sign(_cross(d_g, n_g)) != top_sign:
            n_g = -n_g
        w_g = root_w_g * (1 - frac) + cuff_w_g * frac
        c_g = root_g + axis_g * frac
        if frac == 1.0:
            top_g, bot_g = c_top, c_bottom
        else:
            top_g, bot_g = c_g + n_g * w_g / 2, c_g - n_g * w_g / 2
        w_b = w_g * scale * (0.9 if frac < 1.0 else 1.0)
        names += [f"{side}_{frac:.2f}_top", f"{side}_{frac:.2f}_bottom"]
        src += [top_g, bot_g]
        dst += [c_b + n_b * w_b / 2, c_b - n_b * w_b / 2]
    return _dedupe(names, src, dst)
