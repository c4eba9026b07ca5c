"""Body-part parsing into CIHP ids from pose, person mask, face outline and colour.

No learned parser ships offline, so the parse map is assembled from what does: MediaPipe's
pose (skeleton) and person segmentation, its face mesh (face outline), plus colour models
fitted on each photo. Pose gives the *where* (which arm, above or below the waist), colour
gives the *what* (skin, hair or cloth).

How a pixel gets its label:

1. Seeds. Regions that pose and face fix with confidence give each material its samples:
   skin from the face, hair from the head around the face, the upper garment from the chest,
   the lower garment from the thighs. Skin-coloured pixels are kept out of the cloth seeds
   only where they form *solid* patches (a neckline, an arm): the light specks of a printed
   fabric stay in, so the garment's model learns them.
2. Models. Skin is one Gaussian in Lab fitted on the face, held to a generic skin-chroma
   prior; hair and garments are small Gaussian mixtures, so a two-coloured print is one
   garment and hair has its highlights.
3. Competition. Every person pixel gets a cost per material: the negative log-likelihood of
   its colour plus a spatial prior from the pose (hair around the head and hanging beside,
   not on, the neck; the top above the hips, the bottom below the waist and off the arms),
   and an "other" class of constant cost for what fits nothing (shoes, bags, belts; filled
   in from the neighbours at the end). The costs are averaged over a small window
   (cost-volume filtering) before the cheapest is taken, so a speckled print is judged as a
   whole rather than pixel by pixel. Chest and thighs are one fabric (a dress, or a top over
   same-coloured trousers) when their colours match after allowing for shading.
4. Structure. Specks of skin or hair colour enclosed by a garment are its print; a garment is
   one piece even where arms cross in front of it; hair may hang over the forehead (bangs).
   Skin is split into ears, arms (past the shoulder joint, outside the chest), legs and
   neck/torso by the skeleton. A garment whose fabric runs down the middle past the crotch,
   ends in a visible hem and does not part into two legs (background between them) is a
   dress (for the upper garment) or a skirt (for the lower one); one that parts is
   trousers; one cut off by the photo's edge is taken for a top over trousers.

Everything here works on one working resolution; callers resize.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import cv2
import numpy as np

from fitroom.labels import Cihp
from fitroom.person.body import (
    BodyFrame, across_body, along_body, arm_segments, draw_polygon, point_segment_distance,
)

_LOG_2PI_3 = 1.5 * float(np.log(2 * np.pi))
_FEATURE_CENTRE = np.array([50.0, 0.0, 0.0])
#: negative log-density (nats) of the "other" class: uniform over a Lab box 100 x 160 x 160
_OTHER_COST = float(np.log(100.0 * 160.0 * 160.0))
#: costs are clipped here before averaging, so one odd pixel cannot outvote its window
_COST_CAP = 60.0
#: generic skin prior in Lab: skin of every tone has an orange hue (angle of (a, b) in
#: degrees) and some saturation (chroma)
_SKIN_HUE = (15.0, 85.0)
_SKIN_MIN_CHROMA = 6.0

# classes of the competition
_OTHER, _SKIN, _HAIR, _UPPER, _LOWER = range(5)


@dataclass(frozen=True)
class ColourModel:
    """A Gaussian in Lab: mean (3,), inverse covariance (3, 3)."""

    mean: np.ndarray
    inv_cov: np.ndarray

    @staticmethod
    def fit(samples: np.ndarray, min_var: tuple[float, float, float] = (25.0, 4.0, 4.0),
            l_scale: float = 1.0) -> ColourModel | None:
        """Fit to (N, 3) Lab samples (robustly, on the central 80% of lightness)."""
        if len(samples) < 12:
            return None
        lo, hi = np.percentile(samples[:, 0], [10, 90])
        s = samples[(samples[:, 0] >= lo) & (samples[:, 0] <= hi)]
        if len(s) < 8:
            s = samples
        cov = np.cov(s.T.astype(np.float64)) + np.diag(min_var)
        cov[0, :] *= l_scale
        cov[:, 0] *= l_scale
        return ColourModel(s.mean(0).astype(np.float64), np.linalg.inv(cov))

    @cached_property
    def _whiten(self) -> np.ndarray:
        return np.linalg.cholesky(self.inv_cov).astype(np.float32)  # inv_cov = W @ W.T

    @cached_property
    def log_norm(self) -> float:
        """The density's log normaliser: ``nll = distance2 / 2 + log_norm``."""
        return _LOG_2PI_3 - 0.5 * float(np.linalg.slogdet(self.inv_cov)[1])

    @cached_property
    def quadratic(self) -> np.ndarray:
        """(10,) weights w with ``nll = w @ quadratic_features(lab)``."""
        a = self.inv_cov
        m = self.mean - _FEATURE_CENTRE
        am = a @ m
        d2 = np.array([a[0, 0], a[1, 1], a[2, 2], a[0, 1], a[0, 2], a[1, 2],
                       -2 * am[0], -2 * am[1], -2 * am[2], m @ am])
        d2[9] += 2 * self.log_norm
        return (0.5 * d2).astype(np.float32)

    def distance2(self, lab: np.ndarray) -> np.ndarray:
        """Squared Mahalanobis distance of (..., 3) Lab pixels."""
        lab = np.asarray(lab, np.float32)
        y = (lab.reshape(-1, 3) - self.mean.astype(np.float32)) @ self._whiten
        return np.einsum("ij,ij->i", y, y).reshape(lab.shape[:-1])

    def nll(self, lab: np.ndarray) -> np.ndarray:
        """Negative log-density (nats) of (..., 3) Lab pixels."""
        return 0.5 * self.distance2(lab) + np.float32(self.log_norm)


