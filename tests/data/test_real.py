"""A training set from real photos: fitroom's own analysis, the VITON-HD layout, split by person, resumable."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from skimage import data as skdata

from fitroom.data import read_dataset
from fitroom.data.real import FOLDERS, build_real_dataset, person_of, split_people
from fitroom.examples import example_person


def test_people_and_their_split():
    assert person_of("01234_00") == "01234" and person_of("01234_01") == "01234" and person_of("me") == "me"
    people = [f"{i:05d}" for i in range(400)]
    a = split_people(people, val_people=150, seed=3)
    assert a == split_people(list(reversed(people)), val_people=150, seed=3)  # order does not matter
    assert sum(v == "test" for v in a.values()) == 150
    assert split_people(people, val_people=150, seed=4) != a
    assert sum(v == "test" for v in split_people(people * 1, val_people=10, val_fraction=0.5).values()) == 200
    assert set(split_people(people[:20], val_people=150).values()) == {"test"}  # fewer people: all validate


@pytest.fixture()
def photos(tmp_path):
    d = tmp_path / "photos"
    d.mkdir()
    raw = Path(example_person()).read_bytes()
    for name in ("11111_00.jpg", "11111_01.jpg", "22222_00.jpg"):  # two views of one person, and another
        (d / name).write_bytes(raw)
    Image.fromarray(skdata.chelsea()).save(d / "33333_00.png")  # a cat: refused, with the cause
    return d


def test_the_set_is_written_in_the_viton_hd_layout_split_by_person_and_resumes(photos, tmp_path):
    out = tmp_path / "real"
    s = build_real_dataset(photos, out, workers=1, val_people=1, seed=0)
    assert (s.photos, s.people, s.failed, s.train + s.test) == (4, 3, 1, 3)
    assert s.failures_by_cause == {"NoPersonError": 1}
    fail = [json.loads(x) for x in (out / "failures.jsonl").read_text().splitlines()]
    assert fail[0]["id"] == "33333_00" and "no person" in fail[0]["message"]
    meta = {m["id"]: m for m in map(json.loads, (out / "meta.jsonl").read_text().splitlines())}
    assert set(meta) == {"11111_00", "11111_01", "22222_00"}
    assert meta["11111_00"]["split"] == meta["11111_01"]["split"]  # one person never straddles the splits
    assert all(m["sleeves"] in ("none", "short", "long") for m in meta.values())
    # the pseudo product photo is the try-off: the garment laid flat on white, with its mask
    cloth = np.array(Image.open(out / one_split(meta, "22222_00") / "cloth" / "22222_00.jpg"))
    cmask = np.array(Image.open(out / one_split(meta, "22222_00") / "cloth-mask" / "22222_00.png")) > 127
    assert cloth.shape[:2] == cmask.shape and 0.1 < cmask.mean() < 0.9
    assert cloth[0, 0].min() > 245 and np.median(cloth[cmask], axis=0).max() < 240
    for sid, m in meta.items():
        for folder in FOLDERS:
            assert list((out / m["split"] / folder).glob(f"{sid}*")), (sid, folder)
    # the readers take it as it is
    got = {x.person_id for split in ("train", "test") if (out / f"{split}_pairs.txt").read_text()
           for x in read_dataset(out, split=split)}
    assert got == set(meta)
    # (the photo's own bytes are kept)
    one = meta["22222_00"]
    assert (out / one["split"] / "image" / "22222_00.jpg").read_bytes() == (photos / "22222_00.jpg").read_bytes()
    # stopped and started again: nothing is analysed twice
    stamp = {p: p.stat().st_mtime_ns for p in out.rglob("*.png")}
    again = build_real_dataset(photos, out, workers=1, val_people=1, seed=0)
    assert again.skipped_done == 4 and again.written == 0 and (again.train, again.test) == (s.train, s.test)
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*.png")} == stamp


def one_split(meta: dict, sid: str) -> str:
    return meta[sid]["split"]


def test_the_command_line(photos, tmp_path):
    cmd = [sys.executable, "-m", "fitroom.cli", "data", "real"]
    p = subprocess.run([*cmd, "--images", str(photos), "--out", str(tmp_path / "o"), "--val-people", "1",
                        "--workers", "2"], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    assert "1 refused (NoPersonError 1" in p.stdout
    p = subprocess.run([*cmd, "--images", str(tmp_path / "nope"), "--out", str(tmp_path / "o2")],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 2 and p.stderr.strip().startswith("error: --images") and "Traceback" not in p.stderr


@pytest.mark.realdata
def test_on_real_people(tmp_path):
    src = Path(__file__).resolve().parents[3] / "shared" / "realpeople" / "image"
    if not src.is_dir():
        pytest.skip("../shared/realpeople is absent")
    s = build_real_dataset(src, tmp_path / "rp", workers=2, val_people=2, limit=8)
    assert s.photos == 8 and s.failed <= 1 and s.train + s.test == 8 - s.failed and s.test >= 2


def test_labels_beside_the_images_go_to_meta(tmp_path):
    import json

    from fitroom.data.real import read_labels

    images = tmp_path / "people" / "image"
    images.mkdir(parents=True)
    for n in ("a_00.jpg", "b_00.jpg"):
        (images / n).write_bytes(b"")
    (tmp_path / "people" / "skin_tone.json").write_text(json.dumps({"a_00.jpg": "light", "b_00.jpg": "dark"}))
    (tmp_path / "people" / "other.json").write_text(json.dumps({"unrelated.jpg": "x"}))  # names no photo here
    assert read_labels(None, images) == {"skin_tone": {"a_00.jpg": "light", "b_00.jpg": "dark"}}
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    with pytest.raises(ValueError, match="mapping photo file names"):
        read_labels([bad], images)
