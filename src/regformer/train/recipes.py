"""Default training recipes (no torch import: the workflow reads them while it builds the job graph)."""

from __future__ import annotations

# Gradient-descent defaults of a model trained with Lightning; a chain's specs copy and adjust them.
GRADIENT_DESCENT = dict(max_epochs=30, batch_size=256, lr=1e-3, weight_decay=0.0, optimizer="adam", lr_schedule="none",
                        patience=5, gradient_clip_val=None, rc_augment=True, swa=False, swa_lr=None,
                        swa_epoch_start=0.8, swa_annealing_epochs=5, ema_decay=None, loss="mse", huber_delta=1.0,
                        members=1)

# Settings that may grow between runs without invalidating the checkpoints (training continues instead).
RESUMABLE_KEYS = ("max_epochs", "patience", "members")
