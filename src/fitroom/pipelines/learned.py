"""The learned engine: warp-flow + tryon-unet at low resolution, composited at full resolution.

The networks see a crop around the person, resized to their training resolution (3:4,
e.g. 256x192) and framed the way their training photos are (:func:`frame_box`: the neck at
``NECK_Y`` of the crop height, the neck-to-hip distance ``TORSO`` of it; widened where the
region that changes would leave it), with the same person representation they were trained on
(:func:`network_inputs`: the cloth-agnostic image made exactly as the training data's, pose
heatmaps and kept body parts, :func:`fitroom.models.person_repr.person_representation`). Their outputs go back to the
photo's own resolution: the *flow* is upsampled and applied to the full-resolution product
photo (so garment pixels are real, not re-synthesised), the *composition mask* and the
*rendered* person (skin, occlusions, boundaries) are upsampled, and the three are blended
inside the region that may change; every other pixel is the photo's.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from fitroom.errors import FitroomError
from fitroom.labels import GarmentCategory
from fitroom.models import load
from fitroom.pipelines.runtime import RUNTIMES, default_runtime
from fitroom.models.person_repr import DRESS_CHANGING, UPPER_CHANGING, person_representation
from fitroom.person.agnostic import GREY, agnostic_mask
from fitroom.models.warp_flow import warp
from fitroom.pipelines.cache import Lru
from fitroom.pipelines.compose import GarmentLayer
from fitroom.pipelines.regions import EditRegions, Protocol


class NoWeightsError(FitroomError):
    code = "no_weights"


@dataclass(frozen=True)
class LearnedOutput:
    """What the networks produced, for the debug view (the try-on itself is composed by
    :func:`fitroom.pipelines.compose.compose` from the :class:`GarmentLayer`)."""

    crop: tuple[int, int, int, int]  # x0, y0, x1, y1 of the network crop in the photo
    warped_garment: np.ndarray  # (h, w, 3) uint8 at network resolution
    composition_mask: np.ndarray | None  # (h, w) float32 at network resolution (leak-free protocol only)
    rendered: np.ndarray | None  # (h, w, 3) uint8: the generator's rendering (leak-free protocol only)


#: framing of the training photos (fitroom's synthetic set and VITON-HD alike): the neck at
#: 0.30 of the photo's height, the neck-to-mid-hip distance 0.45 of it (synthetic; VITON-HD
#: and DressCode: 0.30 and ~0.39)
NECK_Y = 0.30
TORSO = 0.45


def frame_box(keypoints: np.ndarray, region: np.ndarray, aspect_hw: float) -> tuple[int, int, int, int]:
    """The network crop ``(x0, y0, x1, y1)`` (pixels, may leave the photo) of aspect H/W
    ``aspect_hw``: framed on BODY_25 ``keypoints`` (neck at ``NECK_Y``, neck-to-hip
    ``TORSO`` of the crop height, neck centred), then grown about the same anchor until it
    holds ``region`` (the pixels that may change, e.g. a long dress) with a small margin.
    Without a visible neck and hip, the bounding box of ``region`` is used."""
    neck, hip = keypoints[1], keypoints[8]
    if neck[2] <= 0 or hip[2] <= 0 or hip[1] - neck[1] < 4:
        return _crop_box(region, aspect_hw)
    ch = (hip[1] - neck[1]) / TORSO
    cx, ny = float(neck[0]), float(neck[1])
    ys, xs = np.nonzero(region)
    if len(xs):
        m = 0.03 * ch
        # smallest height whose box (same anchor) contains the region plus the margin
        need = [(ys.max() + 1 + m - ny) / (1 - NECK_Y), (ny - (ys.min() - m)) / NECK_Y,
                2 * aspect_hw * max(cx - (xs.min() - m), xs.max() + 1 + m - cx)]
        ch = max(ch, *need)
    cw = ch / aspect_hw
    y0 = ny - NECK_Y * ch
    return int(round(cx - cw / 2)), int(round(y0)), int(round(cx + cw / 2)), int(round(y0 + ch))


def _crop_box(mask: np.ndarray, aspect_hw: float, margin: float = 0.08) -> tuple[int, int, int, int]:
    """A box of aspect H/W = ``aspect_hw`` around ``mask`` with a margin (may leave the photo)."""
    ys, xs = np.nonzero(mask)
    h, w = mask.shape
    if len(xs) == 0:
        x0, y0, x1, y1 = 0, 0, w, h
    else:
        x0, x1, y0, y1 = xs.min(), xs.max() + 1, ys.min(), ys.max() + 1
    bh, bw = (y1 - y0) * (1 + 2 * margin), (x1 - x0) * (1 + 2 * margin)
    if bh / max(bw, 1) > aspect_hw:
        bw = bh / aspect_hw
    else:
        bh = bw * aspect_hw
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return int(round(cx - bw / 2)), int(round(cy - bh / 2)), int(round(cx + bw / 2)), int(round(cy + bh / 2))


def _take(img: np.ndarray, box: tuple[int, int, int, int], fill=None) -> np.ndarray:
    """The box of ``img``; where it leaves the image, padded with ``fill``, or with the
    nearest edge pixels when ``fill`` is None (a photo and its parse map continue past the edge
    alike, so a garment cut by the edge stays garment, and stays hidden from the network)."""
    x0, y0, x1, y1 = box
    h, w = img.shape[:2]
    sx0, sy0, sx1, sy1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    if not (sx0 < sx1 and sy0 < sy1):
        return np.full((y1 - y0, x1 - x0) + img.shape[2:], 0 if fill is None else fill, img.dtype)
    inner = img[sy0:sy1, sx0:sx1]
    pads = (sy0 - y0, y1 - sy1, sx0 - x0, x1 - sx1)
    if not any(pads):
        return inner.copy()
    if fill is None:
        return cv2.copyMakeBorder(inner, *pads, cv2.BORDER_REPLICATE)
    return cv2.copyMakeBorder(inner, *pads, cv2.BORDER_CONSTANT, value=fill)


def _to_t(img: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(img).permute(2, 0, 1)[None].float().div(127.5).sub(1.0)


#: gain on the generator's composition mask at inference (clipped to [0, 1]): the shipped
#: generator, trained on cartoon-like synthetic people, leans on its own (blurry) rendering
#: where a real garment's print is busy; doubling its trust in the warped garment's real
#: pixels keeps the print (../shared/realdata, given annotations: garment detail kept 0.60 ->
#: 1.05 of the truth's, SSIM 0.796 -> 0.800, PSNR 19.8 -> 20.1 dB; held-out synthetic SSIM
#: 0.865 -> 0.861)
GARMENT_TRUST = 2.0


@dataclass(frozen=True)
class NetworkInputs:
    """What the networks see, at their resolution ``(h, w)``, framed by ``box``."""

    box: tuple[int, int, int, int]  # x0, y0, x1, y1 of the crop in the photo (may leave it)
    agnostic: np.ndarray  # (h, w, 3) uint8: the photo, the agnostic region painted GREY
    parse: np.ndarray  # (h, w) CIHP ids
    keypoints: np.ndarray  # (25, 3) BODY_25 in network pixels
    garment: np.ndarray | None  # (h, w, 3) uint8 product photo
    garment_mask: np.ndarray | None  # (h, w) uint8 0/1


def network_inputs(pa, ga, size: tuple[int, int], *, dress: bool = False,
                   box: tuple[int, int, int, int] | None = None) -> NetworkInputs:
    """Frame and resize a person analysis ``pa`` and garment analysis ``ga`` for networks of
    ``size`` ``(h, w)``; ``box`` defaults to :func:`frame_box` of the region that changes.

    The cloth-agnostic image is made exactly as the training data made it (the synthetic
    set's and VITON-HD's ``agnostic-v3.2`` files: :func:`agnostic_mask` of the parse and body
    frame painted ``GREY`` at the photo's resolution), then framed and resized: a grey region
    of another shape is another input to the networks (``fitroom evaluate``, same weights,
    with this vs the parse-shaped region used before, commit 77138f9: held-out synthetic SSIM
    0.861 vs 0.837, ../shared/realdata 0.800 vs 0.782)."""
    p = person_inputs(pa, size, dress=dress, box=box)
    return replace(p, garment=cv2.resize(ga.image, (size[1], size[0]), interpolation=cv2.INTER_AREA),
                   garment_mask=cv2.resize(ga.mask.astype(np.uint8), (size[1], size[0]), interpolation=cv2.INTER_NEAREST))


def person_inputs(pa, size: tuple[int, int], *, dress: bool = False,
                  box: tuple[int, int, int, int] | None = None) -> NetworkInputs:
    """The person half of :func:`network_inputs` (``garment`` and ``garment_mask`` left None):
    it depends on the person alone, so the engine computes it once per photo."""
    h_net, w_net = size
    img = pa.image
    if box is None:
        changing = DRESS_CHANGING if dress else UPPER_CHANGING
        box = frame_box(pa.keypoints, np.isin(pa.parse, changing), h_net / w_net)
    x0, y0, x1, y1 = box
    sx, sy = w_net / (x1 - x0), h_net / (y1 - y0)
    agnostic = img.copy()
    agnostic[agnostic_mask(pa.parse, pa.frame, keep_lower_body=not dress)] = GREY
    kp = pa.keypoints.astype(np.float32).copy()
    kp[:, 0] = (kp[:, 0] - x0 + 0.5) * sx - 0.5
    kp[:, 1] = (kp[:, 1] - y0 + 0.5) * sy - 0.5
    return NetworkInputs(
        box=box,
        agnostic=cv2.resize(_take(agnostic, box), (w_net, h_net), interpolation=cv2.INTER_AREA),
        parse=cv2.resize(_take(pa.parse, box), (w_net, h_net), interpolation=cv2.INTER_NEAREST),
        keypoints=kp, garment=None, garment_mask=None)


def _clean_alpha(alpha: np.ndarray, size: int) -> np.ndarray:
    """The warped garment's mask without the flow's frayed edges: opened and closed at about
    1% of ``size`` px (on a half-resolution copy: frays are coarse), then anti-aliased over a
    pixel (float32 in [0, 1])."""
    h, w = alpha.shape
    half = (max(1, w // 2), max(1, h // 2))
    r = max(1, int(round(0.004 * size)))
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
    m = (cv2.resize(alpha, half, interpolation=cv2.INTER_AREA) > 0.5).astype(np.uint8)
    m = cv2.morphologyEx(cv2.morphologyEx(m, cv2.MORPH_OPEN, k), cv2.MORPH_CLOSE, k)
    up = cv2.resize(m.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
    # where the clean-up kept the edge, the warped mask's own (finer) edge stays
    return np.where(np.abs(up - (alpha > 0.5)) < 0.5, alpha, up).astype(np.float32)


def _warp_full(ga, flow: np.ndarray, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """The product photo and its masks warped into a box of ``size`` (w, h) by the network's
    ``flow`` ((h_net, w_net, 2), normalised ``align_corners=False`` units, see
    :mod:`fitroom.models.warp_flow`), upsampled bilinearly. One ``cv2.remap`` of the photo at
    its own resolution (shrunk first only when it is over 1.5x the box, against aliasing).
    Returns RGB (h, w, 3) float32 0..255 and (h, w, 2) float32 [garment, sleeves] in [0, 1]."""
    bw, bh = size
    img = ga.image
    parts = np.dstack([ga.mask, ga.sleeve_masks[0] | ga.sleeve_masks[1]]).astype(np.uint8) * 255
    gh, gw = img.shape[:2]
    if gw > 1.5 * bw and gh > 1.5 * bh:
        img = cv2.resize(img, (bw, bh), interpolation=cv2.INTER_AREA)
        parts = cv2.resize(parts, (bw, bh), interpolation=cv2.INTER_AREA)
        gh, gw = bh, bw
    f = cv2.resize(flow.astype(np.float32), (bw, bh), interpolation=cv2.INTER_LINEAR)
    gx = (np.arange(bw, dtype=np.float32) * 2 + 1) / bw - 1
    gy = (np.arange(bh, dtype=np.float32) * 2 + 1) / bh - 1
    mx = ((gx[None, :] + f[..., 0] + 1) * gw - 1) / 2
    my = ((gy[:, None] + f[..., 1] + 1) * gh - 1) / 2
    m1, m2 = cv2.convertMaps(mx, my, cv2.CV_16SC2)  # fixed point: one conversion, two fast remaps
    rgb = cv2.remap(img, m1, m2, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE).astype(np.float32)
    p = cv2.remap(parts, m1, m2, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE).astype(np.float32) / 255.0
    return rgb, p


class LearnedEngine:
    """Load a trained warp (``warp_dir``) and generator (``tryon_dir``), both written by
    ``fitroom train`` (``save_pretrained`` folders). ``garment_trust`` scales the
    composition mask of the torso (1: the generator's own blend; see :data:`GARMENT_TRUST`);
    the warped sleeves are always put down whole (blended away, they vanished in 12 of 136
    synthetic held-out try-ons, ``benchmarks/eval_sleeves.py``). ``runtime``: ``"torch"``
    (PyTorch eager) or ``"onnx"`` (ONNX Runtime's CPU provider, :mod:`fitroom.deploy`: the
    ``model.onnx`` beside the weights, else one exported once into the cache); default
    :func:`default_runtime`."""

    def __init__(self, warp_dir: str | Path, tryon_dir: str | Path, device: str = "cpu",
                 garment_trust: float = GARMENT_TRUST, runtime: str | None = None):
        if garment_trust < 0:
            raise ValueError(f"garment_trust must be >= 0, got {garment_trust}")
        runtime = default_runtime() if runtime is None else runtime
        if runtime not in RUNTIMES:
            raise FitroomError(f"unknown runtime {runtime!r}; available: {', '.join(RUNTIMES)}")
        if runtime == "onnx" and device != "cpu":
            raise FitroomError("the onnx runtime runs on the CPU; use runtime 'torch' for another device")
        self.garment_trust = float(garment_trust)
        # a training run folder works too: its weights are in final/
        warp_dir, tryon_dir = (Path(d) / "final" if (Path(d) / "final" / "config.json").is_file() else Path(d)
                               for d in (warp_dir, tryon_dir))
        for d in (warp_dir, tryon_dir):
            if not (Path(d) / "config.json").is_file():
                raise NoWeightsError(f"no trained model in {d} (expected config.json and model.safetensors; "
                                     "train one with 'fitroom train warp|tryon')")
        self.device = torch.device(device)
        self.warp = load(warp_dir, device=device).eval()
        self.gen = load(tryon_dir, device=device).eval()
        self.size = tuple(self.gen.input_size)  # (H, W)
        self.runtime = runtime
        if runtime == "onnx":
            from fitroom.deploy import onnx_models

            self.warp, self.gen = onnx_models(self.warp, self.gen, warp_dir, tryon_dir)
        self._people = Lru(64)  # (id(pa), dress) -> (pa, person_inputs), small: network size

    name = "learned"

    @torch.no_grad()
    def render(self, pa, ga, regions: EditRegions) -> tuple[GarmentLayer, LearnedOutput]:
        """The garment layer for :func:`~fitroom.pipelines.compose.compose`.

        The networks see the leak-free input in both protocols (what they were trained on).
        Everyday protocol: the layer is the full-resolution product photo warped by the
        upsampled flow, with its own warped mask as alpha and its sleeves warped alike (the
        compositor keeps the photo's arms, makes skin and background). Leak-free protocol: the
        generator's blend (composition mask x :attr:`garment_trust`) and its rendering of the
        removed region, arms included, under the warped sleeves."""
        img = pa.image
        H, W = img.shape[:2]
        dress = ga.category == GarmentCategory.DRESS
        hit = self._people.get_or((id(pa), dress), lambda: (pa, person_inputs(pa, self.size, dress=dress)),
                                  valid=lambda h: h[0] is pa)
        h_net, w_net = self.size
        net = replace(hit[1], garment=cv2.resize(ga.image, (w_net, h_net), interpolation=cv2.INTER_AREA),
                      garment_mask=cv2.resize(ga.mask.astype(np.uint8), (w_net, h_net), interpolation=cv2.INTER_NEAREST))
        x0, y0, x1, y1 = box = net.box
        dev = self.device
        # the kept body-part channels as in training too (UPPER_CHANGING, dresses included)
        rep = person_representation(torch.from_numpy(net.keypoints)[None].to(dev),
                                    torch.from_numpy(net.parse.astype(np.int64))[None].to(dev), _to_t(net.agnostic).to(dev))
        w_out = self.warp(rep, _to_t(net.garment).to(dev), torch.from_numpy(net.garment_mask)[None, None].float().to(dev))
        # the generator's rendering and blend are used only in the leak-free protocol: the
        # everyday one keeps the photo's own person and makes skin and background itself
        t_out = self.gen(rep, w_out.warped_garment, w_out.warped_mask) if regions.protocol == Protocol.PAIRED else None

        # back to the photo: the flow on the full-resolution garment and its part masks, in one
        # sampling pass (RGB 0..255, mask, sleeves)
        bh, bw = y1 - y0, x1 - x0
        rgb_c, parts = _warp_full(ga, w_out.flow[0].permute(1, 2, 0).cpu().numpy(), (bw, bh))
        parts_w = parts.transpose(2, 0, 1)
        alpha_c, sleeve_c = _clean_alpha(parts_w[0], bh), np.minimum(parts_w[1], parts_w[0])
        sleeve_c = np.minimum(sleeve_c, alpha_c)
        rendered_c = None
        if t_out is not None:
            comp = F.interpolate(t_out.composition_mask, size=(bh, bw), mode="bilinear", align_corners=False)
            alpha_c = ((comp[0, 0] * self.garment_trust).clamp(0, 1).cpu().numpy() * parts_w[0])
            sleeve_c = np.minimum(parts_w[1], parts_w[0])
            alpha_c = np.maximum(alpha_c, sleeve_c)
            r = F.interpolate(t_out.rendered, size=(bh, bw), mode="bilinear", align_corners=False)
            rendered_c = ((r[0].permute(1, 2, 0).cpu().numpy() + 1) * 127.5 + 0.5).clip(0, 255).astype(np.uint8)

        def paste(a: np.ndarray, fill) -> np.ndarray:
            full = np.full((H, W) + a.shape[2:], fill, a.dtype)
            sx0, sy0, sx1, sy1 = max(0, x0), max(0, y0), min(W, x1), min(H, y1)
            if sx0 < sx1 and sy0 < sy1:
                full[sy0:sy1, sx0:sx1] = a[sy0 - y0:sy1 - y0, sx0 - x0:sx1 - x0]
            return full

        alpha, sleeve = paste(alpha_c.astype(np.float32), 0.0), paste(sleeve_c.astype(np.float32), 0.0)
        layer = GarmentLayer(rgb=paste(rgb_c.astype(np.float32), 255.0), alpha=alpha, torso_alpha=alpha - sleeve,
                             sleeve_alpha=sleeve, rendered=None if rendered_c is None else paste(rendered_c, 0),
                             draw_arms=rendered_c is None)
        small = lambda t: ((t[0].permute(1, 2, 0).cpu().numpy() + 1) * 127.5).clip(0, 255).astype(np.uint8)  # noqa: E731
        return layer, LearnedOutput(crop=box, warped_garment=small(w_out.warped_garment),
                                    composition_mask=None if t_out is None else t_out.composition_mask[0, 0].cpu().numpy(),
                                    rendered=None if t_out is None else small(t_out.rendered))
