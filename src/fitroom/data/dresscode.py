"""The DressCode dataset: its folder layout, its 18-label parse maps and its keypoint files.

Layout (Morelli et al., "Dress Code: High-Resolution Multi-Category Virtual Try-On", as
read by the authors' loader ``aimagelab/dress-code`` ``data/dataset.py`` and the README
shipped with the data)::

    root/{upper_body,lower_body,dresses}/
        images/<id>_0.jpg          person photo (1024x768)                   (required)
        images/<id>_1.jpg          garment product photo                     (required)
        keypoints/<id>_2.json      {"keypoints": [[x, y, score, k], ...]}, 18 COCO-18
                                   points at 384x512 (W x H), missing = [-1, -1, 0, -1]
        label_maps/<id>_4.png      one-channel parse map, 18 DressCode labels
        dense/<id>_5.png, <id>_5_uv.npz   DensePose part labels and UV
        skeletons/<id>_5.jpg       rendered pose (the README names it _3; both are found)
        masks/<id>_1.png           garment masks: NOT shipped (LaDI-VTON adds them);
                                   also looked for in cloth_mask/ and cloth-mask/
        train_pairs.txt, test_pairs_paired.txt, test_pairs_unpaired.txt
    root/train_pairs.txt, test_pairs_paired.txt, test_pairs_unpaired.txt   (all categories)

Each pair-list line is ``person-file garment-file``. Only the person and garment photos are
required; the other files are optional (None on the sample when absent; the loaders can
compute them with fitroom's own analysis, see :class:`~fitroom.data.sample.TryOnSample`).
"""

from __future__ import annotations

import os
from enum import IntEnum
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from fitroom.errors import DatasetError, KeypointsError
from fitroom.labels import Cihp, Coco18, KeypointFormat

from .keypoints import read_keypoint_json
from .sample import TryOnSample, _open_image

__all__ = [
    "CATEGORIES",
    "DRESSCODE_TO_CIHP",
    "DressCodeLabel",
    "KEYPOINT_CANVAS",
    "dresscode_parse_to_cihp",
    "is_dresscode",
    "read_dresscode",
    "read_dresscode_keypoints",
    "read_dresscode_label_map",
]

#: category folders, in the order they are read
CATEGORIES = ("upper_body", "lower_body", "dresses")
#: (width, height) of the image grid DressCode's keypoints were estimated on
KEYPOINT_CANVAS = (384, 512)

_PERSON_SUFFIX, _GARMENT_SUFFIX = "_0", "_1"
_MASK_DIRS = ("masks", "cloth_mask", "cloth-mask")
_ANNOTATION_DIRS = ("keypoints", "label_maps", "dense", "skeletons")
_PAIR_LISTS = ("train_pairs.txt", "test_pairs_paired.txt", "test_pairs_unpaired.txt")
_IMAGE_EXTS = (".jpg", ".jpeg", ".png")


class DressCodeLabel(IntEnum):
    """Label ids of DressCode's ``label_maps`` (an ATR-style 18-label set)."""

    BACKGROUND = 0
    HAT = 1
    HAIR = 2
    SUNGLASSES = 3
    UPPER_CLOTHES = 4
    SKIRT = 5
    PANTS = 6
    DRESS = 7
    BELT = 8
    LEFT_SHOE = 9
    RIGHT_SHOE = 10
    HEAD = 11
    LEFT_LEG = 12
    RIGHT_LEG = 13
    LEFT_ARM = 14
    RIGHT_ARM = 15
    BAG = 16
    SCARF = 17


