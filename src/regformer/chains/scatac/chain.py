"""The scATAC chain: cell sentences -> masked-tile recovery (atacFormer, open-frequency baseline)."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np

from regformer.chain_interface import Predictions
from regformer.chains.base import ChainBase
from regformer.chains.scatac.dataset import SentenceDataModule, load_ragged, sentence_budget
from regformer.chains.scatac.metrics import RemovedTileAUROC, masked_tile_metrics, removed_score
from regformer.chains.scatac.specs import CHAIN, MODELS
from regformer.evaluate.runner import write_prediction_file
from regformer.io.stores import store_summary
from regformer.models.scatac.atacformer import N_SPECIAL


def open_counts(store_path: str | Path, split: str = "train") -> tuple[np.ndarray, int]:
    """Cells of `split` in which each tile is open (sentence and overflow), and the number of cells."""
    summary = store_summary(store_path)
    first_tile = N_SPECIAL + len(summary["chroms"])
    counts = np.zeros(summary["n_tiles"], dtype=np.int64)
    with h5py.File(store_path, "r") as h5:
        rows = h5[f"index/{split}"][:]
        for tokens, overflow in zip(load_ragged(h5, "tokens", rows), load_ragged(h5, "overflow", rows)):
            counts[tokens[tokens >= first_tile] - first_tile] += 1
            counts[overflow] += 1
    return counts, len(rows)


class ScatacChain(ChainBase):
    """Cells are rows; a prediction is (B, 3) state logits per cell, scored on state 2 vs state 0."""

    name = CHAIN
    title = "scATAC models"
    models = MODELS
    baseline_model = "open_frequency"
    headline_metrics = ("auroc", "auprc")
    test_unit = "cells"
    report_libraries = ("snapatac2", "scanpy", "anndata")
    eval_batch_size = 16

    def arch_for_store(self, spec, arch: dict, user_config: dict, store_path) -> dict:
        """The store's tiles per chromosome (its vocabulary) replace the full-size default; its cell types set the
        supervised head's classes (none without labels: the head is off); budget_quantile sets the tiles per
        embedded view."""
        if "chrom_tiles" not in arch:
            return arch
        summary = store_summary(store_path)
        arch = self.with_store_geometry(spec, arch, user_config, summary, ("chrom_tiles",))
        quantile = user_config.get("budget_quantile", spec.training.get("budget_quantile", 0.0))
        return {**arch, "n_labels": len(summary.get("label_names", [])),
                "sentence_budget": sentence_budget(store_path, quantile)}

    def datamodule(self, store_path, training: dict, num_workers: int = 0) -> SentenceDataModule:
        return SentenceDataModule(store_path, batch_size=training["batch_size"],
                                  mask_ratio=training.get("mask_ratio", 0.15), num_workers=num_workers,
                                  seed=store_summary(store_path)["seed"],
                                  budget=sentence_budget(store_path, training.get("budget_quantile", 0.0)))

    def fit_closed_form(self, model, store_path, training: dict, seed: int) -> dict:
        counts, n_cells = open_counts(store_path, "train")
        model.fit(counts, n_cells)
        return {"n_train_cells": n_cells, "mean_open_frequency": float(model.frequency.mean())}

    def validation_metrics(self) -> dict:
        return {"val_auroc": RemovedTileAUROC()}

    def score(self, store_path, predictions: Predictions, settings: dict) -> dict:
        return {**masked_tile_metrics(predictions.prediction, predictions.target), "n_cells": int(len(predictions.rows))}

    def write_predictions(self, path, store_path, predictions: Predictions) -> None:
        """P(removed) per test cell and tile (float16) with the true states (int8), instead of all logits."""
        scores = removed_score(predictions.prediction).numpy()
        out = Predictions(rows=predictions.rows, prediction=scores, target=predictions.target)
        write_prediction_file(path, out, dtype=np.float16, datasets={"state": predictions.target.astype(np.int8)})

    def verdict_samples(self, dataset_dir: Path, models: dict[str, Path]):
        """Tile states per test cell (AUROC / AUPRC of removed against closed tiles, cells resampled)."""
        from regformer.report.verdict import state_samples

        return state_samples(models, self.test_unit)

    def write_report(self, out_html, dataset: str, model_dirs: dict[str, Path], inputs: dict) -> Path:
        from regformer.chains.scatac.report import write_scatac_report

        return write_scatac_report(out_html, dataset, model_dirs, inputs)
