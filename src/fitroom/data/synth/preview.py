"""Contact sheet of a dataset's pairs: person, garment, parse (colour), agnostic."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from fitroom.data.layouts import read_dataset
from fitroom.errors import DatasetError
from fitroom.labels import CIHP_PALETTE


def _load_rgb(path, size) -> np.ndarray:
    if path is None or not Path(path).is_file():
        return np.full((size[0], size[1], 3), 40, np.uint8)
    im = np.asarray(Image.open(path).convert("RGB"))
    if im.shape[:2] != size:
        im = cv2.resize(im, (size[1], size[0]), interpolation=cv2.INTER_AREA)
    return im


def _load_parse(path, size) -> np.ndarray:
    if path is None or not Path(path).is_file():
        return np.zeros((size[0], size[1], 3), np.uint8)
    p = np.asarray(Image.open(path))
    if p.ndim == 3:
        return cv2.resize(p[..., :3], (size[1], size[0]), interpolation=cv2.INTER_NEAREST)
    p = cv2.resize(p, (size[1], size[0]), interpolation=cv2.INTER_NEAREST)
    return CIHP_PALETTE[np.clip(p, 0, len(CIHP_PALETTE) - 1)]


def contact_sheet(root: str | os.PathLike[str], *, split: str = "test", rows: int = 8, cols: int = 2,
                  tile: tuple[int, int] = (256, 192)) -> np.ndarray:
    """RGB uint8 sheet: ``rows x cols`` samples, each shown as person | garment | parse | agnostic.

    ``tile`` is (height, width) of each image. Samples are the first of ``split`` (or of the
    whole folder when it has no splits).
    """
    try:
        samples = read_dataset(root, split=split)
    except DatasetError:
        samples = read_dataset(root)
    samples = samples[: rows * cols]
    if not samples:
        raise DatasetError(f"{root} has no samples to preview")
    cells = []
    for s in samples:
        agn = getattr(s, "agnostic_path", None)
        if agn is None:
            cand = Path(s.person_path).parent.parent / "agnostic-v3.2" / Path(s.person_path).name
            agn = cand if cand.is_file() else None
        cell = np.hstack([_load_rgb(s.person_path, tile), _load_rgb(s.garment_path, tile), _load_parse(s.parse_path, tile),
                          _load_rgb(agn, tile)])
        cells.append(np.pad(cell, ((2, 2), (2, 2), (0, 0)), constant_values=255))
    blank = np.full_like(cells[0], 255)
    cells += [blank] * (rows * cols - len(cells))
    grid_rows = [np.hstack(cells[r * cols:(r + 1) * cols]) for r in range(rows) if r * cols < len(samples)]
    return np.vstack(grid_rows)


def save_contact_sheet(root: str | os.PathLike[str], out: str | os.PathLike[str], **kw) -> Path:
    sheet = contact_sheet(root, **kw)
    Image.fromarray(sheet).save(out)
    return Path(out)
