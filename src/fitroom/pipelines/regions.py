"""What a try-on may change: one pure function of the person analysis, the garment and the protocol.

Every engine and the evaluation's preservation checks read the same :class:`EditRegions`:

* ``remove``: pixels of the photo that are never used; they are made anew (new garment,
  skin, background or the top of the lower garment).
* ``keep``: pixels that stay the photo's, bit for bit, whatever the new garment does.
* ``skin``: the part of ``remove`` that may become skin where the new garment leaves it
  bare (the body the old garment covered: torso, neck, arms, and legs under a dress).
* ``lower``: the part of ``remove`` that shows the lower garment where the new one is
  shorter (an untucked top's hem over the trousers).

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
from fitroom.person.body import BodyFrame, along_body, arm_segments, draw_capsules, draw_polygon, leg_segments

__all__ = ["Protocol", "EditRegions", "edit_regions", "lost_garment", "garment_rim_on_skin",
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

    @property
    def cover(self) -> np.ndarray:
        """Pixels kept unless the new garment covers them."""
        return ~self.keep & ~self.remove


def _disk(r: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))


def body_under(shape: tuple[int, int], frame: BodyFrame, *, chin_y: float | None, legs: bool) -> np.ndarray:
    """Where the body is, from the pose alone: torso, neck, both arms (hands included) and,
    with ``legs``, both legs. ``chin_y``: the lowest face row (None: from the shoulders)."""
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
        body |= draw_capsules(shape, segs[:1], 0.12 * sw) | draw_capsules(shape, segs[1:], 0.095 * sw)
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
    body = body_under((h, w), frame, chin_y=chin, legs=dress)
    if protocol == Protocol.PHOTO:
        # a gap between an arm and the torso narrower than this shows no backdrop in a photo
        # (the arm hangs against the body): it is skin, not a sliver of background
        body = cv2.morphologyEx(body.astype(np.uint8), cv2.MORPH_CLOSE,
                                _disk(max(1, int(round(BODY_GAP * sw))))).astype(bool)
    if protocol == Protocol.PAIRED:
        remove = agnostic_mask(parse, frame, keep_lower_body=not dress)
        return EditRegions(remove=remove, keep=~remove, skin=remove & body, lower=np.zeros((h, w), bool),
                           protocol=protocol)

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
        remove |= on_skin | lost
        old_all = old | lost
    keep = head | np.isin(parse, FEET)
    remove &= ~keep
    skin = remove & ((old_all & body) | on_skin)
    lower = np.zeros((h, w), bool)
    below = np.isin(parse, LOWER_GARMENT)
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
    return EditRegions(remove=remove, keep=keep, skin=skin, lower=lower, protocol=protocol)
