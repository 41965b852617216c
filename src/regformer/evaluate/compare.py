"""Comparing models on the same test set: which way each metric points, and paired bootstrap differences.

The bench tables (bench/promoter_table.py, bench/hic_table.py) and every report's verdict box use these, so a
difference and its standard error are computed one way everywhere. Resampling is paired: each draw picks the same
test examples (sequences, windows) for both models, so what they share cancels out of the difference's spread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

HIGHER, LOWER = 1, -1

# Metrics by name: +1 when higher is better, -1 when lower is. A key not listed (and matched by no token below) is
# context (counts, seconds, fractions) and is never ranked or bolded.
METRIC_DIRECTIONS = {
    "pearson": HIGHER, "spearman": HIGHER, "r2": HIGHER, "auroc": HIGHER, "auprc": HIGHER, "ari": HIGHER,
    "nmi": HIGHER, "knn_accuracy": HIGHER, "knn_macro_f1": HIGHER, "accuracy": HIGHER, "window_pearson": HIGHER,
    "mse": LOWER, "mae": LOWER, "rmse": LOWER, "loss": LOWER, "nll": LOWER, "poisson_nll": LOWER,
    "depth_pc1_spearman": LOWER,
}
_HIGHER_TOKENS = ("pearson", "spearman", "r2", "auroc", "auprc", "accuracy", "f1")
_LOWER_TOKENS = ("mse", "mae", "nll", "loss", "error")
_CONTEXT_PREFIXES = ("n_", "num_", "paper_")


def direction(key: str) -> int | None:
    """+1 (higher is better), -1 (lower is better) or None (not a score: counts, seconds, fractions)."""
    key = key.lower()
    if key in METRIC_DIRECTIONS:
        return METRIC_DIRECTIONS[key]
    if key.startswith(_CONTEXT_PREFIXES) or key.endswith(("seconds", "fraction", "_std")):
        return None
    tokens = key.split("_")
    if any(token in _LOWER_TOKENS for token in tokens):
        return LOWER
    if any(token in _HIGHER_TOKENS for token in tokens):
        return HIGHER
    return None


def resample_indices(n: int, n_boot: int = 1000, seed: int = 0) -> np.ndarray:
    """(n_boot, n) indices of test examples drawn with replacement, one row per bootstrap resample."""
    if n < 2:
        raise ValueError(f"a bootstrap needs at least 2 test examples, got {n}")
    return np.random.default_rng(seed).integers(0, n, size=(n_boot, n))


def bootstrap_scores(score: Callable, predicted: np.ndarray, measured: np.ndarray, draws: np.ndarray) -> np.ndarray:
    """score(predicted[d], measured[d]) for each resample d: shape (n_boot,) or (n_boot, k) for k scores at once."""
    return np.array([score(predicted[d], measured[d]) for d in draws], dtype=np.float64)


@dataclass(frozen=True)
class Difference:
    """A model's score minus the baseline's on the full test set, with its paired bootstrap SE and the share of
    resamples in which the model did not beat the baseline (a one-sided bootstrap p-value). Arrays when the score
    function returns several scores at once."""

    value: float | np.ndarray
    se: float | np.ndarray
    share_not_better: float | np.ndarray


def _plain(values: np.ndarray) -> float | np.ndarray:
    return float(values) if np.ndim(values) == 0 else values


def paired_difference(score: Callable, predicted: np.ndarray, baseline: np.ndarray, measured: np.ndarray,
                      draws: np.ndarray, higher_is_better: bool = True,
                      baseline_boot: np.ndarray | None = None, model_boot: np.ndarray | None = None) -> Difference:
    """The model's minus the baseline's score, both on the same resampled examples (rows of `draws`).

    `baseline_boot` and `model_boot` (bootstrap_scores on the same draws, when already computed) save recomputing."""
    boot = bootstrap_scores(score, predicted, measured, draws) if model_boot is None else model_boot
    if baseline_boot is None:
        baseline_boot = bootstrap_scores(score, baseline, measured, draws)
    deltas = boot - baseline_boot
    value = np.asarray(score(predicted, measured), dtype=np.float64) - np.asarray(score(baseline, measured),
                                                                                   dtype=np.float64)
    better = deltas > 0 if higher_is_better else deltas < 0
    return Difference(_plain(value), _plain(np.nanstd(deltas, axis=0, ddof=1)), _plain(np.mean(~better, axis=0)))
