"""One console line per epoch (its losses and validation metrics), so a user watching Snakemake sees training move."""

from __future__ import annotations

import lightning as L

from regformer.logs import progress


class EpochProgress(L.Callback):
    """After each training epoch (its validation done), log `epoch i/N: train_loss .., val_loss .., val_*`."""

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if not trainer.is_global_zero:
            return
        values = {k: float(v) for k, v in trainer.callback_metrics.items() if getattr(v, "numel", lambda: 1)() == 1}
        shown = ", ".join(f"{k} {values[k]:.4g}" for k in sorted(values, key=lambda k: (not k.startswith("train"), k)))
        progress().info("epoch %d/%s: %s", trainer.current_epoch + 1, trainer.max_epochs, shown or "no metrics yet")
