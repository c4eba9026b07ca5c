"""Try-off: the worn top or dress laid flat as a product photo."""

from __future__ import annotations

import dataclasses
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

from fitroom.errors import NoGarmentError
from fitroom.imaging import load_image
from fitroom.imaging.masks import mask_iou
from fitroom.labels import UPPER_BODY_GARMENT, Cihp, KeypointFormat
from fitroom.person.analyze import analyze_person
from fitroom.person.body import body_frame
from fitroom.pipelines import tryoff as to

EXAMPLES = Path(__file__).resolve().parents[2] / "src" / "fitroom" / "examples"


@lru_cache(maxsize=1)
def _astronaut():
    return analyze_person(load_image(EXAMPLES / "astronaut.jpg"))


def _frame(moves: dict | None = None):
    """A frontal BODY_25 frame (person facing the camera: right shoulder on the image left)."""
    kp = np.zeros((25, 3), np.float32)
    pts = {2: (80, 60), 5: (120, 60), 9: (88, 130), 12: (112, 130), 3: (70, 95), 4: (61, 128),
           6: (130, 95), 7: (139, 128)}
    pts.update(moves or {})
    for i, (x, y) in pts.items():
        kp[i] = (x, y, 1.0)
    return body_frame(kp)


def _hang_angle(m: np.ndarray, root: np.ndarray, tip: np.ndarray) -> float:
    """Degrees from the vertical, positive away from the centre line x = 0."""
    a, b = to._apply(m, root), to._apply(m, tip)
    v = b - a
    return float(np.degrees(np.arctan2(np.sign(a[0]) * v[0], v[1])))


def test_torso_goes_upright_and_sleeves_hang():
    # the person's right arm raised sideways, the left forearm bent up across the chest
    f = _frame({3: (45, 58), 4: (10, 55), 7: (100, 80)})
    maps = to.part_transforms(f)
    t = maps["torso"]
    assert np.allclose(to._apply(t, f.shoulder_r), [-0.5 / to.FLAT_TO_WORN, 0], atol=1e-6)
    assert np.allclose(to._apply(t, f.shoulder_l), [0.5 / to.FLAT_TO_WORN, 0], atol=1e-6)
    assert to._apply(t, f.mid_hip)[1] == pytest.approx(f.torso_length / f.shoulder_width)
    for side in ("r", "l"):
        s, e, w = (getattr(f, f"{j}_{side}") for j in ("shoulder", "elbow", "wrist"))
        up, fore = maps[f"upper_{side}"], maps[f"fore_{side}"]
        assert to.SLEEVE_MIN - 1e-6 <= _hang_angle(up, s, e) <= to.SLEEVE_MAX + 1e-6
        assert to.SLEEVE_MIN - 1e-6 <= _hang_angle(fore, e, w) <= to.SLEEVE_MAX + 1e-6
        # each piece is moved rigidly: the sleeve stays attached at its root
        assert np.allclose(to._apply(up, s), to._apply(t, s))
        assert np.allclose(to._apply(fore, e), to._apply(up, e))


def test_arms_already_hanging_are_left_alone():
    f = _frame()  # both arms hang 15-17 degrees out: within the range
    maps = to.part_transforms(f)
    assert np.allclose(maps["upper_r"], maps["torso"]) and np.allclose(maps["fore_l"], maps["torso"])


def test_parts_split_the_garment_exactly():
    pa = _astronaut()
    garment = np.isin(pa.parse, [int(v) for v in UPPER_BODY_GARMENT])
    parts = to.part_masks(garment, pa.frame)
    stack = np.stack([parts[k] for k in to._PARTS])
    assert (stack.sum(0) == garment).all()  # every garment pixel in exactly one part
    assert parts["torso"].sum() > 0.5 * garment.sum()