def quadratic_features(lab: np.ndarray) -> np.ndarray:
    """(10, N) float32 features of (N, 3) Lab pixels in which every Gaussian's negative
    log-density is linear (see :attr:`ColourModel.quadratic`): many models cost one product."""
    x = (np.asarray(lab, np.float32) - _FEATURE_CENTRE.astype(np.float32)).T
    f = np.empty((10, x.shape[1]), np.float32)
    l, a, b = x
    np.multiply(l, l, out=f[0])
    np.multiply(a, a, out=f[1])
    np.multiply(b, b, out=f[2])
    np.multiply(l, 2 * a, out=f[3])
    np.multiply(l, 2 * b, out=f[4])
    np.multiply(a, 2 * b, out=f[5])
    f[6:9] = x
    f[9] = 1.0
    return f


@dataclass(frozen=True)
class MixtureModel:
    """A few Gaussians in Lab (a garment with a print, hair with highlights)."""

    parts: tuple[ColourModel, ...]
    log_weights: tuple[float, ...]

    @staticmethod
    def fit(samples: np.ndarray, k: int = 3, min_var: tuple[float, float, float] = (40.0, 6.0, 6.0),
            max_samples: int = 2000) -> MixtureModel | None:
        """k-means in Lab, then one regularised Gaussian per cluster (clusters under 5% dropped).

        Deterministic: samples are thinned by a fixed stride and k-means is seeded.
        """
        if len(samples) < 12:
            return None
        s = np.asarray(samples, np.float32)
        if len(s) > max_samples:
            s = s[:: int(np.ceil(len(s) / max_samples))]
        k = max(1, min(k, len(s) // 30))
        if k > 1:
            cv2.setRNGSeed(12345)
            crit = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 10, 0.5)
            _, ids, _ = cv2.kmeans(s, k, None, crit, 1, cv2.KMEANS_PP_CENTERS)
            ids = ids.ravel()
        else:
            ids = np.zeros(len(s), np.int32)
        parts, counts = [], []
        for i in range(k):
            c = s[ids == i]
            if len(c) < max(12, 0.05 * len(s)):
                continue
            cov = np.cov(c.T.astype(np.float64)) + np.diag(min_var)
            parts.append(ColourModel(c.mean(0).astype(np.float64), np.linalg.inv(cov)))
            counts.append(len(c))
        if not parts:
            return None
        logw = np.log(np.array(counts, np.float64) / sum(counts))
        return MixtureModel(tuple(parts), tuple(float(v) for v in logw))

    def loosen_lightness(self, factor: float) -> MixtureModel:
        """The same mixture with every component's lightness variance times ``factor``."""
        s = np.diag([1.0 / np.sqrt(factor), 1.0, 1.0])
        return MixtureModel(tuple(ColourModel(p.mean, s @ p.inv_cov @ s) for p in self.parts), self.log_weights)

    @cached_property
    def quadratic(self) -> np.ndarray:
        """(K, 10) weights: ``w @ quadratic_features(lab)`` is each component's cost."""
        return np.stack([p.quadratic - np.float32(lw) * np.eye(10, dtype=np.float32)[9]
                         for p, lw in zip(self.parts, self.log_weights)])

    def nll(self, lab: np.ndarray) -> np.ndarray:
        """Negative log-density (nats; of the best component, a close bound) of (N, 3) Lab pixels."""
        return self.nll_of_features(quadratic_features(lab))

    def nll_of_features(self, features: np.ndarray) -> np.ndarray:
        """:meth:`nll` from :func:`quadratic_features`."""
        if features.shape[1] == 0:
            return np.zeros(0, np.float32)
        return (self.quadratic @ features).min(0)


def to_lab(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(image.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)


def skin_prior_cost(lab: np.ndarray) -> np.ndarray:
    """Extra cost (nats) for a Lab colour to be skin under a generic prior: 0 inside the band
    of skin hues and chromas, growing outside it (grey, green, blue, purple are not skin)."""
    a, b = lab[..., 1], lab[..., 2]
    hue = np.degrees(np.arctan2(b, a))
    chroma = np.sqrt(a * a + b * b)
    off_hue = np.maximum(_SKIN_HUE[0] - hue, 0) + np.maximum(hue - _SKIN_HUE[1], 0)
    low_chroma = np.maximum(_SKIN_MIN_CHROMA - chroma, 0)
    return (0.15 * off_hue + 0.8 * low_chroma).astype(np.float32)


def _largest_cc_touching(mask: np.ndarray, seed: np.ndarray) -> np.ndarray:
    """Components of ``mask`` that contain any pixel of ``seed``."""
    n, lab = cv2.connectedComponents(mask.astype(np.uint8), connectivity=8)
    if n <= 1:
        return mask.copy()
    ids = np.unique(lab[seed & mask])
    ids = ids[ids > 0]
    return np.isin(lab, ids)


#: below the chin, hair hangs from the head in locks at least this many shoulder widths thick;
#: thinner hair-coloured lines there (straps, a lace or piped neckline) are the garment's
HAIR_LOCK = 0.06


def _hanging_hair(hair: np.ndarray, head: np.ndarray, below: np.ndarray, lock: float) -> np.ndarray:
    """The hair of the head: components of ``hair`` touching ``head`` where, in ``below`` (under
    the chin), only locks at least ``lock`` px thick connect (a morphological opening), with
    the fine strands at their edges given back."""
    thick = cv2.morphologyEx((hair & below).astype(np.uint8), cv2.MORPH_OPEN, _disk(lock / 2)).astype(bool)
    core = (hair & ~below) | thick
    core = _largest_cc_touching(core, head) & core
    return hair & cv2.dilate(core.astype(np.uint8), _disk(lock / 2)).astype(bool)


#: below this (torso lengths from the neck: under the armpits, where straps end) a top is broad
#: cloth: its strips thinner than :data:`UPPER_STRAND` shoulder widths are not the garment but
#: the backdrop or a mixed edge between an arm and the lower garment, seen through the gap
STRAND_FROM = 0.4
UPPER_STRAND = 0.04


def _drop_strands(mask: np.ndarray, zone: np.ndarray, width: float) -> np.ndarray:
    """``mask`` without its strips thinner than ``width`` pixels inside ``zone``; the thick
    parts keep their outline (what lies within ``width / 2`` of them stays)."""
    r = 0.5 * width
    thick = cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_OPEN, _disk(r))
    near = cv2.dilate(thick, _disk(r + 1)).astype(bool)
    return mask & (near | ~zone)


#: hair below the chin has the hue of the hair on the head: where that hair is coloured (a
#: median chroma of at least ``HUE_MIN_CHROMA``: brown, blond, red), pixels below the chin
#: darker than its median with under ``HUE_KEEP`` of its chroma are not hair (black lace
#: beside the hair, a dark yoke or strap). Black or grey hair has no hue to tell it by.
HUE_MIN_CHROMA = 10.0
HUE_KEEP = 0.4
#: ... down to this far (torso lengths below the neck), where hair may hang over a garment
HAIR_HUE_ALONG = 0.6


def _hueless(lab: np.ndarray, ref: np.ndarray, cand: np.ndarray, k: int) -> np.ndarray:
    """(H, W) bool: pixels of ``cand`` darker than the median of ``ref`` ((H, W) bool: the
    head's hair) and with under :data:`HUE_KEEP` of its median chroma, with the gaps between
    them narrower than ``k`` px (lace: black threads over skin); none when ``ref`` is grey.
    ``lab``: (H, W, 3) float Lab (L 0-100)."""
    if not cand.any() or ref.sum() < 50:
        return np.zeros(cand.shape, bool)
    chroma = np.hypot(lab[..., 1], lab[..., 2])
    c_ref = float(np.median(chroma[ref]))
    if c_ref < HUE_MIN_CHROMA:
        return np.zeros(cand.shape, bool)
    grey = cand & (chroma < HUE_KEEP * c_ref) & (lab[..., 0] < float(np.median(lab[..., 0][ref])))
    return cand & cv2.morphologyEx(grey.astype(np.uint8), cv2.MORPH_CLOSE, _disk(k / 2)).astype(bool)


def _fill_unlabelled(parse: np.ndarray, person: np.ndarray) -> np.ndarray:
    """Give person pixels still labelled background the label of the nearest labelled pixel."""
    hole = person & (parse == Cihp.BACKGROUND)
    if not hole.any() or not (parse != Cihp.BACKGROUND).any():
        return parse
    src = (parse == Cihp.BACKGROUND).astype(np.uint8)  # zeros are the labelled pixels
    _, idx = cv2.distanceTransformWithLabels(src, cv2.DIST_L2, 5, labelType=cv2.DIST_LABEL_PIXEL)
    # map each label index to the label of that pixel
    ys, xs = np.nonzero(src == 0)
    lut = np.zeros(idx.max() + 1, np.uint8)
    lut[idx[ys, xs]] = parse[ys, xs]
    out = parse.copy()
    out[hole] = lut[idx[hole]]
    return out


def _disk(r: float) -> np.ndarray:
    r = max(1, int(round(r)))
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))


