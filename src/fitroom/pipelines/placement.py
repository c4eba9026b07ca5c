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
#: worn armpit-to-armpit width relative to the shoulder-joint distance (median frontal width
#: of tops at armpit height in annotated photos: 1.1-1.3)
CHEST_SPAN = 1.12
#: frontal width of a worn garment relative to its flat (product photo) width
FLAT_TO_WORN = 0.8
#: body half-width at the armpits, in shoulder-joint distances
ARMPIT_HALF = 0.56
#: a measured body (or clothes) width widens the garment by at most this factor over the
#: proportions above (bulky clothes, such as a space suit, are not the body)
MAX_WIDER = 1.3
#: the longest a top is worn, shoulder line to hem, in torso lengths (neck to mid-hip)
TOP_MAX_LENGTH = 1.15
#: the worn lengths (shoulder line to hem, torso lengths) a top and a dress are held to: a
#: crop top about half, a long top or tunic to the hips and a little below
LENGTH_RANGE = {False: (0.45, TOP_MAX_LENGTH), True: (1.2, 4.0)}  # keyed by is_dress
#: body half-width at the hips, in hip-joint distances (hip joints sit well inside the outline)
HIP_HALF = 0.95

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
class SleevePlacement(Placement):
    """A sleeve's control points plus ``region``: its outline on the body, (M, 2) person px."""

    region: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), np.float32))


@dataclass(frozen=True)
class GarmentPlacement:
    torso: Placement
    sleeves: dict[str, SleevePlacement] = field(default_factory=dict)  # "left" / "right"
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


def _scale(P: dict, sw: float, has_sleeves: bool) -> float:
    """Person px per garment px: the garment's armpit span worn at :data:`CHEST_SPAN` shoulder
    widths, or its shoulders at :data:`SHOULDER_SPAN` when that is smaller (set-in sleeves)."""
    g_chest = float(np.linalg.norm(P["armpit_left"] - P["armpit_right"])) or 1.0
    scale = CHEST_SPAN * sw / g_chest
    g_shoulders = float(np.linalg.norm(P["shoulder_left"] - P["shoulder_right"]))
    if has_sleeves and g_shoulders > 1:
        # a set-in sleeve's seams sit on the shoulders: a garment tapered below them (armpits
        # inside the shoulder line) must not be enlarged to span the chest with its armpits,
        # which makes tees into tunics
        scale = min(scale, SHOULDER_SPAN * sw / g_shoulders)
    return scale


def worn_length(lm, frame: BodyFrame, *, has_sleeves: bool, is_dress: bool = False) -> float:
    """How far below the shoulder line a garment's hem is worn, in torso lengths (neck to
    mid-hip): its own length at the scale :func:`place_garment` wears it, held to
    :data:`LENGTH_RANGE`."""
    P = {n: np.asarray(getattr(lm, n), np.float64) for n in _LANDMARKS}
    g_mid = (P["shoulder_left"] + P["shoulder_right"]) / 2
    g_len = float((P["hem_left"] + P["hem_right"])[1] / 2 - g_mid[1])
    lo, hi = LENGTH_RANGE[is_dress]
    if g_len <= 1:
        return hi
    return float(np.clip(g_len * _scale(P, frame.shoulder_width, has_sleeves) / frame.torso_length, lo, hi))


