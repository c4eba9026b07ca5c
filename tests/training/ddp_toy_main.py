"""Worker script for test_ddp.py: ``python -m torch.distributed.run --nproc_per_node 2
--standalone ddp_toy_main.py OUT_DIR``. Trains a toy regression task (BatchNorm, dropout, two
optimizers) with the Trainer and writes each rank's final weights to OUT_DIR/rank{R}.pt."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import torch
from torch import nn

from fitroom.training.config import TrainConfig
from fitroom.training.losses import l1_loss
from fitroom.training.trainer import TaskBase, Trainer, seed_everything


class Data(torch.utils.data.Dataset):
    def __init__(self, n=40):
        g = torch.Generator().manual_seed(0)
        self.x = torch.randn(n, 6, generator=g)
        self.y = self.x @ torch.randn(6, 2, generator=g)

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return {"x": self.x[i], "y": self.y[i]}


class Task(TaskBase):
    def __init__(self):
        self.net = nn.Sequential(nn.Linear(6, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(0.1), nn.Linear(16, 2))
        self.head = nn.Linear(2, 2)
        self.opt = torch.optim.Adam(self.net.parameters(), 1e-2)
        self.opt_h = torch.optim.SGD(self.head.parameters(), 1e-2)

    def models(self):
        return {"net": self.net, "head": self.head}

    def optimizers(self):
        return {"net": self.opt, "head": self.opt_h}

    def step(self, batch, *, train):
        with self.ctx.autocast():
            pred = self.net(batch["x"])
            loss = l1_loss(pred, batch["y"])
        if train:
            self.ctx.optimize(loss, "net")
        with self.ctx.autocast():
            loss_h = l1_loss(self.head(pred.detach()), batch["y"])
        if train:
            self.ctx.optimize(loss_h, "head")
        return {"loss": loss.item(), "loss_h": loss_h.item()}


def main(out: Path) -> None:
    torch.set_num_threads(1)
    rank = int(os.environ["RANK"])
    seed_everything(100 + rank)  # different init on each rank: the trainer must broadcast rank 0's
    task = Task()
    cfg = TrainConfig(
        steps=12, batch_size=4, log_every=4, val_every=6, ckpt_every=6, ema_modules=("net",), ema_decay=0.9,
        device=os.environ.get("FITROOM_DDP_DEVICE", "cpu"), run_dir=str(out / "run"), progress=False)
    trainer = Trainer(task, cfg, train_data=Data(), val_data=Data(10), grad_clip=1.0)
    assert trainer.dist.world_size == 2 and trainer.train_sampler.num_replicas == 2
    result = trainer.fit()
    state = {f"{n}.{k}": v.cpu() for n, m in trainer.models.items() for k, v in m.state_dict().items()}
    state.update({f"ema.{k}": v.cpu() for k, v in trainer.emas["net"].state_dict().items()})
    torch.save({"state": state, "result": result, "world": trainer.dist.world_size}, out / f"rank{rank}.pt")
    trainer.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
