"""Image and segmentation metrics against known values."""

from __future__ import annotations

import math

import numpy as np
import pytest
from skimage.metrics import structural_similarity

from fitroom.eval.metrics import confusion_matrix, mask_iou, parse_iou, psnr, ssim
from fitroom.labels import Cihp


def _img(seed: int = 0, shape=(32, 24, 3)) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


# --- SSIM --------------------------------------------------------------------------------
def test_ssim_identity():
    x = _img()
    assert ssim(x, x) == pytest.approx(1.0)
    assert ssim(x[..., 0], x[..., 0]) == pytest.approx(1.0)  # greyscale too


def test_ssim_decreases_with_noise_and_is_symmetric():
    x = _img(1)
    rng = np.random.default_rng(2)
    small = np.clip(x + rng.normal(0, 5, x.shape), 0, 255).astype(np.uint8)
    large = np.clip(x + rng.normal(0, 40, x.shape), 0, 255).astype(np.uint8)
    assert 1.0 > ssim(x, small) > ssim(x, large)
    assert ssim(x, large) == pytest.approx(ssim(large, x))


def test_ssim_convention():
    x, y = _img(3), _img(4)
    expected = structural_similarity(x, y, channel_axis=2, data_range=255, gaussian_weights=True,
                                     sigma=1.5, use_sample_covariance=False)
    assert ssim(x, y) == pytest.approx(expected)
    # the default (uniform 7x7 window) differs: the convention matters
    assert ssim(x, y) != pytest.approx(structural_similarity(x, y, channel_axis=2, data_range=255), abs=1e-6)


def test_ssim_constant_images():
    a = np.full((16, 16, 3), 100, np.uint8)
    assert ssim(a, a) == pytest.approx(1.0)
    # constant images: SSIM reduces to the luminance term (2 mu_a mu_b + C1) / (mu_a^2 + mu_b^2 + C1)
    b = np.full((16, 16, 3), 150, np.uint8)
    c1 = (0.01 * 255) ** 2
    assert ssim(a, b) == pytest.approx((2 * 100 * 150 + c1) / (100**2 + 150**2 + c1), rel=1e-6)


@pytest.mark.parametrize(
    ("a", "b", "match"),
    [
        (np.zeros((16, 16, 3), np.uint8), np.zeros((16, 17, 3), np.uint8), "differ in shape"),
        (np.zeros((16, 16, 3), np.float32), np.zeros((16, 16, 3), np.float32), "must be uint8"),
        (np.zeros((16, 16, 4), np.uint8), np.zeros((16, 16, 4), np.uint8), r"\(H, W, 3\)"),
        (np.zeros((8, 8, 3), np.uint8), np.zeros((8, 8, 3), np.uint8), "at least 11x11"),
    ],
)
def test_ssim_validation(a, b, match):
    with pytest.raises(ValueError, match=match):
        ssim(a, b)


# --- PSNR --------------------------------------------------------------------------------
def test_psnr_identical_is_inf():
    x = _img()
    assert psnr(x, x) == math.inf


@pytest.mark.parametrize("delta", [1, 5, 17])
def test_psnr_known_mse(delta):
    a = np.full((8, 8, 3), 100, np.uint8)
    b = a.copy()
    b[:4] += delta  # half the pixels off by delta: MSE = delta^2 / 2
    mse = delta**2 / 2
    assert psnr(a, b) == pytest.approx(10 * math.log10(255**2 / mse))


def test_psnr_extremes_and_validation():
    assert psnr(np.zeros((4, 4, 3), np.uint8), np.full((4, 4, 3), 255, np.uint8)) == pytest.approx(0.0)
    with pytest.raises(ValueError, match="differ in shape"):
        psnr(np.zeros((4, 4, 3), np.uint8), np.zeros((4, 5, 3), np.uint8))
    with pytest.raises(ValueError, match="uint8"):
        psnr(np.zeros((4, 4, 3)), np.zeros((4, 4, 3)))
    with pytest.raises(ValueError, match="empty"):
        psnr(np.zeros((0, 4, 3), np.uint8), np.zeros((0, 4, 3), np.uint8))


def test_psnr_does_not_wrap_around():
    # uint8 subtraction would wrap 0 - 1 to 255; the MSE must be 1
    a, b = np.zeros((4, 4), np.uint8), np.ones((4, 4), np.uint8)
    assert psnr(a, b) == pytest.approx(10 * math.log10(255**2))


# --- masks -------------------------------------------------------------------------------
def test_mask_iou_analytic():
    a = np.zeros((10, 10), bool)
    b = np.zeros((10, 10), bool)
    assert mask_iou(a, b) == 1.0  # both empty
    a[:, :5] = True
    assert mask_iou(a, b) == 0.0
    assert mask_iou(a, a) == 1.0
    b[:, 2:7] = True  # overlap 3 columns, union 7
    assert mask_iou(a, b) == pytest.approx(3 / 7)
    assert mask_iou(a.astype(np.uint8) * 255, b) == pytest.approx(3 / 7)  # non-zero counts


def test_mask_iou_is_the_imaging_one_and_validates():
    from fitroom.imaging import masks

    assert mask_iou is masks.mask_iou
    with pytest.raises(ValueError, match="differ in shape"):
        mask_iou(np.zeros((4, 4), bool), np.zeros((4, 5), bool))
    with pytest.raises(ValueError, match="2-D"):
        mask_iou(np.zeros((4, 4, 3), bool), np.zeros((4, 4, 3), bool))


