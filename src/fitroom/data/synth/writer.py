"""Write a synthetic dataset in the VITON-HD layout, in parallel and deterministically.

Layout written under ``out``::

    {train,test}/image/<id>.jpg            the person (JPEG quality 95)
    {train,test}/cloth/<id>.jpg            the product photo of the garment they wear
    {train,test}/cloth-mask/<id>.png       its exact mask (0/255)
    {train,test}/image-parse-v3/<id>.png   CIHP ids (P-mode PNG with the LIP palette)
    {train,test}/openpose_json/<id>_keypoints.json   BODY_25, key pose_keypoints_2d
    {train,test}/agnostic-v3.2/<id>.jpg    the person with the agnostic region grey
    {train,test}/image-densepose/<id>.png  body part + uv (see fitroom.data.synth.canvas)
    {train,test}/texture-coords/<id>.png   the product-photo pixel each worn pixel shows
                                           (16-bit, fitroom.data.texture_coords)
    train_pairs.txt, test_pairs.txt        paired: "<id>.jpg <id>.jpg"
    test_pairs_unpaired.txt                each test person with another test garment
    meta.jsonl                             one JSON object per sample (see :func:`synthesize`)
    synth.json                             the generator's arguments

``<id>`` is ``f"{index:05d}_00"``. Sample ``index`` is drawn from
``numpy.random.default_rng([seed, index])``, so the bytes do not depend on the number of
workers or on the order they finish in. Every tenth sample (index % 10 == 9) is a test sample.
"""

from __future__ import annotations

import io
import json
import os
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from fitroom.data.keypoints import write_openpose_json
from fitroom.data.texture_coords import encode_texture_coords
from fitroom.labels import CIHP_PALETTE, GarmentCategory, KeypointFormat
from fitroom.person.agnostic import GREY, agnostic_mask
from fitroom.person.body import body_frame

from .params import sample_params, sample_rng
from .render import RenderedSample, render_sample

FOLDERS = ("image", "cloth", "cloth-mask", "image-parse-v3", "openpose_json", "agnostic-v3.2", "image-densepose",
           "texture-coords")
JPEG_QUALITY = 95
TEST_EVERY = 10


def parse_size(text: str | tuple[int, int]) -> tuple[int, int]:
    """``"256x192"`` -> ``(256, 192)`` (height x width, VITON's convention)."""
    if isinstance(text, tuple):
        h, w = text
    else:
        try:
            h, w = (int(v) for v in str(text).lower().split("x"))
        except ValueError:
            raise ValueError(f"size must be HEIGHTxWIDTH such as 256x192, got {text!r}") from None
    if h < 64 or w < 48:
        raise ValueError(f"size must be at least 64x48 (height x width), got {h}x{w}")
    return int(h), int(w)


def split_of(index: int) -> str:
    return "test" if index % TEST_EVERY == TEST_EVERY - 1 else "train"


def sample_id(index: int) -> str:
    return f"{index:05d}_00"


