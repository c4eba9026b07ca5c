"""Pure geometry: thin-plate splines, dense maps, resampling. No torch.nn here."""

from fitroom.geometry.tps import TpsParams, remap, tps_dense_map, tps_fit, tps_transform, tps_warp

__all__ = ["TpsParams", "remap", "tps_dense_map", "tps_fit", "tps_transform", "tps_warp"]
