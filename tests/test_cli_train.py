"""``fitroom train warp|tryon`` as a user runs it: a subprocess, tiny config overrides."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from fitroom import models as fm
from fitroom.data.synth.writer import synthesize

FITROOM = [sys.executable, "-m", "fitroom.cli"]
CONFIGS = Path(__file__).resolve().parents[1] / "configs"
TINY = ["train.steps=6", "model.params.base_channels=8", "data.size=[64,48]", "train.batch_size=4",
        "train.log_every=2", "train.sample_every=3", "train.sample_count=2", "train.val_every=0",
        "data.val_limit=2"]


def run(*args):
    return subprocess.run([*FITROOM, *map(str, args)], capture_output=True, text=True, timeout=300)


def assert_one_line_error(p, phrase):
    assert p.returncode == 2, (p.stdout, p.stderr)
    lines = [ln for ln in p.stderr.strip().splitlines() if ln.strip()]
    assert len(lines) == 1, p.stderr
    assert lines[0].startswith("error: ") and phrase in lines[0], lines[0]
    assert "Traceback" not in p.stderr


@pytest.fixture(scope="module")
def synth(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("synth")
    synthesize(root, 12, (64, 48), seed=1, workers=1)
    return root


def test_train_warp_then_tryon_with_it(synth, tmp_path):
    out = tmp_path / "warp"
    p = run("train", "warp", "--config", CONFIGS / "warp.yaml", "--data", synth, "--out", out,
            "--threads", 1, "--device", "cpu", *TINY)
    assert p.returncode == 0, p.stderr
    assert "model saved to" in p.stdout
    assert (out / "config.yaml").is_file() and (out / "scalars.jsonl").is_file()
    resolved = (out / "config.yaml").read_text()
    assert "steps: 6" in resolved and str(synth) in resolved
    assert isinstance(fm.load(out / "final"), fm.WarpFlow)
    assert list((out / "samples").glob("*.png"))

    # continue the same run for 2 more steps
    p = run("train", "warp", "--out", out, "--resume", "--threads", 1, "train.steps=8")
    assert p.returncode == 0, p.stderr
    assert json.loads((out / "scalars.jsonl").read_text().splitlines()[-1])["step"] == 8

    gen = tmp_path / "tryon"
    p = run("train", "tryon", "-c", CONFIGS / "tryon.yaml", "--data", synth, "--out", gen, "--threads", 1,
            *TINY, "train.steps=3", "model.params.depth=3", f"model.params.warp_checkpoint={out / 'final'}")
    assert p.returncode == 0, p.stderr
    assert isinstance(fm.load(gen / "final"), fm.TryOnUNet)


def test_train_errors_are_one_line(synth, tmp_path):
    p = run("train", "warp", "--config", CONFIGS / "warp.yaml", "--data", synth, "--out", tmp_path / "r", "train.stepz=6")
    assert_one_line_error(p, "train.stepz")
    p = run("train", "tryon", "--config", CONFIGS / "tryon.yaml", "--data", synth, "--out", tmp_path / "r",
            "model.params.base_channels=8", "model.params.bogus=1")
    assert_one_line_error(p, "bogus")
    p = run("train", "warp", "--config", CONFIGS / "warp.yaml", "--data", tmp_path / "nowhere", "--out", tmp_path / "r")
    assert_one_line_error(p, "does not exist")
    p = run("train", "warp", "--out", tmp_path / "r", "--resume")
    assert_one_line_error(p, "no checkpoint")
    p = run("train", "warp", "--config", CONFIGS / "warp.yaml", "--data", synth, "--out", tmp_path / "r", "--device", "cuda:7",
            *TINY)
    assert_one_line_error(p, "cuda")


@pytest.mark.slow
def test_train_warp_with_two_processes_under_torchrun(synth, tmp_path):
    """The README's multi-process command: DDP on CPU (gloo), rank 0 saves the model."""
    out = tmp_path / "ddp"
    p = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", "-m", "fitroom.cli",
         "train", "warp", "--config", "configs/warp.yaml", "--data", str(synth), "--out", str(out), "--threads", "1",
         "train.steps=3", "train.batch_size=2", "model.params.base_channels=8", "data.size=[64,48]",
         "train.sample_every=0"],
        capture_output=True, text=True, timeout=300, cwd=Path(__file__).resolve().parents[1])
    assert p.returncode == 0, p.stderr[-2000:]
    assert p.stdout.count("model saved to") == 1
    assert fm.load(out / "final") is not None


@pytest.mark.realdata
@pytest.mark.slow
def test_a_short_training_run_on_real_people_lowers_the_loss(tmp_path):
    """A few steps on a handful of real photos (../shared/realpeople), through the real-data set
    fitroom builds: the warp's training loss falls (it overfits six people)."""
    from fitroom.data.real import build_real_dataset

    src = Path(__file__).resolve().parents[2] / "shared" / "realpeople" / "image"
    if not src.is_dir():
        pytest.skip(f"real photos not found at {src} (../shared/realpeople)")
    photos = tmp_path / "photos"
    photos.mkdir()
    for p in sorted(src.glob("*.jpg"))[:6]:
        (photos / p.name).write_bytes(p.read_bytes())
    data = tmp_path / "real"
    s = build_real_dataset(photos, data, workers=1, val_people=1)
    assert s.train >= 4
    out = tmp_path / "warp"
    p = run("train", "warp", "--config", CONFIGS / "warp.yaml", "--data", data, "--out", out, "--threads", 2,
            "--device", "cpu", "train.steps=60", "model.params.base_channels=8", "data.size=[128,96]",
            "train.batch_size=4", "train.log_every=5", "train.sample_every=0", "train.val_every=0",
            "data.augment=false", "optim.lr_g=1e-3", "data.val_limit=2")
    assert p.returncode == 0, p.stderr
    rows = [json.loads(x) for x in (out / "scalars.jsonl").read_text().splitlines()]
    losses = [r["loss"] for r in rows if r.get("split") == "train" and "loss" in r]
    assert len(losses) >= 10
    first, last = sum(losses[:3]) / 3, sum(losses[-3:]) / 3
    assert last < 0.8 * first, losses  # measured: about 0.6x in 60 steps
