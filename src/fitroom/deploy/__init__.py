"""Deployment runtimes for the learned engine's networks (ONNX Runtime beside PyTorch).

``export_onnx`` writes ``warp/model.onnx`` and ``tryon/model.onnx`` for a weights folder;
``OnnxWarp`` and ``OnnxTryOn`` run them with ONNX Runtime's CPU execution provider and
return the same outputs as the PyTorch modules (``WarpOutput`` / ``TryOnOutput`` fields the
engine uses). The person analysis (MediaPipe) is not affected.
"""

from fitroom.deploy.onnx import (ONNX_TOLERANCE, RUNTIMES, ExportResult, OnnxTryOn, OnnxWarp, export_onnx,
                                 onnx_models)

__all__ = ["ONNX_TOLERANCE", "RUNTIMES", "ExportResult", "OnnxTryOn", "OnnxWarp", "export_onnx", "onnx_models"]
