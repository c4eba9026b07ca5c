"""Procedural product photos of garments, with exact masks and landmarks.

fitroom makes these pictures itself, so they can ship with the project (as its bundled
examples) and serve as exact ground truth in tests of :mod:`fitroom.garment`.

A garment is built as a few polygons in abstract units (the chest half-width is 1, y grows
downwards, the neck points lie on y = 0): a torso (with neckline, shoulders, armholes, sides,
hem), and one polygon per sleeve drawn over it. Proportions, sleeve angles and lengths,
neckline shape, colours and pattern are drawn from ``numpy.random.default_rng(seed)``. The
shape is then scaled and placed on the canvas and rasterised with anti-aliasing; the mask is
the set of pixels at least half covered, and the landmarks are the construction points.

Coordinates follow :mod:`fitroom.garment.landmarks`: pixels, x right, y down, and
"left"/"right" are the wearer's sides (the wearer's left sleeve is on the image right).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from fitroom.geometry.curves import catmull_rom

from fitroom.garment.landmarks import GarmentLandmarks
from fitroom.labels import GarmentCategory

PATTERNS = ("solid", "stripes", "checks", "dots")

#: A few fabric colours (RGB) that look like a shop's catalogue.
PALETTE: tuple[tuple[int, int, int], ...] = (
    (28, 36, 66),     # navy
    (24, 24, 26),     # black
    (176, 32, 44),    # red
    (110, 28, 48),    # burgundy
    (38, 84, 60),     # forest green
    (112, 118, 70),   # olive
    (214, 160, 52),   # mustard
    (122, 168, 214),  # sky blue
    (232, 160, 176),  # pink
    (226, 118, 100),  # coral
    (128, 130, 134),  # grey
    (210, 192, 166),  # beige
    (80, 96, 150),    # denim blue
    (150, 110, 170),  # lilac
)

_SUPPORTED = tuple(GarmentCategory)
_SHIFT = 4  # fixed-point bits for cv2.fillPoly (1/16 pixel precision)


@dataclass(frozen=True)
class RenderedGarment:
    """A rendered product photo with its exact ground truth.

    ``image`` is ``(H, W, 3)`` uint8 RGB; ``mask`` is ``(H, W)`` bool (pixels at least half
    covered by the garment); ``landmarks`` are the construction points (pixels);
    ``torso_mask`` and ``sleeve_masks`` (wearer's left, right) split ``mask`` into the torso
    and the sleeves (empty for sleeveless garments and bottoms).
    """

    image: np.ndarray
    mask: np.ndarray
    landmarks: GarmentLandmarks
    category: GarmentCategory
    torso_mask: np.ndarray = field(repr=False, default=None)  # type: ignore[assignment]
    sleeve_masks: tuple[np.ndarray, np.ndarray] = field(repr=False, default=None)  # type: ignore[assignment]
    pattern: str = "solid"
    colour: tuple[int, int, int] = (0, 0, 0)


# --- curve helpers (all in abstract units, arrays of shape (N, 2)) -----------------------
def _line(p0, p1, n: int = 12) -> np.ndarray:
    t = np.linspace(0.0, 1.0, n)[:, None]
    return (1 - t) * np.asarray(p0, float) + t * np.asarray(p1, float)


def _quad(p0, c, p1, n: int = 24) -> np.ndarray:
    t = np.linspace(0.0, 1.0, n)[:, None]
    p0, c, p1 = (np.asarray(v, float) for v in (p0, c, p1))
    return (1 - t) ** 2 * p0 + 2 * (1 - t) * t * c + t**2 * p1


def _cubic(p0, c0, c1, p1, n: int = 28) -> np.ndarray:
    t = np.linspace(0.0, 1.0, n)[:, None]
    p0, c0, c1, p1 = (np.asarray(v, float) for v in (p0, c0, c1, p1))
    return (1 - t) ** 3 * p0 + 3 * (1 - t) ** 2 * t * c0 + 3 * (1 - t) * t**2 * c1 + t**3 * p1


def _path(*pieces: np.ndarray) -> np.ndarray:
    """Concatenate polyline pieces, dropping repeated joint points."""
    out = [pieces[0]]
    for p in pieces[1:]:
        if np.allclose(out[-1][-1], p[0]):
            p = p[1:]
        out.append(p)
    return np.concatenate(out, 0)


def _mirror(p: np.ndarray) -> np.ndarray:
    """Mirror a polyline of the right half (x < 0) to the left half, reversed."""
    q = p[::-1].copy()
    q[:, 0] = -q[:, 0]
    return q


def _chaikin(poly: np.ndarray, iterations: int = 2) -> np.ndarray:
    """Corner-cutting smoothing of a closed polygon (rounds sharp corners slightly)."""
    p = poly
    for _ in range(iterations):
        q = np.roll(p, -1, axis=0)
        p = np.stack([0.8 * p + 0.2 * q, 0.2 * p + 0.8 * q], 1).reshape(-1, 2)
    return p


def _resample(poly: np.ndarray, step: float) -> np.ndarray:
    """Resample a closed polyline at roughly uniform spacing ``step``."""
    closed = np.vstack([poly, poly[:1]])
    seg = np.linalg.norm(np.diff(closed, axis=0), axis=1)
    s = np.concatenate([[0.0], np.cumsum(seg)])
    n = max(int(s[-1] / step), 8)
    t = np.linspace(0.0, s[-1], n, endpoint=False)
    return np.stack([np.interp(t, s, closed[:, 0]), np.interp(t, s, closed[:, 1])], 1)


# --- shape construction -------------------------------------------------------------------
@dataclass
class _Shape:
    torso: list[np.ndarray]  # closed polygons forming the torso (straps included)
    sleeves: tuple[np.ndarray | None, np.ndarray | None]  # (wearer's left, right)
    points: dict[str, tuple[float, float]]
    has_sleeves: bool
    neck_curve: np.ndarray | None = None  # the front neckline, for a rib band
    hem_curve: np.ndarray | None = None


def _u(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(rng.uniform(lo, hi))


def _upper_body(rng: np.random.Generator, kind: str) -> dict:
    """Right half (image left, x < 0) of the upper body: neckline, shoulder, armhole.

    ``kind`` is "short", "long", "tank" or "cami". Returns the pieces and points needed by
    :func:`_top_shape`.
    """
    r: dict = {"kind": kind}
    ya = _u(rng, 0.85, 1.05)  # armpit depth below the neck points
    if kind == "cami":
        xt = _u(rng, 0.42, 0.58)  # strap centre at the top
        st = _u(rng, 0.05, 0.09)  # strap width
        xb = xt + _u(rng, 0.0, 0.12)  # strap centre at the body's top edge
        yp = _u(rng, 0.55, 0.85)  # strap base height
        ya = yp + _u(rng, 0.12, 0.3)
        yf = yp + _u(rng, 0.12, 0.45)  # neckline centre (lowest point)
        r.update(xt=xt, st=st, xb=xb, yp=yp, ya=ya, yf=yf)
        r["A"] = (-1.0, ya)
        r["N"] = (-xt + st / 2, 0.0)
        r["S"] = (-xt - st / 2, 0.0)
        r["F"] = (0.0, yf)
        return r
    nw = _u(rng, 0.3, 0.45)
    neck = "v" if rng.random() < 0.3 else "round"
    nd = _u(rng, 0.5, 0.95) if neck == "v" else _u(rng, 0.12, 0.4)
    r.update(nw=nw, neck=neck, nd=nd, ya=ya)
    r["N"] = (-nw, 0.0)
    r["F"] = (0.0, nd)
    r["A"] = (-1.0, ya)
    if kind == "tank":
        sx = nw + _u(rng, 0.18, 0.4)
        r["S"] = (-sx, _u(rng, 0.06, 0.14))
        r["A"] = (-1.0, ya + _u(rng, 0.05, 0.2))
        return r
    if kind == "short":
        theta = np.deg2rad(_u(rng, 38, 66))
        sw = 0.0
    else:
        hanging = rng.random() < 0.55
        theta = np.deg2rad(_u(rng, 2, 9) if hanging else _u(rng, 20, 40))
        sw = _u(rng, 0.42, 0.62)
    # Shoulder tip: above the armpit when the sleeve is spread, pushed out by about the
    # sleeve width when the sleeve hangs down beside the torso.
    spread = float(np.clip((np.rad2deg(theta) - 15) / 25, 0, 1))
    out = (1 - spread) * sw
    sx = 1.0 + out + _u(rng, -0.04, 0.05)
    # sleeve length (shoulder to cuff) in shoulder widths: short 0.2-0.45, long 1.2-1.5
    ls = 2 * max(sx, 1.0) * (_u(rng, 0.2, 0.45) if kind == "short" else _u(rng, 1.2, 1.5))
    drop = _u(rng, 0.1, 0.22) * (sx - nw)
    S = np.array([-sx, drop])
    A = np.array(r["A"])
    d = np.array([-np.sin(theta), np.cos(theta)])  # sleeve direction (outward, down)
    n_in = np.array([np.cos(theta), np.sin(theta)])  # towards the underside of the sleeve
    armhole = abs(float((A - S)[0] * d[1] - (A - S)[1] * d[0]))  # sleeve width at the top
    if kind == "short":
        cuff = armhole * _u(rng, 0.8, 0.98)
        # keep the underarm corner visibly outside the torso's side, else no one (and no
        # detector) could tell where the underarm is
        ls = max(ls, 0.45 / np.sin(theta))
        cuff = min(cuff, (-1.12 - (S + ls * d)[0]) / np.cos(theta))
    else:
        cuff = armhole * _u(rng, 0.45, 0.7)
    O = S + ls * d
    I = O + cuff * n_in
    # the inner edge must stay outside the torso side for hanging sleeves
    if kind == "long" and I[0] > -1.2:
        shift = -1.2 - I[0]
        O = O + np.array([shift, 0.0])
        I = I + np.array([shift, 0.0])
    r.update(theta=theta, S=tuple(S), O=tuple(O), I=tuple(I), d=d, ls=ls, hanging=kind == "long" and spread < 0.5)
    return r


def _top_shape(rng: np.random.Generator, category: GarmentCategory) -> _Shape:
    is_dress = category == GarmentCategory.DRESS
    if category == GarmentCategory.SHORT_SLEEVE_TOP:
        kind = "short"
    elif category == GarmentCategory.LONG_SLEEVE_TOP:
        kind = "long"
    elif category == GarmentCategory.SLEEVELESS_TOP:
        kind = "cami" if rng.random() < 0.4 else "tank"
    else:
        kind = str(rng.choice(["short", "long", "tank", "cami"], p=[0.3, 0.2, 0.25, 0.25]))
    u = _upper_body(rng, kind)
    A = np.array(u["A"])

    # --- sides and hem (right half) ---
    # body length (neck points to hem) in widths of the upper body (shoulders, or chest
    # without sleeves): tops up to 1.7 (2.2 when long and straight), dresses from 2.2
    width = 2 * min(max(-u["S"][0], 1.0), 1.35) if kind in ("short", "long") else 2.0
    if is_dress:
        flare = _u(rng, 1.1, 1.8) if rng.random() < 0.75 else _u(rng, 0.95, 1.1)
        lo = 2.2 if kind in ("short", "long") or flare >= 1.25 else 2.6
        length = width * _u(rng, lo, max(lo + 0.4, 3.6))
        ww = _u(rng, 0.8, 0.93)
        yw = A[1] + _u(rng, 0.7, 1.1)
        hw = flare
        Hm = np.array([-hw, length])
        W = np.array([-ww, yw])
        hip = (-(ww + 0.3 * (hw - ww)) - 0.04, yw + 0.3 * (length - yw))
        side = catmull_rom(np.array([A, W, hip, Hm], float), 14)
        sag = _u(rng, 0.02, 0.12)
    else:
        r_len = _u(rng, 1.25, 1.7) if kind in ("short", "long") else _u(rng, 1.3, 2.2)
        length = width * r_len
        hw = _u(rng, 0.95, 1.02 if (u.get("hanging") or r_len > 1.8) else 1.12)
        Hm = np.array([-hw, length])
        side = _quad(A, (-(1.0 + hw) / 2 + _u(rng, -0.03, 0.05), (A[1] + length) / 2), Hm, 24)
        sag = _u(rng, -0.02, 0.06)
    hem = _quad(Hm, (0.0, length + 2 * sag), (hw, length), 33)
    half_hem = hem[: len(hem) // 2 + 1]  # right half, from the corner to the centre

    points: dict[str, tuple[float, float]] = {}
    sleeves: list[np.ndarray | None] = [None, None]
    torso: list[np.ndarray] = []
    neck_curve = None

    if kind == "cami":
        xt, st, xb, yp, ya, yf = (u[k] for k in ("xt", "st", "xb", "yp", "ya", "yf"))
        F = np.array([0.0, yf])
        P = np.array([-xb, yp])
        # body top edge, right half: from the neckline centre up to the strap base, then
        # down to the underarm
        edge = _path(_quad(F, (-xb * 0.55, yf - 0.02), P, 16), _quad(P, (-(xb + 1) / 2, yp), A, 16))
        right_half = _path(edge, side, half_hem)  # F -> P -> A -> Hm -> hem centre
        body = _path(right_half, _mirror(right_half)[1:])
        torso.append(body)
        for sgn in (-1.0, 1.0):  # straps, as quads from the top to the edge
            top_c, bot_c = np.array([sgn * xt, 0.0]), np.array([sgn * xb, yp + 0.02])
            hw_s = st / 2
            strap = np.array([top_c + (-hw_s, 0), top_c + (hw_s, 0), bot_c + (hw_s * 1.4, 0), bot_c + (-hw_s * 1.4, 0)])
            torso.append(_path(*[_line(strap[i], strap[(i + 1) % 4], 6) for i in range(4)]))
        N, S = np.array(u["N"]), np.array(u["S"])
        points.update(neck_right=tuple(N), shoulder_right=tuple(S), armpit_right=tuple(A),
                      sleeve_right_outer=tuple(S), sleeve_right_inner=tuple(A), neck_front=tuple(F))
        has_sleeves = False
        neck_curve = _path(_mirror(edge[: len(edge) // 2]), edge[: len(edge) // 2])
    else:
        N, F = np.array(u["N"]), np.array(u["F"])
        S = np.array(u["S"])
        if u["neck"] == "v":
            neck_r = _quad(F, ((N[0] + F[0]) / 2 - 0.04, (N[1] + F[1]) / 2), N, 16)
        else:
            neck_r = _cubic(F, (N[0] * 0.6, F[1]), (N[0], F[1] * 0.45), N, 20)
        S_mark = S  # the shoulder landmark (on the contour)
        if kind == "long":
            # round the shoulder corner, where the sleeve falls away from the shoulder line
            rf = _u(rng, 0.1, 0.16) if u["hanging"] else _u(rng, 0.04, 0.08)
            unit = lambda v: v / np.linalg.norm(v)  # noqa: E731
            Sb, Sd, Sa = S + rf * unit(N - S), S + rf * u["d"], S + rf * unit(A - S)
            S_mark = 0.25 * Sb + 0.5 * S + 0.25 * Sd
        else:
            Sb = S
        shoulder = _quad(N, ((N[0] + Sb[0]) / 2, (N[1] + Sb[1]) / 2 - 0.03), Sb, 12)
        if kind == "tank":
            armhole = _cubic(S, (S[0] - 0.02, (S[1] + A[1]) * 0.6), (A[0] + 0.2, A[1] - 0.02), A, 24)
            has_sleeves = False
            points.update(sleeve_right_outer=tuple(S), sleeve_right_inner=tuple(A))
        else:
            O, I = np.array(u["O"]), np.array(u["I"])
            if kind == "short":
                armhole = _line(S, A, 10)
                outer = _quad(S, (S + O) / 2 + np.array([-0.02, -0.02]), O, 14)
                under = _line(I, A, 10)
                sl = _path(armhole[::-1], outer, _line(O, I, 8), under)  # A -> S -> O -> I -> A
            else:
                armhole = _path(_line(Sb, Sa, 4), _line(Sa, A, 10))
                mid = (Sd + O) / 2 + 0.03 * np.array([-np.cos(u["theta"]), -np.sin(u["theta"])])
                outer = _path(_quad(Sb, S, Sd, 10), _quad(Sd, mid, O, 20))
                # the underarm seam leaves the torso at a visible angle (an open V at
                # the armpit) and then falls straight to the cuff
                if u["hanging"]:
                    t14 = np.deg2rad(14)
                    ctrl = A + 0.45 * float(np.hypot(*(I - A))) * np.array([-np.sin(t14), np.cos(t14)])
                else:
                    ctrl = (I + A) / 2 + np.array([0.015, 0.0])
                under = _quad(I, ctrl, A, 20)
                sl = _path(_line(A, Sb, 10), outer, _line(O, I, 8), under)
            sleeves[1] = sl[:-1]
            sleeves[0] = _mirror(sl)[:-1]
            has_sleeves = True
            points.update(sleeve_right_outer=tuple(O), sleeve_right_inner=tuple(I))
        right_half = _path(neck_r, shoulder, armhole, side, half_hem)  # F -> ... -> hem centre
        body = _path(right_half[::-1], _mirror(right_half[::-1])[1:])
        torso.append(body)
        points.update(neck_right=tuple(N), shoulder_right=tuple(S_mark), armpit_right=tuple(A),
                      neck_front=tuple(F))
        neck_curve = _path(_mirror(neck_r), neck_r[1:])
    points["hem_right"] = (float(Hm[0]), float(Hm[1]))
    # mirror the right-hand points to the wearer's left
    for k in list(points):
        if k.endswith("_right") or "_right_" in k:
            kl = k.replace("right", "left")
            points[kl] = (-points[k][0], points[k][1])
    return _Shape(torso=torso, sleeves=(sleeves[0], sleeves[1]), points=points,
                  has_sleeves=has_sleeves, neck_curve=neck_curve, hem_curve=hem)


def _bottom_shape(rng: np.random.Generator, category: GarmentCategory) -> _Shape:
    ww = 1.0
    if category == GarmentCategory.TROUSERS:
        shorts = rng.random() < 0.25
        hipw = ww * _u(rng, 1.02, 1.1)
        yh = _u(rng, 0.45, 0.7)
        yc = _u(rng, 0.9, 1.3)
        length = _u(rng, 1.6, 2.2) if shorts else _u(rng, 3.6, 5.0)
        gap = _u(rng, 0.14, 0.4) if not shorts else _u(rng, 0.2, 0.4)
        legw = _u(rng, 0.5, 0.75) if not shorts else _u(rng, 0.75, 0.95)
        xi = gap / 2 + (length - yc) * _u(rng, 0.0, 0.03)
        xo = xi + legw
        right = _path(
            _line((0.0, 0.0), (-ww, 0.0), 8),
            _quad((-ww, 0.0), (-hipw, yh * 0.5), (-hipw, yh), 12),
            _quad((-hipw, yh), (-(hipw + xo) / 2 - 0.02, (yh + length) / 2), (-xo, length), 24),
            _line((-xo, length), (-xi, length), 6),
            _quad((-xi, length), (-xi * 0.6, (yc + length) / 2), (0.0, yc), 24),
        )
        hem_r = (-xo, length)
    else:
        hw = _u(rng, 1.05, 1.7)
        length = _u(rng, 1.5, 3.8)
        sag = _u(rng, 0.0, 0.1)
        right = _path(
            _line((0.0, 0.0), (-ww, 0.0), 8),
            _quad((-ww, 0.0), (-ww - 0.1, length * 0.3), (-hw, length), 24),
            _quad((-hw, length), (-hw / 2, length + sag), (0.0, length + sag), 16),
        )
        hem_r = (-hw, length)
    body = _path(right, _mirror(right)[1:-1])
    pr = (-ww, 0.0)
    points = {}
    for side, sgn in (("right", 1.0), ("left", -1.0)):
        p = (sgn * pr[0], 0.0)
        for k in ("neck", "shoulder", "armpit", "sleeve_{}_outer", "sleeve_{}_inner"):
            name = k.format(side) if "{}" in k else f"{k}_{side}"
            points[name] = p
        points[f"hem_{side}"] = (sgn * hem_r[0], hem_r[1])
    points["neck_front"] = (0.0, 0.0)
    return _Shape(torso=[body], sleeves=(None, None), points=points, has_sleeves=False)


# --- textures and shading ------------------------------------------------------------------
def _stripes(coord: np.ndarray, period: float, duty: float) -> np.ndarray:
    """Anti-aliased 0/1 stripes along ``coord`` (pixels)."""
    f = coord / period
    f = f - np.floor(f)
    return np.clip((duty / 2 - np.abs(f - 0.5)) * period + 0.5, 0.0, 1.0)


def _pattern_field(pattern: str, xx: np.ndarray, yy: np.ndarray, scale: float,
                   rng: np.random.Generator) -> np.ndarray:
    if pattern == "stripes":
        period = scale * _u(rng, 0.05, 0.16)
        duty = _u(rng, 0.25, 0.55)
        if rng.random() < 0.8:
            return _stripes(yy, period, duty)
        return _stripes(xx, period, duty)
    if pattern == "checks":
        period = scale * _u(rng, 0.08, 0.18)
        duty = _u(rng, 0.4, 0.55)
        return 0.5 * (_stripes(xx, period, duty) + _stripes(yy, period, duty))
    if pattern == "dots":
        period = scale * _u(rng, 0.12, 0.24)
        radius = period * _u(rng, 0.12, 0.26)
        u, v = xx / period, yy / period
        row = np.floor(v + 0.5)
        u = u + 0.5 * (row % 2)
        du = u - np.floor(u + 0.5)
        dv = v - row
        dist = np.sqrt(du * du + dv * dv) * period
        return np.clip(radius - dist + 0.5, 0.0, 1.0)
    return np.zeros_like(xx)


def _pattern_colour(base: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    lum = float(base @ np.array([0.299, 0.587, 0.114]))
    if lum < 0.35:
        choices = [np.array([0.95, 0.94, 0.92]), np.array([0.85, 0.78, 0.55])]
    elif lum > 0.8:
        choices = [np.array(PALETTE[0]) / 255, np.array(PALETTE[2]) / 255, np.array(PALETTE[4]) / 255]
    else:
        choices = [np.array([0.97, 0.96, 0.94]), base * 0.35]
    return choices[int(rng.integers(len(choices)))]


def _fill(polys: list[np.ndarray], shape: tuple[int, int]) -> np.ndarray:
    """Anti-aliased coverage (uint8, 255 = fully inside) of the union of polygons."""
    canvas = np.zeros(shape, np.uint8)
    pts = [np.round(p * (1 << _SHIFT)).astype(np.int32).reshape(-1, 1, 2) for p in polys]
    cv2.fillPoly(canvas, pts, 255, lineType=cv2.LINE_AA, shift=_SHIFT)
    return canvas


# --- the renderer -----------------------------------------------------------------------
def render_garment(
    category: GarmentCategory | str,
    *,
    size: tuple[int, int] = (768, 1024),
    seed: int,
    colour: tuple[int, int, int] | None = None,
    pattern: str | None = None,
) -> RenderedGarment:
    """Render a product photo of a garment of ``category`` on a light background.

    ``size`` is ``(width, height)``. The shape, the colour (unless ``colour``, RGB 0-255, is
    given) and the pattern (unless ``pattern``, one of :data:`PATTERNS`, is given) are drawn
    from ``seed``; the same arguments always give the same picture. About one garment in
    eight is white on a white background (the hardest case for masking).
    """
    category = GarmentCategory(category)
    if pattern is not None and pattern not in PATTERNS:
        raise ValueError(f"unknown pattern {pattern!r}; choose one of {', '.join(PATTERNS)}")
    width, height = (int(v) for v in size)
    if width < 32 or height < 32:
        raise ValueError(f"size must be at least 32x32, got {size}")
    rng = np.random.default_rng(seed)

    # ---- shape ----
    if category.is_bottom:
        shape = _bottom_shape(rng, category)
    else:
        shape = _top_shape(rng, category)
    polys = list(shape.torso) + [s for s in shape.sleeves if s is not None]
    allp = np.concatenate(polys, 0)
    lo, hi = allp.min(0), allp.max(0)
    margin_x = _u(rng, 0.05, 0.1)
    margin_y = _u(rng, 0.05, 0.1)
    scale = min(width * (1 - 2 * margin_x) / (hi[0] - lo[0]), height * (1 - 2 * margin_y) / (hi[1] - lo[1]))
    cx = (width - 1) / 2 + _u(rng, -0.02, 0.02) * width
    cy = (height - 1) / 2 + _u(rng, -0.02, 0.02) * height
    off = np.array([cx, cy]) - scale * (lo + hi) / 2

    def to_px(p: np.ndarray) -> np.ndarray:
        return p * scale + off

    step = 1.5 / scale  # resample so corner rounding is a few pixels at most
    torso_px = [to_px(_chaikin(_resample(p, step))) for p in shape.torso]
    sleeve_px = [None if s is None else to_px(_chaikin(_resample(s, step))) for s in shape.sleeves]

    hw_shape = (height, width)
    torso_cov = _fill(torso_px, hw_shape)
    sleeve_cov = [None if s is None else _fill([s], hw_shape) for s in sleeve_px]
    cov = torso_cov
    for s in sleeve_cov:
        if s is not None:
            cov = np.maximum(cov, s)
    mask = cov >= 128
    sleeve_masks = tuple(
        (np.zeros(hw_shape, bool) if s is None else (s >= 128) & mask) for s in sleeve_cov
    )
    torso_mask = mask & ~sleeve_masks[0] & ~sleeve_masks[1]

    pts = {k: tuple(float(v) for v in to_px(np.array(p))) for k, p in shape.points.items()}
    landmarks = GarmentLandmarks(**pts, has_sleeves=shape.has_sleeves)

    # ---- colours ----
    white = colour is None and rng.random() < 0.125
    if colour is not None:
        base = np.asarray(colour, np.float32) / 255.0
        white = bool(base.min() > 0.88)  # white (or near-white) fabric
    elif white:
        base = np.array([_u(rng, 0.955, 0.985)] * 3, np.float32) + np.float32(_u(rng, -0.01, 0.0)) * np.array([0, 0, 1], np.float32)
    else:
        base = np.array(PALETTE[int(rng.integers(len(PALETTE)))], np.float32) / 255.0
        base = np.clip(base * _u(rng, 0.9, 1.1), 0, 1)
    if pattern is None:
        pattern = str(rng.choice(PATTERNS, p=[0.45, 0.25, 0.12, 0.18]))
    pcol = _pattern_colour(base, rng).astype(np.float32)
    # shops over-expose the backdrop, so white fabric is never brighter than it
    bg_level = _u(rng, 0.93, 0.995) if not white else max(_u(rng, 0.975, 1.0), float(base.max()) + 0.01)
    bg = np.array([bg_level, bg_level, bg_level], np.float32) + np.float32(_u(rng, -0.008, 0.004)) * np.array([0, 0, 1], np.float32)

    # ---- texture and shading (float32, vectorised) ----
    # work only inside the garment's bounding box (plus a border for the shadow)
    ys, xs = np.nonzero(cov)
    y0, y1 = max(int(ys.min()) - 2, 0), min(int(ys.max()) + 3, height)
    x0, x1 = max(int(xs.min()) - 2, 0), min(int(xs.max()) + 3, width)
    xx = np.arange(x0, x1, dtype=np.float32)[None, :] - np.float32(cx)
    yy = np.arange(y0, y1, dtype=np.float32)[:, None]
    xx2, yy2 = np.broadcast_arrays(xx, yy)
    garment_w = float(scale * 2.0)  # chest width in pixels
    p = _pattern_field(pattern, xx2, yy2 - np.float32(off[1]), garment_w, rng).astype(np.float32)
    albedo = base[None, None, :] * (1 - p[..., None]) + pcol[None, None, :] * p[..., None]

    # soft vertical folds
    fold = np.ones_like(xx2)
    for _ in range(4):
        lam = garment_w * _u(rng, 0.25, 0.9)
        amp = _u(rng, 0.012, 0.035)
        tilt = _u(rng, -0.15, 0.15)
        fold += amp * np.sin((xx2 + tilt * yy2) * np.float32(2 * np.pi / lam) + np.float32(_u(rng, 0, 6.3)))
    if white:  # folds only shade white fabric, they never make it brighter than the backdrop
        fold = np.minimum(fold, np.float32(1.0))
    # darker near the edges of each part (seams where a sleeve lies over the torso)
    edge_a = _u(rng, 0.1, 0.2) if not white else _u(rng, 0.1, 0.16)
    edge_s = garment_w * _u(rng, 0.02, 0.04)
    shade = fold
    for c in [torso_cov] + [s for s in sleeve_cov if s is not None]:
        sub = np.ascontiguousarray(c[y0:y1, x0:x1])
        sub = (sub >= 128).astype(np.uint8)
        sub = np.pad(sub, 1)
        dist = cv2.distanceTransform(sub, cv2.DIST_L2, 3)[1:-1, 1:-1]
        k = edge_a if (c is torso_cov or white) else edge_a * 0.7
        dark = np.float32(k) * np.exp(-dist / np.float32(edge_s))
        shade = shade * (1 - dark * sub[1:-1, 1:-1])
    light = 1.0 + np.float32(0.04) * (-(yy2 - yy2.mean()) / max(y1 - y0, 1))
    garment_rgb = albedo * (shade * light)[..., None]

    # rib band along the neckline and a stitched hem
    if shape.neck_curve is not None and not category.is_bottom:
        band = np.zeros((y1 - y0, x1 - x0), np.uint8)
        nc = to_px(shape.neck_curve) - np.array([x0, y0])
        cv2.polylines(band, [np.round(nc * 16).astype(np.int32).reshape(-1, 1, 2)], False, 255,
                      thickness=max(int(garment_w * 0.035), 2), lineType=cv2.LINE_AA, shift=4)
        garment_rgb *= (1 - np.float32(0.06) * band[..., None].astype(np.float32) / 255)

    # ---- background with a soft shadow ----
    img = np.empty((height, width, 3), np.float32)
    grad = (np.linspace(-1, 1, height, dtype=np.float32) * np.float32(_u(rng, -0.012, 0.012)))[:, None, None]
    img[:] = bg[None, None, :]
    img += grad
    # a slight soft shadow (white garments are shot on a lit white sweep: hardly any)
    shadow_k = _u(rng, 0.0, 0.05) * (0.4 if white else 1.0)
    if shadow_k > 0.02:
        sig = garment_w * _u(rng, 0.03, 0.08)
        small = cv2.resize(cov, (max(width // 4, 1), max(height // 4, 1)), interpolation=cv2.INTER_AREA)
        dx, dy = garment_w * _u(rng, -0.02, 0.03) / 4, garment_w * _u(rng, 0.01, 0.04) / 4
        mt = np.float32([[1, 0, dx], [0, 1, dy]])
        small = cv2.warpAffine(small, mt, (small.shape[1], small.shape[0]))
        small = cv2.GaussianBlur(small.astype(np.float32) / 255, (0, 0), sig / 4)
        sh = cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)
        img *= (1 - np.float32(shadow_k) * sh)[..., None]
    a = (cov[y0:y1, x0:x1].astype(np.float32) / 255)[..., None]
    img[y0:y1, x0:x1] = img[y0:y1, x0:x1] * (1 - a) + garment_rgb * a
    noise_sigma = _u(rng, 0.002, 0.006)
    noise = rng.standard_normal((height // 2 + 1, width // 2 + 1), dtype=np.float32) * np.float32(noise_sigma)
    noise = cv2.resize(noise, (width, height), interpolation=cv2.INTER_NEAREST)
    img += noise[..., None]
    image = np.clip(img * 255 + 0.5, 0, 255).astype(np.uint8)

    col = tuple(int(round(v * 255)) for v in np.clip(base, 0, 1))
    return RenderedGarment(image=image, mask=mask, landmarks=landmarks, category=category,
                           torso_mask=torso_mask, sleeve_masks=sleeve_masks,  # type: ignore[arg-type]
                           pattern=pattern, colour=col)  # type: ignore[arg-type]


#: The bundled examples: file stem -> (category, seed, colour, pattern)
EXAMPLES: dict[str, tuple[GarmentCategory, int, tuple[int, int, int] | None, str]] = {
    "tee_striped": (GarmentCategory.SHORT_SLEEVE_TOP, 3, (28, 36, 66), "stripes"),
    "top_longsleeve_solid": (GarmentCategory.LONG_SLEEVE_TOP, 5, (176, 32, 44), "solid"),
    "top_sleeveless_dotted": (GarmentCategory.SLEEVELESS_TOP, 6, (38, 84, 60), "dots"),
    "dress_checked": (GarmentCategory.DRESS, 3, (122, 168, 214), "checks"),
}


def render_examples(out_dir: str | Path) -> list[Path]:
    """Write the bundled example product photos (768x1024) to ``out_dir``; return the paths.

    PNG when it stays under 400 KB, otherwise JPEG quality 92.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for stem, (cat, seed, colour, pattern) in EXAMPLES.items():
        g = render_garment(cat, seed=seed, colour=colour, pattern=pattern)
        bgr = cv2.cvtColor(g.image, cv2.COLOR_RGB2BGR)
        ok, buf = cv2.imencode(".png", bgr, [cv2.IMWRITE_PNG_COMPRESSION, 9])
        if ok and len(buf) < 400_000:
            path = out / f"{stem}.png"
        else:
            ok, buf = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, 92])
            path = out / f"{stem}.jpg"
        if not ok:
            raise RuntimeError(f"could not encode {stem}")
        for old in (out / f"{stem}.png", out / f"{stem}.jpg"):
            if old.exists() and old != path:
                old.unlink()
        path.write_bytes(buf.tobytes())
        paths.append(path)
    return paths
