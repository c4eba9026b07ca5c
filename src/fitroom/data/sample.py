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
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from fitroom.errors import DatasetError
from fitroom.labels import CIHP_PALETTE, Cihp, KeypointFormat, convert_keypoints

from .keypoints import read_openpose_json

__all__ = ["KEYPOINT_FILES", "PARSE_LABELS", "TryOnSample"]

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


#: values of :attr:`TryOnSample.parse_labels`
PARSE_LABELS = ("cihp", "dresscode")
#: values of :attr:`TryOnSample.keypoints_format`
KEYPOINT_FILES = ("openpose", "dresscode")


def _image_size(path: Path, what: str) -> tuple[int, int]:
    """(width, height) of an image, from its header (no decoding)."""
    try:
        with Image.open(path) as im:
            return im.size
    except FileNotFoundError:
        raise DatasetError(f"{what} {path} does not exist") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise DatasetError(f"{what} {path} could not be decoded as an image: {exc}") from None


@lru_cache(maxsize=2)
def _own_analysis(person_path: Path, keypoints: tuple[tuple[float, ...], ...] | None, fmt: str | None):
    """fitroom's own person analysis of a photo (cached: parse and keypoints come from one
    run, so asking for both costs one analysis)."""
    from fitroom.errors import FitroomError
    from fitroom.person.analyze import analyze_person

    image = _read_rgb(person_path, "person image")
    given = (np.asarray(keypoints, dtype=np.float32), KeypointFormat(fmt)) if keypoints is not None else None
    try:
        return analyze_person(image, keypoints=given)
    except FitroomError as exc:
        raise DatasetError(
            f"fitroom's own person analysis of {person_path} (needed for a missing annotation) failed: {exc}"
        ) from None


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
    agnostic_path:
        Cloth-agnostic person image (VITON-HD ``agnostic-v3.2/``), or None.
    agnostic_mask_path:
        Mask of the region the agnostic image hides (``agnostic-mask/``), or None.
    densepose_path:
        DensePose of the person as stored: an IUV colour rendering (VITON-HD
        ``image-densepose/``) or a one-channel part-label image (DressCode ``dense/*_5.png``).
    skeleton_path:
        Rendered pose image (VITON-HD ``openpose_img/`` / ``openpose-img/``, DressCode
        ``skeletons/``), or None.
    category:
        DressCode category folder (``upper_body``, ``lower_body``, ``dresses``), else ``""``.
    parse_labels:
        Label set of the parse file: ``"cihp"`` or ``"dresscode"`` (18 labels, mapped to CIHP
        on load by :func:`fitroom.data.dresscode.dresscode_parse_to_cihp`).
    texture_coords_path:
        For each person pixel, the product-photo pixel it shows (fitroom's synthetic data,
        ``texture-coords/``, :mod:`fitroom.data.texture_coords`), or None.
    keypoints_format:
        Keypoint file kind: ``"openpose"`` (COCO-18 or BODY_25 JSON) or ``"dresscode"``
        (``{"keypoints": [[x, y, score, k], ...]}`` at 384x512, scaled to the photo on load).

    Missing optional annotations
    ----------------------------
    ``load_garment_mask``, ``load_parse`` and ``load_keypoints`` return None for an absent
    file by default, so that ground-truth comparisons never compare fitroom with itself.
    With ``compute_missing=True`` they instead compute it with fitroom's own analysis:
    :func:`fitroom.garment.garment_mask` for the mask,
    :func:`fitroom.person.analyze.analyze_person` for the parse and the BODY_25 keypoints
    (one cached analysis serves both). Present files are always read, never recomputed.
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
    agnostic_path: Path | None = None
    agnostic_mask_path: Path | None = None
    densepose_path: Path | None = None
    skeleton_path: Path | None = None
    category: str = ""
    parse_labels: str = "cihp"
    keypoints_format: str = "openpose"
    texture_coords_path: Path | None = None

    def __post_init__(self) -> None:
        if self.parse_labels not in PARSE_LABELS:
            raise ValueError(f"parse_labels must be one of {PARSE_LABELS}, not {self.parse_labels!r}")
        if self.keypoints_format not in KEYPOINT_FILES:
            raise ValueError(f"keypoints_format must be one of {KEYPOINT_FILES}, not {self.keypoints_format!r}")

    def load_texture_coords(self) -> np.ndarray:
        """``(H, W, 2)`` float32 product-photo xy of each person pixel (NaN off the garment)."""
        from .texture_coords import read_texture_coords

        if self.texture_coords_path is None:
            raise DatasetError(f"sample {self.person_id} has no texture coordinates (only fitroom's synthetic data has them)")
        return read_texture_coords(self.texture_coords_path)

    def load_person(self) -> np.ndarray:
        """The person photo, ``(H, W, 3)`` uint8 RGB."""
        return _read_rgb(self.person_path, "person image")

    def load_garment(self) -> np.ndarray:
        """The garment product photo, ``(H, W, 3)`` uint8 RGB."""
        return _read_rgb(self.garment_path, "garment image")

    def load_garment_mask(self, *, compute_missing: bool = False) -> np.ndarray | None:
        """The garment mask, ``(H, W)`` bool (stored value > 127).

        Without a mask file: None, or with ``compute_missing`` fitroom's own
        :func:`~fitroom.garment.garment_mask` of the garment photo (raises
        :class:`DatasetError` when it finds no garment).
        """
        if self.garment_mask_path is not None:
            return _read_mask(self.garment_mask_path, "garment mask")
        if not compute_missing:
            return None
        from fitroom.errors import FitroomError
        from fitroom.garment.mask import garment_mask

        try:
            return garment_mask(self.load_garment())
        except FitroomError as exc:
            raise DatasetError(
                f"fitroom's own garment mask of {self.garment_path} (the dataset has none) failed: {exc}"
            ) from None

    def load_parse(self, *, compute_missing: bool = False) -> np.ndarray | None:
        """The person's parse map, ``(H, W)`` uint8 CIHP ids (0..19).

        DressCode label maps are mapped to CIHP ids. Without a parse file: None, or with
        ``compute_missing`` the parse of fitroom's own person analysis (using the sample's
        keypoint file, if any, as the pose).
        """
        if self.parse_path is not None:
            if self.parse_labels == "dresscode":
                from .dresscode import read_dresscode_label_map

                return read_dresscode_label_map(self.parse_path)
            return _read_parse(self.parse_path, "parse map")
        if not compute_missing:
            return None
        given = self.load_keypoints()
        key = None if given is None else (tuple(map(tuple, given[0].tolist())), str(given[1]))
        return _own_analysis(self.person_path, *(key or (None, None))).parse.copy()

    def load_keypoints(self, *, compute_missing: bool = False) -> tuple[np.ndarray, KeypointFormat] | None:
        """The person's pose as ``(keypoints (N, 3) float32, format)`` in pixels of the photo.

        OpenPose files give COCO-18 or BODY_25 as stored; DressCode files give COCO-18
        scaled from 384x512 to the photo. Without a keypoint file: None, or with
        ``compute_missing`` the BODY_25 keypoints of fitroom's own person analysis.

        Raises :class:`~fitroom.errors.KeypointsError` for a malformed file.
        """
        if self.keypoints_path is not None:
            if self.keypoints_format == "dresscode":
                from .dresscode import read_dresscode_keypoints

                return read_dresscode_keypoints(self.keypoints_path, _image_size(self.person_path, "person image"))
            return read_openpose_json(self.keypoints_path)
        if not compute_missing:
            return None
        return _own_analysis(self.person_path, None, None).keypoints.copy(), KeypointFormat.BODY25

    def load_keypoints_body25(self, *, compute_missing: bool = False) -> np.ndarray | None:
        """The pose converted to BODY_25, ``(25, 3)`` float32 (see :meth:`load_keypoints`)."""
        kp = self.load_keypoints(compute_missing=compute_missing)
        if kp is None:
            return None
        return convert_keypoints(kp[0], kp[1], KeypointFormat.BODY25)

    def load_agnostic(self) -> np.ndarray | None:
        """The cloth-agnostic person image, ``(H, W, 3)`` uint8 RGB, or None if absent."""
        return None if self.agnostic_path is None else _read_rgb(self.agnostic_path, "agnostic image")

    def load_agnostic_mask(self) -> np.ndarray | None:
        """The agnostic mask, ``(H, W)`` bool (True where hidden), or None if absent."""
        return None if self.agnostic_mask_path is None else _read_mask(self.agnostic_mask_path, "agnostic mask")

    def load_densepose(self) -> np.ndarray | None:
        """The DensePose image as stored: ``(H, W, 3)`` uint8 for a colour rendering,
        ``(H, W)`` uint8 for a one-channel part-label image; None if absent."""
        if self.densepose_path is None:
            return None
        im = _open_image(self.densepose_path, "densepose image")
        if im.mode in ("L", "P", "I", "I;16"):
            return np.asarray(im).astype(np.uint8)
        return np.asarray(im.convert("RGB"), dtype=np.uint8).copy()

    def load_skeleton(self) -> np.ndarray | None:
        """The rendered pose image, ``(H, W, 3)`` uint8 RGB, or None if absent."""
        return None if self.skeleton_path is None else _read_rgb(self.skeleton_path, "skeleton image")
