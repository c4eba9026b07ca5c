"""PyTorch datasets of the garment VAE and the texture GAN (reading what
:mod:`fitroom.data.garment_set` and :mod:`fitroom.data.textures` write).

Augmentation draws come from ``numpy.random.default_rng([seed, epoch, index])``, so they do
not depend on workers or order (exact resume); :meth:`set_epoch` gives fresh draws.
"""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset

from .garment_set import GarmentItem, read_garment_set
from .textures import read_texture_set

__all__ = ["GarmentSetDataset", "TexturePatchDataset", "garment_tensor", "to_unit_range"]


def garment_tensor(rgb: np.ndarray, mask: np.ndarray) -> torch.Tensor:
    """``[4, S, S]`` float in [-1, 1] from a prepared garment (uint8 RGB ``(S, S, 3)`` and uint8
    mask ``(S, S)``, as :func:`~fitroom.data.garment_set.prepare_garment` returns)."""
    x = np.concatenate([rgb, mask[..., None]], axis=2).astype(np.float32) / 127.5 - 1.0
    return torch.from_numpy(np.ascontiguousarray(x.transpose(2, 0, 1)))


def to_unit_range(x: torch.Tensor) -> torch.Tensor:
    """[-1, 1] -> [0, 1]."""
    return (x.clamp(-1, 1) + 1) / 2


class _Epoch:
    seed: int = 0
    epoch: int = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def _rng(self, index: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, self.epoch, index])


class GarmentSetDataset(_Epoch, Dataset):
    """Items ``{"x": [4, S, S] in [-1, 1], "category": str, "pattern": str}`` of one split of a
    garment set; ``augment`` flips left-right with probability 1/2 (garments are symmetric
    enough; the labels do not change)."""

    def __init__(self, root, split: str = "train", *, augment: bool = False, seed: int = 0, limit: int = 0):
        gs = read_garment_set(root)
        items = gs.items(split)
        self.items: list[GarmentItem] = items[:limit] if limit > 0 else items
        self.size = gs.size
        self.augment, self.seed = augment, int(seed)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> dict:
        it = self.items[index]
        rgb = np.asarray(Image.open(it.image).convert("RGB"))
        m = np.asarray(Image.open(it.mask).convert("L"))
        x = garment_tensor(rgb, m)
        if self.augment and self._rng(index).random() < 0.5:
            x = x.flip(-1)
        return {"x": x, "category": it.category, "pattern": it.pattern}


class TexturePatchDataset(_Epoch, Dataset):
    """Items ``{"patch": [3, S, S] in [-1, 1], "family": str}``; ``augment`` applies a random
    circular shift (a tileable patch stays tileable), flips and a transpose."""

    def __init__(self, root, split: str = "train", *, augment: bool = False, seed: int = 0, limit: int = 0):
        patches, fams = read_texture_set(root, split)
        if limit > 0:
            patches, fams = patches[:limit], fams[:limit]
        self.patches = torch.from_numpy(patches).permute(0, 3, 1, 2).contiguous()  # uint8 [N,3,S,S]
        self.families = fams
        self.augment, self.seed = augment, int(seed)

    def __len__(self) -> int:
        return len(self.families)

    def __getitem__(self, index: int) -> dict:
        p = self.patches[index].float() / 127.5 - 1.0
        if self.augment:
            u = self._rng(index).random(5)
            s = p.shape[-1]
            p = torch.roll(p, shifts=(int(u[0] * s), int(u[1] * s)), dims=(1, 2))
            if u[2] < 0.5:
                p = p.flip(-1)
            if u[3] < 0.5:
                p = p.flip(-2)
            if u[4] < 0.5:
                p = p.transpose(-1, -2)
        return {"patch": p.contiguous(), "family": self.families[index]}
