"""One Trainer for every training task: seeding, devices, AMP, EMA, checkpoints with exact
resume, logging, progress, validation, interruption and multi-process (DDP) training.

The model-specific part lives in a *task* (see :class:`Task`): it owns its modules and
optimizers and implements one ``step(batch, *, train)`` used for training, validation and
evaluation. The trainer hands the task a :class:`StepContext` (``task.attach(ctx)``) through
which the task runs its forward passes under autocast and its optimizer updates::

    class MyTask(TaskBase):
        def __init__(self, gen, disc, cfg):
            self.gen, self.disc = gen, disc
            self.opt_g = torch.optim.Adam(gen.parameters(), cfg.lr_g, betas=cfg.betas)
            self.opt_d = torch.optim.Adam(disc.parameters(), cfg.lr_d, betas=cfg.betas)
        def models(self):     return {"gen": self.gen, "disc": self.disc}
        def optimizers(self): return {"gen": self.opt_g, "disc": self.opt_d}
        def step(self, batch, *, train):
            x, y = batch["x"], batch["y"]
            with self.ctx.autocast():
                fake = self.gen(x)
                loss_d = hinge_d_loss(self.disc(y), self.disc(fake.detach()))
            if train:
                self.ctx.optimize(loss_d, "disc")          # zero_grad, backward, all-reduce,
            with self.ctx.autocast():                        # unscale, clip, step, scaler update
                loss_g = l1_loss(fake, y) + hinge_g_loss(self.disc(fake))
            if train:
                self.ctx.optimize(loss_g, "gen")
            return {"loss_d": loss_d.item(), "loss_g": loss_g.item()}
        def sample_images(self, batch):
            return {"input": batch["x"], "output": self.ctx.ema("gen")(batch["x"]), "target": batch["y"]}

    seed_everything(cfg.train.seed)                # before building modules: same init every run
    task = MyTask(Gen(), Disc(), cfg.optim)
    Trainer(task, cfg.train, train_data=ds, val_data=val_ds, grad_clip=cfg.optim.grad_clip,
            experiment=cfg).fit()

Distributed training: launch with ``torchrun --nproc_per_node N train.py`` (or
``python -m torch.distributed.run``). The trainer sees ``RANK``/``WORLD_SIZE``/``LOCAL_RANK``,
initialises the process group (gloo on CPU, nccl on CUDA), broadcasts every module's
parameters and buffers from rank 0, shards the data with a ``DistributedSampler``, and
:meth:`StepContext.optimize` averages the gradients of the optimizer's parameters over the
ranks before clipping and stepping. This is what ``DistributedDataParallel`` does, done at
the optimizer step instead of inside the module: it needs no wrapping (so tasks keep calling
their own modules), and alternating GAN updates (D called on fakes in both the D and the G
update, parameters without gradients in one of them) work without ``find_unused_parameters``
or ``requires_grad`` juggling. Buffers (BatchNorm statistics) are re-broadcast from rank 0
after every step, as DDP's ``broadcast_buffers`` does. Only rank 0 logs, samples and writes
checkpoints; validation metrics are averaged over ranks.

Exact resume: checkpoints hold models, EMA copies, optimizers, grad scalers, the step, the
data position (epoch and batches consumed) and the RNG states of python, numpy and torch
(CPU and CUDA) of every rank. The data order comes from a seeded per-epoch permutation, and
data loaders get their own generator, so a run stopped at step k and resumed reaches the same
weights at step n as an uninterrupted run, bit for bit on CPU. With ``num_workers > 0`` this
also needs the dataset's randomness to come from the item index (as
:class:`~fitroom.data.torch_dataset.TryOnDataset` does), not from worker RNG streams.

Ctrl-C (SIGINT) on the main thread asks the loop to stop after the current step; the trainer
then saves a checkpoint and returns. A second Ctrl-C aborts at once without saving. The
trainer's handler is installed for the loop whatever handler was there before, also when
SIGINT was ignored at launch (``cmd &``, ``trap '' INT``: ``kill -INT`` still stops a
background run cleanly), and the handler that was there before is put back afterwards. Only
a handler installed outside Python (``signal.getsignal`` gives ``None``), which could not be
put back, is left alone.
"""

from __future__ import annotations

import copy
import json
import os
import random
import signal
import threading
import time
import warnings
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import torch
import torch.distributed as dist
from torch import Tensor, nn
from torch.utils.data import DataLoader, Dataset, DistributedSampler

from fitroom.errors import FitroomError

from .config import TrainConfig, config_to_dict, dump_config

