"""Try-off: the top or dress a person wears, as a product-style photo (flat, front view, on white).

``tryoff(photo)`` (``fitroom tryoff PERSON -o GARMENT.png``, ``POST /v1/garments/from-photo``) is the
inverse of the classical warp: where a try-on places a product photo on a body, a try-off
takes the worn garment off the body and lays it flat.

1. **What is worn**: the parse's upper-clothes / dress / coat pixels (fitroom's own parse, or
   a given one); a dress when the dress label holds most of them.
2. **Parts**: each garment pixel belongs to the torso or to a sleeve. A sleeve is the garment
   near an arm's bones (shoulder -> elbow -> wrist) outside the torso column, connected to
   the shoulder; the upper arm and forearm pieces of a sleeve are told apart by the nearer bone.
3. **Un-posing** (pure affine maps, :func:`part_transforms`): the torso goes upright by the
   affine map that puts the shoulders at ``(-/+0.5, 0)`` and the mid-hip at ``(0, L)`` (``L``
   the person's torso length in shoulder widths), widened by ``1 / FLAT_TO_WORN`` (a garment
   laid flat is wider than its frontal view on a body); each sleeve then rotates about its
   shoulder, and its forearm piece about the elbow, to hang at an angle from the
   vertical (within ``[SLEEVE_MIN, SLEEVE_MAX]``), as sleeves do in a product photo.
4. **Hidden parts**: hair, arms and hands in front of the torso hide part of the garment
   (:func:`hidden_garment`); the silhouette takes them in, is closed and its holes filled,
   and their colour comes from the mirror image where that was seen (product photos are
   near symmetric), else smoothly from the garment around it (:func:`pushpull_fill`).
5. **Framing**: the garment's box is centred in the output with a margin of ``MARGIN``, on white.

The three constants were chosen on fitroom's synthetic pairs (where the product photo each
person wears is known; ``benchmarks/eval_tryoff.py --data SYNTH``) and are measured on the
real pairs of ../shared/realdata against their real product photos (SSIM and mask IoU after
both are framed the same way, :func:`frame_garment`).

Known limits: the back of the neckline (seen inside a product photo's collar) is left white;
prints hidden behind an arm come back mirrored or smooth; side views are laid flat as if
frontal, and a back view comes out mirrored (the person's right shoulder always goes to the
image's left, as in a front view).
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field

import cv2
import numpy as np

from fitroom.errors import KeypointsError, NoGarmentError
from fitroom.imaging.fill import pushpull_fill
from fitroom.imaging.masks import fill_holes, remove_small_components
from fitroom.labels import UPPER_BODY_GARMENT, Cihp, GarmentCategory
from fitroom.person.analyze import PersonAnalysis
from fitroom.person.body import BodyFrame

__all__ = ["TryOffResult", "tryoff", "tryoff_analysis", "part_masks", "part_transforms", "frame_garment", "hidden_garment",
           "SLEEVE_MIN", "SLEEVE_MAX", "FLAT_TO_WORN", "MARGIN"]

#: a laid-flat sleeve hangs at least this far from the vertical, degrees (outwards) ...
SLEEVE_MIN = 10.0
#: ... and at most this far: a sleeve outside the range is turned to its nearest end
SLEEVE_MAX = 40.0
#: frontal width of a worn garment relative to its width laid flat
FLAT_TO_WORN = 1.0
#: margin around the garment's box in the output, as a fraction of each side
MARGIN = 0.06
#: how far from an arm bone a sleeve reaches, in shoulder widths
SLEEVE_RADIUS = 0.3
#: the torso column: shoulders widened by this factor about the neck ...
TORSO_WIDEN = 1.1
#: ... the hip joints by this one about the mid-hip (the body's width at the hips) ...
HIP_WIDEN = 2.0
#: ... and below the hips sides opening at this angle (degrees), for skirts; it starts this
#: far above the shoulders (shoulder widths)
SKIRT_FLARE = 12.0
COLUMN_ABOVE = 0.35
#: the work is done at no more than this many pixels per shoulder width, times the output's
#: long side (a 40 MP photo costs what a 1 MP one does)
WORK_SCALE = 0.45
#: a laid-flat garment larger than this many shoulder widths means the pose is implausible
MAX_EXTENT = 12.0
#: hair and arms hide the garment only this far below the neck, in shoulder widths
HIDDEN_BELOW = 0.15
#: a garment smaller than this (pixels / shoulder width^2) is not "worn"
MIN_AREA = 0.35
#: closing radius of the laid-flat silhouette, in shoulder widths
CLOSE = 0.06
#: output size (H, W) by default: a VITON-HD product photo's
DEFAULT_SIZE = (1024, 768)

_PARTS = ("torso", "upper_r", "fore_r", "upper_l", "fore_l")


@dataclass
class TryOffResult:
    """A try-off.

    Attributes:
        image: ``(H, W, 3)`` uint8 RGB, the garment laid flat on white.
        mask: ``(H, W)`` bool, the garment in ``image``.
        category: ``"top"`` or ``"dress"`` (what was worn).
        sleeves: ``"none"``, ``"short"`` or ``"long"`` (how far the worn sleeves reach).
        completed: fraction of ``mask`` not seen in the photo (completed from the mirror image
            or smoothly): hidden by arms, hair or the frame.
        worn_mask: ``(h, w)`` bool, the garment in the person photo.
        seconds: time taken (the person analysis excluded).
    """

    image: np.ndarray
    mask: np.ndarray
    category: str
    sleeves: str
    completed: float
    worn_mask: np.ndarray = field(repr=False)
    seconds: float = 0.0

    @property
    def garment_category(self) -> GarmentCategory:
        """The :class:`~fitroom.labels.GarmentCategory` a try-on of this garment is given."""
        if self.category == "dress":
            return GarmentCategory.DRESS
        return {"none": GarmentCategory.SLEEVELESS_TOP, "short": GarmentCategory.SHORT_SLEEVE_TOP,
                "long": GarmentCategory.LONG_SLEEVE_TOP}[self.sleeves]


# ----------------------------------------------------------------------------- geometry
def _segment_distance(px: np.ndarray, py: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distance of points ``(px, py)`` to segment ``a -> b`` and the projection parameter in [0, 1]."""
    d = b - a
    n2 = float(d @ d) + 1e-9
    t = np.clip(((px - a[0]) * d[0] + (py - a[1]) * d[1]) / n2, 0.0, 1.0)
    return np.hypot(px - (a[0] + t * d[0]), py - (a[1] + t * d[1])), t