# --- parse maps --------------------------------------------------------------------------
def _maps():
    gt = np.zeros((4, 4), np.uint8)
    gt[:2] = Cihp.UPPER_CLOTHES  # 8 px
    gt[2:] = Cihp.PANTS  # 8 px
    pred = gt.copy()
    pred[1] = Cihp.PANTS  # 4 upper-clothes pixels predicted as pants
    return pred, gt


def test_parse_iou_per_class():
    pred, gt = _maps()
    iou = parse_iou(pred, gt, [Cihp.BACKGROUND, Cihp.UPPER_CLOTHES, Cihp.PANTS, Cihp.FACE])
    assert list(iou) == [0, 5, 9, 13] and all(type(k) is int for k in iou)
    assert iou[Cihp.BACKGROUND] is None and iou[Cihp.FACE] is None  # absent in both
    assert iou[Cihp.UPPER_CLOTHES] == pytest.approx(4 / 8)
    assert iou[Cihp.PANTS] == pytest.approx(8 / 12)
    only_pred = pred.copy()
    only_pred[0, 0] = Cihp.HAT
    assert parse_iou(only_pred, gt, [Cihp.HAT])[Cihp.HAT] == 0.0
    assert set(parse_iou(pred, gt)) == {5, 9}  # default: classes present in either


def test_parse_iou_validation():
    pred, gt = _maps()
    with pytest.raises(ValueError, match="differ in shape"):
        parse_iou(pred, gt[:3], [5])
    with pytest.raises(ValueError, match="integer class ids"):
        parse_iou(pred.astype(np.float32), gt, [5])


def test_confusion_matrix():
    pred, gt = _maps()
    m = confusion_matrix(pred, gt)
    assert m.shape == (20, 20) and m.dtype == np.int64
    assert m.sum() == gt.size
    assert m[Cihp.UPPER_CLOTHES, Cihp.UPPER_CLOTHES] == 4
    assert m[Cihp.UPPER_CLOTHES, Cihp.PANTS] == 4  # row = truth, column = prediction
    assert m[Cihp.PANTS, Cihp.PANTS] == 8
    assert m[Cihp.PANTS, Cihp.UPPER_CLOTHES] == 0
    # IoU from the matrix agrees with parse_iou
    c = Cihp.PANTS
    iou = m[c, c] / (m[c].sum() + m[:, c].sum() - m[c, c])
    assert iou == pytest.approx(parse_iou(pred, gt, [c])[c])
    assert confusion_matrix(pred, gt, n=10).shape == (10, 10)


def test_confusion_matrix_validation():
    pred, gt = _maps()
    with pytest.raises(ValueError, match=r"outside 0\.\.4"):
        confusion_matrix(pred, gt, n=5)
    neg = pred.astype(np.int16)
    neg[0, 0] = -1
    with pytest.raises(ValueError, match=r"prediction has class ids -1\.\.9, outside"):
        confusion_matrix(neg, gt)
    with pytest.raises(ValueError, match="differ in shape"):
        confusion_matrix(pred, gt.T[:3])


@pytest.mark.realdata
def test_metrics_on_real_pairs(realdata):
    from fitroom.data.layouts import read_dataset

    s = read_dataset(realdata / "viton256_paired")[0]
    person = s.load_person()
    assert ssim(person, person) == pytest.approx(1.0)
    # person photo vs garment product photo: very different images
    assert ssim(person, s.load_garment()) < 0.9
    assert 0 < psnr(person, s.load_garment()) < 30
    parse = s.load_parse()
    assert parse_iou(parse, parse, [Cihp.UPPER_CLOTHES])[Cihp.UPPER_CLOTHES] == 1.0
    assert np.trace(confusion_matrix(parse, parse)) == parse.size


def test_detail_ratio_is_one_for_the_truth_and_falls_with_blur():
    import cv2

    from fitroom.eval.metrics import detail_ratio

    rng = np.random.default_rng(0)
    truth = rng.integers(0, 256, (64, 48, 3), dtype=np.uint8)
    mask = np.zeros((64, 48), bool)
    mask[10:50, 8:40] = True
    assert detail_ratio(truth, truth, mask) == pytest.approx(1.0)
    blurred = cv2.GaussianBlur(truth, (0, 0), 2)
    r = detail_ratio(blurred, truth, mask)
    assert 0 < r < 0.2
    # only the mask counts: blurring outside it changes nothing
    outside = truth.copy()
    outside[~mask] = blurred[~mask]
    assert detail_ratio(outside, truth, mask, erode=3) == pytest.approx(1.0)
    # too small a mask, or a truth without detail: no answer
    assert detail_ratio(truth, truth, np.zeros((64, 48), bool)) is None
    flat = np.full_like(truth, 128)
    assert detail_ratio(truth, flat, mask) is None
    with pytest.raises(ValueError, match="mask shape"):
        detail_ratio(truth, truth, mask[:10])


def test_ssim_map_locates_the_difference():
    from fitroom.eval.metrics import ssim_map

    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (64, 48, 3), dtype=np.uint8)
    np.testing.assert_allclose(ssim_map(a, a), 1.0, atol=1e-6)
    b = a.copy()
    b[:20] = rng.integers(0, 256, (20, 48, 3), dtype=np.uint8)  # the top rows differ
    m = ssim_map(a, b)
    assert m.shape == (64, 48)
    assert m[:14].mean() < 0.2 and m[26:].mean() > 0.999
    assert abs(m[5:-5, 5:-5].mean() - ssim(a, b)) < 0.02
