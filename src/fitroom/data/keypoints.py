"""Read and write OpenPose keypoint JSON files (COCO-18 and BODY_25).

OpenPose writes one JSON file per image::

    {"version": 1.3, "people": [{"pose_keypoints_2d": [x0, y0, c0, x1, y1, c1, ...], ...}]}

Old releases (VITON, cp-vton) use the key ``pose_keypoints`` instead of
``pose_keypoints_2d``. The number of points tells the model: 18 points is COCO-18
(:class:`~fitroom.labels.Coco18`), 25 points is BODY_25 (:class:`~fitroom.labels.Body25`).

Coordinates are pixels of the image the pose was estimated on (x right, y down); a missing
point is ``(0, 0, 0)``, as in OpenPose.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from fitroom.errors import KeypointsError
from fitroom.labels import KEYPOINT_ENUMS, KeypointFormat

__all__ = ["OPENPOSE_FORMATS", "read_openpose_json", "write_openpose_json"]

#: OpenPose formats by number of points
OPENPOSE_FORMATS: dict[int, KeypointFormat] = {
    len(KEYPOINT_ENUMS[KeypointFormat.COCO18]): KeypointFormat.COCO18,
    len(KEYPOINT_ENUMS[KeypointFormat.BODY25]): KeypointFormat.BODY25,
}

# new key first: a file with both (unusual) is read from the 2d key
_POSE_KEYS = ("pose_keypoints_2d", "pose_keypoints")


def _describe(src: Any) -> str:
    return f"keypoint file {os.fspath(src)}" if isinstance(src, (str, os.PathLike)) else "keypoint data"


def read_keypoint_json(path: str | os.PathLike[str], what: str) -> Any:
    """Parse a keypoint JSON file; every failure is a :class:`KeypointsError` naming ``what``."""
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except FileNotFoundError:
        raise KeypointsError(f"{what} does not exist") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise KeypointsError(f"{what} is not valid JSON: {exc}") from None
    except OSError as exc:
        raise KeypointsError(f"{what} could not be read: {exc}") from None


def read_openpose_json(path_or_dict: str | os.PathLike[str] | Mapping[str, Any]) -> tuple[np.ndarray, KeypointFormat]:
    """Read the pose of the single person in an OpenPose JSON file.

    Parameters
    ----------
    path_or_dict:
        Path of a ``*_keypoints.json`` file, or its already-parsed content.

    Returns
    -------
    (keypoints, fmt):
        ``keypoints`` is an ``(N, 3)`` float32 array ``[x, y, confidence]`` in pixel
        coordinates; ``fmt`` is :attr:`KeypointFormat.COCO18` (N = 18) or
        :attr:`KeypointFormat.BODY25` (N = 25), inferred from the length.

    Raises
    ------
    KeypointsError
        The file is missing or not JSON, has no ``people`` list, has zero or several
        people (fitroom needs exactly one), has neither ``pose_keypoints_2d`` nor
        ``pose_keypoints``, or its length is not 18 x 3 or 25 x 3 values of finite numbers.
    """
    what = _describe(path_or_dict)
    if isinstance(path_or_dict, Mapping):
        data: Any = path_or_dict
    else:
        data = read_keypoint_json(path_or_dict, what)

    if not isinstance(data, Mapping) or not isinstance(data.get("people"), list):
        raise KeypointsError(f"{what} is not OpenPose output: it has no 'people' list")
    people = data["people"]
    if len(people) == 0:
        raise KeypointsError(f"{what} has no people; fitroom needs exactly one")
    if len(people) > 1:
        raise KeypointsError(f"{what} has {len(people)} people; fitroom needs exactly one")
    person = people[0]
    if not isinstance(person, Mapping):
        raise KeypointsError(f"{what} is not OpenPose output: a person is not an object")
    key = next((k for k in _POSE_KEYS if k in person), None)
    if key is None:
        raise KeypointsError(f"{what} has neither 'pose_keypoints_2d' nor 'pose_keypoints' for its person")
    values = person[key]
    if not isinstance(values, list):
        raise KeypointsError(f"{what}: '{key}' is not a list of numbers")
    n_values = len(values)
    n_points, rem = divmod(n_values, 3)
    if rem or n_points not in OPENPOSE_FORMATS:
        raise KeypointsError(
            f"{what}: '{key}' has {n_values} values; expected 54 (COCO-18, 18 points) "
            f"or 75 (BODY_25, 25 points)"
        )
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        raise KeypointsError(f"{what}: '{key}' contains values that are not numbers")
    kp = np.asarray(values, dtype=np.float64)
    if not np.isfinite(kp).all():
        raise KeypointsError(f"{what}: '{key}' contains values that are not finite numbers")
    return kp.reshape(n_points, 3).astype(np.float32), OPENPOSE_FORMATS[n_points]


def write_openpose_json(path: str | os.PathLike[str], kp: np.ndarray, fmt: KeypointFormat | str) -> Path:
    """Write one person's pose as OpenPose 1.3 JSON (key ``pose_keypoints_2d``).

    The file reads back with :func:`read_openpose_json` to the same float32 array and
    format. ``kp`` must be ``(18, 3)`` for COCO-18 or ``(25, 3)`` for BODY_25.
    Returns the path written.

    Raises
    ------
    ValueError
        ``fmt`` is not an OpenPose format, or ``kp`` has the wrong shape or non-finite values.
    """
    fmt = KeypointFormat(fmt)
    if fmt not in OPENPOSE_FORMATS.values():
        raise ValueError(f"OpenPose JSON holds COCO-18 or BODY_25 keypoints, not {fmt}")
    n = len(KEYPOINT_ENUMS[fmt])
    arr = np.asarray(kp, dtype=np.float32)
    if arr.shape != (n, 3):
        raise ValueError(f"expected keypoints of shape ({n}, 3) for {fmt}, got {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError("keypoints contain NaN or infinite values")
    # float32 -> Python float is exact, and JSON keeps the repr, so the round trip is lossless
    flat = [float(v) for v in arr.reshape(-1)]
    doc = {
        "version": 1.3,
        "people": [
            {
                "person_id": [-1],
                "pose_keypoints_2d": flat,
                "face_keypoints_2d": [],
                "hand_left_keypoints_2d": [],
                "hand_right_keypoints_2d": [],
                "pose_keypoints_3d": [],
                "face_keypoints_3d": [],
                "hand_left_keypoints_3d": [],
                "hand_right_keypoints_3d": [],
            }
        ],
    }
    out = Path(path)
    out.write_text(json.dumps(doc), encoding="utf-8")
    return out
