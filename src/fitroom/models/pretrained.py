"""Save and load models as a folder: ``config.json`` + ``model.safetensors``.

``config.json`` (format 1)::

    {
      "format": 1,
      "architecture": "warp-flow",          # registry name
      "config": {...},                      # the fields of the model's config dataclass
      "input_size": [256, 192],             # [H, W] the model was built / trained for
      "normalization": "[-1,1]",            # how images are scaled (or {"mean": [...], "std": [...]})
      "fitroom_version": "0.1.0",
      "parameters": 1234567,
      "metadata": {...}                     # free-form: dataset, steps, losses (optional)
    }

Models are fully convolutional, so ``input_size`` is a record of the training resolution
(other sizes work); ``normalization`` says what the image inputs must look like.
Loading is strict: every tensor must be present with the same shape, nothing extra.
Nothing is ever downloaded: ``from_pretrained`` takes a local folder.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any, ClassVar

import torch
from torch import nn

from fitroom.errors import FitroomError

from . import registry

__all__ = [
    "CONFIG_NAME",
    "WEIGHTS_NAME",
    "ArchitectureMismatchError",
    "ModelLoadError",
    "PretrainedModel",
    "WeightsMismatchError",
    "WeightsNotFoundError",
    "load",
]

CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.safetensors"
FORMAT_VERSION = 1


class ModelLoadError(FitroomError):
    """A saved model could not be loaded."""

    code = "model_load_error"


class WeightsNotFoundError(ModelLoadError, FileNotFoundError):
    code = "weights_not_found"


class ArchitectureMismatchError(ModelLoadError, ValueError):
    code = "architecture_mismatch"


class WeightsMismatchError(ModelLoadError, ValueError):
    code = "weights_mismatch"


def _to_json(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_to_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _to_json(v) for k, v in value.items()}
    return value


def _from_json(value: Any) -> Any:
    """JSON lists back to tuples (config dataclasses are frozen and hold tuples)."""
    if isinstance(value, list):
        return tuple(_from_json(v) for v in value)
    if isinstance(value, dict):
        return {k: _from_json(v) for k, v in value.items()}
    return value


def _make_config(config_class: type, fields: dict[str, Any], where: str) -> Any:
    names = {f.name for f in dataclasses.fields(config_class)}
    unknown = sorted(set(fields) - names)
    if unknown:
        raise ValueError(
            f"unknown config field(s) {', '.join(unknown)} for {where}; valid fields: {', '.join(sorted(names))}"
        )
    return config_class(**fields)


class PretrainedModel(nn.Module):
    """Base of fitroom's registered models.

    A subclass sets ``config_class`` (a frozen dataclass, with an ``input_size: tuple[int,
    int]`` field) and optionally ``normalization``, is decorated with
    :func:`fitroom.models.register`, and builds its layers in ``__init__(self, config=None,
    **overrides)`` after calling ``super().__init__(config, **overrides)``, which sets
    ``self.config``.
    """

    config_class: ClassVar[type]
    architecture: ClassVar[str] = ""
    #: how image inputs are scaled: a string such as "[-1,1]" or {"mean": [...], "std": [...]}
    normalization: ClassVar[str | dict[str, list[float]]] = "[-1,1]"

    def __init__(self, config: Any = None, **overrides: Any) -> None:
        super().__init__()
        where = f"model {self.architecture or type(self).__name__!r}"
        if config is None:
            config = _make_config(self.config_class, overrides, where)
        else:
            if not isinstance(config, self.config_class):
                raise TypeError(f"{where} takes a {self.config_class.__name__}, got {type(config).__name__}")
            if overrides:
                config = _make_config(self.config_class, {**dataclasses.asdict(config), **overrides}, where)
        self.config = config

    # -- metadata ------------------------------------------------------------------------
    @property
    def input_size(self) -> tuple[int, int]:
        """``(H, W)`` the model was built / trained for."""
        h, w = self.config.input_size
        return int(h), int(w)

    def num_parameters(self, trainable_only: bool = False) -> int:
        return sum(p.numel() for p in self.parameters() if p.requires_grad or not trainable_only)

    def config_dict(self, metadata: dict[str, Any] | None = None) -> dict[str, Any]:
        """What :meth:`save_pretrained` writes to ``config.json``."""
        out: dict[str, Any] = {
            "format": FORMAT_VERSION,
            "architecture": self.architecture,
            "config": _to_json(dataclasses.asdict(self.config)),
            "input_size": list(self.input_size),
            "normalization": _to_json(self.normalization),
            "fitroom_version": _fitroom_version(),
            "parameters": self.num_parameters(),
        }
        if metadata:
            out["metadata"] = _to_json(metadata)
        return out

    # -- save / load ---------------------------------------------------------------------
    def save_pretrained(self, directory: str | Path, *, metadata: dict[str, Any] | None = None,
                        dtype: torch.dtype | None = None) -> Path:
        """Write ``config.json`` and ``model.safetensors`` into ``directory`` (created if
        needed; existing files are replaced). ``metadata`` (JSON-able) is stored under
        ``"metadata"``. ``dtype`` (e.g. ``torch.float16``, to halve shipped weights) casts the
        floating-point tensors on disk; :meth:`from_pretrained` loads them back into the
        model's float32 parameters. Returns the directory."""
        from safetensors.torch import save_file

        if not self.architecture:
            raise TypeError(f"{type(self).__name__} is not registered; decorate it with fitroom.models.register")
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        state = {k: v.detach().to("cpu").contiguous().clone() for k, v in self.state_dict().items()}
        if dtype is not None:
            state = {k: v.to(dtype) if v.is_floating_point() else v for k, v in state.items()}
        save_file(state, str(directory / WEIGHTS_NAME), metadata={"format": "pt", "architecture": self.architecture})
        (directory / CONFIG_NAME).write_text(json.dumps(self.config_dict(metadata), indent=2) + "\n")
        return directory

    @classmethod
    def from_pretrained(cls, directory: str | Path, device: str | torch.device = "cpu") -> PretrainedModel:
        """Load a model saved with :meth:`save_pretrained`, in eval mode, on ``device``.

        Called on the base class (or through :func:`fitroom.models.load`) it builds whatever
        architecture ``config.json`` names; called on a subclass it also checks that the
        saved architecture is that one (:class:`ArchitectureMismatchError`). Missing folder
        or files: :class:`WeightsNotFoundError`; missing, extra or differently shaped
        tensors: :class:`WeightsMismatchError`.
        """
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        directory = Path(directory)
        if not directory.is_dir():
            raise WeightsNotFoundError(f"model folder {directory} does not exist")
        cfg_path, w_path = directory / CONFIG_NAME, directory / WEIGHTS_NAME
        for p in (cfg_path, w_path):
            if not p.is_file():
                raise WeightsNotFoundError(
                    f"{p.name} is missing from {directory}; a saved model folder holds {CONFIG_NAME} and {WEIGHTS_NAME}"
                )
        try:
            saved = json.loads(cfg_path.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise ModelLoadError(f"{cfg_path} is not valid JSON: {e}") from None
        if not isinstance(saved, dict) or "architecture" not in saved:
            raise ModelLoadError(f"{cfg_path} does not name an architecture")
        arch = saved["architecture"]
        expected = getattr(cls, "architecture", "")
        if cls is not PretrainedModel and expected and arch != expected:
            raise ArchitectureMismatchError(
                f"{directory} holds a {arch!r} model, not {expected!r}; load it with fitroom.models.load"
            )
        try:
            model_cls = registry.get(arch)
        except registry.UnknownModelError as e:
            raise ArchitectureMismatchError(f"{directory}: {e}") from None
        try:
            config = _make_config(model_cls.config_class, _from_json(saved.get("config", {})), f"{arch!r} in {cfg_path}")
        except (TypeError, ValueError) as e:
            raise ModelLoadError(f"{cfg_path}: {e}") from None
        model = model_cls(config)
        try:
            state = load_file(str(w_path), device=str(device))
        except (SafetensorError, OSError) as e:
            raise ModelLoadError(f"{w_path} is not a readable safetensors file: {e}") from None
        _check_state(model, state, w_path)
        model.load_state_dict(state, strict=True)
        return model.to(device).eval()


def _check_state(model: nn.Module, state: dict[str, torch.Tensor], path: Path) -> None:
    own = model.state_dict()
    missing = sorted(set(own) - set(state))
    extra = sorted(set(state) - set(own))
    shapes = [f"{k}: saved {tuple(state[k].shape)}, model {tuple(own[k].shape)}"
              for k in sorted(set(own) & set(state)) if own[k].shape != state[k].shape]
    problems = []
    if missing:
        problems.append(f"{len(missing)} missing tensor(s) (e.g. {', '.join(missing[:3])})")
    if extra:
        problems.append(f"{len(extra)} unexpected tensor(s) (e.g. {', '.join(extra[:3])})")
    if shapes:
        problems.append(f"{len(shapes)} shape mismatch(es) ({'; '.join(shapes[:3])})")
    if problems:
        raise WeightsMismatchError(
            f"{path} does not match the architecture in config.json: " + "; ".join(problems)
        )


def _fitroom_version() -> str:
    from fitroom import __version__

    return __version__


def load(directory: str | Path, device: str | torch.device = "cpu") -> PretrainedModel:
    """Load any saved fitroom model from ``directory`` (see :meth:`PretrainedModel.from_pretrained`)."""
    return PretrainedModel.from_pretrained(directory, device=device)