__all__ = [
    "EMA",
    "DeviceError",
    "DistInfo",
    "ResumableSampler",
    "StepContext",
    "Task",
    "TaskBase",
    "Trainer",
    "init_distributed",
    "make_grid",
    "move_to_device",
    "resolve_device",
    "seed_everything",
]


class DeviceError(FitroomError):
    """The requested device is not available on this machine."""

    code = "device_unavailable"


# --------------------------------------------------------------------------- seeding & devices
def seed_everything(seed: int, *, deterministic: bool = False) -> None:
    """Seed python's ``random``, numpy's global RNG and torch (CPU and all CUDA devices).

    ``deterministic=True`` also makes torch use deterministic algorithms (erroring on ops that
    have none) and turns off cuDNN autotuning.
    """
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    if deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True)
        torch.backends.cudnn.benchmark = False
        torch.backends.cudnn.deterministic = True
    else:
        torch.backends.cudnn.benchmark = True  # fixed input sizes: let cuDNN pick the fastest kernels


def resolve_device(spec: str, local_rank: int | None = None) -> torch.device:
    """``"cpu"``, ``"cuda"``, ``"cuda:N"`` or ``"auto"`` -> a torch device.

    Under torchrun, ``"cuda"`` means ``cuda:LOCAL_RANK``. Raises :class:`DeviceError` when CUDA
    is asked for but absent.
    """
    spec = spec.strip().lower()
    if spec == "auto":
        spec = "cuda" if torch.cuda.is_available() else "cpu"
    if spec == "cpu":
        return torch.device("cpu")
    if spec.startswith("cuda"):
        if not torch.cuda.is_available():
            raise DeviceError(
                f"device '{spec}' was requested but this machine has no usable CUDA GPU "
                "(or this PyTorch build has no CUDA support); use device=cpu or device=auto."
            )
        dev = torch.device(spec)
        if dev.index is None:
            dev = torch.device("cuda", local_rank or 0)
        if dev.index >= torch.cuda.device_count():
            raise DeviceError(f"device '{dev}' does not exist; this machine has {torch.cuda.device_count()} GPU(s).")
        return dev
    raise DeviceError(f"unknown device '{spec}'; use cpu, cuda, cuda:N or auto.")


def move_to_device(obj: Any, device: torch.device) -> Any:
    """Tensors inside dicts/lists/tuples/dataclass-like objects with ``.to`` moved to ``device``."""
    if isinstance(obj, Tensor):
        return obj.to(device, non_blocking=True)
    if isinstance(obj, Mapping):
        return {k: move_to_device(v, device) for k, v in obj.items()}
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return type(obj)(*(move_to_device(v, device) for v in obj))
    if isinstance(obj, (list, tuple)):
        return type(obj)(move_to_device(v, device) for v in obj)
    if hasattr(obj, "to") and callable(obj.to):
        return obj.to(device)
    return obj


# --------------------------------------------------------------------------- distributed
@dataclass(frozen=True)
class DistInfo:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def init_distributed(device_spec: str) -> tuple[DistInfo, bool]:
    """Initialise the process group when launched by torchrun (``WORLD_SIZE`` > 1).

    Returns the rank info and whether this call created the process group (so the caller
    destroys it). Backend: nccl for CUDA devices, gloo otherwise.
    """
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return DistInfo(), False
    info = DistInfo(int(os.environ["RANK"]), world, int(os.environ.get("LOCAL_RANK", "0")))
    if dist.is_initialized():
        return info, False
    use_cuda = device_spec.startswith("cuda") or (device_spec == "auto" and torch.cuda.is_available())
    if use_cuda and torch.cuda.is_available():
        torch.cuda.set_device(info.local_rank)
        dist.init_process_group("nccl", device_id=torch.device("cuda", info.local_rank))
    else:
        dist.init_process_group("gloo")
    return info, True


class ResumableSampler(DistributedSampler):
    """A :class:`DistributedSampler` (also for one process) that can start mid-epoch.

    Each epoch is a permutation seeded by ``seed + epoch`` (same on every rank), split across
    ranks; :meth:`set_position` skips the first ``batches`` batches of an epoch, so a resumed
    run sees exactly the items an uninterrupted run would.
    """

    def __init__(self, dataset: Dataset, *, batch_size: int, shuffle: bool = True, seed: int = 0,
                 num_replicas: int = 1, rank: int = 0, drop_last: bool = False):
        super().__init__(dataset, num_replicas=num_replicas, rank=rank, shuffle=shuffle, seed=seed, drop_last=drop_last)
        self.batch_size = batch_size
        self.start_batch = 0

    def set_position(self, epoch: int, batches: int) -> None:
        self.set_epoch(epoch)
        self.start_batch = batches

    def __iter__(self) -> Iterator[int]:
        indices = list(super().__iter__())
        return iter(indices[self.start_batch * self.batch_size:])

    def __len__(self) -> int:
        return max(0, self.num_samples - self.start_batch * self.batch_size)

    def batches_per_epoch(self) -> int:
        return self.num_samples // self.batch_size


