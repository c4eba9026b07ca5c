"""Debug renderings: one image per stage of a try-on."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from fitroom.labels import CIHP_PALETTE, Body25

_BONES = [(Body25.NECK, Body25.RIGHT_SHOULDER), (Body25.NECK, Body25.LEFT_SHOULDER),
          (Body25.RIGHT_SHOULDER, Body25.RIGHT_ELBOW), (Body25.RIGHT_ELBOW, Body25.RIGHT_WRIST),
          (Body25.LEFT_SHOULDER, Body25.LEFT_ELBOW), (Body25.LEFT_ELBOW, Body25.LEFT_WRIST),
          (Body25.NECK, Body25.MID_HIP), (Body25.MID_HIP, Body25.RIGHT_HIP), (Body25.MID_HIP, Body25.LEFT_HIP),
          (Body25.RIGHT_HIP, Body25.RIGHT_KNEE), (Body25.RIGHT_KNEE, Body25.RIGHT_ANKLE),
          (Body25.LEFT_HIP, Body25.LEFT_KNEE), (Body25.LEFT_KNEE, Body25.LEFT_ANKLE),
          (Body25.NOSE, Body25.NECK), (Body25.NOSE, Body25.RIGHT_EYE), (Body25.NOSE, Body25.LEFT_EYE)]


def _thick(img: np.ndarray) -> int:
    return max(1, round(max(img.shape[:2]) / 300))


def draw_pose(image: np.ndarray, kp: np.ndarray, min_conf: float = 0.2) -> np.ndarray:
    """Skeleton over the photo: person's left in blue-ish, right in orange-ish."""
    out = image.copy()
    t = _thick(out)
    for a, b in _BONES:
        if kp[a, 2] >= min_conf and kp[b, 2] >= min_conf:
            left = "LEFT" in a.name or "LEFT" in b.name
            cv2.line(out, tuple(int(v) for v in kp[a, :2]), tuple(int(v) for v in kp[b, :2]),
                     (40, 120, 255) if left else (255, 140, 0), t * 2, cv2.LINE_AA)
    for x, y, c in kp:
        if c >= min_conf:
            cv2.circle(out, (int(x), int(y)), t * 3, (255, 255, 255), -1, cv2.LINE_AA)
    return out


def draw_parse(parse: np.ndarray) -> np.ndarray:
    return CIHP_PALETTE[parse]


_FONT = cv2.FONT_HERSHEY_SIMPLEX


@dataclass(frozen=True)
class LabelBox:
    """Where :func:`layout_labels` puts one point's label, in image pixels (a box may lie
    partly outside the image: :func:`draw_points` widens the canvas to fit)."""

    text: str
    point: tuple[float, float]
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 (x1, y1 exclusive)
    origin: tuple[int, int]  # cv2.putText's bottom-left of the text
    side: int  # +1: right of its point, -1: left

    def leader(self) -> tuple[tuple[int, int], tuple[int, int]]:
        """The line from the point to the near side of the box."""
        x0, y0, x1, y1 = self.box
        px, py = self.point
        return (round(px), round(py)), (x0 if self.side > 0 else x1 - 1, int(np.clip(round(py), y0, y1 - 1)))


def _overlaps(a: tuple[int, int, int, int], b: tuple[int, int, int, int], gap: int = 0) -> bool:
    return a[0] < b[2] + gap and b[0] < a[2] + gap and a[1] < b[3] + gap and b[1] < a[3] + gap


def layout_labels(points: np.ndarray, labels: tuple[str, ...] | list[str], *, font_scale: float = 0.5,
                  thickness: int = 1, marker_radius: int = 4, pad: int = 2, gap: int = 2) -> list[LabelBox]:
    """Non-overlapping boxes for the labels of ``points`` (``(N, 2)`` x, y).

    Each label goes on the outward side of its point (left of the points' middle: to the
    left), vertically centred on it; a box that would overlap a box placed before it, or
    any point's marker, moves up or down to the nearest free place, and a leader line
    (:meth:`LabelBox.leader`) ties it to its point. Labels are placed top to bottom, each
    checked against all placed boxes and all markers, so the boxes are pairwise disjoint
    (with ``gap`` pixels between them) and cover no point.
    """
    pts = np.asarray(points, np.float64).reshape(-1, 2)
    if len(labels) != len(pts):
        raise ValueError(f"{len(pts)} points but {len(labels)} labels")
    if not len(pts):
        return []
    middle = float(np.median(pts[:, 0]))
    r = max(1, int(marker_radius))
    markers = [(int(np.floor(x)) - r, int(np.floor(y)) - r, int(np.ceil(x)) + r + 1, int(np.ceil(y)) + r + 1)
               for x, y in pts]
    placed: list[tuple[int, int, int, int]] = []
    out: dict[int, LabelBox] = {}
    for i in sorted(range(len(pts)), key=lambda k: (pts[k, 1], pts[k, 0])):
        x, y = pts[i]
        text = str(labels[i])
        (tw, th), base = cv2.getTextSize(text, _FONT, font_scale, thickness)
        w, h = tw + 2 * pad, th + base + 2 * pad
        side = 1 if x >= middle else -1
        x0 = int(np.ceil(x)) + r + 3 if side > 0 else int(np.floor(x)) - r - 3 - w
        want = int(round(y - h / 2))
        blockers = [b for b in placed + markers if b[0] < x0 + w + gap and x0 < b[2] + gap]
        candidates = {want} | {b[3] + gap for b in blockers} | {b[1] - gap - h for b in blockers}
        y0 = min((c for c in candidates
                  if not any(_overlaps((x0, c, x0 + w, c + h), b, gap) for b in blockers)),
                 key=lambda c: (abs(c - want), c))
        box = (x0, y0, x0 + w, y0 + h)
        placed.append(box)
        out[i] = LabelBox(text, (float(x), float(y)), box, (x0 + pad, y0 + pad + th), side)
    return [out[i] for i in range(len(pts))]


