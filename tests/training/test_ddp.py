"""Two-process DDP smoke run under torch.distributed.run (gloo on CPU)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
import torch.distributed as dist

SCRIPT = Path(__file__).with_name("ddp_toy_main.py")


@pytest.mark.skipif(not dist.is_available() or not dist.is_gloo_available(), reason="torch.distributed with gloo is not available")
def test_two_process_training_ends_with_identical_weights(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")}
    env["OMP_NUM_THREADS"] = "1"
    src = str(Path(__file__).resolve().parents[2] / "src")
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--standalone", str(SCRIPT), str(tmp_path)],
        env=env, capture_output=True, text=True, timeout=240,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    r0 = torch.load(tmp_path / "rank0.pt", weights_only=True)
    r1 = torch.load(tmp_path / "rank1.pt", weights_only=True)
    assert r0["world"] == r1["world"] == 2
    assert r0["result"]["step"] == r1["result"]["step"] == 12
    assert r0["state"].keys() == r1["state"].keys()
    diff = [k for k in r0["state"] if not torch.equal(r0["state"][k], r1["state"][k])]
    assert not diff, diff  # parameters, BatchNorm buffers and EMA identical on both ranks
    # validation metrics are averaged over ranks, so both report the same numbers
    assert r0["result"]["val"] == r1["result"]["val"]
    # only rank 0 writes: one log line per log step, checkpoints 6 and 12
    run = tmp_path / "run"
    recs = [json.loads(line) for line in (run / "scalars.jsonl").read_text().splitlines()]
    assert [r["step"] for r in recs if r["split"] == "train"] == [4, 8, 12]
    assert sorted(p.name for p in (run / "checkpoints").glob("step_*.pt")) == ["step_0000006.pt", "step_0000012.pt"]
    ckpt = torch.load(run / "checkpoints" / "step_0000012.pt", weights_only=True)
    assert ckpt["world_size"] == 2 and len(ckpt["rng"]) == 2  # every rank's RNG state
    print(f"DDP run took {time.perf_counter() - t0:.1f} s")
