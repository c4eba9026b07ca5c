"""Export the learned engine's networks to ONNX and run them with ONNX Runtime.

Shapes and conventions are the PyTorch modules' (:mod:`fitroom.models.warp_flow`,
:mod:`fitroom.models.tryon_unet`): inputs ``person`` ``[B, C_p, H, W]``, ``garment``
``[B, 3, H, W]`` in [-1, 1] and ``garment_mask`` ``[B, 1, H, W]`` in [0, 1]; ``H, W`` are the
network's own input size (fixed in the exported graph), the batch is dynamic. Outputs: warp
``flow`` ``[B, 2, H, W]``, ``warped_garment``, ``warped_mask``; generator ``composition_mask``
``[B, 1, H, W]`` and ``rendered`` ``[B, 3, H, W]``. The legacy TorchScript exporter is used
(opset :data:`OPSET`); it needs the ``onnx`` package at export time only.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from fitroom.errors import FitroomError
from fitroom.pipelines.runtime import RUNTIMES  # noqa: F401  (torch, or ONNX Runtime's CPU provider)

OPSET = 17
#: the largest absolute difference allowed between an exported network's outputs and
#: PyTorch's on the same input (flows in normalised [-1, 1] coordinates, where a pixel of a
#: 192-wide network is 0.0104; images in [-1, 1]). Measured on the shipped networks: 2.4e-4
#: (warp) and 2e-5 (generator) at 256x192, 1.4e-3 for the warp at 512x384 (float sums in
#: another order)
ONNX_TOLERANCE = 2e-3
_INPUTS = ("person", "garment", "garment_mask")
_OUTPUTS = {"warp": ("flow", "warped_garment", "warped_mask"), "tryon": ("composition_mask", "rendered")}


class _Outputs(torch.nn.Module):
    """A network whose dataclass output becomes a tuple (what the exporter takes)."""

    def __init__(self, model: torch.nn.Module, names: tuple[str, ...]) -> None:
        super().__init__()
        self.model, self.names = model, names

    def forward(self, person, garment, garment_mask):  # noqa: D102
        out = self.model(person, garment, garment_mask)
        return tuple(getattr(out, n) for n in self.names)


def _probe(model: torch.nn.Module, size: tuple[int, int], batch: int = 1, seed: int = 0) -> tuple[torch.Tensor, ...]:
    """Random inputs of the network's shapes (a fixed seed: the comparison is reproducible)."""
    c = model.config
    g = torch.Generator().manual_seed(seed)
    h, w = size
    person = torch.rand(batch, c.person_channels, h, w, generator=g) * 2 - 1
    garment = torch.rand(batch, c.garment_channels - 1, h, w, generator=g) * 2 - 1  # RGB; the mask is the last
    mask = (torch.rand(batch, 1, h, w, generator=g) > 0.5).float()
    return person, garment, mask


@dataclass(frozen=True)
class ExportResult:
    """What :func:`export_onnx` wrote: ``paths`` per network ("warp", "tryon") and the largest
    absolute difference of each output from PyTorch's on a probe input (``max_abs_diff``)."""

    paths: dict[str, Path]
    max_abs_diff: dict[str, float] = field(default_factory=dict)
    opset: int = OPSET


def _export_one(kind: str, model: torch.nn.Module, size: tuple[int, int], path: Path) -> None:
    try:
        import onnx  # noqa: F401  (the exporter needs it)
    except ImportError as e:  # pragma: no cover - a dependency
        raise FitroomError("exporting to ONNX needs the 'onnx' package (pip install onnx==1.17.0)") from e
    path.parent.mkdir(parents=True, exist_ok=True)
    wrapped = _Outputs(model.eval(), _OUTPUTS[kind])
    fd, tmp = tempfile.mkstemp(suffix=".onnx", dir=path.parent)
    os.close(fd)
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the tracer's notes on shape checks that are constants here
            torch.onnx.export(wrapped, _probe(model, size), tmp, input_names=list(_INPUTS),
                              output_names=list(_OUTPUTS[kind]), opset_version=OPSET, dynamo=False,
                              dynamic_axes={n: {0: "batch"} for n in (*_INPUTS, *_OUTPUTS[kind])})
        os.replace(tmp, path)  # whole or not at all: a second process may read it
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _session(path: Path, threads: int | None):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = threads if threads is not None else torch.get_num_threads()
    so.inter_op_num_threads = 1
    so.log_severity_level = 3
    # no busy-waiting between runs: the try-on runs torch and OpenCV work right after, on
    # the same cores (spinning threads made the whole try-on slower than on PyTorch)
    so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


class _OnnxNet:
    kind = ""

    def __init__(self, path: str | Path, model: torch.nn.Module, threads: int | None = None) -> None:
        self.path = Path(path)
        self.session = _session(self.path, threads)
        self.config = model.config

    def _run(self, person, garment, garment_mask) -> dict[str, torch.Tensor]:
        feed = {n: t.detach().cpu().numpy().astype(np.float32, copy=False)
                for n, t in zip(_INPUTS, (person, garment, garment_mask))}
        out = self.session.run(list(_OUTPUTS[self.kind]), feed)
        return {n: torch.from_numpy(o) for n, o in zip(_OUTPUTS[self.kind], out)}


