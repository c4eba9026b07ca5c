"""Debug renderings: one image per stage of a try-on."""

from __future__ import annotations

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


def draw_points(image: np.ndarray, pts: np.ndarray, colour=(255, 0, 0), labels: tuple[str, ...] | None = None) -> np.ndarray:
    out = image.copy()
    t = _thick(out)
    for i, (x, y) in enumerate(pts):
        cv2.circle(out, (int(round(x)), int(round(y))), t * 4, colour, -1, cv2.LINE_AA)
        if labels:
            cv2.putText(out, labels[i][:14], (int(x) + 4 * t, int(y)), cv2.FONT_HERSHEY_SIMPLEX, 0.3 * t,
                        (0, 0, 0), max(1, t // 2), cv2.LINE_AA)
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