def _jpeg(rgb: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return buf.tobytes()


def _png(arr: np.ndarray) -> bytes:
    img = arr if arr.ndim == 2 else cv2.cvtColor(arr, cv2.COLOR_RGB2BGR)
    ok, buf = cv2.imencode(".png", img, [cv2.IMWRITE_PNG_COMPRESSION, 1])
    if not ok:
        raise RuntimeError("PNG encoding failed")
    return buf.tobytes()


def _parse_png(parse: np.ndarray) -> bytes:
    im = Image.fromarray(parse, mode="P")
    im.putpalette(CIHP_PALETTE.reshape(-1).tolist())
    bio = io.BytesIO()
    im.save(bio, format="PNG", compress_level=1)
    return bio.getvalue()


def agnostic_of(s: RenderedSample) -> tuple[np.ndarray, np.ndarray]:
    """(agnostic image, agnostic region) of a rendered sample."""
    frame = body_frame(s.keypoints)
    dress = s.meta["category"] == GarmentCategory.DRESS.value
    region = agnostic_mask(s.parse, frame, keep_lower_body=not dress)
    img = s.image.copy()
    img[region] = GREY
    return img, region


def write_sample(out: Path, index: int, s: RenderedSample, split: str) -> dict:
    """Write the files of one rendered sample; return its meta line."""
    sid = sample_id(index)
    d = out / split
    agn, _ = agnostic_of(s)
    (d / "image" / f"{sid}.jpg").write_bytes(_jpeg(s.image))
    (d / "cloth" / f"{sid}.jpg").write_bytes(_jpeg(s.garment_image))
    (d / "cloth-mask" / f"{sid}.png").write_bytes(_png(s.garment_mask.astype(np.uint8) * 255))
    (d / "image-parse-v3" / f"{sid}.png").write_bytes(_parse_png(s.parse))
    write_openpose_json(d / "openpose_json" / f"{sid}_keypoints.json", s.keypoints, KeypointFormat.BODY25)
    (d / "agnostic-v3.2" / f"{sid}.jpg").write_bytes(_jpeg(agn))
    (d / "image-densepose" / f"{sid}.png").write_bytes(_png(s.densepose))
    (d / "texture-coords" / f"{sid}.png").write_bytes(encode_texture_coords(s.texture_coords))
    return {"id": sid, "index": index, "split": split, **s.meta}


def _work(args: tuple[str, int, int, tuple[int, int]]) -> dict:
    out, seed, index, size = args
    s = render_sample(sample_params(sample_rng(seed, index)), size)
    return write_sample(Path(out), index, s, split_of(index))


def _init_worker() -> None:
    cv2.setNumThreads(1)


def _iter_results(out: Path, count: int, size, seed: int, workers: int) -> Iterator[dict]:
    jobs = [(str(out), int(seed), i, size) for i in range(count)]
    if workers <= 1:
        _init_worker()
        for j in jobs:
            yield _work(j)
        return
    with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker) as ex:
        yield from ex.map(_work, jobs, chunksize=max(1, min(32, count // (workers * 4) or 1)))


def synthesize(out: str | os.PathLike[str], count: int, size: str | tuple[int, int] = (256, 192), seed: int = 0,
               workers: int | None = None, progress: bool = False) -> dict:
    """Render ``count`` samples into ``out`` (VITON-HD layout; see the module docstring).

    Args:
        out: output folder (created; existing files of the same ids are overwritten).
        count: number of samples (>= 1); one in ten is a test sample (at least one test
            sample is made when ``count`` >= 1: the last one, if none falls on index % 10 == 9).
        size: ``(height, width)`` or ``"HxW"`` such as ``"256x192"``.
        seed: dataset seed; the same seed, count and size give byte-identical files.
        workers: processes (default: all cores).
        progress: show a rich progress bar.

    Returns:
        A summary: ``{"out", "count", "train", "test", "size", "seed", "workers", "seconds",
        "samples_per_second"}``.

    ``meta.jsonl`` holds one line per sample: id, index, split, skin_tone (Monk 1..10),
    body_shape, category, pattern, fit, pose, lower, background, hair, light_x.
    """
    count = int(count)
    if count < 1:
        raise ValueError("count must be at least 1")
    size = parse_size(size)
    workers = int(workers or os.cpu_count() or 1)
    out = Path(out)
    for split in ("train", "test"):
        for f in FOLDERS:
            (out / split / f).mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    metas: list[dict] = []
    it = _iter_results(out, count, size, seed, workers)
    if progress:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        with Progress(TextColumn("synth"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()) as bar:
            task = bar.add_task("synth", total=count)
            for m in it:
                metas.append(m)
                bar.advance(task)
    else:
        metas = list(it)
    metas.sort(key=lambda m: m["index"])
    if not any(m["split"] == "test" for m in metas):
        # a tiny dataset: move the last sample to the test split
        last = metas[-1]
        for f in FOLDERS:
            src_dir, dst_dir = out / "train" / f, out / "test" / f
            for p in list(src_dir.glob(f"{last['id']}*")):
                p.replace(dst_dir / p.name)
        last["split"] = "test"
    elapsed = time.perf_counter() - t0
    with open(out / "meta.jsonl", "w", encoding="utf-8") as fh:
        for m in metas:
            fh.write(json.dumps(m, sort_keys=True) + "\n")
    for split in ("train", "test"):
        ids = [m["id"] for m in metas if m["split"] == split]
        (out / f"{split}_pairs.txt").write_text("".join(f"{i}.jpg {i}.jpg\n" for i in ids), encoding="utf-8")
        if split == "test":
            n = len(ids)
            lines = [f"{ids[k]}.jpg {ids[(k + 1) % n]}.jpg\n" for k in range(n)]
            (out / "test_pairs_unpaired.txt").write_text("".join(lines), encoding="utf-8")
    summary = {
        "out": str(out), "count": count, "train": sum(m["split"] == "train" for m in metas),
        "test": sum(m["split"] == "test" for m in metas), "size": f"{size[0]}x{size[1]}", "seed": int(seed),
        "workers": workers, "seconds": round(elapsed, 3), "samples_per_second": round(count / max(elapsed, 1e-9), 2),
    }
    (out / "synth.json").write_text(json.dumps({k: summary[k] for k in ("count", "size", "seed")}, indent=2) + "\n",
                                    encoding="utf-8")
    return summary
