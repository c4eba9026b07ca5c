"""Where the learned networks run (kept free of torch imports: the service asks before loading)."""

from __future__ import annotations

import os

RUNTIMES = ("torch", "onnx")


def default_runtime() -> str:
    """``FITROOM_RUNTIME`` when set, else ``"torch"``, the faster for the everyday try-on on
    the 2-core machine (``benchmarks/bench_deploy.py``: warp-flow 42 vs 50 ms at 256x192, the
    whole try-on at 768x1024 113 vs 121 ms; ONNX Runtime is faster for the generator, 54 vs
    59 ms, which only the leak-free protocol runs: there the two are even)."""
    return os.environ.get("FITROOM_RUNTIME") or "torch"