def _torso_column(frame: BodyFrame, shape: tuple[int, int]) -> np.ndarray:
    """Bool mask of the body's torso column: from ``COLUMN_ABOVE`` shoulder widths above the
    shoulders (straps and collars are the torso's), shoulders widened by ``TORSO_WIDEN``, the
    body's width at the hips (``HIP_WIDEN`` x the hip joints' distance), then down to the edge
    of the image with sides opening at ``SKIRT_FLARE`` degrees, so that a skirt belongs to
    the torso."""
    n, mh = frame.neck, frame.mid_hip
    down = frame.down
    side = frame.right  # towards the person's left shoulder
    up = -down * (COLUMN_ABOVE * frame.shoulder_width)
    sr = n + (frame.shoulder_r - n) * TORSO_WIDEN
    sl = n + (frame.shoulder_l - n) * TORSO_WIDEN
    hip_r, hip_l = frame.hip_r, frame.hip_l
    if float((hip_l - hip_r) @ side) < 0:  # hips labelled the other way round from the shoulders (a back view)
        hip_r, hip_l = hip_l, hip_r
    hr = mh + (hip_r - mh) * HIP_WIDEN
    hl = mh + (hip_l - mh) * HIP_WIDEN
    far = 4.0 * max(shape)
    flare = np.tan(np.radians(SKIRT_FLARE))
    ext = np.array([sr + up, sl + up, sl, hl, hl + far * (down + flare * side), hr + far * (down - flare * side), hr,
                    sr])
    m = np.zeros(shape, np.uint8)
    cv2.fillPoly(m, [np.round(ext).astype(np.int32)], 1)
    return m.astype(bool)


