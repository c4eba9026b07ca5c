"""Experiment configs: frozen dataclasses loaded from YAML, with dotted command-line overrides.

One frozen dataclass per component (``DataConfig``, ``ModelConfig``, ``OptimConfig``,
``TrainConfig``, ``LossConfig``) composed into an :class:`ExperimentConfig`. Any other
composition of frozen dataclasses works the same way with the helpers here:

>>> cfg = load_config(ExperimentConfig, "configs/example_toy.yaml",
...                   overrides=["optim.lr_g=1e-4", "train.steps=50"])  # doctest: +SKIP
>>> dump_config(cfg, "runs/toy/config.yaml")                            # doctest: +SKIP

Values are checked against the dataclass field types and coerced where the meaning is
unambiguous: ``int`` -> ``float``; a string that parses as a number -> ``float`` (PyYAML reads
``1e-4`` without a dot as a string); a list -> ``tuple``; a string -> ``Path``; a number ->
``str``. Anything else (a string for an ``int``, an unknown key, a missing required value)
raises :class:`ConfigError` naming the dotted key and, for unknown keys, listing the valid
ones. Supported field types: ``bool``, ``int``, ``float``, ``str``, ``Path``, ``Any``,
``Literal[...]``, ``X | None``, ``tuple[X, ...]``, ``tuple[X, Y]``, ``list[X]``,
``dict[str, X]`` and nested dataclasses.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml

from fitroom.errors import FitroomError

__all__ = [
    "ConfigError",
    "DataConfig",
    "ExperimentConfig",
    "LossConfig",
    "ModelConfig",
    "OptimConfig",
    "TrainConfig",
    "apply_overrides",
    "config_from_dict",
    "config_to_dict",
    "dump_config",
    "load_config",
    "override_config",
]

T = TypeVar("T")


class ConfigError(FitroomError):
    """A config file or override does not fit the config's dataclasses."""

    code = "invalid_config"


# --------------------------------------------------------------------------- example configs
@dataclass(frozen=True)
class DataConfig:
    """Where the training data comes from and how it is shaped."""

    #: free-form name of the data (recorded in a saved model's metadata), e.g. "synth",
    #: "VITON-HD", "DressCode", or "toy" in tests
    dataset: str = "toy"
    #: dataset folder (``--data`` on the command line overrides it)
    root: str = ""
    #: split trained on
    split: str = "train"
    #: split validated on and drawn for the sample grids ("" = no validation)
    val_split: str = "test"
    #: (H, W) the networks see
    size: tuple[int, int] = (256, 192)
    num_workers: int = 0
    #: flip / zoom / colour augmentation of the training set (never of the validation set)
    augment: bool = True
    #: use at most this many training samples (0 = all)
    limit: int = 0
    #: use at most this many validation samples (0 = all)
    val_limit: int = 64


@dataclass(frozen=True)
class ModelConfig:
    """Which architecture to build from the model registry, and its keyword arguments."""

    name: str = "toy"
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class OptimConfig:
    """Adam(W) settings for a generator (``_g``) and a discriminator (``_d``)."""

    lr_g: float = 2e-4
    lr_d: float = 2e-4
    betas: tuple[float, float] = (0.5, 0.999)
    weight_decay: float = 0.0
    #: max global L2 norm of each optimizer's gradients; 0 disables clipping
    grad_clip: float = 0.0


@dataclass(frozen=True)
class TrainConfig:
    """How the :class:`~fitroom.training.trainer.Trainer` runs."""

    steps: int = 1000
    #: wall-clock budget in minutes (0 = none): training ends early, as if ``steps`` were
    #: reached (checkpoint and final weights written), at the first step past the budget
    max_minutes: float = 0.0
    batch_size: int = 8
    log_every: int = 50
    #: validation every N steps (0 = never) on at most ``val_batches`` batches (0 = all)
    val_every: int = 0
    val_batches: int = 0
    ckpt_every: int = 500
    #: keep the newest N step checkpoints (0 = keep all)
    keep_checkpoints: int = 3
    sample_every: int = 0
    #: number of images per sample grid
    sample_count: int = 4
    #: names (keys of ``task.models()``) to keep an exponential moving average of
    ema_modules: tuple[str, ...] = ()
    ema_decay: float = 0.999
    #: mixed precision (float16 autocast + GradScaler); CUDA only, a no-op on CPU
    amp: bool = False
    seed: int = 0
    #: use deterministic algorithms (slower on GPU; bit-exact reruns)
    deterministic: bool = False
    #: "cpu", "cuda", "cuda:1" or "auto" (cuda when available)
    device: str = "cpu"
    run_dir: str = "runs/default"
    #: "" = start fresh, "auto" = latest checkpoint in run_dir if any, or a checkpoint path
    resume: str = ""
    #: fine-tune: a saved model (``save_pretrained`` folder, or a run folder with final/) whose
    #: weights initialise the task's trained model (optimizers and other networks start fresh)
    init_from: str = ""
    #: rich progress bar on rank 0
    progress: bool = True