# --------------------------------------------------------------------------- EMA
class EMA:
    """Exponential moving average of a module's parameters (``p_ema <- d * p_ema + (1 - d) * p``);
    buffers are copied. ``module`` is a frozen deep copy in eval mode.

    The decay warms up as ``d_n = min(decay, (1 + n) / (10 + n))`` after ``n`` updates, so
    the random initial weights do not linger in the average of a short run (with a fixed
    0.999 they would still weigh 74% after 300 steps).
    """

    def __init__(self, model: nn.Module, decay: float):
        if not 0.0 <= decay <= 1.0:
            raise ValueError(f"EMA decay must be in [0, 1], got {decay}")
        self.decay = decay
        self.updates = 0
        self.module = copy.deepcopy(model).eval().requires_grad_(False)

    def current_decay(self) -> float:
        return min(self.decay, (1 + self.updates) / (10 + self.updates))

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        d = self.current_decay()
        for pe, p in zip(self.module.parameters(), model.parameters(), strict=True):
            pe.lerp_(p.detach().to(pe.dtype), 1.0 - d)
        for be, b in zip(self.module.buffers(), model.buffers(), strict=True):
            be.copy_(b)
        self.updates += 1

    def state_dict(self) -> dict[str, Tensor]:
        """The averaged module's state plus the update count (``_ema_updates``)."""
        sd = dict(self.module.state_dict())
        sd["_ema_updates"] = torch.tensor(self.updates, dtype=torch.int64)
        return sd

    def load_state_dict(self, sd: Mapping[str, Tensor]) -> None:
        sd = dict(sd)
        n = sd.pop("_ema_updates", None)
        self.updates = int(n) if n is not None else 0
        self.module.load_state_dict(sd)


# --------------------------------------------------------------------------- task protocol
@runtime_checkable
class Task(Protocol):
    """What the :class:`Trainer` needs from a training task.

    ``models()`` and ``optimizers()`` are called once, at the trainer's construction, and must
    return the same objects the task uses (the trainer moves the modules to the device in
    place, so optimizers built before keep working). ``step`` does forward, losses and, when
    ``train`` is true, backward and optimizer updates (through ``self.ctx.optimize``) and
    returns plain floats to log. ``sample_images`` returns [B,3,H,W] images in [0, 1] or
    [-1, 1] (``sample_range``) for the grid. ``attach(ctx)`` is optional: the trainer calls it
    with the :class:`StepContext` before training.
    """

    def models(self) -> dict[str, nn.Module]: ...

    def optimizers(self) -> dict[str, torch.optim.Optimizer]: ...

    def step(self, batch: Any, *, train: bool) -> dict[str, float]: ...

    def sample_images(self, batch: Any) -> dict[str, Tensor]: ...


