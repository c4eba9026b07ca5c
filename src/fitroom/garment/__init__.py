"""Garment product photos: mask, landmarks, category, torso/sleeve split.

>>> from fitroom.garment import analyze_garment
>>> analysis = analyze_garment(rgb_uint8_image)  # doctest: +SKIP
>>> analysis.category, analysis.landmarks.as_array().shape  # doctest: +SKIP
"""

from fitroom.garment.analyze import GarmentAnalysis, analyze_garment, parse_category, split_sleeves
from fitroom.garment.category import GarmentShape, classify_garment, measure_shape
from fitroom.garment.landmarks import LANDMARK_NAMES, GarmentLandmarks, detect_landmarks
from fitroom.garment.mask import garment_mask

__all__ = [
    "GarmentAnalysis",
    "GarmentLandmarks",
    "GarmentShape",
    "LANDMARK_NAMES",
    "analyze_garment",
    "parse_category",
    "classify_garment",
    "detect_landmarks",
    "garment_mask",
    "measure_shape",
    "split_sleeves",
]
