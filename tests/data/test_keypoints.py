"""OpenPose JSON reading and writing."""

from __future__ import annotations

import json

import numpy as np
import pytest

from fitroom.data.keypoints import read_openpose_json, write_openpose_json
from fitroom.errors import KeypointsError
from fitroom.labels import Body25, Coco18, KeypointFormat


def _kp(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    kp = np.column_stack([rng.uniform(0, 192, n), rng.uniform(0, 256, n), rng.uniform(0, 1, n)])
    kp[3] = 0  # a missing point
    return kp.astype(np.float32)


def _doc(values, key="pose_keypoints_2d", people=1):
    return {"version": 1.3, "people": [{key: list(values)} for _ in range(people)]}


@pytest.mark.parametrize(
    ("key", "n", "fmt"),
    [
        ("pose_keypoints", 18, KeypointFormat.COCO18),
        ("pose_keypoints_2d", 18, KeypointFormat.COCO18),
        ("pose_keypoints_2d", 25, KeypointFormat.BODY25),
        ("pose_keypoints", 25, KeypointFormat.BODY25),
    ],
)
def test_read_dict_both_keys_and_formats(key, n, fmt):
    kp = _kp(n)
    out, got_fmt = read_openpose_json(_doc(kp.reshape(-1).tolist(), key=key))
    assert got_fmt == fmt
    assert out.dtype == np.float32 and out.shape == (n, 3)
    np.testing.assert_array_equal(out, kp)


def test_read_file_old_style(tmp_path):
    # the VITON / cp-vton style: version 1.0, key pose_keypoints, empty face and hands
    kp = _kp(18)
    doc = {"version": 1.0, "people": [{"face_keypoints": [], "pose_keypoints": kp.reshape(-1).tolist(),
                                       "hand_right_keypoints": [], "hand_left_keypoints": []}]}
    path = tmp_path / "000001_0_keypoints.json"
    path.write_text(json.dumps(doc))
    out, fmt = read_openpose_json(path)
    assert fmt is KeypointFormat.COCO18
    assert out[Coco18.NOSE, 0] == pytest.approx(kp[0, 0])
    out2, _ = read_openpose_json(str(path))
    np.testing.assert_array_equal(out, out2)


@pytest.mark.parametrize(("n", "fmt"), [(18, KeypointFormat.COCO18), (25, KeypointFormat.BODY25)])
def test_write_read_round_trip(tmp_path, n, fmt):
    kp = _kp(n, seed=n)
    path = write_openpose_json(tmp_path / "p_keypoints.json", kp, fmt)
    doc = json.loads(path.read_text())
    assert doc["version"] == 1.3
    assert len(doc["people"]) == 1 and len(doc["people"][0]["pose_keypoints_2d"]) == n * 3
    out, got = read_openpose_json(path)
    assert got == fmt
    np.testing.assert_array_equal(out, kp)  # bit-exact


def test_write_accepts_format_string(tmp_path):
    kp = _kp(25)
    write_openpose_json(tmp_path / "k.json", kp, "body25")
    out, fmt = read_openpose_json(tmp_path / "k.json")
    assert fmt is KeypointFormat.BODY25
    assert out[Body25.LEFT_HEEL, 2] == pytest.approx(kp[Body25.LEFT_HEEL, 2])


def test_write_rejects_wrong_shape_and_format(tmp_path):
    with pytest.raises(ValueError, match=r"shape \(18, 3\)"):
        write_openpose_json(tmp_path / "k.json", _kp(25), KeypointFormat.COCO18)
    with pytest.raises(ValueError, match="COCO-18 or BODY_25"):
        write_openpose_json(tmp_path / "k.json", np.zeros((33, 3), np.float32), KeypointFormat.MEDIAPIPE33)
    bad = _kp(18)
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        write_openpose_json(tmp_path / "k.json", bad, KeypointFormat.COCO18)


def test_several_people_is_an_error():
    with pytest.raises(KeypointsError, match="has 2 people; fitroom needs exactly one"):
        read_openpose_json(_doc(_kp(18).reshape(-1).tolist(), people=2))


def test_no_people_is_an_error():
    with pytest.raises(KeypointsError, match="no people"):
        read_openpose_json({"version": 1.3, "people": []})


@pytest.mark.parametrize("n_values", [0, 3, 57, 99])
def test_wrong_length_names_the_length(n_values):
    with pytest.raises(KeypointsError, match=rf"has {n_values} values; expected 54 .* or 75"):
        read_openpose_json(_doc([1.0] * n_values))


def test_not_openpose(tmp_path):
    with pytest.raises(KeypointsError, match="no 'people' list"):
        read_openpose_json({"version": 1.3})
    with pytest.raises(KeypointsError, match="neither 'pose_keypoints_2d' nor 'pose_keypoints'"):
        read_openpose_json({"people": [{"face_keypoints_2d": []}]})
    with pytest.raises(KeypointsError, match="not numbers"):
        read_openpose_json(_doc(["a"] * 54))
    with pytest.raises(KeypointsError, match="not finite"):
        read_openpose_json(_doc([float("nan")] * 54))


def test_missing_and_invalid_files(tmp_path):
    with pytest.raises(KeypointsError, match="does not exist"):
        read_openpose_json(tmp_path / "nope.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(KeypointsError, match="not valid JSON") as info:
        read_openpose_json(bad)
    assert "bad.json" in str(info.value)


@pytest.mark.realdata
def test_real_files(realdata):
    for path in sorted((realdata / "viton256_paired" / "pose").glob("*_keypoints.json")):
        kp, fmt = read_openpose_json(path)
        assert fmt is KeypointFormat.COCO18 and kp.shape == (18, 3)
        assert ((kp[:, 0] >= 0) & (kp[:, 0] <= 192)).all() and ((kp[:, 1] >= 0) & (kp[:, 1] <= 256)).all()
    for path in sorted((realdata / "hd_unpaired" / "openpose-json").glob("*_keypoints.json")):
        kp, fmt = read_openpose_json(path)
        assert fmt is KeypointFormat.BODY25 and kp.shape == (25, 3)
        assert ((kp[:, 0] >= 0) & (kp[:, 0] <= 768)).all() and ((kp[:, 1] >= 0) & (kp[:, 1] <= 1024)).all()
        # shoulders of a frontal VITON-HD model are seen
        assert kp[Body25.LEFT_SHOULDER, 2] > 0 and kp[Body25.RIGHT_SHOULDER, 2] > 0