class StepContext:
    """What a task's ``step`` uses from the trainer: device, autocast, optimizer updates, EMA.

    A task not attached to a trainer (e.g. in evaluation) gets the default: CPU, no AMP, no
    clipping, one process.
    """

    def __init__(self, *, device: torch.device | str = "cpu", amp: bool = False, grad_clip: float = 0.0,
                 dist_info: DistInfo | None = None, optimizers: Mapping[str, torch.optim.Optimizer] | None = None,
                 emas: Mapping[str, EMA] | None = None, models: Mapping[str, nn.Module] | None = None):
        self.device = torch.device(device)
        self.amp = bool(amp) and self.device.type == "cuda"
        self.grad_clip = float(grad_clip)
        self.dist = dist_info or DistInfo()
        self.optimizers = dict(optimizers or {})
        self.emas = dict(emas or {})
        self.models = dict(models or {})
        self.scalers = {name: torch.amp.GradScaler("cuda", enabled=self.amp) for name in self.optimizers}
        self.step = 0  # completed training steps, set by the trainer

    def autocast(self) -> AbstractContextManager:
        """float16 autocast on CUDA when AMP is on; a no-op otherwise."""
        if self.amp:
            return torch.autocast("cuda", dtype=torch.float16)
        return nullcontext()

    def _optimizer(self, opt: str | torch.optim.Optimizer) -> tuple[str | None, torch.optim.Optimizer]:
        if isinstance(opt, str):
            if opt not in self.optimizers:
                raise KeyError(f"no optimizer named '{opt}'; the task's optimizers are {sorted(self.optimizers)}")
            return opt, self.optimizers[opt]
        for name, o in self.optimizers.items():
            if o is opt:
                return name, o
        return None, opt

    def optimize(self, loss: Tensor, optimizer: str | torch.optim.Optimizer, *, retain_graph: bool = False) -> float | None:
        """One update of ``optimizer`` from ``loss``: zero grads, (scaled) backward, average the
        gradients across ranks, unscale, clip to ``grad_clip`` (global L2 norm over the
        optimizer's parameters), step, update the grad scaler. Returns the gradient norm before
        clipping when clipping is on, else None."""
        name, opt = self._optimizer(optimizer)
        scaler = self.scalers.get(name) if name else None
        if scaler is None:
            scaler = torch.amp.GradScaler("cuda", enabled=self.amp)
            if name:
                self.scalers[name] = scaler
        opt.zero_grad(set_to_none=True)
        scaler.scale(loss).backward(retain_graph=retain_graph)
        params = [p for g in opt.param_groups for p in g["params"] if p.grad is not None]
        if self.dist.enabled:
            _allreduce_mean([p.grad for p in params], self.dist.world_size)
        norm = None
        if self.grad_clip > 0:
            scaler.unscale_(opt)
            norm = float(torch.nn.utils.clip_grad_norm_(params, self.grad_clip))
        scaler.step(opt)
        scaler.update()
        return norm

    def ema(self, name: str) -> nn.Module:
        """The EMA copy of model ``name`` (eval mode, no grads)."""
        if name not in self.emas:
            raise KeyError(f"no EMA of '{name}'; EMA is kept for {sorted(self.emas)} (train.ema_modules)")
        return self.emas[name].module

    def ema_or_model(self, name: str) -> nn.Module:
        return self.emas[name].module if name in self.emas else self.models[name]


def _allreduce_mean(tensors: list[Tensor], world: int) -> None:
    by_dtype: dict[tuple, list[Tensor]] = {}
    for t in tensors:
        by_dtype.setdefault((t.dtype, t.device), []).append(t)
    for ts in by_dtype.values():
        flat = torch.cat([t.reshape(-1) for t in ts])
        dist.all_reduce(flat)
        flat /= world
        offset = 0
        for t in ts:
            n = t.numel()
            t.copy_(flat[offset:offset + n].view_as(t))
            offset += n


class TaskBase:
    """Convenience base for tasks: ``self.ctx`` is the trainer's :class:`StepContext` once
    attached, and before that a default one (CPU, no AMP, no clipping, one process) built from
    the task's own ``models()`` and ``optimizers()``, so a task also runs without a trainer."""

    _ctx: StepContext | None = None

    @property
    def ctx(self) -> StepContext:
        if self._ctx is None:
            self._ctx = StepContext(optimizers=self.optimizers(), models=self.models())
        return self._ctx

    def attach(self, ctx: StepContext) -> None:
        self._ctx = ctx

    def models(self) -> dict[str, nn.Module]:
        raise NotImplementedError

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        raise NotImplementedError

    def sample_images(self, batch: Any) -> dict[str, Tensor]:
        return {}


# --------------------------------------------------------------------------- images & logging
def make_grid(images: Mapping[str, Tensor], *, value_range: tuple[float, float] = (0.0, 1.0), pad: int = 2) -> Tensor:
    """One [3,H',W'] grid in [0, 1]: one row per key, one column per batch item.

    Every value is [B,C,H,W] with C in {1, 3} (1 is repeated to grey), all the same H, W;
    values are mapped from ``value_range`` to [0, 1] and clamped.
    """
    rows = []
    lo, hi = value_range
    n = min(t.shape[0] for t in images.values())
    for t in images.values():
        t = t[:n].detach().float().cpu()
        if t.shape[1] == 1:
            t = t.expand(-1, 3, -1, -1)
        t = ((t - lo) / (hi - lo)).clamp(0, 1)
        t = torch.nn.functional.pad(t, (pad, pad, pad, pad), value=1.0)
        rows.append(torch.cat(list(t), dim=2))
    return torch.cat(rows, dim=1)


