"""Metrics of predicted genomic tracks (n_windows, n_bins, n_tracks), as Genomic Interpreter reports them.

Per track: Pearson's r across all test bins of all test windows (the paper's measure), the same on log1p
values, MSE and Poisson NLL; then the mean per group (dnase, chip, cage, ...) and over all tracks.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy import stats


def _pearson(x: np.ndarray, y: np.ndarray) -> float:
    """scipy Pearson of two flat vectors; NaN when either side is constant."""
    if x.size < 2 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    return float(stats.pearsonr(x, y).statistic)


def poisson_nll(prediction: np.ndarray, target: np.ndarray) -> float:
    """Mean Poisson negative log-likelihood of rates `prediction` (torch's, without the Stirling term)."""
    return float(torch.nn.functional.poisson_nll_loss(torch.from_numpy(np.asarray(prediction, np.float64)),
                                                      torch.from_numpy(np.asarray(target, np.float64)),
                                                      log_input=False))


def track_scores(prediction: np.ndarray, target: np.ndarray) -> dict:
    """Scores of one track's flat predictions against its measured values."""
    p, t = np.asarray(prediction, np.float64).ravel(), np.asarray(target, np.float64).ravel()
    return {"pearson": _pearson(p, t), "pearson_log1p": _pearson(np.log1p(np.maximum(p, 0)), np.log1p(t)),
            "mse": float(np.mean((p - t) ** 2)), "poisson_nll": poisson_nll(np.maximum(p, 0), t)}


def _mean(rows: list[dict], key: str) -> float:
    values = [r[key] for r in rows if np.isfinite(r[key])]
    return float(np.mean(values)) if values else float("nan")


def track_metrics(prediction: np.ndarray, target: np.ndarray, tracks: list[str], groups: list[str]) -> dict:
    """Overall (mean over tracks), per group and per track scores; counts of windows and bins."""
    prediction, target = np.asarray(prediction), np.asarray(target)
    if prediction.shape != target.shape or prediction.ndim != 3 or prediction.shape[2] != len(tracks):
        raise ValueError(f"prediction {prediction.shape} and target {target.shape} must be (windows, bins, "
                         f"{len(tracks)} tracks)")
    per_track = {name: track_scores(prediction[..., k], target[..., k]) for k, name in enumerate(tracks)}
    keys = ("pearson", "pearson_log1p", "mse", "poisson_nll")
    per_group = {g: {k: _mean([per_track[t] for t, tg in zip(tracks, groups) if tg == g], k) for k in keys}
                 for g in dict.fromkeys(groups)}
    overall = {k: _mean(list(per_track.values()), k) for k in keys}
    return {**overall, "per_group": per_group, "per_track": per_track, "n_windows": int(prediction.shape[0]),
            "n_test": int(prediction.shape[0] * prediction.shape[1])}