@dataclass(frozen=True)
class LossConfig:
    """Weights of the loss terms (0 switches a term off) and the VGG19 weights file."""

    l1: float = 1.0
    ssim: float = 0.0
    perceptual: float = 0.0
    adversarial: float = 0.0
    feature_matching: float = 0.0
    tv: float = 0.0
    #: torchvision-format VGG19 state dict (.pth or .safetensors); needed when perceptual > 0
    vgg_weights: str = ""


@dataclass(frozen=True)
class ExperimentConfig:
    """Everything one training run needs; written as ``config.yaml`` into the run directory."""

    name: str = "experiment"
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    loss: LossConfig = field(default_factory=LossConfig)


# --------------------------------------------------------------------------- dict -> dataclass
def _key(prefix: str, name: str | int) -> str:
    if isinstance(name, int):
        return f"{prefix}[{name}]"
    return f"{prefix}.{name}" if prefix else str(name)


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


def config_from_dict(cls: type[T], data: Mapping[str, Any] | None, *, _where: str = "") -> T:
    """Build the frozen dataclass ``cls`` from a (nested) mapping, checking every value.

    Keys absent from ``data`` take the dataclass defaults. Raises :class:`ConfigError` for an
    unknown key (listing the valid ones), a missing required value, or a value of the wrong type.
    """
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls!r} is not a dataclass")
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise ConfigError(
            f"config section '{_where or '<root>'}' must be a mapping of keys to values, "
            f"not {type(data).__name__} ({data!r})."
        )
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    unknown = [k for k in data if k not in fields]
    if unknown:
        k = unknown[0]
        close = difflib.get_close_matches(str(k), fields, n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        raise ConfigError(
            f"unknown config key '{_key(_where, str(k))}'.{hint} "
            f"Valid keys of '{_where or '<root>'}': {', '.join(sorted(fields))}."
        )
    kwargs = {}
    for name, f in fields.items():
        where = _key(_where, name)
        if name in data:
            kwargs[name] = _coerce(data[name], hints[name], where)
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise ConfigError(f"config key '{where}' is required but was not given.")
    return cls(**kwargs)


def _coerce(value: Any, tp: Any, where: str) -> Any:  # noqa: C901 - one branch per type form
    def bad(expected: str | None = None) -> ConfigError:
        return ConfigError(
            f"config key '{where}' must be {expected or _type_name(tp)}, "
            f"got {type(value).__name__} {value!r}."
        )

    if tp is Any or tp is object:
        return value
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if dataclasses.is_dataclass(tp):
        if dataclasses.is_dataclass(value) and isinstance(value, tp):
            return value
        return config_from_dict(tp, value, _where=where)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for a in args:
            if a is type(None):
                continue
            try:
                return _coerce(value, a, where)
            except ConfigError as e:
                errors.append(str(e))
        raise bad(" or ".join(_type_name(a) for a in args))
    if origin is Literal:
        if value in args:
            return value
        raise bad("one of " + ", ".join(repr(a) for a in args))
    if tp is bool:
        if isinstance(value, bool):
            return value
        raise bad("true or false")
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise bad("an integer")
    if tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                pass
        raise bad("a number")
    if tp is str:
        if isinstance(value, str):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        raise bad("a string")
    if tp is Path or (isinstance(tp, type) and issubclass(tp, Path)):
        if isinstance(value, (str, Path)):
            return Path(value)
        raise bad("a path")
    if origin is tuple:
        if not isinstance(value, Sequence) or isinstance(value, str):
            raise bad("a list")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_coerce(v, args[0], _key(where, i)) for i, v in enumerate(value))
        if len(value) != len(args):
            raise bad(f"a list of {len(args)} values")
        return tuple(_coerce(v, a, _key(where, i)) for i, (v, a) in enumerate(zip(value, args)))
    if origin is list:
        if not isinstance(value, Sequence) or isinstance(value, str):
            raise bad("a list")
        a = args[0] if args else Any
        return [_coerce(v, a, _key(where, i)) for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, Mapping):
            raise bad("a mapping")
        kt, vt = args if args else (Any, Any)
        return {_coerce(k, kt, where): _coerce(v, vt, _key(where, str(k))) for k, v in value.items()}
    if isinstance(tp, type):
        if isinstance(value, tp):
            return value
        raise bad()
    raise TypeError(f"config field '{where}' has an unsupported type annotation {tp!r}")


