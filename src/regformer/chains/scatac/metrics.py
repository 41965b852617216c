"""Masked-tile recovery: how well a model's state-2 score separates removed open tiles (2) from closed ones (0)."""

from __future__ import annotations

import numpy as np
import torch
import torchmetrics
from sklearn.metrics import average_precision_score, roc_auc_score

from regformer.models.scatac.atacformer import CLOSED, REMOVED


def removed_score(prediction: torch.Tensor | np.ndarray) -> torch.Tensor:
    """P(state 2) from (..., 3) logits or log-probabilities."""
    return torch.softmax(torch.as_tensor(prediction).float(), dim=-1)[..., REMOVED]


def removed_vs_closed(prediction, target) -> tuple[np.ndarray, np.ndarray]:
    """(scores, labels: 1 removed, 0 closed) over every tile of every cell whose state is 0 or 2."""
    target = np.asarray(target)
    keep = (target == CLOSED) | (target == REMOVED)
    return removed_score(prediction).numpy()[keep], (target[keep] == REMOVED).astype(np.int8)


def masked_tile_metrics(prediction, target) -> dict:
    """AUROC and AUPRC of state 2 against state 0 (sklearn), with the counts they rest on."""
    scores, labels = removed_vs_closed(prediction, target)
    if labels.min() == labels.max():
        raise ValueError("the test cells have no removed tiles or no closed tiles: too few cells or tiles to score")
    return {"auroc": float(roc_auc_score(labels, scores)), "auprc": float(average_precision_score(labels, scores)),
            "removed_fraction": float(labels.mean()), "n_removed": int(labels.sum()), "n_closed": int((1 - labels).sum())}


class RemovedTileAUROC(torchmetrics.classification.BinaryAUROC):
    """Validation AUROC of state 2 vs 0 from (n, B, 3) logits and (n, B) states (exact: it keeps every score of
    the epoch; binned thresholds fall back to a dense bincount under deterministic CPU training)."""

    def __init__(self):
        super().__init__(thresholds=None)

    def update(self, preds: torch.Tensor, target: torch.Tensor) -> None:
        keep = (target == CLOSED) | (target == REMOVED)
        super().update(removed_score(preds)[keep], (target[keep] == REMOVED).long())