def _absorb_enclosed(win: np.ndarray, body: np.ndarray, cls: int, into: tuple[int, ...],
                     keep: np.ndarray, share: float = 0.85) -> None:
    """In the class map ``win`` (in place): components of class ``cls`` whose surroundings are
    mostly (``share``) one class of ``into`` take that class, unless they touch ``keep``."""
    mask = (win == cls) & body
    n, cc = cv2.connectedComponents(mask.astype(np.uint8), connectivity=8)
    if n <= 1:
        return
    grown = cv2.dilate(cc.astype(np.float32), np.ones((3, 3), np.uint8)).astype(np.int64)
    ring = (grown > 0) & ~mask
    n_cls = max(int(win.max()), cls, *into) + 2  # the last one stands for "outside the body"
    ring_cls = np.where(body[ring], win[ring], n_cls - 1)
    counts = np.bincount(grown[ring] * n_cls + ring_cls, minlength=n * n_cls).reshape(n, n_cls)
    total = np.maximum(counts.sum(1), 1)
    target = np.zeros(n, np.int64)
    for c in into:
        target[counts[:, c] >= share * total] = c
    target[0] = 0
    target[np.unique(cc[keep & mask])] = 0
    moved = target[cc]
    win[moved > 0] = moved[moved > 0]


def _same_fabric(upper: MixtureModel, lower: MixtureModel, chest: np.ndarray, thigh: np.ndarray) -> bool:
    """Do chest and thigh samples (N, 3 Lab) look like one fabric?

    One fabric in light and in shade: shading scales (L + 16, a, b) alike (by the cube root of
    the light ratio), so the two sample sets are compared after matching their brightness,
    the light ratio limited to 1:2. They are two fabrics when each set is mostly better
    explained by its own model.
    """
    off = np.array([16.0, 0.0, 0.0], np.float32)
    s = float(np.median(chest[:, 0] + 16)) / max(1.0, float(np.median(thigh[:, 0] + 16)))
    s = float(np.clip(s, 0.8, 1.25))
    um, lm = upper.loosen_lightness(2.0), lower.loosen_lightness(2.0)
    thigh_own = (lm.nll(thigh) + 1.0 < um.nll((thigh + off) * s - off)).mean()
    chest_own = (um.nll(chest) + 1.0 < lm.nll((chest + off) / s - off)).mean()
    return not (thigh_own > 0.6 and chest_own > 0.6)


