"""The garment design and search commands as a user runs them.

Most run in-process through ``fitroom.cli.main`` (the same code path as the console script,
without a new interpreter per command); one test runs the real entry point in a subprocess,
and the designs it writes are then tried on with ``fitroom tryon``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from fitroom import cli
from fitroom import models as fm
from fitroom.data.render_garment import render_garment
from fitroom.examples import example_garments, example_person
from fitroom.garment import analyze_garment
from fitroom.imaging import load_image, save_image

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
FITROOM = [sys.executable, "-m", "fitroom.cli"]


def fitroom(capsys, *args) -> tuple[int, str, str]:
    """Run ``fitroom ARGS`` in-process: (exit code, stdout, stderr)."""
    old = sys.argv
    sys.argv = ["fitroom", *map(str, args)]
    code = 0
    try:
        cli.main()
    except SystemExit as e:
        code = int(e.code or 0)
    finally:
        sys.argv = old
    out = capsys.readouterr()
    return code, out.out, out.err


def one_line_error(code: int, err: str, phrase: str) -> None:
    assert code == 2, err
    lines = [ln for ln in err.strip().splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and phrase in lines[0], err
    assert "Traceback" not in err


@pytest.fixture(scope="module")
def catalog(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("cat")
    for i, cat in enumerate(["dress", "short-sleeve top", "long-sleeve top", "sleeveless top"] * 2):
        save_image(root / f"g{i}.png", render_garment(cat, size=(192, 256), seed=300 + i).image)
    return root


def test_data_and_train_commands(capsys, tmp_path):
    code, out, err = fitroom(capsys, "data", "garments", "--out", tmp_path / "g", "--count", 12, "--size", 32)
    assert code == 0 and "wrote 12 garments" in out, err
    code, out, err = fitroom(capsys, "data", "textures", "--out", tmp_path / "t", "--count", 20, "--size", 16)
    assert code == 0 and (tmp_path / "t" / "preview.png").is_file(), err
    code, out, err = fitroom(capsys, "train", "vae", "-c", CONFIGS / "vae.yaml", "--data", tmp_path / "g", "--out",
                             tmp_path / "vae", "--threads", 1, "data.size=[32,32]", "model.params.channels=[8,16]",
                             "model.params.latent_dim=4", "train.steps=3", "train.batch_size=4", "train.val_every=3",
                             "train.sample_every=3", "train.sample_count=2")
    assert code == 0 and "model saved to" in out, err
    assert isinstance(fm.load(tmp_path / "vae" / "final"), fm.GarmentVAE)
    code, out, err = fitroom(capsys, "train", "texture-gan", "-c", CONFIGS / "texture_gan.yaml", "--data", tmp_path / "t",
                             "--out", tmp_path / "gan", "--threads", 1, "data.size=[16,16]",
                             "model.params.channels=[16,8]", "model.params.disc.base_channels=8",
                             "model.params.disc.n_layers=2", "model.params.disc.num_scales=1", "train.steps=3", "train.batch_size=4",
                             "train.sample_every=3", "train.sample_count=2")
    assert code == 0 and "model saved to" in out, err
    gan = fm.load(tmp_path / "gan" / "final")
    assert isinstance(gan, fm.TextureGAN)
    # the trained generator plugs into the design command
    code, out, err = fitroom(capsys, "design", "texture", "-o", tmp_path / "tile.png", "--weights", tmp_path / "gan" / "final")
    assert code == 0 and load_image(tmp_path / "tile.png").shape == (32, 32, 3), err
    # config errors: one line
    code, _, err = fitroom(capsys, "train", "vae", "-c", CONFIGS / "vae.yaml", "--data", tmp_path / "g", "--out",
                           tmp_path / "vae2", "train.steps=1")
    one_line_error(code, err, "32x32")  # data.size 128 vs a 32x32 set
    code, _, err = fitroom(capsys, "train", "texture-gan", "-c", CONFIGS / "texture_gan.yaml", "--data", tmp_path / "g",
                           "--out", tmp_path / "gan2")
    one_line_error(code, err, "not a texture set")


def test_embed_similar(capsys, catalog, tmp_path):
    code, out, err = fitroom(capsys, "garments", "embed", catalog, "-o", tmp_path / "index.npz")
    assert code == 0 and "8 garments (0 skipped)" in out, err
    code, out, err = fitroom(capsys, "garments", "similar", catalog / "g0.png", "--index", tmp_path / "index.npz",
                             "-k", 3, "--sheet", tmp_path / "sheet.png")
    assert code == 0, err
    rows = [ln.split("\t") for ln in out.splitlines() if "\t" in ln]
    assert [r[0] for r in rows] == ["1", "2", "3"] and all("g0.png" not in r[3] for r in rows)
    assert load_image(tmp_path / "sheet.png").shape[1] > 3 * 160
    code, out, err = fitroom(capsys, "garments", "similar", catalog / "g0.png", "--index", tmp_path / "index.npz",
                             "-k", 3, "--blocks", "shape=1,print=1,colour=0")
    assert code == 0 and len([ln for ln in out.splitlines() if "\t" in ln]) == 3, err
    code, _, err = fitroom(capsys, "garments", "similar", catalog / "g0.png", "--index", tmp_path / "index.npz",
                           "--blocks", "sleeves=1")
    one_line_error(code, err, "unknown embedding block")
    code, _, err = fitroom(capsys, "garments", "similar", example_person(), "--index", tmp_path / "index.npz")
    one_line_error(code, err, "background")  # a person photo is not a garment
    code, _, err = fitroom(capsys, "garments", "similar", catalog / "g0.png", "--index", tmp_path / "nope.npz")
    one_line_error(code, err, "does not exist")
    code, _, err = fitroom(capsys, "garments", "embed", tmp_path / "missing", "-o", tmp_path / "i.npz")
    one_line_error(code, err, "not a folder")


def test_clean(capsys, tmp_path):
    g = render_garment("dress", size=(288, 384), seed=4)
    rng = np.random.default_rng(0)
    noisy = np.clip(g.image * 0.6 + rng.normal(0, 12, g.image.shape), 0, 255).astype(np.uint8)
    save_image(tmp_path / "noisy.png", noisy)
    code, out, err = fitroom(capsys, "garments", "clean", tmp_path / "noisy.png", "-o", tmp_path / "clean.png")
    assert code == 0 and "noise sigma" in out, err
    clean = load_image(tmp_path / "clean.png")
    assert clean.shape == noisy.shape and (tmp_path / "clean_mask.png").is_file()
    assert clean[:5].mean() > 250  # white backdrop
    code, out, err = fitroom(capsys, "garments", "clean", tmp_path / "noisy.png", "-o", tmp_path / "c2.png",
                             "--vae-weight", 0.5)
    assert code == 0, err
    code, _, err = fitroom(capsys, "garments", "clean", example_person(), "-o", tmp_path / "x.png")
    one_line_error(code, err, "background")
    (tmp_path / "fake.png").write_text("hello")
    code, _, err = fitroom(capsys, "garments", "clean", tmp_path / "fake.png", "-o", tmp_path / "x.png")
    one_line_error(code, err, "text")


def test_design_commands(capsys, tmp_path):
    a, b = example_garments()[:2]
    code, out, err = fitroom(capsys, "design", "interpolate", a, b, "-o", tmp_path / "interp", "--steps", 3)
    assert code == 0 and len(list((tmp_path / "interp").glob("interp_??.png"))) == 3, err
    assert (tmp_path / "interp" / "sheet.png").is_file() and (tmp_path / "interp" / "interp_00_mask.png").is_file()
    code, out, err = fitroom(capsys, "design", "vary", b, "-o", tmp_path / "vary", "-n", 2, "--strength", 0.4)
    assert code == 0 and len(list((tmp_path / "vary").glob("vary_??.png"))) == 2, err
    code, out, err = fitroom(capsys, "design", "texture", "-o", tmp_path / "prints.png", "-n", 4)
    assert code == 0 and "4 prints" in out, err
    code, out, err = fitroom(capsys, "design", "texture", "--apply-to", a, "-o", tmp_path / "new.png", "--seed", 2)
    assert code == 0, err
    new, old = load_image(tmp_path / "new.png"), load_image(a)
    assert new.shape == old.shape and analyze_garment(new).category == analyze_garment(old).category
    code, out, err = fitroom(capsys, "design", "texture", "--apply-to", a, "-o", tmp_path / "new2.png",
                             "--texture", tmp_path / "prints.png")
    assert code == 0, err
    for args, phrase in [
        (("design", "vary", example_person(), "-o", tmp_path / "v2"), "background"),
        (("design", "interpolate", a, Path(__file__), "-o", tmp_path / "i2"), "text"),
        (("design", "texture", "--apply-to", example_person(), "-o", tmp_path / "t.png"), "background"),
        (("design", "sample", "-o", tmp_path / "s", "--temperature", 0), "temperature"),
        (("design", "vary", b, "-o", tmp_path / "v3", "--weights", tmp_path), "config.json"),
    ]:
        code, _, err = fitroom(capsys, *args)
        one_line_error(code, err, phrase)


def test_sampled_designs_can_be_tried_on(tmp_path):
    """The real console entry point: sample garments, then dress the example person in one."""
    p = subprocess.run([*FITROOM, "design", "sample", "-o", str(tmp_path), "-n", "2", "--seed", "3"],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    designs = sorted(tmp_path.glob("sample_??.png"))
    assert len(designs) == 2
    p = subprocess.run([*FITROOM, "tryon", str(example_person()), str(designs[0]), "-o", str(tmp_path / "tryon.png")],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    assert load_image(tmp_path / "tryon.png").shape == load_image(example_person()).shape
