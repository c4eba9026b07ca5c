"""Person analysis: pose, person mask, body-part parse and skin tone of one photo.

This is the expensive, reusable half of a try-on: compute it once per photo (it is an
immutable value) and reuse it for every garment.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from fitroom.errors import KeypointsError, MultiplePeopleError, NoPersonError
from fitroom.labels import Cihp, KeypointFormat, convert_keypoints
from fitroom.person import mediapipe_models as mpm
from fitroom.person.body import BodyFrame, body_frame
from fitroom.person.parsing import parse_person

#: analysis runs at most at this long side; results are resized to the photo
WORK_SIDE = 512


@dataclass(frozen=True)
class PersonAnalysis:
    """Everything fitroom knows about the person in one photo, in the photo's pixels.

    Attributes:
        image: (H, W, 3) uint8 RGB photo.
        keypoints: (25, 3) float32 BODY_25 ``[x, y, confidence]``.
        keypoint_source: ``"mediapipe"`` or ``"given"``.
        person_mask: (H, W) bool.
        parse: (H, W) uint8 CIHP ids (:class:`fitroom.labels.Cihp`).
        parse_source: ``"fitroom"`` or ``"given"``.
        face_polygon: (K, 2) float32 face outline, or None.
        skin_rgb: (3,) float32 typical skin colour (median of the face skin), RGB 0..255.
    """

    image: np.ndarray
    keypoints: np.ndarray
    keypoint_source: str
    person_mask: np.ndarray
    parse: np.ndarray
    parse_source: str
    face_polygon: np.ndarray | None
    skin_rgb: np.ndarray
    frame: BodyFrame = field(repr=False)

    @property
    def size(self) -> tuple[int, int]:
        """(width, height)."""
        return self.image.shape[1], self.image.shape[0]


#: how to take a photo fitroom can use (the web app shows the same advice)
PHOTO_HINT = "use a photo where you face the camera with your upper body in view"


def _resize(img: np.ndarray, size: tuple[int, int], nearest: bool = False) -> np.ndarray:
    if (img.shape[1], img.shape[0]) == size:
        return img
    interp = cv2.INTER_NEAREST if nearest else (cv2.INTER_AREA if img.shape[1] > size[0] else cv2.INTER_LINEAR)
    return cv2.resize(img, size, interpolation=interp)


def _main_faces(faces: list[mpm.RawFace]) -> list[mpm.RawFace]:
    """Faces at least a fifth the area of the largest (ignores tiny faces on posters), largest first."""
    if not faces:
        return []
    area = lambda f: (f.box[2] - f.box[0]) * (f.box[3] - f.box[1])  # noqa: E731
    big = max(area(f) for f in faces)
    return sorted((f for f in faces if area(f) >= 0.2 * big), key=area, reverse=True)


def _background_mask_by_colour(small: np.ndarray) -> np.ndarray:
    """Fallback person mask: pixels unlike the (plain) photo border."""
    lab = cv2.cvtColor(small.astype(np.float32) / 255, cv2.COLOR_RGB2LAB)
    border = np.concatenate([lab[0], lab[-1], lab[:, 0], lab[:, -1]])
    d = np.linalg.norm(lab - np.median(border, 0), axis=-1)
    return d > max(8.0, 3 * np.median(np.linalg.norm(border - np.median(border, 0), axis=-1)))


def _skin_rgb(image: np.ndarray, parse: np.ndarray) -> np.ndarray:
    for labels in ((Cihp.FACE,), (Cihp.LEFT_ARM, Cihp.RIGHT_ARM, Cihp.TORSO_SKIN, Cihp.LEFT_LEG, Cihp.RIGHT_LEG)):
        m = np.isin(parse, labels)
        m = cv2.erode(m.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
        if m.sum() > 30:
            px = image[m].astype(np.float32)
            lum = px.mean(1)
            lo, hi = np.percentile(lum, [25, 85])
            px = px[(lum >= lo) & (lum <= hi)]
            return np.median(px, 0).astype(np.float32)
    return np.array([200, 160, 135], np.float32)


def analyze_person(image: np.ndarray, *, keypoints: tuple[np.ndarray, KeypointFormat] | None = None,
                   parse: np.ndarray | None = None, single_person: bool = True) -> PersonAnalysis:
    """Analyse a photo of one person.

    Args:
        image: (H, W, 3) uint8 RGB.
        keypoints: optional given keypoints ``(array (N, 3) in pixels of image, format)``,
            used instead of estimating them (e.g. from an OpenPose JSON).
        parse: optional given (H, W) CIHP parse map, used instead of fitroom's own.
        single_person: raise :class:`MultiplePeopleError` when several faces are found.

    Raises:
        NoPersonError, MultiplePeopleError, KeypointsError.
    """
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f"expected an (H, W, 3) uint8 image, got {image.shape} {image.dtype}")
    h, w = image.shape[:2]
    scale = min(1.0, WORK_SIDE / max(h, w))
    ws = (max(1, round(w * scale)), max(1, round(h * scale)))
    small = _resize(image, ws)
    sx, sy = ws[0] / w, ws[1] / h

    raw = mpm.run_pose(small)
    if keypoints is not None:
        kp_arr, fmt = keypoints
        kp = convert_keypoints(kp_arr, fmt, KeypointFormat.BODY25)
        source = "given"
    elif raw is None:
        raise NoPersonError(f"no person found in the photo; {PHOTO_HINT}")
    else:
        kp = convert_keypoints(raw.landmarks, KeypointFormat.MEDIAPIPE33, KeypointFormat.BODY25)
        kp[:, 0] /= sx
        kp[:, 1] /= sy
        source = "mediapipe"
    faces = _main_faces(mpm.run_face_detection(small))
    if single_person and len(faces) > 1:
        raise MultiplePeopleError("more than one person is in the photo; use a photo of just you")

    kp_small = kp.copy()
    kp_small[:, 0] *= sx
    kp_small[:, 1] *= sy
    try:
        frame_small = body_frame(kp_small)
    except KeypointsError:
        if source == "mediapipe":
            raise NoPersonError(f"no upper body found in the photo (both shoulders must be visible); {PHOTO_HINT}") from None
        raise

    if raw is not None:
        seg_small = raw.segmentation
        person_small = seg_small > 0.5
    else:
        person_small = _background_mask_by_colour(small)
        seg_small = person_small.astype(np.float32)
    if person_small.sum() < 0.01 * person_small.size:
        raise NoPersonError(f"no person found in the photo; {PHOTO_HINT}")

    face_poly = None
    if faces:
        b = faces[0].box
        face_poly = mpm.run_face_oval(image, (b[0] / sx, b[1] / sy, b[2] / sx, b[3] / sy))
        if face_poly is not None:
            face_poly = face_poly * np.array([sx, sy], np.float32)
    person_full = _resize(seg_small, (w, h)) > 0.5
    if parse is None:
        parse_small = parse_person(small, person_small, frame_small, face_poly)
        parse_full = _resize(parse_small, (w, h), nearest=True)
        parse_full[~person_full] = Cihp.BACKGROUND
        parse_source = "fitroom"
    else:
        if parse.shape != (h, w):
            raise ValueError(f"given parse map is {parse.shape[::-1]}, the photo is {(w, h)}")
        parse_full = parse.astype(np.uint8)
        person_full = parse_full != Cihp.BACKGROUND
        parse_source = "given"
    face_full = None if face_poly is None else (face_poly / np.array([sx, sy], np.float32)).astype(np.float32)
    return PersonAnalysis(image=image, keypoints=kp.astype(np.float32), keypoint_source=source,
                          person_mask=person_full, parse=parse_full, parse_source=parse_source,
                          face_polygon=face_full, skin_rgb=_skin_rgb(image, parse_full), frame=body_frame(kp))
