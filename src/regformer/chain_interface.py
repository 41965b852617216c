"""The Chain interface: what a data family (promoters, Hi-C, tracks, scATAC) gives the shared stages.

Training (regformer.train.runner), evaluation (regformer.evaluate.runner) and the report scaffold
(regformer.report.html) work for any object with these members; each chain implements them in its package
regformer/chains/<chain>/ (most by inheriting regformer.chains.base.ChainBase's defaults).

The contract every chain keeps:
- a prepared store is HDF5 with its JSON summary in attrs["summary"] and row ids under index/{train,val,test};
- a torch model takes one-hot DNA (batch, 4, length) and returns a tensor, or a dict with "prediction";
- per model, results/<chain>/<dataset>/<model>/ holds model.pt, metrics.json (strict JSON),
  predictions.h5 (prediction, rows, [std], [measured]) and train/metrics.csv.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np


@dataclass
class Predictions:
    """One split's predictions in store row order (what evaluation hands to the chain)."""

    rows: np.ndarray            # store row ids
    prediction: np.ndarray      # (n, ...) float32
    target: np.ndarray          # (n, ...) float32, the same shape
    std: np.ndarray | None = None     # posterior predictive std (models with predict_with_uncertainty)
    uncertainty: dict | None = None   # calibration of those samples (regformer.evaluate.uncertainty)


class Chain(Protocol):
    """A data family: its models, how to read its store, how to score and report its predictions."""

    name: str                   # "promoter", "hic": the results/<chain>/ folder and the CLI choice
    title: str                  # what the report's title calls its models
    models: Mapping[str, Any]   # model name -> regformer.models.registry.ModelSpec
    eval_batch_size: int        # sequences per forward pass at evaluation
    strand_average: bool        # evaluate on the mean of the forward and reverse-complement predictions

    def arch_for_store(self, spec, arch: dict, user_config: dict, store_path: str | Path) -> dict:
        """The architecture with what the store decides (e.g. window geometry) filled in."""

    def datamodule(self, store_path: str | Path, training: dict, num_workers: int = 0):
        """A LightningDataModule over the store: train/val/test loaders of {"x", "y"} batches after transfer;
        its datasets expose `rows` (store row ids) and it offers target_scale() -> (mean, std) of train targets."""

    def fit_closed_form(self, model, store_path: str | Path, training: dict, seed: int) -> dict:
        """Fit a closed-form model (kind CLOSED_FORM) from the store; return its training summary."""

    def validation_metrics(self) -> dict:
        """Fresh torchmetrics, name -> metric, updated with (prediction, target) per validation batch."""

    def score(self, store_path: str | Path, predictions: Predictions, settings: dict) -> dict:
        """Test metrics (a JSON-ready dict) of one model's predictions."""

    def noise_groups(self, store_path: str | Path):
        """Labels (one target's shape) of outputs sharing a validation-fitted observation-noise scale, or None."""

    def write_predictions(self, path: str | Path, store_path: str | Path, predictions: Predictions) -> None:
        """predictions.h5 (atomically)."""

    def verdict_samples(self, dataset_dir: Path, models: dict[str, Path]):
        """What the verdict's bootstrap resamples for a results folder (report.verdict.Samples), or None."""

    def write_report(self, out_html: str | Path, dataset: str, model_dirs: dict[str, Path], inputs: dict) -> Path:
        """The dataset's HTML report from its models' folders and the chain's extra report inputs."""
