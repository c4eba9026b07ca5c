"""Trainer: training reduces the loss, exact resume after Ctrl-C, EMA math, logging, errors."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from fitroom.errors import FitroomError
from fitroom.training.config import ExperimentConfig, TrainConfig, load_config
from fitroom.training.losses import hinge_d_loss, hinge_g_loss, l1_loss
from fitroom.training.trainer import (
    EMA,
    DeviceError,
    ResumableSampler,
    StepContext,
    TaskBase,
    Trainer,
    make_grid,
    resolve_device,
    seed_everything,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "configs" / "example_toy.yaml"


class ToyData(torch.utils.data.Dataset):
    """y = tanh(x @ A) images of 3x4x4; each item draws augmentation noise from the global
    numpy and python RNGs (so exact resume must restore them)."""

    def __init__(self, n: int, seed: int = 0):
        g = torch.Generator().manual_seed(seed)
        self.x = torch.randn(n, 3, 4, 4, generator=g)
        a = torch.randn(48, 48, generator=torch.Generator().manual_seed(123)) / 7
        self.y = torch.tanh(self.x.flatten(1) @ a).view(n, 3, 4, 4)

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        jitter = float(np.random.uniform(-0.01, 0.01)) + random.uniform(-0.01, 0.01)
        return {"x": self.x[i] + jitter, "y": self.y[i]}


class ToyGanTask(TaskBase):
    """A generator with dropout and BatchNorm (RNG and buffers), an MLP discriminator, alternating
    hinge D and G updates."""

    def __init__(self, cfg: ExperimentConfig, interrupt_at: int = 0):
        hidden = cfg.model.params.get("hidden", 32)
        self.gen = nn.Sequential(nn.Flatten(), nn.Linear(48 + 8, hidden), nn.BatchNorm1d(hidden), nn.ReLU(),
                                 nn.Dropout(cfg.model.params.get("dropout", 0.1)), nn.Linear(hidden, 48))
        self.disc = nn.Sequential(nn.Flatten(), nn.Linear(96, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, 1))
        o = cfg.optim
        self.opt_g = torch.optim.Adam(self.gen.parameters(), o.lr_g, betas=o.betas, weight_decay=o.weight_decay)
        self.opt_d = torch.optim.Adam(self.disc.parameters(), o.lr_d, betas=o.betas, weight_decay=o.weight_decay)
        self.w = cfg.loss
        self.interrupt_at = interrupt_at
        self.calls = 0

    def models(self):
        return {"gen": self.gen, "disc": self.disc}

    def optimizers(self):
        return {"gen": self.opt_g, "disc": self.opt_d}

    def generate(self, x, net=None):
        z = torch.randn(x.shape[0], 8, device=x.device) * 0.01  # noise: torch RNG
        return (net or self.gen)(torch.cat([x.flatten(1), z], 1)).view_as(x)

    def step(self, batch, *, train):
        x, y = batch["x"], batch["y"]
        with self.ctx.autocast():
            fake = self.generate(x)
            loss_d = hinge_d_loss(self.disc(torch.cat([x, y], 1)), self.disc(torch.cat([x, fake.detach()], 1)))
        if train:
            self.ctx.optimize(loss_d, "disc")
        with self.ctx.autocast():
            l1 = l1_loss(fake, y)
            adv = hinge_g_loss(self.disc(torch.cat([x, fake], 1)))
            loss_g = self.w.l1 * l1 + self.w.adversarial * adv
        if train:
            self.ctx.optimize(loss_g, "gen")
            self.calls += 1
            if self.calls == self.interrupt_at:
                os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C in the middle of a step
        return {"loss_d": loss_d.item(), "loss_g": loss_g.item(), "l1": l1.item()}

    def sample_images(self, batch):
        x = batch["x"]
        net = self.ctx.ema_or_model("gen")
        return {"input": x.clamp(-1, 1), "output": self.generate(x, net).clamp(-1, 1), "target": batch["y"]}


def _cfg(tmp_path: Path, *overrides: str) -> ExperimentConfig:
    return load_config(
        ExperimentConfig, EXAMPLE,
        [f"train.run_dir={tmp_path / 'run'}", "train.progress=false", *overrides],
    )


def _run(cfg: ExperimentConfig, interrupt_at: int = 0, n: int = 44):
    seed_everything(cfg.train.seed)
    task = ToyGanTask(cfg, interrupt_at=interrupt_at)
    trainer = Trainer(task, cfg.train, train_data=ToyData(n), val_data=ToyData(12, seed=1),
                      grad_clip=cfg.optim.grad_clip, experiment=cfg)
    return trainer, trainer.fit()


def _read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_training_reduces_loss_and_writes_run_dir(tmp_path):
    cfg = _cfg(tmp_path, "train.steps=150", "train.log_every=10", "train.val_every=50", "train.ckpt_every=50",
               "optim.lr_g=3e-3")
    trainer, result = _run(cfg)
    run = tmp_path / "run"
    recs = _read_jsonl(run / "scalars.jsonl")
    train = [r for r in recs if r["split"] == "train"]
    val = [r for r in recs if r["split"] == "val"]
    assert result["step"] == 150 and not result["stopped_early"]
    assert train[-1]["l1"] < 0.65 * train[0]["l1"], (train[0], train[-1])
    assert [r["step"] for r in val] == [50, 100, 150] and val[-1]["l1"] < val[0]["l1"]
    assert all(r["it_per_s"] > 0 for r in train)
    # resolved config written back, loadable, equal to the run's config
    assert load_config(ExperimentConfig, run / "config.yaml") == cfg
    ckpts = sorted(p.name for p in (run / "checkpoints").glob("step_*.pt"))
    assert ckpts == ["step_0000050.pt", "step_0000100.pt", "step_0000150.pt"]
    assert (run / "checkpoints" / "latest").read_text().strip() == "step_0000150.pt"
    samples = sorted(p.name for p in (run / "samples").glob("*.png"))
    assert samples == ["step_0000030.png", "step_0000060.png", "step_0000090.png", "step_0000120.png", "step_0000150.png"]
    from PIL import Image

    assert Image.open(run / "samples" / samples[0]).size == (4 * 8, 3 * 8)  # 4 items x 3 rows, 2px pad
    try:
        import tensorboard  # noqa: F401
    except ImportError:
        pass
    else:
        assert list((run / "tb").glob("events.out.tfevents.*"))
    # EMA copy is in the checkpoint and differs from the raw weights
    state = torch.load(run / "checkpoints" / "step_0000150.pt", weights_only=True)
    assert set(state["ema"]) == {"gen"}
    assert not torch.equal(state["ema"]["gen"]["1.weight"], state["models"]["gen"]["1.weight"])
    # evaluation uses the same step under no_grad and leaves models in train mode
    metrics = trainer.evaluate()
    assert set(metrics) == {"loss_d", "loss_g", "l1"} and trainer.models["gen"].training


def _all_state(trainer: Trainer) -> dict[str, torch.Tensor]:
    out = {}
    for name, m in trainer.models.items():
        out.update({f"model.{name}.{k}": v for k, v in m.state_dict().items()})
    for name, e in trainer.emas.items():
        out.update({f"ema.{name}.{k}": v for k, v in e.state_dict().items()})
    for name, o in trainer.opts.items():
        for pid, st in o.state_dict()["state"].items():
            out.update({f"opt.{name}.{pid}.{k}": v for k, v in st.items() if torch.is_tensor(v)})
    return out


#: set by test_ctrl_c_works_when_sigint_was_ignored_at_launch for the pytest it starts
_EXPECT_SIGINT_IGNORED = "FITROOM_TEST_SIGINT_IGNORED_AT_LAUNCH"


def test_exact_resume_after_ctrl_c_is_bit_identical(tmp_path):
    before = signal.getsignal(signal.SIGINT)  # default_int_handler, or SIG_IGN (`cmd &`)
    if os.environ.get(_EXPECT_SIGINT_IGNORED):
        assert before is signal.SIG_IGN
    steps = ["train.steps=37", "train.ckpt_every=10", "train.val_every=8", "train.sample_every=6",
             "train.log_every=5", "train.keep_checkpoints=0"]
    full, res_full = _run(_cfg(tmp_path / "a", *steps))
    # same run, Ctrl-C during step 13 (mid-epoch: 44 items / 8 = 5 batches per epoch)
    cfg_b = _cfg(tmp_path / "b", *steps)
    part, res_part = _run(cfg_b, interrupt_at=13)
    assert res_part["stopped_early"] and res_part["step"] == 13
    assert (tmp_path / "b/run/checkpoints/step_0000013.pt").is_file()
    assert signal.getsignal(signal.SIGINT) is before  # the handler from before is back
    # fresh process state: different seeds everywhere, then resume
    seed_everything(999)
    resumed, res_resumed = _run(replace(cfg_b, train=replace(cfg_b.train, resume="auto")))
    assert res_resumed["step"] == 37 and not res_resumed["stopped_early"]
    a, b = _all_state(full), _all_state(resumed)
    assert a.keys() == b.keys()
    different = [k for k in a if not torch.equal(a[k], b[k])]
    assert not different, different
    assert res_full["val"] == res_resumed["val"]
    # and the comparison is meaningful: a run with another seed ends elsewhere
    other, _ = _run(_cfg(tmp_path / "c", *steps, "train.seed=1"))
    assert not torch.equal(_all_state(other)["model.gen.1.weight"], a["model.gen.1.weight"])


@pytest.mark.slow
def test_ctrl_c_works_when_sigint_was_ignored_at_launch(tmp_path):
    """``cmd &`` in a script, ``trap '' INT``: the process starts with SIGINT ignored. The
    trainer still stops cleanly on SIGINT (checkpoint, exact resume) and leaves SIGINT
    ignored afterwards; run as its own pytest so the ignored disposition is inherited."""
    env = {**os.environ, _EXPECT_SIGINT_IGNORED: "1"}
    root = Path(__file__).resolve().parents[2]
    r = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--basetemp", str(tmp_path / "inner"),
         f"{Path(__file__).resolve()}::test_exact_resume_after_ctrl_c_is_bit_identical"],
        cwd=root, env=env, capture_output=True, text=True, timeout=600,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    assert "1 passed" in r.stdout, r.stdout[-2000:]


def test_sigint_handler_is_restored_whatever_was_there(tmp_path):
    """A short run interrupted by SIGINT, under each inherited disposition: it stops after the
    step, and the handler from before (SIG_IGN, SIG_DFL, a function) is back afterwards."""
    cfg = _cfg(tmp_path, "train.steps=6", "train.sample_every=0", "train.val_every=0", "train.log_every=0",
               "train.ckpt_every=0")
    seen = []
    before = signal.getsignal(signal.SIGINT)
    try:
        for i, inherited in enumerate((signal.SIG_IGN, signal.SIG_DFL, lambda *a: seen.append(a))):
            signal.signal(signal.SIGINT, inherited)
            _, res = _run(replace(cfg, train=replace(cfg.train, run_dir=str(tmp_path / str(i) / "run"))),
                          interrupt_at=2)
            assert res["stopped_early"] and res["step"] == 2, inherited
            assert (tmp_path / str(i) / "run/checkpoints/step_0000002.pt").is_file()
            assert signal.getsignal(signal.SIGINT) is inherited
        assert seen == []  # the inherited handler never saw the trainer's SIGINT
    finally:
        signal.signal(signal.SIGINT, before)


def test_a_handler_from_outside_python_is_left_alone(tmp_path, monkeypatch):
    """``getsignal`` gives ``None`` for a handler installed from C, which ``signal.signal``
    could not put back: the trainer then installs none rather than leave its own behind."""
    real_getsignal, before = signal.getsignal, signal.getsignal(signal.SIGINT)
    monkeypatch.setattr(signal, "getsignal", lambda signum: None)
    _, res = _run(_cfg(tmp_path, "train.steps=2", "train.sample_every=0", "train.val_every=0"))
    assert res["step"] == 2
    assert real_getsignal(signal.SIGINT) is before


def test_resume_auto_without_checkpoint_starts_fresh(tmp_path):
    _, res = _run(_cfg(tmp_path, "train.steps=3", "train.resume=auto", "train.sample_every=0"))
    assert res["step"] == 3


def test_resume_from_missing_path_is_clear(tmp_path):
    with pytest.raises(FitroomError, match="does not exist"):
        _run(_cfg(tmp_path, "train.steps=3", f"train.resume={tmp_path / 'nope.pt'}"))


def test_ema_update_math_with_warm_up():
    lin = nn.Linear(2, 1)
    with torch.no_grad():
        lin.weight.fill_(1.0)
        lin.bias.fill_(0.0)
    ema = EMA(lin, decay=0.9)
    assert not any(p.requires_grad for p in ema.module.parameters()) and not ema.module.training
    with torch.no_grad():
        lin.weight.fill_(2.0)
        lin.bias.fill_(-1.0)
    # warm-up: the first update uses d = 1/10, the second 2/11, ... capped at the decay
    assert ema.current_decay() == pytest.approx(0.1)
    ema.update(lin)
    assert torch.allclose(ema.module.weight, torch.full((1, 2), 0.1 * 1.0 + 0.9 * 2.0))
    assert ema.current_decay() == pytest.approx(2 / 11)
    w1 = 0.1 * 1.0 + 0.9 * 2.0
    ema.update(lin)
    assert torch.allclose(ema.module.weight, torch.full((1, 2), (2 / 11) * w1 + (9 / 11) * 2.0))
    ema.updates = 1000
    assert ema.current_decay() == pytest.approx(0.9)
    # the count travels with the state (exact resume), and loads into a fresh EMA
    sd = ema.state_dict()
    other = EMA(lin, decay=0.9)
    other.load_state_dict(sd)
    assert other.updates == 1000 and torch.equal(other.module.weight, ema.module.weight)
    bn = nn.BatchNorm1d(2)
    e2 = EMA(bn, 0.5)
    bn.running_mean.fill_(3.0)
    e2.update(bn)
    assert torch.equal(e2.module.running_mean, bn.running_mean)  # buffers copied
    with pytest.raises(ValueError):
        EMA(lin, 1.5)


def test_step_context_clips_gradients():
    lin = nn.Linear(3, 1, bias=False)
    opt = torch.optim.SGD(lin.parameters(), lr=1.0)
    ctx = StepContext(grad_clip=0.5, optimizers={"m": opt})
    before = lin.weight.detach().clone()
    norm = ctx.optimize((lin(torch.ones(1, 3)) * 100).sum(), "m")
    assert norm == pytest.approx(100 * 3**0.5, rel=1e-5)
    assert (before - lin.weight).norm().item() == pytest.approx(0.5, rel=1e-5)
    assert not ctx.amp  # AMP is a no-op on CPU
    with pytest.raises(KeyError, match="no optimizer named 'x'"):
        ctx.optimize(lin(torch.ones(1, 3)).sum(), "x")


def test_sampler_resumes_mid_epoch():
    data = list(range(10))
    full = ResumableSampler(data, batch_size=3, seed=5)
    full.set_epoch(2)
    order = list(full)
    part = ResumableSampler(data, batch_size=3, seed=5)
    part.set_position(2, 2)
    assert list(part) == order[6:] and len(part) == 4


def test_make_grid_shape_and_range():
    g = make_grid({"a": torch.full((3, 3, 4, 5), -1.0), "m": torch.ones(2, 1, 4, 5)}, value_range=(-1, 1), pad=1)
    assert g.shape == (3, 2 * 6, 2 * 7) and g.min() >= 0 and g.max() <= 1


def test_device_errors():
    if not torch.cuda.is_available():
        with pytest.raises(DeviceError, match="no usable CUDA GPU"):
            resolve_device("cuda")
        assert resolve_device("auto").type == "cpu"
    with pytest.raises(DeviceError, match="unknown device"):
        resolve_device("tpu")
    assert resolve_device("cpu") == torch.device("cpu")


def test_unknown_ema_module_and_tiny_dataset(tmp_path):
    cfg = _cfg(tmp_path, "train.ema_modules=[generator]")
    with pytest.raises(FitroomError, match="ema_modules"):
        Trainer(ToyGanTask(cfg), cfg.train, train_data=ToyData(16))
    cfg = _cfg(tmp_path)
    with pytest.raises(FitroomError, match="fewer than one batch"):
        Trainer(ToyGanTask(cfg), cfg.train, train_data=ToyData(3))


def test_progress_bar_runs(tmp_path):
    cfg = _cfg(tmp_path, "train.steps=4", "train.progress=true", "train.sample_every=0")
    _, res = _run(cfg)
    assert res["step"] == 4


def test_task_protocol_default_context_works_without_trainer():
    cfg = load_config(ExperimentConfig, EXAMPLE)
    task = ToyGanTask(cfg)
    out = task.step(ToyData(4)[0] | {"x": torch.zeros(2, 3, 4, 4), "y": torch.zeros(2, 3, 4, 4)}, train=True)
    assert set(out) == {"loss_d", "loss_g", "l1"}
    assert isinstance(TrainConfig(), TrainConfig)


def test_time_budget_ends_training_like_the_last_step(tmp_path):
    # a budget of ~0 minutes: the first step is past it, so training ends there with a
    # checkpoint, a log line and a sample grid, and is not "stopped early"
    cfg = _cfg(tmp_path, "train.steps=1000", "train.max_minutes=1e-9", "train.log_every=10",
               "train.sample_every=100", "train.ckpt_every=500")
    _, result = _run(cfg)
    run = tmp_path / "run"
    assert result["step"] == 1 and not result["stopped_early"]
    assert (run / "checkpoints" / "latest").read_text().strip() == "step_0000001.pt"
    assert [r["step"] for r in _read_jsonl(run / "scalars.jsonl") if r["split"] == "train"] == [1]
    assert (run / "samples" / "step_0000001.png").is_file()
