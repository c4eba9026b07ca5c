"""The one compositor every engine's output goes through.

An engine says where the new garment lands (a :class:`GarmentLayer` in the photo's pixels:
colours and alphas of its torso and sleeves) and, optionally, renders the removed region
itself (the learned generator in the leak-free protocol). :func:`compose` then builds the
try-on from :class:`~fitroom.pipelines.regions.EditRegions`, in layers, back to front:

1. the removed region, filled: background from background pixels only, the lower garment
   from its own pixels, skin (:func:`synthesize_skin`) where the body was; or the engine's
   rendering where it gives one;
2. the garment's torso;
3. the arms: the photo's own (everyday protocol: they stay in front of the new garment) and
   the skin made for arms the old garment covered;
4. the sleeves;
5. every ``keep`` pixel and every pixel neither removed nor covered by the garment is the
   photo's, bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from fitroom.imaging.fill import pushpull_field
from fitroom.imaging.masks import bbox
from fitroom.labels import ARMS, Cihp
from fitroom.person.body import along_body, arm_segments, draw_capsules
from fitroom.pipelines.regions import LOWER_GARMENT, ArmFit, EditRegions, Protocol, arm_coords, draw_arm

__all__ = ["FilledRegion", "GarmentLayer", "arm_relief", "compose", "face_colour", "fill_removed", "limb_relief",
           "skin_like", "synthesize_skin", "visible_skin", "SKIN_IDS"]

#: CIHP ids of the person's own skin, in order of preference as a colour reference (the body's
#: skin is a better match for synthesised body skin than the made-up face)
SKIN_IDS = (Cihp.LEFT_ARM, Cihp.RIGHT_ARM, Cihp.TORSO_SKIN, Cihp.LEFT_LEG, Cihp.RIGHT_LEG)


@dataclass(frozen=True)
class GarmentLayer:
    """The new garment in the person photo's pixels.

    ``rgb``: (H, W, 3) float32 0..255; ``alpha``: (H, W) float32 0..1 of the whole garment;
    ``torso_alpha`` / ``sleeve_alpha``: its torso and sleeves (``alpha`` is their union).
    ``rendered``: optional (H, W, 3) uint8 rendering of the removed region by the engine
    (used instead of fitroom's own fill). ``draw_arms``: layer the arms (photo or made) over
    the garment's torso; False when the engine's alpha already accounts for them."""

    rgb: np.ndarray
    alpha: np.ndarray
    torso_alpha: np.ndarray
    sleeve_alpha: np.ndarray
    rendered: np.ndarray | None = None
    draw_arms: bool = True


#: how far (shoulder widths) made skin is drawn to the real skin it meets: the step at the joint
#: fades over this reach, the bulk keeps the person's own colour
SKIN_REACH = 0.08
#: the same on a made arm that continues a real one: about the upper arm's length
ARM_REACH = 0.5
#: how far (shoulder widths) from the lower garment its texture is mirrored
MIRROR_REACH = 0.25
#: boundary steps (0..255, any channel) up to this are always matched (more: only when typical)
MATCH_OUTLIER = 12.0
#: an arm can be in front of the torso of a garment with sleeves only below this many torso
#: lengths from the neck (about the armpit); above it, its root is behind the garment's shoulder
ARM_FRONT = 0.35
#: and only the part of the arm nearer the shoulder than this ``t`` (0 shoulder, 1 elbow,
#: :func:`fitroom.pipelines.regions.arm_coords`) is its root
ARM_ROOT_T = 0.6
#: an arm of the photo is laid over the new garment only this close to its bones (shoulder widths)
ARM_FRONT_REACH = 0.2


def _grid(shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """(ys, xs) float32 pixel coordinates of an (H, W) image."""
    return tuple(np.mgrid[0:shape[0], 0:shape[1]].astype(np.float32))


def _box(mask: np.ndarray, pad: int) -> tuple[int, int, int, int] | None:
    b = bbox(mask)
    if b is None:
        return None
    h, w = mask.shape
    return max(0, b[0] - pad), max(0, b[1] - pad), min(w, b[2] + pad), min(h, b[3] + pad)


def _erode(mask: np.ndarray, r: int) -> np.ndarray:
    if r <= 0:
        return mask
    return cv2.erode(mask.astype(np.uint8), np.ones((2 * r + 1, 2 * r + 1), np.uint8)).astype(bool)


def face_colour(image: np.ndarray, parse: np.ndarray, erode: int = 2) -> np.ndarray | None:
    """The median Lab colour (OpenCV float Lab: L* 0..100) of the face, or None without one."""
    face = _erode(parse == Cihp.FACE, erode)
    return np.median(_lab(image[face]), axis=0) if face.sum() >= 60 else None


def skin_like(image: np.ndarray, mask: np.ndarray, face: np.ndarray | None) -> np.ndarray:
    """``mask`` ((H, W) bool) without the pixels whose colour cannot be the skin of a face of
    Lab colour ``face`` (more than :data:`SKIN_AB_TOL` from its a*, b*, or far darker or
    lighter: a sleeve or glove that the parse called an arm); ``mask`` itself without a face."""
    if face is None or not mask.any():
        return mask
    lab = _lab(image[mask])
    ok = (np.abs(lab[:, 1:] - face[1:]).max(axis=1) <= SKIN_AB_TOL) & \
         (lab[:, 0] >= face[0] - SKIN_L_BELOW) & (lab[:, 0] <= face[0] + SKIN_L_ABOVE)
    out = np.zeros_like(mask)
    out[mask] = ok
    return out


def visible_skin(image: np.ndarray, parse: np.ndarray, usable: np.ndarray | None = None,
                 erode: int = 2) -> np.ndarray:
    """(N, 3) uint8 RGB pixels of the person's own visible skin: arms, hands, neck and legs
    (the face only when there are too few of those), eroded by ``erode`` px, inside ``usable``,
    the darkest quarter and brightest 15% dropped (shadows, highlights, nails). Body pixels
    that cannot be skin of the person's face (:func:`skin_like`) are not used."""
    face = face_colour(image, parse, erode)
    for ids in (SKIN_IDS, (Cihp.FACE,)):
        m = _erode(np.isin(parse, ids), erode)
        if usable is not None:
            m &= usable
        if ids is SKIN_IDS:
            m = skin_like(image, m, face)
        if m.sum() < 60:
            continue
        px = image[m]
        lum = px.astype(np.float32).mean(1)
        lo, hi = np.percentile(lum, [25, 85])
        return px[(lum >= lo) & (lum <= hi)]
    return np.zeros((0, 3), np.uint8)


#: how far (CIE a*, b*) body skin may be from the face's and still count as skin
SKIN_AB_TOL = 14.0
#: how much darker / lighter (L*) than the face body skin may be (arms are often in shadow)
SKIN_L_BELOW, SKIN_L_ABOVE = 30.0, 15.0


def limb_relief(region: np.ndarray, limb: np.ndarray, segments: list[tuple[np.ndarray, np.ndarray]], *,
                radius: float | None = None, depth: float = 0.22) -> np.ndarray:
    """The light across a round limb, as an (H, W) float32 factor (1 on its axis, ``1 - depth``
    at its outline), for the pixels of ``region`` ((H, W) bool, made skin); 1 elsewhere.

    ``limb``: (H, W) bool, the whole limb (made and real skin) whose outline is the edge;
    ``segments``: its bones ((x, y) pixel pairs). A pixel at distance ``d`` from the bones and
    ``e`` from the limb's outline sits at ``t = d / (d + e)`` across the limb (0 on the axis,
    1 at the edge); a cylinder lit from the front is darker as ``t`` grows. ``radius``: the
    limb's half-width where ``limb`` does not show its outline (an arm against a torso of skin
    too): ``t = d / min(d + e, radius)``."""
    h, w = region.shape
    out = np.ones((h, w), np.float32)
    m = region & limb
    if not m.any() or not segments:
        return out
    axis = np.full((h, w), 255, np.uint8)
    for a, b in segments:
        cv2.line(axis, tuple(int(round(v)) for v in a), tuple(int(round(v)) for v in b), 0, 1)
    d = cv2.distanceTransform(axis, cv2.DIST_L2, 3)
    e = cv2.distanceTransform(limb.astype(np.uint8), cv2.DIST_L2, 3)
    half = d + e if radius is None else np.minimum(d + e, radius)
    t = np.clip(d / np.maximum(half, 1e-3), 0, 1)
    out[m] = 1.0 - depth * t[m] ** 2
    return out


#: an arm's half-width, in shoulder widths (where the photo does not show its outline)
ARM_RADIUS = 0.11


def arm_relief(f, made: np.ndarray, skin: np.ndarray, sw: float) -> np.ndarray:
    """:func:`limb_relief` of both arms for the ``made`` skin pixels near their bones (frame
    ``f`` in these pixels; ``skin``: all skin, made and real, whose outline is the arms' edge)."""
    relief = np.ones(made.shape, np.float32)
    for side in ("left", "right"):
        segs = arm_segments(f, side, hand=0.3)
        zone = draw_capsules(made.shape, segs, 0.2 * sw)
        relief = np.minimum(relief, limb_relief(made & zone, skin, segs, radius=ARM_RADIUS * sw))
    return relief


def _lab(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(np.asarray(rgb, np.float32).reshape(-1, 1, 3) / 255.0, cv2.COLOR_RGB2LAB).reshape(-1, 3)


def synthesize_skin(image: np.ndarray, region: np.ndarray, reference: np.ndarray, *,
                    light: np.ndarray | None = None, field: np.ndarray | None = None, radius: float = 20.0,
                    relief: np.ndarray | None = None, seed: int = 0) -> np.ndarray:
    """Skin for ``region`` ((H, W) bool) of ``image`` as (H, W, 3) float32 RGB (only ``region``
    is meaningful).

    Colour: the median of ``reference`` ((N, 3) RGB pixels of the person's own skin) in Lab;
    with ``field`` ((H, W, 3) RGB, the person's visible skin continued smoothly into the
    region, :func:`fitroom.imaging.fill.pushpull_field`), half the lightness (within 5 L*) and
    half the chroma follow the field. Light: ``light`` (H, W),
    a multiplicative map around 1 (the old garment's folds and light,
    :func:`fitroom.pipelines.classical.shading_map`), times a roundness term (a limb or torso
    is darker towards its outline, over ``radius`` px; ``relief``, (H, W) factors such as
    :func:`limb_relief`, replaces that term where it is below 1). Texture: fine and
    medium-grained noise with the reference skin's own lightness spread, so it is not a flat tube."""
    h, w = region.shape
    out = np.zeros((h, w, 3), np.float32)
    if not region.any():
        return out
    ref = _lab(reference if len(reference) else np.array([[200, 160, 135]], np.float32))
    L, a, b = (float(v) for v in np.median(ref, axis=0))
    spread = float(np.clip(np.std(ref[:, 0]) * 0.25, 0.5, 2.5)) if len(ref) > 10 else 1.0
    dist = cv2.distanceTransform(region.astype(np.uint8), cv2.DIST_L2, 3)
    shade = 0.86 + 0.14 * np.clip(dist / max(radius, 1.0), 0, 1)
    if relief is not None:
        shade = np.minimum(shade, relief)
    if light is not None:
        shade = shade * light
    # roundness and light vary the skin about the reference; the region's median stays it
    shade = shade / max(float(np.median(shade[region])), 1e-3)
    rng = np.random.default_rng(seed)
    noise = cv2.GaussianBlur(rng.standard_normal((h, w)).astype(np.float32), (0, 0), 1.0) * spread * 0.8
    grain = max(2.0, radius / 6)  # skin's blotches, pores and fine hair, about a finger's width
    noise += cv2.GaussianBlur(rng.standard_normal((h, w)).astype(np.float32), (0, 0), grain) * (3.5 * grain) * spread * 0.6
    lab = np.empty((h, w, 3), np.float32)
    if field is not None:
        fl = cv2.cvtColor(np.clip(field, 0, 255).astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)
        # half the field's lightness, held near the reference: the real skin next to a made
        # region is often its shadowed outline (under the chin, an arm's inner side), which
        # must not darken a whole chest; the joint itself is matched by the boundary membrane
        base_l = L + np.clip(0.5 * (fl[..., 0] - L), -5.0, 5.0)
        lab[..., 1] = 0.5 * fl[..., 1] + 0.5 * a
        lab[..., 2] = 0.5 * fl[..., 2] + 0.5 * b
    else:
        base_l = np.full((h, w), L, np.float32)
        lab[..., 1] = a
        lab[..., 2] = b
    lab[..., 0] = np.clip(base_l * shade + noise, 0, 100)
    rgb = cv2.cvtColor(lab, cv2.COLOR_LAB2RGB) * 255.0
    out[region] = rgb[region]
    return out


def _mirror_fill(out: np.ndarray, crop: np.ndarray, region: np.ndarray, source: np.ndarray, reach: float) -> None:
    """Continue the lower garment into ``region`` with its own texture (in place): each pixel
    up to ``reach`` px from the garment takes the ``source`` pixel mirrored through the
    nearest point of the garment's edge (above the waistband the waistband and the weave
    continue upwards; beside a trouser leg, sideways). Pixels whose mirror is not well inside
    ``source`` (its anti-aliased outline, a highlight along its side), and pixels farther
    away, keep the smooth fill already in ``out``."""
    from scipy.ndimage import distance_transform_edt

    if not region.any() or not source.any():
        return
    h, w = region.shape
    dist, (ny, nx) = distance_transform_edt(~source, return_indices=True)
    inside = _erode(source, 2)
    ys, xs = np.nonzero(region & (dist <= reach))
    sy, sx = 2 * ny[ys, xs] - ys, 2 * nx[ys, xs] - xs
    ok = (sy >= 0) & (sy < h) & (sx >= 0) & (sx < w)
    ys, xs, sy, sx = ys[ok], xs[ok], sy[ok], sx[ok]
    ok = inside[sy, sx]
    out[ys[ok], xs[ok]] = crop[sy[ok], sx[ok]]


def _match_boundary(out: np.ndarray, made: np.ndarray, real: np.ndarray, photo: np.ndarray, reach: float,
                    *, far: np.ndarray | None = None, far_reach: float = 0.0) -> None:
    """Make the ``made`` pixels of ``out`` meet the ``real`` pixels of ``photo`` (the same
    material) without a step (in place): along the boundary, the difference between the real
    neighbours' mean and the made value is carried into the made region and fades over about
    ``reach`` px (the offset membrane of seamless cloning; over ``far_reach`` within ``far``).
    Where made pixels meet anything
    else (skin meeting the background: the body's outline) nothing is matched.

    A real neighbour in deep shadow or on an outline (a fold, the gap at a cuff) is no colour
    to carry into the made region: it is left out where its step is far beyond the typical
    one of its stretch of boundary (a neckline, an arm's hem: each has its own offset; one
    median over all of them let the many small steps of one stretch call every step of
    another an outlier)."""
    if not made.any() or not real.any():
        return
    r = real.astype(np.float32)
    cnt = cv2.boxFilter(r, -1, (3, 3), normalize=False)
    edge = made & (cnt > 0)
    if edge.sum() < 4:
        return
    mean = cv2.boxFilter(photo * r[..., None], -1, (3, 3), normalize=False) / np.maximum(cnt, 1e-6)[..., None]
    diff = np.zeros_like(out)
    diff[edge] = mean[edge] - out[edge]
    step = np.abs(diff[edge]).max(axis=1)
    n, lbl = cv2.connectedComponents(edge.astype(np.uint8), connectivity=8)
    seg = lbl[edge]
    med = np.zeros(n)
    for i in np.unique(seg):
        med[i] = np.median(step[seg == i])
    ok = np.zeros_like(edge)
    ok[edge] = step <= np.maximum(MATCH_OUTLIER, 3.0 * med[seg])
    if ok.sum() < 4:
        return
    off = pushpull_field(diff, ok, max_side=512)
    d = cv2.distanceTransform((~edge).astype(np.uint8), cv2.DIST_L2, 3)
    fall = np.exp(-d / max(1.0, reach))
    if far is not None:  # there the step's offset is carried further (a made arm takes the real arm's colour)
        fall = np.where(far, np.exp(-d / max(1.0, far_reach)), fall)
    out[made] += (off * fall[..., None])[made]


def _over(dst: np.ndarray, src: np.ndarray, alpha: np.ndarray) -> None:
    """Composite ``src`` over ``dst`` ((h, w, 3) float32) by ``alpha`` ((h, w)) in place
    (OpenCV's vectorised blend: several times numpy's speed on a garment's box; where
    ``alpha`` is 0, ``dst`` is left exactly as it was)."""
    a = np.ascontiguousarray(alpha, np.float32)
    dst[...] = cv2.blendLinear(np.ascontiguousarray(src, np.float32), np.ascontiguousarray(dst), a, 1.0 - a)


@dataclass(frozen=True)
class FilledRegion:
    """The removed region made anew (background, lower garment, skin), before any garment:
    ``rgb`` (h, w, 3) float32 for the photo's box ``box`` = (x0, y0, x1, y1). It depends on
    the person and the edit regions only, so a shopper trying a catalog computes it once."""

    box: tuple[int, int, int, int]
    rgb: np.ndarray


def fill_removed(pa, regions: EditRegions, *, skin_light: np.ndarray | None = None) -> FilledRegion | None:
    """Fill ``regions.remove`` of the photo (layer 1 of :func:`compose`): background from the
    photo's background pixels only, the lower garment from its own pixels, skin
    (:func:`synthesize_skin`, matched to the person's real skin where they touch) where the
    body was. ``skin_light``: optional (H, W) light map for the skin. None if nothing is removed."""
    img = pa.image
    box = _box(regions.remove, pad=2)
    if box is None:
        return None
    x0, y0, x1, y1 = box
    ys, xs = slice(y0, y1), slice(x0, x1)
    crop = img[ys, xs].astype(np.float32)
    parse = pa.parse[ys, xs]
    remove, skin, lower = regions.remove[ys, xs], regions.skin[ys, xs], regions.lower[ys, xs]
    sw = pa.frame.shoulder_width
    out = crop.copy()
    reach = 0.08 * sw
    back = remove & ~skin & ~lower
    if back.any():
        known = (pa.parse == Cihp.BACKGROUND) & ~regions.remove
        out[back] = pushpull_field(img, known, box=box, max_side=256)[back]
        _match_boundary(out, back, known[ys, xs], crop, reach)
    if lower.any():
        # the trousers or skirt, or what stays of a dress under a new top (the rest of it is removed)
        known = np.isin(pa.parse, LOWER_GARMENT + (Cihp.DRESS,)) & ~regions.remove
        if known.any():
            out[lower] = pushpull_field(img, known, box=box, max_side=256)[lower]
            _mirror_fill(out, crop, lower, known[ys, xs], MIRROR_REACH * sw)
            _match_boundary(out, lower, known[ys, xs], crop, reach)
        else:
            skin = skin | lower
    if skin.any():
        ref = visible_skin(img, pa.parse, usable=~regions.remove)
        light = None if skin_light is None else skin_light[ys, xs]
        field = None
        # the skin around, away from its shadowed, anti-aliased outline
        real_skin = skin_like(crop, np.isin(parse, SKIN_IDS) & ~remove, face_colour(img, pa.parse))
        known = np.zeros(img.shape[:2], bool)
        known[ys, xs] = _erode(real_skin, max(1, round(0.015 * sw)))
        if regions.protocol == Protocol.PHOTO and known.sum() >= 60:
            field = pushpull_field(img, known, box=box, max_side=128)
        relief = arm_relief(pa.frame.shifted(x0, y0), skin, skin | real_skin, sw)
        out[skin] = synthesize_skin(crop, skin, ref, light=light, field=field, radius=0.12 * sw,
                                    relief=relief)[skin]
        # a made arm takes the colour of the real arm or hand it continues along its length
        # (an arm not measured on the photo: drawn with the usual proportions on its bones)
        fc = pa.frame.shifted(x0, y0)
        fits = {fit.side: fit for fit in regions.arms}
        arms = np.zeros(skin.shape, bool)
        for side in ("left", "right"):
            arms |= draw_arm(skin.shape, fc, fits.get(side, ArmFit(side=side, scale=1.0, offset=0.0)))
        _match_boundary(out, skin, real_skin, crop, SKIN_REACH * sw, far=arms, far_reach=ARM_REACH * sw)
    return FilledRegion(box=box, rgb=out)


def compose(pa, regions: EditRegions, layer: GarmentLayer, *, shading: np.ndarray | None = None,
            skin_light: np.ndarray | None = None, filled: FilledRegion | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The try-on image ((H, W, 3) uint8) and the changed region ((H, W) bool).

    ``pa``: the :class:`~fitroom.person.analyze.PersonAnalysis`; ``shading``: optional
    multiplicative (H, W) map for the garment (the old garment's folds; used where the garment
    is); ``skin_light``: optional (H, W) light map for made skin; ``filled``: the removed
    region already made by :func:`fill_removed` (computed here when None; the engine's
    ``layer.rendered`` replaces it when given). Work is done on the bounding box of what may
    change; everything else is copied."""
    img = pa.image
    h, w = img.shape[:2]
    result = img.copy()
    present = (layer.alpha > 0.004) & ~regions.keep
    touch = regions.remove | present
    box = _box(touch, pad=2)
    changed = np.zeros((h, w), bool)
    if box is None:
        return result, changed
    x0, y0, x1, y1 = box
    ys, xs = slice(y0, y1), slice(x0, x1)
    crop = img[ys, xs].astype(np.float32)
    parse = pa.parse[ys, xs]
    remove, keep = regions.remove[ys, xs], regions.keep[ys, xs]
    skin = regions.skin[ys, xs]
    sw = pa.frame.shoulder_width
    f = pa.frame.shifted(x0, y0)

    # 1. the removed region
    out = crop.copy()
    if layer.rendered is not None:
        out[remove] = layer.rendered[ys, xs][remove]
    else:
        if filled is None:
            filled = fill_removed(pa, regions, skin_light=skin_light)
        if filled is not None:
            fx0, fy0, fx1, fy1 = filled.box  # inside ``box``: the removed region is part of it
            win = (slice(fy0 - y0, fy1 - y0), slice(fx0 - x0, fx1 - x0))
            np.copyto(out[win], filled.rgb, where=remove[win][..., None])

    # 2. the garment's torso (with the old garment's folds in the everyday protocol)
    rgb = layer.rgb[ys, xs]
    pres = present[ys, xs]
    if shading is not None:
        fold = np.where(layer.alpha[ys, xs] > 0.5, shading[ys, xs], np.float32(1.0)).astype(np.float32, copy=False)
        rgb = cv2.multiply(np.ascontiguousarray(rgb, np.float32), cv2.merge([fold, fold, fold]))
    _over(out, rgb, layer.torso_alpha[ys, xs] * pres)

    # 3. arms in front of the garment's torso: the photo's own, and the skin made for arms
    # (leak-free protocol: no arm pixel may be used, so arms are made and drawn in front of the
    # torso where the pose puts them. Everyday protocol: only the photo's own arms go in front;
    # an arm the old garment hid cannot be told from the torso it covered, so made skin stays
    # behind the new garment)
    if layer.draw_arms:
        if regions.protocol == Protocol.PAIRED and layer.rendered is None:
            hh, ww = remove.shape
            arm_zone = np.zeros((hh, ww), bool)
            for side in ("left", "right"):
                segs = arm_segments(f, side, hand=0.3)
                arm_zone |= draw_capsules((hh, ww), segs[:1], 0.12 * sw) | draw_capsules((hh, ww), segs[1:], 0.095 * sw)
            made = skin & arm_zone & (layer.sleeve_alpha[ys, xs] < 0.5)
            # not over the garment's shoulders and armholes, where the arm's root is behind it
            made &= along_body(f, *_grid((hh, ww))[::-1]) > ARM_FRONT
            if made.any():
                ref = visible_skin(img, pa.parse, usable=~regions.remove)
                relief = arm_relief(f, made, made | (np.isin(parse, SKIN_IDS) & ~remove), sw)
                arm_rgb = synthesize_skin(crop, made, ref, radius=0.06 * sw, relief=relief, seed=1)
                _over(out, arm_rgb, made.astype(np.float32))
        if regions.protocol == Protocol.PHOTO:
            # the photo's arms, near their bones: what the parse calls arm further away (a
            # skirt's waistband, a hand's shadow) is no arm to lay over the new garment
            hh, ww = remove.shape
            near = np.zeros((hh, ww), bool)
            for side in ("left", "right"):
                near |= draw_capsules((hh, ww), arm_segments(f, side, hand=0.6), ARM_FRONT_REACH * sw)
            own = np.isin(parse, ARMS) & ~remove & near
            if (layer.sleeve_alpha[ys, xs] > 0.5).any():
                # with sleeves, the arm's root (shoulder to armpit) is behind the garment's
                # shoulders: pasting it in front would cut the torso off at the old garment's
                # straps and leave the sleeves hanging apart from it. Without sleeves the arm
                # hangs beside the armhole, in front.
                # (a forearm or an elbow raised to the chest, crossing in front, is no root)
                gy, gx = _grid(remove.shape)
                root = along_body(f, gx, gy) <= ARM_FRONT
                ry, rx = np.nonzero(own & root)
                if len(rx):
                    dist, t = np.full(len(rx), np.inf), np.zeros(len(rx))
                    for side in ("left", "right"):
                        ts, ss = arm_coords(f, side, rx + 0.5, ry + 0.5)
                        closer = np.abs(ss) < dist
                        dist, t = np.where(closer, np.abs(ss), dist), np.where(closer, ts, t)
                    root[ry[t > ARM_ROOT_T], rx[t > ARM_ROOT_T]] = False
                own &= ~root
            _over(out, crop, own.astype(np.float32))

    # 4. sleeves over the arms
    _over(out, rgb, layer.sleeve_alpha[ys, xs] * pres)

    ch = (remove | pres) & ~keep
    res = np.clip(out + 0.5, 0, 255).astype(np.uint8)
    np.copyto(res, img[ys, xs], where=~ch[..., None])
    result[ys, xs] = res
    changed[ys, xs] = ch
    return result, changed
