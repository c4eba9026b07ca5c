"""The cloth-agnostic person representation used by try-on models.

The *agnostic region* is everything a new upper-body garment may change and nothing of the
old garment may leak through: upper clothes, dress and coat, both arms, neck and torso
skin, grown by a margin, plus thick bands along the arm and shoulder bones of the pose (so
the silhouette of the old sleeves is hidden too). The head and the lower body are kept, as
in VITON-HD's ``get_agnostic``.
"""

from __future__ import annotations

import cv2
import numpy as np

from fitroom.labels import ARMS, HEAD, LOWER_BODY, UPPER_BODY_GARMENT, Cihp

BARE_LEGS = (Cihp.LEFT_LEG, Cihp.RIGHT_LEG, Cihp.SOCKS, Cihp.LEFT_SHOE, Cihp.RIGHT_SHOE)
from fitroom.person.body import BodyFrame, arm_segments, draw_capsules, draw_polygon

GREY = 128


def agnostic_mask(parse: np.ndarray, frame: BodyFrame, *, margin: float = 0.06, band: float = 0.2,
                  keep_lower_body: bool = True) -> np.ndarray:
    """(H, W) bool region treated as unknown.

    Args:
        parse: (H, W) CIHP ids.
        frame: body frame in the same pixels.
        margin: growth of the parsed regions, in shoulder widths.
        band: radius of the bone bands, in shoulder widths.
        keep_lower_body: exclude pants, skirt and legs (tops). With False (dresses) the lower
            garments are part of the region too; bare legs and shoes are still kept.
    """
    h, w = parse.shape
    sw = frame.shoulder_width
    core = np.isin(parse, UPPER_BODY_GARMENT + ARMS + (Cihp.TORSO_SKIN,)).astype(np.uint8)
    r = max(1, int(round(margin * sw)))
    grown = cv2.dilate(core, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))).astype(bool)
    segs = arm_segments(frame, "left", hand=0.0) + arm_segments(frame, "right", hand=0.0)
    segs.append((frame.shoulder_l, frame.shoulder_r))
    bands = draw_capsules((h, w), segs, band * sw)
    torso = draw_polygon((h, w), frame.torso_polygon(widen=1.0))
    region = grown | bands | torso
    keep = np.isin(parse, HEAD + BARE_LEGS)
    if keep_lower_body:
        keep |= np.isin(parse, LOWER_BODY)
    return region & ~keep


def agnostic_image(image: np.ndarray, region: np.ndarray) -> np.ndarray:
    """The photo with ``region`` painted grey (the conventional network input)."""
    out = image.copy()
    out[region] = GREY
    return out