@dataclass(frozen=True)
class _Layout:
    reach: float  # how far down the middle the garment runs (torso lengths)
    parts: bool  # it parts into two legs from above the knees
    hem: bool  # its lower end shows, with the person going on below it


def _garment_layout(g: np.ndarray, opening: np.ndarray, gap: np.ndarray, along: np.ndarray,
                    across: np.ndarray, sw: float, start: float, knee: float) -> _Layout:
    """How a garment mask runs down the body's midline from ``start`` (in torso lengths).

    The body is cut across its axis into steps of 0.05 torso lengths. ``opening`` marks what
    shows where a garment ends: background, bare legs, another garment; anything else in
    front (hands, a belt, a bag) hides the garment and counts for it. ``gap`` marks the
    background, which shows between the legs of trousers.
    """
    step = 0.05
    inside = along >= start
    if not inside.any():
        return _Layout(start, False, False)
    b = np.where(inside, ((along - start) / step).astype(np.int64), -1)
    n_bins = int(b.max()) + 1

    def count(mask: np.ndarray) -> np.ndarray:
        return np.bincount(b[mask & inside], minlength=n_bins)

    mid = np.abs(across) < 0.08 * sw
    near = np.abs(across) < 0.5 * sw
    n_mid = count(mid)
    ends = np.nonzero(n_mid == 0)[0]  # the photo (or the person's box) ends here
    n_bins = int(ends[0]) if len(ends) else n_bins
    n_mid = n_mid[:n_bins]
    n_g = count(g & mid)[:n_bins]
    n_open = count(opening & mid)[:n_bins]
    known = n_g + n_open >= 0.3 * n_mid
    covered = known & (n_g > n_open)
    sides = (count(g & (across > 0.12 * sw) & near)[:n_bins] > 0) \
        & (count(g & (across < -0.12 * sw) & near)[:n_bins] > 0)
    # background in the middle between garment either side: the legs of trousers
    central = np.abs(across) < 0.12 * sw
    gap_width = count(gap & central)[:n_bins] / np.maximum(count(central)[:n_bins], 1) * 0.24 * sw
    parted = sides & (gap_width >= max(1.5, 0.03 * sw))
    # an opening in the middle ends the garment unless it is skin framed by the garment with
    # no background (a hand, a cut-out, the light flowers of a print)
    open_ = known & ~covered & ~(sides & ~parted)
    alive = count(opening & near)[:n_bins] > 0.01 * sw * sw

    # the run down the middle, across holes of one step
    i = 0
    while i < n_bins and not (open_[i] and (i + 1 >= n_bins or open_[i + 1])):
        i += 1
    reach = start + step * i
    bins_along = start + step * np.arange(n_bins)
    # parted below the crotch, from above the knees on for 0.2 torso lengths (trousers part
    # at the crotch; a long skirt may part only at the feet)
    parted &= bins_along >= 1.05
    parts = False
    for j in range(n_bins):
        if bins_along[j] >= knee:
            break
        k = j
        while k < n_bins and parted[k]:
            k += 1
        if (k - j) * step >= 0.2:
            parts = True
            break
    last = np.nonzero(covered[:i])[0]
    hem = bool(alive[(int(last[-1]) + 1 if len(last) else 0):].any())
    return _Layout(reach, parts, hem)


