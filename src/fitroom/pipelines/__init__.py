"""Try-on pipelines (engines: classical)."""

from fitroom.pipelines.tryon import Protocol, TryOnPipeline, TryOnResult

__all__ = ["Protocol", "TryOnPipeline", "TryOnResult"]
