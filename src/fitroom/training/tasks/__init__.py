"""Training tasks for fitroom's learned try-on models, and one function that runs them.

* :class:`~fitroom.training.tasks.warp.WarpTask` trains ``warp-flow`` (garment -> worn shape).
* :class:`~fitroom.training.tasks.tryon.TryOnTask` trains ``tryon-unet`` against the
  ``patchgan-ms`` discriminator.

Both read a :class:`~fitroom.data.torch_dataset.TryOnDataset` of *paired* samples (the person
photo shows the very garment of the product photo), so the worn garment is ground truth.

* :class:`~fitroom.training.tasks.vae.VAETask` trains ``garment-vae`` on a garment set
  (``fitroom data garments``).
* :class:`~fitroom.training.tasks.texture_gan.TextureGANTask` trains ``texture-gan`` against a
  ``patchgan-ms`` on a texture set (``fitroom data textures``).

:func:`train` is what ``fitroom train warp|tryon`` runs::

    from fitroom.training.tasks import train
    result = train("warp", "configs/warp.yaml", data="/data/synth", out="runs/warp",
                   overrides=["train.steps=300"])
    result["final"]   # runs/warp/final: a saved warp-flow (fitroom.models.load)

Experiment configs are the generic ones of :mod:`fitroom.training.config` with a loss section
per task (:class:`WarpLossConfig`, :class:`TryOnLossConfig`), so every key is checked and a
typo is an error naming the valid keys.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from fitroom.errors import FitroomError

from ..config import ConfigError, DataConfig, ModelConfig, OptimConfig, TrainConfig, load_config

__all__ = [
    "TASKS",
    "GarmentDataConfig",
    "NoExactFlowError",
    "TextureDataConfig",
    "TextureGANExperimentConfig",
    "TextureGANLossConfig",
    "VAEExperimentConfig",
    "VAELossConfig",
    "TryOnDataConfig",
    "TryOnExperimentConfig",
    "TryOnLossConfig",
    "WarpExperimentConfig",
    "WarpLossConfig",
    "build_datasets",
    "build_model",
    "build_task",
    "load_task_config",
    "train",
    "worn_garment",
]


class NoExactFlowError(ConfigError, ValueError):
    """``loss.flow > 0`` on data without texture coordinates (only data written by this
    version of ``fitroom data synth`` has them); a :class:`ValueError` as well, and a
    :class:`ConfigError` so that the CLI prints it as one line."""

    code = "no_exact_flow"

    def __init__(self, where: str = "this data"):
        super().__init__(f"loss.flow > 0 needs the exact garment flow, but {where} has no texture-coords/: "
                         "write the synthetic data again with this version of 'fitroom data synth', or set loss.flow=0.")


# --------------------------------------------------------------------------- configs
@dataclass(frozen=True)
class TryOnDataConfig(DataConfig):
    """Where the paired training data comes from (any layout :func:`fitroom.data.read_dataset`
    reads: ``fitroom data synth`` output, VITON-HD, cp-vton, DressCode); the fields are
    :class:`~fitroom.training.config.DataConfig`'s."""

    dataset: str = "synth"


@dataclass(frozen=True)
class WarpLossConfig:
    """Loss weights of :class:`~fitroom.training.tasks.warp.WarpTask` (0 switches a term off)."""

    #: L1 between the warped garment and the worn garment, inside the worn-garment mask
    l1: float = 1.0
    #: warped mask vs worn-garment mask
    mask: float = 1.0
    mask_loss: Literal["l1", "bce"] = "l1"
    #: weight of the coarser flow levels (each upsampled to full size, same l1 + mask terms,
    #: averaged over the levels) relative to the final flow
    levels: float = 0.5
    #: VGG19 perceptual loss of the warped garment (inside the target mask); needs vgg_weights
    perceptual: float = 0.0
    #: flow smoothness (``flow_smoothness`` of every level, in pixels-per-pixel)
    tv: float = 0.05
    #: 1 = total variation (penalises any change), 2 = second order (only bending)
    tv_order: int = 2
    #: local torchvision VGG19 state dict (.pth / .safetensors); "" = no perceptual loss
    vgg_weights: str = ""
    #: end-point error (pixels) against the exact flow of fitroom's synthetic data
    #: (``texture-coords/``); needs data written by this version of ``fitroom data synth``
    flow: float = 0.0