#: DressCode label -> CIHP id. BELT has no CIHP counterpart and is resolved by
#: :func:`dresscode_parse_to_cihp` to the nearest garment; BAG becomes background (CIHP
#: has no bag, and LIP/CIHP annotate carried objects as background); HEAD (face and neck
#: skin) becomes FACE.
DRESSCODE_TO_CIHP: dict[DressCodeLabel, Cihp] = {
    DressCodeLabel.BACKGROUND: Cihp.BACKGROUND,
    DressCodeLabel.HAT: Cihp.HAT,
    DressCodeLabel.HAIR: Cihp.HAIR,
    DressCodeLabel.SUNGLASSES: Cihp.SUNGLASSES,
    DressCodeLabel.UPPER_CLOTHES: Cihp.UPPER_CLOTHES,
    DressCodeLabel.SKIRT: Cihp.SKIRT,
    DressCodeLabel.PANTS: Cihp.PANTS,
    DressCodeLabel.DRESS: Cihp.DRESS,
    DressCodeLabel.BELT: Cihp.PANTS,  # only where no garment is near (see below)
    DressCodeLabel.LEFT_SHOE: Cihp.LEFT_SHOE,
    DressCodeLabel.RIGHT_SHOE: Cihp.RIGHT_SHOE,
    DressCodeLabel.HEAD: Cihp.FACE,
    DressCodeLabel.LEFT_LEG: Cihp.LEFT_LEG,
    DressCodeLabel.RIGHT_LEG: Cihp.RIGHT_LEG,
    DressCodeLabel.LEFT_ARM: Cihp.LEFT_ARM,
    DressCodeLabel.RIGHT_ARM: Cihp.RIGHT_ARM,
    DressCodeLabel.BAG: Cihp.BACKGROUND,
    DressCodeLabel.SCARF: Cihp.SCARF,
}
_LUT = np.array([DRESSCODE_TO_CIHP[lab] for lab in DressCodeLabel], dtype=np.uint8)
_GARMENTS_CIHP = np.array([Cihp.UPPER_CLOTHES, Cihp.DRESS, Cihp.PANTS, Cihp.SKIRT], dtype=np.uint8)


def dresscode_parse_to_cihp(labels: np.ndarray) -> np.ndarray:
    """Map an ``(H, W)`` DressCode label map to CIHP ids (``(H, W)`` uint8).

    Labels map one to one by name (see :data:`DRESSCODE_TO_CIHP`). A belt takes the label of
    the nearest garment pixel (upper clothes, dress, pants or skirt): it is worn on that
    garment, so a dress with a belt stays one dress. Without any garment it becomes PANTS.
    Raises :class:`ValueError` for ids outside 0..17.
    """
    labels = np.asarray(labels)
    if labels.size and (labels.min() < 0 or labels.max() >= len(DressCodeLabel)):
        raise ValueError(f"DressCode label maps hold ids 0-{len(DressCodeLabel) - 1}, found {int(labels.max())}")
    out = _LUT[labels.astype(np.intp)]
    belt = labels == DressCodeLabel.BELT
    if belt.any():
        garment = np.isin(out, _GARMENTS_CIHP) & ~belt
        if garment.any():
            # distance to the nearest garment pixel, with that pixel's own label id
            src = np.where(garment, 0, 255).astype(np.uint8)
            _, idx = cv2.distanceTransformWithLabels(src, cv2.DIST_L2, 3, labelType=cv2.DIST_LABEL_PIXEL)
            lut = np.zeros(int(idx.max()) + 1, dtype=np.uint8)
            lut[idx[garment]] = out[garment]
            out[belt] = lut[idx[belt]]
    return out


def read_dresscode_label_map(path: str | os.PathLike[str]) -> np.ndarray:
    """Read a DressCode ``label_maps/<id>_4.png`` as CIHP ids, ``(H, W)`` uint8."""
    path = Path(path)
    im = _open_image(path, "label map")
    if im.mode not in ("P", "L", "I", "I;16"):
        raise DatasetError(f"label map {path} has image mode {im.mode}; expected a one-channel image of DressCode labels 0-17")
    arr = np.asarray(im)
    if arr.size and int(arr.max()) >= len(DressCodeLabel):
        raise DatasetError(f"label map {path} contains label {int(arr.max())}; DressCode labels are 0-{len(DressCodeLabel) - 1}")
    return dresscode_parse_to_cihp(arr)


