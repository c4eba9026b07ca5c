"""TryOnPipeline: person photo + garment photo -> photo of the person wearing the garment."""

from __future__ import annotations

import hashlib
import time
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np

from fitroom.errors import FitroomError
from fitroom.garment import GarmentAnalysis, analyze_garment
from fitroom.labels import UPPER_BODY_GARMENT, GarmentCategory, KeypointFormat
from fitroom.person.analyze import PersonAnalysis, analyze_person
from fitroom.pipelines.classical import ClassicalEngine, WarpedGarment, body_width_profile, shading_map  # noqa: F401
from fitroom.pipelines.cache import Lru
from fitroom.pipelines.compose import FilledRegion, GarmentLayer, compose, fill_removed
from fitroom.pipelines.tidy import tidy_layer
from fitroom.pipelines.placement import GarmentPlacement, worn_length
from fitroom.pipelines.regions import LOWER_GARMENT, EditRegions, Protocol, edit_regions

if TYPE_CHECKING:  # the learned engine imports torch; load it only when used
    from fitroom.pipelines.learned import LearnedOutput

WEIGHTS_ROOT = Path(__file__).resolve().parents[1] / "weights"
#: the learned engine's shipped weights, by name (README, "Weights and licences"):
#: ``real``: fine-tuned on real photos of people (CC BY-NC 4.0, non-commercial: the photos' licence);
#: ``synthetic``: fitroom's own synthetic data only (Apache-2.0, like the code)
WEIGHT_SETS = {"real": WEIGHTS_ROOT / "learned-real", "synthetic": WEIGHTS_ROOT / "learned"}
#: the set used when none is named: the one that is best on real photos (docs/measured.md)
DEFAULT_WEIGHT_SET = "real"
DEFAULT_WEIGHTS = WEIGHT_SETS[DEFAULT_WEIGHT_SET]


def resolve_weights(weights: str | Path | None) -> Path:
    """The folder of the learned engine's weights: a name of :data:`WEIGHT_SETS` (``None``:
    :data:`DEFAULT_WEIGHT_SET`) or a folder with ``warp/`` and ``tryon/`` (``fitroom train``'s).
    Raises :class:`FitroomError` for anything else."""
    if weights is None or str(weights) == "":
        return DEFAULT_WEIGHTS
    if str(weights) in WEIGHT_SETS:
        return WEIGHT_SETS[str(weights)]
    root = Path(weights)
    if not (root / "warp").is_dir() or not (root / "tryon").is_dir():
        raise FitroomError(f"weights {weights}: not one of {', '.join(WEIGHT_SETS)} nor a folder with warp/ and "
                           "tryon/ (as 'fitroom train' writes)")
    return root
#: the engine used when none is named: the one that is best on real photos (README, "Which
#: engine is the default"); "classical" needs no networks and is about half the CPU time
DEFAULT_ENGINE = "learned"
#: how much longer than its own proportions put it (torso lengths) a top's layer may be worn
#: in the everyday protocol before its torso is cut there
LENGTH_SLACK = 0.1


class Engine(typing.Protocol):
    """What an engine does: given the analyses and the :class:`EditRegions`, say where the new
    garment lands (a :class:`GarmentLayer` in the photo's pixels) and return whatever it wants
    shown in the debug view. Composition, protocols and what may change are not its business:
    :func:`edit_regions` and :func:`compose` decide those for every engine alike."""

    name: str

    def render(self, pa: PersonAnalysis, ga: GarmentAnalysis, regions: EditRegions) -> tuple[GarmentLayer, object]:
        ...


@dataclass(frozen=True)
class TryOnResult:
    """A try-on and every intermediate, in the person photo's pixels."""

    image: np.ndarray  # (H, W, 3) uint8
    person: PersonAnalysis
    garment: GarmentAnalysis
    placement: GarmentPlacement | None  # classical engine
    warped: WarpedGarment | None  # classical engine
    removed_region: np.ndarray  # bool: pixels of the photo that were not used
    changed_region: np.ndarray  # bool: pixels that may differ from the photo
    protocol: Protocol
    timings_ms: dict[str, float] = field(default_factory=dict)
    engine: str = "classical"
    learned: LearnedOutput | None = None  # learned engine
    regions: EditRegions | None = None  # what the try-on was allowed to change
    layer: GarmentLayer | None = None  # the garment in photo pixels, as composed


