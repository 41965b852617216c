"""The posterior predictive of a sampling model over targets (latent draws + observation noise) and its calibration.

A model's latent draws give the spread of its *mean* map; a measured map also carries observation noise
(sequencing depth, smoothing). The predictive here is Gaussian with the draws' mean and the variance
latent_var + noise_var[group]: noise_var is fitted on the validation split only, per group of outputs (for Hi-C
one group per diagonal offset and map), as the mean squared validation residual beyond the latent variance,
shrunk towards the pooled value where a group has few values. Calibration is then scored on the test split:
coverage of central intervals at several levels, their mean width, and how well the predicted std ranks errors.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

COVERAGE_LEVELS = (0.5, 0.8, 0.9, 0.95)
RELIABILITY_LEVELS = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99)


def _flat_groups(groups: np.ndarray | None, shape: tuple[int, ...]) -> np.ndarray:
    """Group labels broadcast over (n, *shape[1:]) and flattened; None = one group."""
    if groups is None:
        return np.zeros(int(np.prod(shape)), dtype=np.int64)
    groups = np.asarray(groups)
    if groups.shape != tuple(shape[1:]):
        raise ValueError(f"groups {groups.shape} must have the shape of one target {tuple(shape[1:])}")
    return np.broadcast_to(groups, shape).ravel().astype(np.int64)


def fit_noise_variance(mean: np.ndarray, latent_var: np.ndarray, target: np.ndarray, groups: np.ndarray | None = None,
                       shrinkage: float = 100.0) -> np.ndarray:
    """Observation-noise variance per group label (indexable by label) from validation predictions.

    Per group: mean squared residual (target - mean) minus the mean latent variance, floored at 0; a group with
    n values is shrunk towards the pooled estimate with `shrinkage` pseudo-values. Non-finite targets are skipped.
    """
    mean, latent_var, target = (np.asarray(a, dtype=np.float64) for a in (mean, latent_var, target))
    if not (mean.shape == latent_var.shape == target.shape):
        raise ValueError(f"mean {mean.shape}, latent_var {latent_var.shape} and target {target.shape} must agree")
    labels = _flat_groups(groups, target.shape)
    excess = ((target - mean) ** 2 - latent_var).ravel()
    ok = np.isfinite(excess)
    if not ok.any():
        raise ValueError("no finite validation residuals to fit the observation noise from")
    labels, excess = labels[ok], excess[ok]
    size = 1 if groups is None else int(np.max(groups)) + 1
    count = np.bincount(labels, minlength=size).astype(np.float64)
    total = np.bincount(labels, weights=excess, minlength=size)
    pooled = float(excess.mean())
    return np.maximum((total + shrinkage * pooled) / (count + shrinkage), 0.0)


def predictive_std(latent_std: np.ndarray, noise_var: np.ndarray, groups: np.ndarray | None = None) -> np.ndarray:
    """Total predictive std: sqrt(latent variance + the fitted noise variance of each output's group)."""
    latent_std = np.asarray(latent_std, dtype=np.float64)
    labels = _flat_groups(groups, latent_std.shape).reshape(latent_std.shape)
    return np.sqrt(latent_std ** 2 + np.asarray(noise_var)[labels])


def coverage(mean: np.ndarray, std: np.ndarray, target: np.ndarray, levels=COVERAGE_LEVELS) -> dict:
    """Observed fraction of finite targets inside the central Gaussian interval mean +- z * std at each level,
    and each interval's mean width (2 z std). Keys are the levels as strings ("0.9")."""
    mean, std, target = (np.asarray(a, dtype=np.float64).ravel() for a in (mean, std, target))
    ok = np.isfinite(target) & np.isfinite(mean) & np.isfinite(std)
    z_abs = np.abs(target[ok] - mean[ok])
    std = std[ok]
    covered, width = {}, {}
    for level in levels:
        if not 0 < level < 1:
            raise ValueError(f"coverage levels must be in (0, 1), got {level}")
        z = float(stats.norm.ppf(0.5 + level / 2))
        covered[f"{level:g}"] = float(np.mean(z_abs <= z * std))
        width[f"{level:g}"] = float(np.mean(2 * z * std))
    return {"coverage": covered, "mean_width": width}


def std_error_correlation(mean: np.ndarray, std: np.ndarray, target: np.ndarray) -> dict:
    """Spearman and Pearson correlation between predicted std and absolute error (NaN if either is constant)."""
    err = np.abs(np.asarray(target, dtype=np.float64) - np.asarray(mean, dtype=np.float64)).ravel()
    std = np.asarray(std, dtype=np.float64).ravel()
    ok = np.isfinite(err) & np.isfinite(std)
    err, std = err[ok], std[ok]
    if err.size < 2 or np.ptp(err) == 0 or np.ptp(std) == 0:
        return {"std_error_spearman": float("nan"), "std_error_pearson": float("nan")}
    return {"std_error_spearman": float(stats.spearmanr(std, err).statistic),
            "std_error_pearson": float(stats.pearsonr(std, err).statistic)}


def predictive_calibration(mean: np.ndarray, std: np.ndarray, target: np.ndarray) -> dict:
    """Everything the report and metrics.json carry: coverage and mean width at COVERAGE_LEVELS, the reliability
    curve (nominal -> observed over RELIABILITY_LEVELS) and the std-vs-|error| correlations."""
    out = coverage(mean, std, target, COVERAGE_LEVELS)
    out["reliability"] = coverage(mean, std, target, RELIABILITY_LEVELS)["coverage"]
    out.update(std_error_correlation(mean, std, target))
    return out
