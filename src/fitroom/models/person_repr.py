"""The person representation every fitroom try-on model is conditioned on.

Pure torch functions (no ``nn``); they work on any device and never change their inputs.

Channel order of :func:`person_representation` (``PERSON_CHANNELS`` = 33)::

    0-2    cloth-agnostic person image, RGB in [-1, 1] (0 = grey where the garment was)
    3-27   pose heatmaps, one per BODY_25 keypoint in :class:`fitroom.labels.Body25` order
           (Gaussian, peak 1 at the keypoint, all zero for a missing keypoint)
    28-32  one-hot of the *kept* body regions, :data:`KEPT_GROUPS` order:
           background, hair, face, lower garment, legs and feet; the region that changes
           (``changing``, dilated) is zero in every one of these channels

Coordinates: keypoints are ``[x, y, conf]`` in pixels of the map they are drawn on, pixel
centres at integers (as in :mod:`fitroom.labels`); ``conf <= 0`` means missing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
import torch.nn.functional as F

from fitroom.labels import Body25, Cihp

__all__ = [
    "KEPT_GROUPS",
    "NUM_KEYPOINTS",
    "PERSON_CHANNELS",
    "REDUCED_GROUPS",
    "UPPER_CHANGING",
    "DRESS_CHANGING",
    "agnostic_image",
    "changing_mask",
    "parse_onehot",
    "person_representation",
    "person_representation_from_batch",
    "pose_heatmaps",
]

NUM_KEYPOINTS = len(Body25)

#: a partition of the 20 CIHP ids into 9 coarser groups (name, ids), in channel order
REDUCED_GROUPS: tuple[tuple[str, tuple[int, ...]], ...] = (
    ("background", (Cihp.BACKGROUND,)),
    ("hair", (Cihp.HAT, Cihp.HAIR)),
    ("face", (Cihp.FACE, Cihp.SUNGLASSES)),
    ("upper_garment", (Cihp.UPPER_CLOTHES, Cihp.DRESS, Cihp.COAT, Cihp.SCARF)),
    ("skin_other", (Cihp.TORSO_SKIN, Cihp.GLOVE)),
    ("left_arm", (Cihp.LEFT_ARM,)),
    ("right_arm", (Cihp.RIGHT_ARM,)),
    ("lower_garment", (Cihp.PANTS, Cihp.SKIRT)),
    ("legs_feet", (Cihp.LEFT_LEG, Cihp.RIGHT_LEG, Cihp.SOCKS, Cihp.LEFT_SHOE, Cihp.RIGHT_SHOE)),
)

#: the groups kept from the person photo in the person representation
KEPT_GROUPS: tuple[tuple[str, tuple[int, ...]], ...] = tuple(
    g for g in REDUCED_GROUPS if g[0] in ("background", "hair", "face", "lower_garment", "legs_feet")
)

#: CIHP ids replaced when trying on a top: the garment, the skin it may cover, the arms
UPPER_CHANGING: tuple[int, ...] = (
    Cihp.UPPER_CLOTHES, Cihp.DRESS, Cihp.COAT, Cihp.SCARF, Cihp.TORSO_SKIN,
    Cihp.LEFT_ARM, Cihp.RIGHT_ARM, Cihp.GLOVE,
)
#: ... and when trying on a dress (the lower garment and legs too)
DRESS_CHANGING: tuple[int, ...] = UPPER_CHANGING + (Cihp.PANTS, Cihp.SKIRT, Cihp.LEFT_LEG, Cihp.RIGHT_LEG)

PERSON_CHANNELS = 3 + NUM_KEYPOINTS + len(KEPT_GROUPS)


def _batched(x: torch.Tensor, ndim: int, name: str) -> tuple[torch.Tensor, bool]:
    if x.dim() == ndim - 1:
        return x.unsqueeze(0), True
    if x.dim() != ndim:
        raise ValueError(f"{name} must have {ndim - 1} or {ndim} dimensions, got shape {tuple(x.shape)}")
    return x, False


def pose_heatmaps(
    keypoints: torch.Tensor,
    size: tuple[int, int],
    sigma: float | None = None,
    *,
    src_size: tuple[int, int] | None = None,
) -> torch.Tensor:
    """Gaussian heatmaps of keypoints.

    Args:
        keypoints: ``[B, K, 3]`` or ``[K, 3]`` ``[x, y, conf]`` in pixels (of ``src_size``
            if given, else of ``size``); ``conf <= 0`` is a missing point.
        size: ``(H, W)`` of the heatmaps.
        sigma: Gaussian standard deviation in pixels of ``size``; default ``H / 64``
            (4 px at 256x192).
        src_size: ``(H, W)`` the keypoints were measured on; they are rescaled with
            pixel centres mapped (``x' = (x + 0.5) * W / w - 0.5``).
    Returns:
        ``[B, K, H, W]`` (or ``[K, H, W]``) float in [0, 1] on the keypoints' device:
        ``exp(-d^2 / (2 sigma^2))``, exactly 1 at a keypoint on a pixel centre, all zero
        for a missing keypoint.
    """
    kp, squeeze = _batched(keypoints, 3, "keypoints")
    if kp.shape[-1] != 3:
        raise ValueError(f"keypoints must be [..., K, 3] (x, y, conf), got shape {tuple(keypoints.shape)}")
    h, w = int(size[0]), int(size[1])
    if h <= 0 or w <= 0:
        raise ValueError(f"size must be positive (H, W), got {size!r}")
    sigma = h / 64.0 if sigma is None else float(sigma)
    if sigma <= 0:
        raise ValueError(f"sigma must be > 0 pixels, got {sigma}")
    kp = kp.float()
    x, y, conf = kp[..., 0], kp[..., 1], kp[..., 2]
    if src_size is not None:
        x = (x + 0.5) * (w / src_size[1]) - 0.5
        y = (y + 0.5) * (h / src_size[0]) - 0.5
    ys = torch.arange(h, device=kp.device, dtype=torch.float32)
    xs = torch.arange(w, device=kp.device, dtype=torch.float32)
    # separable: exp(-(dx^2 + dy^2) / 2s^2) = gx * gy
    gx = torch.exp(-((xs - x[..., None]) ** 2) / (2 * sigma**2))  # [B, K, W]
    gy = torch.exp(-((ys - y[..., None]) ** 2) / (2 * sigma**2))  # [B, K, H]
    heat = gy[..., :, None] * gx[..., None, :]
    heat = heat * (conf > 0).float()[..., None, None]
    return heat[0] if squeeze else heat


def parse_onehot(
    parse: torch.Tensor,
    groups: Sequence[tuple[str, Sequence[int]]] | Sequence[Sequence[int]] | None = None,
) -> torch.Tensor:
    """One-hot of a CIHP parse map.

    Args:
        parse: ``[B, H, W]`` or ``[H, W]`` integer CIHP ids.
        groups: ``None`` for the 20 CIHP channels in id order; otherwise one channel per
            group, the union of its ids (e.g. :data:`REDUCED_GROUPS`, :data:`KEPT_GROUPS`,
            or plain tuples of ids).
    Returns:
        ``[B, C, H, W]`` (or ``[C, H, W]``) float32 of 0/1.
    """
    p, squeeze = _batched(parse, 3, "parse")
    if p.dtype.is_floating_point:
        raise ValueError(f"parse must hold integer CIHP ids, got dtype {p.dtype}")
    p = p.long()
    if groups is None:
        if p.numel() and (int(p.min()) < 0 or int(p.max()) >= len(Cihp)):
            raise ValueError(f"parse ids must be in [0, {len(Cihp) - 1}], got [{int(p.min())}, {int(p.max())}]")
        out = F.one_hot(p, len(Cihp)).permute(0, 3, 1, 2).float()
    else:
        lut = torch.zeros(len(groups), len(Cihp), dtype=torch.float32, device=p.device)
        for c, g in enumerate(groups):
            ids = g[1] if (len(g) == 2 and isinstance(g[0], str)) else g
            lut[c, [int(i) for i in ids]] = 1.0
        out = lut[:, p.clamp(0, len(Cihp) - 1)].permute(1, 0, 2, 3)
    return out[0] if squeeze else out.contiguous()


def changing_mask(parse: torch.Tensor, changing: Sequence[int] = UPPER_CHANGING, dilate: int = 0) -> torch.Tensor:
    """``[B, 1, H, W]`` float 0/1 mask of the pixels whose CIHP id is in ``changing``,
    dilated by ``dilate`` pixels (a square structuring element)."""
    p, _ = _batched(parse, 3, "parse")
    ids = torch.tensor([int(i) for i in changing], device=p.device)
    m = torch.isin(p.long(), ids).float()[:, None]
    if dilate > 0:
        m = F.max_pool2d(m, 2 * dilate + 1, stride=1, padding=dilate)
    return m


def agnostic_image(
    person: torch.Tensor, parse: torch.Tensor, changing: Sequence[int] = UPPER_CHANGING, dilate: int | None = None
) -> torch.Tensor:
    """A cloth-agnostic person image: ``person`` ([B, 3, H, W] in [-1, 1]) with the
    ``changing`` region (dilated by ``dilate`` px, default ``H / 64``) set to 0 (grey).

    A fallback for batches without a dataset-provided ``agnostic`` image."""
    if person.shape[-2:] != parse.shape[-2:]:
        raise ValueError(f"person {tuple(person.shape)} and parse {tuple(parse.shape)} differ in size")
    dilate = max(1, round(person.shape[-2] / 64)) if dilate is None else dilate
    m = changing_mask(parse, changing, dilate)
    return person * (1 - m)


def person_representation(
    keypoints: torch.Tensor,
    parse: torch.Tensor,
    agnostic: torch.Tensor | None = None,
    person: torch.Tensor | None = None,
    *,
    changing: Sequence[int] = UPPER_CHANGING,
    dilate: int | None = None,
    sigma: float | None = None,
) -> torch.Tensor:
    """The ``[B, PERSON_CHANNELS, H, W]`` conditioning tensor (channel order in the module
    docstring) at the parse map's resolution.

    Args:
        keypoints: ``[B, 25, 3]`` BODY_25 in pixels of the parse map.
        parse: ``[B, H, W]`` CIHP ids.
        agnostic: ``[B, 3, H, W]`` cloth-agnostic image in [-1, 1]; when ``None`` it is
            made from ``person`` with :func:`agnostic_image`.
        person: ``[B, 3, H, W]`` in [-1, 1]; needed only when ``agnostic`` is ``None``.
        changing: CIHP ids of the region that changes (:data:`UPPER_CHANGING`,
            :data:`DRESS_CHANGING`).
        dilate: pixels the changing region grows by (default ``H / 64``), so that the
            parse channels do not trace the old garment's outline.
        sigma: heatmap sigma in pixels (default ``H / 64``).
    """
    parse_b, _ = _batched(parse, 3, "parse")
    b, h, w = parse_b.shape
    kp, _ = _batched(keypoints, 3, "keypoints")
    if kp.shape[0] != b or kp.shape[1] != NUM_KEYPOINTS:
        raise ValueError(f"keypoints must be [{b}, {NUM_KEYPOINTS}, 3] (BODY_25), got {tuple(keypoints.shape)}")
    dilate = max(1, round(h / 64)) if dilate is None else dilate
    if agnostic is None:
        if person is None:
            raise ValueError("person_representation needs either the agnostic image or the person image")
        agnostic = agnostic_image(person, parse_b, changing, dilate)
    if agnostic.dim() == 3:
        agnostic = agnostic[None]
    if tuple(agnostic.shape) != (b, 3, h, w):
        raise ValueError(f"agnostic must be [{b}, 3, {h}, {w}], got {tuple(agnostic.shape)}")
    heat = pose_heatmaps(kp.to(agnostic.device), (h, w), sigma)
    kept = parse_onehot(parse_b, KEPT_GROUPS) * (1 - changing_mask(parse_b, changing, dilate))
    return torch.cat([agnostic.float(), heat, kept.to(agnostic.device)], dim=1)


def person_representation_from_batch(batch: Mapping[str, torch.Tensor], **kwargs: object) -> torch.Tensor:
    """:func:`person_representation` of a :class:`fitroom.data.torch_dataset.TryOnDataset`
    batch (uses ``batch["agnostic"]`` when present, else builds it from ``person``)."""
    return person_representation(
        batch["keypoints"], batch["parse"], batch.get("agnostic"), batch.get("person"), **kwargs
    )
