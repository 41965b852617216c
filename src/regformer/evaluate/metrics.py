"""Regression metrics shared by every chain (scipy / scikit-learn implementations)."""

from __future__ import annotations

import numpy as np
from scipy import stats
from sklearn.metrics import mean_squared_error, r2_score


def regression_metrics(measured: np.ndarray, predicted: np.ndarray) -> dict:
    """Pearson, Spearman, R^2 and MSE of predictions against measurements, plus the count."""
    measured = np.asarray(measured, dtype=np.float64).ravel()
    predicted = np.asarray(predicted, dtype=np.float64).ravel()
    if measured.shape != predicted.shape or measured.size < 2:
        raise ValueError(f"need two equal-length vectors of >= 2 values, got {measured.shape} and {predicted.shape}")
    constant = np.ptp(predicted) == 0 or np.ptp(measured) == 0
    return {
        "pearson": float("nan") if constant else float(stats.pearsonr(measured, predicted).statistic),
        "spearman": float("nan") if constant else float(stats.spearmanr(measured, predicted).statistic),
        "r2": float(r2_score(measured, predicted)),
        "mse": float(mean_squared_error(measured, predicted)),
        "n_test": int(measured.size),
    }