def _save_png(grid: Tensor, path: Path) -> None:
    from PIL import Image

    arr = (grid.permute(1, 2, 0).numpy() * 255 + 0.5).astype(np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(arr).save(path)


class _Logger:
    """Scalars to ``scalars.jsonl`` always, and to TensorBoard when it is installed."""

    def __init__(self, run_dir: Path, *, purge_step: int | None):
        self.path = run_dir / "scalars.jsonl"
        self.tb = None
        try:
            from torch.utils.tensorboard import SummaryWriter
        except Exception:  # tensorboard not installed (or an incompatible protobuf)
            SummaryWriter = None
        if SummaryWriter is not None:
            self.tb = SummaryWriter(str(run_dir / "tb"), purge_step=purge_step)

    def scalars(self, step: int, split: str, values: Mapping[str, float]) -> None:
        rec = {"step": step, "split": split, "time": time.time(), **{k: float(v) for k, v in values.items()}}
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(rec) + "\n")
        if self.tb is not None:
            for k, v in values.items():
                self.tb.add_scalar(f"{split}/{k}", float(v), step)

    def image(self, step: int, tag: str, grid: Tensor) -> None:
        if self.tb is not None:
            self.tb.add_image(tag, grid, step)

    def close(self) -> None:
        if self.tb is not None:
            self.tb.close()


# --------------------------------------------------------------------------- RNG state
def _rng_state() -> dict[str, Any]:
    np_state = np.random.get_state()
    state = {
        "python": random.getstate(),
        "numpy": {"name": np_state[0], "keys": torch.from_numpy(np_state[1].astype(np.int64)), "pos": int(np_state[2]),
                  "has_gauss": int(np_state[3]), "cached_gaussian": float(np_state[4])},
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state: Mapping[str, Any]) -> None:
    py = state["python"]
    random.setstate((py[0], tuple(py[1]), py[2]))
    n = state["numpy"]
    np.random.set_state((n["name"], n["keys"].numpy().astype(np.uint32), n["pos"], n["has_gauss"], n["cached_gaussian"]))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