def _digest(*arrays: np.ndarray | None) -> str:
    h = hashlib.blake2b(digest_size=16)
    for a in arrays:
        if a is None:
            h.update(b"-")
        else:
            h.update(str(a.shape).encode())
            h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()



#: below this median lightness (CIE L*) the old garment's folds are too noisy to light skin with
DARK_FABRIC_L = 25.0


def _skin_light(image: np.ndarray, old: np.ndarray, light: np.ndarray | None) -> np.ndarray | None:
    """The old garment's light, softened for the skin made where it was (half strength,
    within [0.88, 1.08]); None under dark fabric, whose folds are mostly noise."""
    if light is None or not old.any():
        return None
    lum = cv2.cvtColor(image, cv2.COLOR_RGB2LAB)[..., 0][old].astype(np.float32) * (100 / 255)
    if float(np.median(lum)) < DARK_FABRIC_L:
        return None
    return np.clip(np.sqrt(light), 0.88, 1.08).astype(np.float32)


class _Prepared:
    """The person-only half of a try-on (see :meth:`TryOnPipeline._prepare`)."""

    def __init__(self, pa: PersonAnalysis, regions: EditRegions, light: np.ndarray | None,
                 skin_light: np.ndarray | None = None):
        self.pa, self.regions, self.light, self.skin_light = pa, regions, light, skin_light
        self._filled: FilledRegion | None | bool = False

    def filled(self) -> FilledRegion | None:
        if self._filled is False:
            self._filled = fill_removed(self.pa, self.regions, skin_light=self.skin_light)
        return self._filled


