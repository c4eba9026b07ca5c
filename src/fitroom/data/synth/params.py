"""Random parameters of one synthetic try-on sample, as frozen dataclasses.

Every random choice of a sample is drawn here, once, by :func:`sample_params`; the
renderer (:mod:`fitroom.data.synth.render`) is a pure function of these parameters and
the output size. Lengths of the body are in *head units* (the height of the head, chin to
crown, is 1) so one set of parameters renders at any resolution.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fitroom.labels import GarmentCategory

#: The 10 colours of the Monk Skin Tone scale (RGB), index 1..10 = row 0..9.
MONK_SKIN_TONES: tuple[tuple[int, int, int], ...] = (
    (246, 237, 228),
    (243, 231, 219),
    (247, 234, 208),
    (234, 218, 186),
    (215, 189, 150),
    (160, 126, 86),
    (130, 92, 67),
    (96, 65, 52),
    (58, 49, 42),
    (41, 36, 32),
)

BODY_SHAPES = ("slim", "average", "broad", "plus")
POSES = ("arms_down", "hands_on_hips", "arms_crossed", "one_arm_up", "one_hand_on_hip", "arms_out")
HAIR_STYLES = ("short", "buzz", "bob", "long", "long_front", "ponytail", "bun", "curly")
LOWER_GARMENTS = ("trousers", "jeans", "shorts", "skirt")
BACKGROUNDS = ("plain", "gradient", "textured")
SYNTH_PATTERNS = ("solid", "stripes", "checks", "dots", "graphic", "text")
FITS = ("fitted", "regular", "loose")
UPPER_CATEGORIES = (
    GarmentCategory.SHORT_SLEEVE_TOP,
    GarmentCategory.LONG_SLEEVE_TOP,
    GarmentCategory.SLEEVELESS_TOP,
    GarmentCategory.DRESS,
)

#: Hair colours (RGB): black, dark brown, brown, chestnut, auburn, dark blonde, blonde, grey, dyed red
HAIR_COLOURS: tuple[tuple[int, int, int], ...] = (
    (22, 18, 16), (45, 30, 22), (78, 52, 34), (110, 66, 38), (130, 56, 30),
    (150, 118, 72), (205, 170, 110), (150, 148, 145), (150, 40, 40),
)

PRINT_WORDS = ("LOVE", "NYC", "SUMMER", "HELLO", "WILD", "PARIS", "VIBES", "ROCK", "SURF", "1984", "OK", "BLOOM")


@dataclass(frozen=True)
class BodyParams:
    shape: str  # one of BODY_SHAPES
    head_w: float  # head width / head height
    neck_w: float  # neck half-width
    neck_len: float  # chin to shoulder line
    shoulder_w: float  # distance between the shoulder joints
    chest_w: float  # half-width of the chest at the armpits
    waist_w: float  # half-width at the waist
    hip_w: float  # half-width at the hips
    torso_len: float  # shoulder line to hip joints
    arm_r: float  # upper-arm radius at the shoulder
    leg_r: float  # thigh radius at the hip
    upper_arm: float
    forearm: float
    hand: float
    thigh: float
    shin: float
    stance: float  # angle of each leg outwards (radians)
    tilt: float  # shoulder tilt (radians, + raises the person's left shoulder)


@dataclass(frozen=True)
class ArmPose:
    mode: str  # "fk": angles a (upper arm) and b (forearm) from straight down, + outwards; "ik": wrist target
    a: float
    b: float


@dataclass(frozen=True)
class PoseParams:
    label: str  # one of POSES
    right: ArmPose  # the person's right arm (image left)
    left: ArmPose


@dataclass(frozen=True)
class FaceParams:
    eye_y: float  # eye height in face units (-1 top .. 1 chin)
    eye_dx: float
    eye_size: float
    iris_colour: tuple[int, int, int]
    brow_thick: float
    brow_tilt: float
    lip_colour: tuple[int, int, int]
    mouth_w: float
    smile: float
    makeup: float  # 0..1 strength of eye shadow / lip saturation


@dataclass(frozen=True)
class HairParams:
    style: str  # one of HAIR_STYLES
    colour: tuple[int, int, int]
    length: float  # for long styles, in head units below the chin
    fringe: float  # 0 no fringe .. 1 heavy fringe
    volume: float  # outward puff in head units
    parting: float  # -1..1


@dataclass(frozen=True)
class GarmentParams:
    category: GarmentCategory
    pattern: str  # one of SYNTH_PATTERNS
    seed: int  # seed of the product photo (render_garment)
    fit: str  # one of FITS
    ease: float  # chest ease factor (worn width / body width)
    length: float  # multiplier of the product's length when worn
    sleeve_ease: float
    print_seed: int
    print_word: str
    fold_seed: int


@dataclass(frozen=True)
class LowerParams:
    kind: str  # one of LOWER_GARMENTS ("none" under a dress)
    colour: tuple[int, int, int]
    length: float  # skirt/shorts length in head units below the hips
    flare: float  # skirt hem half-width / hip half-width


@dataclass(frozen=True)
class SceneParams:
    background: str  # one of BACKGROUNDS
    bg_colour: tuple[int, int, int]
    bg_colour2: tuple[int, int, int]
    bg_seed: int
    light: tuple[float, float, float]  # unit vector towards the light (x right, y down, z to camera)
    ambient: float
    top_margin: float  # space above the head, head units
    bottom: float  # frame bottom: hip line + bottom * thigh length
    x_shift: float  # horizontal offset of the body, fraction of the width
    blur: float  # photo softness (pixels at 256 high)
    noise: float  # sensor noise (0-255 levels)
    exposure: float


@dataclass(frozen=True)
class SampleParams:
    body: BodyParams
    skin_tone: int  # Monk index 1..10
    skin_jitter: tuple[float, float, float]
    pose: PoseParams
    face: FaceParams
    hair: HairParams
    garment: GarmentParams
    lower: LowerParams
    scene: SceneParams
    noise_seed: int


def _u(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(rng.uniform(lo, hi))


def _choice(rng: np.random.Generator, items, p=None):
    return items[int(rng.choice(len(items), p=p))]


def _body(rng: np.random.Generator) -> BodyParams:
    shape = _choice(rng, BODY_SHAPES, p=[0.3, 0.35, 0.15, 0.2])
    ranges = {  # shoulder_w, chest_w, waist_w, hip_w, arm_r, leg_r, neck_w
        "slim": ((1.45, 1.65), (0.58, 0.68), (0.44, 0.52), (0.62, 0.72), (0.15, 0.18), (0.30, 0.34), (0.20, 0.23)),
        "average": ((1.55, 1.8), (0.66, 0.76), (0.54, 0.64), (0.70, 0.82), (0.17, 0.21), (0.33, 0.38), (0.22, 0.26)),
        "broad": ((1.85, 2.1), (0.80, 0.90), (0.64, 0.74), (0.72, 0.84), (0.20, 0.24), (0.35, 0.40), (0.26, 0.30)),
        "plus": ((1.7, 1.95), (0.86, 1.0), (0.86, 1.05), (0.96, 1.15), (0.24, 0.30), (0.42, 0.50), (0.26, 0.31)),
    }[shape]
    sw, cw, ww, hw, ar, lr, nw = (_u(rng, *r) for r in ranges)
    return BodyParams(
        shape=shape, head_w=_u(rng, 0.68, 0.8), neck_w=nw, neck_len=_u(rng, 0.38, 0.55),
        shoulder_w=sw, chest_w=cw, waist_w=ww, hip_w=hw, torso_len=_u(rng, 2.45, 2.85),
        arm_r=ar, leg_r=lr, upper_arm=_u(rng, 1.35, 1.55), forearm=_u(rng, 1.2, 1.35), hand=_u(rng, 0.62, 0.75),
        thigh=_u(rng, 1.9, 2.2), shin=_u(rng, 1.8, 2.1), stance=np.deg2rad(_u(rng, 0.5, 5.0)),
        tilt=np.deg2rad(_u(rng, -3.0, 3.0)),
    )


def _fk(rng, a_lo, a_hi, b_lo, b_hi) -> ArmPose:
    a = np.deg2rad(_u(rng, a_lo, a_hi))
    return ArmPose("fk", a, a + np.deg2rad(_u(rng, b_lo, b_hi)))


def _pose(rng: np.random.Generator) -> PoseParams:
    label = _choice(rng, POSES, p=[0.34, 0.16, 0.16, 0.1, 0.14, 0.1])
    down = lambda: _fk(rng, 4, 14, -8, 6)  # noqa: E731
    hip = lambda: ArmPose("ik", _u(rng, 0.85, 1.05), _u(rng, -0.45, 0.05))  # noqa: E731  (x in hip widths, y in head units from the hips)
    if label == "arms_down":
        r, l = down(), down()
    elif label == "arms_out":
        r, l = _fk(rng, 18, 38, -5, 25), _fk(rng, 18, 38, -5, 25)
    elif label == "hands_on_hips":
        r, l = hip(), hip()
    elif label == "one_hand_on_hip":
        r, l = (hip(), down()) if rng.random() < 0.5 else (down(), hip())
    elif label == "one_arm_up":
        up = _fk(rng, 125, 165, -25, 15)
        r, l = (up, down()) if rng.random() < 0.5 else (down(), up)
    else:  # arms_crossed: each wrist towards the other side of the torso (x in chest widths past the centre)
        y = _u(rng, 1.05, 1.5)
        r = ArmPose("cross", _u(rng, 0.55, 0.95), y + _u(rng, -0.1, 0.1))
        l = ArmPose("cross", _u(rng, 0.55, 0.95), y + _u(rng, -0.1, 0.1))
    return PoseParams(label, r, l)


def _face(rng: np.random.Generator) -> FaceParams:
    iris = _choice(rng, ((40, 26, 18), (70, 45, 25), (60, 90, 110), (80, 100, 60), (30, 30, 30)), p=[0.4, 0.3, 0.1, 0.1, 0.1])
    lip = _choice(rng, ((170, 90, 90), (150, 80, 80), (190, 70, 80), (120, 60, 60), (160, 100, 100)))
    return FaceParams(
        eye_y=_u(rng, -0.05, 0.05), eye_dx=_u(rng, 0.34, 0.42), eye_size=_u(rng, 0.9, 1.15), iris_colour=iris,
        brow_thick=_u(rng, 0.7, 1.4), brow_tilt=_u(rng, -0.06, 0.06), lip_colour=lip, mouth_w=_u(rng, 0.2, 0.3),
        smile=_u(rng, -0.2, 1.0), makeup=_u(rng, 0.0, 1.0),
    )


def _hair(rng: np.random.Generator) -> HairParams:
    style = _choice(rng, HAIR_STYLES, p=[0.16, 0.07, 0.14, 0.2, 0.12, 0.12, 0.08, 0.11])
    colour = _choice(rng, HAIR_COLOURS, p=[0.26, 0.2, 0.14, 0.1, 0.05, 0.08, 0.09, 0.04, 0.04])
    return HairParams(style=style, colour=colour, length=_u(rng, 0.8, 2.6), fringe=_u(rng, 0, 1) if rng.random() < 0.4 else 0.0,
                      volume=_u(rng, 0.03, 0.15) if style != "curly" else _u(rng, 0.18, 0.32), parting=_u(rng, -1, 1))


def _garment(rng: np.random.Generator) -> GarmentParams:
    cat = _choice(rng, UPPER_CATEGORIES, p=[0.32, 0.26, 0.2, 0.22])
    pattern = _choice(rng, SYNTH_PATTERNS, p=[0.32, 0.18, 0.1, 0.12, 0.14, 0.14])
    fit = _choice(rng, FITS, p=[0.3, 0.45, 0.25])
    ease = {"fitted": (1.02, 1.08), "regular": (1.08, 1.18), "loose": (1.18, 1.35)}[fit]
    return GarmentParams(
        category=cat, pattern=pattern, seed=int(rng.integers(2**31)), fit=fit, ease=_u(rng, *ease),
        length=_u(rng, 0.85, 1.1), sleeve_ease=_u(rng, 1.15, 1.45) if fit != "fitted" else _u(rng, 1.05, 1.2),
        print_seed=int(rng.integers(2**31)), print_word=_choice(rng, PRINT_WORDS), fold_seed=int(rng.integers(2**31)),
    )


def _lower(rng: np.random.Generator, category: GarmentCategory) -> LowerParams:
    if category == GarmentCategory.DRESS:
        return LowerParams("none", (0, 0, 0), 0.0, 1.0)
    kind = _choice(rng, LOWER_GARMENTS, p=[0.25, 0.35, 0.15, 0.25])
    if kind == "jeans":
        colour = _choice(rng, ((52, 70, 110), (70, 95, 140), (30, 38, 60), (110, 140, 180), (35, 35, 40)))
    else:
        colour = _choice(rng, ((30, 30, 34), (200, 190, 170), (90, 90, 96), (40, 50, 80), (120, 90, 60), (230, 228, 222), (100, 30, 40), (70, 85, 55)))
    length = _u(rng, 0.9, 1.6) if kind == "shorts" else _u(rng, 1.2, 3.2)
    return LowerParams(kind, colour, length, _u(rng, 1.05, 1.5))


def _scene(rng: np.random.Generator) -> SceneParams:
    bg = _choice(rng, BACKGROUNDS, p=[0.5, 0.3, 0.2])
    if rng.random() < 0.6:
        v = int(rng.integers(205, 250))
        c1 = (v, v - int(rng.integers(0, 6)), v - int(rng.integers(0, 10)))
    else:
        c1 = tuple(int(x) for x in rng.integers(90, 235, 3))
    c2 = tuple(int(np.clip(c + rng.integers(-60, 40), 0, 255)) for c in c1)
    lx, ly = _u(rng, -0.75, 0.75), _u(rng, -0.6, 0.0)
    light = np.array([lx, ly, 1.0])
    light = light / np.linalg.norm(light)
    return SceneParams(
        background=bg, bg_colour=c1, bg_colour2=c2, bg_seed=int(rng.integers(2**31)),
        light=(float(light[0]), float(light[1]), float(light[2])), ambient=_u(rng, 0.35, 0.6),
        top_margin=_u(rng, 0.15, 0.45), bottom=_u(rng, 0.25, 1.15), x_shift=_u(rng, -0.05, 0.05),
        blur=_u(rng, 0.3, 0.75), noise=_u(rng, 0.5, 2.5), exposure=_u(rng, 0.93, 1.07),
    )


def sample_params(rng: np.random.Generator) -> SampleParams:
    """Draw every random choice of one sample."""
    body = _body(rng)
    pose = _pose(rng)
    face = _face(rng)
    hair = _hair(rng)
    garment = _garment(rng)
    lower = _lower(rng, garment.category)
    scene = _scene(rng)
    tone = int(rng.integers(1, 11))
    jitter = tuple(_u(rng, 0.95, 1.05) for _ in range(3))
    return SampleParams(body=body, skin_tone=tone, skin_jitter=jitter, pose=pose, face=face, hair=hair,  # type: ignore[arg-type]
                        garment=garment, lower=lower, scene=scene, noise_seed=int(rng.integers(2**31)))


def sample_rng(seed: int, index: int) -> np.random.Generator:
    """The generator of sample ``index`` of a dataset of ``seed`` (independent of worker order)."""
    return np.random.default_rng([int(seed), int(index)])
