"""Evaluate a Hi-C model on the test windows: metrics.json, predictions.h5 and one stitched .cool per map.

Predictions are made window by window without augmentation; for the VAE they are the mean of
`n_samples` decoded latents (the paper's 20), with the spread and the 90% interval scored as well.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import cooler
import h5py
import numpy as np
import torch

from regformer.data.hic_dataset import HicWindows
from regformer.data.encoding import one_hot
from regformer.evaluate.hic_metrics import contact_map_metrics, uncertainty_metrics
from regformer.evaluate.hic_stitch import stitch_to_cool
from regformer.io.atomic import atomic_path
from regformer.io.stores import store_summary
from regformer.models.akita_vae import AkitaVAE, reparameterize
from regformer.models.blocks import model_size
from regformer.models.saved import load_trained
from regformer.train.module import prediction_of

log = logging.getLogger(__name__)


def test_regions(store_path: str | Path, split: str = "test") -> tuple[np.ndarray, list[tuple[str, int, int]]]:
    """Store rows and cooler-named regions of one split."""
    with h5py.File(store_path, "r") as h5:
        rows = np.flatnonzero(h5["regions/split"][:].astype(str) == split)
        chroms = h5["regions/chrom"][:].astype(str)[rows]
        starts, ends = h5["regions/start"][:][rows], h5["regions/end"][:][rows]
    return rows, [(c, int(s), int(e)) for c, s, e in zip(chroms, starts, ends)]


@torch.inference_mode()
def predict_windows(model: torch.nn.Module, dataset: HicWindows, *, n_samples: int = 20, level: float = 0.9,
                    device: str = "cpu"):
    """Yield (prediction, target, std or None, uncertainty metrics or None) per test window."""
    model = model.to(device).eval()
    for i in range(len(dataset)):
        item = dataset[i]
        x = one_hot(item["codes"][None].to(device))
        target = item["y"].numpy()
        if isinstance(model, AkitaVAE):
            mu, logvar = model.posterior(x)
            samples = torch.stack([model.decode(reparameterize(mu, logvar)) for _ in range(n_samples)])
            samples = samples[:, 0].float().cpu().numpy()
            scores = uncertainty_metrics(samples[:, None], target[None], level=level)
            yield samples.mean(0), target, samples.std(0, ddof=1), scores
        else:
            yield prediction_of(model(x))[0].float().cpu().numpy(), target, None, None


def json_ready(value):
    """NaN / inf (e.g. the Pearson of a constant prediction) -> None, so metrics.json is strict JSON."""
    if isinstance(value, dict):
        return {k: json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def _average_scores(scores: list[dict]) -> dict:
    """Per-window uncertainty scores -> means over windows (every window has the same number of pixels)."""
    keys = [k for k in scores[0] if k not in ("n_samples", "level")]
    return {**{k: float(np.mean([s[k] for s in scores])) for k in keys},
            "n_samples": scores[0]["n_samples"], "level": scores[0]["level"]}


def evaluate_hic_model(store_path: str | Path, model_path: str | Path, out_metrics: str | Path,
                       out_predictions: str | Path, *, n_samples: int = 20, interval: float = 0.9,
                       insulation_window: int = 10) -> dict:
    """Score the test windows; write metrics.json and the predictions (and the VAE's spread) as HDF5."""
    saved, model = load_trained(model_path)
    summary = store_summary(store_path)
    maps = summary["maps"]
    rows, regions = test_regions(store_path)
    dataset = HicWindows(store_path, "test")
    device = "cuda" if torch.cuda.is_available() else "cpu"
    shape = (len(rows), summary["n_pixels"], len(maps))
    preds, targets = np.empty(shape, np.float32), np.empty(shape, np.float32)
    stds, scores = None, []
    for i, (pred, target, std, score) in enumerate(predict_windows(model, dataset, n_samples=n_samples,
                                                                   level=interval, device=device)):
        preds[i], targets[i] = pred, target
        if std is not None:
            stds = np.empty(shape, np.float32) if stds is None else stds
            stds[i] = std
            scores.append(score)
    metrics = contact_map_metrics(preds, targets, maps, n_bins=summary["n_bins"],
                                  diagonal_offset=summary["diagonal_offset"], insulation_window=insulation_window)
    metrics.update(model=saved["name"], n_parameters=model_size(model), training=saved["summary"])
    if scores:
        metrics["uncertainty"] = _average_scores(scores)
    _write_predictions(out_predictions, preds, stds, rows, regions, maps)
    write_metrics(out_metrics, metrics)
    log.info("%s: mse %.4f pearson %.4f spearman %.4f", saved["name"], metrics["mse"], metrics["pearson"],
             metrics["spearman"])
    return metrics


def write_metrics(path, metrics: dict) -> None:
    """metrics.json, atomically and as strict JSON (NaN -> null)."""
    with atomic_path(path) as tmp:
        Path(tmp).write_text(json.dumps(json_ready(metrics), indent=2, allow_nan=False))


def _write_predictions(path, preds, stds, rows, regions, maps) -> None:
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as h5:
        h5.create_dataset("prediction", data=preds.astype(np.float16), chunks=(1, *preds.shape[1:]))
        if stds is not None:
            h5.create_dataset("std", data=stds.astype(np.float16), chunks=(1, *stds.shape[1:]))
        h5.create_dataset("rows", data=rows)
        h5.create_dataset("regions/chrom", data=np.array([r[0] for r in regions], dtype="S"))
        h5.create_dataset("regions/start", data=np.array([r[1] for r in regions]))
        h5.create_dataset("regions/end", data=np.array([r[2] for r in regions]))
        h5.attrs["maps"] = json.dumps(maps)


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
    rows, _ = test_regions(store_path)
    with h5py.File(store_path, "r") as h5, h5py.File(noise_free_store, "r") as free:
        targets = h5["targets"][rows].astype(np.float32)
        ideal = free["targets"][rows].astype(np.float32)
    metrics = contact_map_metrics(ideal, targets, summary["maps"], n_bins=summary["n_bins"],
                                  diagonal_offset=summary["diagonal_offset"], insulation_window=insulation_window)
    metrics["model"] = "noise_ceiling"
    write_metrics(out_metrics, metrics)
    return metrics
