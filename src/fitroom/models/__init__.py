"""Learned try-on models: torch ``nn.Module``s only, one architecture per file.

>>> import fitroom.models as fm
>>> fm.available()
['garment-vae', 'patchgan-ms', 'texture-gan', 'tryon-unet', 'warp-flow']
>>> warp = fm.build("warp-flow", base_channels=8)
>>> warp.save_pretrained("/tmp/warp")  # doctest: +SKIP
>>> same = fm.load("/tmp/warp")        # doctest: +SKIP

Importing this package registers every architecture.
"""

from . import garment_vae, patchgan, texture_gan, tryon_unet, warp_flow  # noqa: F401  (register the architectures)
from .garment_vae import GarmentVAE, GarmentVAEConfig, VAELoss, VAEOutput
from .patchgan import DiscriminatorOutput, MultiScalePatchGAN, PatchGANConfig
from .person_repr import (
    DRESS_CHANGING,
    KEPT_GROUPS,
    PERSON_CHANNELS,
    REDUCED_GROUPS,
    UPPER_CHANGING,
    agnostic_image,
    parse_onehot,
    person_representation,
    person_representation_from_batch,
    pose_heatmaps,
)
from .pretrained import (
    ArchitectureMismatchError,
    ModelLoadError,
    PretrainedModel,
    WeightsMismatchError,
    WeightsNotFoundError,
    load,
)
from .texture_gan import TextureGAN, TextureGANConfig
from .registry import UnknownModelError, available, build, get, register
from .tryon_unet import TryOnOutput, TryOnUNet, TryOnUNetConfig
from .warp_flow import WarpFlow, WarpFlowConfig, WarpOutput, flow_smoothness, flow_to_grid, warp

__all__ = [
    "DRESS_CHANGING",
    "KEPT_GROUPS",
    "PERSON_CHANNELS",
    "REDUCED_GROUPS",
    "UPPER_CHANGING",
    "ArchitectureMismatchError",
    "DiscriminatorOutput",
    "GarmentVAE",
    "GarmentVAEConfig",
    "ModelLoadError",
    "MultiScalePatchGAN",
    "PatchGANConfig",
    "PretrainedModel",
    "TextureGAN",
    "TextureGANConfig",
    "TryOnOutput",
    "TryOnUNet",
    "TryOnUNetConfig",
    "UnknownModelError",
    "WarpFlow",
    "WarpFlowConfig",
    "VAELoss",
    "VAEOutput",
    "WarpOutput",
    "WeightsMismatchError",
    "WeightsNotFoundError",
    "agnostic_image",
    "available",
    "build",
    "flow_smoothness",
    "flow_to_grid",
    "get",
    "load",
    "parse_onehot",
    "person_representation",
    "person_representation_from_batch",
    "pose_heatmaps",
    "register",
    "warp",
]
