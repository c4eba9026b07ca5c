"""A training set from real photos of people, built by fitroom's own analysis.

``build_real_dataset(images, out)`` (``fitroom data real --images DIR --out DIR``) runs the
person analysis (pose, parse, masks) on every photo of ``images``, in parallel processes,
and writes the VITON-HD layout the readers understand (:mod:`fitroom.data.layouts`)::

    {train,test}/image/<id>.jpg              the photo (its own bytes when it is a JPEG)
    {train,test}/image-parse-v3/<id>.png     fitroom's CIHP parse (P-mode PNG, LIP palette)
    {train,test}/openpose_json/<id>_keypoints.json   BODY_25 from MediaPipe
    {train,test}/agnostic-v3.2/<id>.jpg      the cloth-agnostic input (region grey)
    {train,test}/agnostic-mask/<id>.png      that region
    {train,test}/cloth/<id>.jpg              a pseudo product photo: the worn top or dress taken
                                             off and laid flat on white (:mod:`fitroom.pipelines.tryoff`)
    {train,test}/cloth-mask/<id>.png         its mask
    train_pairs.txt, test_pairs.txt          paired: "<id>.jpg <id>.jpg"
    meta.jsonl                               id, split, person, category (top / dress), size,
                                             sleeves, and labels of the photos (:func:`read_labels`,
                                             e.g. skin_tone) for breakdowns
    failures.jsonl                           the photos analysis refused, with the cause
    real.json                                the summary

Splits are by person, deterministically: the person is the file name without a trailing
``_NN`` view number (VITON-HD's ``01234_00``), and people are ordered by a hash of their id
and ``seed``; the first ``max(val_people, val_fraction x people)`` form ``test`` (the
validation split). A run can be stopped and started again: photos already written (their
``.done/<id>.json`` record) are skipped.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import re
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

__all__ = ["RealDatasetSummary", "build_real_dataset", "read_labels", "person_of", "split_people", "FOLDERS"]

FOLDERS = ("image", "image-parse-v3", "openpose_json", "agnostic-v3.2", "agnostic-mask", "cloth", "cloth-mask")
PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")
_VIEW = re.compile(r"_\d{1,3}$")


@dataclass(frozen=True)
class RealDatasetSummary:
    """What :func:`build_real_dataset` did."""

    out: str
    photos: int
    people: int
    written: int
    skipped_done: int
    failed: int
    train: int
    test: int
    failures_by_cause: dict
    seconds: float
    photos_per_second: float


def person_of(stem: str) -> str:
    """The person a photo shows, from its file name: ``01234_00`` -> ``01234`` (VITON-HD and
    DressCode number the views of one person with a ``_NN`` suffix); other names are their own."""
    return _VIEW.sub("", stem) or stem


def split_people(people: list[str], *, val_people: int = 150, val_fraction: float = 0.1,
                 seed: int = 0) -> dict[str, str]:
    """``{person: "train" | "test"}``: the first ``max(val_people, val_fraction x N)`` people
    in the order of a hash of (seed, person) are the validation split (all of them when there
    are fewer). The same people and seed give the same split, whatever order they come in."""
    order = sorted(set(people), key=lambda p: hashlib.sha1(f"{seed}:{p}".encode()).hexdigest())
    n_val = min(len(order), max(int(val_people), int(round(val_fraction * len(order)))))
    return {p: ("test" if i < n_val else "train") for i, p in enumerate(order)}


def _jpeg(rgb: np.ndarray, quality: int = 95) -> bytes:
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return buf.tobytes()


def _mask_png(mask: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".png", mask.astype(np.uint8) * 255, [cv2.IMWRITE_PNG_COMPRESSION, 1])
    if not ok:
        raise RuntimeError("PNG encoding failed")
    return buf.tobytes()


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(data)
    tmp.replace(path)


def _analyse_one(args: tuple[str, str, str, str]) -> dict:
    """Analyse one photo and write its files (in a worker process); returns its record."""
    from fitroom.data.synth.writer import _parse_png
    from fitroom.data.keypoints import write_openpose_json
    from fitroom.errors import FitroomError
    from fitroom.imaging import load_image
    from fitroom.labels import UPPER_BODY_GARMENT, KeypointFormat
    from fitroom.person.agnostic import GREY, agnostic_mask
    from fitroom.person.analyze import analyze_person
    from fitroom.pipelines.tryoff import tryoff_analysis

    src, out, sid, split = args
    src_p, d = Path(src), Path(out) / split
    record = {"id": sid, "split": split, "person": person_of(sid), "source": src_p.name}
    try:
        image = load_image(src_p)
        pa = analyze_person(image)
        parse = pa.parse
        worn = np.isin(parse, UPPER_BODY_GARMENT)
        if worn.sum() < 0.01 * worn.size:
            raise FitroomError("no top or dress found on the person")
        # the pseudo product photo: the worn garment taken off and laid flat (try-off), at
        # the photo's own size, like a VITON-HD product photo beside its person
        off = tryoff_analysis(pa, size=image.shape[:2])
        dress = off.category == "dress"
        region = agnostic_mask(parse, pa.frame, keep_lower_body=not dress)
        agn = image.copy()
        agn[region] = GREY
        if src_p.suffix.lower() in (".jpg", ".jpeg"):
            _write(d / "image" / f"{sid}.jpg", src_p.read_bytes())
        else:
            _write(d / "image" / f"{sid}.jpg", _jpeg(image))
        _write(d / "image-parse-v3" / f"{sid}.png", _parse_png(parse))
        write_openpose_json(d / "openpose_json" / f"{sid}_keypoints.json", pa.keypoints, KeypointFormat.BODY25)
        _write(d / "agnostic-v3.2" / f"{sid}.jpg", _jpeg(agn))
        _write(d / "agnostic-mask" / f"{sid}.png", _mask_png(region))
        _write(d / "cloth" / f"{sid}.jpg", _jpeg(off.image))
        _write(d / "cloth-mask" / f"{sid}.png", _mask_png(off.mask))
        record.update(status="ok", category="dress" if dress else "top", size=f"{image.shape[0]}x{image.shape[1]}",
                      sleeves=off.sleeves, completed=round(off.completed, 4))
    except FitroomError as e:
        record.update(status="failed", cause=type(e).__name__, message=str(e))
    except Exception as e:  # noqa: BLE001 - one bad photo must not stop a run of thousands
        record.update(status="failed", cause="crash", message=f"{type(e).__name__}: {e}")
    _write(Path(out) / ".done" / f"{sid}.json", json.dumps(record).encode())
    return record


def _init_worker() -> None:
    cv2.setNumThreads(1)
    os.environ.setdefault("OMP_NUM_THREADS", "1")


def read_labels(paths: list[str | os.PathLike[str]] | None, images: Path) -> dict[str, dict[str, str]]:
    """Per-photo labels for ``meta.jsonl`` (breakdowns in ``fitroom evaluate``): ``{name:
    {photo file name: value}}`` from JSON files mapping photo file names to a label, each
    named by its file's stem (``skin_tone.json`` -> ``skin_tone``). Without ``paths``, the
    ``*.json`` files beside the images folder that map names of its photos (e.g.
    ../shared/realpeople/skin_tone.json). Raises ``ValueError`` for a file that is not such a map."""
    found = [Path(p) for p in paths] if paths else sorted(images.parent.glob("*.json"))
    out: dict[str, dict[str, str]] = {}
    for f in found:
        try:
            d = json.loads(f.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            if paths:
                raise ValueError(f"--labels {f}: not a readable JSON file ({e})") from None
            continue
        ok = isinstance(d, dict) and d and all(isinstance(v, (str, int, bool)) for v in d.values())
        if not ok or (not paths and not any((images / k).is_file() for k in list(d)[:20])):
            if paths:
                raise ValueError(f"--labels {f}: expected a JSON object mapping photo file names to labels")
            continue
        out[f.stem] = {str(k): v for k, v in d.items()}
    return out


def build_real_dataset(images: str | os.PathLike[str], out: str | os.PathLike[str], *, workers: int | None = None,
                       val_people: int = 150, val_fraction: float = 0.1, seed: int = 0, limit: int | None = None,
                       progress: bool = False, labels: list[str | os.PathLike[str]] | None = None
                       ) -> RealDatasetSummary:
    """Analyse every photo of ``images`` and write a training set to ``out`` (see the module
    docstring). ``limit``: only the first N photos (sorted by name); ``labels``: see
    :func:`read_labels`. Raises ``ValueError`` when ``images`` holds no photo."""
    images, out = Path(images), Path(out)
    if not images.is_dir():
        raise ValueError(f"--images {images} is not a folder")
    attributes = read_labels(labels, images)
    photos = sorted(p for p in images.iterdir() if p.is_file() and p.suffix.lower() in PHOTO_SUFFIXES)[:limit]
    if not photos:
        raise ValueError(f"--images {images}: no JPEG, PNG or WebP photos in this folder")
    ids = [p.stem for p in photos]
    if len(set(ids)) != len(ids):
        raise ValueError(f"--images {images}: two photos share a name (e.g. a.jpg and a.png)")
    splits = split_people([person_of(i) for i in ids], val_people=val_people, val_fraction=val_fraction, seed=seed)
    for split in ("train", "test"):
        for f in FOLDERS:
            (out / split / f).mkdir(parents=True, exist_ok=True)
    (out / ".done").mkdir(parents=True, exist_ok=True)
    done: dict[str, dict] = {}
    for p in (out / ".done").glob("*.json"):
        try:
            rec = json.loads(p.read_text())
        except (OSError, ValueError):
            continue  # a record cut short: analyse that photo again
        if rec.get("split") == splits.get(person_of(rec.get("id", ""))):
            done[rec["id"]] = rec
    todo = [(str(p), str(out), p.stem, splits[person_of(p.stem)]) for p in photos if p.stem not in done]
    workers = max(1, int(workers or os.cpu_count() or 1))
    t0 = time.perf_counter()
    records = dict(done)

    def run():
        if workers == 1 or len(todo) <= 1:
            _init_worker()
            yield from map(_analyse_one, todo)
            return
        # spawned, not forked: a process whose MediaPipe graphs already run (a library user's,
        # a test's) would hand its children locked threads
        with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker,
                                 mp_context=multiprocessing.get_context("spawn")) as ex:
            yield from ex.map(_analyse_one, todo, chunksize=4)

    if progress and todo:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        with Progress(TextColumn("analysing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                      TextColumn("{task.fields[failed]} failed")) as bar:
            task = bar.add_task("real", total=len(todo), failed=0)
            failed = 0
            for rec in run():
                records[rec["id"]] = rec
                failed += rec["status"] != "ok"
                bar.update(task, advance=1, failed=failed)
    else:
        for rec in run():
            records[rec["id"]] = rec
    elapsed = time.perf_counter() - t0
    ok = [records[i] for i in ids if records[i]["status"] == "ok"]
    bad = [records[i] for i in ids if records[i]["status"] != "ok"]
    with open(out / "meta.jsonl", "w", encoding="utf-8") as fh:
        for r in ok:
            row = {k: r[k] for k in ("id", "split", "person", "category", "size", "source", "sleeves") if k in r}
            row.update({name: m[r["source"]] for name, m in attributes.items() if r["source"] in m})
            fh.write(json.dumps(row, sort_keys=True) + "\n")
    with open(out / "failures.jsonl", "w", encoding="utf-8") as fh:
        for r in bad:
            fh.write(json.dumps({k: r[k] for k in ("id", "source", "cause", "message")}, sort_keys=True) + "\n")
    for split in ("train", "test"):
        lines = "".join(f"{r['id']}.jpg {r['id']}.jpg\n" for r in ok if r["split"] == split)
        (out / f"{split}_pairs.txt").write_text(lines, encoding="utf-8")
    causes: dict[str, int] = {}
    for r in bad:
        causes[r["cause"]] = causes.get(r["cause"], 0) + 1
    summary = RealDatasetSummary(
        out=str(out), photos=len(photos), people=len(splits), written=len(todo) - sum(
            1 for t in todo if records[t[2]]["status"] != "ok"), skipped_done=len(done), failed=len(bad),
        train=sum(r["split"] == "train" for r in ok), test=sum(r["split"] == "test" for r in ok),
        failures_by_cause=causes, seconds=round(elapsed, 2),
        photos_per_second=round(len(todo) / max(elapsed, 1e-9), 2))
    (out / "real.json").write_text(json.dumps({**summary.__dict__, "seed": seed, "val_people": val_people,
                                               "val_fraction": val_fraction, "source": str(images),
                                               "labels": sorted(attributes)}, indent=2) + "\n")
    # stale files of photos no longer in the split they were written to (a changed seed)
    for split in ("train", "test"):
        for f in (out / split / "image").glob("*.jpg"):
            if f.stem in records and records[f.stem]["split"] != split:
                for folder in FOLDERS:
                    for stale in (out / split / folder).glob(f"{f.stem}*"):
                        stale.unlink(missing_ok=True)
    return summary
