"""Texture coordinates of a worn garment: for each person pixel, the product-photo pixel it shows.

fitroom's synthetic renderer knows them exactly (:attr:`fitroom.data.synth.render.RenderedSample.texture_coords`)
and writes them beside each sample as ``texture-coords/<id>.png``, so the learned warp can be
supervised with the exact flow (``loss.flow`` of ``fitroom train warp``).

File format: a 16-bit RGB PNG of the person photo's size; R = ``round(32 x) + 32768``,
G = ``round(32 y) + 32768`` (``x, y`` product-photo pixel coordinates, ``cv2.remap``
convention: pixel centres at integers; 1/32-pixel steps, -1024 <= x, y < 1024), B = 65535
where the pixel shows the garment, else 0.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from fitroom.errors import DatasetError

__all__ = ["decode_texture_coords", "encode_texture_coords", "read_texture_coords", "texture_coords_to_flow"]

_SCALE = 32.0
_OFFSET = 32768


def encode_texture_coords(coords: np.ndarray) -> bytes:
    """PNG bytes of ``coords`` ``(H, W, 2)`` float (NaN where the garment is not seen)."""
    coords = np.asarray(coords, np.float32)
    if coords.ndim != 3 or coords.shape[2] != 2:
        raise ValueError(f"texture coordinates must be (H, W, 2), got {coords.shape}")
    valid = np.isfinite(coords).all(axis=2)
    q = np.where(valid[..., None], np.round(np.nan_to_num(coords) * _SCALE) + _OFFSET, 0)
    img = np.zeros(coords.shape[:2] + (3,), np.uint16)
    img[..., :2] = np.clip(q, 0, 65535).astype(np.uint16)
    img[..., 2] = np.where(valid, 65535, 0)
    ok, buf = cv2.imencode(".png", img[..., ::-1])  # OpenCV writes BGR
    if not ok:
        raise ValueError("could not encode the texture coordinates as PNG")
    return buf.tobytes()


def decode_texture_coords(data: bytes, what: str = "texture coordinates") -> np.ndarray:
    """``(H, W, 2)`` float32 product-photo xy from :func:`encode_texture_coords`' bytes (NaN
    where the garment is not seen)."""
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if img is None or img.dtype != np.uint16 or img.ndim != 3 or img.shape[2] != 3:
        raise DatasetError(f"{what} is not a 16-bit RGB PNG of texture coordinates")
    img = img[..., ::-1]
    coords = (img[..., :2].astype(np.float32) - _OFFSET) / _SCALE
    coords[img[..., 2] == 0] = np.nan
    return coords


def read_texture_coords(path: str | Path) -> np.ndarray:
    """:func:`decode_texture_coords` of the file ``path``."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DatasetError(f"texture coordinates {path} do not exist") from None
    return decode_texture_coords(data, f"texture coordinates {path}")


def texture_coords_to_flow(coords: np.ndarray, garment_size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """The backward flow of :mod:`fitroom.models.warp_flow` (``(2, H, W)`` float32, normalised
    units, align_corners=False) that samples a product photo of ``garment_size`` ``(h, w)``
    at ``coords`` ``(H, W, 2)``, and its validity ``(H, W)`` bool. The flow does not depend
    on the resolution either image is later resized to."""
    gh, gw = garment_size
    h, w = coords.shape[:2]
    valid = np.isfinite(coords).all(axis=2)
    c = np.nan_to_num(coords)
    jj = (np.arange(w, dtype=np.float32) + 0.5) * (2.0 / w) - 1.0
    ii = (np.arange(h, dtype=np.float32) + 0.5) * (2.0 / h) - 1.0
    fx = (c[..., 0] + 0.5) * (2.0 / gw) - 1.0 - jj[None, :]
    fy = (c[..., 1] + 0.5) * (2.0 / gh) - 1.0 - ii[:, None]
    flow = np.stack([fx, fy]).astype(np.float32)
    flow[:, ~valid] = 0.0
    return flow, valid
