"""Fine-tuning as a Lightning callback: initial weights (`init:`), a frozen trunk (`freeze: trunk`) that is
unfrozen after `unfreeze_after` epochs with its own learning rate (`unfreeze_lr`), and the effective batch.

The trunk is every child module of the network but `heads`. While frozen, its parameters take no gradient,
are left out of the optimizer (SupervisedTask optimises trainable parameters only) and its BatchNorm layers
run in eval mode (the running statistics of the weights, not the batch's: batches of 1 are common when
fine-tuning Enformer). On unfreezing, the trunk joins the optimizer as a new parameter group at
`unfreeze_lr` (default: the head's current learning rate), held constant; the head keeps its schedule.
Built on Lightning's BaseFinetuning, which also restores the parameter groups when a run resumes.
"""

from __future__ import annotations

import logging

import torch
from lightning.pytorch.callbacks import BaseFinetuning
from torch.nn.modules.batchnorm import _BatchNorm

from regformer.errors import InputError
from regformer.models.weights import apply_init, check_init

log = logging.getLogger(__name__)

FREEZE = ("none", "trunk")


def trunk_modules(model: torch.nn.Module) -> list[torch.nn.Module]:
    """The network's children except its `heads` (an InputError for a model without a separate head)."""
    if not isinstance(getattr(model, "heads", None), torch.nn.Module):
        raise InputError("config.yaml", f"freeze: trunk, but {type(model).__name__} has no `heads` to keep training",
                         "use freeze: none")
    return [module for name, module in model.named_children() if name != "heads"]


class FineTune(BaseFinetuning):
    """Load `init` weights at setup, freeze the trunk, unfreeze it at epoch `unfreeze_after`; log the effective batch."""

    def __init__(self, init: dict | None = None, freeze: str = "none", unfreeze_after: int | None = None,
                 unfreeze_lr: float | None = None, batch_size: int | None = None, accumulate_grad_batches: int = 1):
        super().__init__()
        if freeze not in FREEZE:
            raise InputError("config.yaml", f"freeze {freeze!r} is not one of {FREEZE}", "use freeze: trunk or none")
        if unfreeze_after is not None and freeze != "trunk":
            raise InputError("config.yaml", "unfreeze_after is set but nothing is frozen", "add freeze: trunk")
        self.init = check_init(init) if init else None
        self.freeze_trunk, self.unfreeze_after, self.unfreeze_lr = freeze == "trunk", unfreeze_after, unfreeze_lr
        self.batch_size, self.accumulate = batch_size, accumulate_grad_batches
        self.frozen = False
        self.init_report: dict | None = None

    def setup(self, trainer, pl_module, stage: str) -> None:
        """Before the optimizer exists and before a resumed checkpoint is restored (which then overrides `init`)."""
        if stage == "fit" and self.init is not None and self.init_report is None:
            self.init_report = apply_init(pl_module.model, self.init)
        if stage == "fit" and self.batch_size:
            effective = self.batch_size * self.accumulate * trainer.world_size
            log.info("effective batch %d = %d per device x %d accumulated x %d devices", effective, self.batch_size,
                     self.accumulate, trainer.world_size)
        super().setup(trainer, pl_module, stage)

    def freeze_before_training(self, pl_module) -> None:
        if self.freeze_trunk:
            self.freeze(trunk_modules(pl_module.model), train_bn=False)
            self.frozen = True
            log.info("trunk frozen%s", f" until epoch {self.unfreeze_after}" if self.unfreeze_after is not None else "")

    def finetune_function(self, pl_module, epoch: int, optimizer) -> None:
        if self.frozen and self.unfreeze_after is not None and epoch >= self.unfreeze_after:
            lr = self.unfreeze_lr if self.unfreeze_lr is not None else optimizer.param_groups[0]["lr"]
            self.unfreeze_and_add_param_group(trunk_modules(pl_module.model), optimizer, lr=lr, train_bn=True)
            self.frozen = False
            log.info("epoch %d: trunk unfrozen at learning rate %g", epoch, lr)

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx: int) -> None:
        """Lightning puts the whole model in train mode each epoch: a frozen trunk's BatchNorm goes back to eval."""
        if self.frozen:
            for module in trunk_modules(pl_module.model):
                for layer in module.modules():
                    if isinstance(layer, _BatchNorm):
                        layer.eval()


def finetune_callbacks(training: dict) -> list:
    """[FineTune] when the recipe sets init, freeze or gradient accumulation; [] otherwise (nothing changes)."""
    accumulate = int(training.get("accumulate_grad_batches") or 1)
    if not training.get("init") and training.get("freeze", "none") == "none" and accumulate == 1:
        return []
    return [FineTune(training.get("init"), training.get("freeze", "none"), training.get("unfreeze_after"),
                     training.get("unfreeze_lr"), training.get("batch_size"), accumulate)]
