"""Contact sheets: a grid of equally sized tiles with optional captions."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

__all__ = ["grid_image"]


def grid_image(images: Sequence[np.ndarray], *, cols: int = 8, tile: int | None = None, pad: int = 2,
               labels: Sequence[str] | None = None, background: int = 255) -> np.ndarray:
    """One ``uint8`` RGB image holding ``images`` in a grid of ``cols`` columns.

    Every image (``(H, W, 3)`` uint8 RGB or ``(H, W)`` grey/bool) is resized to a ``tile`` x
    ``tile`` square when ``tile`` is given (else all must share the first image's size);
    ``labels`` (one short caption per image) are written under each tile. Inputs are not
    modified. Raises ValueError for an empty list or mismatched sizes.
    """
    if len(images) == 0:
        raise ValueError("grid_image needs at least one image")
    tiles = []
    for im in images:
        a = np.asarray(im)
        if a.dtype == np.bool_:
            a = a.astype(np.uint8) * 255
        if a.ndim == 2:
            a = np.dstack([a] * 3)
        if tile is not None:
            a = cv2.resize(a, (tile, tile), interpolation=cv2.INTER_AREA if a.shape[0] > tile else cv2.INTER_LINEAR)
        tiles.append(a.astype(np.uint8))
    h, w = tiles[0].shape[:2]
    if any(t.shape[:2] != (h, w) for t in tiles):
        raise ValueError("grid_image: images differ in size; pass tile=N to resize them")
    cap = 14 if labels is not None else 0
    cols = max(1, min(cols, len(tiles)))
    rows = (len(tiles) + cols - 1) // cols
    out = np.full((rows * (h + cap + pad) + pad, cols * (w + pad) + pad, 3), background, np.uint8)
    for i, t in enumerate(tiles):
        r, c = divmod(i, cols)
        y, x = pad + r * (h + cap + pad), pad + c * (w + pad)
        out[y:y + h, x:x + w] = t
        if labels is not None and i < len(labels):
            cv2.putText(out, str(labels[i])[: max(1, w // 6)], (x + 1, y + h + cap - 3), cv2.FONT_HERSHEY_SIMPLEX,
                        0.33, (20, 20, 20), 1, cv2.LINE_AA)
    return out