# --------------------------------------------------------------------------- trainer
class Trainer:
    """Runs a :class:`Task` for ``config.steps`` optimizer steps.

    Args:
        task: the model-specific part (see :class:`Task`).
        config: run settings (steps, batch size, intervals, EMA, AMP, seed, device, run dir, resume).
        train_data: a map-style dataset; the trainer builds its loader (seeded order, exact resume,
            sharded under DDP, ``drop_last`` so every step sees ``batch_size`` items per rank).
        val_data: optional dataset for validation every ``val_every`` steps and sample grids.
        grad_clip: max gradient norm per optimizer update (0 = off); usually ``cfg.optim.grad_clip``.
        experiment: the whole experiment config, written to ``run_dir/config.yaml`` and into
            checkpoints (defaults to ``config``).
        collate_fn, num_workers: passed to the data loaders.
        sample_range: value range of ``task.sample_images`` outputs, (0, 1) or (-1, 1).
    """

    def __init__(self, task: Task, config: TrainConfig, *, train_data: Dataset, val_data: Dataset | None = None,
                 grad_clip: float = 0.0, experiment: Any = None, collate_fn=None, num_workers: int = 0,
                 sample_range: tuple[float, float] = (-1.0, 1.0)):
        self.task, self.cfg = task, config
        self.experiment = experiment if experiment is not None else config
        self.dist, self._owns_pg = init_distributed(config.device)
        self.device = resolve_device(config.device, self.dist.local_rank if self.dist.enabled else None)
        seed_everything(config.seed + self.dist.rank, deterministic=config.deterministic)
        self.run_dir = Path(config.run_dir)
        self.ckpt_dir = self.run_dir / "checkpoints"
        self.sample_range = sample_range
        self.collate_fn, self.num_workers = collate_fn, num_workers

        self.models = dict(task.models())
        self.opts = dict(task.optimizers())
        unknown = [n for n in config.ema_modules if n not in self.models]
        if unknown:
            raise FitroomError(f"train.ema_modules names {unknown}, but the task's models are {sorted(self.models)}.")
        for m in self.models.values():
            m.to(self.device)
        if self.dist.enabled:
            for m in self.models.values():
                for t in list(m.parameters()) + list(m.buffers()):
                    dist.broadcast(t.data, src=0)
        self.emas = {n: EMA(self.models[n], config.ema_decay) for n in config.ema_modules}
        self.ctx = StepContext(device=self.device, amp=config.amp, grad_clip=grad_clip, dist_info=self.dist,
                               optimizers=self.opts, emas=self.emas, models=self.models)
        if hasattr(task, "attach"):
            task.attach(self.ctx)

        if len(train_data) < config.batch_size * self.dist.world_size:
            raise FitroomError(
                f"the training set has {len(train_data)} items, fewer than one batch "
                f"({config.batch_size} x {self.dist.world_size} process(es))."
            )
        self.train_sampler = ResumableSampler(train_data, batch_size=config.batch_size, shuffle=True, seed=config.seed,
                                              num_replicas=self.dist.world_size, rank=self.dist.rank, drop_last=True)
        self.train_data, self.val_data = train_data, val_data
        self.step = 0
        self.epoch = 0
        self.batch_in_epoch = 0
        self._stop = False
        self._logger: _Logger | None = None
        self._sample_batch = self._fixed_sample_batch()

    # ----------------------------------------------------------------- data
    def _loader(self, dataset: Dataset, sampler, *, drop_last: bool, generator_seed: int) -> DataLoader:
        g = torch.Generator()
        g.manual_seed(generator_seed)  # own generator: iterating never touches the global RNG
        return DataLoader(dataset, batch_size=self.cfg.batch_size, sampler=sampler, drop_last=drop_last,
                          num_workers=self.num_workers, collate_fn=self.collate_fn, generator=g,
                          pin_memory=self.device.type == "cuda", persistent_workers=False)

    def _train_batches(self) -> Iterator[Any]:
        while True:
            self.train_sampler.set_position(self.epoch, self.batch_in_epoch)
            if hasattr(self.train_data, "set_epoch"):  # fresh augmentation draws per epoch
                self.train_data.set_epoch(self.epoch)
            loader = self._loader(self.train_data, self.train_sampler, drop_last=True,
                                  generator_seed=self.cfg.seed * 100003 + self.epoch)
            for batch in loader:
                yield batch
            self.epoch += 1
            self.batch_in_epoch = 0

    def _fixed_sample_batch(self) -> Any:
        if not self.dist.is_main or self.cfg.sample_every <= 0:
            return None
        data = self.val_data if self.val_data is not None else self.train_data
        n = min(self.cfg.sample_count, len(data))
        state = torch.get_rng_state()
        items = [data[i] for i in range(n)]
        torch.set_rng_state(state)
        collate = self.collate_fn or torch.utils.data.default_collate
        return collate(items)

    # ----------------------------------------------------------------- modes
    def _set_train(self, mode: bool) -> None:
        for m in self.models.values():
            m.train(mode)

    # ----------------------------------------------------------------- checkpoints
    def state_dict(self) -> dict[str, Any]:
        rng = _rng_state()
        if self.dist.enabled:
            rngs: list[Any] = [None] * self.dist.world_size
            dist.all_gather_object(rngs, rng)
        else:
            rngs = [rng]
        return {
            "step": self.step,
            "epoch": self.epoch,
            "batch_in_epoch": self.batch_in_epoch,
            "world_size": self.dist.world_size,
            "models": {n: m.state_dict() for n, m in self.models.items()},
            "ema": {n: e.state_dict() for n, e in self.emas.items()},
            "optimizers": {n: o.state_dict() for n, o in self.opts.items()},
            "scalers": {n: s.state_dict() for n, s in self.ctx.scalers.items()},
            "rng": rngs,
            "config": config_to_dict(self.experiment),
        }

    def save_checkpoint(self, name: str | None = None) -> Path | None:
        """Write ``checkpoints/step_XXXXXXX.pt`` (rank 0 only; all ranks must call it) and
        point ``checkpoints/latest`` at it. Returns the path on rank 0."""
        state = self.state_dict()  # collective under DDP
        if not self.dist.is_main:
            return None
        self.ckpt_dir.mkdir(parents=True, exist_ok=True)
        path = self.ckpt_dir / (name or f"step_{self.step:07d}.pt")
        tmp = path.with_suffix(".tmp")
        torch.save(state, tmp)
        os.replace(tmp, path)
        (self.ckpt_dir / "latest.tmp").write_text(path.name + "\n")
        os.replace(self.ckpt_dir / "latest.tmp", self.ckpt_dir / "latest")
        if self.cfg.keep_checkpoints > 0:
            old = sorted(self.ckpt_dir.glob("step_*.pt"))[: -self.cfg.keep_checkpoints]
            for p in old:
                if p != path:
                    p.unlink(missing_ok=True)
        return path

    def latest_checkpoint(self) -> Path | None:
        marker = self.ckpt_dir / "latest"
        if marker.is_file():
            p = self.ckpt_dir / marker.read_text().strip()
            if p.is_file():
                return p
        found = sorted(self.ckpt_dir.glob("step_*.pt"))
        return found[-1] if found else None

    def load_checkpoint(self, path: str | Path) -> None:
        """Restore everything :meth:`state_dict` saved, for an exact continuation."""
        path = Path(path)
        if not path.is_file():
            raise FitroomError(f"checkpoint {path} does not exist.")
        state = torch.load(path, map_location="cpu", weights_only=True)
        missing = [n for n in self.models if n not in state["models"]]
        if missing:
            raise FitroomError(f"checkpoint {path} has no weights for model(s) {missing}; it holds {sorted(state['models'])}.")
        for n, m in self.models.items():
            m.load_state_dict(state["models"][n])
        for n, e in self.emas.items():
            if n in state["ema"]:
                e.load_state_dict(state["ema"][n])
            else:
                e.module.load_state_dict(self.models[n].state_dict())
        for n, o in self.opts.items():
            o.load_state_dict(state["optimizers"][n])
        for n, s in self.ctx.scalers.items():
            if state["scalers"].get(n):
                s.load_state_dict(state["scalers"][n])
        self.step, self.epoch, self.batch_in_epoch = state["step"], state["epoch"], state["batch_in_epoch"]
        rngs = state["rng"]
        if state.get("world_size", 1) == self.dist.world_size and len(rngs) == self.dist.world_size:
            _set_rng_state(rngs[self.dist.rank])
        else:
            warnings.warn(
                f"checkpoint was written by {state.get('world_size', 1)} process(es), this run has "
                f"{self.dist.world_size}: RNG streams restart from the seed, so the continuation is not bit-exact.",
                stacklevel=2,
            )
            seed_everything(self.cfg.seed + self.dist.rank + self.step)
        self.ctx.step = self.step

    def _maybe_resume(self) -> None:
        spec = self.cfg.resume.strip()
        if not spec:
            return
        path = self.latest_checkpoint() if spec == "auto" else Path(spec)
        if path is None:
            return  # auto: nothing to resume from yet
        self.load_checkpoint(path)

    # ----------------------------------------------------------------- validation & samples
    @torch.no_grad()
    def evaluate(self, data: Dataset | None = None, *, max_batches: int = 0) -> dict[str, float]:
        """Mean of ``task.step(batch, train=False)`` over ``data`` (default: the validation set),
        models in eval mode, under ``torch.no_grad``; averaged over ranks (weighted by batches)."""
        data = data if data is not None else self.val_data
        if data is None:
            return {}
        sampler = DistributedSampler(data, num_replicas=self.dist.world_size, rank=self.dist.rank, shuffle=False)
        loader = self._loader(data, sampler, drop_last=False, generator_seed=0)
        was_training = [m.training for m in self.models.values()]
        self._set_train(False)
        sums: dict[str, float] = {}
        n = 0
        try:
            for i, batch in enumerate(loader):
                if max_batches and i >= max_batches:
                    break
                out = self.task.step(move_to_device(batch, self.device), train=False)
                for k, v in out.items():
                    sums[k] = sums.get(k, 0.0) + float(v)
                n += 1
        finally:
            for m, t in zip(self.models.values(), was_training):
                m.train(t)
        keys = sorted(sums)
        if self.dist.enabled:
            t = torch.tensor([sums[k] for k in keys] + [n], dtype=torch.float64)
            dist.all_reduce(t)
            sums, n = dict(zip(keys, t[:-1].tolist())), int(t[-1])
        return {k: sums[k] / max(n, 1) for k in keys}

    @torch.no_grad()
    def _write_samples(self) -> None:
        if self._sample_batch is None or self._logger is None:
            return
        self._set_train(False)
        try:
            images = self.task.sample_images(move_to_device(self._sample_batch, self.device))
        finally:
            self._set_train(True)
        if not images:
            return
        grid = make_grid(images, value_range=self.sample_range)
        _save_png(grid, self.run_dir / "samples" / f"step_{self.step:07d}.png")
        self._logger.image(self.step, "samples/" + "|".join(images), grid)

    # ----------------------------------------------------------------- loop
    def request_stop(self) -> None:
        """Stop after the current step (and save a checkpoint); what Ctrl-C does."""
        self._stop = True

    def _install_sigint(self):
        """Install the Ctrl-C handler; the handler it replaced (to put back after the loop),
        or ``None`` when none was installed (not the main thread, or the current handler is
        not Python's and could not be put back)."""
        if threading.current_thread() is not threading.main_thread():
            return None
        previous = signal.getsignal(signal.SIGINT)  # a callable, SIG_IGN, SIG_DFL, or None
        if previous is None:
            return None

        def handler(signum, frame):
            if self._stop:  # second Ctrl-C: abort now (a third one too, whatever was inherited)
                signal.signal(signal.SIGINT, previous if callable(previous) else signal.default_int_handler)
                raise KeyboardInterrupt
            self._stop = True

        signal.signal(signal.SIGINT, handler)
        return previous

    def _sync_stop(self) -> bool:
        if not self.dist.enabled:
            return self._stop
        t = torch.tensor([1 if self._stop else 0])
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        return bool(t.item())

    def fit(self) -> dict[str, Any]:
        """Train to ``config.steps`` (resuming first if ``config.resume`` says so).

        Returns ``{"step", "stopped_early", "train": last logged means, "val": last validation}``.
        """
        cfg = self.cfg
        self._maybe_resume()
        start = self.step
        if self.dist.is_main:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            dump_config(self.experiment, self.run_dir / "config.yaml")
            self._logger = _Logger(self.run_dir, purge_step=start if start else None)
        previous = self._install_sigint()
        progress = self._progress(start)
        last_train: dict[str, float] = {}
        last_val: dict[str, float] = {}
        sums: dict[str, float] = {}
        count = 0
        t_last, s_last = time.perf_counter(), start
        deadline = t_last + cfg.max_minutes * 60 if cfg.max_minutes > 0 else None
        stopped = False
        batches = self._train_batches()
        self._set_train(True)
        try:
            if progress is not None:
                progress.start()
            while self.step < cfg.steps:
                batch = next(batches)
                out = self.task.step(move_to_device(batch, self.device), train=True)
                self.step += 1
                self.batch_in_epoch += 1
                self.ctx.step = self.step
                if self.dist.enabled:
                    for m in self.models.values():
                        for b in m.buffers():
                            dist.broadcast(b.data, src=0)
                for e_name, e in self.emas.items():
                    e.update(self.models[e_name])
                for k, v in out.items():
                    sums[k] = sums.get(k, 0.0) + float(v)
                count += 1
                if progress is not None:
                    progress.update(self._task_id, completed=self.step,
                                    loss=" ".join(f"{k}={float(v):.4g}" for k, v in list(out.items())[:3]))
                last = self.step == cfg.steps or self._time_up(deadline)
                if cfg.log_every > 0 and (self.step % cfg.log_every == 0 or last):
                    means = {k: v / count for k, v in sums.items()}
                    if self.dist.enabled:
                        keys = sorted(means)
                        t = torch.tensor([means[k] for k in keys], dtype=torch.float64, device=self.device)
                        dist.all_reduce(t)
                        means = {k: v / self.dist.world_size for k, v in zip(keys, t.tolist())}
                    now = time.perf_counter()
                    means["it_per_s"] = (self.step - s_last) / max(now - t_last, 1e-9)
                    t_last, s_last = now, self.step
                    if self._logger is not None:
                        self._logger.scalars(self.step, "train", means)
                    last_train, sums, count = means, {}, 0
                if self.val_data is not None and cfg.val_every > 0 and (self.step % cfg.val_every == 0 or last):
                    last_val = self.evaluate(max_batches=cfg.val_batches)
                    if self._logger is not None and last_val:
                        self._logger.scalars(self.step, "val", last_val)
                if self.dist.is_main and cfg.sample_every > 0 and (self.step % cfg.sample_every == 0 or last):
                    self._write_samples()
                stop = self._sync_stop()
                if last or stop or (cfg.ckpt_every > 0 and self.step % cfg.ckpt_every == 0):
                    self.save_checkpoint()
                if stop and not last:
                    stopped = True
                    if self.dist.is_main:
                        print(f"Stopped at step {self.step}; checkpoint saved in {self.ckpt_dir}. "
                              f"Resume with train.resume=auto.")
                    break
                if last:  # steps reached, or train.max_minutes spent
                    break
        finally:
            if progress is not None:
                progress.stop()
            if previous is not None:
                signal.signal(signal.SIGINT, previous)
            if self._logger is not None:
                self._logger.close()
        return {"step": self.step, "stopped_early": stopped, "train": last_train, "val": last_val}

    def _time_up(self, deadline: float | None) -> bool:
        """True once ``train.max_minutes`` have passed (rank 0's clock decides for all ranks)."""
        if deadline is None:
            return False
        up = torch.tensor([float(time.perf_counter() >= deadline)], device=self.device if self.dist.enabled else "cpu")
        if self.dist.enabled:
            dist.broadcast(up, src=0)
        return bool(up.item())

    def _progress(self, start: int):
        if not (self.cfg.progress and self.dist.is_main):
            return None
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn,
                                   TimeElapsedColumn, TimeRemainingColumn)
        from rich.text import Text

        class _Speed(ProgressColumn):
            def render(self, task) -> Text:
                return Text(f"{task.speed:.2f} it/s" if task.speed else "-- it/s")

        progress = Progress(
            TextColumn("[bold]train"), BarColumn(), MofNCompleteColumn(), _Speed(),
            TimeElapsedColumn(), TimeRemainingColumn(), TextColumn("{task.fields[loss]}"),
        )
        self._task_id = progress.add_task("train", total=self.cfg.steps, completed=start, loss="")
        return progress

    def close(self) -> None:
        """Destroy the process group if this trainer created it."""
        if self._owns_pg and dist.is_initialized():
            dist.destroy_process_group()
            self._owns_pg = False


