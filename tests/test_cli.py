"""The command line, run as a user runs it: a subprocess with the installed console script."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from skimage import data as skdata

from fitroom.data.keypoints import write_openpose_json
from fitroom.examples import example_garments, example_person
from fitroom.imaging import load_image
from fitroom.labels import KeypointFormat

FITROOM = [sys.executable, "-m", "fitroom.cli"]


def run(*args, check_ok=True):
    p = subprocess.run([*FITROOM, *map(str, args)], capture_output=True, text=True, timeout=300)
    if check_ok:
        assert p.returncode == 0, p.stderr
    return p


def assert_one_line_error(p, phrase):
    assert p.returncode == 2
    lines = [ln for ln in p.stderr.strip().splitlines() if ln.strip()]
    assert len(lines) == 1, p.stderr
    assert lines[0].startswith("error: ") and phrase in lines[0]
    assert "Traceback" not in p.stderr


def test_tryon_writes_result_and_debug_dir(tmp_path):
    out = tmp_path / "out.png"
    p = run("tryon", example_person(), example_garments()[0], "-o", out, "--debug-dir", tmp_path / "dbg")
    assert out.exists() and "wrote" in p.stdout
    assert load_image(out).shape == load_image(example_person()).shape
    assert len(list((tmp_path / "dbg").glob("*.png"))) == 7


def test_tryon_with_given_keypoints(tmp_path):
    from fitroom.person.analyze import analyze_person

    kp = analyze_person(load_image(example_person())).keypoints
    js = write_openpose_json(tmp_path / "kp.json", kp, KeypointFormat.BODY25)
    run("tryon", example_person(), example_garments()[0], "-o", tmp_path / "o.png", "--keypoints", js)


@pytest.mark.parametrize("kind", ["missing", "text", "truncated", "cat", "huge", "bad_keypoints", "trousers"])
def test_user_mistakes_give_one_line_and_exit_2(tmp_path, kind):
    person, garment = example_person(), example_garments()[0]
    extra = []
    phrase = ""
    if kind == "missing":
        person, phrase = tmp_path / "nope.jpg", "not found"
    elif kind == "text":
        person = tmp_path / "notes.jpg"
        person.write_text("hello, this is not a photo")
        phrase = "JPEG, PNG or WebP"
    elif kind == "truncated":
        data = Path(person).read_bytes()
        person = tmp_path / "cut.jpg"
        person.write_bytes(data[: len(data) // 2])
        phrase = "incomplete"
    elif kind == "cat":
        person = tmp_path / "cat.png"
        Image.fromarray(skdata.chelsea()).save(person)
        phrase = "no person"
    elif kind == "huge":
        extra, phrase = ["--max-megapixels", "0.1"], "megapixels"
    elif kind == "bad_keypoints":
        k = tmp_path / "kp.json"
        k.write_text(json.dumps({"people": []}))
        extra, phrase = ["--keypoints", k], "no people"
    elif kind == "trousers":
        from fitroom.data.render_garment import render_garment
        from fitroom.labels import GarmentCategory

        garment = tmp_path / "trousers.png"
        Image.fromarray(render_garment(GarmentCategory.TROUSERS, seed=1).image).save(garment)
        phrase = "trousers"
    p = run("tryon", person, garment, "-o", tmp_path / "o.png", *extra, check_ok=False)
    assert_one_line_error(p, phrase)
    assert not (tmp_path / "o.png").exists()
    line = p.stderr.strip()
    # one style (lower case after "error:"), and the input it is about is named
    assert line[len("error: ")].islower() or line[len("error: "):].startswith(("--", "JPEG"))
    if kind in ("missing", "text", "truncated", "cat"):
        assert line.startswith(f"error: person {person}: ")
    if kind == "trousers":
        assert line.startswith(f"error: garment {garment}: ")
    if kind == "cat":  # the same advice as the web app's
        assert "face the camera with your upper body in view" in line


def test_tryon_many_people_and_garments_in_one_run(tmp_path):
    people = tmp_path / "people"
    people.mkdir()
    (people / "astronaut.jpg").write_bytes(Path(example_person()).read_bytes())
    Image.fromarray(skdata.chelsea()).save(people / "cat.png")
    bad = tmp_path / "notes.png"
    bad.write_text("not a photo")
    g1, g2 = example_garments()[:2]
    out = tmp_path / "out"
    p = run("tryon", "--person", people, g1, g2, bad, "-o", out, "--engine", "classical", check_ok=False)
    assert p.returncode == 2  # some inputs failed; the others were tried on
    assert sorted(f.name for f in out.iterdir()) == sorted(f"astronaut__{g.stem}.png" for g in (g1, g2))
    errors = [ln for ln in p.stderr.splitlines() if ln.strip()]
    assert len(errors) == 2, p.stderr
    assert any(ln.startswith(f"error: garment {bad}: ") for ln in errors)
    assert any(ln.startswith(f"error: person {people / 'cat.png'}: no person") for ln in errors)
    assert "Traceback" not in p.stderr
    # one person and one garment: -o is the file; several into a file is refused
    p = run("tryon", example_person(), g1, g2, "-o", tmp_path / "one.png", check_ok=False)
    assert p.returncode == 0 and (tmp_path / "one.png").is_dir()
    (tmp_path / "file.png").write_bytes(b"x")
    assert_one_line_error(run("tryon", example_person(), g1, g2, "-o", tmp_path / "file.png", check_ok=False),
                          "need a folder")


def test_help_shows_no_type_on_flags():
    for cmd in ("tryon", "evaluate", "demo"):
        p = run(cmd, "--help")
        assert "<bool>" not in p.stdout and "--help" in p.stdout


def test_demo_runs_on_bundled_examples(tmp_path):
    p = run("demo", "--out", tmp_path / "demo")
    assert (tmp_path / "demo" / "contact_sheet.png").exists()
    assert len(list((tmp_path / "demo").glob("*.png"))) == len(example_garments()) + 1


@pytest.mark.realdata
@pytest.mark.slow
def test_evaluate_on_real_data(realdata, tmp_path):
    out = tmp_path / "report"
    run("evaluate", "--data", realdata / "viton256_paired", "--out", out)
    m = json.loads((out / "metrics.json").read_text())
    s = m["subsets"]["viton256_paired"]
    assert s["n"] == 5
    # 000001's product photo shows two tops: refused with a reason, never a crash
    assert s["failures_by_cause"] == {"UnsupportedGarmentError": 1}
    assert 0.5 < s["ssim"] <= 1.0 and s["psnr"] > 10
    assert s["garment_mask_iou"] > 0.9
    ok = [r["person"] for r in m["samples"] if r["status"] == "ok"]
    assert sorted(p.stem for p in (out / "images").iterdir()) == sorted(ok)


def test_evaluate_on_a_missing_folder_is_a_clear_error(tmp_path):
    p = run("evaluate", "--data", tmp_path / "nothing", "--out", tmp_path / "r", check_ok=False)
    assert_one_line_error(p, "")


def test_data_synth_stats_preview_and_evaluate(tmp_path):
    d = tmp_path / "syn"
    p = run("data", "synth", "--out", d, "--count", "12", "--seed", "3", "--workers", "2")
    assert "12 samples" in p.stdout
    assert (d / "train_pairs.txt").exists() and (d / "test" / "image").is_dir()
    st = json.loads(run("data", "stats", d, "--json").stdout)
    assert st["count"] == 12 and "skin_tone" in st["distributions"]
    run("data", "preview", d, "-o", tmp_path / "sheet.png", "--rows", "1")
    assert load_image(tmp_path / "sheet.png").shape[0] > 100
    run("evaluate", "--data", d, "--split", "test", "--out", tmp_path / "ev")
    m = json.loads((tmp_path / "ev" / "metrics.json").read_text())
    s = m["subsets"]["all"]
    assert s["n_paired"] >= 1 and s["ssim"] is not None
    assert "skin_tone" in s["breakdowns"] or s["n_paired"] == 1  # one sample has no spread


@pytest.mark.parametrize("args,phrase", [(["--size", "256by192"], "--size"), (["--count", "0"], "at least 1")])
def test_data_synth_bad_arguments_are_one_line_errors(tmp_path, args, phrase):
    p = run("data", "synth", "--out", tmp_path / "x", *args, check_ok=False)
    assert_one_line_error(p, phrase)


def test_data_stats_of_a_folder_that_is_not_synthetic(tmp_path):
    p = run("data", "stats", tmp_path, check_ok=False)
    assert_one_line_error(p, "meta.jsonl")


def test_tryoff_writes_a_garment_photo_and_mask_ready_to_try_on(tmp_path):
    out = tmp_path / "suit.png"
    p = run("tryoff", example_person(), "-o", out, "--size", "512x384")
    mask = tmp_path / "suit_mask.png"
    assert out.exists() and mask.exists() and "wrote" in p.stdout and "short-sleeve top" in p.stdout
    img, m = load_image(out), np.array(Image.open(mask))
    assert img.shape == (512, 384, 3) and m.shape == (512, 384) and set(np.unique(m)) <= {0, 255}
    assert 0.1 < (m > 0).mean() < 0.9
    # what a try-off makes, a try-on takes
    run("tryon", example_person(), out, "-o", tmp_path / "again.png")


@pytest.mark.parametrize("args, phrase", [
    (["{garment}", "-o", "{tmp}/g.png"], "no person found"),
    (["{person}", "-o", "{tmp}/g.gif"], ".png or .jpg"),
    (["{person}", "-o", "{tmp}/g.png", "--size", "huge"], "--size"),
    (["{tmp}/nope.jpg", "-o", "{tmp}/g.png"], "not found"),
])
def test_tryoff_mistakes_give_one_line_and_exit_2(tmp_path, args, phrase):
    fill = {"garment": example_garments()[0], "person": example_person(), "tmp": tmp_path}
    p = run("tryoff", *[a.format(**fill) for a in args], check_ok=False)
    assert_one_line_error(p, phrase)


def test_data_anonymize(tmp_path):
    src = tmp_path / "photos"
    src.mkdir()
    Image.open(example_person()).save(src / "ada_lovelace.jpg")
    key = tmp_path / "names.key"
    key.write_text("a secret of the shop, not in the copy")
    p = run("data", "anonymize", src, "--out", tmp_path / "anon", "--key-file", key)
    assert "wrote 1 photos with faces hidden" in p.stdout, p.stdout
    assert [f.suffix for f in (tmp_path / "anon").iterdir()] == [".jpg"]
    assert "ada" not in next((tmp_path / "anon").iterdir()).name
    bad = run("data", "anonymize", src, "--out", src / "inside", check_ok=False)
    assert bad.returncode != 0 and "outside" in bad.stderr and "Traceback" not in bad.stderr
