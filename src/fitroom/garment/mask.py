"""The garment's mask in a product photo on a plain (white, light grey, any flat) background.

Method (classical, no learned weights)
--------------------------------------
1. Work on a copy whose long side is at most ``work_size`` pixels (speed), in CIE Lab,
   slightly smoothed.
2. **Background model** from the image border: a robust fit of a plane (colour as an affine
   function of x and y, to allow a gentle gradient or vignetting) and the backdrop's noise
   level. If too little of the border fits a plain background (a natural scene, noise), the
   photo is not a product photo and :class:`NoGarmentError` is raised.
3. **Background flood**: from the border, through pixels that are smooth (gradient at the
   backdrop's noise level) and either backdrop-coloured or shadow-like (darker, same hue),
   but never across an outline: Canny edges on the lightness with hysteresis thresholds
   taken from the backdrop's noise, so a white shirt's faint outline forms a closed wall.
   An opening removes passages a few pixels wide, so a short faded stretch of outline does
   not let the flood into the garment.
4. **Markers** for a watershed (Meyer flooding, ``cv2.watershed``): background = the flood;
   garment = pixels clearly off the backdrop's colour that the flood did not reach (smooth
   shadow-like pixels excepted), ignoring specks. The watershed runs on a contrast-stretched
   Lab image whose zero is the backdrop colour, so everything undecided (edges, narrow gaps,
   a white garment's flat interior next to its shaded outline) goes to the side whose flood
   reaches it across the weaker edges.
5. Clean up: fill holes, except enclosed regions that show the backdrop itself inside a
   garment that is clearly not backdrop-coloured (a gap between a sleeve and the torso
   closed at the cuff, a halter loop); keep the largest components.
6. Upsample to the photo's resolution (smooth interpolation, 0.5 threshold) and decide the
   thin uncertain band along the outline at full resolution by colour: a pixel belongs to
   the garment when its colour is nearer to the garment's nearby colour than to the
   backdrop's (the half-coverage rule of an anti-aliased edge).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from fitroom.errors import NoGarmentError

#: ΔE (CIE76) below which a border is "plain" whatever its measured noise
_PLAIN_TOL = 6.0
#: noise floor (ΔE) for perfectly flat, synthetic or heavily compressed backgrounds
_SIGMA_FLOOR = 0.6
#: gradient (ΔE per pixel at the work resolution) that always counts as an edge
_EDGE_FLOOR = 0.5
#: how much darker than the background a (soft) shadow may be (ΔE)
_SHADOW_MAX = 20.0
_DISK5 = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
_CROSS3 = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))


@dataclass(frozen=True)
class _Background:
    coef: np.ndarray  # (3, 3): per Lab channel [c0, cx, cy] over normalised coordinates
    sigma: float  # typical colour deviation of background pixels (ΔE)
    inlier_fraction: float  # fraction of the border that fits the model
    border_inliers: np.ndarray  # bool (h, w): border pixels that fit


def _as_rgb(image: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """Validate; return (HxWx3 uint8 RGB, alpha or None)."""
    if not isinstance(image, np.ndarray):
        raise TypeError(f"image must be a numpy array, got {type(image).__name__}")
    img = image
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=2)
    if img.ndim != 3 or img.shape[2] not in (3, 4):
        raise ValueError(f"image must be HxWx3 RGB (or HxWx4 RGBA), got shape {image.shape}")
    if img.dtype != np.uint8:
        if np.issubdtype(img.dtype, np.floating) and img.size and img.max() <= 1.0:
            img = img * 255.0
        img = np.clip(img, 0, 255).astype(np.uint8)
    if img.shape[0] < 8 or img.shape[1] < 8:
        raise NoGarmentError(f"The garment photo is too small ({img.shape[1]}x{img.shape[0]} pixels).")
    alpha = None
    if img.shape[2] == 4:
        alpha = img[..., 3]
        img = img[..., :3]
    return np.ascontiguousarray(img), alpha


def _coords(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    x = np.linspace(-1.0, 1.0, w, dtype=np.float32)
    y = np.linspace(-1.0, 1.0, h, dtype=np.float32)
    return x, y


def _border(h: int, w: int, width: int) -> np.ndarray:
    b = np.zeros((h, w), bool)
    b[:width] = True
    b[-width:] = True
    b[:, :width] = True
    b[:, -width:] = True
    return b


def _fit_background(lab: np.ndarray) -> _Background:
    h, w = lab.shape[:2]
    bw = max(2, round(0.01 * max(h, w)))
    border = _border(h, w, bw)
    ys, xs = np.nonzero(border)
    x, y = _coords(h, w)
    design = np.stack([np.ones(len(xs), np.float32), x[xs], y[ys]], 1)
    vals = lab[ys, xs].astype(np.float32)
    med = np.median(vals, axis=0)
    res = np.linalg.norm(vals - med, axis=1)
    inl = res < 2.5 * _PLAIN_TOL
    coef = np.zeros((3, 3), np.float32)
    coef[:, 0] = med
    for _ in range(3):
        if inl.sum() < 16:
            break
        sol, *_ = np.linalg.lstsq(design[inl], vals[inl], rcond=None)
        coef = sol.T.astype(np.float32)
        res = np.linalg.norm(vals - design @ sol, axis=1)
        sigma = max(float(np.median(res[inl])), _SIGMA_FLOOR)
        inl = res < max(4.0 * sigma, 0.5 * _PLAIN_TOL)
    sigma = max(float(np.median(res[inl])) if inl.any() else 1e9, _SIGMA_FLOOR)
    plain = res < max(3.0 * sigma, _PLAIN_TOL)
    frac = float(plain.mean())
    bi = np.zeros((h, w), bool)
    bi[ys[inl], xs[inl]] = True
    return _Background(coef=coef, sigma=sigma, inlier_fraction=frac, border_inliers=bi)


def _background_image(bg: _Background, h: int, w: int) -> np.ndarray:
    x, y = _coords(h, w)
    c = bg.coef
    out = np.empty((h, w, 3), np.float32)
    for k in range(3):
        out[..., k] = (c[k, 0] + c[k, 2] * y)[:, None] + (c[k, 1] * x)[None, :]
    return out


def _fill_holes(mask: np.ndarray) -> np.ndarray:
    """Fill the regions of ~mask not connected to the image border."""
    m = mask.astype(np.uint8)
    h, w = m.shape
    pad = np.zeros((h + 2, w + 2), np.uint8)
    pad[1:-1, 1:-1] = m
    ff = pad.copy()
    cv2.floodFill(ff, np.zeros((h + 4, w + 4), np.uint8), (0, 0), 1)
    return (pad | (1 - ff))[1:-1, 1:-1].astype(bool)


def _backdrop_holes(garment: np.ndarray, lbl_pass: np.ndarray, dist: np.ndarray, grad: np.ndarray,
                    bg: _Background, t_fg: float, g_noise: float) -> np.ndarray:
    """Enclosed regions that show the backdrop itself (a gap between a sleeve and the torso
    closed at the cuff, a halter loop, a cut-out).

    ``lbl_pass`` labels the smooth, background-like regions inside the garment. Such a region
    is a hole only when it matches the backdrop as closely as the border does (colour within
    twice the backdrop's noise, its typical gradient at the noise level) and the garment
    around it is clearly not background-coloured: inside a white garment on a white backdrop
    nothing is cut out.
    """
    h, w = garment.shape
    out = np.zeros((h, w), bool)
    cand = (lbl_pass > 0) & garment
    if not cand.any():
        return out
    n = int(lbl_pass.max()) + 1
    counts = np.bincount(lbl_pass[cand], minlength=n)
    counts[0] = 0
    min_area = max(9, int(5e-4 * h * w))
    k = np.ones((3, 3), np.uint8)
    for i in np.nonzero(counts >= min_area)[0]:
        region = lbl_pass == i
        x, y, bw_, bh_ = cv2.boundingRect(region.astype(np.uint8))
        y0, y1 = max(y - 4, 0), min(y + bh_ + 4, h)
        x0, x1 = max(x - 4, 0), min(x + bw_ + 4, w)
        r = region[y0:y1, x0:x1]
        ring = (cv2.dilate(r.astype(np.uint8), k, iterations=3) > 0) & ~r
        ring &= ~cv2.dilate(r.astype(np.uint8), k, iterations=1).astype(bool)
        d_in = dist[y0:y1, x0:x1][r]
        g_in = grad[y0:y1, x0:x1][r]
        d_ring = dist[y0:y1, x0:x1][ring]
        if (np.median(d_in) <= 2.0 * bg.sigma and np.median(g_in) <= 2.0 * max(g_noise, 0.05)
                and len(d_ring) and np.median(d_ring) > 3.0 * t_fg):
            out[y0:y1, x0:x1] |= r
    return out


def _keep_large(mask: np.ndarray, rel: float = 0.02) -> np.ndarray:
    n, lab, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    if n <= 2:
        return mask
    areas = stats[1:, cv2.CC_STAT_AREA]
    keep = np.zeros(n, bool)
    keep[1:] = areas >= max(rel * areas.max(), 4)
    return keep[lab]


def _sample(arr: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Bilinear samples of ``arr`` (h, w, c) at float pixel coordinates -> (N, c)."""
    h, w = arr.shape[:2]
    xs = np.clip(xs, 0, w - 1)
    ys = np.clip(ys, 0, h - 1)
    x0 = np.minimum(xs.astype(np.int32), w - 2) if w > 1 else np.zeros(len(xs), np.int32)
    y0 = np.minimum(ys.astype(np.int32), h - 2) if h > 1 else np.zeros(len(ys), np.int32)
    fx = (xs - x0).astype(np.float32)[:, None]
    fy = (ys - y0).astype(np.float32)[:, None]
    x1 = np.minimum(x0 + 1, w - 1)
    y1 = np.minimum(y0 + 1, h - 1)
    top = arr[y0, x0] * (1 - fx) + arr[y0, x1] * fx
    bot = arr[y1, x0] * (1 - fx) + arr[y1, x1] * fx
    return top * (1 - fy) + bot * fy


def _upsample(small_img: np.ndarray, garment: np.ndarray, img: np.ndarray) -> np.ndarray:
    """Full-resolution mask from the work-resolution one, refined along the outline.

    The work-resolution mask is smoothed, interpolated and thresholded at 0.5. In the thin
    band where the interpolated value is uncertain, a pixel is given to the garment when its
    colour is nearer to the mean colour of the confident garment pixels around it than to
    that of the confident background around it (where those two differ visibly).
    """
    h, w = garment.shape
    H, W = img.shape[:2]
    out = np.zeros((H, W), bool)
    soft = cv2.GaussianBlur(garment.astype(np.float32), (0, 0), 0.8)
    x, y, bw, bh = cv2.boundingRect((soft > 0.01).astype(np.uint8))
    if bw == 0 or bh == 0:
        return out
    # work on the garment's bounding box (with a margin) at both resolutions
    m = 6
    x0, y0, x1, y1 = max(x - m, 0), max(y - m, 0), min(x + bw + m, w), min(y + bh + m, h)
    sx, sy = w / W, h / H
    X0, Y0 = max(int(np.floor((x0 + 0.5) / sx - 0.5)), 0), max(int(np.floor((y0 + 0.5) / sy - 0.5)), 0)
    X1, Y1 = min(int(np.ceil((x1 - 0.5) / sx + 0.5)), W), min(int(np.ceil((y1 - 0.5) / sy + 0.5)), H)
    # full-res pixel X samples the work image at (X + 0.5) * sx - 0.5 (pixel centres)
    A = np.float32([[sx, 0, (X0 + 0.5) * sx - 0.5 - x0], [0, sy, (Y0 + 0.5) * sy - 0.5 - y0]])
    soft_c = np.ascontiguousarray(soft[y0:y1, x0:x1])
    soft_full = cv2.warpAffine(soft_c, A, (X1 - X0, Y1 - Y0), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                               borderMode=cv2.BORDER_REPLICATE)
    out[Y0:Y1, X0:X1] = soft_full >= 0.5
    band = cv2.inRange(soft_full, 0.03, 0.97)
    pts = cv2.findNonZero(band)
    if pts is None:
        return out
    xs, ys = pts[:, 0, 0], pts[:, 0, 1]
    # local mean colours of the confident garment / background at the work resolution
    g8 = garment[y0:y1, x0:x1].astype(np.uint8)
    k = np.ones((5, 5), np.uint8)
    inner = cv2.erode(g8, k, borderType=cv2.BORDER_REPLICATE).astype(np.float32)
    outer = (1 - cv2.dilate(g8, k, borderType=cv2.BORDER_REPLICATE)).astype(np.float32)
    f = small_img[y0:y1, x0:x1].astype(np.float32)
    box = (9, 9)
    stack = np.empty((y1 - y0, x1 - x0, 8), np.float32)
    stack[..., 0:3] = cv2.boxFilter(f * inner[..., None], -1, box)
    stack[..., 3:6] = cv2.boxFilter(f * outer[..., None], -1, box)
    stack[..., 6] = cv2.boxFilter(inner, -1, box)
    stack[..., 7] = cv2.boxFilter(outer, -1, box)
    smp = _sample(stack, (xs + X0 + 0.5) * sx - 0.5 - x0, (ys + Y0 + 0.5) * sy - 0.5 - y0)
    wf, wb = smp[:, 6], smp[:, 7]
    ok = (wf > 0.02) & (wb > 0.02)
    cf = smp[:, 0:3] / np.maximum(wf, 1e-3)[:, None]
    cb = smp[:, 3:6] / np.maximum(wb, 1e-3)[:, None]
    pix = img[ys + Y0, xs + X0].astype(np.float32)
    df = np.einsum("ij,ij->i", pix - cf, pix - cf)
    db = np.einsum("ij,ij->i", pix - cb, pix - cb)
    contrast = np.einsum("ij,ij->i", cf - cb, cf - cb)
    decide = ok & (contrast > 100.0)
    out[ys[decide] + Y0, xs[decide] + X0] = df[decide] < db[decide]
    return out


def garment_mask(image: np.ndarray, *, work_size: int = 448) -> np.ndarray:
    """Boolean ``(H, W)`` mask of the garment in a product photo on a plain background.

    ``image`` is ``(H, W, 3)`` uint8 RGB (an RGBA cut-out with real transparency is
    answered from its alpha channel). White garments on white backgrounds are found from
    their faint outlines, folds and seams. The photo is analysed with its long side at most
    ``work_size`` pixels; the outline is then refined at full resolution.

    Raises :class:`~fitroom.errors.NoGarmentError` when the photo does not show a garment on
    a plain background (a natural scene, noise, an empty background).
    """
    img, alpha = _as_rgb(image)
    H, W = img.shape[:2]
    if alpha is not None and (alpha < 250).mean() > 0.05:
        m = alpha >= 128
        if m.mean() < 0.005:
            raise NoGarmentError("The garment photo is fully transparent: no garment was found.")
        return m

    s = min(1.0, work_size / max(H, W))
    if s < 1.0:
        w, h = max(round(W * s), 8), max(round(H * s), 8)
        small = cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA)
    else:
        h, w = H, W
        small = img
    lab = cv2.cvtColor(small.astype(np.float32) * np.float32(1 / 255), cv2.COLOR_RGB2Lab)
    lab = cv2.GaussianBlur(lab, (0, 0), 0.7)

    bg = _fit_background(lab)
    if bg.inlier_fraction < 0.5 or bg.sigma > 0.5 * _PLAIN_TOL:
        raise NoGarmentError(
            "No garment found: the photo's background is not plain. Use a product photo of "
            "the garment alone on a white or plain background."
        )
    delta = lab - _background_image(bg, h, w)
    dist = np.sqrt(np.einsum("ijk,ijk->ij", delta, delta))

    # --- background flood: smooth, backdrop-like (or shadow-like) pixels joined to the border ---
    gx = cv2.Sobel(lab, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(lab, cv2.CV_32F, 0, 1, ksize=3)
    grad = np.sqrt(np.einsum("ijk,ijk->ij", gx, gx) + np.einsum("ijk,ijk->ij", gy, gy)) * np.float32(0.125)
    bw = max(2, round(0.01 * max(h, w)))
    border = _border(h, w, bw)
    g_noise = float(np.percentile(grad[bg.border_inliers], 90)) if bg.border_inliers.any() else 0.0
    t_grad = max(3.0 * g_noise, _EDGE_FLOOR)
    t_col = max(4.0 * bg.sigma, 2.0)
    chroma2 = delta[..., 1] * delta[..., 1] + delta[..., 2] * delta[..., 2]
    dl = delta[..., 0]
    shadow = (dl < 0) & (dl > -_SHADOW_MAX) & (chroma2 < max(3.0 * bg.sigma, 3.0) ** 2)
    # thin, connected outlines (Canny with hysteresis on the lightness): a white garment's
    # faint outline is a closed curve even where it fades, and no 4-connected flood crosses it
    k16 = np.float32(0.125 * 16)
    dx = np.clip(gx[..., 0] * k16, -32767, 32767).astype(np.int16)
    dy = np.clip(gy[..., 0] * k16, -32767, 32767).astype(np.int16)
    edges = cv2.Canny(dx, dy, 16 * max(2.0 * g_noise, 0.5 * _EDGE_FLOOR),
                      16 * max(4.0 * g_noise, _EDGE_FLOOR), L2gradient=True)
    # thicken the outlines a little so that dotted stretches (two outlines close together,
    # a fading edge) still form a wall
    edges = cv2.dilate(edges, _CROSS3) > 0
    raw_passable = (((dist < t_col) | shadow) & (grad < t_grad) & ~edges).astype(np.uint8)
    # an opening closes passages a few pixels wide: a flood must not leak into a white
    # garment through a short faint stretch of its outline
    passable = cv2.morphologyEx(raw_passable, cv2.MORPH_OPEN, _DISK5)
    _, lbl_pass = cv2.connectedComponents(passable, connectivity=4)
    seeds = np.unique(lbl_pass[bg.border_inliers & (passable > 0)])
    seeds = seeds[seeds > 0]
    flood = np.isin(lbl_pass, seeds) if len(seeds) else np.zeros((h, w), bool)

    # --- garment markers: clearly not background, not reached by the flood, not a shadow ---
    t_fg = max(4.0 * bg.sigma, 2.5)
    fg = ((dist > t_fg) & ~flood & ~(shadow & (grad < t_grad))).astype(np.uint8)
    fg[border] = 0
    n, lbl, stats, _ = cv2.connectedComponentsWithStats(fg, connectivity=8)
    if n > 1:
        min_area = max(4, int(2e-4 * h * w))
        good = np.zeros(n, bool)
        good[1:] = stats[1:, cv2.CC_STAT_AREA] >= min_area
        fg = good[lbl]
    else:
        fg = fg.astype(bool)
    if fg.sum() < 1e-3 * h * w:
        raise NoGarmentError(
            "No garment found: the photo looks empty (only background). Use a product photo "
            "that shows the garment."
        )
    markers = np.zeros((h, w), np.int32)
    markers[bg.border_inliers | flood] = 1
    markers[fg] = 2

    # --- watershed on the background-relative, contrast-stretched Lab image ---
    gain = float(np.clip(3.0 / bg.sigma, 0.5, 4.0))
    ws_img = np.clip(128.0 + delta * gain, 0, 255).astype(np.uint8)
    cv2.watershed(ws_img, markers)
    garment = markers == 2
    ridge = markers == -1
    # a pixel on the watershed line joins the garment when it is at least half as far from
    # the background colour as the garment pixels next to it (half coverage)
    gd = garment.astype(np.float32)
    near = cv2.boxFilter(dist * gd, -1, (5, 5), normalize=False) / np.maximum(
        cv2.boxFilter(gd, -1, (5, 5), normalize=False), 1e-3)
    garment |= ridge & ~flood & (dist >= 0.5 * near)

    # --- holes, components, sanity ---
    filled = _fill_holes(garment)
    _, lbl_raw = cv2.connectedComponents(raw_passable & filled.astype(np.uint8), connectivity=4)
    garment = filled & ~_backdrop_holes(filled, lbl_raw, dist, grad, bg, t_fg, g_noise)
    garment = _keep_large(garment)
    area = garment.mean()
    if area < 0.005:
        raise NoGarmentError("No garment found: nothing in the photo stands out from its background.")
    if area > 0.92:
        raise NoGarmentError(
            "No garment found: the whole photo is covered, so it is not a product photo on a "
            "plain background."
        )
    b = _border(h, w, 1)
    if garment[b].mean() > 0.5:
        raise NoGarmentError(
            "No garment found: the object runs over most of the photo's border. Use a photo of "
            "the whole garment on a plain background."
        )

    # --- smooth and upsample ---
    return _upsample(small, garment, img)