def read_dresscode_keypoints(
    path: str | os.PathLike[str], image_size: tuple[int, int] | None = None
) -> tuple[np.ndarray, KeypointFormat]:
    """Read a DressCode ``keypoints/<id>_2.json``.

    The file holds ``{"keypoints": [[x, y, score, k], ...]}``: 18 points in COCO-18 order
    (``k`` is the index), estimated on a 384x512 (W x H) copy of the photo; a missing point
    is ``[-1, -1, 0, -1]``.

    Parameters
    ----------
    image_size:
        ``(width, height)`` of the photo the keypoints are for; the coordinates are scaled
        from 384x512 to it (x2 for the 768x1024 photos). None keeps the 384x512 pixels.

    Returns
    -------
    ``(keypoints (18, 3) float32 [x, y, confidence] in pixels, KeypointFormat.COCO18)``,
    missing points ``(0, 0, 0)`` as in OpenPose. Pixel centres are mapped, not corners:
    ``x' = (x + 0.5) * sx - 0.5``.

    Raises :class:`~fitroom.errors.KeypointsError` for a missing or malformed file.
    """
    what = f"keypoint file {os.fspath(path)}"
    data: Any = read_keypoint_json(path, what)
    if not isinstance(data, dict) or not isinstance(data.get("keypoints"), list):
        raise KeypointsError(f"{what} is not a DressCode keypoint file: it has no 'keypoints' list")
    try:
        arr = np.asarray(data["keypoints"], dtype=np.float64)
    except (TypeError, ValueError):
        raise KeypointsError(f"{what}: 'keypoints' is not a list of [x, y, score, index] numbers") from None
    n = len(Coco18)
    if arr.size != n * 4:
        raise KeypointsError(f"{what}: 'keypoints' has {arr.size} values; expected {n} points of [x, y, score, index]")
    arr = arr.reshape(n, 4)
    if not np.isfinite(arr).all():
        raise KeypointsError(f"{what}: 'keypoints' contains values that are not finite numbers")
    kp = np.zeros((n, 3), dtype=np.float32)
    # rows carry their own index; order by it when it is a permutation, else trust the row order
    order = arr[:, 3].astype(int)
    rows = np.argsort(order) if sorted(order.tolist()) == list(range(n)) else np.arange(n)
    arr = arr[rows]
    ok = (arr[:, 2] > 0) & (arr[:, 0] >= 0) & (arr[:, 1] >= 0)
    sx = sy = 1.0
    if image_size is not None:
        sx, sy = image_size[0] / KEYPOINT_CANVAS[0], image_size[1] / KEYPOINT_CANVAS[1]
    kp[ok, 0] = (arr[ok, 0] + 0.5) * sx - 0.5
    kp[ok, 1] = (arr[ok, 1] + 0.5) * sy - 0.5
    kp[ok, 2] = arr[ok, 2]
    return kp, KeypointFormat.COCO18


# --- folders -----------------------------------------------------------------------------
def _is_category_dir(d: Path) -> bool:
    """A DressCode category folder: images/ and an annotation folder or a DressCode list."""
    if not (d / "images").is_dir():
        return False
    return any((d / n).is_dir() for n in _ANNOTATION_DIRS) or any((d / n).is_file() for n in _PAIR_LISTS[1:])


def _category_dirs(root: Path) -> list[Path]:
    return [root / c for c in CATEGORIES if (root / c).is_dir() and (root / c / "images").is_dir()]


def is_dresscode(d: str | os.PathLike[str]) -> bool:
    """Whether ``d`` is a DressCode root (category folders) or one category folder."""
    d = Path(d)
    return d.is_dir() and (bool(_category_dirs(d)) or _is_category_dir(d))