def place_garment(lm, frame: BodyFrame, garment_size: tuple[int, int], *, has_sleeves: bool,
                  is_dress: bool = False, body_width=None) -> GarmentPlacement:
    """Placements of a garment's torso and sleeves on a body.

    Args:
        lm: :class:`fitroom.garment.GarmentLandmarks` (garment photo pixels; left/right are
            the wearer's).
        frame: body frame (person photo pixels).
        garment_size: (width, height) of the garment photo.
        has_sleeves: place the sleeves (short or long); sleeveless tops and strappy dresses
            have none.
        is_dress: widen the hem to clear the hips.
        body_width: optional ``f(side, t) -> half-width in px or None``: the measured width of
            the body (or of the clothes it wears) on one side at ``t`` torso lengths below the
            neck. The sides are never placed inside it, so a larger body gets a wider garment.
    """
    P = {n: np.asarray(getattr(lm, n), np.float64) for n in _LANDMARKS}
    sw = frame.shoulder_width
    scale = _scale(P, sw, has_sleeves)
    g_mid = (P["shoulder_left"] + P["shoulder_right"]) / 2
    # product photos are upright: the garment's axes are the photo's (a tilted shoulder line
    # is far more often a landmark error than a tilted garment)
    g_right = np.array([1.0, 0.0])
    g_down = np.array([0.0, 1.0])
    up_shift = 0.06 * sw  # a seam sits a little above the joints
    # sanity: odd landmarks (two garments in one photo, an unusual cut) can make the chest
    # tiny and the garment gigantic; keep its worn length within what tops and dresses have
    g_len = float(((P["hem_left"] + P["hem_right"]) / 2 - g_mid) @ g_down)
    if g_len > 1:
        lo, hi = LENGTH_RANGE[is_dress]
        worn = g_len * scale / frame.torso_length
        if not lo <= worn <= hi:
            scale = float(np.clip(worn, lo, hi)) * frame.torso_length / g_len

    # an orthonormal body frame: across the shoulders, and perpendicular to it downwards
    # (neck -> hips is not perpendicular to the shoulders when the body leans; using it
    # would shear the garment and tilt its hem)
    b_right = frame.right
    b_down = np.array([-b_right[1], b_right[0]])
    if b_down @ frame.down < 0:
        b_down = -b_down
    tl = frame.torso_length

    def sim(p: np.ndarray) -> np.ndarray:
        d = p - g_mid
        return frame.neck - b_down * up_shift + b_right * (float(d @ g_right) * scale) + b_down * (float(d @ g_down) * scale)

    def on_body(across_px: float, along_tl: float) -> np.ndarray:
        return frame.neck + b_right * across_px + b_down * (along_tl * tl)

    def along_of(p: np.ndarray) -> float:
        return float((p - frame.neck) @ b_down) / tl

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
    hip_half = max(HIP_HALF * float(np.linalg.norm(frame.hip_l - frame.hip_r)), 0.55 * sw)
    arm_half = ARMPIT_HALF * sw
    armpit_dst, ap_along = {}, {}
    for side, sign in (("left", 1.0), ("right", -1.0)):
        t = float(np.clip(along_of(sim(P[f"armpit_{side}"])), 0.22, 0.45))
        ap_along[side] = t
        measured = body_width(side, t) if body_width is not None else None
        armpit_dst[side] = on_body(sign * max(arm_half, min(measured or 0.0, MAX_WIDER * arm_half)), t)
        add(f"armpit_{side}", P[f"armpit_{side}"], armpit_dst[side])
    for side, sign in (("left", 1.0), ("right", -1.0)):
        hp = sim(P[f"hem_{side}"])
        t = max(along_of(hp), ap_along[side] + 0.2)
        k = float(np.clip((t - ap_along[side]) / max(1e-6, 1.0 - ap_along[side]), 0.0, 1.0))
        body_half = arm_half * (1 - k) + hip_half * k
        flat_half = abs(float((hp - frame.neck) @ b_right))
        half = max(body_half * 1.04, FLAT_TO_WORN * flat_half)
        if is_dress:
            half = max(half, hip_half * 1.1)
        measured = body_width(side, t) if body_width is not None else None
        if measured:
            half = max(half, min(measured, MAX_WIDER * body_half * 1.04))
        add(f"hem_{side}", P[f"hem_{side}"], on_body(sign * half, t))
    gw, gh = garment_size
    for i, c in enumerate(((0, 0), (gw - 1, 0), (0, gh - 1), (gw - 1, gh - 1))):
        add(f"corner{i}", np.array(c, float), sim(np.array(c, float)))
    torso = _dedupe(names, src, dst)

    sleeves: dict[str, SleevePlacement] = {}
    if has_sleeves:
        for side in ("left", "right"):
            sleeves[side] = _place_sleeve(P, side, frame, scale, shoulder_dst[side], armpit_dst[side])
    return GarmentPlacement(torso=torso, sleeves=sleeves, scale=scale)