def image_label_layout(image: np.ndarray, pts: np.ndarray, labels: tuple[str, ...] | list[str]) -> list[LabelBox]:
    """:func:`layout_labels` with the text size and markers :func:`draw_points` uses on ``image``."""
    t = _thick(image)
    return layout_labels(pts, labels, font_scale=0.3 * t, thickness=max(1, t // 2), marker_radius=t * 4,
                         pad=max(1, t), gap=max(1, t))


def draw_points(image: np.ndarray, pts: np.ndarray, colour=(255, 0, 0), labels: tuple[str, ...] | None = None) -> np.ndarray:
    """Points as dots; with ``labels``, each named in a box beside it (:func:`layout_labels`:
    no two boxes overlap), the canvas widened with the photo's background colour where the
    boxes need room."""
    out = image.copy()
    t = _thick(out)
    radius = t * 4
    pts = np.asarray(pts, np.float64).reshape(-1, 2)
    boxes: list[LabelBox] = []
    if labels:
        boxes = image_label_layout(out, pts, labels)
        h, w = out.shape[:2]
        left = max([0] + [-b.box[0] + t for b in boxes])
        top = max([0] + [-b.box[1] + t for b in boxes])
        right = max([0] + [b.box[2] - w + t for b in boxes])
        bottom = max([0] + [b.box[3] - h + t for b in boxes])
        if left or top or right or bottom:
            edge = np.concatenate([out[0], out[-1], out[:, 0], out[:, -1]]).reshape(-1, out.shape[2])
            fill = tuple(int(v) for v in np.median(edge, axis=0))  # the photo's background
            out = cv2.copyMakeBorder(out, top, bottom, left, right, cv2.BORDER_CONSTANT, value=fill)
            pts = pts + (left, top)
            boxes = [LabelBox(b.text, (b.point[0] + left, b.point[1] + top),
                              (b.box[0] + left, b.box[1] + top, b.box[2] + left, b.box[3] + top),
                              (b.origin[0] + left, b.origin[1] + top), b.side) for b in boxes]
        for b in boxes:
            cv2.line(out, *b.leader(), colour, max(1, t // 2), cv2.LINE_AA)
    for x, y in pts:
        cv2.circle(out, (int(round(x)), int(round(y))), radius, colour, -1, cv2.LINE_AA)
    for b in boxes:
        x0, y0, x1, y1 = b.box
        cv2.rectangle(out, (x0, y0), (x1 - 1, y1 - 1), (255, 255, 255), -1)
        cv2.rectangle(out, (x0, y0), (x1 - 1, y1 - 1), colour, 1)
        cv2.putText(out, b.text, b.origin, _FONT, 0.3 * t, (0, 0, 0), max(1, t // 2), cv2.LINE_AA)
    return out


def draw_mask_outline(image: np.ndarray, mask: np.ndarray, colour=(0, 200, 0)) -> np.ndarray:
    out = image.copy()
    cs, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    cv2.drawContours(out, cs, -1, colour, _thick(out), cv2.LINE_AA)
    return out


def side_by_side(images: list[np.ndarray], height: int | None = None) -> np.ndarray:
    height = height or max(i.shape[0] for i in images)
    tiles = []
    for im in images:
        if im.ndim == 2:
            im = np.dstack([im] * 3)
        w = max(1, round(im.shape[1] * height / im.shape[0]))
        tiles.append(cv2.resize(im, (w, height), interpolation=cv2.INTER_AREA))
        tiles.append(np.full((height, 4, 3), 255, np.uint8))
    return np.hstack(tiles[:-1])


def debug_images(result) -> dict[str, np.ndarray]:
    """Named stage images of a :class:`TryOnResult` (all RGB uint8)."""
    pa, ga = result.person, result.garment
    g_vis = draw_mask_outline(ga.image, ga.mask)
    g_vis = draw_points(g_vis, ga.landmarks.as_array(), (220, 0, 0), tuple(ga.landmarks.names()))
    if result.warped is not None:  # classical engine: the garment in photo pixels, with its targets
        a = result.warped.alpha[..., None]
        warped = np.clip(result.warped.rgb * a + 255 * (1 - a), 0, 255).astype(np.uint8)
        warped = draw_points(warped, result.placement.dst, (0, 0, 220))
    else:  # learned engine: the network-resolution warp
        warped = result.learned.warped_garment
    removed = pa.image.copy()
    removed[result.removed_region] = 128
    return {
        "1_pose": draw_pose(pa.image, pa.keypoints),
        "2_parse": draw_parse(pa.parse),
        "3_removed_region": removed,
        "4_garment_mask_landmarks": g_vis,
        "5_warped_garment": warped,
        "6_result": result.image,
        "7_side_by_side": side_by_side([pa.image, ga.image, result.image]),
    }


def save_debug(result, directory: str | Path) -> list[Path]:
    """Write one PNG per stage into ``directory``; returns the paths."""
    from fitroom.imaging import save_image

    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, img in debug_images(result).items():
        p = d / f"{name}.png"
        save_image(p, img)
        paths.append(p)
    return paths
