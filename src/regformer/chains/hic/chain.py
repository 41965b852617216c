"""The Hi-C / Micro-C chain: DNA windows -> Akita targets (upper triangles of log(obs/exp) maps, one per map).

The store (chains/hic/targets) fixes the window geometry and the maps, so a model config only sets widths and
the recipe; sequences are read from the genome FASTA the store names.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from regformer.chain_interface import Predictions
from regformer.chains.base import ChainBase
from regformer.chains.hic.dataset import HicDataModule, train_targets
from regformer.chains.hic.evaluation import write_map_predictions
from regformer.chains.hic.metrics import contact_map_metrics
from regformer.chains.hic.report import verdict_samples, write_hic_report
from regformer.chains.hic.specs import CHAIN, MODELS
from regformer.data.contact_maps import triu_indices
from regformer.io.stores import store_summary
from regformer.models.registry import ModelSpec

GEOMETRY = ("seq_length", "bin_size", "crop", "diagonal_offset")


class HicChain(ChainBase):
    """Contact maps per window; evaluated window by window without test-time augmentation."""

    name = CHAIN
    title = "Hi-C / Micro-C models"
    models = MODELS
    baseline_model = "distance_baseline"
    headline_metrics = ("pearson", "window_pearson")
    test_unit = "windows"
    report_libraries = ("cooler", "cooltools", "pyfaidx")
    eval_batch_size = 1
    strand_average = False  # a reverse-complemented window predicts the map flipped on both axes

    def arch_for_store(self, spec: ModelSpec, arch: dict, user_config: dict, store_path) -> dict:
        """The store's window geometry and map count; a model config that contradicts the store is an error."""
        summary = store_summary(store_path)
        arch = self.with_store_geometry(spec, arch, user_config, summary, GEOMETRY)
        return {**arch, "n_maps": len(summary["maps"])}

    def datamodule(self, store_path, training: dict, num_workers: int = 0) -> HicDataModule:
        return HicDataModule(store_path, batch_size=training["batch_size"], num_workers=num_workers,
                             shift_max=training.get("shift_augment", 0), rc_augment=training.get("rc_augment", False))

    def fit_closed_form(self, model, store_path, training: dict, seed: int) -> dict:
        """The distance baseline: mean training target per diagonal offset and map."""
        model.fit(train_targets(store_path))
        return {"fitted_values": model.n_parameters}

    def score(self, store_path, predictions: Predictions, settings: dict) -> dict:
        summary = store_summary(store_path)
        return contact_map_metrics(predictions.prediction, predictions.target, summary["maps"],
                                   n_bins=summary["n_bins"], diagonal_offset=summary["diagonal_offset"],
                                   insulation_window=settings.get("insulation_window", 10))

    def noise_groups(self, store_path) -> np.ndarray:
        """One observation-noise group per diagonal offset and map (n_pixels, n_maps): the measured maps' noise
        grows away from the diagonal, where fewer contacts are read (regformer.evaluate.calibration)."""
        summary = store_summary(store_path)
        rows, cols = triu_indices(summary["n_bins"], summary["diagonal_offset"])
        n_maps = len(summary["maps"])
        return (cols - rows)[:, None] * n_maps + np.arange(n_maps)[None, :]

    def write_predictions(self, path, store_path, predictions: Predictions) -> None:
        write_map_predictions(path, store_path, predictions)

    def verdict_samples(self, dataset_dir: Path, models: dict[str, Path]):
        """The window bootstrap's samples, read against the dataset's store (None before it is built)."""
        store = Path(dataset_dir) / "targets.h5"
        return verdict_samples(store, models) if store.is_file() else None

    def write_report(self, out_html, dataset: str, model_dirs: dict[str, Path], inputs: dict) -> Path:
        return write_hic_report(out_html, dataset, inputs["store"], model_dirs, ceiling_path=inputs.get("ceiling"))
