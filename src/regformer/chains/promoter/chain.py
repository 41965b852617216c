"""The random-promoter chain: sequence -> expression, on a prepared store of uint8 codes (chains/promoter/prepare)."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np

from regformer.chain_interface import Predictions
from regformer.chains.base import ChainBase
from regformer.chains.promoter.dataset import PromoterDataModule
from regformer.chains.promoter.dream import dream_scores, read_dream_subsets
from regformer.chains.promoter.report import write_promoter_report
from regformer.chains.promoter.specs import CHAIN, MODELS
from regformer.evaluate.metrics import regression_metrics
from regformer.evaluate.runner import write_prediction_file


def read_split(store_path: str | Path, split: str, max_rows: int | None = None, seed: int = 0):
    """Codes and expression of one split in memory (for the closed-form baseline)."""
    with h5py.File(store_path, "r") as h5:
        rows = h5[f"index/{split}"][:]
        if max_rows is not None and len(rows) > max_rows:
            rows = np.sort(np.random.default_rng(seed).choice(rows, max_rows, replace=False))
        return h5["codes"][rows], h5["expression"][rows]


class PromoterChain(ChainBase):
    """Scalar expression per sequence; networks are scored on the mean of both strands."""

    name = CHAIN
    title = "random-promoter models"
    models = MODELS
    baseline_model = "kmer_ridge"
    headline_metrics = ("pearson", "spearman")
    test_unit = "sequences"
    report_libraries = ("scipy",)
    eval_batch_size = 1024
    strand_average = True

    def datamodule(self, store_path, training: dict, num_workers: int = 0) -> PromoterDataModule:
        return PromoterDataModule(store_path, batch_size=training["batch_size"], num_workers=num_workers,
                                  rc_augment=training.get("rc_augment", False))

    def fit_closed_form(self, model, store_path, training: dict, seed: int) -> dict:
        """The ridge: train split (at most max_train_sequences, sampled with `seed`), penalty chosen on val."""
        codes, y = read_split(store_path, "train", training["max_train_sequences"], seed)
        val_codes, val_y = read_split(store_path, "val")
        model.fit(codes, y, val_codes, val_y)
        return {"alpha": model.alpha, "n_train_used": int(len(y))}

    def score(self, store_path, predictions: Predictions, settings: dict) -> dict:
        """Regression metrics; with the dataset's dream_subsets annotation, also the DREAM 2022 challenge scores."""
        metrics = regression_metrics(predictions.target, predictions.prediction)
        if settings.get("dream_subsets"):
            with h5py.File(store_path, "r") as h5:
                lines = h5["line"][:][predictions.rows]
            subsets = read_dream_subsets(settings["dream_subsets"], lines)
            metrics.update(dream_scores(predictions.prediction, predictions.target, subsets))
        return metrics

    def write_predictions(self, path, store_path, predictions: Predictions) -> None:
        """prediction and measured per test sequence, its line in the raw file, and the noise-free value
        where the library is synthetic."""
        with h5py.File(store_path, "r") as h5:
            extra = {"line": h5["line"][predictions.rows]}
            if "noise_free" in h5:
                extra["noise_free"] = h5["noise_free"][predictions.rows]
        write_prediction_file(path, predictions, measured=True, datasets=extra)

    def write_report(self, out_html, dataset: str, model_dirs: dict[str, Path], inputs: dict) -> Path:
        return write_promoter_report(out_html, dataset, inputs["summary"], model_dirs)
