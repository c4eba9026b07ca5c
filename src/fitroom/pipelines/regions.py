"""What a try-on may change: one pure function of the person analysis, the garment and the protocol.

Every engine and the evaluation's preservation checks read the same :class:`EditRegions`:

* ``remove``: pixels of the photo that are never used; they are made anew (new garment,
  skin, background or the top of the lower garment).
* ``keep``: pixels that stay the photo's, bit for bit, whatever the new garment does.
* ``skin``: the part of ``remove`` that may become skin where the new garment leaves it
  bare (the body the old garment covered: torso, neck, arms, and legs under a dress).
* ``lower``: the part of ``remove`` that shows the lower garment where the new one is
  shorter (an untucked top's hem over the trousers).
* ``arms``: the arms measured where the photo shows them (:func:`fit_arm`); under the old
  sleeves the body is drawn with their width and centre (:func:`draw_arm`), so a loose
  sleeve's outside becomes backdrop rather than skin.

Everything else (``cover``: arms, hands, neck and torso skin, background around the body in
the everyday protocol) stays the photo's except where the new garment covers it.

Protocols:

* ``photo``: the everyday try-on. The old garment (and, for a dress, the lower garment) is
  removed, grown a little into the background so no rim of it survives; the person's
  own arms, hands, neck and skin are kept wherever the new garment does not cover them.
* ``paired``: the leak-free evaluation protocol (VITON-HD's): the whole cloth-agnostic region
  (:func:`fitroom.person.agnostic.agnostic_mask`) is removed and everything else is kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import cv2
import numpy as np

from fitroom.labels import ARMS, HEAD, UPPER_BODY_GARMENT, Cihp, GarmentCategory
from fitroom.person.agnostic import agnostic_mask
from fitroom.person.body import (BodyFrame, along_body, arm_segments, draw_capsules, draw_polygon, leg_segments,
                                 point_segment_distance)

__all__ = ["Protocol", "EditRegions", "edit_regions", "lost_garment", "garment_rim_on_skin", "ArmFit", "fit_arm",
           "fit_arms", "draw_arm", "arm_coords",
           "LOWER_GARMENT", "FEET"]

LOWER_GARMENT = (Cihp.PANTS, Cihp.SKIRT)
FEET = (Cihp.SOCKS, Cihp.LEFT_SHOE, Cihp.RIGHT_SHOE)
#: growth of the removed old garment into the background, in shoulder widths: the garment's
#: own anti-aliased rim is neither garment nor background and would stay as a halo
RIM = 0.025
#: half the widest gap (shoulder widths) between arm and torso that is closed as body
BODY_GAP = 0.05
#: Lab distance (L scaled to 0..100) from the person's skin beyond which a pixel parsed as
#: skin next to the old garment is that garment's edge
RIM_SKIN_DELTA = 22.0
#: the skin next to the old garment that its anti-aliased edge blends into, in shoulder widths
BLEND_RIM = 0.008
#: how far (shoulder widths) the old garment may reach past its parse into the background: a
#: white tee against a light backdrop is parsed short of its outline
BACK_REACH = 0.08
#: Lab distance under which the old garment and the backdrop next to it cannot be told apart
MIN_CONTRAST = 5.0
#: below this many torso lengths from the neck, a removed top's place shows the lower garment
WAIST = 0.9


class Protocol(StrEnum):
    """How much of the photo a try-on may use (see the module docstring)."""

    PHOTO = "photo"
    PAIRED = "paired"


@dataclass(frozen=True)
class EditRegions:
    """(H, W) bool maps of what a try-on may change; ``skin`` and ``lower`` lie inside ``remove``,
    ``keep`` is disjoint from ``remove``."""

    remove: np.ndarray
    keep: np.ndarray
    skin: np.ndarray
    lower: np.ndarray
    protocol: Protocol
    #: the arms measured on the photo (everyday protocol), whose made part continues them
    arms: tuple[ArmFit, ...] = ()

    @property
    def cover(self) -> np.ndarray:
        """Pixels kept unless the new garment covers them."""
        return ~self.keep & ~self.remove


def _disk(r: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))


#: an arm's width along its bones, in shoulder widths: ``t`` 0 at the shoulder, 1 at the
#: elbow, 2 at the end of the hand (the forearm extended by 0.3 of itself, the wrist at
#: t = 1.77). Ordinary adult proportions (upper arm at the armpit about 1.4 x the wrist).
ARM_PROFILE = ((0.0, 0.25), (0.5, 0.22), (1.0, 0.19), (1.4, 0.18), (1.77, 0.13), (2.0, 0.15))
#: the length of real arm, just past where it comes out of the old garment, that an arm's
#: width is measured over (shoulder widths)
ARM_BAND = 0.12
#: how far the measured arm may be from the profile (a scale) and from its bones (offset,
#: shoulder widths) before the pose alone is trusted instead
ARM_SCALE_RANGE, ARM_MAX_OFFSET = (0.7, 1.45), 0.12
#: the real arm's rows next to the old sleeve that a continued arm remakes (shoulder widths)
ARM_HEM_RIM = 0.03


@dataclass(frozen=True)
class ArmFit:
    """One arm's shape measured on the photo: ``ARM_PROFILE`` x ``scale``, centred ``offset``
    px across its bones (+ towards the bones' left normal, see :func:`arm_coords`); ``start``:
    the ``t`` where the photo starts to show it (the old sleeve's hem)."""

    side: str
    scale: float
    offset: float
    start: float = 0.0


def _arm_polyline(frame: BodyFrame, side: str) -> tuple[np.ndarray, np.ndarray]:
    """The arm's bones as a polyline ((3, 2) points shoulder, elbow, hand end) and the ``t``
    of each point (0, 1, 2)."""
    (s, e), (_, h) = arm_segments(frame, side, hand=0.3)
    return np.array([s, e, h], np.float64), np.array([0.0, 1.0, 2.0])


def arm_coords(frame: BodyFrame, side: str, xs: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pixels (``xs``, ``ys`` arrays) in one arm's own coordinates: ``t`` along its bones
    (0 shoulder, 1 elbow, 2 hand end; the nearest bone decides) and ``s``, the signed distance
    across that bone in px (+ on the left of the bone's direction, image axes)."""
    pts, ts = _arm_polyline(frame, side)
    p = np.stack([np.asarray(xs, np.float64), np.asarray(ys, np.float64)], -1)
    best_d = np.full(p.shape[:-1], np.inf)
    t_out = np.zeros(p.shape[:-1])
    s_out = np.zeros(p.shape[:-1])
    for i in range(2):
        a, b = pts[i], pts[i + 1]
        ab = b - a
        ln = float(np.hypot(*ab)) or 1e-6
        u = ab / ln
        rel = p - a
        along = np.clip(rel @ u, 0, ln)
        foot = a + along[..., None] * u
        d = np.hypot(*(p - foot).transpose(-1, *range(p.ndim - 1)))
        across = rel[..., 0] * -u[1] + rel[..., 1] * u[0]
        better = d < best_d
        best_d = np.where(better, d, best_d)
        t_out = np.where(better, ts[i] + along / ln, t_out)
        s_out = np.where(better, across, s_out)
    return t_out, s_out


def arm_lengths(frame: BodyFrame, side: str) -> tuple[float, float]:
    """Pixel lengths of the upper arm and of the forearm with the hand (t 0-1 and 1-2)."""
    pts, _ = _arm_polyline(frame, side)
    return float(np.hypot(*(pts[1] - pts[0]))) or 1.0, float(np.hypot(*(pts[2] - pts[1]))) or 1.0


def arm_width(t: np.ndarray | float) -> np.ndarray:
    """:data:`ARM_PROFILE` at ``t`` (shoulder widths)."""
    tp, wp = zip(*ARM_PROFILE)
    return np.interp(t, tp, wp)


def fit_arm(frame: BodyFrame, side: str, real: np.ndarray) -> ArmFit | None:
    """Measure one arm where the photo shows it (``real``: (H, W) bool, that arm's own
    visible pixels): its width and centre over :data:`ARM_BAND` just past the point nearest
    the shoulder where it comes into view (out of the old garment's sleeve). None where too
    little of it shows there, or only the hand (t > 1.6), or the measure is implausible."""
    sw = frame.shoulder_width
    ys, xs = np.nonzero(real)
    if len(xs) < 20:
        return None
    t, s = arm_coords(frame, side, xs + 0.5, ys + 0.5)
    near = np.abs(s) < 0.3 * sw
    if near.sum() < 20:
        return None
    t, s = t[near], s[near]
    pts, _ = _arm_polyline(frame, side)
    upper = float(np.hypot(*(pts[1] - pts[0]))) or 1.0
    t0 = float(np.percentile(t, 2))
    if t0 > 1.6:
        return None
    band = (t >= t0) & (t <= t0 + ARM_BAND * sw / upper)
    if band.sum() < 0.3 * ARM_BAND * 0.19 * sw * sw:
        return None
    lo, hi = np.percentile(s[band], [3, 97])
    width = float(hi - lo + 1.0)
    scale = width / (float(arm_width(float(np.median(t[band])))) * sw)
    offset = float((lo + hi) / 2)
    if not (ARM_SCALE_RANGE[0] <= scale <= ARM_SCALE_RANGE[1]) or abs(offset) > ARM_MAX_OFFSET * sw:
        return None
    return ArmFit(side=side, scale=scale, offset=offset, start=t0)


def draw_arm(shape: tuple[int, int], frame: BodyFrame, fit: ArmFit) -> np.ndarray:
    """(H, W) bool: the arm of ``fit`` drawn along its bones with the profile's width (a
    polygon per bone through both outlines, sampled every 3 px, round at the joints)."""
    sw = frame.shoulder_width
    pts, _ = _arm_polyline(frame, fit.side)
    m = np.zeros(shape, np.uint8)
    for i in range(2):
        a, b = pts[i], pts[i + 1]
        ab = b - a
        ln = float(np.hypot(*ab)) or 1e-6
        nrm = np.array([-ab[1], ab[0]]) / ln
        f = np.linspace(0, 1, max(2, int(ln / 3) + 1))[:, None]
        c = a + f * ab + nrm * fit.offset
        r = 0.5 * fit.scale * arm_width(i + f) * sw
        outline = np.concatenate([c + nrm * r, (c - nrm * r)[::-1]])
        cv2.fillPoly(m, [np.round(outline).astype(np.int32)], 1)
        for j in (0, -1):
            cv2.circle(m, (int(round(c[j, 0])), int(round(c[j, 1]))), max(1, int(round(float(r[j, 0])))), 1, -1)
    return m.astype(bool)


def fit_arms(frame: BodyFrame, parse: np.ndarray, old: np.ndarray) -> dict[str, ArmFit]:
    """:func:`fit_arm` for both arms on the parse's visible arm pixels (not ``old``, the old
    garment), each arm's pixels those nearer its own bones than the other arm's."""
    own = np.isin(parse, ARMS) & ~old
    if not own.any():
        return {}
    ys, xs = np.nonzero(own)
    px, py = xs + 0.5, ys + 0.5
    dist = {side: np.minimum.reduce([point_segment_distance(px, py, a, b) for a, b in arm_segments(frame, side, 0.3)])
            for side in ("left", "right")}
    out = {}
    for side, other in (("left", "right"), ("right", "left")):
        mine = dist[side] < dist[other]
        real = np.zeros(parse.shape, bool)
        real[ys[mine], xs[mine]] = True
        fit = fit_arm(frame, side, real)
        if fit is not None:
            out[side] = fit
    return out


def body_under(shape: tuple[int, int], frame: BodyFrame, *, chin_y: float | None, legs: bool,
               arms: dict[str, ArmFit] | None = None) -> np.ndarray:
    """Where the body is, from the pose alone: torso, neck, both arms (hands included) and,
    with ``legs``, both legs. ``chin_y``: the lowest face row (None: from the shoulders).
    ``arms``: arms measured on the photo (:func:`fit_arm`), drawn with their own width and
    centre instead of the pose's capsules."""
    sw = frame.shoulder_width
    body = draw_polygon(shape, frame.torso_polygon(widen=1.05))
    top = frame.neck[1] - 0.3 * sw if chin_y is None else chin_y
    neck_top = np.array([frame.neck[0], top])
    body |= draw_polygon(shape, np.array([neck_top - frame.right * 0.17 * sw, neck_top + frame.right * 0.17 * sw,
                                          frame.neck + frame.right * 0.25 * sw, frame.neck - frame.right * 0.25 * sw]))
    for side in ("left", "right"):
        # the shoulder's top (trapezius, deltoid) rises above the line of the joints
        body |= draw_capsules(shape, [(frame.neck, frame.shoulder_l if side == "left" else frame.shoulder_r)],
                              0.13 * sw)
        segs = arm_segments(frame, side, hand=0.3)
        capsules = draw_capsules(shape, segs[:1], 0.12 * sw) | draw_capsules(shape, segs[1:], 0.095 * sw)
        if arms and side in arms and capsules.any():
            # the measured arm; on its inner side (towards the torso, which the old garment
            # hid) the pose's capsules still say where the body is
            rows, cols = np.nonzero(capsules.any(axis=1))[0], np.nonzero(capsules.any(axis=0))[0]
            ys, xs = np.nonzero(capsules[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1])
            ys, xs = ys + rows[0], xs + cols[0]
            _, s = arm_coords(frame, side, xs + 0.5, ys + 0.5)
            centre = (frame.neck + frame.mid_hip) / 2
            _, sc = arm_coords(frame, side, np.array([centre[0]]), np.array([centre[1]]))
            inner = np.sign(s) == np.sign(sc[0])
            body |= draw_arm(shape, frame, arms[side])
            body[ys[inner], xs[inner]] = True
            continue
        body |= capsules
        if legs:
            body |= draw_capsules(shape, leg_segments(frame, side), 0.17 * sw)
    return body


def garment_rim_on_skin(image: np.ndarray, parse: np.ndarray, old: np.ndarray, radius: int,
                        max_delta: float = RIM_SKIN_DELTA) -> np.ndarray:
    """(H, W) bool: pixels parsed as the person's skin (arms, neck) within ``radius`` px of the
    old garment whose colour is far (Lab distance over ``max_delta``) from that skin's median:
    the old garment's own edge (a dark sleeve hem) that the parse gave to the arm."""
    own = np.isin(parse, ARMS + (Cihp.TORSO_SKIN,))
    ring = cv2.dilate(old.astype(np.uint8), _disk(radius)).astype(bool) & own
    core = cv2.erode(own.astype(np.uint8), _disk(2)).astype(bool) & ~ring
    if not ring.any() or core.sum() < 50:
        return np.zeros(parse.shape, bool)
    lab = lambda px: cv2.cvtColor(px.reshape(-1, 1, 3), cv2.COLOR_RGB2LAB).reshape(-1, 3).astype(np.float32)  # noqa: E731
    ref = np.median(lab(image[core]), axis=0)
    out = np.zeros(parse.shape, bool)
    out[ring] = np.linalg.norm((lab(image[ring]) - ref) * (100 / 255, 1, 1), axis=1) > max_delta
    return out


def _local_mean(lab: np.ndarray, mask: np.ndarray, sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian-weighted mean of ``lab`` ((H, W, 3)) over ``mask`` around every pixel
    (normalised convolution), and the weight behind it. The means are smooth over ``sigma``
    px, so they are computed at a quarter of the resolution when ``sigma`` allows."""
    h, w = mask.shape
    f = 4 if sigma >= 8 and min(h, w) >= 32 else 1
    m = mask.astype(np.float32)
    v = lab * m[..., None]
    if f > 1:
        size = (max(1, w // f), max(1, h // f))
        m, v = cv2.resize(m, size, interpolation=cv2.INTER_AREA), cv2.resize(v, size, interpolation=cv2.INTER_AREA)
    wgt = cv2.GaussianBlur(m, (0, 0), sigma / f)
    mean = cv2.GaussianBlur(v, (0, 0), sigma / f) / np.maximum(wgt, 1e-6)[..., None]
    if f > 1:
        wgt = cv2.resize(wgt, (w, h), interpolation=cv2.INTER_LINEAR)
        mean = cv2.resize(mean, (w, h), interpolation=cv2.INTER_LINEAR)
    return mean, wgt


#: what a lost part of the old garment may have been parsed as, each told from the garment by
#: its own local colour: the backdrop, the person's skin (not hair: light strands over a white
#: top would go, and hair is kept bit for bit)
LOST_AS = ((Cihp.BACKGROUND,), ARMS + (Cihp.TORSO_SKIN,))


def lost_garment(image: np.ndarray, parse: np.ndarray, old: np.ndarray, reach: int) -> np.ndarray:
    """(H, W) bool: the old garment's parts that the parse gave to something else (``LOST_AS``:
    the backdrop, an arm, the neck) within ``reach`` px of it: pixels whose colour is
    nearer the garment's own edge than what they were parsed as (both local means), connected
    to the garment. E.g. the outline of a white tee against a light backdrop, its cuff seen
    between arm and torso, a dark collar the parse called neck. (Not the hair: black lace the
    parse gave to the hair is left, because the same test cuts real strands that lie over a
    dark garment.) Nothing where the garment
    and that class are alike (under ``MIN_CONTRAST``)."""
    h, w = parse.shape
    near = cv2.dilate(old.astype(np.uint8), _disk(reach)).astype(bool)
    if reach < 2 or not (near & ~old).any():
        return np.zeros((h, w), bool)
    ys, xs = np.nonzero(near)
    pad = 3 * reach
    y0, y1, x0, x1 = max(0, ys.min() - pad), min(h, ys.max() + pad + 1), max(0, xs.min() - pad), min(w, xs.max() + pad + 1)
    win = (slice(y0, y1), slice(x0, x1))
    lab = cv2.cvtColor(image[win], cv2.COLOR_RGB2LAB).astype(np.float32)
    lab[..., 0] *= 100.0 / 255.0
    o, pw, nw = old[win], parse[win], near[win]
    farther = cv2.dilate(o.astype(np.uint8), _disk(2 * reach)).astype(bool)
    edge = o & ~cv2.erode(o.astype(np.uint8), _disk(reach)).astype(bool)
    sigma = 1.5 * reach
    ref_g, wg = _local_mean(lab, edge, sigma)
    cand = np.zeros(o.shape, bool)
    for ids in LOST_AS:
        cls = np.isin(pw, ids)
        band = nw & cls & ~o
        if not band.any():
            continue
        far = cls & ~farther
        if far.sum() < 20:
            far = cls & ~nw
        if far.sum() < 20:
            continue
        ref_c, wc = _local_mean(lab, far, sigma)
        by, bx = np.nonzero(band)  # judged where it matters only
        px, g, c = lab[by, bx], ref_g[by, bx], ref_c[by, bx]
        c = np.where((wc[by, bx] > 1e-3)[:, None], c, np.median(lab[far], axis=0))  # too far: the class's median
        ok = (wg[by, bx] > 1e-3) & (np.linalg.norm(g - c, axis=1) > MIN_CONTRAST) \
            & (np.linalg.norm(px - g, axis=1) < np.linalg.norm(px - c, axis=1))
        cand[by[ok], bx[ok]] = True
    cand = cand | o
    n, lbl = cv2.connectedComponents(cand.astype(np.uint8), connectivity=8)
    ids = np.unique(lbl[o])
    out = np.zeros((h, w), bool)
    out[win] = np.isin(lbl, ids[ids > 0]) & ~o
    return out


def edit_regions(parse: np.ndarray, frame: BodyFrame, category: GarmentCategory | str,
                 protocol: Protocol | str = Protocol.PHOTO, image: np.ndarray | None = None) -> EditRegions:
    """The edit regions for trying a garment of ``category`` on a person.

    Args:
        parse: (H, W) CIHP ids of the person photo.
        frame: the body frame, in the same pixels.
        category: the new garment's :class:`GarmentCategory` (tops and dresses).
        protocol: :class:`Protocol`.
        image: optional (H, W, 3) uint8 photo: with it, the old garment's edge that the parse
            gave to the arms or neck (:func:`garment_rim_on_skin`) or lost to the background
            (:func:`lost_garment`) is removed too (everyday protocol), so no stripe
            of the old garment stays along a kept arm or the outline.
    """
    parse = np.asarray(parse)
    if parse.ndim != 2:
        raise ValueError(f"edit_regions: the parse map must be (H, W), got {parse.shape}")
    category, protocol = GarmentCategory(category), Protocol(protocol)
    h, w = parse.shape
    dress = category == GarmentCategory.DRESS
    sw = frame.shoulder_width
    fy = np.nonzero((parse == Cihp.FACE).any(axis=1))[0]
    chin = float(fy.max()) if len(fy) else None
    head = np.isin(parse, HEAD)
    if protocol == Protocol.PAIRED:
        body = body_under((h, w), frame, chin_y=chin, legs=dress)
        remove = agnostic_mask(parse, frame, keep_lower_body=not dress)
        return EditRegions(remove=remove, keep=~remove, skin=remove & body, lower=np.zeros((h, w), bool),
                           protocol=protocol)

    # the arms under the old sleeves continue the arms the photo shows, with their width
    arms = fit_arms(frame, parse, np.isin(parse, UPPER_BODY_GARMENT))
    body = body_under((h, w), frame, chin_y=chin, legs=dress, arms=arms)
    # a gap between an arm and the torso narrower than this shows no backdrop in a photo
    # (the arm hangs against the body): it is skin, not a sliver of background
    body = cv2.morphologyEx(body.astype(np.uint8), cv2.MORPH_CLOSE,
                            _disk(max(1, int(round(BODY_GAP * sw))))).astype(bool)
    old = np.isin(parse, UPPER_BODY_GARMENT)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    along = along_body(frame, xs, ys)
    if dress:
        old |= np.isin(parse, LOWER_GARMENT)  # a dress replaces the skirt or trousers too
    else:
        old &= (parse != Cihp.DRESS) | (along < 1.05)  # a dress under a new top: its upper part only
    r = max(1, int(round(RIM * sw)))
    rim = cv2.dilate(old.astype(np.uint8), _disk(r)).astype(bool) & (parse == Cihp.BACKGROUND)
    remove = old | rim
    on_skin = np.zeros((h, w), bool)
    old_all = old
    if image is not None:
        lost = lost_garment(image, parse, old, int(round(BACK_REACH * sw)))
        on_skin = garment_rim_on_skin(image, parse, old, max(2, int(round(RIM * 0.6 * sw))))
        # and, whatever its colour, the skin's own row of pixels that the old garment's
        # anti-aliased edge blends into (left, it outlines the old neckline or hem)
        on_skin |= cv2.dilate(old.astype(np.uint8), _disk(max(1, int(round(BLEND_RIM * sw))))).astype(bool) \
            & np.isin(parse, ARMS + (Cihp.TORSO_SKIN,)) & ~old
        # where a made arm continues a real one, the real arm's first rows below the old
        # sleeve (the hem's shadow and blended edge) are made from the arm too
        hem_zone = None
        for fit in arms.values():
            if hem_zone is None:
                hem_zone = cv2.dilate(old.astype(np.uint8), _disk(max(1, int(round(ARM_HEM_RIM * sw))))).astype(bool) \
                    & np.isin(parse, ARMS) & ~old
            ry, rx = np.nonzero(hem_zone & draw_arm((h, w), frame, fit))
            if len(rx):
                # along the hem only, not along the old garment's side that the arm hangs against
                t, _ = arm_coords(frame, fit.side, rx + 0.5, ry + 0.5)
                l1, l2 = arm_lengths(frame, fit.side)
                reach = ARM_BAND * sw
                near_hem = np.where(t <= 1, t * l1, l1 + (t - 1) * l2) \
                    <= (fit.start * l1 if fit.start <= 1 else l1 + (fit.start - 1) * l2) + reach
                on_skin[ry[near_hem], rx[near_hem]] = True
        remove |= on_skin | lost
        old_all = old | lost
    keep = head | np.isin(parse, FEET)
    remove &= ~keep
    skin = remove & ((old_all & body) | on_skin)
    lower = np.zeros((h, w), bool)
    # what the new top is worn over: trousers or a skirt, or the part of a dress it leaves
    below = np.isin(parse, LOWER_GARMENT) | ((parse == Cihp.DRESS) & ~old)
    if not dress and below.any():
        lower = remove & old & (along > WAIST) & draw_polygon((h, w), frame.torso_polygon(widen=1.6))
        skin &= ~lower
        # elsewhere below the waist, what is not body shows what is nearest: background or the
        # lower garment (a cuff parsed as top over the trousers is not a hole to the backdrop)
        rest = remove & ~skin & ~lower & (along > WAIST - 0.1)
        if rest.any():
            d_back = cv2.distanceTransform((parse != Cihp.BACKGROUND).astype(np.uint8) | remove.astype(np.uint8),
                                           cv2.DIST_L2, 3)
            d_low = cv2.distanceTransform((~below | remove).astype(np.uint8), cv2.DIST_L2, 3)
            lower |= rest & (d_low < d_back)
    return EditRegions(remove=remove, keep=keep, skin=skin, lower=lower, protocol=protocol,
                       arms=tuple(arms.values()))