@dataclass
class _WarpOut:
    flow: torch.Tensor
    warped_garment: torch.Tensor
    warped_mask: torch.Tensor


@dataclass
class _TryOnOut:
    composition_mask: torch.Tensor
    rendered: torch.Tensor


class OnnxWarp(_OnnxNet):
    """warp-flow on ONNX Runtime: ``(person, garment, garment_mask) -> .flow, .warped_garment,
    .warped_mask`` (torch tensors, as the PyTorch module's :class:`WarpOutput`)."""

    kind = "warp"

    def __call__(self, person, garment, garment_mask) -> _WarpOut:
        return _WarpOut(**self._run(person, garment, garment_mask))


class OnnxTryOn(_OnnxNet):
    """tryon-unet on ONNX Runtime: ``(person, warped_garment, warped_mask) ->
    .composition_mask, .rendered``."""

    kind = "tryon"

    def __call__(self, person, warped_garment, warped_mask) -> _TryOnOut:
        return _TryOnOut(**self._run(person, warped_garment, warped_mask))


def _max_diff(kind: str, model: torch.nn.Module, runner: _OnnxNet, size: tuple[int, int]) -> float:
    probe = _probe(model, size, batch=2, seed=1)
    with torch.no_grad():
        ref = model(*probe)
    got = runner(*probe)
    return max(float((getattr(got, n) - getattr(ref, n)).abs().max()) for n in _OUTPUTS[kind])


def export_onnx(warp: torch.nn.Module, tryon: torch.nn.Module, out: str | Path, *,
                size: tuple[int, int] | None = None, check: bool = True) -> ExportResult:
    """Export the warp and the generator to ``out/warp/model.onnx`` and ``out/tryon/model.onnx``
    (with their ``config.json``) at ``size`` (H, W; default the generator's input size), and
    with ``check`` compare each with PyTorch on a probe batch of 2 (raises
    :class:`~fitroom.errors.FitroomError` beyond :data:`ONNX_TOLERANCE`)."""
    out = Path(out)
    size = tuple(size or tryon.input_size)
    paths, diffs = {}, {}
    for kind, model, cls in (("warp", warp, OnnxWarp), ("tryon", tryon, OnnxTryOn)):
        path = out / kind / "model.onnx"
        _export_one(kind, model, size, path)
        (out / kind / "config.json").write_text(json.dumps(
            {"network": type(model).__name__, "input_size": list(size), "opset": OPSET}, indent=2))
        paths[kind] = path
        if check:
            diffs[kind] = _max_diff(kind, model, cls(path, model), size)
            if diffs[kind] > ONNX_TOLERANCE:
                raise FitroomError(f"the exported {kind} network differs from PyTorch by {diffs[kind]:.2e} "
                                   f"(more than {ONNX_TOLERANCE:g}); not used")
    return ExportResult(paths=paths, max_abs_diff=diffs)


def _weights_digest(*dirs: Path) -> str:
    h = hashlib.sha256()
    for d in dirs:
        for f in sorted(Path(d).glob("*")):
            if f.suffix in (".safetensors", ".json"):
                h.update(f.name.encode())
                h.update(f.read_bytes())
    return h.hexdigest()[:16]


def cache_dir() -> Path:
    """Where exported networks are kept (``FITROOM_CACHE_DIR``, else ``~/.cache/fitroom``)."""
    return Path(os.environ.get("FITROOM_CACHE_DIR") or Path.home() / ".cache" / "fitroom") / "onnx"


def onnx_models(warp: torch.nn.Module, tryon: torch.nn.Module, warp_dir: str | Path, tryon_dir: str | Path,
                *, threads: int | None = None) -> tuple[OnnxWarp, OnnxTryOn]:
    """ONNX Runtime runners for a loaded warp and generator: the ``model.onnx`` beside their
    weights when there is one (``fitroom export onnx`` into the weights folders), else an
    export kept in :func:`cache_dir` under a digest of the weights (made once, checked against
    PyTorch when made)."""
    warp_dir, tryon_dir = Path(warp_dir), Path(tryon_dir)
    beside = (warp_dir / "model.onnx", tryon_dir / "model.onnx")
    if all(p.is_file() for p in beside):
        return OnnxWarp(beside[0], warp, threads), OnnxTryOn(beside[1], tryon, threads)
    root = cache_dir() / _weights_digest(warp_dir, tryon_dir)
    paths = (root / "warp" / "model.onnx", root / "tryon" / "model.onnx")
    if not all(p.is_file() for p in paths):
        export_onnx(warp, tryon, root)
    return OnnxWarp(paths[0], warp, threads), OnnxTryOn(paths[1], tryon, threads)
