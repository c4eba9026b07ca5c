"""Person analyses on disk: arrays and JSON, read back exactly, never unpickled."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from fitroom.errors import FitroomError
from fitroom.examples import example_person
from fitroom.imaging import load_image
from fitroom.person.analyze import analyze_person
from fitroom.person.store import dump_person, load_person


@pytest.fixture(scope="module")
def pa():
    return analyze_person(load_image(example_person()))


def test_round_trip(pa):
    blob = dump_person(pa)
    assert blob[:2] == b"PK"  # a zip of .npy arrays
    back = load_person(blob, pa.image)
    for name in ("keypoints", "person_mask", "parse", "skin_rgb"):
        np.testing.assert_array_equal(getattr(back, name), getattr(pa, name))
    assert (back.face_polygon is None) == (pa.face_polygon is None)
    if pa.face_polygon is not None:
        np.testing.assert_allclose(back.face_polygon, pa.face_polygon)
    assert (back.keypoint_source, back.parse_source) == (pa.keypoint_source, pa.parse_source)
    for k, v in vars(pa.frame).items():
        np.testing.assert_allclose(np.asarray(getattr(back.frame, k), float), np.asarray(v, float))
    assert len(blob) < 0.2 * pa.image.nbytes  # the photo is not in it


def test_what_is_not_an_analysis_of_this_photo_is_refused(pa, tmp_path):
    marker = tmp_path / "owned"

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    for bad in (pickle.dumps(Evil()), b"", b"PK\x03\x04 not really", pickle.dumps(pa)):
        with pytest.raises(FitroomError):
            load_person(bad, pa.image)
    assert not marker.exists()  # nothing was executed
    with pytest.raises(FitroomError):
        load_person(dump_person(pa), pa.image[:100])  # another photo's size
