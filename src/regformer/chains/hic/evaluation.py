"""The Hi-C chain's own evaluation outputs: predictions.h5 with window coordinates, one stitched .cool per map,
and the demo's noise ceiling. The prediction loop itself is the shared one (regformer.evaluate.runner)."""

from __future__ import annotations

import json
from pathlib import Path

import cooler
import h5py
import numpy as np

from regformer.chain_interface import Predictions
from regformer.chains.hic.metrics import contact_map_metrics
from regformer.chains.hic.stitch import stitch_to_cool
from regformer.data.splits import split_rows
from regformer.evaluate.runner import write_prediction_file
from regformer.io.stores import store_summary, write_metrics


def window_regions(store_path: str | Path, rows: np.ndarray) -> list[tuple[str, int, int]]:
    """Cooler-named (chrom, start, end) of the given store rows."""
    with h5py.File(store_path, "r") as h5:
        chroms = h5["regions/chrom"][:].astype(str)[rows]
        starts, ends = h5["regions/start"][:][rows], h5["regions/end"][:][rows]
    return [(c, int(s), int(e)) for c, s, e in zip(chroms, starts, ends)]


def write_map_predictions(path: str | Path, store_path: str | Path, predictions: Predictions) -> None:
    """predictions.h5 in float16, one window per chunk, with the windows' coordinates and map names."""
    regions = window_regions(store_path, predictions.rows)
    datasets = {"regions/chrom": np.array([r[0] for r in regions], dtype="S"),
                "regions/start": np.array([r[1] for r in regions]), "regions/end": np.array([r[2] for r in regions])}
    write_prediction_file(path, predictions, dtype=np.float16, datasets=datasets,
                          attrs={"maps": json.dumps(store_summary(store_path)["maps"])})


def stitch_predictions(store_path: str | Path, predictions_path: str | Path, map_name: str, out_cool: str | Path) -> dict:
    """One map's test predictions as a .cool on the measured map's bins (mean where windows overlap)."""
    summary = store_summary(store_path)
    if map_name not in summary["maps"]:
        raise ValueError(f"{store_path}: no map {map_name!r} (have {summary['maps']})")
    m = summary["maps"].index(map_name)
    with h5py.File(predictions_path, "r") as h5:
        values = h5["prediction"][:, :, m].astype(np.float32)
        regions = [(c, int(s), int(e)) for c, s, e in zip(h5["regions/chrom"][:].astype(str), h5["regions/start"][:],
                                                          h5["regions/end"][:])]
    chromsizes = cooler.Cooler(summary["coolers"][m]).chromsizes.to_dict()
    return stitch_to_cool(values, regions, chromsizes, out_cool, bin_size=summary["bin_size"], crop=summary["crop"],
                          diagonal_offset=summary["diagonal_offset"])


def evaluate_noise_ceiling(store_path: str | Path, noise_free_store: str | Path, out_metrics: str | Path, *,
                           insulation_window: int = 10) -> dict:
    """Metrics of the noise-free demo targets as if they were a model's prediction: the best any model can do."""
    summary = store_summary(store_path)
    rows = split_rows(store_path, "test")
    with h5py.File(store_path, "r") as h5, h5py.File(noise_free_store, "r") as free:
        targets = h5["targets"][rows].astype(np.float32)
        ideal = free["targets"][rows].astype(np.float32)
    metrics = contact_map_metrics(ideal, targets, summary["maps"], n_bins=summary["n_bins"],
                                  diagonal_offset=summary["diagonal_offset"], insulation_window=insulation_window)
    metrics["model"] = "noise_ceiling"
    write_metrics(out_metrics, metrics)
    return metrics
