"""Counts and distributions of a synthetic dataset, from its ``meta.jsonl``."""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

from fitroom.errors import DatasetError

#: meta fields summarised, in display order
FIELDS = ("split", "skin_tone", "body_shape", "category", "pattern", "pose", "lower", "background", "hair", "fit")


def read_meta(root: str | os.PathLike[str]) -> list[dict]:
    path = Path(root) / "meta.jsonl"
    if not path.is_file():
        raise DatasetError(f"{root} has no meta.jsonl; it is not a dataset written by 'fitroom data synth'")
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise DatasetError(f"line {n} of {path} is not JSON: {exc}") from None
    return rows


def dataset_stats(root: str | os.PathLike[str]) -> dict:
    """``{"count": N, "distributions": {field: {value: count}}}`` (values sorted)."""
    rows = read_meta(root)
    dist = {}
    for f in FIELDS:
        c = Counter(str(r[f]) for r in rows if f in r)
        dist[f] = dict(sorted(c.items(), key=lambda kv: (len(kv[0]), kv[0]) if f == "skin_tone" else kv[0]))
    return {"count": len(rows), "distributions": dist}


def format_stats(stats: dict) -> str:
    """A plain-text table of :func:`dataset_stats`."""
    n = max(stats["count"], 1)
    lines = [f"samples: {stats['count']}"]
    for f, d in stats["distributions"].items():
        lines.append(f"\n{f}")
        for k, v in d.items():
            lines.append(f"  {k:<18} {v:>7}  {100 * v / n:5.1f}%")
    return "\n".join(lines)
