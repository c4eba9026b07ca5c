"""Person analysis on real photos: the bundled example, and ../shared/realdata when present."""

import numpy as np
import pytest
from skimage import data as skdata

from fitroom.data.layouts import read_dataset
from fitroom.errors import KeypointsError, MultiplePeopleError, NoPersonError
from fitroom.eval.metrics import mask_iou
from fitroom.examples import example_person
from fitroom.imaging import load_image
from fitroom.labels import Cihp, KeypointFormat, convert_keypoints
from fitroom.person.analyze import analyze_person


@pytest.fixture(scope="module")
def astronaut():
    return load_image(example_person())


def test_astronaut_is_analysed(astronaut):
    a = analyze_person(astronaut)
    h, w = astronaut.shape[:2]
    assert a.parse.shape == (h, w) and a.person_mask.shape == (h, w)
    assert a.keypoints.shape == (25, 3) and a.keypoint_source == "mediapipe"
    # face in the upper middle, upper clothes below it
    fy, fx = np.nonzero(a.parse == Cihp.FACE)
    uy, _ = np.nonzero(a.parse == Cihp.UPPER_CLOTHES)
    assert 150 < fx.mean() < 330 and fy.mean() < 200
    assert len(uy) > 0.1 * h * w and uy.mean() > fy.mean()
    assert a.face_polygon is not None
    # skin tone is a plausible skin colour (red >= green >= blue)
    r, g, b = a.skin_rgb
    assert r >= g >= b * 0.9


def test_a_photo_without_a_person_is_a_clear_error():
    with pytest.raises(NoPersonError, match="no person"):
        analyze_person(skdata.chelsea())  # a cat
    with pytest.raises(NoPersonError):
        analyze_person(np.full((300, 200, 3), 255, np.uint8))


def test_two_people_are_a_clear_error(astronaut):
    two = np.hstack([astronaut, astronaut])
    with pytest.raises(MultiplePeopleError, match="more than one person"):
        analyze_person(two)


def test_given_keypoints_are_used(astronaut):
    a = analyze_person(astronaut)
    kp = a.keypoints.copy()
    kp[:, 0] += 3.0
    b = analyze_person(astronaut, keypoints=(kp, KeypointFormat.BODY25))
    assert b.keypoint_source == "given"
    np.testing.assert_allclose(b.keypoints[:, 0], kp[:, 0])
    coco = convert_keypoints(kp, KeypointFormat.BODY25, KeypointFormat.COCO18)
    c = analyze_person(astronaut, keypoints=(coco, KeypointFormat.COCO18))
    np.testing.assert_allclose(c.keypoints[1:8, :2], kp[1:8, :2], atol=1e-4)


def test_given_keypoints_without_shoulders_are_a_clear_error(astronaut):
    kp = np.zeros((18, 3), np.float32)
    with pytest.raises(KeypointsError, match="shoulders"):
        analyze_person(astronaut, keypoints=(kp, KeypointFormat.COCO18))


def test_given_parse_is_used(astronaut):
    parse = np.zeros(astronaut.shape[:2], np.uint8)
    parse[100:300, 100:400] = Cihp.UPPER_CLOTHES
    a = analyze_person(astronaut, parse=parse)
    assert a.parse_source == "given"
    np.testing.assert_array_equal(a.parse, parse)
    with pytest.raises(ValueError, match="parse map"):
        analyze_person(astronaut, parse=parse[:10])


@pytest.mark.realdata
@pytest.mark.slow
def test_parse_quality_on_real_photos(realdata):
    """fitroom's own parse against the annotated CIHP maps (the issue's targets: upper
    clothes >= 0.80 on photos of tops, face >= 0.80). Bounds sit a little under what is
    measured (see `fitroom evaluate`) so that a regression fails."""
    ious = {"upper": [], "face": [], "person": []}
    for s in read_dataset(realdata):
        gt = s.load_parse()
        a = analyze_person(s.load_person())
        for k, labels in (("face", [Cihp.FACE]), ("person", [c for c in Cihp if c != 0])):
            ious[k].append(mask_iou(np.isin(a.parse, labels), np.isin(gt, labels)))
        if s.subset != "dress256_paired":
            ious["upper"].append(mask_iou(a.parse == Cihp.UPPER_CLOTHES, gt == Cihp.UPPER_CLOTHES))
    assert np.mean(ious["face"]) > 0.78
    assert np.mean(ious["person"]) > 0.9
    assert np.mean(ious["upper"]) > 0.78
