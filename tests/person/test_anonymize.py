"""Hiding a face: found by fitroom's own analysis, pixelated beyond recognition, the rest kept."""

import cv2
import numpy as np

from fitroom.examples import example_person
from fitroom.imaging import load_image
from fitroom.person.analyze import analyze_person
from fitroom.person.anonymize import face_region, hide_face


def test_the_face_is_pixelated_and_nothing_else_changes():
    img = load_image(example_person())
    pa = analyze_person(img)
    region = face_region(pa)
    face = pa.parse == 13
    assert region[face].all() and region.sum() < 0.25 * region.size  # the face and a margin, not the photo
    out = hide_face(img, region)
    assert out.shape == img.shape and out.dtype == np.uint8 and not np.shares_memory(out, img)
    far = ~cv2.dilate(region.astype(np.uint8), np.ones((25, 25), np.uint8)).astype(bool)
    np.testing.assert_array_equal(out[far], img[far])  # the rest is the photo's
    # the face's detail is gone: its fine texture (Laplacian energy) falls by far
    lap = lambda a: np.abs(cv2.Laplacian(cv2.cvtColor(a, cv2.COLOR_RGB2GRAY), cv2.CV_32F))[face].mean()  # noqa: E731
    assert lap(out) < 0.25 * lap(img)


def test_no_face_no_change():
    img = np.full((64, 48, 3), 200, np.uint8)
    region = np.zeros((64, 48), bool)
    np.testing.assert_array_equal(hide_face(img, region), img)
