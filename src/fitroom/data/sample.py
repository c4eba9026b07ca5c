"""One try-on sample of a dataset: a person photo, a garment photo and their annotations.

A :class:`TryOnSample` holds *paths*, not pixels, so a dataset of thousands of samples costs
a few kilobytes; the ``load_*`` methods decode on demand (nothing is cached). The same class
describes every supported layout (cp-vton, DressCode-style cp-vton with underscores,
VITON-HD); see :mod:`fitroom.data.layouts` for how samples are found.

Arrays follow the project conventions: images ``(H, W, 3)`` uint8 RGB, masks ``(H, W)``
bool, parse maps ``(H, W)`` uint8 :class:`~fitroom.labels.Cihp` ids, keypoints ``(N, 3)``
float32 ``[x, y, confidence]`` in pixels. Pixels are returned as stored: no EXIF rotation
is applied, because the annotations (parse maps, masks, poses) were made on the stored
pixel grid.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from fitroom.errors import DatasetError
from fitroom.labels import CIHP_PALETTE, Cihp, KeypointFormat

from .keypoints import read_openpose_json

__all__ = ["TryOnSample"]

_N_CIHP = len(Cihp)


def _open_image(path: Path, what: str) -> Image.Image:
    """Open and decode an image file, turning decoder errors into :class:`DatasetError`."""
    try:
        im = Image.open(path)
        im.load()
    except FileNotFoundError:
        raise DatasetError(f"{what} {path} does not exist") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise DatasetError(f"{what} {path} could not be decoded as an image: {exc}") from None
    return im


def _read_rgb(path: Path, what: str) -> np.ndarray:
    im = _open_image(path, what)
    return np.asarray(im.convert("RGB"), dtype=np.uint8).copy()


def _read_mask(path: Path, what: str) -> np.ndarray:
    """A mask stored as L, RGB (equal channels) or 1-bit image; foreground is > 127.

    The threshold also cleans JPEG ringing and anti-aliased edges (seen in real cp-vton and
    VITON-HD masks).
    """
    im = _open_image(path, what)
    return np.asarray(im.convert("L")) > 127


def _read_parse(path: Path, what: str) -> np.ndarray:
    """A CIHP parse map: palette (P) or grey (L) image of ids, or an RGB rendering in the
    LIP palette (converted back to ids). Raises DatasetError for ids outside 0..19."""
    im = _open_image(path, what)
    if im.mode in ("P", "L", "I", "I;16"):
        arr = np.asarray(im)
    elif im.mode in ("RGB", "RGBA"):
        rgb = np.asarray(im.convert("RGB"))
        code = (rgb[..., 0].astype(np.int32) << 16) | (rgb[..., 1].astype(np.int32) << 8) | rgb[..., 2]
        pal = (CIHP_PALETTE[:, 0].astype(np.int32) << 16) | (CIHP_PALETTE[:, 1].astype(np.int32) << 8) | CIHP_PALETTE[:, 2]
        order = np.argsort(pal)
        pos = np.searchsorted(pal[order], code).clip(0, len(pal) - 1)
        ids = order[pos]
        if not (pal[ids] == code).all():
            raise DatasetError(
                f"{what} {path} is an RGB image whose colours are not the CIHP palette; "
                "expected a palette or greyscale image of CIHP ids 0-19"
            )
        return ids.astype(np.uint8)
    else:
        raise DatasetError(f"{what} {path} has image mode {im.mode}; expected a palette or greyscale image of CIHP ids")
    if arr.size and int(arr.max()) >= _N_CIHP:
        raise DatasetError(f"{what} {path} contains label {int(arr.max())}; CIHP ids are 0-{_N_CIHP - 1}")
    return arr.astype(np.uint8)


@dataclass(frozen=True)
class TryOnSample:
    """A person photo and a garment photo, with optional annotations, as file paths.

    Attributes
    ----------
    person_id:
        Stem of the person image file, e.g. ``"000001_0"`` (cp-vton) or ``"00891_00"``.
    garment_id:
        Stem of the garment (product photo) file, e.g. ``"000001_1"``.
    person_path, garment_path:
        The two photos (always present).
    garment_mask_path:
        Binary mask of the garment in its product photo, or None if the dataset has none.
    parse_path:
        CIHP body-part parse map of the person, or None.
    keypoints_path:
        OpenPose JSON of the person (COCO-18 or BODY_25), or None.
    paired:
        True when the person really wears this garment, so the person photo is the ground
        truth of the try-on (full-reference metrics apply).
    subset:
        Name of the dataset the sample comes from, e.g. ``"viton256_paired"``.
    """

    person_id: str
    garment_id: str
    person_path: Path
    garment_path: Path
    garment_mask_path: Path | None = None
    parse_path: Path | None = None
    keypoints_path: Path | None = None
    paired: bool = False
    subset: str = ""

    def load_person(self) -> np.ndarray:
        """The person photo, ``(H, W, 3)`` uint8 RGB."""
        return _read_rgb(self.person_path, "person image")

    def load_garment(self) -> np.ndarray:
        """The garment product photo, ``(H, W, 3)`` uint8 RGB."""
        return _read_rgb(self.garment_path, "garment image")

    def load_garment_mask(self) -> np.ndarray | None:
        """The garment mask, ``(H, W)`` bool (stored value > 127), or None if absent."""
        if self.garment_mask_path is None:
            return None
        return _read_mask(self.garment_mask_path, "garment mask")

    def load_parse(self) -> np.ndarray | None:
        """The person's parse map, ``(H, W)`` uint8 CIHP ids (0..19), or None if absent."""
        if self.parse_path is None:
            return None
        return _read_parse(self.parse_path, "parse map")

    def load_keypoints(self) -> tuple[np.ndarray, KeypointFormat] | None:
        """The person's pose as ``(keypoints (N, 3) float32, format)``, or None if absent.

        Raises :class:`~fitroom.errors.KeypointsError` for a malformed file.
        """
        if self.keypoints_path is None:
            return None
        return read_openpose_json(self.keypoints_path)
