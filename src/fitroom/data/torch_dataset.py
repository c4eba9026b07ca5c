"""A PyTorch ``Dataset`` over :class:`~fitroom.data.sample.TryOnSample` lists, with
label-aware augmentation.

>>> from fitroom.data import read_dataset
>>> from fitroom.data.torch_dataset import TryOnDataset
>>> ds = TryOnDataset(read_dataset("VITON-HD", split="train"), size=(256, 192), augment=True, seed=0)  # doctest: +SKIP
>>> batch = next(iter(torch.utils.data.DataLoader(ds, batch_size=8, num_workers=2)))  # doctest: +SKIP

Every item is resized to ``size`` (H, W): photos with area (shrinking) or bilinear
(enlarging) interpolation, masks and parse maps nearest, keypoints scaled (pixel centres
mapped: ``x' = (x + 0.5) * W / w - 0.5``).

Augmentation is written here in plain torch rather than with kornia: it needs label-aware
flips (CIHP and BODY_25 left/right swaps, which kornia does not know), keypoints moved with
the pixels, and per-index determinism from an explicit generator; kornia's random
augmentations draw from torch's global generator, which DataLoader workers reseed. The
whole of it is a flip, one ``affine_grid``/``grid_sample`` and four colour operations.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from fitroom.labels import Body25, Cihp

from .sample import TryOnSample

__all__ = ["AugmentConfig", "BODY25_FLIP", "CIHP_FLIP", "TryOnDataset", "flip_permutation"]


def flip_permutation(enum: type[IntEnum]) -> np.ndarray:
    """Index permutation that swaps every ``LEFT_x`` member of ``enum`` with ``RIGHT_x``
    (others map to themselves): ``new[i] = old[perm[i]]`` and ``perm[old_id]`` relabels."""
    perm = np.arange(len(enum))
    for m in enum:
        for a, b in (("LEFT_", "RIGHT_"), ("RIGHT_", "LEFT_")):
            if m.name.startswith(a):
                perm[m] = enum[b + m.name[len(a):]]
    return perm


#: CIHP id -> id after a horizontal flip (LEFT_ARM <-> RIGHT_ARM, legs, shoes)
CIHP_FLIP = flip_permutation(Cihp)
#: BODY_25 row -> row after a horizontal flip (every LEFT_x <-> RIGHT_x)
BODY25_FLIP = flip_permutation(Body25)


@dataclass(frozen=True)
class AugmentConfig:
    """Ranges of the random augmentation.

    Attributes:
        flip_p: probability of a horizontal flip (person and garment together).
        scale: range of the zoom about the image centre (person side only).
        shift: largest shift, as a fraction of the width / height (person side only).
        brightness, contrast, saturation: factors drawn from ``[1 - v, 1 + v]``.
        hue: hue rotation drawn from ``[-v, v]`` turns.
    The colour change is the same for the person, the garment and the agnostic image, so
    the garment in the person photo keeps matching its product photo.
    """

    flip_p: float = 0.5
    scale: tuple[float, float] = (0.92, 1.08)
    shift: float = 0.04
    brightness: float = 0.15
    contrast: float = 0.15
    saturation: float = 0.15
    hue: float = 0.02


@dataclass(frozen=True)
class _Params:
    flip: bool
    scale: float
    tx: float  # pixels
    ty: float
    brightness: float
    contrast: float
    saturation: float
    hue: float


def _resize_image(img: np.ndarray, h: int, w: int) -> np.ndarray:
    if img.shape[:2] == (h, w):
        return img
    shrink = img.shape[0] > h or img.shape[1] > w
    return cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)


def _resize_nearest(arr: np.ndarray, h: int, w: int) -> np.ndarray:
    if arr.shape[:2] == (h, w):
        return arr
    return cv2.resize(arr, (w, h), interpolation=cv2.INTER_NEAREST)


def _scale_keypoints(kp: np.ndarray, src_hw: tuple[int, int], dst_hw: tuple[int, int]) -> np.ndarray:
    out = kp.astype(np.float32).copy()
    ok = out[:, 2] > 0
    sy, sx = dst_hw[0] / src_hw[0], dst_hw[1] / src_hw[1]
    out[ok, 0] = (out[ok, 0] + 0.5) * sx - 0.5
    out[ok, 1] = (out[ok, 1] + 0.5) * sy - 0.5
    out[~ok] = 0
    return out


def _to_unit(img: np.ndarray) -> torch.Tensor:
    """(H, W, 3) uint8 -> [3, H, W] float in [0, 1]."""
    return torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1).float().div_(255.0)


_GREY = torch.tensor([0.299, 0.587, 0.114]).view(3, 1, 1)
_RGB2YIQ = torch.tensor([[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]])
_YIQ2RGB = torch.linalg.inv(_RGB2YIQ)


def _colour(x: torch.Tensor, p: _Params) -> torch.Tensor:
    """Brightness, contrast, saturation, hue on a [3, H, W] image in [0, 1]."""
    x = x * p.brightness
    mean = (x * _GREY).sum(0).mean()
    x = (x - mean) * p.contrast + mean
    grey = (x * _GREY).sum(0, keepdim=True)
    x = grey + (x - grey) * p.saturation
    if p.hue != 0.0:
        a = 2 * np.pi * p.hue
        rot = torch.tensor([[1, 0, 0], [0, np.cos(a), -np.sin(a)], [0, np.sin(a), np.cos(a)]], dtype=torch.float32)
        m = _YIQ2RGB @ rot @ _RGB2YIQ
        x = torch.einsum("ij,jhw->ihw", m, x)
    return x.clamp_(0.0, 1.0)


def _affine(t: torch.Tensor, p: _Params, mode: str) -> torch.Tensor:
    """Zoom by ``p.scale`` about the centre and shift by ``(p.tx, p.ty)`` pixels a [C, H, W]
    tensor: the content at pixel ``q`` moves to ``s * (q - c) + c + t`` (align_corners)."""
    _, h, w = t.shape
    s = p.scale
    tnx, tny = 2 * p.tx / max(w - 1, 1), 2 * p.ty / max(h - 1, 1)
    theta = torch.tensor([[1 / s, 0, -tnx / s], [0, 1 / s, -tny / s]], dtype=torch.float32)[None]
    grid = F.affine_grid(theta, [1, t.shape[0], h, w], align_corners=True)
    return F.grid_sample(t[None].float(), grid, mode=mode, padding_mode="border", align_corners=True)[0]


def _identity(h: int, w: int) -> torch.Tensor:
    """``[2, h, w]`` normalised xy of each pixel centre (align_corners=False, as warp_flow)."""
    x = (torch.arange(w, dtype=torch.float32) + 0.5) * (2.0 / w) - 1.0
    y = (torch.arange(h, dtype=torch.float32) + 0.5) * (2.0 / h) - 1.0
    return torch.stack([x.view(1, w).expand(h, w), y.view(h, 1).expand(h, w)])


def _garment_flow(s: TryOnSample, garment_size: tuple[int, int], size: tuple[int, int]) -> tuple[torch.Tensor, torch.Tensor]:
    """The exact backward flow ``[2, h, w]`` from the sample's texture coordinates to its
    product photo (of ``garment_size``), and its validity ``[1, h, w]``, at ``size``."""
    from .texture_coords import texture_coords_to_flow

    flow, valid = texture_coords_to_flow(s.load_texture_coords(), garment_size)
    h, w = size
    if flow.shape[1:] != (h, w):  # normalised units: resize the field, keep the values
        flow = np.stack([cv2.resize(c, (w, h), interpolation=cv2.INTER_LINEAR) for c in flow])
        valid = cv2.resize(valid.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR) > 0.999
    return torch.from_numpy(np.ascontiguousarray(flow, np.float32)), torch.from_numpy(valid.astype(np.float32))[None]


def _affine_keypoints(kp: np.ndarray, p: _Params, h: int, w: int) -> np.ndarray:
    out = kp.copy()
    ok = out[:, 2] > 0
    cx, cy = (w - 1) / 2, (h - 1) / 2
    out[ok, 0] = p.scale * (out[ok, 0] - cx) + cx + p.tx
    out[ok, 1] = p.scale * (out[ok, 1] - cy) + cy + p.ty
    inside = (out[:, 0] >= 0) & (out[:, 0] <= w - 1) & (out[:, 1] >= 0) & (out[:, 1] <= h - 1)
    out[~(ok & inside)] = 0  # left the frame: missing, as in OpenPose
    return out


class TryOnDataset(torch.utils.data.Dataset):
    """Try-on samples as tensors at one resolution, optionally augmented.

    Parameters
    ----------
    samples:
        From :func:`fitroom.data.read_dataset` (any layout).
    size:
        ``(H, W)`` of every returned image.
    augment:
        Apply a random flip (swapping left/right labels and keypoints), a mild zoom/shift
        (person side) and a colour jitter (photos only), drawn from ``augment_config``.
    seed:
        Each item's augmentation is drawn from ``numpy.random.default_rng([seed, epoch,
        index])``: the same for a seed, epoch and index whatever the worker or order.
        Call :meth:`set_epoch` each epoch for fresh draws.
    compute_missing:
        Compute an absent garment mask, parse map or keypoints with fitroom's own analysis
        (see :class:`TryOnSample`); otherwise an absent one is an error.

    Items (dict): ``person``, ``garment`` [3, H, W] float32 in [-1, 1]; ``garment_mask``
    [1, H, W] float32 {0, 1}; ``parse`` [H, W] int64 CIHP ids; ``keypoints`` [25, 3] float32
    BODY_25 ``[x, y, conf]`` in pixels of the returned image (missing = 0); when every
    sample has one, ``agnostic`` [3, H, W] in [-1, 1] and ``agnostic_mask`` [1, H, W];
    when every sample has texture coordinates (fitroom's synthetic data), ``garment_flow``
    [2, H, W], the exact backward flow from the person to the garment tensor
    (:mod:`fitroom.models.warp_flow` convention; 0 where invalid) and ``garment_flow_valid``
    [1, H, W] {0, 1} (the worn garment's pixels), both following the augmentation;
    meta: ``person_id``, ``garment_id``, ``subset``, ``category`` (str), ``paired``,
    ``flipped`` (bool), ``index`` (int).
    """

    def __init__(
        self,
        samples: Sequence[TryOnSample],
        size: tuple[int, int] = (256, 192),
        augment: bool = False,
        seed: int = 0,
        *,
        compute_missing: bool = True,
        augment_config: AugmentConfig | None = None,
    ) -> None:
        if len(size) != 2 or not all(isinstance(v, (int, np.integer)) and v > 0 for v in size):
            raise ValueError(f"size must be (height, width) in pixels, got {size!r}")
        self.samples = list(samples)
        self.size = (int(size[0]), int(size[1]))
        self.augment = bool(augment)
        self.seed = int(seed)
        self.epoch = 0
        self.compute_missing = compute_missing
        self.config = augment_config or AugmentConfig()
        self.with_agnostic = bool(self.samples) and all(s.agnostic_path is not None for s in self.samples)
        self.with_agnostic_mask = bool(self.samples) and all(s.agnostic_mask_path is not None for s in self.samples)
        self.with_flow = bool(self.samples) and all(s.texture_coords_path is not None for s in self.samples)

    def __len__(self) -> int:
        return len(self.samples)

    def set_epoch(self, epoch: int) -> None:
        """Use the augmentation draws of ``epoch`` (as DistributedSampler.set_epoch).

        DataLoader workers hold copies of the dataset: call this before iterating, with
        ``persistent_workers=False`` (the default) so that each epoch's workers see it."""
        self.epoch = int(epoch)

    def params(self, index: int) -> _Params:
        """The augmentation drawn for ``index`` (identity when ``augment`` is off)."""
        if not self.augment:
            return _Params(False, 1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0)
        c = self.config
        rng = np.random.default_rng([self.seed, self.epoch, index])
        u = rng.random(8)  # always eight draws, in this order
        h, w = self.size

        def lerp(lo: float, hi: float, v: float) -> float:
            return float(lo + (hi - lo) * v)

        return _Params(
            flip=bool(u[0] < c.flip_p),
            scale=lerp(c.scale[0], c.scale[1], u[1]),
            tx=lerp(-c.shift, c.shift, u[2]) * w,
            ty=lerp(-c.shift, c.shift, u[3]) * h,
            brightness=lerp(1 - c.brightness, 1 + c.brightness, u[4]),
            contrast=lerp(1 - c.contrast, 1 + c.contrast, u[5]),
            saturation=lerp(1 - c.saturation, 1 + c.saturation, u[6]),
            hue=lerp(-c.hue, c.hue, u[7]),
        )

    def _require(self, value: Any, what: str, s: TryOnSample) -> Any:
        if value is None:
            from fitroom.errors import DatasetError

            raise DatasetError(
                f"sample {s.person_id} / {s.garment_id} ({s.subset}) has no {what}; "
                "use compute_missing=True to compute it with fitroom's own analysis"
            )
        return value

    def __getitem__(self, index: int) -> dict[str, Any]:
        s = self.samples[index]
        h, w = self.size
        cm = self.compute_missing
        person = s.load_person()
        garment = s.load_garment()
        gmask = self._require(s.load_garment_mask(compute_missing=cm), "garment mask", s)
        parse = self._require(s.load_parse(compute_missing=cm), "parse map", s)
        kp = self._require(s.load_keypoints_body25(compute_missing=cm), "keypoints", s)

        ph, pw = person.shape[:2]
        person_t = _to_unit(_resize_image(person, h, w))
        garment_t = _to_unit(_resize_image(garment, h, w))
        gmask_t = torch.from_numpy(_resize_nearest(gmask.astype(np.uint8), h, w)).float()[None]
        parse_t = torch.from_numpy(_resize_nearest(parse, h, w).astype(np.int64))
        kp = _scale_keypoints(kp, (ph, pw), (h, w))  # keypoints are in pixels of the person photo
        agn_t = amask_t = None
        if self.with_agnostic:
            agn_t = _to_unit(_resize_image(s.load_agnostic(), h, w))
        if self.with_agnostic_mask:
            amask_t = torch.from_numpy(_resize_nearest(s.load_agnostic_mask().astype(np.uint8), h, w)).float()[None]

        flow_t = valid_t = None
        if self.with_flow:
            flow_t, valid_t = _garment_flow(s, garment.shape[:2], (h, w))

        p = self.params(index)
        if self.augment:
            if p.flip:
                person_t, garment_t, gmask_t = person_t.flip(-1), garment_t.flip(-1), gmask_t.flip(-1)
                parse_t = torch.from_numpy(CIHP_FLIP)[parse_t.flip(-1)]
                ok = kp[:, 2] > 0
                kp[ok, 0] = (w - 1) - kp[ok, 0]
                kp = kp[BODY25_FLIP]
                if agn_t is not None:
                    agn_t = agn_t.flip(-1)
                if amask_t is not None:
                    amask_t = amask_t.flip(-1)
                if flow_t is not None:  # mirrored field; garment x mirrored too
                    flow_t, valid_t = flow_t.flip(-1) * torch.tensor([-1.0, 1.0]).view(2, 1, 1), valid_t.flip(-1)
            if p.scale != 1.0 or p.tx != 0.0 or p.ty != 0.0:
                person_t = _affine(person_t, p, "bilinear")
                parse_t = _affine(parse_t[None].float(), p, "nearest")[0].round().long()
                kp = _affine_keypoints(kp, p, h, w)
                if agn_t is not None:
                    agn_t = _affine(agn_t, p, "bilinear")
                if amask_t is not None:
                    amask_t = _affine(amask_t, p, "nearest")
                if flow_t is not None:  # the garment position each pixel shows moves with the person
                    ident = _identity(h, w)
                    flow_t = _affine(flow_t + ident, p, "bilinear") - ident
                    valid_t = (_affine(valid_t, p, "bilinear") > 0.999).float()
            person_t, garment_t = _colour(person_t, p), _colour(garment_t, p)
            if agn_t is not None:
                agn_t = _colour(agn_t, p)

        item: dict[str, Any] = {
            "person": person_t * 2 - 1,
            "garment": garment_t * 2 - 1,
            "garment_mask": gmask_t,
            "parse": parse_t,
            "keypoints": torch.from_numpy(np.ascontiguousarray(kp, dtype=np.float32)),
        }
        if agn_t is not None:
            item["agnostic"] = agn_t * 2 - 1
        if amask_t is not None:
            item["agnostic_mask"] = amask_t
        if flow_t is not None:
            item["garment_flow"] = flow_t * valid_t
            item["garment_flow_valid"] = valid_t
        item.update(
            person_id=s.person_id,
            garment_id=s.garment_id,
            subset=s.subset,
            category=s.category,
            paired=s.paired,
            flipped=p.flip,
            index=index,
        )
        return item