# --------------------------------------------------------------------------- dataclass -> dict
def config_to_dict(cfg: Any) -> Any:
    """Plain YAML/JSON-ready data from a (nested) config: tuples become lists, paths strings."""
    if dataclasses.is_dataclass(cfg) and not isinstance(cfg, type):
        return {f.name: config_to_dict(getattr(cfg, f.name)) for f in dataclasses.fields(cfg)}
    if isinstance(cfg, Mapping):
        return {str(k): config_to_dict(v) for k, v in cfg.items()}
    if isinstance(cfg, (list, tuple)):
        return [config_to_dict(v) for v in cfg]
    if isinstance(cfg, Path):
        return str(cfg)
    return cfg


def dump_config(cfg: Any, path: str | Path) -> Path:
    """Write ``cfg`` to ``path`` as JSON (``.json``) or YAML (anything else); returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = config_to_dict(cfg)
    if path.suffix.lower() == ".json":
        text = json.dumps(data, indent=2) + "\n"
    else:
        text = yaml.safe_dump(data, sort_keys=False, default_flow_style=None)
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- overrides
def apply_overrides(data: Mapping[str, Any], overrides: Sequence[str]) -> dict[str, Any]:
    """A copy of the nested mapping ``data`` with ``key.sub=value`` overrides applied.

    Each value is parsed with ``yaml.safe_load`` (``3`` -> int, ``[0.5, 0.9]`` -> list,
    ``true`` -> bool, ``null`` -> None, ``abc`` -> str). Missing intermediate sections are
    created; whether a key is valid is decided when the result is turned into a dataclass.
    """
    out = _deepcopy_mapping(data)
    for item in overrides:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key or any(not part for part in key.split(".")):
            raise ConfigError(f"override '{item}' must look like key.sub=value (e.g. optim.lr_g=1e-4).")
        try:
            value = yaml.safe_load(raw) if raw.strip() else ""
        except yaml.YAMLError as e:
            raise ConfigError(f"override '{item}': the value is not valid YAML ({e}).") from e
        node = out
        parts = key.split(".")
        for i, part in enumerate(parts[:-1]):
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            elif not isinstance(child, dict):
                raise ConfigError(
                    f"override '{item}': '{'.'.join(parts[: i + 1])}' is a value, not a section."
                )
            node = child
        node[parts[-1]] = value
    return out


def _deepcopy_mapping(data: Any) -> Any:
    if isinstance(data, Mapping):
        return {k: _deepcopy_mapping(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_deepcopy_mapping(v) for v in data]
    return data


def override_config(cfg: T, overrides: Sequence[str]) -> T:
    """A new config equal to ``cfg`` with dotted overrides applied and re-checked."""
    return config_from_dict(type(cfg), apply_overrides(config_to_dict(cfg), overrides))


def load_config(cls: type[T], path: str | Path | None = None, overrides: Sequence[str] = ()) -> T:
    """Load ``cls`` from a YAML (or JSON) file, then apply dotted ``overrides``.

    ``path=None`` starts from the dataclass defaults. Raises :class:`ConfigError` when the
    file is missing or malformed, or a key/value does not fit ``cls``.
    """
    data: Any = {}
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"config file {path} does not exist.")
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as e:
            raise ConfigError(f"config file {path} is not valid YAML: {e}") from e
        if not isinstance(data, Mapping):
            raise ConfigError(f"config file {path} must hold a mapping of sections, not {type(data).__name__}.")
    return config_from_dict(cls, apply_overrides(data, overrides))
