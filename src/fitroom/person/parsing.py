"""Body-part parsing into CIHP ids from pose, person mask, face outline and colour.

No learned parser ships offline, so the parse map is assembled from what does: MediaPipe's
pose (skeleton) and person segmentation, its face mesh (face outline), plus colour models
fitted on each photo (skin from the face, hair above the face, upper garment from the
chest, lower garment from the thighs). Pose gives the *where* (which arm, above or below
the waist), colour gives the *what* (skin, hair or cloth).

Everything here works on one working resolution; callers resize.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from fitroom.labels import Cihp
from fitroom.person.body import (
    BodyFrame, across_body, along_body, arm_segments, draw_polygon, point_segment_distance,
)


@dataclass(frozen=True)
class ColourModel:
    """A Gaussian in Lab: mean (3,), inverse covariance (3, 3)."""

    mean: np.ndarray
    inv_cov: np.ndarray

    @staticmethod
    def fit(samples: np.ndarray, min_var: tuple[float, float, float] = (25.0, 4.0, 4.0),
            l_scale: float = 1.0) -> ColourModel | None:
        """Fit to (N, 3) Lab samples (robustly, on the central 80% of lightness)."""
        if len(samples) < 12:
            return None
        lo, hi = np.percentile(samples[:, 0], [10, 90])
        s = samples[(samples[:, 0] >= lo) & (samples[:, 0] <= hi)]
        if len(s) < 8:
            s = samples
        cov = np.cov(s.T) + np.diag(min_var)
        cov[0, :] *= l_scale
        cov[:, 0] *= l_scale
        return ColourModel(s.mean(0), np.linalg.inv(cov))

    def distance2(self, lab: np.ndarray) -> np.ndarray:
        """Squared Mahalanobis distance of (..., 3) Lab pixels."""
        d = lab - self.mean
        return np.einsum("...i,ij,...j->...", d, self.inv_cov, d)


def to_lab(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(image.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)


def _largest_cc_touching(mask: np.ndarray, seed: np.ndarray) -> np.ndarray:
    """Components of ``mask`` that contain any pixel of ``seed``."""
    n, lab = cv2.connectedComponents(mask.astype(np.uint8), connectivity=8)
    if n <= 1:
        return mask.copy()
    ids = np.unique(lab[seed & mask])
    ids = ids[ids > 0]
    return np.isin(lab, ids)


def _fill_unlabelled(parse: np.ndarray, person: np.ndarray) -> np.ndarray:
    """Give person pixels still labelled background the label of the nearest labelled pixel."""
    hole = person & (parse == Cihp.BACKGROUND)
    if not hole.any() or not (parse != Cihp.BACKGROUND).any():
        return parse
    src = (parse == Cihp.BACKGROUND).astype(np.uint8)  # zeros are the labelled pixels
    _, idx = cv2.distanceTransformWithLabels(src, cv2.DIST_L2, 5, labelType=cv2.DIST_LABEL_PIXEL)
    # map each label index to the label of that pixel
    ys, xs = np.nonzero(src == 0)
    lut = np.zeros(idx.max() + 1, np.uint8)
    lut[idx[ys, xs]] = parse[ys, xs]
    out = parse.copy()
    out[hole] = lut[idx[hole]]
    return out


def parse_person(image: np.ndarray, person: np.ndarray, frame: BodyFrame, face_poly: np.ndarray | None) -> np.ndarray:
    """CIHP parse map (H, W) uint8 of one person.

    Args:
        image: (H, W, 3) uint8 RGB.
        person: (H, W) bool person mask.
        frame: body frame from the keypoints, in pixels of ``image``.
        face_poly: (K, 2) face outline in pixels, or None (then an ellipse from the frame is used).
    """
    h, w = person.shape
    lab = to_lab(image)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    sw, tl = frame.shoulder_width, frame.torso_length
    along = along_body(frame, xs, ys)
    across = across_body(frame, xs, ys)

    # --- face -----------------------------------------------------------------------------
    if face_poly is not None and len(face_poly) >= 3:
        face = draw_polygon((h, w), cv2.convexHull(face_poly.astype(np.float32)).reshape(-1, 2))
    else:
        c = frame.neck - frame.down * 0.45 * sw
        face = np.zeros((h, w), np.uint8)
        cv2.ellipse(face, (int(c[0]), int(c[1])), (max(1, int(0.2 * sw)), max(1, int(0.27 * sw))), 0, 0, 360, 1, -1)
        face = face.astype(bool)
    face &= person
    fys, fxs = np.nonzero(face)
    face_h = float(fys.max() - fys.min() + 1) if len(fys) else 0.5 * sw
    face_w = float(fxs.max() - fxs.min() + 1) if len(fxs) else 0.4 * sw
    face_top = float(fys.min()) if len(fys) else frame.neck[1] - 0.8 * sw
    face_cx = float(fxs.mean()) if len(fxs) else frame.neck[0]

    # --- skin model from the face (cheeks and forehead; eyes, brows and lips are outliers) --
    core = cv2.erode(face.astype(np.uint8), np.ones((3, 3), np.uint8), iterations=max(1, int(face_w * 0.08)))
    skin_model = ColourModel.fit(lab[core.astype(bool)], l_scale=6.0)
    if skin_model is None:
        skin_model = ColourModel(np.array([65.0, 15.0, 20.0]), np.linalg.inv(np.diag([400.0, 40.0, 40.0])))
    skin_d2 = skin_model.distance2(lab)
    skin = (skin_d2 < 9.0) & person & ~face

    face_bottom = float(fys.max()) if len(fys) else frame.neck[1] - 0.2 * sw
    # chest colour first: it keeps dark hair and a dark top apart
    torso = draw_polygon((h, w), frame.torso_polygon(widen=1.05))
    chest = person & ~face & ~skin & torso & (along > 0.2) & (along < 0.55) & (np.abs(across) < 0.25 * sw)
    upper_model = ColourModel.fit(lab[chest], min_var=(40.0, 6.0, 6.0))

    # --- hair: everything of the person above the chin that is not face; below the chin,
    # pixels that look like that hair (and not like the top) next to the head ------------------
    above_chin = person & ~face & (ys < face_bottom) & (np.abs(xs - face_cx) < 1.6 * face_w)
    ear_skin = (skin_d2 < 4.0) & above_chin & (cv2.dilate(face.astype(np.uint8), np.ones((3, 3), np.uint8),
                                                          iterations=max(1, int(0.04 * face_w))).astype(bool))
    face |= ear_skin
    hair = above_chin & ~ear_skin
    hair_model = ColourModel.fit(lab[hair & ~skin], min_var=(30.0, 9.0, 9.0)) if (hair & ~skin).sum() > 0.05 * face.sum() else None
    if hair_model is not None:
        hd2 = hair_model.distance2(lab)
        cand = person & ~face & ~skin & (hd2 < 12.0) & (ys >= face_bottom) & (along < 0.6)
        cand &= np.abs(xs - face_cx) < 1.4 * face_w
        if upper_model is not None:
            cand &= hd2 < upper_model.distance2(lab)
        hair |= _largest_cc_touching(cand | hair, hair) & cand
        hair = cv2.morphologyEx(hair.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8)).astype(bool) & person & ~face

    # --- arms: distance to each arm's bones ------------------------------------------------
    d_arm = {}
    for side in ("left", "right"):
        segs = arm_segments(frame, side)
        d_arm[side] = np.minimum.reduce([point_segment_distance(xs, ys, a, b) for a, b in segs])
    arm_zone_r = 0.32 * sw
    near_left = d_arm["left"] < d_arm["right"]
    in_arm_zone = np.minimum(d_arm["left"], d_arm["right"]) < arm_zone_r

    # --- clothes: upper garment from the chest, lower garment from the thighs --------------
    body = person & ~face & ~hair
    cloth = body & ~skin
    chest &= cloth
    thigh = cloth & (along > 1.2) & (along < 1.7) & (np.abs(across) < 0.45 * sw) & ~in_arm_zone
    lower_model = ColourModel.fit(lab[thigh], min_var=(40.0, 6.0, 6.0)) if thigh.sum() > 30 else None

    upper = np.zeros((h, w), bool)
    lower = np.zeros((h, w), bool)
    distinct = False
    if upper_model is not None and lower_model is not None:
        sep = min(float(upper_model.distance2(lower_model.mean[None])[0]), float(lower_model.distance2(upper_model.mean[None])[0]))
        distinct = sep > 9.0
    if upper_model is not None:
        if distinct:
            du, dl = upper_model.distance2(lab), lower_model.distance2(lab)
            # spatial prior: the waist lies around the hips; far above it is the top, far below the bottom
            prior = np.clip((along - 0.95) / 0.25, -1.5, 1.5) * 6.0
            is_upper = du + prior < dl
            upper = cloth & is_upper & (along < 2.2)
            lower = cloth & ~is_upper & (along > 0.6)
        else:
            # one colour from chest to thighs: a dress, or a top over a same-coloured bottom
            upper = cloth.copy()
        upper = _largest_cc_touching(upper, chest)
        lower &= ~upper

    # a dress: the top's fabric continues down the middle well below the hips
    is_dress = False
    if upper.any():
        mid = upper & (np.abs(across) < 0.12 * sw)
        col = along[mid]
        reach = float(col.max()) if len(col) else 0.0
        below = cloth & (along > 1.3) & (along < 1.6) & (np.abs(across) < 0.12 * sw)
        if reach > 1.55 and below.sum() > 10 and (upper & below).sum() > 0.8 * below.sum():
            is_dress = True
        if not distinct and not is_dress:
            # top over same-coloured bottom: cut at the hips
            lower = upper & (along > 1.0)
            upper &= along <= 1.0

    parse = np.zeros((h, w), np.uint8)
    if lower.any():
        # a skirt covers the gap between the legs; trousers do not
        gap = person & (along > 1.45) & (along < 1.75) & (np.abs(across) < 0.05 * sw)
        gap_zone = (along > 1.45) & (along < 1.75) & (np.abs(across) < 0.05 * sw)
        skirt = gap_zone.any() and gap.sum() > 0.9 * gap_zone.sum() and (lower & gap_zone).sum() > 0.8 * gap_zone.sum()
        parse[lower] = Cihp.SKIRT if skirt else Cihp.PANTS
    parse[upper] = Cihp.DRESS if is_dress else Cihp.UPPER_CLOTHES

    # --- skin pixels: arms, legs, neck/torso ----------------------------------------------
    skin_body = skin & body
    arm_skin = skin_body & in_arm_zone & ~(torso & (along < 0.25) & (np.abs(across) < 0.3 * sw) & ~in_arm_zone)
    leg_zone = (along > 1.0) & ~in_arm_zone
    parse[skin_body & leg_zone & (across >= 0)] = Cihp.LEFT_LEG
    parse[skin_body & leg_zone & (across < 0)] = Cihp.RIGHT_LEG
    neck_skin = skin_body & ~leg_zone & ~arm_skin
    parse[neck_skin] = Cihp.TORSO_SKIN
    parse[arm_skin & near_left] = Cihp.LEFT_ARM
    parse[arm_skin & ~near_left] = Cihp.RIGHT_ARM
    parse[hair] = Cihp.HAIR
    parse[face] = Cihp.FACE
    parse[~person] = Cihp.BACKGROUND
    parse = _fill_unlabelled(parse, person)
    return parse