def _drawn_top(f, *, sleeves: bool, straps_above: float = 0.0, shape=(220, 200)) -> np.ndarray:
    """A garment mask drawn on a frame: the torso polygon (from ``straps_above`` shoulder widths
    above the shoulders), plus sleeves along the upper arms when asked."""
    import cv2

    m = np.zeros(shape, np.uint8)
    up = -f.down * straps_above * f.shoulder_width
    poly = np.array([f.shoulder_r + up, f.shoulder_l + up, f.hip_l, f.hip_r])
    cv2.fillPoly(m, [np.round(poly).astype(np.int32)], 1)
    if sleeves:
        for s, e in ((f.shoulder_r, f.elbow_r), (f.shoulder_l, f.elbow_l)):
            mid = s + 0.6 * (e - s)
            cv2.line(m, tuple(int(v) for v in s), tuple(int(v) for v in mid), 1, thickness=14)
    return m.astype(bool)


def test_sleeves_are_found_on_the_right_arm_and_straps_are_not_sleeves():
    f = _frame()
    parts = to.part_masks(_drawn_top(f, sleeves=True), f)
    # the person's right arm is on the image's left
    ys, xs = np.nonzero(parts["upper_r"])
    assert xs.size > 50 and xs.mean() < f.neck[0] - 0.5 * f.shoulder_width
    ys, xs = np.nonzero(parts["upper_l"])
    assert xs.size > 50 and xs.mean() > f.neck[0] + 0.5 * f.shoulder_width
    # a sleeveless top whose straps rise above the shoulder joints has no sleeves
    strappy = to.part_masks(_drawn_top(f, sleeves=False, straps_above=0.25), f)
    assert sum(int(strappy[k].sum()) for k in to._PARTS[1:]) < 0.08 * f.shoulder_width ** 2


def test_a_back_view_with_swapped_hips_keeps_its_torso():
    f = _frame({9: (112, 130), 12: (88, 130)})  # the same body, hips labelled the other way round
    g = _drawn_top(_frame(), sleeves=True)
    front = to.part_masks(g, _frame())
    back = to.part_masks(g, f)
    assert (back["torso"] == front["torso"]).all() and (back["upper_r"] == front["upper_r"]).all()


@pytest.mark.parametrize("hips", [((125, 60.2), (135, 60.2)), ((100, 60), (100, 60)), ((90, 61), (110, 61))])
def test_hips_on_the_shoulder_line_take_the_usual_proportions(hips):
    (hx, hy), (kx, ky) = hips
    f = _frame({12: (hx, hy), 9: (kx, ky)})
    t = to.part_transforms(f)["torso"]
    assert np.isfinite(t).all()
    assert to._apply(t, f.neck + 1.45 * f.shoulder_width * np.array([0, 1.0]))[1] == pytest.approx(1.45, abs=0.05)


def test_a_huge_photo_is_laid_flat_at_a_bounded_cost():
    import time

    import cv2

    pa = _astronaut()
    f = 4.0
    big = dataclasses.replace(
        pa, image=cv2.resize(pa.image, None, fx=f, fy=f, interpolation=cv2.INTER_LINEAR),
        parse=cv2.resize(pa.parse, None, fx=f, fy=f, interpolation=cv2.INTER_NEAREST),
        frame=to._scaled_frame(pa.frame, f))
    t0 = time.perf_counter()
    small = to.tryoff(pa, size=(256, 192))
    t_small = time.perf_counter() - t0
    t0 = time.perf_counter()
    res = to.tryoff(big, size=(256, 192))
    t_big = time.perf_counter() - t0
    assert res.worn_mask.shape == big.parse.shape
    assert mask_iou(res.mask, small.mask) > 0.9
    assert t_big < 6 * t_small + 0.5  # 16x the pixels; the work itself is at a bounded scale


