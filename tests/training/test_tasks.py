"""The warp and try-on training tasks, end to end on a tiny synthetic dataset (64x48, tiny
models): losses go down, checkpoints are written and resumed, RUN/final loads."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
import torch

from fitroom import models as fm
from fitroom.data.synth.writer import synthesize
from fitroom.training.config import ConfigError
from fitroom.training.tasks import build_datasets, build_task, load_task_config, train, worn_garment
from fitroom.training.tasks.tryon import TryOnTask
from fitroom.training.tasks.warp import WarpTask

CONFIGS = Path(__file__).resolve().parents[2] / "configs"

#: a fixed batch (4 un-augmented samples, batch size 4) and tiny models, so 20 steps show
#: a clear loss decrease
TINY = [
    "data.size=[64,48]", "data.limit=4", "data.augment=false", "data.val_limit=4",
    "train.batch_size=4", "train.log_every=1", "train.ckpt_every=10", "train.sample_every=10",
    "train.sample_count=2", "train.val_every=10", "train.val_batches=1", "train.progress=false",
    "model.params.base_channels=8",
]


@pytest.fixture(scope="module")
def synth(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("synth")
    synthesize(root, 12, (64, 48), seed=1, workers=1)
    return root


def _losses(run: Path, key: str) -> list[float]:
    recs = [json.loads(line) for line in (run / "scalars.jsonl").read_text().splitlines()]
    return [r[key] for r in recs if r["split"] == "train" and key in r]


def _first_last(values: list[float], n: int = 5) -> tuple[float, float]:
    return sum(values[:n]) / n, sum(values[-n:]) / n


@pytest.fixture(scope="module")
def warp_run(synth, tmp_path_factory) -> tuple[Path, dict]:
    run = tmp_path_factory.mktemp("run") / "warp"
    result = train("warp", CONFIGS / "warp.yaml", data=synth, out=run,
                   overrides=[*TINY, "train.steps=20", "optim.lr_g=1e-3", "train.ema_decay=0.9"])
    return run, result


def test_warp_loss_decreases_checkpoints_and_final_loads(warp_run):
    run, result = warp_run
    assert result["step"] == 20 and not result["stopped_early"]
    first, last = _first_last(_losses(run, "loss"))
    assert last < 0.9 * first, (first, last)
    assert (run / "config.yaml").is_file() and (run / "checkpoints" / "latest").is_file()
    assert sorted(p.name for p in (run / "samples").glob("*.png")) == ["step_0000010.png", "step_0000020.png"]
    assert any(json.loads(line)["split"] == "val" for line in (run / "scalars.jsonl").read_text().splitlines())
    model = fm.load(run / "final")
    assert isinstance(model, fm.WarpFlow) and model.config.base_channels == 8
    meta = json.loads((run / "final" / "config.json").read_text())["metadata"]
    assert meta["task"] == "warp" and meta["steps"] == 20 and meta["ema"] is True
    assert model.input_size == (64, 48)


def test_warp_resume_continues_and_refuses_to_overwrite(warp_run, tmp_path):
    run, _ = warp_run
    with pytest.raises(Exception, match="--resume"):
        train("warp", CONFIGS / "warp.yaml", data=run.parent, out=run, overrides=TINY)
    # a copy, so the fixture's run stays as it was for the other tests
    import shutil

    copy = tmp_path / "warp"
    shutil.copytree(run, copy)
    result = train("warp", None, data=None, out=copy, resume=True, overrides=["train.steps=24"])
    assert result["step"] == 24
    steps = [json.loads(line)["step"] for line in (copy / "scalars.jsonl").read_text().splitlines()]
    assert steps[-1] == 24 and 21 in steps
    assert fm.load(copy / "final").config.base_channels == 8
    with pytest.raises(Exception, match="no checkpoint"):
        train("warp", CONFIGS / "warp.yaml", data=run.parent, out=tmp_path / "empty", resume=True)


def test_tryon_with_frozen_warp_trains_and_saves_ema_generator(synth, warp_run, tmp_path):
    warp_dir = warp_run[0] / "final"
    run = tmp_path / "tryon"
    result = train("tryon", CONFIGS / "tryon.yaml", data=synth, out=run,
                   overrides=[*TINY, "train.steps=20", "optim.lr_g=1e-3", "optim.lr_d=1e-3",
                              "model.params.depth=3", f"model.params.warp_checkpoint={warp_dir}",
                              "train.ema_decay=0.9"])
    assert result["step"] == 20
    first, last = _first_last(_losses(run, "l1_raw"))
    assert last < 0.9 * first, (first, last)
    for key in ("loss_d", "g_adv", "g_fm", "g_ssim", "g_mask"):
        assert _losses(run, key), key
    gen = fm.load(run / "final")
    assert isinstance(gen, fm.TryOnUNet) and gen.config.depth == 3
    # the EMA weights were saved, not the live generator's
    ckpt = torch.load(run / "checkpoints" / "step_0000020.pt", map_location="cpu", weights_only=True)
    ema = ckpt["ema"]["gen"]
    name = next(k for k in ema if k.endswith("weight"))
    assert torch.equal(gen.state_dict()[name], ema[name])
    assert not torch.equal(ema[name], ckpt["models"]["gen"][name])
    assert "warp" not in ckpt["models"]  # the frozen warp is not part of the run's state


def test_tryon_teacher_forcing_uses_the_worn_garment(synth):
    cfg = load_task_config("tryon", CONFIGS / "tryon.yaml",
                           [*TINY, f"data.root={synth}", "model.params.depth=3"])
    task = build_task("tryon", cfg)
    assert isinstance(task, TryOnTask) and task.teacher_forcing
    train_ds, val_ds = build_datasets(cfg)
    assert len(train_ds) == 4 and val_ds is not None
    batch = {k: torch.stack([train_ds[i][k] for i in range(2)]) for k in ("person", "garment", "garment_mask",
                                                                           "parse", "keypoints", "agnostic")}
    _, wg, wm = task.inputs(batch)
    target, tmask = worn_garment(batch)
    assert torch.equal(wg, target) and torch.equal(wm, tmask) and tmask.sum() > 0
    logs = task.step(batch, train=True)
    assert {"loss_g", "loss_d", "g_l1"} <= set(logs) and all(v == v for v in logs.values())
    rows = task.sample_images(batch)
    assert list(rows) == ["person", "garment", "warped", "rendered", "composition_mask", "result"]


def test_warp_task_losses_and_samples(synth):
    cfg = load_task_config("warp", CONFIGS / "warp.yaml",
                           [*TINY, f"data.root={synth}", "loss.mask_loss=bce", "loss.tv_order=1"])
    task = build_task("warp", cfg)
    assert isinstance(task, WarpTask)
    train_ds, _ = build_datasets(cfg)
    batch = {k: torch.stack([train_ds[i][k] for i in range(2)]) for k in ("person", "garment", "garment_mask",
                                                                           "parse", "keypoints", "agnostic")}
    logs = task.step(batch, train=False)
    assert {"l1", "mask", "levels", "tv", "loss", "mask_iou"} <= set(logs)
    assert logs["loss"] == pytest.approx(logs["l1"] + logs["mask"] + logs["levels"] + logs["tv"], rel=1e-5)
    assert list(task.sample_images(batch)) == ["garment", "warped", "target", "person", "overlay"]


@pytest.mark.parametrize(
    ("kind", "override", "phrase"),
    [
        ("warp", "model.params.base_chanels=8", "base_chanels"),
        ("warp", "loss.ssim=1", "loss.ssim"),
        ("tryon", "model.params.disc={num_scale: 2}", "model.params.disc"),
        ("warp", "model.name=tryon-unet", "trains 'warp-flow'"),
    ],
)
def test_bad_config_is_a_config_error(kind, override, phrase, synth):
    with pytest.raises(ConfigError, match=phrase):
        cfg = load_task_config(kind, CONFIGS / f"{kind}.yaml", [*TINY, f"data.root={synth}", override])
        build_task(kind, cfg)


def test_warp_checkpoint_must_be_a_warp_model(synth, tmp_path):
    fm.build("tryon-unet", base_channels=8, depth=3).save_pretrained(tmp_path / "gen")
    cfg = load_task_config("tryon", CONFIGS / "tryon.yaml",
                           [*TINY, f"data.root={synth}", f"model.params.warp_checkpoint={tmp_path / 'gen'}"])
    with pytest.raises(ConfigError, match="not a 'warp-flow'"):
        build_task("tryon", cfg)


def test_configs_load_with_their_defaults():
    warp = load_task_config("warp", CONFIGS / "warp.yaml")
    tryon = load_task_config("tryon", CONFIGS / "tryon.yaml")
    assert warp.data.split == "train" and warp.data.size == (256, 192) and warp.train.batch_size == 8
    assert tryon.optim.lr_d == 4e-4 and tryon.train.ema_modules == ("gen",) and tryon.optim.grad_clip == 1.0


def test_init_from_fine_tunes_a_saved_model(synth, warp_run, tmp_path):
    saved = fm.load(warp_run[0] / "final")
    run = tmp_path / "ft"
    # 0 learning rate: the fine-tuned model must come out exactly as it went in
    train("warp", CONFIGS / "warp.yaml", data=synth, out=run,
          overrides=[*TINY, "train.steps=2", "optim.lr_g=0", f"train.init_from={warp_run[0]}"])
    tuned = fm.load(run / "final")
    for k, v in saved.state_dict().items():
        assert torch.equal(v, tuned.state_dict()[k]), k
    # another architecture or another config is refused with a clear message
    with pytest.raises(ConfigError, match="holds a 'warp-flow'"):
        train("tryon", CONFIGS / "tryon.yaml", data=synth, out=tmp_path / "x",
              overrides=[*TINY, "train.steps=1", f"train.init_from={warp_run[0]}"])
    with pytest.raises(ConfigError, match="does not fit"):
        train("warp", CONFIGS / "warp.yaml", data=synth, out=tmp_path / "y",
              overrides=[*TINY, "train.steps=1", "model.params.base_channels=4", f"train.init_from={warp_run[0]}"])
    with pytest.raises(ConfigError, match="no saved model"):
        train("warp", CONFIGS / "warp.yaml", data=synth, out=tmp_path / "z",
              overrides=[*TINY, "train.steps=1", f"train.init_from={tmp_path}"])


def test_warp_flow_loss_lowers_the_end_point_error(synth, tmp_path):
    """loss.flow supervises the warp with the exact flow of the synthetic data: 20 steps of
    it alone lower the logged end-point error (pixels)."""
    run = tmp_path / "flow"
    train("warp", CONFIGS / "warp.yaml", data=synth, out=run,
          overrides=[*TINY, "train.steps=20", "optim.lr_g=1e-3", "loss.l1=0", "loss.mask=0", "loss.tv=0",
                     "loss.flow=1.0"])
    epe = _losses(run, "epe_px")
    assert len(epe) == 20 and all(v > 0 for v in epe)
    first, last = _first_last(epe)
    assert last < 0.8 * first, (first, last)
    assert _losses(run, "flow")  # the weighted term is logged too
    val = [json.loads(line) for line in (run / "scalars.jsonl").read_text().splitlines()]
    assert [r["epe_px"] for r in val if r["split"] == "val"]  # and the validation curve


def test_warp_logs_epe_without_the_flow_loss(warp_run):
    run, _ = warp_run  # loss.flow = 0 (the default), on data with texture coordinates
    assert len(_losses(run, "epe_px")) == 20 and not _losses(run, "flow")


def test_warp_flow_loss_needs_data_with_texture_coords(synth, tmp_path):
    """A clear one-line error before the first step, whichever split lacks the coordinates
    (a ValueError, and a ConfigError so that the CLI prints one line)."""
    import shutil

    for splits in (("train", "test"), ("test",)):
        data = tmp_path / ("nocoords-" + "-".join(splits))
        shutil.copytree(synth, data)
        for split in splits:
            shutil.rmtree(data / split / "texture-coords")
        run = tmp_path / ("run-" + "-".join(splits))
        with pytest.raises(ValueError, match="texture-coords") as e:
            train("warp", CONFIGS / "warp.yaml", data=data, out=run,
                  overrides=[*TINY, "train.steps=2", "loss.flow=1.0"])
        assert isinstance(e.value, ConfigError) and "\n" not in str(e.value)
        assert f"split '{splits[0]}'" in str(e.value) and "fitroom data synth" in str(e.value)
        assert not (run / "scalars.jsonl").exists()
    # with the weight at 0 the same data trains (no exact flow, so no epe_px)
    run = tmp_path / "run-off"
    train("warp", CONFIGS / "warp.yaml", data=tmp_path / "nocoords-train-test", out=run,
          overrides=[*TINY, "train.steps=2"])
    assert _losses(run, "loss") and not _losses(run, "epe_px")


def test_warp_flow_term_and_epe_in_a_step(synth):
    cfg = load_task_config("warp", CONFIGS / "warp.yaml", [*TINY, f"data.root={synth}", "loss.flow=0.5"])
    task = build_task("warp", cfg)
    train_ds, _ = build_datasets(cfg)
    keys = ("person", "garment", "garment_mask", "parse", "keypoints", "agnostic", "garment_flow", "garment_flow_valid")
    batch = {k: torch.stack([train_ds[i][k] for i in range(2)]) for k in keys}
    logs = task.step(batch, train=False)
    assert logs["flow"] > 0 and logs["epe_px"] > 0
    assert logs["loss"] == pytest.approx(sum(logs[k] for k in ("l1", "mask", "levels", "tv", "flow")), rel=1e-5)
    # the exact flow itself has no error
    out = task.forward(batch)
    exact = dataclasses.replace(out, flow=batch["garment_flow"], flows=[batch["garment_flow"]])
    assert task.losses(exact, batch, *worn_garment(batch))["flow"] < 1e-2
    # a batch without the exact flow: the term cannot be computed
    del batch["garment_flow"], batch["garment_flow_valid"]
    with pytest.raises(ValueError, match="texture-coords"):
        task.step(batch, train=False)
