"""The try-on machinery of one process: the pipeline (loaded once), image codecs and caches.

One :class:`TryOnEngine` per process (:func:`get_engine`): the MediaPipe models are loaded
once, at start-up, and shared by every request and worker thread. MediaPipe's graphs are not
thread-safe, so person analysis runs under a lock; warping and compositing run in parallel.
Person analyses are computed once per photo, kept on disk next to it (arrays in an ``.npz``
and a JSON header, :mod:`fitroom.person.store`: never a pickle) and in a small LRU in memory.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable

import cv2
import numpy as np
from PIL import Image

from fitroom.errors import FitroomError
from fitroom.garment import GarmentAnalysis
from fitroom.imaging import ImageLimits, load_image
from fitroom.person.analyze import PersonAnalysis
from fitroom.pipelines import TryOnPipeline
from fitroom.pipelines.cache import Lru
from fitroom.pipelines.runtime import default_runtime
from fitroom.pipelines.tryon import DEFAULT_ENGINE, DEFAULT_WEIGHTS, resolve_weights

__all__ = ["TryOnEngine", "WeightsCard", "decode_upload", "encode_jpeg", "encode_png", "get_engine", "weights_card"]


def decode_upload(data: bytes, limits: ImageLimits, gate: threading.Semaphore | None = None) -> np.ndarray:
    """fitroom.imaging's checks (format by content, byte and pixel limits, EXIF orientation,
    ICC to sRGB; scaled down to ``limits.max_side``); metadata is dropped because only the
    pixels are kept. ``gate``: held while decoding (the process's decode slots)."""
    with gate if gate is not None else contextlib.nullcontext():
        return load_image(data, limits)


def encode_jpeg(image: np.ndarray, quality: int = 92) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(image, "RGB").save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


def encode_png(image: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="PNG", compress_level=3)
    return buf.getvalue()


def decode_stored(data: bytes) -> np.ndarray:
    """Decode an image the service itself stored (already validated)."""
    with Image.open(io.BytesIO(data)) as im:
        return np.ascontiguousarray(np.array(im.convert("RGB")))


def decode_stored_mask(data: bytes) -> np.ndarray:
    """Decode a mask the service itself stored (a PNG, 255 inside) as bool ``(H, W)``."""
    with Image.open(io.BytesIO(data)) as im:
        return np.array(im.convert("L")) >= 128


#: most people whose try-on preparation the pipeline keeps (see :class:`TryOnEngine`)
PREPARED_MAX = 32


class TryOnEngine:
    """Analyses and try-ons for the service, safe to call from many threads."""

    def __init__(self, person_cache: int = 64, garment_cache: int = 64, engine: str = DEFAULT_ENGINE,
                 concurrency: int = 1, weights: str | None = None, runtime: str | None = None):
        """``engine``: the pipeline's engine (``weights``: the learned one's, a name or a folder,
        see :func:`fitroom.pipelines.tryon.resolve_weights`); ``concurrency``: try-ons this process runs at
        once. The learned engine's torch threads are then sized to share the cores
        (``cores // concurrency``): oversubscribed OpenMP threads busy-wait on each other and
        can make the networks tens of times slower."""
        #: torch intra-op threads the learned engine was given (None: torch's default)
        self.torch_threads: int | None = None
        if engine == "learned":
            import os

            import torch

            self.torch_threads = max(1, (os.cpu_count() or 1) // max(1, concurrency))
            torch.set_num_threads(self.torch_threads)
        # the pipeline keeps what depends on the person alone (edit regions, the removed region
        # made anew, the networks' person input) per analysis object: as many as the people
        # kept here, up to PREPARED_MAX (about 15 MB each at 768x1024). With one, 20 users
        # trying on in turn made every try-on redo it (3.1 computed try-ons/s instead of 5.8)
        #: where the learned networks run
        self.runtime = runtime or default_runtime()
        self.pipe = TryOnPipeline(engine, cache_size=max(1, min(person_cache, PREPARED_MAX)), weights=weights,
                                  runtime=runtime)
        self.weights_name = weights if engine == "learned" else None
        self._person_lock = threading.Lock()
        self._people = Lru(person_cache)
        self._garments = Lru(garment_cache)
        self._loaded = False

    def warm_up(self) -> None:
        if not self._loaded:
            with self._person_lock:
                self.pipe.warm_up()
            self._loaded = True

    # --- analyses ---------------------------------------------------------------------
    def analyze_person(self, image: np.ndarray) -> PersonAnalysis:
        from fitroom.person.analyze import analyze_person

        with self._person_lock:
            return analyze_person(image)

    def analyze_garment(self, image: np.ndarray, category: str | None = None,
                        mask: np.ndarray | None = None) -> GarmentAnalysis:
        """``category``: what the shop said the garment is (detected when None); ``mask``: the
        garment's mask when it is known (a try-off's), found in the photo when None."""
        from fitroom.garment import analyze_garment

        return analyze_garment(image, mask=mask, category=category)

    @staticmethod
    def dump_person(pa: PersonAnalysis) -> bytes:
        """The analysis as ``.npz`` bytes (:mod:`fitroom.person.store`: arrays and JSON, no pickle)."""
        from fitroom.person.store import dump_person

        return dump_person(pa)

    def person(self, key: str, load_cached: Callable[[], bytes | None], load_image_: Callable[[], np.ndarray],
               save: Callable[[bytes], None]) -> PersonAnalysis:
        """The analysis of photo ``key``: memory, else the cached file, else computed and saved.
        A cached file that is not a readable analysis of this photo (an old pickle, a damaged
        or foreign file) is never executed: the analysis is made anew and saved over it."""
        from fitroom.person.store import load_person

        pa = self._people.get(key)
        if pa is not None:
            return pa
        image = load_image_()
        blob = load_cached()
        pa = None
        if blob is not None:
            try:
                pa = load_person(blob, image)
            except FitroomError:
                pa = None
        if pa is None:
            pa = self.analyze_person(image)
            save(self.dump_person(pa))
        self._people.put(key, pa)
        return pa

    def garment(self, key: str, load_image_: Callable[[], np.ndarray], category: str | None = None,
                load_mask_: Callable[[], np.ndarray | None] | None = None) -> GarmentAnalysis:
        """The analysis of garment ``key``: memory, else made from its image (and its stored
        mask, when ``load_mask_`` gives one)."""
        ga = self._garments.get(key)
        if ga is None:
            image = load_image_()
            mask = load_mask_() if load_mask_ is not None else None
            if mask is not None and mask.shape != image.shape[:2]:  # an old or foreign mask: scaled to the photo
                mask = cv2.resize(mask.astype(np.uint8), (image.shape[1], image.shape[0]),
                                  interpolation=cv2.INTER_NEAREST).astype(bool)
            if mask is not None and not mask.any():
                mask = None
            ga = self.analyze_garment(image, category=category, mask=mask)
            self._garments.put(key, ga)
        return ga

    def forget(self, key: str) -> None:
        self._people.drop(key)
        self._garments.drop(key)

    def try_on(self, pa: PersonAnalysis, ga: GarmentAnalysis) -> np.ndarray:
        if self.torch_threads is not None:
            import torch

            # the count is process-wide and other code may have changed it: re-apply it cheaply
            if torch.get_num_threads() != self.torch_threads:
                torch.set_num_threads(self.torch_threads)
        return self.pipe.try_on(pa, ga).image


@dataclass(frozen=True)
class WeightsCard:
    """What the model card of a shipped checkpoint says about it, for people to read."""

    name: str               #: the card's title
    path: Path              #: the folder of the weights
    licence: str            #: SPDX id, e.g. "Apache-2.0"
    licence_note: str       #: the card's whole licence line
    training_data: str      #: the card's data line, without its commands


def _cell(card: str, row: str) -> str | None:
    m = re.search(rf"^\|\s*{re.escape(row)}\s*\|(.*)\|\s*$", card, flags=re.MULTILINE)
    return m.group(1).strip() if m else None


def _plain(markdown: str) -> str:
    """A table cell as plain text: inline code (commands) dropped, emphasis marks removed."""
    text = re.sub(r":?\s*`[^`]*`", "", markdown)
    text = re.sub(r"[*_]{1,2}([^*_]+)[*_]{1,2}", r"\1", text)
    return re.sub(r"\s+", " ", text).strip()


@lru_cache(maxsize=8)
def weights_card(folder: Path = DEFAULT_WEIGHTS) -> WeightsCard | None:
    """The facts of ``folder/MODEL_CARD.md`` (None without a card or a licence line in it)."""
    path = Path(folder) / "MODEL_CARD.md"
    try:
        card = path.read_text(encoding="utf-8")
    except OSError:
        return None
    licence_cell = _cell(card, "Licence") or _cell(card, "License")
    if not licence_cell:
        return None
    title = next((line[2:].strip() for line in card.splitlines() if line.startswith("# ")), Path(folder).name)
    note = _plain(licence_cell)
    return WeightsCard(name=title.replace("`", ""), path=Path(folder), licence=re.split(r"[\s,;(]", note, maxsplit=1)[0],
                       licence_note=note, training_data=_plain(_cell(card, "Data") or ""))


def landmarks_json(ga: GarmentAnalysis) -> str:
    """The garment's landmarks as JSON: ``{"points": {name: [x, y]}, "has_sleeves": bool}`` (pixels)."""
    lm = ga.landmarks
    pts = {k: [round(float(x), 1), round(float(y), 1)] for k, (x, y) in lm.as_dict().items()}
    return json.dumps({"points": pts, "has_sleeves": bool(lm.has_sleeves)})


_ENGINE: TryOnEngine | None = None
_ENGINE_LOCK = threading.Lock()


def get_engine(person_cache: int = 64, garment_cache: int = 64, engine: str = DEFAULT_ENGINE,
               concurrency: int = 1, weights: str | None = None, runtime: str | None = None) -> TryOnEngine:
    """The process's engine, created (and its models loaded) on first use; a later call that
    asks for another engine, other weights or another runtime replaces it (one process runs
    one kind)."""
    global _ENGINE
    runtime = runtime or default_runtime()
    with _ENGINE_LOCK:
        if _ENGINE is None or _ENGINE.pipe.engine != engine or _ENGINE.pipe.weights != (
                resolve_weights(weights) if engine == "learned" else None) or _ENGINE.runtime != runtime:
            _ENGINE = TryOnEngine(person_cache, garment_cache, engine=engine, concurrency=concurrency, weights=weights,
                                  runtime=runtime)
        return _ENGINE
