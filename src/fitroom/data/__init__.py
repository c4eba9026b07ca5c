"""Dataset readers and writers (cp-vton, VITON-HD), keypoint files, try-on samples."""

from .keypoints import read_openpose_json, write_openpose_json
from .layouts import Layout, detect_layout, is_paired, read_dataset, read_pairs_file
from .sample import TryOnSample

__all__ = [
    "Layout",
    "TryOnSample",
    "detect_layout",
    "is_paired",
    "read_dataset",
    "read_openpose_json",
    "read_pairs_file",
    "write_openpose_json",
]
