"""MediaPipe's bundled models (pose, face detection, face mesh), loaded once, offline.

MediaPipe ``solutions`` graphs are not thread-safe, so each model is guarded by a lock.
Only models that ship inside the ``mediapipe==0.10.21`` wheel are used: pose with
``model_complexity=1`` (the "full" model; the heavy one would be downloaded), face
detection (full range) and face mesh.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from fitroom.person.mediapipe_import import import_mediapipe

os.environ.setdefault("GLOG_minloglevel", "2")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@dataclass(frozen=True)
class RawPose:
    """MediaPipe pose output in pixels of the image it ran on.

    ``landmarks``: (33, 3) float32 ``[x, y, visibility]``; ``segmentation``: (H, W) float32
    person probability.
    """

    landmarks: np.ndarray
    segmentation: np.ndarray


@dataclass(frozen=True)
class RawFace:
    """One detected face: ``box`` (x0, y0, x1, y1) in pixels, detection ``score``."""

    box: tuple[float, float, float, float]
    score: float


@contextlib.contextmanager
def _native_stderr_silenced():
    """Silence what TFLite and absl print straight to file descriptor 2 while a graph starts
    ("Created TensorFlow Lite XNNPACK delegate", feedback-manager warnings) and on its first
    full run (the pose graph's "landmark_projection_calculator.cc: Using NORM_RECT without
    IMAGE_DIMENSIONS" warning, logged once per process the first time landmarks are
    projected): a user of the CLI must see one line for an error, not a screen of native
    logs. The MediaPipe wheel logs through absl, which reads no environment variable, so
    ``GLOG_minloglevel`` alone does not do it."""
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        yield
        return
    sys.stderr.flush()
    saved = os.dup(fd)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
        yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)
        os.close(devnull)


class _Guarded:
    """One graph behind a lock. Graph creation and the first runs log natively, so stderr is
    silenced until a run has gone through the whole graph, which ``settled(output)`` tells
    (pose, face mesh: a person or face was found, so the landmark calculators ran); one-time
    native warnings are then spent."""

    def __init__(self, factory, settled=lambda out: True):
        self._factory = factory
        self._settled = settled
        self._model = None
        self._warm = False
        self._lock = threading.Lock()

    def process(self, image: np.ndarray):
        with self._lock:
            if not self._warm:
                with _native_stderr_silenced():
                    if self._model is None:
                        self._model = self._factory()
                    out = self._model.process(image)
                self._warm = bool(self._settled(out))
                return out
            return self._model.process(image)


def _pose_settled(out) -> bool:
    return getattr(out, "pose_landmarks", None) is not None


def _face_mesh_settled(out) -> bool:  # its landmark projection warns once, like the pose's
    return bool(getattr(out, "multi_face_landmarks", None))


def _pose_factory():
    mp = import_mediapipe()

    return mp.solutions.pose.Pose(static_image_mode=True, model_complexity=1, enable_segmentation=True,
                                  min_detection_confidence=0.5)


def _face_detection_factory():
    mp = import_mediapipe()

    return mp.solutions.face_detection.FaceDetection(model_selection=1, min_detection_confidence=0.6)


def _face_mesh_factory():
    mp = import_mediapipe()

    return mp.solutions.face_mesh.FaceMesh(static_image_mode=True, max_num_faces=1, refine_landmarks=False,
                                           min_detection_confidence=0.5)


@lru_cache(maxsize=None)
def _models() -> dict[str, _Guarded]:
    return {"pose": _Guarded(_pose_factory, _pose_settled), "face_detection": _Guarded(_face_detection_factory),
            "face_mesh": _Guarded(_face_mesh_factory, _face_mesh_settled)}


def _warm_up_image() -> np.ndarray:
    """The bundled example person (a full pose run spends the graphs' one-time native
    warnings now, silenced); a blank image if it cannot be read."""
    try:
        from PIL import Image

        from fitroom.examples import example_person

        with Image.open(example_person()) as im:
            return np.ascontiguousarray(np.asarray(im.convert("RGB"), np.uint8))
    except Exception:  # noqa: BLE001 - warming up must never fail start-up
        return np.full((64, 64, 3), 255, np.uint8)


def warm_up() -> None:
    """Load every model now (otherwise each loads on first use)."""
    image = _warm_up_image()
    for m in _models().values():
        m.process(image)


def run_pose(image: np.ndarray) -> RawPose | None:
    """Pose on an RGB uint8 image; ``None`` when no person is found."""
    h, w = image.shape[:2]
    res = _models()["pose"].process(image)
    if res.pose_landmarks is None:
        return None
    lm = np.array([(p.x * w, p.y * h, p.visibility) for p in res.pose_landmarks.landmark], np.float32)
    seg = res.segmentation_mask
    seg = np.zeros((h, w), np.float32) if seg is None else np.asarray(seg, np.float32)
    return RawPose(lm, seg)


def run_face_detection(image: np.ndarray) -> list[RawFace]:
    h, w = image.shape[:2]
    res = _models()["face_detection"].process(image)
    faces = []
    for d in res.detections or []:
        b = d.location_data.relative_bounding_box
        faces.append(RawFace((b.xmin * w, b.ymin * h, (b.xmin + b.width) * w, (b.ymin + b.height) * h), float(d.score[0])))
    return faces


# Face-oval vertex ids of the 468-point face mesh (mediapipe FACEMESH_FACE_OVAL).
_FACE_OVAL = (10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377, 152,
              148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109)


def run_face_oval(image: np.ndarray, box: tuple[float, float, float, float] | None = None,
                  crop_side: int = 256) -> np.ndarray | None:
    """Face outline (forehead to chin) as an ordered (36, 2) float32 polygon, or ``None``.

    With a face ``box`` (x0, y0, x1, y1), the mesh runs on a crop around it resized to
    ``crop_side`` pixels, which makes small faces much more precise.
    """
    import cv2

    h, w = image.shape[:2]
    ox = oy = 0.0
    sc = 1.0
    crop = image
    if box is not None:
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        half = 1.0 * max(box[2] - box[0], box[3] - box[1])
        x0, y0 = int(max(0, cx - half)), int(max(0, cy - half))
        x1, y1 = int(min(w, cx + half)), int(min(h, cy + half))
        if x1 - x0 >= 8 and y1 - y0 >= 8:
            sc = crop_side / max(x1 - x0, y1 - y0)
            crop = cv2.resize(image[y0:y1, x0:x1], (max(1, round((x1 - x0) * sc)), max(1, round((y1 - y0) * sc))),
                              interpolation=cv2.INTER_AREA if sc < 1 else cv2.INTER_CUBIC)
            ox, oy = x0, y0
    ch, cw = crop.shape[:2]
    res = _models()["face_mesh"].process(np.ascontiguousarray(crop))
    if not res.multi_face_landmarks:
        return None if box is None else run_face_oval(image, None)
    lm = res.multi_face_landmarks[0].landmark
    pts = np.array([(lm[i].x * cw, lm[i].y * ch) for i in _FACE_OVAL], np.float32)
    return pts / sc + np.array([ox, oy], np.float32)
