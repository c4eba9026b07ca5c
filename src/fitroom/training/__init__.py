"""Training: experiment configs, losses, and one Trainer (checkpoints, exact resume, logging, DDP).

Import from the submodules: ``fitroom.training.config``, ``fitroom.training.losses``,
``fitroom.training.trainer``. Task modules (one per trained model) live in
``fitroom.training.tasks`` (``tasks.warp.WarpTask``, ``tasks.tryon.TryOnTask``, and
``tasks.train``, which ``fitroom train warp|tryon`` runs).
"""