def part_masks(garment: np.ndarray, frame: BodyFrame) -> dict[str, np.ndarray]:
    """Split the worn garment ``(H, W)`` bool into torso and sleeve pieces (``_PARTS``), each
    ``(H, W)`` bool; together they cover ``garment`` exactly. ``_r`` / ``_l`` are the person's
    right / left arm."""
    h, w = garment.shape
    ys, xs = np.nonzero(garment)
    parts = {k: np.zeros((h, w), bool) for k in _PARTS}
    if xs.size == 0:
        return parts
    px, py = xs.astype(np.float64), ys.astype(np.float64)
    column = _torso_column(frame, (h, w))[ys, xs]
    radius = SLEEVE_RADIUS * frame.shoulder_width
    sleeve_of = np.zeros(xs.size, np.int8)  # 0 torso, 1 right, 2 left
    fore = np.zeros(xs.size, bool)
    best = np.full(xs.size, np.inf)
    for side, (s, e, wr) in ((1, (frame.shoulder_r, frame.elbow_r, frame.wrist_r)),
                             (2, (frame.shoulder_l, frame.elbow_l, frame.wrist_l))):
        du, _ = _segment_distance(px, py, s, e)
        df, _ = _segment_distance(px, py, e, wr)
        d = np.minimum(du, df)
        take = (d < radius) & ~column & (d < best)
        sleeve_of[take], fore[take], best[take] = side, (df < du)[take], d[take]
    # a sleeve hangs from its shoulder: keep the pieces connected to the upper arm's first half
    for side, s, e, (up_name, fore_name) in ((1, frame.shoulder_r, frame.elbow_r, ("upper_r", "fore_r")),
                                            (2, frame.shoulder_l, frame.elbow_l, ("upper_l", "fore_l"))):
        sel = sleeve_of == side
        if not sel.any():
            continue
        m = np.zeros((h, w), np.uint8)
        m[ys[sel], xs[sel]] = 1
        n, lab = cv2.connectedComponents(m, connectivity=8)
        du, t = _segment_distance(px[sel], py[sel], s, e)
        root = (t < 0.5) & (du < radius)
        keep = np.zeros(n, bool)
        keep[np.unique(lab[ys[sel][root], xs[sel][root]])] = True
        keep[0] = False
        ok = keep[lab[ys[sel], xs[sel]]]
        idx = np.nonzero(sel)[0]
        sleeve_of[idx[~ok]] = 0
        sel = sleeve_of == side
        parts[up_name][ys[sel & ~fore], xs[sel & ~fore]] = True
        parts[fore_name][ys[sel & fore], xs[sel & fore]] = True
    t_sel = sleeve_of == 0
    parts["torso"][ys[t_sel], xs[t_sel]] = True
    return parts


def hidden_garment(parse: np.ndarray, torso: np.ndarray, frame: BodyFrame) -> np.ndarray:
    """Bool ``(H, W)``: where hair, arms or hands hide the garment's torso. Those pixels of the
    parse that lie in the torso column, below the shoulders, and between garment pixels of
    the same row or column (an arm across the body, a hand on the belly, long hair over the
    chest)."""
    h, w = parse.shape
    occluder = np.isin(parse, [int(Cihp.HAIR), int(Cihp.LEFT_ARM), int(Cihp.RIGHT_ARM), int(Cihp.GLOVE)])
    occluder &= _torso_column(frame, (h, w))
    yy, xx = np.mgrid[0:h, 0:w]
    along = (xx - frame.neck[0]) * frame.down[0] + (yy - frame.neck[1]) * frame.down[1]
    occluder &= along > HIDDEN_BELOW * frame.shoulder_width
    if not occluder.any() or not torso.any():
        return np.zeros((h, w), bool)
    return occluder & (_between(torso) | _between(torso.T).T)


def _between(m: np.ndarray) -> np.ndarray:
    """Bool: pixels with a pixel of ``m`` on their row both to their left and to their right."""
    w = m.shape[1]
    rows = m.any(1)
    first = np.where(rows, m.argmax(1), w)
    last = np.where(rows, w - 1 - m[:, ::-1].argmax(1), -1)
    xx = np.arange(w)[None, :]
    return (xx > first[:, None]) & (xx < last[:, None])