class _Names:
    """The file names of one folder (one listing instead of one stat per file)."""

    def __init__(self, d: Path) -> None:
        self.dir = d
        try:
            self.names = set(os.listdir(d)) if d.is_dir() else set()
        except OSError:
            self.names = set()

    def find(self, name: str) -> Path | None:
        if name in self.names:
            return self.dir / name
        if Path(name).suffix.lower() not in _IMAGE_EXTS:
            for ext in _IMAGE_EXTS:
                if name + ext in self.names:
                    return self.dir / (name + ext)
        return None


class _Category:
    def __init__(self, d: Path) -> None:
        self.dir = d
        self.name = d.name
        self.images = _Names(d / "images")
        self.keypoints = _Names(d / "keypoints")
        self.label_maps = _Names(d / "label_maps")
        self.dense = _Names(d / "dense")
        self.skeletons = _Names(d / "skeletons")
        mask_dir = next((d / n for n in _MASK_DIRS if (d / n).is_dir()), None)
        self.masks = _Names(mask_dir) if mask_dir is not None else None

    def sample(self, person: str, garment: str, subset: str, where: str) -> TryOnSample:
        p = self.images.find(person)
        if p is None:
            raise DatasetError(f"person image {self.images.dir / person} does not exist{where}")
        g = self.images.find(garment)
        if g is None:
            raise DatasetError(f"garment image {self.images.dir / garment} does not exist{where}")
        pid, gid = p.stem, g.stem
        base = pid[: -len(_PERSON_SUFFIX)] if pid.endswith(_PERSON_SUFFIX) else pid
        mask = None
        if self.masks is not None:
            mask = self.masks.find(gid + ".png") or self.masks.find(g.name) or self.masks.find(gid)
        skeleton = self.skeletons.find(f"{base}_5.jpg") or self.skeletons.find(f"{base}_3.jpg")
        from .layouts import is_paired  # layouts imports this module

        return TryOnSample(
            person_id=pid,
            garment_id=gid,
            person_path=p,
            garment_path=g,
            garment_mask_path=mask,
            parse_path=self.label_maps.find(f"{base}_4.png"),
            keypoints_path=self.keypoints.find(f"{base}_2.json"),
            paired=is_paired(pid, gid),
            subset=subset,
            densepose_path=self.dense.find(f"{base}_5.png"),
            skeleton_path=skeleton,
            category=self.name,
            parse_labels="dresscode",
            keypoints_format="dresscode",
        )


def _list_name(split: str, order: str | None) -> str:
    if split == "train":
        return "train_pairs.txt"
    if split == "test":
        return f"test_pairs_{order or 'paired'}.txt"
    raise DatasetError(f"DressCode has the splits 'train' and 'test', not {split!r}")


def _category_of_line(fields: list[str], cats: dict[str, _Category]) -> _Category | None:
    """The category a root-level pair-list line belongs to: a third column naming it, else
    the category whose images/ holds the person file (ids are unique across categories)."""
    for extra in fields[2:]:
        if extra in cats:
            return cats[extra]
    for cat in cats.values():
        if cat.images.find(fields[0]) is not None:
            return cat
    return None


def _read_root_list(path: Path, cats: dict[str, _Category], root_name: str, wanted: set[str]) -> list[TryOnSample]:
    from .layouts import read_pairs_file

    read_pairs_file(path)  # validates: raises for a missing, unreadable or malformed list
    text_lines = [ln.split() for ln in path.read_text(encoding="utf-8").splitlines()]
    text_lines = [f for f in text_lines if f and not f[0].startswith("#")]
    samples = []
    for fields in text_lines:
        cat = _category_of_line(fields, cats)
        if cat is None:
            raise DatasetError(
                f"person image {fields[0]} (named in {path}) is in none of the category folders "
                f"{', '.join(str(c.images.dir) for c in cats.values())}"
            )
        if cat.name in wanted:
            samples.append(cat.sample(fields[0], fields[1], f"{root_name}/{cat.name}", f" (named in {path})"))
    return samples


