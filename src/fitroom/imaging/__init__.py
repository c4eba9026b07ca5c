"""Image I/O with limits, orientation and colour management; mask and colour helpers.

Images are ``HxWx3`` ``uint8`` sRGB arrays, masks ``HxW`` ``bool``, sizes ``(width, height)``.
"""

from fitroom.imaging.color import lab_to_rgb, luminance, rgb_to_lab
from fitroom.imaging.load import (
    DEFAULT_LIMITS,
    ImageLimits,
    ImageSource,
    load_image,
    load_label_map,
    load_mask,
    save_image,
)
from fitroom.imaging.masks import (
    bbox,
    dilate,
    erode,
    feather,
    fill_holes,
    largest_component,
    mask_iou,
    remove_small_components,
)

__all__ = [
    "DEFAULT_LIMITS",
    "ImageLimits",
    "ImageSource",
    "bbox",
    "dilate",
    "erode",
    "feather",
    "fill_holes",
    "lab_to_rgb",
    "largest_component",
    "load_image",
    "load_label_map",
    "load_mask",
    "luminance",
    "mask_iou",
    "remove_small_components",
    "rgb_to_lab",
    "save_image",
]
