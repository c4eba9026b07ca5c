import json

from fitroom.eval.evaluate import _breakdowns, _read_meta


def test_meta_is_read_and_metrics_are_broken_down_by_attribute(tmp_path):
    (tmp_path / "test").mkdir()
    lines = [{"person_id": "00001_00.jpg", "skin_tone": 2, "category": "dress", "seed": 5},
             {"person_id": "00002_00", "skin_tone": 9, "category": "dress", "seed": 6},
             {"person_id": "00003_00", "skin_tone": 9, "category": "sleeveless top", "seed": 7}]
    (tmp_path / "test" / "meta.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    meta = _read_meta(tmp_path)
    assert set(meta) == {"00001_00", "00002_00", "00003_00"}
    rows = [{"person": "00001_00", "ssim": 0.9, "psnr": 30.0, "category": "dress"},
            {"person": "00002_00", "ssim": 0.7, "psnr": 20.0, "category": "dress"},
            {"person": "00003_00", "ssim": 0.5, "psnr": 10.0, "category": "sleeveless top"},
            {"person": "00004_00", "ssim": None}]
    b = _breakdowns(rows, meta)
    assert b["skin_tone"]["9"] == {"n": 2, "ssim": 0.6, "psnr": 15.0}
    assert b["skin_tone"]["2"]["n"] == 1
    assert "seed" not in b  # identifiers and seeds are not attributes
    assert b["detected_category"]["dress"]["n"] == 2


def test_no_meta_means_no_attribute_breakdowns(tmp_path):
    assert _read_meta(tmp_path) == {}
    assert set(_breakdowns([{"person": "a", "ssim": 0.5, "psnr": 9.0, "category": "dress"}], {})) == {"detected_category"}
