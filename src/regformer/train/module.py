"""One LightningModule for every chain: a model, a loss and the chain's validation metrics.

Batches are dicts with at least "x" (model input) and "y" (target). The loss is called as
loss_fn(output, batch) (see regformer.models.outputs), so a model that returns a dict (a VAE's prediction,
mu and logvar) and brings its own training_loss fits the same harness. Validation metrics come from the
chain, so a masked-token or per-track objective logs what fits it.

Under DDP every epoch value is synchronised over the ranks: the validation loss and metrics are torchmetrics
states reduced over the whole validation set (each rank scores its own share), so every rank takes the same early
stopping and best-checkpoint decisions.
"""

from __future__ import annotations

from collections.abc import Callable

import lightning as L
import torch
import torchmetrics
from torch import nn

from regformer.models.outputs import mse_loss, prediction_of


class FlatPearsonCorrCoef(torchmetrics.PearsonCorrCoef):
    """Pearson's r over every predicted value of the epoch (all sequences, pixels and maps pooled)."""

    def update(self, preds: torch.Tensor, target: torch.Tensor) -> None:
        super().update(preds.float().flatten(), target.float().flatten())


class SupervisedTask(L.LightningModule):
    """Train `model` with `loss_fn`; log train/val loss and each validation metric per epoch."""

    def __init__(self, model: nn.Module, loss_fn: Callable = mse_loss, *, metrics: dict | None = None,
                 lr: float = 1e-3, weight_decay: float = 0.0, optimizer: str = "adam", momentum: float = 0.9,
                 lr_schedule: str = "none", max_epochs: int = 1, warmup_steps: int = 0):
        super().__init__()
        self.model = model
        self.loss_fn = loss_fn
        self.lr, self.weight_decay, self.optimizer_name, self.momentum = lr, weight_decay, optimizer, momentum
        self.lr_schedule, self.max_epochs, self.warmup_steps = lr_schedule, max_epochs, warmup_steps
        self.val_metrics = nn.ModuleDict(metrics if metrics is not None else {"val_pearson": FlatPearsonCorrCoef()})
        # the mean loss per sequence over the whole validation set (summed and counted over every rank)
        self.val_loss = torchmetrics.MeanMetric()

    def forward(self, x: torch.Tensor):
        return self.model(x)

    def _output(self, batch: dict):
        """The model on batch["x"], plus the batch entries it asks for in `batch_inputs` (e.g. LegNet's strand
        and singleton flags) when the batch has them."""
        extra = {k: batch[k] for k in getattr(self.model, "batch_inputs", ()) if k in batch}
        return self.model(batch["x"], **extra)

    def training_step(self, batch: dict, batch_idx: int) -> torch.Tensor:
        loss = self.loss_fn(self._output(batch), batch)
        self.log("train_loss", loss, on_step=False, on_epoch=True, prog_bar=True, batch_size=len(batch["y"]),
                 sync_dist=True)
        return loss

    def validation_step(self, batch: dict, batch_idx: int) -> None:
        output = self._output(batch)
        self.val_loss.update(self.loss_fn(output, batch).detach(), weight=len(batch["y"]))
        for metric in self.val_metrics.values():
            metric.update(prediction_of(output), batch["y"])

    def on_validation_epoch_end(self) -> None:
        # compute() gathers the states of every rank; sync_dist then only averages equal values
        self.log("val_loss", self.val_loss.compute(), prog_bar=True, sync_dist=True)
        self.val_loss.reset()
        for name, metric in self.val_metrics.items():
            self.log(name, metric.compute(), prog_bar=True, sync_dist=True)
            metric.reset()

    def _optimizer(self) -> torch.optim.Optimizer:
        params = [p for p in self.model.parameters() if p.requires_grad]  # a frozen trunk stays out (finetune)
        if self.optimizer_name == "adam":
            return torch.optim.Adam(params, lr=self.lr, weight_decay=self.weight_decay)
        if self.optimizer_name == "adamw":
            return torch.optim.AdamW(params, lr=self.lr, weight_decay=self.weight_decay)
        if self.optimizer_name == "sgd":
            return torch.optim.SGD(params, lr=self.lr, momentum=self.momentum, weight_decay=self.weight_decay)
        raise ValueError(f"unknown optimizer {self.optimizer_name!r} (use adam, adamw or sgd)")

    def configure_optimizers(self):
        """The optimizer, plus a learning-rate schedule: none, plateau (halve after 2 flat epochs), cosine (over
        max_epochs), warmup (linear from 0 over warmup_steps optimizer steps, then constant: Enformer's) or onecycle
        (per step, up from lr/25 to lr over the first 30% of max_epochs, then cosine down to lr/1e4: LegNet's)."""
        optimizer = self._optimizer()
        if self.lr_schedule == "none":
            return optimizer
        if self.lr_schedule == "plateau":
            scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="min", factor=0.5, patience=2)
            return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "monitor": "val_loss"}}
        if self.lr_schedule == "cosine":
            scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(1, self.max_epochs))
            return {"optimizer": optimizer, "lr_scheduler": scheduler}
        if self.lr_schedule == "warmup":
            steps = max(1, self.warmup_steps)
            scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: min(1.0, (step + 1) / steps))
            return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}
        if self.lr_schedule == "onecycle":
            scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=self.lr, pct_start=0.3,
                                                            total_steps=max(1, int(self.trainer.estimated_stepping_batches)))
            return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}
        raise ValueError(f"unknown lr_schedule {self.lr_schedule!r} (use none, plateau, cosine, warmup or onecycle)")
