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

__all__ = ["Protocol", "EditRegions", "edit_regions", "garment_rim_on_skin", "LOWER_GARMENT", "FEET"]

LOWER_GARMENT = (Cihp.PANTS, Cihp.SKIRT)
FEET = (Cihp.SOCKS, Cihp.LEFT_SHOE, Cihp.RIGHT_SHOE)
#: growth of the removed old garment into the background, in shoulder widths: the garment's
#: own anti-aliased rim is neither garment nor background and would stay as a halo
RIM = 0.025
#: Lab distance (L scaled to 0..100) from the person's skin beyond which a pixel parsed as
#: skin next to the old garment is that garment's edge
RIM_SKIN_DELTA = 22.0
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


def edit_regions(parse: np.ndarray, frame: BodyFrame, category: GarmentCategory | str,
                 protocol: Protocol | str = Protocol.PHOTO, image: np.ndarray | None = None) -> EditRegions:
    """The edit regions for trying a garment of ``category`` on a person.

    Args:
        parse: (H, W) CIHP ids of the person photo.
        frame: the body frame, in the same pixels.
        category: the new garment's :class:`GarmentCategory` (tops and dresses).
        protocol: :class:`Protocol`.
        image: optional (H, W, 3) uint8 photo: with it, the old garment's edge that the parse
            gave to the arms or neck (:func:`garment_rim_on_skin`) is removed too (everyday
            protocol), so no stripe of the old garment stays along a kept arm.
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
    if image is not None:
        on_skin = garment_rim_on_skin(image, parse, old, max(2, int(round(RIM * 0.6 * sw))))
        remove |= on_skin
    keep = head | np.isin(parse, FEET)
    remove &= ~keep
    skin = remove & ((old & body) | on_skin)
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
