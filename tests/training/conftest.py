"""Training tests use toy modules of a few thousand parameters: one intra-op thread is
fastest for them, and avoids OpenMP spin-waiting when the machine's cores are busy."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(autouse=True)
def _one_torch_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
