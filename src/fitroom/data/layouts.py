"""Find the try-on samples of a dataset folder: cp-vton, VITON-HD, or a folder of several.

Supported layouts
-----------------
``cp-vton`` (VITON at 256x192 as shipped with cp-vton / cp-vton+, and the dress set)::

    root/image/000001_0.jpg            person photos                       (required)
    root/cloth/000001_1.jpg            garment product photos              (required)
    root/cloth-mask/ or cloth_mask/    garment masks, named like the garment
    root/image-parse/ or image_parse/  CIHP parse maps (png), named like the person
    root/pose/000001_0_keypoints.json  OpenPose COCO-18 (key ``pose_keypoints``)
    root/pairs.txt                     "person-file garment-file" per line

``viton-hd`` (VITON-HD at 1024x768; the names of its first release in brackets)::

    root/image/, root/cloth/                              (required)
    root/cloth-mask/
    root/image-parse-v3/ (image-parse/)                   CIHP parse maps
    root/openpose_json/ (openpose-json/)  <stem>_keypoints.json, BODY_25 (``pose_keypoints_2d``)
    root/openpose_img/ (openpose-img/)    <stem>_rendered.png, rendered pose
    root/agnostic-v3.2/                   cloth-agnostic person images
    root/agnostic-mask/                   <stem>_mask.png (as redistributed by later works)
    root/image-densepose/                 DensePose IUV renderings
    root/texture-coords/                  product-photo pixel of each worn pixel (fitroom's synthetic
                                          data, :mod:`fitroom.data.texture_coords`; paired samples only)
    root/test_pairs.txt or train_pairs.txt or pairs.txt, test_pairs_unpaired.txt,
    test_pairs_paired.txt                                 (optional)

``dresscode`` (DressCode, see :mod:`fitroom.data.dresscode`): ``upper_body/``,
``lower_body/``, ``dresses/`` each with ``images/``, ``keypoints/``, ``label_maps/``,
``dense/`` and pair lists; ``split`` is ``"train"`` or ``"test"``, ``order`` picks the paired
or unpaired test list.

Either layout may sit in split folders, ``root/train/`` and ``root/test/``, with the pair
lists beside them (``root/train_pairs.txt``, ``root/test_pairs.txt``) as VITON-HD and
cp-vton ship them; pass ``split="test"``.

A *collection* is a folder whose subfolders are datasets (like ``../shared/realdata``):
each is read and the samples are concatenated, with ``subset`` set to the subfolder name.

Pairs
-----
With a pair list, each line ``person garment`` (file names in ``image/`` and ``cloth/``;
extra columns, blank lines and ``#`` comments are ignored) is one sample. Without one,
the person images and the garment images are each sorted by file name and person ``i`` is
combined with garment ``i mod G`` (G garments), so every person appears once.

Whether a sample is *paired* (ground truth available) follows from the file stems alone;
see :func:`is_paired`.

Optional files (mask, parse map, keypoints) are None on the sample when their folder is
absent, or when the folder has no file for that sample. A missing person or garment image
named by a pair list is an error.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from fitroom.errors import DatasetError

from .dresscode import is_dresscode, read_dresscode
from .sample import TryOnSample

__all__ = [
    "Layout",
    "PAIR_FILES",
    "SPLITS",
    "detect_layout",
    "is_paired",
    "read_dataset",
    "read_pairs_file",
]


class Layout(StrEnum):
    """What :func:`detect_layout` finds."""

    CPVTON = "cp-vton"
    VITONHD = "viton-hd"
    DRESSCODE = "dresscode"
    COLLECTION = "collection"


#: pair-list file names, in the order they are looked for
PAIR_FILES = ("pairs.txt", "test_pairs.txt", "train_pairs.txt", "test_pairs_unpaired.txt", "test_pairs_paired.txt")
#: names of split subfolders
SPLITS = ("train", "test")

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp")

_PERSON_DIRS = ("image",)
_GARMENT_DIRS = ("cloth",)
_MASK_DIRS = ("cloth-mask", "cloth_mask")
_PARSE_DIRS = ("image-parse-v3", "image-parse", "image_parse")
_POSE_DIRS = ("openpose_json", "openpose-json", "pose")
_SKELETON_DIRS = ("openpose_img", "openpose-img")
_AGNOSTIC_DIRS = ("agnostic-v3.2",)
_AGNOSTIC_MASK_DIRS = ("agnostic-mask",)
_DENSEPOSE_DIRS = ("image-densepose",)
_TEXTURE_COORDS_DIRS = ("texture-coords",)
# folders that only one layout uses
_CPVTON_ONLY = ("pose", "cloth_mask", "image_parse")
_VITONHD_ONLY = ("openpose_json", "openpose-json", "image-parse-v3", "openpose_img", "openpose-img",
                 "agnostic-v3.2", "image-densepose")

_SUPPORTED = (
    "Supported layouts: cp-vton (image/, cloth/, cloth-mask/ or cloth_mask/, image-parse/ or "
    "image_parse/, pose/<stem>_keypoints.json, pairs.txt); VITON-HD (image/, cloth/, "
    "cloth-mask/, image-parse-v3/ or image-parse/, openpose_json/ or openpose-json/, optional "
    "test_pairs.txt / train_pairs.txt), either one possibly inside train/ and test/ split "
    "folders; DressCode (upper_body/, lower_body/, dresses/ with images/, keypoints/, "
    "label_maps/ and pair lists); or a folder whose subfolders are such datasets."
)

_CPVTON_PERSON = re.compile(r"^(?P<id>.+)_0$")
_CPVTON_GARMENT = re.compile(r"^(?P<id>.+)_1$")


def is_paired(person_id: str, garment_id: str) -> bool:
    """Whether the person in ``person_id`` wears the garment ``garment_id``.

    The rule, from the naming conventions of the datasets (file stems, no extension):

    * identical stems are paired: VITON-HD names a person photo and the product photo of
      the garment they wear alike (``train_pairs.txt`` lists ``00000_00.jpg 00000_00.jpg``);
    * ``<id>_0`` with ``<id>_1`` is paired: VITON, cp-vton and the dress set name the
      person ``<id>_0`` and the product photo of their garment ``<id>_1``; the
      ``pairs.txt`` of ``viton256_paired`` and ``dress256_paired`` are of this kind;
    * anything else (VITON-HD ``test_pairs.txt``, lists combining different ids) is unpaired.
    """
    if person_id == garment_id:
        return True
    p, g = _CPVTON_PERSON.match(person_id), _CPVTON_GARMENT.match(garment_id)
    return bool(p and g and p["id"] == g["id"])


def read_pairs_file(path: str | os.PathLike[str]) -> list[tuple[str, str]]:
    """Read a pair list: ``person-file garment-file`` per line (whitespace separated).

    Blank lines and lines starting with ``#`` are skipped; columns after the second (such
    as a DressCode category) are ignored. Raises :class:`DatasetError` for a missing file,
    a line with fewer than two names, or a list with no pairs.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DatasetError(f"pair list {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(f"pair list {path} could not be read: {exc}") from None
    pairs: list[tuple[str, str]] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        fields = line.split()
        if len(fields) < 2:
            raise DatasetError(
                f"line {lineno} of pair list {path} has one name ({fields[0]!r}); expected "
                "'person-file garment-file'"
            )
        pairs.append((fields[0], fields[1]))
    if not pairs:
        raise DatasetError(f"pair list {path} lists no pairs")
    return pairs


# --- folder inspection -----------------------------------------------------------------
def _first_dir(root: Path, names: Sequence[str]) -> Path | None:
    for name in names:
        if (root / name).is_dir():
            return root / name
    return None


def _looks_like_dataset(d: Path) -> bool:
    """A folder that tries to be a (flat) dataset: it has a person or garment folder."""
    return _first_dir(d, _PERSON_DIRS) is not None or _first_dir(d, _GARMENT_DIRS) is not None


def _flat_layout(d: Path) -> Layout | None:
    """The layout of a flat dataset folder, None if ``d`` is not one.

    Raises DatasetError for a half dataset (persons but no garments or the reverse)."""
    if not d.is_dir() or not _looks_like_dataset(d):
        return None
    if _first_dir(d, _PERSON_DIRS) is None:
        raise DatasetError(f"{d} has a cloth/ folder but no image/ folder of person photos. {_SUPPORTED}")
    if _first_dir(d, _GARMENT_DIRS) is None:
        raise DatasetError(f"{d} has an image/ folder but no cloth/ folder of garment photos. {_SUPPORTED}")
    if any((d / n).is_dir() for n in _CPVTON_ONLY):
        return Layout.CPVTON
    if any((d / n).is_dir() for n in _VITONHD_ONLY):
        return Layout.VITONHD
    # nothing tells: cp-vton ships pairs.txt, VITON-HD {train,test}_pairs.txt or nothing
    return Layout.CPVTON if (d / "pairs.txt").is_file() else Layout.VITONHD


def _split_dirs(root: Path) -> list[str]:
    return [s for s in SPLITS if (root / s).is_dir() and _looks_like_dataset(root / s)]


def _member_dirs(root: Path) -> list[Path]:
    return [
        d
        for d in sorted(root.iterdir(), key=lambda p: p.name)
        if d.is_dir() and not d.name.startswith(".") and (_looks_like_dataset(d) or _split_dirs(d) or is_dresscode(d))
    ]


def _check_root(root: str | os.PathLike[str]) -> Path:
    path = Path(root)
    if not path.exists():
        raise DatasetError(f"dataset folder {path} does not exist")
    if not path.is_dir():
        raise DatasetError(f"{path} is a file; a dataset is a folder. {_SUPPORTED}")
    return path


def detect_layout(root: str | os.PathLike[str]) -> str:
    """Which layout ``root`` is: ``"cp-vton"``, ``"viton-hd"`` or ``"collection"``.

    A folder with ``train/`` / ``test/`` split subfolders reports the layout of its splits.
    The value is a :class:`Layout` (a ``str``). Raises :class:`DatasetError` for a folder
    of none of the supported layouts.
    """
    path = _check_root(root)
    flat = _flat_layout(path)
    if flat is not None:
        return flat
    if is_dresscode(path):
        return Layout.DRESSCODE
    splits = _split_dirs(path)
    if splits:
        return _flat_layout(path / splits[0])  # type: ignore[return-value]
    if _member_dirs(path):
        return Layout.COLLECTION
    raise DatasetError(f"{path} is not a try-on dataset fitroom can read. {_SUPPORTED}")


# --- reading -----------------------------------------------------------------------------
class _DirIndex:
    """File names of one folder, for fast look-up by exact name or by stem."""

    def __init__(self, d: Path | None) -> None:
        self.dir = d
        self.by_name: dict[str, Path] = {}
        self.by_stem: dict[str, Path] = {}
        if d is None:
            return
        rank = {ext: i for i, ext in enumerate(IMAGE_EXTENSIONS)}
        for entry in sorted(os.scandir(d), key=lambda e: e.name):
            if entry.name.startswith(".") or not entry.is_file():
                continue
            p = Path(entry.path)
            self.by_name[entry.name] = p
            ext = p.suffix.lower()
            if ext in rank:
                old = self.by_stem.get(p.stem)
                if old is None or rank[ext] < rank[old.suffix.lower()]:
                    self.by_stem[p.stem] = p

    def images(self) -> list[Path]:
        return [p for n, p in sorted(self.by_name.items()) if p.suffix.lower() in IMAGE_EXTENSIONS]

    def find(self, name: str) -> Path | None:
        """The file called ``name``, else an image with the same stem (any extension)."""
        if self.dir is None:
            return None
        if name in self.by_name:
            return self.by_name[name]
        return self.by_stem.get(Path(name).stem if Path(name).suffix.lower() in IMAGE_EXTENSIONS else name)


@dataclass
class _Folders:
    person: _DirIndex
    garment: _DirIndex
    mask: _DirIndex
    parse: _DirIndex
    pose: _DirIndex
    skeleton: _DirIndex
    agnostic: _DirIndex
    agnostic_mask: _DirIndex
    densepose: _DirIndex
    texture_coords: _DirIndex

    @classmethod
    def of(cls, d: Path) -> _Folders:
        return cls(
            person=_DirIndex(_first_dir(d, _PERSON_DIRS)),
            garment=_DirIndex(_first_dir(d, _GARMENT_DIRS)),
            mask=_DirIndex(_first_dir(d, _MASK_DIRS)),
            parse=_DirIndex(_first_dir(d, _PARSE_DIRS)),
            pose=_DirIndex(_first_dir(d, _POSE_DIRS)),
            skeleton=_DirIndex(_first_dir(d, _SKELETON_DIRS)),
            agnostic=_DirIndex(_first_dir(d, _AGNOSTIC_DIRS)),
            agnostic_mask=_DirIndex(_first_dir(d, _AGNOSTIC_MASK_DIRS)),
            densepose=_DirIndex(_first_dir(d, _DENSEPOSE_DIRS)),
            texture_coords=_DirIndex(_first_dir(d, _TEXTURE_COORDS_DIRS)),
        )


def _find_pairs_file(d: Path, split: str | None, outer: Path | None = None, order: str | None = None) -> Path | None:
    """The pair list of a flat dataset ``d`` (``outer`` is the split root, if any).

    With a split, ``<split>_pairs_<order>.txt`` when ``order`` is given (VITON-HD's
    ``test_pairs.txt`` counts as the unpaired list), else ``<split>_pairs.txt``."""
    if split is not None:
        if order is None:
            names = [f"{split}_pairs.txt"]
        elif order == "unpaired":
            names = [f"{split}_pairs_unpaired.txt", f"{split}_pairs.txt"]
        else:
            names = [f"{split}_pairs_{order}.txt"]
        for name in names:
            for folder in (outer, d):
                if folder is not None and (folder / name).is_file():
                    return folder / name
        if order is not None:
            raise DatasetError(f"{d} has no {' or '.join(names)} for split={split!r}, order={order!r}")
        if (d / "pairs.txt").is_file():
            return d / "pairs.txt"
        return None
    found = [d / n for n in PAIR_FILES if (d / n).is_file()]
    if len(found) > 1:
        names = ", ".join(p.name for p in found)
        raise DatasetError(
            f"{d} has several pair lists ({names}); choose one with pairs_file= or split="
        )
    return found[0] if found else None


def _read_flat(d: Path, subset: str, pairs_path: Path | None) -> list[TryOnSample]:
    f = _Folders.of(d)
    if pairs_path is not None:
        names = read_pairs_file(pairs_path)
        where = f" (named in {pairs_path})"
    else:
        persons, garments = f.person.images(), f.garment.images()
        if not persons:
            raise DatasetError(f"{f.person.dir} holds no images ({', '.join(IMAGE_EXTENSIONS)})")
        if not garments:
            raise DatasetError(f"{f.garment.dir} holds no images ({', '.join(IMAGE_EXTENSIONS)})")
        names = [(p.name, garments[i % len(garments)].name) for i, p in enumerate(persons)]
        where = ""

    samples = []
    for person_name, garment_name in names:
        person = f.person.find(person_name)
        if person is None:
            raise DatasetError(f"person image {f.person.dir / person_name} does not exist{where}")
        garment = f.garment.find(garment_name)
        if garment is None:
            raise DatasetError(f"garment image {f.garment.dir / garment_name} does not exist{where}")
        pid, gid = person.stem, garment.stem
        samples.append(
            TryOnSample(
                person_id=pid,
                garment_id=gid,
                person_path=person,
                garment_path=garment,
                garment_mask_path=f.mask.find(garment.name),
                parse_path=f.parse.find(pid),
                keypoints_path=f.pose.by_name.get(f"{pid}_keypoints.json"),
                paired=is_paired(pid, gid),
                subset=subset,
                agnostic_path=f.agnostic.find(pid),
                agnostic_mask_path=f.agnostic_mask.find(f"{pid}_mask") or f.agnostic_mask.find(pid),
                densepose_path=f.densepose.find(pid),
                skeleton_path=f.skeleton.find(f"{pid}_rendered") or f.skeleton.find(pid),
                texture_coords_path=f.texture_coords.find(pid) if is_paired(pid, gid) else None,
            )
        )
    return samples


def read_dataset(
    root: str | os.PathLike[str],
    split: str | None = None,
    pairs_file: str | os.PathLike[str] | None = None,
    *,
    order: str | None = None,
    categories: Sequence[str] | None = None,
) -> list[TryOnSample]:
    """Read the samples of a dataset folder (see the module docstring for the layouts).

    Parameters
    ----------
    root:
        A cp-vton or VITON-HD folder, a folder with ``train/`` and ``test/`` splits of one,
        or a folder of several datasets (a collection).
    split:
        Which split to read when there are split folders (required if there are several);
        also selects ``<split>_pairs.txt`` in a flat folder holding more than one list.
    pairs_file:
        An explicit pair list for a single dataset (not for a collection).
    order:
        ``"paired"`` or ``"unpaired"``: with ``split``, read ``<split>_pairs_<order>.txt``
        (DressCode's test lists; for VITON-HD ``test_pairs.txt`` is the unpaired list).
        DressCode's test split defaults to paired, as in its authors' loader.
    categories:
        DressCode categories to read (default all); an error for other layouts.

    Returns
    -------
    The samples in pair-list order (or sorted person order without a list), collections in
    sorted subfolder order. ``subset`` is the dataset folder's name, ``"<name>/<split>"``
    for a split.

    Raises
    ------
    DatasetError
        Unrecognised folder, missing person or garment image, ambiguous or malformed pair
        list, unknown split.
    """
    path = _check_root(root)
    name = path.resolve().name
    pairs_path = Path(pairs_file) if pairs_file is not None else None
    if order not in (None, "paired", "unpaired"):
        raise DatasetError(f"order must be 'paired' or 'unpaired', not {order!r}")
    if _flat_layout(path) is None and is_dresscode(path):
        return read_dresscode(path, split, pairs_path, order=order, categories=categories)
    if order is not None and split is None and pairs_path is None:
        raise DatasetError("order= selects a test list; give split= too (e.g. split='test')")
    if categories is not None:
        raise DatasetError(f"categories= applies to DressCode folders; {path} is not one")

    if _flat_layout(path) is not None:
        return _read_flat(path, name, pairs_path or _find_pairs_file(path, split, order=order))

    splits = _split_dirs(path)
    if splits:
        if split is None:
            if len(splits) > 1:
                raise DatasetError(f"{path} has splits {', '.join(splits)}; choose one with split=")
            split = splits[0]
        if split not in splits:
            raise DatasetError(
                f"{path} has no split {split!r}; it has {', '.join(splits)}"
            )
        d = path / split
        _flat_layout(d)  # raises for a half dataset
        return _read_flat(d, f"{name}/{split}", pairs_path or _find_pairs_file(d, split, outer=path, order=order))

    members = _member_dirs(path)
    if members:
        if pairs_path is not None:
            raise DatasetError(f"{path} holds several datasets; pairs_file= applies to a single dataset")
        samples: list[TryOnSample] = []
        for m in members:
            if _flat_layout(m) is not None:
                samples += _read_flat(m, m.name, _find_pairs_file(m, split, order=order))
            else:
                samples += read_dataset(m, split=split, order=order)
        return samples

    raise DatasetError(f"{path} is not a try-on dataset fitroom can read. {_SUPPORTED}")