def test_tryoff_of_a_real_photo_is_a_product_photo_on_white():
    pa = _astronaut()
    res = to.tryoff(pa, size=(512, 384))
    assert res.image.shape == (512, 384, 3) and res.image.dtype == np.uint8
    assert res.mask.shape == (512, 384) and res.mask.dtype == bool
    from fitroom.imaging.masks import dilate

    assert (res.image[~dilate(res.mask, 2)] == 255).all()  # on white (the edge anti-aliased)
    ys, xs = np.nonzero(res.mask)
    # centred with the margin on the tighter side
    assert abs((xs.min() + xs.max()) / 2 - 192) <= 3 and abs((ys.min() + ys.max()) / 2 - 256) <= 3
    assert min(xs.min(), 383 - xs.max(), ys.min(), 511 - ys.max()) <= to.MARGIN * 512 + 2
    # the orange suit, not white or skin: the garment's own colour
    med = np.median(res.image[res.mask], axis=0)
    assert med[0] > med[2] + 60
    assert res.category == "top" and 0 <= res.completed < 0.3
    assert res.worn_mask.shape == pa.parse.shape


def test_a_photo_without_a_top_or_dress_is_refused_in_one_line():
    pa = _astronaut()
    parse = pa.parse.copy()
    parse[np.isin(parse, [int(v) for v in UPPER_BODY_GARMENT])] = int(Cihp.TORSO_SKIN)
    bare = dataclasses.replace(pa, parse=parse)
    with pytest.raises(NoGarmentError) as e:
        to.tryoff(bare)
    assert "\n" not in str(e.value) and "no top or dress" in str(e.value)


def test_hair_and_arms_over_the_torso_are_completed():
    pa = _astronaut()
    garment = np.isin(pa.parse, [int(v) for v in UPPER_BODY_GARMENT])
    # an arm across the middle of the suit
    parse = pa.parse.copy()
    ys, xs = np.nonzero(garment)
    y0 = int(np.percentile(ys, 60))
    band = garment & (np.arange(parse.shape[0])[:, None] >= y0) & (np.arange(parse.shape[0])[:, None] < y0 + 12)
    parse[band] = int(Cihp.LEFT_ARM)
    crossed = dataclasses.replace(pa, parse=parse)
    hidden = to.hidden_garment(parse, to.part_masks(garment & ~band, pa.frame)["torso"], pa.frame)
    assert hidden[band].mean() > 0.8 and not hidden[~band].any()
    res = to.tryoff(crossed, size=(512, 384))
    # no gap across the garment where the arm was: the centre column is garment from the
    # neckline's bottom down to the hem
    centre = res.mask[:, 192]
    top, bottom = np.nonzero(centre)[0][[0, -1]]
    assert centre[top:bottom + 1].all() and res.completed > 0.01


def _synthetic(index: int):
    from fitroom.data.synth.params import sample_params, sample_rng
    from fitroom.data.synth.render import render_sample

    return render_sample(sample_params(sample_rng(5, index)), (256, 192))


def test_synthetic_pairs_match_their_known_product_photo():
    """Synthetic people wear a product photo the generator drew first: the try-off of the
    person must look like that photo (the same framing, mask IoU and colour)."""
    ious, errs = [], []
    for i in range(8):
        s = _synthetic(i)
        pa = analyze_person(s.image, keypoints=(s.keypoints, KeypointFormat.BODY25), parse=s.parse)
        try:
            res = to.tryoff(pa, size=(256, 192))
        except NoGarmentError:
            continue
        t_img, t_mask = to.frame_garment(s.garment_image, s.garment_mask, (256, 192))
        ious.append(mask_iou(res.mask, t_mask))
        both = res.mask & t_mask
        errs.append(float(np.abs(res.image[both].astype(float).mean(0) - t_img[both].astype(float).mean(0)).max()))
    assert len(ious) >= 6
    assert np.mean(ious) > 0.6, ious  # ~0.72 measured
    assert np.median(errs) < 25, errs  # the garment's own colours (shading aside)


def test_frame_garment_rejects_an_empty_mask():
    with pytest.raises(ValueError):
        to.frame_garment(np.zeros((10, 10, 3), np.uint8), np.zeros((10, 10), bool), (64, 48))