def parse_person(image: np.ndarray, person: np.ndarray, frame: BodyFrame, face_poly: np.ndarray | None) -> np.ndarray:
    """CIHP parse map (H, W) uint8 of one person.

    Args:
        image: (H, W, 3) uint8 RGB.
        person: (H, W) bool person mask.
        frame: body frame from the keypoints, in pixels of ``image``.
        face_poly: (K, 2) face outline in pixels, or None (then an ellipse from the frame is used).
    """
    full_h, full_w = person.shape
    out = np.zeros((full_h, full_w), np.uint8)
    if not person.any():
        return out
    # work inside the person's bounding box
    rows, cols = np.nonzero(person.any(1))[0], np.nonzero(person.any(0))[0]
    y0, y1 = max(0, int(rows[0]) - 2), min(full_h, int(rows[-1]) + 3)
    x0, x1 = max(0, int(cols[0]) - 2), min(full_w, int(cols[-1]) + 3)
    origin = np.array([x0, y0], np.float32)
    image = image[y0:y1, x0:x1]
    person = person[y0:y1, x0:x1]
    h, w = person.shape
    lab = to_lab(image)
    ys, xs = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    sw = frame.shoulder_width
    along = along_body(frame, xs, ys)
    across = across_body(frame, xs, ys)

    # --- face -----------------------------------------------------------------------------
    if face_poly is not None and len(face_poly) >= 3:
        face = draw_polygon((h, w), cv2.convexHull(face_poly.astype(np.float32)).reshape(-1, 2) - origin)
    else:
        c = frame.neck - frame.down * 0.45 * sw - origin
        face = np.zeros((h, w), np.uint8)
        cv2.ellipse(face, (int(c[0]), int(c[1])), (max(1, int(0.2 * sw)), max(1, int(0.27 * sw))), 0, 0, 360, 1, -1)
        face = face.astype(bool)
    face &= person
    fys, fxs = np.nonzero(face)
    face_w = float(fxs.max() - fxs.min() + 1) if len(fxs) else 0.4 * sw
    face_h = float(fys.max() - fys.min() + 1) if len(fys) else 0.5 * sw
    face_cx = float(fxs.mean()) + x0 if len(fxs) else float(frame.neck[0])
    face_bottom = float(fys.max()) + y0 if len(fys) else float(frame.neck[1] - 0.2 * sw)
    chin = np.array([float(fxs[fys == fys.max()].mean()) + x0, face_bottom]) if len(fys) \
        else np.array([face_cx, face_bottom])
    body = person & ~face
    idx = np.flatnonzero(body)  # the pixels colour is judged on
    lab_b = lab.reshape(-1, 3)[idx]

    # --- skin: a model from the face (cheeks and forehead; eyes, brows, lips are outliers),
    # held to the generic skin prior ------------------------------------------------------
    core = cv2.erode(face.astype(np.uint8), np.ones((3, 3), np.uint8), iterations=max(1, int(face_w * 0.08)))
    core_px = lab[core.astype(bool)]
    plausible = skin_prior_cost(core_px) < 1.0
    if plausible.sum() >= 12:
        core_px = core_px[plausible]
    skin_model = ColourModel.fit(core_px, l_scale=4.0)
    if skin_model is None:
        skin_model = ColourModel(np.array([65.0, 15.0, 20.0]), np.linalg.inv(np.diag([400.0, 40.0, 40.0])))
    feats_b = quadratic_features(lab_b)
    prior_b = skin_prior_cost(lab_b)
    skin_nll_b = skin_model.quadratic @ feats_b
    skin_cost_b = skin_nll_b + prior_b
    skin_like = np.zeros(h * w, bool)
    skin_like[idx] = (2 * (skin_nll_b - np.float32(skin_model.log_norm)) < 9.0) & (prior_b < 1.0)  # 3 sigma
    skin_like = skin_like.reshape(h, w)
    # solid skin: patches a few percent of the shoulders across (a neckline, an arm), not the
    # light specks of a print
    solid_skin = cv2.morphologyEx(skin_like.astype(np.uint8), cv2.MORPH_OPEN, _disk(0.04 * sw)).astype(bool)

    # --- limbs: distance to the bones (smooth fields: computed on every other pixel) ------
    xs2, ys2 = xs[::2, ::2], ys[::2, ::2]

    def fine(field: np.ndarray) -> np.ndarray:
        return cv2.resize(field, (w, h), interpolation=cv2.INTER_LINEAR)

    d_arm = {}
    hand_d = []
    # above the armpits the arm is what lies outside the shoulder joints (the deltoid reaches
    # a tenth of the shoulders' width inside them); nearer the middle it is neck and chest,
    # though a forearm may cross in front of it
    chest_inside = (np.abs(across[::2, ::2]) < 0.4 * sw) & (along[::2, ::2] < 0.35)
    for side in ("left", "right"):
        # a relaxed hand reaches about 0.6 of the forearm's length past the wrist
        (s0, e0), (e1, hand_end) = arm_segments(frame, side, hand=0.6)
        upper_arm = np.where(chest_inside, np.float32(1e4), point_segment_distance(xs2, ys2, s0, e0))
        d_arm[side] = np.minimum(upper_arm, point_segment_distance(xs2, ys2, e1, hand_end))
        wrist = frame.wrist_l if side == "left" else frame.wrist_r
        hand_d.append(point_segment_distance(xs2, ys2, wrist, hand_end))
    hands = fine(np.minimum(*hand_d).astype(np.float32)) < 0.15 * sw
    near_left = fine((d_arm["left"] - d_arm["right"]).astype(np.float32)) < 0
    d_arms = fine(np.minimum(d_arm["left"], d_arm["right"]).astype(np.float32))
    in_arm_zone = d_arms < 0.32 * sw
    # legs: thigh and shin (the ankle extrapolated from hip and knee); beside the thighs a
    # hanging hand and the leg next to it go to the nearer bone
    d_legs = np.full(xs2.shape, np.inf, np.float32)
    for hip, knee in ((frame.hip_l, frame.knee_l), (frame.hip_r, frame.knee_r)):
        ankle = knee + (knee - hip)
        d_legs = np.minimum(d_legs, np.minimum(point_segment_distance(xs2, ys2, hip, knee),
                                               point_segment_distance(xs2, ys2, knee, ankle)))
    d_legs = fine(d_legs)
    arm_side = in_arm_zone & ((d_arms < np.maximum(d_legs, 0.15 * sw)) | (along < 0.9))
    knee_along = float(min(along_body(frame, *frame.knee_l), along_body(frame, *frame.knee_r)))

    # --- seeds and models -------------------------------------------------------------------
    torso = draw_polygon((h, w), frame.torso_polygon(widen=1.05) - origin)
    chest = body & ~solid_skin & torso & (along > 0.2) & (along < 0.6) & (np.abs(across) < 0.3 * sw) \
        & (ys > face_bottom)
    upper_model = MixtureModel.fit(lab[chest])
    head_zone = body & (ys < face_bottom) & (np.abs(xs - face_cx) < 1.6 * face_w)
    # hair: the head around the face, off the face and ears, not a raised arm
    hair_seed = head_zone & ~cv2.dilate(face.astype(np.uint8), _disk(0.15 * face_w)).astype(bool) & ~in_arm_zone
    hair_model = MixtureModel.fit(lab[hair_seed], k=2, min_var=(30.0, 9.0, 9.0)) \
        if hair_seed.sum() > 0.05 * face.sum() else None
    thigh = body & ~solid_skin & (along > 1.2) & (along < 1.7) & (np.abs(across) < 0.45 * sw) & ~in_arm_zone
    lower_model = MixtureModel.fit(lab[thigh]) if thigh.sum() > 30 else None
    distinct = upper_model is not None and lower_model is not None \
        and not _same_fabric(upper_model, lower_model, lab[chest], lab[thigh])

    # --- competition ------------------------------------------------------------------------
    costs = np.full((5, h * w), _COST_CAP, np.float32)
    costs[_OTHER, idx] = _OTHER_COST
    costs[_SKIN, idx] = skin_cost_b
    along_b, ys_b = along.reshape(-1)[idx], ys.reshape(-1)[idx]
    if hair_model is not None:
        c = hair_model.nll_of_features(feats_b)
        # below the chin hair hangs beside the neck, the less likely the lower; between chin
        # and shoulders is the neck
        dx = np.abs(xs.reshape(-1)[idx] - face_cx) / face_w
        depth = np.maximum(ys_b - face_bottom, 0) / face_h
        on_neck = point_segment_distance(xs.reshape(-1)[idx], ys_b, chin, frame.neck) < 0.3 * face_w
        below = c + 1.0 + 2.0 * depth + np.where(on_neck, 3.0, 0.0)
        c = np.where(head_zone.reshape(-1)[idx], c, np.where((dx < 1.4) & (along_b < 0.6), below, _COST_CAP))
        costs[_HAIR, idx] = c
    if upper_model is not None:
        c = upper_model.nll_of_features(feats_b)
        c = np.where(ys_b > face_bottom - 0.05 * face_w, c, _COST_CAP)
        if distinct:  # the waist lies around the hips: the top above, the bottom below
            c = c + np.clip((along_b - 0.95) / 0.25, 0.0, 3.0) * 3.0
        costs[_UPPER, idx] = c
    if distinct:
        c = lower_model.nll_of_features(feats_b) + np.clip((0.95 - along_b) / 0.25, 0.0, 3.0) * 3.0
        c = c + np.where(d_arms.reshape(-1)[idx] < 0.15 * sw, 3.0, 0.0)  # it does not cover the arms
        costs[_LOWER, idx] = np.where(along_b > 0.6, c, _COST_CAP)
    k = max(3, int(round(0.04 * sw)) | 1)
    costs = np.minimum(costs, _COST_CAP).reshape(5, h, w)
    best = None
    win_b = np.zeros(len(idx), np.uint8)
    for cls in range(5):
        c = cv2.blur(costs[cls], (k, k)).reshape(-1)[idx]
        if best is None:
            best = c
        else:
            better = c < best
            win_b[better] = cls
            best = np.minimum(best, c)
    win = np.full(h * w, _OTHER, np.uint8)
    win[idx] = win_b
    win = win.reshape(h, w)

    # specks of skin or hair colour inside a garment are its print, not holes in it (but a
    # hand in front of a long-sleeved top is a hand; what the photo's edge cuts off is not
    # known to be enclosed)
    edge = np.zeros((h, w), bool)
    edge[0] |= y0 == 0
    edge[-1] |= y1 == full_h
    edge[:, 0] |= x0 == 0
    edge[:, -1] |= x1 == full_w
    _absorb_enclosed(win, body, _SKIN, (_UPPER, _LOWER), hands | edge)
    _absorb_enclosed(win, body, _HAIR, (_UPPER, _LOWER), edge)
    hair = _hanging_hair(win == _HAIR, head_zone, ys > face_bottom, HAIR_LOCK * sw)
    # what hangs beside the hair without its hue (black lace, a dark yoke): neither hair nor,
    # by being nearest to it, given to the hair; the garment's if it touches it
    grey = _hueless(lab, hair & (ys <= face_bottom),
                    (hair | (win == _OTHER)) & body & (ys > face_bottom) & (along < HAIR_HUE_ALONG), k)
    hair &= ~grey
    win[grey] = _UPPER
    skin = win == _SKIN
    # a garment is one piece, though arms, hands or a belt in front may cut it in two
    front = (skin & arm_side) | ((win == _OTHER) & body)
    upper = win == _UPPER
    upper = _largest_cc_touching(upper | front, chest) & upper
    upper = _drop_strands(upper, along > STRAND_FROM, UPPER_STRAND * sw)
    lower = win == _LOWER
    lower = _largest_cc_touching(lower | front, thigh) & lower & ~upper

    # --- top or dress; trousers or skirt ---------------------------------------------------
    bare = (skin & ~arm_side) | ~person
    is_dress = False
    if upper.any() and not distinct:
        # one fabric from the chest down: a top, a dress, or a top over same-coloured trousers
        lay = _garment_layout(upper, bare | lower, ~person, along, across, sw, 0.3, knee_along)
        is_dress = lay.reach > 1.25 and lay.hem and not lay.parts
        if not is_dress:  # cut at the hips
            lower = upper & (along > 1.0)
            upper &= along <= 1.0
    parse = np.zeros((h, w), np.uint8)
    if lower.any():
        start = max(0.9, float(along[lower].min()))
        lay = _garment_layout(lower, bare | upper, ~person, along, across, sw, start, knee_along)
        skirt = lay.reach > 1.2 and lay.hem and not lay.parts
        parse[lower] = Cihp.SKIRT if skirt else Cihp.PANTS
    parse[upper] = Cihp.DRESS if is_dress else Cihp.UPPER_CLOTHES

    # --- skin: ears, arms, legs, neck and torso ---------------------------------------------
    # bangs: the face outline runs to the hairline, hair may hang over the forehead (top
    # quarter of the face) from the hair around it
    face_top = face_bottom - face_h + 1
    forehead = face & (ys < face_top + 0.25 * face_h)
    if hair_model is not None and hair.any() and forehead.any():
        fpx = lab[forehead]
        bangs = np.zeros((h, w), bool)
        bangs[forehead] = hair_model.nll(fpx) + 1.0 < skin_model.nll(fpx) + skin_prior_cost(fpx)
        bangs = cv2.morphologyEx(bangs.astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8)).astype(bool)
        bangs = _largest_cc_touching(bangs | hair, hair) & bangs
        hair |= bangs
        face &= ~bangs
    # skin at the face's rim is face (temples, ears, the outline's slack)
    head_skin = skin & (ys < face_bottom) & ~arm_side
    face |= head_skin & cv2.dilate(face.astype(np.uint8), _disk(0.1 * face_w)).astype(bool)
    skin &= ~face
    arm_skin = skin & arm_side
    leg_skin = skin & (along > 1.0) & ~arm_side
    parse[leg_skin & (across >= 0)] = Cihp.LEFT_LEG
    parse[leg_skin & (across < 0)] = Cihp.RIGHT_LEG
    parse[skin & ~leg_skin & ~arm_skin] = Cihp.TORSO_SKIN
    parse[arm_skin & near_left] = Cihp.LEFT_ARM
    parse[arm_skin & ~near_left] = Cihp.RIGHT_ARM
    parse[hair] = Cihp.HAIR
    parse[face] = Cihp.FACE
    parse[~person] = Cihp.BACKGROUND
    out[y0:y1, x0:x1] = _fill_unlabelled(parse, person)
    return out
