"""One LightningModule for every chain: a model, a loss and validation metrics.

Batches are dicts with at least "x" (model input) and "y" (target). A model returns either a tensor
(the prediction) or a dict with a "prediction" entry plus whatever its loss needs (e.g. a KL term),
and the loss is called as loss_fn(output, batch) so that variational models fit the same harness.
"""

from __future__ import annotations

from collections.abc import Callable

import lightning as L
import torch
import torchmetrics
from torch import nn


def prediction_of(output: torch.Tensor | dict) -> torch.Tensor:
    return output["prediction"] if isinstance(output, dict) else output


def mse_loss(output: torch.Tensor | dict, batch: dict) -> torch.Tensor:
    """Mean squared error between the prediction and batch["y"] (the default loss)."""
    return nn.functional.mse_loss(prediction_of(output).float(), batch["y"].float())


def huber_loss(output: torch.Tensor | dict, batch: dict, delta: float = 1.0) -> torch.Tensor:
    """Huber loss: squared within `delta` of the target, linear beyond it, so that measurements far off the
    prediction (e.g. a sort-seq value from a single cell) pull on the weights less than under MSE."""
    return nn.functional.huber_loss(prediction_of(output).float(), batch["y"].float(), delta=delta)


class RegressionTask(L.LightningModule):
    """Train `model` with `loss_fn`; log train/val loss and val Pearson per epoch."""

    def __init__(self, model: nn.Module, loss_fn: Callable = mse_loss, *, lr: float = 1e-3, weight_decay: float = 0.0,
                 optimizer: str = "adam", momentum: float = 0.9, lr_schedule: str = "none", max_epochs: int = 1):
        super().__init__()
        self.model = model
        self.loss_fn = loss_fn
        self.lr, self.weight_decay, self.optimizer_name, self.momentum = lr, weight_decay, optimizer, momentum
        self.lr_schedule, self.max_epochs = lr_schedule, max_epochs
        self.val_pearson = torchmetrics.PearsonCorrCoef()

    def forward(self, x: torch.Tensor):
        return self.model(x)

    def training_step(self, batch: dict, batch_idx: int) -> torch.Tensor:
        loss = self.loss_fn(self.model(batch["x"]), batch)
        self.log("train_loss", loss, on_step=False, on_epoch=True, prog_bar=True, batch_size=len(batch["y"]))
        return loss

    def validation_step(self, batch: dict, batch_idx: int) -> None:
        output = self.model(batch["x"])
        self.log("val_loss", self.loss_fn(output, batch), on_epoch=True, prog_bar=True, batch_size=len(batch["y"]))
        self.val_pearson.update(prediction_of(output).float().flatten(), batch["y"].float().flatten())

    def on_validation_epoch_end(self) -> None:
        self.log("val_pearson", self.val_pearson.compute(), prog_bar=True)
        self.val_pearson.reset()

    def _optimizer(self) -> torch.optim.Optimizer:
        params = self.model.parameters()
        if self.optimizer_name == "adam":
            return torch.optim.Adam(params, lr=self.lr, weight_decay=self.weight_decay)
        if self.optimizer_name == "adamw":
            return torch.optim.AdamW(params, lr=self.lr, weight_decay=self.weight_decay)
        if self.optimizer_name == "sgd":
            return torch.optim.SGD(params, lr=self.lr, momentum=self.momentum, weight_decay=self.weight_decay)
        raise ValueError(f"unknown optimizer {self.optimizer_name!r} (use adam, adamw or sgd)")

    def configure_optimizers(self):
        """The optimizer, plus a learning-rate schedule: none, plateau (halve after 2 flat epochs) or cosine."""
        optimizer = self._optimizer()
        if self.lr_schedule == "none":
            return optimizer
        if self.lr_schedule == "plateau":
            scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="min", factor=0.5, patience=2)
            return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "monitor": "val_loss"}}
        if self.lr_schedule == "cosine":
            scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(1, self.max_epochs))
            return {"optimizer": optimizer, "lr_scheduler": scheduler}
        raise ValueError(f"unknown lr_schedule {self.lr_schedule!r} (use none, plateau or cosine)")