def _smoothstep(x: float) -> float:
    x = min(1.0, max(0.0, x))
    return x * x * (3 - 2 * x)


def _place_sleeve(P: dict, side: str, frame: BodyFrame, scale: float, shoulder_dst: np.ndarray,
                  armpit_dst: np.ndarray) -> SleevePlacement:
    """A sleeve: its two edges (shoulder seam -> cuff corner, armpit -> other cuff corner)
    laid along the outer and inner side of the arm.

    In the garment photo the edges are taken as straight lines. On the body, each edge
    starts at the torso's shoulder seam / armpit and blends, over the first stretch, into a
    line parallel to the arm (shoulder -> elbow -> wrist) at the sleeve's own half-width, so
    a sleeve follows a bent arm and still joins the torso at the armhole.
    """
    sh_g, ap_g = P[f"shoulder_{side}"], P[f"armpit_{side}"]
    c1, c2 = P[f"sleeve_{side}_outer"], P[f"sleeve_{side}_inner"]
    # the cuff corner nearer the shoulder seam continues the top edge
    if np.linalg.norm(c1 - sh_g) + np.linalg.norm(c2 - ap_g) <= np.linalg.norm(c2 - sh_g) + np.linalg.norm(c1 - ap_g):
        c_top, c_bot = c1, c2
    else:
        c_top, c_bot = c2, c1
    root_g = (sh_g + ap_g) / 2
    cuff_g = (c_top + c_bot) / 2
    length_g = float(np.linalg.norm(cuff_g - root_g)) or 1.0
    cuff_half_g = float(np.linalg.norm(c_top - c_bot)) / 2
    length_b = length_g * scale
    # a sleeve is never narrower than the arm inside it (bare arms measure 0.09-0.13 shoulder
    # widths in half-width on annotated photos, median 0.11; the drawn arm is 0.105 at the upper arm)
    min_half = 0.1 * frame.shoulder_width
    cuff_half_b = max(cuff_half_g * scale, min_half)
    root_half_b = max(float(np.linalg.norm(shoulder_dst - armpit_dst)) / 2, min_half)
    elbow, wrist = (frame.elbow_l, frame.wrist_l) if side == "left" else (frame.elbow_r, frame.wrist_r)
    root_b = (shoulder_dst + armpit_dst) / 2
    arm = [root_b, elbow, wrist]
    # the sleeve turns with the arm but is never mirrored: the top edge stays on the same
    # side (cross-product sign) of the sleeve's direction as in the photo. (n = perp(d) has
    # cross(d, n) = +1, so the sign picks the side directly.)
    d_g = (cuff_g - root_g) / length_g
    top_sign = 1.0 if _cross(d_g, (c_top + sh_g) / 2 - (root_g + cuff_g) / 2) >= 0 else -1.0
    blend = min(1.0, 0.3 * frame.shoulder_width / max(length_b, 1e-6) + 0.15)  # fraction of the length

    names: list[str] = []
    src: list[np.ndarray] = []
    dst: list[np.ndarray] = []
    top_line, bot_line = [], []
    for u in (0.0, 0.15, 0.3, 0.5, 0.75, 1.0):
        c_b, d_b = _polyline_point(arm, length_b * u)
        n_b = np.array([-d_b[1], d_b[0]]) * top_sign
        half = cuff_half_b
        k = _smoothstep(u / blend)
        top_b = (1 - k) * shoulder_dst + k * (c_b + n_b * half)
        bot_b = (1 - k) * armpit_dst + k * (c_b - n_b * half)
        top_g = sh_g + (c_top - sh_g) * u
        bot_g = ap_g + (c_bot - ap_g) * u
        for tag, sg, db in (("top", top_g, top_b), ("mid", (top_g + bot_g) / 2, (top_b + bot_b) / 2), ("bottom", bot_g, bot_b)):
            names.append(f"{side}_{u:.2f}_{tag}")
            src.append(sg)
            dst.append(db)
        top_line.append(top_b)
        bot_line.append(bot_b)
    region = np.array(top_line + bot_line[::-1], np.float32)
    pl = _dedupe(names, src, dst)
    return SleevePlacement(src=pl.src, dst=pl.dst, names=pl.names, region=region)