@dataclass(frozen=True)
class TryOnLossConfig:
    """Loss weights of :class:`~fitroom.training.tasks.tryon.TryOnTask` (0 switches a term off)."""

    l1: float = 1.0
    ssim: float = 1.0
    #: VGG19 perceptual loss of the result; needs vgg_weights
    perceptual: float = 0.0
    #: hinge generator loss against the multi-scale PatchGAN
    adversarial: float = 0.1
    #: pix2pixHD discriminator feature matching
    feature_matching: float = 1.0
    #: L1 between the composition mask and the warped mask (CP-VTON), so that the generator
    #: keeps the garment's own pixels where the warp put them
    composition_mask: float = 0.1
    vgg_weights: str = ""


@dataclass(frozen=True)
class WarpExperimentConfig:
    """Everything a ``warp-flow`` training run needs (written to ``RUN/config.yaml``)."""

    name: str = "warp"
    data: TryOnDataConfig = field(default_factory=TryOnDataConfig)
    model: ModelConfig = field(default_factory=lambda: ModelConfig(name="warp-flow"))
    optim: OptimConfig = field(default_factory=OptimConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    loss: WarpLossConfig = field(default_factory=WarpLossConfig)


@dataclass(frozen=True)
class TryOnExperimentConfig:
    """Everything a ``tryon-unet`` training run needs (written to ``RUN/config.yaml``).

    ``model.params`` are ``tryon-unet`` fields plus two task keys: ``disc`` (a mapping of
    ``patchgan-ms`` fields; ``base_channels`` defaults to the generator's) and
    ``warp_checkpoint`` (a saved ``warp-flow`` folder; absent or "" = teacher forcing, see
    :class:`~fitroom.training.tasks.tryon.TryOnTask`).
    """

    name: str = "tryon"
    data: TryOnDataConfig = field(default_factory=TryOnDataConfig)
    model: ModelConfig = field(default_factory=lambda: ModelConfig(name="tryon-unet"))
    optim: OptimConfig = field(default_factory=lambda: OptimConfig(lr_g=2e-4, lr_d=4e-4))
    train: TrainConfig = field(default_factory=TrainConfig)
    loss: TryOnLossConfig = field(default_factory=TryOnLossConfig)


# --------------------------------------------------------------------------- garment generation
@dataclass(frozen=True)
class GarmentDataConfig(DataConfig):
    """A garment set (``fitroom data garments``); ``size`` must be square and match the set."""

    dataset: str = "garment-set"
    size: tuple[int, int] = (128, 128)
    val_limit: int = 256


@dataclass(frozen=True)
class TextureDataConfig(DataConfig):
    """A texture-patch set (``fitroom data textures``); ``size`` is the patch size."""

    dataset: str = "texture-set"
    size: tuple[int, int] = (64, 64)
    val_split: str = ""


@dataclass(frozen=True)
class VAELossConfig:
    """Extra loss settings of :class:`~fitroom.training.tasks.vae.VAETask` (beta and the mask
    weight are fields of the model, ``model.params.beta`` / ``mask_weight``)."""

    #: steps over which the KL weight ramps linearly from 0 to beta (0 = no ramp)
    kl_warmup: int = 500
    #: weight of ``1 - SSIM`` of the RGB composited on white (0 = off)
    ssim: float = 0.0


@dataclass(frozen=True)
class TextureGANLossConfig:
    """Loss weights of :class:`~fitroom.training.tasks.texture_gan.TextureGANTask`."""

    #: hinge generator loss weight
    adversarial: float = 1.0


@dataclass(frozen=True)
class VAEExperimentConfig:
    """Everything a ``garment-vae`` training run needs (written to ``RUN/config.yaml``)."""

    name: str = "vae"
    data: GarmentDataConfig = field(default_factory=GarmentDataConfig)
    model: ModelConfig = field(default_factory=lambda: ModelConfig(name="garment-vae"))
    optim: OptimConfig = field(default_factory=lambda: OptimConfig(lr_g=1e-3, betas=(0.9, 0.999)))
    train: TrainConfig = field(default_factory=TrainConfig)
    loss: VAELossConfig = field(default_factory=VAELossConfig)


@dataclass(frozen=True)
class TextureGANExperimentConfig:
    """Everything a ``texture-gan`` training run needs. ``model.params`` are ``texture-gan``
    fields plus ``disc`` (a mapping of ``patchgan-ms`` fields)."""

    name: str = "texture-gan"
    data: TextureDataConfig = field(default_factory=TextureDataConfig)
    model: ModelConfig = field(default_factory=lambda: ModelConfig(name="texture-gan"))
    optim: OptimConfig = field(default_factory=lambda: OptimConfig(lr_g=2e-4, lr_d=2e-4, betas=(0.0, 0.99)))
    train: TrainConfig = field(default_factory=TrainConfig)
    loss: TextureGANLossConfig = field(default_factory=TextureGANLossConfig)


#: task name -> (experiment config class, registry name of the trained model)
TASKS: dict[str, tuple[type, str]] = {
    "warp": (WarpExperimentConfig, "warp-flow"),
    "tryon": (TryOnExperimentConfig, "tryon-unet"),
    "vae": (VAEExperimentConfig, "garment-vae"),
    "texture-gan": (TextureGANExperimentConfig, "texture-gan"),
}


def _task_entry(kind: str) -> tuple[type, str]:
    if kind not in TASKS:
        raise ConfigError(f"unknown training task '{kind}'; choose one of {', '.join(TASKS)}.")
    return TASKS[kind]


def load_task_config(kind: str, path: str | Path | None, overrides: list[str] | tuple[str, ...] = ()) -> Any:
    """The experiment config of task ``kind`` from a YAML file plus dotted overrides."""
    cls, _ = _task_entry(kind)
    return load_config(cls, path, overrides)


# --------------------------------------------------------------------------- helpers
def worn_garment(batch: dict) -> tuple[Any, Any]:
    """The garment as worn in the (paired) person photo: ``(person * m, m)`` with ``m`` the
    ``[B,1,H,W]`` mask of the parse ids in ``UPPER_BODY_GARMENT`` (upper clothes, dress,
    coat). The image is 0 (grey in [-1, 1]) outside the mask."""
    import torch

    from fitroom.labels import UPPER_BODY_GARMENT

    parse = batch["parse"]
    ids = torch.tensor([int(i) for i in UPPER_BODY_GARMENT], device=parse.device)
    m = torch.isin(parse.long(), ids).float()[:, None]
    return batch["person"] * m, m


def build_model(name: str, params: dict[str, Any], size: tuple[int, int], where: str = "model.params"):
    """``fitroom.models.build(name, input_size=size, **params)`` with a bad field turned
    into a :class:`ConfigError` naming ``where``."""
    from fitroom import models as fm

    kwargs = {"input_size": tuple(size), **params}
    try:
        return fm.build(name, **kwargs)
    except fm.UnknownModelError as e:
        raise ConfigError(f"{where}: {e}") from None
    except (TypeError, ValueError) as e:
        raise ConfigError(f"{where}: {e}") from None


def build_task(kind: str, cfg: Any):
    """A fresh task (randomly initialised models) for the experiment config ``cfg``."""
    _, arch = _task_entry(kind)
    if cfg.model.name != arch:
        raise ConfigError(f"model.name is '{cfg.model.name}', but the {kind} task trains '{arch}'.")
    if kind == "warp":
        from .warp import WarpTask

        return WarpTask.from_config(cfg)
    if kind == "vae":
        from .vae import VAETask

        return VAETask.from_config(cfg)
    if kind == "texture-gan":
        from .texture_gan import TextureGANTask

        return TextureGANTask.from_config(cfg)
    from .tryon import TryOnTask

    return TryOnTask.from_config(cfg)


def build_datasets(cfg: Any):
    """``(train, val)`` :class:`~fitroom.data.torch_dataset.TryOnDataset` of ``cfg.data``
    (``val`` is None when ``data.val_split`` is empty)."""
    from fitroom.data.layouts import read_dataset
    from fitroom.data.torch_dataset import TryOnDataset

    d = cfg.data
    if not d.root:
        raise ConfigError("no training data: pass --data DIR (or set data.root).")
    if not Path(d.root).is_dir():
        raise FitroomError(f"data folder {d.root} does not exist.")
    samples = read_dataset(d.root, split=d.split or None)
    if d.limit > 0:
        samples = samples[: d.limit]
    if not samples:
        raise FitroomError(f"{d.root} (split '{d.split}') holds no samples.")
    train_ds = TryOnDataset(samples, tuple(d.size), augment=d.augment, seed=cfg.train.seed)
    val_ds = None
    if d.val_split:
        val = read_dataset(d.root, split=d.val_split)
        if d.val_limit > 0:
            val = val[: d.val_limit]
        if val:
            val_ds = TryOnDataset(val, tuple(d.size), augment=False)
    return train_ds, val_ds


def build_garmentgen_datasets(kind: str, cfg: Any):
    """``(train, val)`` datasets of the ``vae`` (garment set) and ``texture-gan`` (texture set)
    tasks; ``val`` is None when ``data.val_split`` is empty."""
    from fitroom.data.garmentgen_dataset import GarmentSetDataset, TexturePatchDataset
    from fitroom.data.garment_set import read_garment_set

    d = cfg.data
    if not d.root:
        raise ConfigError("no training data: pass --data DIR (or set data.root).")
    if not Path(d.root).is_dir():
        raise FitroomError(f"data folder {d.root} does not exist.")
    if kind == "vae":
        size = read_garment_set(d.root).size
        if tuple(d.size) != (size, size):
            raise ConfigError(f"data.size is {list(d.size)} but the garment set {d.root} holds {size}x{size} images.")
        cls = GarmentSetDataset
    else:
        cls = TexturePatchDataset
    train_ds = cls(d.root, d.split, augment=d.augment, seed=cfg.train.seed, limit=d.limit)
    if kind == "texture-gan" and train_ds.patches.shape[-1] != d.size[0]:
        raise ConfigError(f"data.size is {list(d.size)} but the texture set holds "
                          f"{train_ds.patches.shape[-1]}x{train_ds.patches.shape[-1]} patches.")
    val_ds = cls(d.root, d.val_split, augment=False, limit=d.val_limit) if d.val_split else None
    return train_ds, val_ds


def _collate(items: list[dict]) -> dict:
    """Default collation of the tensors; string / bool metadata stays a list."""
    import torch

    out: dict[str, Any] = {}
    for k in items[0]:
        vals = [it[k] for it in items]
        out[k] = torch.stack(vals) if isinstance(vals[0], torch.Tensor) else vals
    return out


# --------------------------------------------------------------------------- running
def _init_from(task: Any, path: str | Path) -> None:
    """Load the weights of the saved model at ``path`` (or ``path/final``) into the task's
    trained model; an architecture or shape mismatch is a :class:`ConfigError`."""
    from fitroom import models as fm

    path = Path(path)
    if (path / "final" / "config.json").is_file():
        path = path / "final"
    if not (path / "config.json").is_file():
        raise ConfigError(f"train.init_from: {path} holds no saved model (config.json + model.safetensors).")
    target = task.models()[task.generator_name]
    source = fm.load(path)
    if source.architecture != target.architecture:
        raise ConfigError(f"train.init_from: {path} holds a '{source.architecture}', "
                          f"but this run trains a '{target.architecture}'.")
    try:
        target.load_state_dict(source.state_dict())
    except RuntimeError as e:
        first = str(e).strip().splitlines()[-1].strip()
        raise ConfigError(f"train.init_from: {path} does not fit this run's model config ({first}).") from None


def train(kind: str, config: str | Path | None, *, data: str | Path | None, out: str | Path,
          overrides: list[str] | tuple[str, ...] = (), resume: bool = False, device: str | None = None,
          threads: int | None = None, progress: bool | None = None) -> dict[str, Any]:
    """Train task ``kind`` ("warp", "tryon", "vae" or "texture-gan") and save the trained model to ``out/final``.

    Args:
        config: YAML experiment config; with ``resume`` it may be None (``out/config.yaml``).
        data: dataset folder (overrides ``data.root``).
        out: run folder: ``config.yaml``, ``scalars.jsonl``, ``checkpoints/``, ``samples/``,
            ``final/`` (the generator, EMA weights when kept, as ``save_pretrained`` writes).
        overrides: dotted ``key=value`` overrides, applied after the file.
        resume: continue from ``out``'s latest checkpoint (an error when there is none).
            Without it, a run folder that already holds checkpoints is an error.
        device: "cpu" / "cuda" / "cuda:N" / "auto" (overrides ``train.device``).
        threads: ``torch.set_num_threads``.
        progress: progress bar (overrides ``train.progress``).
    Returns:
        The trainer's result plus ``"final"`` (the saved model folder) and ``"run_dir"``.
    """
    out = Path(out)
    ckpt_dir = out / "checkpoints"
    has_ckpt = ckpt_dir.is_dir() and any(ckpt_dir.glob("step_*.pt"))
    if resume and not has_ckpt:
        raise FitroomError(f"--resume: {out} holds no checkpoint to continue from.")
    if not resume and has_ckpt:
        raise FitroomError(f"{out} already holds checkpoints of a run; pass --resume to continue it, "
                           "or choose another --out.")
    if config is None:
        if not resume:
            raise ConfigError("give a config file with --config.")
        config = out / "config.yaml"
    extra = list(overrides)
    if data is not None:
        extra.append(f"data.root={Path(data)}")
    extra.append(f"train.run_dir={out}")
    extra.append(f"train.resume={'auto' if resume else ''}")
    if device is not None:
        extra.append(f"train.device={device}")
    if progress is not None:
        extra.append(f"train.progress={'true' if progress else 'false'}")
    cfg = load_task_config(kind, config, extra)  # before importing torch: config errors come fast

    import torch

    from ..trainer import Trainer, seed_everything

    if threads is not None:
        if threads < 1:
            raise FitroomError("--threads must be at least 1.")
        torch.set_num_threads(threads)

    if kind in ("vae", "texture-gan"):
        train_ds, val_ds = build_garmentgen_datasets(kind, cfg)
    else:
        train_ds, val_ds = build_datasets(cfg)
    if kind == "warp" and cfg.loss.flow > 0:  # fail now, not at the first step or validation
        for ds, split in ((train_ds, cfg.data.split), (val_ds, cfg.data.val_split)):
            if ds is not None and not getattr(ds, "with_flow", False):
                raise NoExactFlowError(f"{cfg.data.root} (split '{split}')")
    seed_everything(cfg.train.seed)  # same initial weights on every run of this config
    task = build_task(kind, cfg)
    if cfg.train.init_from and not resume:
        _init_from(task, cfg.train.init_from)
    trainer = Trainer(task, cfg.train, train_data=train_ds, val_data=val_ds, grad_clip=cfg.optim.grad_clip,
                      experiment=cfg, collate_fn=_collate, num_workers=cfg.data.num_workers,
                      sample_range=(-1.0, 1.0))
    try:
        result = trainer.fit()
    finally:
        trainer.close()
    final = None
    if trainer.dist.is_main and not result["stopped_early"]:
        name = task.generator_name
        model = trainer.emas[name].module if name in trainer.emas else trainer.models[name]
        if hasattr(task, "recalibrate"):
            # BatchNorm statistics of an EMA copy are the live model's: measure its own (and
            # whatever else the task derives from the data before saving)
            task.recalibrate(model, train_ds)
        meta = {
            "task": kind,
            "experiment": cfg.name,
            "dataset": cfg.data.dataset,
            "data_root": str(cfg.data.root),
            "split": cfg.data.split,
            "size": list(cfg.data.size),
            "steps": result["step"],
            "ema": name in trainer.emas,
            "ema_decay": cfg.train.ema_decay if name in trainer.emas else None,
            "loss": dataclasses.asdict(cfg.loss),
            "train_losses": result["train"],
            "val_losses": result["val"],
        }
        final = model.save_pretrained(out / "final", metadata=meta)
    return {**result, "final": final, "run_dir": out}
