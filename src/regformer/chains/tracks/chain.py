"""The genomic-tracks chain: DNA windows -> binned bigWig tracks (n_bins, n_tracks), Basenji / Enformer style.

The store (chains/tracks/targets) fixes the window geometry and the tracks, so a model config only sets widths
and the recipe; sequences are read from the genome FASTA the store names. Networks are trained with Poisson
NLL (the papers'); the k-mer ridge is fitted on log1p targets.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from regformer.chain_interface import Predictions
from regformer.chains.base import ChainBase
from regformer.chains.tracks.dataset import TrackDataModule, TrackWindows
from regformer.chains.tracks.metrics import track_metrics
from regformer.chains.tracks.report import verdict_samples, write_tracks_report
from regformer.chains.tracks.specs import CHAIN, MODELS
from regformer.evaluate.runner import write_window_predictions
from regformer.io.stores import store_summary
from regformer.models.registry import ModelSpec
from regformer.models.weights import arch_for_init

GEOMETRY = ("seq_length", "bin_size", "crop")


def read_windows(store_path, split: str, max_windows: int | None = None, seed: int = 0):
    """Codes (n, seq_length) and targets (n, n_bins, n_tracks) of one split in memory, at most max_windows
    (a seeded sample), for the closed-form baseline."""
    windows = TrackWindows(store_path, split)
    picked = np.arange(len(windows))
    if max_windows is not None and len(picked) > max_windows:
        picked = np.sort(np.random.default_rng(seed).choice(picked, max_windows, replace=False))
    items = [windows[int(i)] for i in picked]
    return np.stack([it["codes"].numpy() for it in items]), np.stack([it["y"].numpy() for it in items])


class TracksChain(ChainBase):
    """Binned coverage tracks per window, scored per track across all test bins."""

    name = CHAIN
    title = "genomic-track models"
    models = MODELS
    baseline_model = "kmer_ridge"
    headline_metrics = ("pearson", "pearson_log1p")
    test_unit = "windows"
    report_libraries = ("pyBigWig", "pyfaidx")
    eval_batch_size = 8
    strand_average = False  # a reverse-complemented window predicts the tracks in reverse bin order

    def arch_for_store(self, spec: ModelSpec, arch: dict, user_config: dict, store_path) -> dict:
        """The store's window geometry and track count (one output head of the dataset's tracks, so the paper's
        two-head Enformer becomes a one-head one); a model config that contradicts the store is an error."""
        summary = store_summary(store_path)
        arch = {**self.with_store_geometry(spec, arch, user_config, summary, GEOMETRY),
                "n_tracks": len(summary["tracks"])}
        if arch.get("output_heads"):  # a paper's multi-species heads (Enformer's human + mouse)
            arch["output_heads"] = None
        return arch_for_init(spec.name, arch, user_config)  # init: the released Enformer's layers

    def datamodule(self, store_path, training: dict, num_workers: int = 0) -> TrackDataModule:
        return TrackDataModule(store_path, batch_size=training["batch_size"], num_workers=num_workers,
                               shift_max=training.get("shift_augment", 0), rc_augment=training.get("rc_augment", False))

    def fit_closed_form(self, model, store_path, training: dict, seed: int) -> dict:
        """The k-mer ridge: train windows (at most max_train_windows, sampled with `seed`), alpha chosen on val."""
        codes, y = read_windows(store_path, "train", training["max_train_windows"], seed)
        val_codes, val_y = read_windows(store_path, "val", training["max_train_windows"], seed)
        model.fit(codes, y, val_codes, val_y)
        return {"alpha": model.alpha, "n_train_windows": int(len(codes))}

    def score(self, store_path, predictions: Predictions, settings: dict) -> dict:
        summary = store_summary(store_path)
        return track_metrics(predictions.prediction, predictions.target, summary["tracks"], summary["groups"])

    def write_predictions(self, path, store_path, predictions: Predictions) -> None:
        write_window_predictions(path, store_path, predictions)

    def verdict_samples(self, dataset_dir: Path, models: dict[str, Path]):
        """The window bootstrap's samples, read against the dataset's store (None before it is built)."""
        store = Path(dataset_dir) / "targets.h5"
        return verdict_samples(store, models) if store.is_file() else None

    def write_report(self, out_html, dataset: str, model_dirs: dict[str, Path], inputs: dict) -> Path:
        return write_tracks_report(out_html, dataset, inputs["store"], model_dirs, ceiling_path=inputs.get("ceiling"))