class TryOnPipeline:
    """Try garments on people. Person and garment analyses are cached by image content.

    Example::

        pipe = TryOnPipeline()
        result = pipe(load_image("me.jpg"), load_image("tee.png"))
        save_image("me_in_tee.png", result.image)
    """

    def __init__(self, engine: str = DEFAULT_ENGINE, cache_size: int = 32, *, weights: str | Path | None = None,
                 device: str = "cpu", runtime: str | None = None):
        """``engine``: ``"learned"`` (default) or ``"classical"``; the learned engine loads ``weights``
        (a name of :data:`WEIGHT_SETS`, default :data:`DEFAULT_WEIGHT_SET`, or a folder with
        ``warp/`` and ``tryon/`` as written by ``fitroom train``; :func:`resolve_weights`) and
        runs them on ``runtime`` (``"torch"`` or ``"onnx"``; default ``FITROOM_RUNTIME``, else torch)."""
        if engine not in ("classical", "learned"):
            raise FitroomError(f"unknown engine {engine!r}; available: classical, learned")
        self.engine = engine
        #: the learned engine's weights folder (None for classical)
        self.weights: Path | None = None
        self._learned = None
        self._engine: Engine = ClassicalEngine()
        if engine == "learned":
            from fitroom.pipelines.learned import LearnedEngine

            root = resolve_weights(weights)
            self.weights = root
            self._learned = self._engine = LearnedEngine(root / "warp", root / "tryon", device=device, runtime=runtime)
        self._people = Lru(cache_size)
        self._garments = Lru(cache_size)
        self._prepared = Lru(cache_size)

    def warm_up(self) -> None:
        """Load the person-analysis models now instead of on the first photo."""
        from fitroom.person.mediapipe_models import warm_up

        warm_up()

    def analyze_person(self, image: np.ndarray, *, keypoints: tuple[np.ndarray, KeypointFormat] | None = None,
                       parse: np.ndarray | None = None) -> PersonAnalysis:
        kp = None if keypoints is None else keypoints[0]
        key = _digest(image, kp, parse) + (str(keypoints[1]) if keypoints else "")
        return self._people.get_or(key, lambda: analyze_person(image, keypoints=keypoints, parse=parse))

    def _prepare(self, pa: PersonAnalysis, dress: bool, protocol: Protocol) -> _Prepared:
        """What a try-on needs of the person alone, cached with the person: the edit regions,
        the old garment's light and (on first use) the removed region made anew."""
        # keyed by the analysis object itself (immutable; the entry holds it, so its id is not reused)
        return self._prepared.get_or((id(pa), dress, protocol), lambda: self._make_prepared(pa, dress, protocol),
                                     valid=lambda p: p.pa is pa)

    def _make_prepared(self, pa: PersonAnalysis, dress: bool, protocol: Protocol) -> _Prepared:
        regions = edit_regions(pa.parse, pa.frame, GarmentCategory.DRESS if dress else GarmentCategory.SHORT_SLEEVE_TOP,
                               protocol, image=pa.image)
        light = skin_light = None
        if protocol == Protocol.PHOTO:
            # the old garment's folds and light, for the new garment and for the skin it leaves bare
            old = regions.remove & np.isin(pa.parse, UPPER_BODY_GARMENT + LOWER_GARMENT)
            light = shading_map(pa.image, old, sigma=0.1 * pa.frame.shoulder_width)
            skin_light = _skin_light(pa.image, old, light)
        prep = _Prepared(pa=pa, regions=regions, light=light, skin_light=skin_light)
        return prep

    def analyze_garment(self, image: np.ndarray, mask: np.ndarray | None = None,
                        category: GarmentCategory | str | None = None) -> GarmentAnalysis:
        """``category``: what the shop says the garment is (detection is only the fallback)."""
        return self._garments.get_or(_digest(image, mask) + str(category or ""),
                                     lambda: analyze_garment(image, mask=mask, category=category))

    def __call__(self, person: np.ndarray | PersonAnalysis, garment: np.ndarray | GarmentAnalysis, *,
                 protocol: Protocol | str = Protocol.PHOTO) -> TryOnResult:
        protocol = Protocol(protocol)
        t: dict[str, float] = {}
        t0 = time.perf_counter()
        pa = person if isinstance(person, PersonAnalysis) else self.analyze_person(person)
        t["person"] = (time.perf_counter() - t0) * 1e3
        t1 = time.perf_counter()
        ga = garment if isinstance(garment, GarmentAnalysis) else self.analyze_garment(garment)
        t["garment"] = (time.perf_counter() - t1) * 1e3
        result = self.try_on(pa, ga, protocol=protocol)
        result.timings_ms.update(t)
        result.timings_ms["total"] = (time.perf_counter() - t0) * 1e3
        return result

    def try_on(self, pa: PersonAnalysis, ga: GarmentAnalysis, *, protocol: Protocol = Protocol.PHOTO) -> TryOnResult:
        """Try an analysed garment on an analysed person: the edit regions, the engine's garment
        layer, the shared composition."""
        protocol = Protocol(protocol)
        t: dict[str, float] = {}
        t0 = time.perf_counter()
        prep = self._prepare(pa, ga.category == GarmentCategory.DRESS, protocol)
        regions = prep.regions
        t["regions"] = (time.perf_counter() - t0) * 1e3
        t1 = time.perf_counter()
        layer, extra = self._engine.render(pa, ga, regions)
        if protocol == Protocol.PHOTO:
            # a top ends where its own proportions put it on this body, whatever the old
            # garment's length (the warp follows the region it was shown: a coat, a dress)
            max_along = None if ga.category == GarmentCategory.DRESS else \
                worn_length(ga.landmarks, pa.frame, has_sleeves=ga.landmarks.has_sleeves) + LENGTH_SLACK
            layer = tidy_layer(layer, pa.frame, max_along=max_along)
        t["warp" if self.engine == "classical" else "networks"] = (time.perf_counter() - t1) * 1e3
        t2 = time.perf_counter()
        filled = prep.filled() if layer.rendered is None else None
        image, changed = compose(pa, regions, layer, shading=prep.light, skin_light=prep.skin_light, filled=filled)
        t["compose"] = (time.perf_counter() - t2) * 1e3
        placement, warped, learned = (extra + (None,)) if self.engine == "classical" else (None, None, extra)
        return TryOnResult(image=image, person=pa, garment=ga, placement=placement, warped=warped,
                           removed_region=regions.remove, changed_region=changed, protocol=protocol, timings_ms=t,
                           engine=self.engine, learned=learned, regions=regions, layer=layer)