def _affine_from_points(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """The 2x3 affine map of three ``src`` points onto three ``dst`` points."""
    return cv2.getAffineTransform(src.astype(np.float32), dst.astype(np.float32)).astype(np.float64)


def _compose(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """2x3 affine ``a`` after ``b``."""
    a3 = np.vstack([a, [0, 0, 1]])
    b3 = np.vstack([b, [0, 0, 1]])
    return (a3 @ b3)[:2]


def _apply(m: np.ndarray, p: np.ndarray) -> np.ndarray:
    """``m`` applied to a point ``(2,)`` or to points ``(2, N)``."""
    p = np.asarray(p, np.float64)
    return m[:, :2] @ p + (m[:, 2] if p.ndim == 1 else m[:, 2:3])


def _rotation_about(c: np.ndarray, angle: float) -> np.ndarray:
    ca, sa = np.cos(angle), np.sin(angle)
    r = np.array([[ca, -sa], [sa, ca]])
    return np.hstack([r, (c - r @ c)[:, None]])


def _hang(m: np.ndarray, root: np.ndarray, tip: np.ndarray, outward: float) -> np.ndarray:
    """``m`` followed by the rotation about ``m(root)`` that brings ``m(tip) - m(root)`` within
    ``[SLEEVE_MIN, SLEEVE_MAX]`` degrees of the vertical, outwards towards ``outward`` (-1
    image left, +1 image right); ``m`` itself when it is within already."""
    r0, t0 = _apply(m, root), _apply(m, tip)
    v = t0 - r0
    if float(np.hypot(*v)) < 1e-6:
        return m
    # the sleeve's angle from the vertical, positive outwards, in (-180, 180]
    now = np.degrees(np.arctan2(outward * v[0], v[1]))
    want = float(np.clip(now, SLEEVE_MIN, SLEEVE_MAX))
    if abs(want - now) < 1e-6:
        return m
    # rotating by +d (image coordinates, y down) turns the direction towards +x for d < 0 ...
    angle = np.radians(now - want) * outward
    return _compose(_rotation_about(r0, angle), m)


def part_transforms(frame: BodyFrame) -> dict[str, np.ndarray]:
    """2x3 affine maps, person pixels -> the canonical flat frame (units of shoulder widths,
    neck at the origin, +y down; the person's right shoulder at ``x = -0.5 / FLAT_TO_WORN``),
    one per part of :func:`part_masks`."""
    sw = frame.shoulder_width
    # the mid-hip must lie well below the shoulder line; if not (bent over, keypoints in a
    # line), the torso takes the usual proportions
    across = (frame.shoulder_l - frame.shoulder_r) / sw
    normal = np.array([-across[1], across[0]])
    if float(normal @ frame.down) < 0:
        normal = -normal
    mid_hip = frame.mid_hip
    if float((mid_hip - frame.neck) @ normal) < 0.5 * sw:
        mid_hip = frame.neck + normal * 1.45 * sw
    length = float(np.linalg.norm(mid_hip - frame.neck)) / sw
    src = np.array([frame.shoulder_r, frame.shoulder_l, mid_hip])
    dst = np.array([[-0.5, 0.0], [0.5, 0.0], [0.0, length]])
    torso = _affine_from_points(src, dst)
    torso = _compose(np.array([[1.0 / FLAT_TO_WORN, 0, 0], [0, 1.0, 0]]), torso)
    out = {"torso": torso}
    for side, s, e, w in (("r", frame.shoulder_r, frame.elbow_r, frame.wrist_r),
                          ("l", frame.shoulder_l, frame.elbow_l, frame.wrist_l)):
        # which way is outwards depends on the view (a back view mirrors the shoulders)
        side_x = _apply(torso, s)[0]
        outward = 1.0 if side_x > 0 else -1.0
        upper = _hang(torso, s, e, outward)
        out[f"upper_{side}"] = upper
        out[f"fore_{side}"] = _hang(upper, e, w, outward)
    return out


# ----------------------------------------------------------------------------- rendering
def frame_garment(image: np.ndarray, mask: np.ndarray, size: tuple[int, int], margin: float = MARGIN
                  ) -> tuple[np.ndarray, np.ndarray]:
    """``(image, mask)`` of a garment centred in an ``size = (H, W)`` frame on white, its box
    scaled to fit with ``margin`` (a fraction of each side) around it. Also how a real product
    photo is framed to compare with a try-off. Raises ``ValueError`` for an empty mask."""
    ys, xs = np.nonzero(mask)
    if xs.size == 0:
        raise ValueError("the garment mask is empty")
    x0, x1, y0, y1 = int(xs.min()), int(xs.max()) + 1, int(ys.min()), int(ys.max()) + 1
    h, w = size
    s = min(w * (1 - 2 * margin) / (x1 - x0), h * (1 - 2 * margin) / (y1 - y0))
    tw, th = max(1, round((x1 - x0) * s)), max(1, round((y1 - y0) * s))
    tw, th = min(tw, w), min(th, h)
    interp = cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR
    crop = mask[y0:y1, x0:x1]
    on_white = np.where(crop[..., None], image[y0:y1, x0:x1], np.uint8(255)).astype(np.uint8)
    img = cv2.resize(on_white, (tw, th), interpolation=interp)
    m = cv2.resize(crop.astype(np.uint8) * 255, (tw, th), interpolation=interp) >= 128
    out = np.full((h, w, 3), 255, np.uint8)
    out_mask = np.zeros((h, w), bool)
    ox, oy = (w - tw) // 2, (h - th) // 2
    out[oy:oy + th, ox:ox + tw] = img
    out_mask[oy:oy + th, ox:ox + tw] = m
    return out, out_mask


def _worn_garment(analysis: PersonAnalysis) -> tuple[np.ndarray, str]:
    parse = analysis.parse
    garment = np.isin(parse, [int(v) for v in UPPER_BODY_GARMENT])
    garment = remove_small_components(garment, 0.05) if garment.any() else garment
    sw = analysis.frame.shoulder_width
    if garment.sum() < MIN_AREA * sw * sw:
        raise NoGarmentError("no top or dress is worn in this photo (try-off takes the top or dress a person "
                             "wears; a bare torso, swimwear or a photo cut above the chest has none)")
    dress = (parse[garment] == int(Cihp.DRESS)).mean() > 0.5
    return garment, "dress" if dress else "top"


def _scaled_frame(frame: BodyFrame, f: float) -> BodyFrame:
    pts = ("neck", "shoulder_l", "shoulder_r", "hip_l", "hip_r", "elbow_l", "elbow_r", "wrist_l", "wrist_r",
           "knee_l", "knee_r", "ankle_l", "ankle_r")
    return dataclasses.replace(frame, **{k: getattr(frame, k) * f for k in pts},
                               shoulder_width=frame.shoulder_width * f, torso_length=frame.torso_length * f)


def _working_copy(analysis: PersonAnalysis, garment: np.ndarray, size: tuple[int, int]):
    """``(image, parse, frame, garment)`` at no more than ``WORK_SCALE x max(size)`` pixels per
    shoulder width (the photo itself when it is that small already)."""
    f = WORK_SCALE * max(size) / analysis.frame.shoulder_width
    if f >= 0.8:
        return analysis.image, analysis.parse, analysis.frame, garment
    h, w = analysis.image.shape[:2]
    ws = (max(1, round(w * f)), max(1, round(h * f)))
    image = cv2.resize(analysis.image, ws, interpolation=cv2.INTER_AREA)
    parse = cv2.resize(analysis.parse, ws, interpolation=cv2.INTER_NEAREST)
    small = cv2.resize(garment.astype(np.uint8), ws, interpolation=cv2.INTER_NEAREST).astype(bool)
    return image, parse, _scaled_frame(analysis.frame, ws[0] / w), small


def tryoff_analysis(analysis: PersonAnalysis, size: tuple[int, int] = DEFAULT_SIZE) -> TryOffResult:
    """The try-off of an analysed person photo (see the module docstring); ``size = (H, W)``.

    Raises:
        NoGarmentError: no top or dress is worn (too few garment pixels in the parse).
        KeypointsError: a pose too unusual to lay the garment flat.
    """
    t0 = time.perf_counter()
    worn_full, category = _worn_garment(analysis)
    image, parse, frame, garment = _working_copy(analysis, worn_full, size)
    parts = part_masks(garment, frame)
    hidden = hidden_garment(parse, parts["torso"], frame)
    maps = part_transforms(frame)
    sw = frame.shoulder_width
    sleeve_px = sum(int(parts[k].sum()) for k in _PARTS[1:])
    has_fore = parts["fore_r"].sum() + parts["fore_l"].sum() > 0.15 * sw * sw
    sleeves = "long" if has_fore else ("short" if sleeve_px > 0.08 * sw * sw else "none")

    # canvas: canonical units at the photo's own resolution (one shoulder width = sw pixels)
    pts = []
    for k in _PARTS:
        ys, xs = np.nonzero(parts[k])
        if xs.size:
            step = max(1, xs.size // 4000)
            pts.append(_apply(maps[k], np.stack([xs[::step], ys[::step]]).astype(np.float64)).T)
    allp = np.concatenate(pts)
    lo, hi = allp.min(0), allp.max(0)
    if not np.isfinite(allp).all() or max(hi[0] - lo[0], hi[1] - lo[1]) > MAX_EXTENT:
        raise KeypointsError("the pose is too unusual to lay the garment flat (use a photo where you stand "
                             "facing the camera)")
    half = max(abs(lo[0]), abs(hi[0])) + 0.1  # symmetric about the centre line
    pad = 0.1
    scale = float(sw)
    cw = int(np.ceil(2 * half * scale)) + 2
    ch = int(np.ceil((hi[1] - lo[1] + 2 * pad) * scale)) + 2
    to_canvas = np.array([[scale, 0, cw / 2], [0, scale, (pad - lo[1]) * scale]])

    # work on the garment's box of the photo only
    ys, xs = np.nonzero(garment | hidden)
    bx0, by0 = max(0, int(xs.min()) - 2), max(0, int(ys.min()) - 2)
    bx1, by1 = min(image.shape[1], int(xs.max()) + 3), min(image.shape[0], int(ys.max()) + 3)
    shift = np.array([[1.0, 0, bx0], [0, 1.0, by0]])  # box pixels -> photo pixels
    img_f = image[by0:by1, bx0:bx1].astype(np.float32)
    acc = np.zeros((ch, cw, 3), np.float32)
    seen = np.zeros((ch, cw), bool)
    for k in _PARTS:  # the torso first, the sleeves over it
        part = parts[k][by0:by1, bx0:bx1]
        if not part.any():
            continue
        m = _compose(to_canvas, _compose(maps[k], shift)).astype(np.float32)
        a = cv2.warpAffine(part.astype(np.float32), m, (cw, ch), flags=cv2.INTER_LINEAR)
        c = cv2.warpAffine(img_f * part[..., None], m, (cw, ch), flags=cv2.INTER_LINEAR)
        c = c / np.maximum(a, 1e-3)[..., None]
        put = a > 0.5
        acc[put] = c[put]
        seen |= put
    m = _compose(to_canvas, _compose(maps["torso"], shift)).astype(np.float32)
    behind = cv2.warpAffine(hidden[by0:by1, bx0:bx1].astype(np.uint8), m, (cw, ch),
                            flags=cv2.INTER_NEAREST).astype(bool) & ~seen
    # silhouette: what was seen and what hair and arms hid, closed, holes filled
    r = max(1, int(round(CLOSE * scale)))
    ker = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
    sil = cv2.morphologyEx((seen | behind).astype(np.uint8), cv2.MORPH_CLOSE, ker).astype(bool)
    sil = fill_holes(sil) | seen
    if sil.sum() < 16:
        raise NoGarmentError("no top or dress is worn in this photo (too little of one is seen to lay it flat)")
    # colour of what was not seen: the mirror image where that was seen, else smooth
    missing = sil & ~seen
    mirror = missing & seen[:, ::-1]
    acc[mirror] = acc[:, ::-1][mirror]
    known = seen | mirror
    if (sil & ~known).any():
        acc = pushpull_fill(acc, known)
    out_img, out_mask = frame_garment(np.clip(acc + 0.5, 0, 255).astype(np.uint8), sil, size)
    completed = float(missing.sum()) / max(1, int(sil.sum()))
    return TryOffResult(image=out_img, mask=out_mask, category=category, sleeves=sleeves, completed=completed,
                        worn_mask=worn_full, seconds=time.perf_counter() - t0)


def tryoff(image: np.ndarray | PersonAnalysis, size: tuple[int, int] = DEFAULT_SIZE) -> TryOffResult:
    """The top or dress worn in a person photo ``(H, W, 3)`` uint8 RGB (or its
    :class:`~fitroom.person.analyze.PersonAnalysis`), laid flat on white at ``size = (H, W)``.

    Raises:
        NoPersonError, MultiplePeopleError, KeypointsError: from the person analysis.
        NoGarmentError: the person wears no top or dress.
    """
    if isinstance(image, PersonAnalysis):
        return tryoff_analysis(image, size)
    from fitroom.person.analyze import analyze_person

    return tryoff_analysis(analyze_person(image), size)
