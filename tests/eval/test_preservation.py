import numpy as np
import pytest

from fitroom.eval.preservation import MAX_CHANGED, default_erosion, flatten, preservation, preserved_regions
from fitroom.labels import Cihp

H, W = 80, 60


def _scene() -> tuple[np.ndarray, np.ndarray]:
    """A parse map with known rectangles: hair rows 2-9, face rows 10-29 (cols 20-39), an
    upper garment rows 30-49, pants rows 50-69, shoes rows 70-74 (cols 20-39); background
    elsewhere. And a photo with a distinct colour per class."""
    parse = np.zeros((H, W), np.uint8)
    parse[2:10, 20:40] = Cihp.HAIR
    parse[10:30, 20:40] = Cihp.FACE
    parse[30:50, 15:45] = Cihp.UPPER_CLOTHES
    parse[50:70, 20:40] = Cihp.PANTS
    parse[70:75, 20:40] = Cihp.LEFT_SHOE
    rng = np.random.default_rng(0)
    photo = rng.integers(40, 200, (H, W, 3), dtype=np.uint8)
    return parse, photo


def test_unchanged_output_changes_nothing():
    parse, photo = _scene()
    res = preservation(photo, photo.copy(), parse, "short-sleeve top", erode=2)
    assert set(res) == {"face", "hair", "background", "lower_body", "all"}
    for name, v in res.items():
        assert v["changed"] == 0.0 and v["mad"] == 0.0 and v["pixels"] > 0, name
    assert flatten(res)["preserve_ok"] is True


def test_painted_block_gives_the_exact_fraction():
    parse, photo = _scene()
    out = photo.copy()
    out[14:18, 24:32] = np.clip(out[14:18, 24:32].astype(int) + 50, 0, 255).astype(np.uint8)  # 4 x 8 in the face
    res = preservation(photo, out, parse, "short-sleeve top", erode=2)
    # the face (20 x 20) eroded by 2 on each side is 16 x 16
    assert res["face"]["pixels"] == 16 * 16
    assert res["face"]["changed"] == pytest.approx(32 / 256)
    diff = np.abs(out.astype(int) - photo.astype(int))[14:18, 24:32].sum() / 3
    assert res["face"]["mad"] == pytest.approx(diff / 256)
    assert res["hair"]["changed"] == res["background"]["changed"] == res["lower_body"]["changed"] == 0.0
    total = sum(v["pixels"] for k, v in res.items() if k != "all")
    assert res["all"]["changed"] == pytest.approx(32 / total)
    row = flatten(res)
    assert row["preserve_face_changed"] == pytest.approx(0.125) and row["preserve_ok"] is False


def test_background_block_and_border():
    parse, photo = _scene()
    out = photo.copy()
    out[0:10, 0:10] = 255 - out[0:10, 0:10]  # the photo's corner: background, not eroded at the border
    res = preservation(photo, out, parse, None, erode=2)
    background = preserved_regions(parse, None, erode=2)["background"]
    assert background[0, 0] and not background[2, 18]  # border kept, class boundary eroded
    changed = (np.abs(out.astype(int) - photo.astype(int)).max(axis=2) > 8) & background
    assert res["background"]["changed"] == pytest.approx(changed.sum() / background.sum())
    assert res["background"]["changed"] > MAX_CHANGED


def test_boundary_excluded_and_tolerance():
    parse, photo = _scene()
    out = photo.copy()
    out[10:12, 20:40] = 0  # the face's top two rows: inside the erosion margin
    out[40:45, 20:40] = 0  # the old garment: not a preserved region
    assert preservation(photo, out, parse, erode=2)["all"]["changed"] == 0.0
    assert preservation(photo, out, parse, erode=0)["face"]["changed"] > 0
    small = photo.copy()
    small[20, 30] = photo[20, 30] + 8  # exactly the tolerance: not a change
    assert preservation(photo, small, parse, erode=2, tol=8)["face"]["changed"] == 0.0
    small[20, 30] = photo[20, 30] + 9
    assert preservation(photo, small, parse, erode=2, tol=8)["face"]["changed"] == pytest.approx(1 / 256)


def test_excluded_region_is_not_counted():
    parse, photo = _scene()
    out = photo.copy()
    out[20:25, 25:35] = 0
    exclude = np.zeros((H, W), bool)
    exclude[20:25, 25:35] = True
    assert preservation(photo, out, parse, exclude=exclude, erode=2)["face"]["changed"] == 0.0
    assert preservation(photo, out, parse, erode=2)["face"]["changed"] > 0


def test_dress_checks_only_the_feet_and_a_bottom_no_lower_body():
    parse, photo = _scene()
    out = photo.copy()
    out[55:65, 25:35] = 0  # the pants: a dress may cover them
    dress = preservation(photo, out, parse, "dress", erode=1)
    assert dress["lower_body"]["changed"] == 0.0
    assert dress["lower_body"]["pixels"] == 3 * 18  # shoes rows 70-74 eroded by 1: 3 x 18
    assert preservation(photo, out, parse, "sleeveless top", erode=1)["lower_body"]["changed"] > 0
    out[72, 25] = 0  # a shoe
    assert preservation(photo, out, parse, "dress", erode=1)["lower_body"]["changed"] == pytest.approx(1 / 54)
    assert "lower_body" not in preservation(photo, out, parse, "trousers", erode=1)


def test_errors():
    parse, photo = _scene()
    with pytest.raises(ValueError, match="differ in shape"):
        preservation(photo, photo[:-1], parse)
    with pytest.raises(ValueError, match="uint8"):
        preservation(photo, photo.astype(np.float32), parse)
    with pytest.raises(ValueError, match="parse map"):
        preservation(photo, photo, parse[:-1])
    with pytest.raises(ValueError, match="unknown garment category"):
        preservation(photo, photo, parse, "hat")
    with pytest.raises(ValueError, match="exclude"):
        preserved_regions(parse, exclude=np.zeros((3, 3), bool))
    assert default_erosion((256, 192)) == 2 and default_erosion((64, 48)) == 1


def test_inputs_are_not_modified():
    parse, photo = _scene()
    p0, i0 = parse.copy(), photo.copy()
    out = photo.copy()
    out[0] = 0
    preservation(photo, out, parse, "dress", exclude=np.ones((H, W), bool))
    assert np.array_equal(parse, p0) and np.array_equal(photo, i0)


def test_seam_around_the_excluded_region():
    parse, photo = _scene()
    exclude = np.zeros((H, W), bool)
    exclude[:, 50:] = True  # background on the right, synthesised
    out = photo.copy()
    out[40:42, 46:50] = 0  # 1-4 px left of the excluded region
    assert preservation(photo, out, parse, exclude=exclude, erode=1, seam=4)["background"]["changed"] == 0.0
    assert preservation(photo, out, parse, exclude=exclude, erode=1, seam=2)["background"]["changed"] > 0
    assert preservation(photo, out, parse, exclude=exclude, erode=1)["background"]["changed"] > 0  # seam 3
    with pytest.raises(ValueError, match="seam"):
        preserved_regions(parse, exclude=exclude, seam=-1)
