"""Calibration of sampled predictions (a model's predict_with_uncertainty) against the measured targets."""

from __future__ import annotations

import numpy as np


def uncertainty_metrics(samples: np.ndarray, target: np.ndarray, level: float = 0.9) -> dict:
    """Calibration of sampled maps (n_samples, n_windows, n_pixels, n_maps) against the target.

    mse_one_sample uses the first sample, mse_mean the sample mean; interval_coverage is the fraction of targets
    inside the central `level` interval of the per-contact sample quantiles, interval_width its mean width.
    Processed one window at a time, so `samples` may also be an h5py dataset.
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    n_samples, n_windows = samples.shape[:2]
    if tuple(samples.shape[1:]) != tuple(np.shape(target)) or n_samples < 2:
        raise ValueError(f"samples {samples.shape} must be (n_samples >= 2, *target.shape {np.shape(target)})")
    q = [(1 - level) / 2, (1 + level) / 2]
    se_one = se_mean = covered = width = 0.0
    for w in range(n_windows):
        s = np.asarray(samples[:, w], dtype=np.float64)
        t = np.asarray(target[w], dtype=np.float64)
        lo, hi = np.quantile(s, q, axis=0)
        se_one += float(np.sum((s[0] - t) ** 2))
        se_mean += float(np.sum((s.mean(axis=0) - t) ** 2))
        covered += float(np.count_nonzero((t >= lo) & (t <= hi)))
        width += float(np.sum(hi - lo))
    n = float(np.prod(np.shape(target)))
    return {"mse_one_sample": se_one / n, "mse_mean": se_mean / n, "interval_coverage": covered / n,
            "interval_width": width / n, "n_samples": int(n_samples), "level": float(level)}


def average_scores(scores: list[dict], weights: list[int]) -> dict:
    """Per-batch calibration scores -> their mean over batches weighted by batch size (= over sequences)."""
    keys = [k for k in scores[0] if k not in ("n_samples", "level")]
    return {**{k: float(np.average([s[k] for s in scores], weights=weights)) for k in keys},
            "n_samples": scores[0]["n_samples"], "level": scores[0]["level"]}
