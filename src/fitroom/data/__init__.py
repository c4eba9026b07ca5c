"""Dataset readers and writers (cp-vton, VITON-HD, DressCode), keypoint files, try-on samples.

``TryOnDataset`` (PyTorch) lives in :mod:`fitroom.data.torch_dataset`; it is not imported
here so that reading a dataset does not import torch.
"""

from .dresscode import DressCodeLabel, dresscode_parse_to_cihp, read_dresscode, read_dresscode_keypoints
from .keypoints import read_openpose_json, write_openpose_json
from .layouts import Layout, detect_layout, is_paired, read_dataset, read_pairs_file
from .sample import TryOnSample

__all__ = [
    "DressCodeLabel",
    "Layout",
    "TryOnSample",
    "detect_layout",
    "dresscode_parse_to_cihp",
    "is_paired",
    "read_dataset",
    "read_dresscode",
    "read_dresscode_keypoints",
    "read_openpose_json",
    "read_pairs_file",
    "write_openpose_json",
]
