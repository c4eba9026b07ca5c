import numpy as np

from fitroom.pipelines.classical import shading_map


def _shirt(h=200, w=160):
    img = np.full((h, w, 3), 240, np.uint8)
    region = np.zeros((h, w), bool)
    region[20:180, 20:140] = True
    img[region] = (40, 90, 160)  # a blue shirt
    return img, region


def test_flat_fabric_has_no_shading():
    img, region = _shirt()
    s = shading_map(img, region, sigma=12)
    assert s.shape == region.shape and s.dtype == np.float32
    np.testing.assert_allclose(s[region], 1.0, atol=0.02)
    np.testing.assert_allclose(s[~region], 1.0)


def test_folds_are_transferred():
    img, region = _shirt()
    xs = np.arange(img.shape[1])
    fold = 1.0 + 0.25 * np.sin(xs / 6.0)  # vertical folds across the shirt
    shaded = np.clip(img.astype(np.float32) * fold[None, :, None], 0, 255).astype(np.uint8)
    shaded[~region] = img[~region]
    s = shading_map(shaded, region, sigma=12)
    row = s[100, 40:120]
    assert row.max() - row.min() > 0.1
    assert np.corrcoef(row, fold[40:120])[0, 1] > 0.8


def test_a_logo_of_another_colour_is_not_copied():
    img, region = _shirt()
    img[80:120, 60:100] = (250, 240, 40)  # a bright yellow patch
    s = shading_map(img, region, sigma=12)
    assert np.abs(s[85:115, 65:95] - 1.0).max() < 0.05


def test_black_lace_on_grey_fabric_is_not_copied_as_light():
    img, region = _shirt()
    img[region] = (170, 170, 170)  # a light grey jumper
    lace = np.zeros_like(region)
    lace[20:70, 20:140] = True  # a yoke of black lace: no chroma either, far darker
    yy, xx = np.mgrid[0:200, 0:160]
    lace &= ((yy // 4 + xx // 4) % 2 == 0) | (yy < 40)
    img[lace] = (20, 20, 22)
    s = shading_map(img, region, sigma=12)
    assert np.abs(s[25:65, 30:130] - 1.0).max() < 0.06
    assert np.abs(s[90:170, 30:130] - 1.0).max() < 0.03