def read_dresscode(
    root: str | os.PathLike[str],
    split: str | None = None,
    pairs_file: str | os.PathLike[str] | None = None,
    *,
    order: str | None = None,
    categories: tuple[str, ...] | list[str] | None = None,
) -> list[TryOnSample]:
    """Read the samples of a DressCode root folder or of one of its category folders.

    Parameters
    ----------
    split:
        ``"train"`` (``train_pairs.txt``) or ``"test"`` (``test_pairs_<order>.txt``). May be
        left out when only one of the two is present.
    order:
        ``"paired"`` (default, as in the authors' loader) or ``"unpaired"``, for the test split.
    pairs_file:
        An explicit pair list. In a category folder its names are files of ``images/``; at
        the root each line's category is its third column if that names a category,
        otherwise the category whose ``images/`` holds the person file.
    categories:
        Which of ``upper_body``, ``lower_body``, ``dresses`` to read (default: all present).

    The per-category lists are read (in :data:`CATEGORIES` order); where a category has
    none, the root's list of the same name is used. ``subset`` is ``"<root>/<category>"``,
    ``category`` the category folder's name.

    Raises :class:`DatasetError` for a missing pair list (naming the files looked for), a
    missing person or garment photo (naming it), an unknown category, split or order.
    """
    root = Path(root)
    if order not in (None, "paired", "unpaired"):
        raise DatasetError(f"order must be 'paired' or 'unpaired', not {order!r}")
    if _is_category_dir(root) and not _category_dirs(root):
        cat_dirs, root_name = [root], root.parent.resolve().name
    else:
        cat_dirs, root_name = _category_dirs(root), root.resolve().name
    if not cat_dirs:
        raise DatasetError(
            f"{root} is not a DressCode folder: it has none of the category folders "
            f"{', '.join(CATEGORIES)} with an images/ folder"
        )
    if categories is not None:
        unknown = [c for c in categories if c not in CATEGORIES]
        if unknown:
            raise DatasetError(f"unknown DressCode categories {unknown}; they are {', '.join(CATEGORIES)}")
        present = {d.name for d in cat_dirs}
        absent = [c for c in categories if c not in present]
        if absent:
            raise DatasetError(f"{root} has no category folder {', '.join(absent)} (with images/)")
        cat_dirs = [d for d in cat_dirs if d.name in categories]
    cats = {d.name: _Category(d) for d in cat_dirs}
    wanted = set(cats)

    if pairs_file is not None:
        path = Path(pairs_file)
        if not path.is_file():
            raise DatasetError(f"pair list {path} does not exist")
        return _read_root_list(path, cats, root_name, wanted)

    dirs = [root, *cat_dirs]

    def has(fname: str) -> bool:
        return any((d / fname).is_file() for d in dirs)

    if split is None:
        has_train = has("train_pairs.txt")
        has_test = has("test_pairs_paired.txt") or has("test_pairs_unpaired.txt")
        if has_train and has_test:
            raise DatasetError(f"{root} has train and test pair lists; choose one with split='train' or split='test'")
        if not (has_train or has_test):
            raise DatasetError(
                f"{root} has no DressCode pair list ({', '.join(_PAIR_LISTS)}) in its category folders or at its root"
            )
        split = "train" if has_train else "test"
    if split == "test" and order is None:
        order = "unpaired" if not has("test_pairs_paired.txt") and has("test_pairs_unpaired.txt") else "paired"
    name = _list_name(split, order)

    from .layouts import read_pairs_file

    samples: list[TryOnSample] = []
    root_list_used = False
    for cat in cats.values():
        lst = cat.dir / name
        if lst.is_file():
            where = f" (named in {lst})"
            samples += [cat.sample(p, g, f"{root_name}/{cat.name}", where) for p, g in read_pairs_file(lst)]
        elif (root / name).is_file() and cat.dir != root:
            if not root_list_used:
                missing = {c for c, cc in cats.items() if not (cc.dir / name).is_file()}
                samples += _read_root_list(root / name, cats, root_name, missing)
                root_list_used = True
        else:
            raise DatasetError(f"pair list {lst} does not exist (nor {root / name})")
    return samples
