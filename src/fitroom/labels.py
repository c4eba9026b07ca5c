"""Named labels: CIHP parse ids, keypoint orders and garment categories.

Conventions
-----------
* "Left" and "right" are the *person's* left and right (as in CIHP, COCO and OpenPose): in
  a frontal photo the person's left arm appears on the right side of the image.
* Keypoint arrays are ``(N, 3)`` float32 ``[x, y, confidence]`` in pixel coordinates of the
  image they were estimated on (x to the right, y down, pixel centres at integers).
  A missing keypoint has confidence 0.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum

import numpy as np


class Cihp(IntEnum):
    """Label ids of the CIHP / LIP human parsing convention (used by VITON, VITON-HD)."""

    BACKGROUND = 0
    HAT = 1
    HAIR = 2
    GLOVE = 3
    SUNGLASSES = 4
    UPPER_CLOTHES = 5
    DRESS = 6
    COAT = 7
    SOCKS = 8
    PANTS = 9
    TORSO_SKIN = 10
    SCARF = 11
    SKIRT = 12
    FACE = 13
    LEFT_ARM = 14
    RIGHT_ARM = 15
    LEFT_LEG = 16
    RIGHT_LEG = 17
    LEFT_SHOE = 18
    RIGHT_SHOE = 19


#: RGB colour per CIHP id for visualisation (the LIP palette)
CIHP_PALETTE = np.array(
    [
        (0, 0, 0), (128, 0, 0), (254, 0, 0), (0, 85, 0), (169, 0, 51),
        (254, 85, 0), (0, 0, 85), (0, 119, 220), (85, 85, 0), (0, 85, 85),
        (85, 51, 0), (52, 86, 128), (0, 128, 0), (0, 0, 254), (51, 169, 220),
        (0, 254, 254), (85, 254, 169), (169, 254, 85), (254, 254, 0), (254, 169, 0),
    ],
    dtype=np.uint8,
)

UPPER_BODY_GARMENT = (Cihp.UPPER_CLOTHES, Cihp.DRESS, Cihp.COAT)
HEAD = (Cihp.HAT, Cihp.HAIR, Cihp.SUNGLASSES, Cihp.FACE)
ARMS = (Cihp.LEFT_ARM, Cihp.RIGHT_ARM, Cihp.GLOVE)
LOWER_BODY = (Cihp.PANTS, Cihp.SKIRT, Cihp.LEFT_LEG, Cihp.RIGHT_LEG, Cihp.SOCKS,
              Cihp.LEFT_SHOE, Cihp.RIGHT_SHOE)


class MediaPipe33(IntEnum):
    """MediaPipe BlazePose landmark order (33 points)."""

    NOSE = 0
    LEFT_EYE_INNER = 1
    LEFT_EYE = 2
    LEFT_EYE_OUTER = 3
    RIGHT_EYE_INNER = 4
    RIGHT_EYE = 5
    RIGHT_EYE_OUTER = 6
    LEFT_EAR = 7
    RIGHT_EAR = 8
    MOUTH_LEFT = 9
    MOUTH_RIGHT = 10
    LEFT_SHOULDER = 11
    RIGHT_SHOULDER = 12
    LEFT_ELBOW = 13
    RIGHT_ELBOW = 14
    LEFT_WRIST = 15
    RIGHT_WRIST = 16
    LEFT_PINKY = 17
    RIGHT_PINKY = 18
    LEFT_INDEX = 19
    RIGHT_INDEX = 20
    LEFT_THUMB = 21
    RIGHT_THUMB = 22
    LEFT_HIP = 23
    RIGHT_HIP = 24
    LEFT_KNEE = 25
    RIGHT_KNEE = 26
    LEFT_ANKLE = 27
    RIGHT_ANKLE = 28
    LEFT_HEEL = 29
    RIGHT_HEEL = 30
    LEFT_FOOT_INDEX = 31
    RIGHT_FOOT_INDEX = 32


class Coco18(IntEnum):
    """OpenPose COCO-18 order (VITON, cp-vton: key ``pose_keypoints``)."""

    NOSE = 0
    NECK = 1
    RIGHT_SHOULDER = 2
    RIGHT_ELBOW = 3
    RIGHT_WRIST = 4
    LEFT_SHOULDER = 5
    LEFT_ELBOW = 6
    LEFT_WRIST = 7
    RIGHT_HIP = 8
    RIGHT_KNEE = 9
    RIGHT_ANKLE = 10
    LEFT_HIP = 11
    LEFT_KNEE = 12
    LEFT_ANKLE = 13
    RIGHT_EYE = 14
    LEFT_EYE = 15
    RIGHT_EAR = 16
    LEFT_EAR = 17


class Body25(IntEnum):
    """OpenPose BODY_25 order (VITON-HD: key ``pose_keypoints_2d``)."""

    NOSE = 0
    NECK = 1
    RIGHT_SHOULDER = 2
    RIGHT_ELBOW = 3
    RIGHT_WRIST = 4
    LEFT_SHOULDER = 5
    LEFT_ELBOW = 6
    LEFT_WRIST = 7
    MID_HIP = 8
    RIGHT_HIP = 9
    RIGHT_KNEE = 10
    RIGHT_ANKLE = 11
    LEFT_HIP = 12
    LEFT_KNEE = 13
    LEFT_ANKLE = 14
    RIGHT_EYE = 15
    LEFT_EYE = 16
    RIGHT_EAR = 17
    LEFT_EAR = 18
    LEFT_BIG_TOE = 19
    LEFT_SMALL_TOE = 20
    LEFT_HEEL = 21
    RIGHT_BIG_TOE = 22
    RIGHT_SMALL_TOE = 23
    RIGHT_HEEL = 24


class KeypointFormat(StrEnum):
    MEDIAPIPE33 = "mediapipe33"
    COCO18 = "coco18"
    BODY25 = "body25"


KEYPOINT_ENUMS: dict[KeypointFormat, type[IntEnum]] = {
    KeypointFormat.MEDIAPIPE33: MediaPipe33,
    KeypointFormat.COCO18: Coco18,
    KeypointFormat.BODY25: Body25,
}

# Points shared by name between the formats. NECK and MID_HIP are midpoints, computed.
_SAME_NAME = (
    "NOSE", "RIGHT_SHOULDER", "RIGHT_ELBOW", "RIGHT_WRIST", "LEFT_SHOULDER", "LEFT_ELBOW",
    "LEFT_WRIST", "RIGHT_HIP", "RIGHT_KNEE", "RIGHT_ANKLE", "LEFT_HIP", "LEFT_KNEE",
    "LEFT_ANKLE", "RIGHT_EYE", "LEFT_EYE", "RIGHT_EAR", "LEFT_EAR",
)
_MP_TO_BODY25_FEET = {
    "LEFT_BIG_TOE": "LEFT_FOOT_INDEX",
    "LEFT_HEEL": "LEFT_HEEL",
    "RIGHT_BIG_TOE": "RIGHT_FOOT_INDEX",
    "RIGHT_HEEL": "RIGHT_HEEL",
}


def _midpoint(kp: np.ndarray, a: int, b: int) -> np.ndarray:
    """Midpoint of two keypoints; confidence is the minimum (0 if either is missing)."""
    pa, pb = kp[a], kp[b]
    conf = min(pa[2], pb[2])
    if conf <= 0:
        return np.zeros(3, dtype=np.float32)
    return np.array([(pa[0] + pb[0]) / 2, (pa[1] + pb[1]) / 2, conf], dtype=np.float32)


def convert_keypoints(kp: np.ndarray, src: KeypointFormat, dst: KeypointFormat) -> np.ndarray:
    """Convert an ``(N, 3)`` keypoint array between formats.

    Points with no counterpart in ``src`` (e.g. hands when converting BODY_25 to MediaPipe)
    get confidence 0. NECK and MID_HIP are the midpoints of the shoulders and hips.
    """
    src, dst = KeypointFormat(src), KeypointFormat(dst)
    kp = np.asarray(kp, dtype=np.float32)
    s_enum, d_enum = KEYPOINT_ENUMS[src], KEYPOINT_ENUMS[dst]
    if kp.ndim != 2 or kp.shape != (len(s_enum), 3):
        raise ValueError(f"expected keypoints of shape ({len(s_enum)}, 3) for {src}, got {kp.shape}")
    if src == dst:
        return kp.copy()
    out = np.zeros((len(d_enum), 3), dtype=np.float32)
    names = {m.name for m in s_enum}
    for d in d_enum:
        name = d.name
        if src == KeypointFormat.MEDIAPIPE33 and name in _MP_TO_BODY25_FEET:
            out[d] = kp[s_enum[_MP_TO_BODY25_FEET[name]]]
        elif dst == KeypointFormat.MEDIAPIPE33 and name in _MP_TO_BODY25_FEET.values() and src == KeypointFormat.BODY25:
            inv = {v: k for k, v in _MP_TO_BODY25_FEET.items()}
            out[d] = kp[s_enum[inv[name]]]
        elif name in _SAME_NAME and name in names:
            out[d] = kp[s_enum[name]]
        elif name == "NECK":
            if "NECK" in names and kp[s_enum["NECK"], 2] > 0:
                out[d] = kp[s_enum["NECK"]]
            else:
                out[d] = _midpoint(kp, s_enum["LEFT_SHOULDER"], s_enum["RIGHT_SHOULDER"])
        elif name == "MID_HIP":
            if "MID_HIP" in names and kp[s_enum["MID_HIP"], 2] > 0:
                out[d] = kp[s_enum["MID_HIP"]]
            else:
                out[d] = _midpoint(kp, s_enum["LEFT_HIP"], s_enum["RIGHT_HIP"])
        elif name in names:
            out[d] = kp[s_enum[name]]
    return out


class GarmentCategory(StrEnum):
    """What a product photo shows. Only tops and dresses can be tried on for now."""

    SHORT_SLEEVE_TOP = "short-sleeve top"
    LONG_SLEEVE_TOP = "long-sleeve top"
    SLEEVELESS_TOP = "sleeveless top"
    DRESS = "dress"
    TROUSERS = "trousers"
    SKIRT = "skirt"

    @property
    def is_bottom(self) -> bool:
        return self in (GarmentCategory.TROUSERS, GarmentCategory.SKIRT)

    @property
    def has_sleeves(self) -> bool:
        return self in (GarmentCategory.SHORT_SLEEVE_TOP, GarmentCategory.LONG_SLEEVE_TOP)
