"""Garment landmarks: named points of a product photo, and their detection from a mask.

Conventions
-----------
* Points are ``(x, y)`` floats in **pixel coordinates** of the image they were found on
  (x to the right, y down, pixel centres at integers).
* "Left" and "right" are the **wearer's** sides (as in :mod:`fitroom.labels`): in a frontal
  product photo the wearer's left sleeve lies on the *image right*. So ``neck_left.x >
  neck_right.x`` for an upright, frontal garment.
* The fixed order of :meth:`GarmentLandmarks.as_array` is :data:`LANDMARK_NAMES`.

Landmarks
---------
``neck_left, neck_right``
    The two high points where the neckline meets the shoulder line (or the tops of the
    straps of a camisole).
``neck_front``
    The lowest point of the neck opening at the centre (bottom of a V, of a scoop).
``shoulder_left, shoulder_right``
    Where the shoulder line ends and the sleeve (or armhole) begins.
``armpit_left, armpit_right``
    The underarm points where the sleeve (or armhole) meets the side of the torso.
``sleeve_*_outer, sleeve_*_inner``
    The two corners of each sleeve opening: *outer* continues the shoulder line, *inner*
    continues the underarm seam. For sleeveless garments they are put at the shoulder
    (outer) and the armpit (inner), and :attr:`GarmentLandmarks.has_sleeves` is ``False``.
``hem_left, hem_right``
    The bottom corners of the garment.

For bottoms (trousers, skirts) the upper points collapse onto the waistband corners and
``neck_front`` is the middle of the waistband; they exist only so every garment has the
same set of points.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from fitroom.errors import NoGarmentError

Point = tuple[float, float]

#: Order of the rows of :meth:`GarmentLandmarks.as_array`.
LANDMARK_NAMES: tuple[str, ...] = (
    "neck_left",
    "neck_right",
    "neck_front",
    "shoulder_left",
    "shoulder_right",
    "armpit_left",
    "armpit_right",
    "sleeve_left_outer",
    "sleeve_left_inner",
    "sleeve_right_outer",
    "sleeve_right_inner",
    "hem_left",
    "hem_right",
)


def _swap_side(name: str) -> str:
    if "left" in name:
        return name.replace("left", "right")
    if "right" in name:
        return name.replace("right", "left")
    return name


@dataclass(frozen=True)
class GarmentLandmarks:
    """Named garment points, ``(x, y)`` in pixels; see the module docstring."""

    neck_left: Point
    neck_right: Point
    neck_front: Point
    shoulder_left: Point
    shoulder_right: Point
    armpit_left: Point
    armpit_right: Point
    sleeve_left_outer: Point
    sleeve_left_inner: Point
    sleeve_right_outer: Point
    sleeve_right_inner: Point
    hem_left: Point
    hem_right: Point
    has_sleeves: bool = True

    def __post_init__(self) -> None:
        for name in LANDMARK_NAMES:
            p = getattr(self, name)
            try:
                x, y = (float(v) for v in p)
            except (TypeError, ValueError):
                raise ValueError(f"landmark {name} must be an (x, y) pair, got {p!r}") from None
            object.__setattr__(self, name, (x, y))
        object.__setattr__(self, "has_sleeves", bool(self.has_sleeves))

    # --- conversion -----------------------------------------------------------------
    @staticmethod
    def names() -> tuple[str, ...]:
        """Names of the points, in the row order of :meth:`as_array`."""
        return LANDMARK_NAMES

    def as_array(self) -> np.ndarray:
        """``(13, 2)`` float32 array of ``(x, y)`` rows in the order of :meth:`names`."""
        return np.array([getattr(self, n) for n in LANDMARK_NAMES], dtype=np.float32)

    def as_dict(self) -> dict[str, Point]:
        return {n: getattr(self, n) for n in LANDMARK_NAMES}

    @classmethod
    def from_array(cls, points: np.ndarray, *, has_sleeves: bool = True) -> GarmentLandmarks:
        """Inverse of :meth:`as_array`."""
        pts = np.asarray(points, dtype=np.float64)
        if pts.shape != (len(LANDMARK_NAMES), 2):
            raise ValueError(f"expected points of shape ({len(LANDMARK_NAMES)}, 2), got {pts.shape}")
        return cls(**{n: (pts[i, 0], pts[i, 1]) for i, n in enumerate(LANDMARK_NAMES)},
                   has_sleeves=has_sleeves)

    # --- geometry -------------------------------------------------------------------
    def flipped(self, width: int) -> GarmentLandmarks:
        """The landmarks of the mirrored image ``image[:, ::-1]`` of the given width.

        x becomes ``width - 1 - x`` (pixel centres at integers) and the left and right
        points swap names, so the wearer's left stays the wearer's left.
        """
        kw = {}
        for n in LANDMARK_NAMES:
            x, y = getattr(self, n)
            kw[_swap_side(n)] = (width - 1 - x, y)
        return GarmentLandmarks(**kw, has_sleeves=self.has_sleeves)

    def scaled(self, sx: float, sy: float | None = None) -> GarmentLandmarks:
        """Multiply every x by ``sx`` and every y by ``sy`` (default ``sx``).

        For moving points between two pixel grids of a resized image (pixel centres at
        integers, as cv2.resize and PIL do), use :meth:`resized` instead.
        """
        sy = sx if sy is None else sy
        kw = {n: (getattr(self, n)[0] * sx, getattr(self, n)[1] * sy) for n in LANDMARK_NAMES}
        return GarmentLandmarks(**kw, has_sleeves=self.has_sleeves)

    def resized(self, old_size: tuple[int, int], new_size: tuple[int, int]) -> GarmentLandmarks:
        """Landmarks of the image resized from ``old_size`` to ``new_size`` (both (w, h)).

        Uses the pixel-centre mapping ``x' = (x + 0.5) * new_w / old_w - 0.5``.
        """
        sx = new_size[0] / old_size[0]
        sy = new_size[1] / old_size[1]
        kw = {}
        for n in LANDMARK_NAMES:
            x, y = getattr(self, n)
            kw[n] = ((x + 0.5) * sx - 0.5, (y + 0.5) * sy - 0.5)
        return GarmentLandmarks(**kw, has_sleeves=self.has_sleeves)

    def translated(self, dx: float, dy: float) -> GarmentLandmarks:
        kw = {n: (getattr(self, n)[0] + dx, getattr(self, n)[1] + dy) for n in LANDMARK_NAMES}
        return GarmentLandmarks(**kw, has_sleeves=self.has_sleeves)




# ======================================================================================
# Detection from a mask
# ======================================================================================
#: the garment is analysed with its bounding box's long side at most this many pixels
_WORK = 360
#: steepest inward slope (dx/dy) of a torso side above which it has turned into an armhole
_INWARD_MAX = float(np.tan(np.radians(32)))


def _prepare(mask: np.ndarray) -> tuple[np.ndarray, float]:
    """Largest garment components of ``mask`` at the working scale; returns (uint8, scale)."""
    m = np.asarray(mask)
    if m.ndim != 2:
        raise ValueError(f"mask must be a 2-D array, got shape {m.shape}")
    m = (m > 0).astype(np.uint8)
    x, y, w, h = cv2.boundingRect(m)
    if w == 0 or h == 0:
        raise NoGarmentError("No garment found: the garment mask is empty.")
    scale = min(1.0, _WORK / max(w, h))
    if scale < 1.0:
        H, W = m.shape
        size = (max(round(W * scale), 1), max(round(H * scale), 1))
        m = (cv2.resize(m * np.uint8(255), size, interpolation=cv2.INTER_AREA) >= 128).astype(np.uint8)
    n, lbl, stats, _ = cv2.connectedComponentsWithStats(m, connectivity=8)
    if n <= 1 or stats[1:, cv2.CC_STAT_AREA].max() < 16:
        raise NoGarmentError("No garment found: the garment mask is empty or too small.")
    areas = stats[1:, cv2.CC_STAT_AREA]
    if n > 2:
        keep = np.zeros(n, np.uint8)
        keep[1:] = areas >= 0.02 * areas.max()
        m = keep[lbl]
    return m, scale


class _Runs:
    """Runs of garment pixels per row: row ``r`` has ``[start, end)`` intervals."""

    def __init__(self, m: np.ndarray) -> None:
        h = m.shape[0]
        d = np.diff(np.pad(m.astype(np.int8), ((0, 0), (1, 1))), axis=1)
        self.row, self.start = np.nonzero(d == 1)
        _, self.end = np.nonzero(d == -1)
        bounds = np.searchsorted(self.row, np.arange(h + 1)).tolist()
        st, en = self.start.tolist(), self.end.tolist()
        self.per_row = [list(zip(st[bounds[r]: bounds[r + 1]], en[bounds[r]: bounds[r + 1]])) for r in range(h)]
        self.h = h

    def central(self, xc: float) -> tuple[np.ndarray, np.ndarray]:
        """Left and right ends (inclusive x) of the run containing ``xc`` per row (nan if none)."""
        left = np.full(self.h, np.nan)
        right = np.full(self.h, np.nan)
        hit = (self.start <= xc) & (self.end > xc)
        left[self.row[hit]] = self.start[hit]
        right[self.row[hit]] = self.end[hit] - 1
        return left, right


def _follow_edge(runs: _Runs, y_start: int, y_stop: int, x0: float, outward: int) -> np.ndarray:
    """x of one side of the torso per row, followed upwards from ``y_start`` by continuity.

    The side is the outer end (``outward`` -1: left end, +1: right end) of the run that
    contains the pixel just inside the side's position in the row below, or, when the side
    moved inwards, of the nearest run inwards. Rows not reached are nan.
    """
    edge = np.full(runs.h, np.nan)
    edge[y_start] = x0
    prev = x0
    for y in range(y_start - 1, y_stop - 1, -1):
        rr = runs.per_row[y]
        if not rr:
            break
        probe = prev - outward  # just inside the side
        found = None
        for a, b in rr:
            if a <= probe < b:
                found = (a, b)
                break
        if found is None:
            # the side moved inwards: the nearest run on the inner side
            if outward < 0:
                cand = [r for r in rr if r[0] > probe]
                found = min(cand) if cand else None
            else:
                cand = [r for r in rr if r[1] - 1 < probe]
                found = max(cand, key=lambda r: r[1]) if cand else None
            if found is None:
                break
        prev = float(found[0] if outward < 0 else found[1] - 1)
        edge[y] = prev
    return edge


def _trace_up(edge: np.ndarray, y_start: int, y_stop: int, win: int, outward: int,
              min_reach: float) -> tuple[int, str]:
    """Follow a torso side ``edge`` (x per row, from :func:`_follow_edge`) upwards from
    ``y_start`` and return the armpit's row: the lowest row where the side stops being a side.

    That is the lowest of: a jump outwards or inwards between two rows (a hanging sleeve
    joining at the top of the gap beside it); the side running more horizontal than 45
    degrees outwards or :data:`_INWARD_MAX` inwards over ``win`` rows (a sleeve's underside,
    an armhole, a strap's top edge); a sharp turn (over 25 degrees between the ``2 win``
    rows below and above) inwards, or outwards when the contour then moves clearly outwards
    (by ``min_reach``: a sleeve's steep underside, not a bust's curve); the end of the side.
    ``outward`` is -1 for the image-left side, +1 for the image-right side.
    """
    top = y_start
    while top - 1 >= y_stop and not np.isnan(edge[top - 1]):
        top -= 1
    n = y_start - top + 1
    if n <= 2:
        return top, "end"
    e = edge[top: y_start + 1].astype(np.float64)
    rate = np.zeros(0)
    # (index into e, kind); row = top + index, the largest index is the lowest row
    events: list[tuple[int, str]] = [(0, "end")]
    # jumps between consecutive rows (index i: between rows i and i + 1; keep row i + 1)
    step = np.diff(e)
    jump = np.abs(step) > max(2.0, 0.5 * win)
    idx = np.nonzero(jump)[0]
    if len(idx):
        i = int(idx[-1])
        events.append((i + 1, "out" if -outward * step[i] > 0 else "in"))
    if n > win + 1:
        t = np.arange(win + 1, dtype=np.float64) - win / 2
        slope = np.correlate(e, t / np.sum(t * t), mode="valid")  # rows [i, i + win]
        rate = -outward * slope  # outward movement per row, going up
        idx = np.nonzero(rate > 1.0)[0]
        if len(idx):
            events.append((int(idx[-1]) + 1, "out"))
        idx = np.nonzero(rate < -_INWARD_MAX)[0]
        if len(idx):
            i = int(idx[-1]) + 1
            # an armhole or a strap's top edge: the corner is the outermost point near the
            # break (the window's lag put the break a little above it)
            seg = outward * e[i: min(i + win, n - 1) + 1]
            events.append((i + int(np.nonzero(seg >= seg.max() - 0.5)[0][0]), "in"))
    k = max(3, 2 * win)
    if n > 2 * k + 1:
        t = np.arange(k + 1, dtype=np.float64) - k / 2
        slope = np.correlate(e, t / np.sum(t * t), mode="valid")  # rows [i, i + k]
        mid = np.arange(k, len(slope))  # row index with windows [mid - k, mid], [mid, mid + k]
        above = -outward * slope[mid - k]
        below = -outward * slope[mid]
        turn = np.degrees(np.arctan(above) - np.arctan(below))
        start = max(ev[0] for ev in events)
        reach = np.array([np.max(outward * (e[start: r + 1] - e[r])) if r >= start else 0.0 for r in mid])
        sharp_out = (turn > 25.0) & (reach > min_reach) & (mid > start + k)
        # ... and the side keeps going outwards from there up to the event above (a sleeve's
        # straight underside), unlike a bust's curve that turns back
        if sharp_out.any() and n > win + 1:
            for j in np.nonzero(sharp_out)[0]:
                r = int(mid[j])
                seg_rate = rate[start: max(r - win, start)]
                if len(seg_rate) and seg_rate.min() < 0.2:
                    sharp_out[j] = False
        sharp_in = (turn < -25.0) & (mid > start + k)
        for sharp, sign in ((sharp_out, 1.0), (sharp_in, -1.0)):
            where = np.nonzero(sharp)[0]
            if len(where):
                last = where[-1]
                first = last
                while first - 1 >= 0 and sharp[first - 1]:
                    first -= 1
                seg = np.arange(first, last + 1)
                events.append((int(mid[seg[np.argmax(sign * turn[seg])]]), "out" if sign > 0 else "in"))
    i, kind = max(events)
    return top + i, kind


def _contour(m: np.ndarray) -> np.ndarray:
    cs, _ = cv2.findContours(m, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    c = max(cs, key=cv2.contourArea)
    return c[:, 0, :].astype(np.float64)


def _nearest_index(contour: np.ndarray, p: np.ndarray) -> int:
    return int(np.argmin(np.sum((contour - p) ** 2, axis=1)))


def _arc(contour: np.ndarray, i: int, j: int) -> np.ndarray:
    """The shorter of the two contour paths between indices i and j."""
    n = len(contour)
    fwd = (j - i) % n
    if fwd <= n - fwd:
        idx = (i + np.arange(fwd + 1)) % n
    else:
        idx = (i - np.arange(n - fwd + 1)) % n
    return contour[idx]


def _farthest_from_chord(path: np.ndarray, away_from: np.ndarray) -> tuple[np.ndarray, float]:
    """Point of ``path`` farthest from the chord between its ends, on the side opposite to
    ``away_from``; returns (point, distance)."""
    a, b = path[0], path[-1]
    d = b - a
    norm = np.hypot(*d)
    if norm < 1e-6 or len(path) < 3:
        return path[len(path) // 2], 0.0
    n = np.array([-d[1], d[0]]) / norm
    if np.dot(away_from - a, n) > 0:
        n = -n
    dist = (path - a) @ n
    k = int(np.argmax(dist))
    return path[k], float(dist[k])


def detect_landmarks(mask: np.ndarray) -> GarmentLandmarks:
    """Garment landmarks from the geometry of a garment mask (an upright, frontal product photo).

    Works on tops with short, long (spread, or hanging beside the torso) or no sleeves, on
    camisoles and on dresses; the mask is analysed with its bounding box at most 360 pixels.

    * neck points: the highest points of the top contour on either side of the centre (the
      inner end of a flat stretch; the outer end of a collar); ``neck_front``: the lowest
      point of the top contour between them;
    * armpits: each side of the torso is followed upwards from the waist (the narrowest row
      of the lower body) until it stops being a side: a jump outwards (a hanging sleeve
      joining at the top of the gap beside it), a run more horizontal than 45 degrees or a
      sharp turn (a sleeve's underside, an armhole, a strap's top edge). Where nothing can
      be seen (a sleeve lying against the torso), the usual proportions and the garment's
      symmetry fill in;
    * sleeves: the thick parts of the mask outside the torso; the outer cuff corner is the
      sleeve's contour point farthest from the armhole, the inner one the corner between
      cuff and underarm seam (farthest from the chord to the armpit);
    * shoulders: the corner of the contour between the neck and the sleeve (or the armpit),
      above the armpit;
    * hem corners: the torso's extreme points in the two downward diagonal directions.

    Raises :class:`~fitroom.errors.NoGarmentError` for an empty mask.
    """
    m, scale = _prepare(mask)
    H0, W0 = np.asarray(mask).shape
    h, w = m.shape
    pts, has_sleeves = _detect(m)
    lm = GarmentLandmarks(**{k: tuple(v) for k, v in pts.items()}, has_sleeves=has_sleeves)
    if scale < 1.0:
        lm = lm.resized((w, h), (W0, H0))
    return lm


def _detect(m: np.ndarray) -> tuple[dict[str, np.ndarray], bool]:
    h, w = m.shape
    ys, xs = np.nonzero(m)
    top, bottom = int(ys.min()), int(ys.max())
    height = bottom - top + 1
    runs = _Runs(m)
    xc = float(xs.mean())

    # --- torso width and centre from the central runs in the body ---
    left, right = runs.central(xc)
    width = right - left + 1
    band = slice(top + int(0.2 * height), top + int(0.75 * height) + 1)
    wb = width[band]
    cw0 = 0.5 * float(np.nanmedian(wb)) if np.isfinite(wb).any() else 0.25 * (xs.max() - xs.min() + 1)
    mids = 0.5 * (left + right)[band]
    if np.isfinite(mids).any():
        xc = float(np.nanmedian(mids))
        left, right = runs.central(xc)
        width = right - left + 1

    # --- top contour and neck points ---
    colmask = m.any(axis=0)
    topy = np.where(colmask, np.argmax(m > 0, axis=0), h + 1).astype(np.float64)
    neck_lo = max(1.0, 0.1 * cw0)
    neck_hi = 1.1 * cw0
    neck_pts = {}
    plateau_outer = {}
    for side, sgn in (("right", -1), ("left", 1)):
        xs_side = np.arange(w)
        sel = (np.abs(xs_side - xc) >= neck_lo) & (np.abs(xs_side - xc) <= neck_hi) & (sgn * (xs_side - xc) > 0)
        cand = xs_side[sel]
        if len(cand) == 0:
            cand = np.array([int(round(xc))])
        ty = topy[cand]
        ymin = ty.min()
        plateau = cand[ty <= ymin + max(1.0, 0.01 * height)]
        # innermost point of the highest stretch, unless that stretch reaches the centre
        # (a collar): then its outer end
        inner = plateau[np.argmin(np.abs(plateau - xc))]
        if abs(inner - xc) <= neck_lo + 1:
            inner = plateau[np.argmax(np.abs(plateau - xc))]
        neck_pts[side] = np.array([float(inner), float(topy[inner])])
        outer_end = plateau[np.argmax(np.abs(plateau - xc))]
        plateau_outer[side] = np.array([float(outer_end), float(topy[outer_end])])
    nr, nl = neck_pts["right"], neck_pts["left"]
    # the lowest point of the top contour between the neck points (their inner 80%)
    span = abs(nl[0] - nr[0])
    lo_x = int(round(min(nr[0], nl[0]) + 0.1 * span))
    hi_x = int(round(max(nr[0], nl[0]) - 0.1 * span))
    seg = topy[lo_x: hi_x + 1]
    xi_c = int(np.clip(round(xc), 0, w - 1))
    if len(seg) and (seg <= h).any():
        ymax = seg[seg <= h].max()
        if ymax <= min(nr[1], nl[1]) + 1.0:
            # no opening (a collar or a flat top): the middle of the top edge
            neck_front = np.array([xc, float(topy[xi_c])])
        else:
            xs_f = np.nonzero(seg >= ymax - 0.5)[0] + lo_x
            neck_front = np.array([float(np.median(xs_f)), float(ymax)])
    else:
        neck_front = np.array([xc, float(topy[xi_c])])
    neck_y = min(nr[1], nl[1])

    # --- torso sides: from the narrowest row of the waist upwards to the armpits ---
    # the narrowest row of the lower half is torso (below any armhole), even for a dress
    has_run = np.nonzero(np.isfinite(width))[0]
    body_bottom = int(has_run[-1]) if len(has_run) else bottom  # sleeves may hang lower
    body_h = body_bottom - top + 1
    lo_y = int(max(top + 0.5 * body_h, neck_y + 0.5 * cw0))
    hi_y = int(top + 0.9 * body_h)
    if hi_y <= lo_y:
        lo_y, hi_y = int(top + 0.4 * height), int(top + 0.7 * height)
    rows = np.arange(lo_y, hi_y + 1)
    wr = width[rows]
    if np.isfinite(wr).any():
        y_start = int(rows[np.nanargmin(wr)])
    else:
        y_start = int(top + 0.6 * height)
    # a skirt widens downwards from the waist: climb to the waist (the narrowest row above)
    step = max(2, int(0.3 * cw0))
    y_first = y_start
    while y_start - 1 > neck_y + 0.5 * cw0:
        lo = max(int(neck_y + 0.5 * cw0), y_start - step)
        seg = width[lo: y_start]
        if not np.isfinite(seg).any():
            break
        j = lo + int(np.nanargmin(seg))
        if width[j] < width[y_start] - max(1.0, 0.04 * width[y_start]):
            y_start = j
        else:
            break
    if y_start != y_first:
        # a waist has a wider bodice above it; an armhole narrows on upwards: do not climb
        above = width[max(int(neck_y), y_start - 2 * step): y_start]
        if not (np.isfinite(above).any() and np.nanmax(above) > width[y_start] + max(1.0, 0.04 * width[y_start])):
            y_start = y_first
    cw = 0.5 * width[y_start] if np.isfinite(width[y_start]) else cw0
    win = max(4, int(round(0.08 * cw)))
    y_stop = int(neck_y)
    armpits = {}
    traced = {}
    for side, edge in (("right", left), ("left", right)):
        if np.isnan(edge[y_start]):
            armpits[side] = None
            continue
        out = -1 if side == "right" else 1
        edge = _follow_edge(runs, y_start, y_stop, float(edge[y_start]), out)
        traced[side] = edge
        y_cur = y_start
        while True:
            ya, kind = _trace_up(edge, y_cur, y_stop, win, out, 0.12 * cw)
            if kind != "out" or ya <= y_stop + 1:
                break
            # a sleeve joining takes the contour well outwards just above; a step in the
            # side (a bloused bodice over a waistband) does not: go on upwards
            above = edge[max(int(ya - 0.5 * cw), y_stop): ya + 1]
            above = above[~np.isnan(above)]
            if len(above) and np.max(out * (above - edge[ya])) >= 0.2 * cw:
                break
            y_cur = ya - 1
            if np.isnan(edge[y_cur]):
                break
        armpits[side] = np.array([float(edge[ya]), float(ya)])
    for side, other, sgn in (("right", "left", -1), ("left", "right", 1)):
        a = armpits[side]
        if a is None or a[1] < neck_y + 0.25 * cw or a[1] > neck_y + 0.5 * (bottom - neck_y):
            # not found, or found where no underarm can be: a sleeve lying against the torso
            # hides it. Use the usual proportions: about a chest half-width below the neck
            # points, on the line of the torso's side.
            y = int(min(neck_y + 1.0 * cw, bottom))
            x = left[y_start] if side == "right" else right[y_start]
            if np.isnan(x):
                x = xc + sgn * cw
            armpits[side] = np.array([float(x), float(y)])
            traced.pop(side, None)
    # product photos are nearly symmetric: when one armpit sits far higher than the other,
    # its side was followed up a sleeve lying against the torso; use the other's height
    ar, al = armpits["right"], armpits["left"]
    if abs(ar[1] - al[1]) > 0.35 * cw:
        low, high = ("right", "left") if ar[1] > al[1] else ("left", "right")
        armpits[high] = np.array([2 * xc - armpits[low][0], armpits[low][1]])
        traced.pop(high, None)  # that side was a sleeve's edge, not the torso's
        ar, al = armpits["right"], armpits["left"]

    # --- sleeves: the mask outside the torso ---
    contour = _contour(m)
    yy = np.arange(h)[:, None]
    xx = np.arange(w)[None, :]
    sleeves: dict[str, np.ndarray | None] = {}
    for side, a, sgn, edge in (("right", ar, -1, left), ("left", al, 1, right)):
        # outside the vertical through the armpit above it, outside the torso side below it
        # (as followed up from the waist, then the central run further down)
        side_x = edge.copy()
        if side in traced:
            tr = traced[side]
            side_x = np.where(np.isnan(tr), side_x, tr)
        else:
            # the underarm was hidden: take the torso's side as the vertical through the
            # estimated armpit wherever a sleeve may lie against it
            side_x = np.where(np.isnan(side_x), a[0], sgn * np.minimum(sgn * side_x, sgn * a[0]))
        side_x = np.where(np.isnan(side_x), a[0], side_x)
        side_x = np.where(np.arange(h) <= a[1], a[0], side_x)
        out = (sgn * (xx - side_x[:, None]) > 0.5) & (m > 0)
        n, lbl, stats, _ = cv2.connectedComponentsWithStats(out.astype(np.uint8), connectivity=8)
        if n <= 1:
            sleeves[side] = None
            continue
        # the largest component; a sleeve is a limb: it reaches up beside the armhole and is
        # thick (a strap's edge or a step in the side is neither)
        k = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
        reg = lbl == k
        x0, y0, bw, bh, area = stats[k]
        thick = 0.0
        if area >= 0.02 * cw * cw and y0 < a[1] - 0.15 * cw:
            sub = np.pad(reg[y0: y0 + bh, x0: x0 + bw].astype(np.uint8), 1)
            thick = float(cv2.distanceTransform(sub, cv2.DIST_L2, 3).max())
        if thick < max(1.5, 0.07 * cw):
            sleeves[side] = None
            continue
        sleeves[side] = reg

    pts: dict[str, np.ndarray] = {}
    centroid = np.array([xc, float(ys.mean())])
    has_side = {}
    for side, a, nk, sgn in (("right", ar, nr, -1), ("left", al, nl, 1)):
        pts[f"armpit_{side}"] = a
        pts[f"neck_{side}"] = nk
        reg = sleeves[side]
        i_n, i_a = _nearest_index(contour, nk), _nearest_index(contour, a)
        path = _arc(contour, i_n, i_a)  # neck -> shoulder -> (sleeve) -> armpit
        has = False
        if reg is not None:
            # how far the sleeve reaches beyond the torso (outwards or down beside it)
            ry, rx = np.nonzero(reg)
            reach = max(float(np.max(sgn * (rx - a[0]))), float(np.max(ry - a[1])) * 0.5)
            has = reach > 0.12 * cw
        has_side[side] = has
        if has:
            xi = np.clip(np.round(path[:, 0]).astype(int), 0, w - 1)
            yi = np.clip(np.round(path[:, 1]).astype(int), 0, h - 1)
            on = reg[yi, xi]
            cx_ = np.clip(np.round(contour[:, 0]).astype(int), 0, w - 1)
            cy_ = np.clip(np.round(contour[:, 1]).astype(int), 0, h - 1)
            in_reg = np.nonzero(reg[cy_, cx_])[0]
            if len(in_reg) and on.sum() < 0.5 * len(in_reg):
                # the armpit is a guess off the contour: follow the contour from the neck
                # to the far end of the sleeve instead
                nc = len(contour)
                fwd = (in_reg - i_n) % nc
                bwd = (i_n - in_reg) % nc
                if np.sum(fwd < bwd) >= len(in_reg) / 2:
                    path = contour[(i_n + np.arange(int(fwd.max()) + 1)) % nc]
                else:
                    path = contour[(i_n - np.arange(int(bwd.max()) + 1)) % nc]
                xi = np.clip(np.round(path[:, 0]).astype(int), 0, w - 1)
                yi = np.clip(np.round(path[:, 1]).astype(int), 0, h - 1)
                on = reg[yi, xi]
            top_a = np.array([a[0], min(float(topy[int(np.clip(round(a[0]), 0, w - 1))]), a[1])])
            # outer cuff corner: the sleeve's point farthest from the armhole (a vertical
            # segment through the armpit)
            seg_y = np.clip(path[:, 1], top_a[1], a[1])
            dist = np.hypot(path[:, 0] - a[0], path[:, 1] - seg_y)
            dist[~on] = -1
            io = int(np.argmax(dist))
            # inner cuff corner: the corner between the cuff and the underarm seam, i.e. the
            # point of the path from the outer corner to the armpit farthest from its chord
            sub = path[io:]
            if len(sub) >= 3:
                d = sub[-1] - sub[0]
                nrm = np.hypot(*d)
                dd = np.abs((sub - sub[0]) @ np.array([-d[1], d[0]])) / max(nrm, 1e-6)
                ii = io + int(np.argmax(dd))
                if dd.max() < 0.03 * cw:  # the cuff runs into the armpit
                    ii = len(path) - 1
            else:
                ii = len(path) - 1
            pts[f"sleeve_{side}_outer"] = path[io]
            pts[f"sleeve_{side}_inner"] = path[ii]
        # shoulder: the corner between the neck and the sleeve's outer corner (or the armpit)
        end = int(io) if has else len(path) - 1
        below = np.nonzero(path[: end + 1, 1] > a[1])[0]
        if has and len(below) and below[0] >= 2:
            end = int(below[0])  # the shoulder is above the armpit (a sleeve may bulge below)
        sub = path[: end + 1]
        sh, dist_sh = _farthest_from_chord(sub, centroid) if len(sub) >= 3 else (sub[-1], 0.0)
        if dist_sh < 0.04 * cw:
            if has:
                # no visible corner (a sleeve continuing the shoulder line): above the armpit
                x = int(np.clip(round(a[0]), 0, w - 1))
                sh = np.array([float(x), float(topy[x])])
            else:
                # a strap: the outer end of the top stretch the neck point lies on
                sh = plateau_outer[side]
        pts[f"shoulder_{side}"] = np.asarray(sh, float)
        if not has:
            pts[f"sleeve_{side}_outer"] = pts[f"shoulder_{side}"]
            pts[f"sleeve_{side}_inner"] = a
    has_sleeves = has_side["right"] or has_side["left"]

    # --- hem corners: extreme torso points in the two downward diagonals ---
    torso = m.astype(bool).copy()
    for reg in sleeves.values():
        if reg is not None and has_sleeves:
            torso &= ~reg
    ty, tx = np.nonzero(torso)
    if len(ty) == 0:
        ty, tx = ys, xs
    k = int(np.argmax(tx + ty))
    pts["hem_left"] = np.array([float(tx[k]), float(ty[k])])
    k = int(np.argmax(-tx + ty))
    pts["hem_right"] = np.array([float(tx[k]), float(ty[k])])
    pts["neck_front"] = neck_front
    return pts, has_sleeves
