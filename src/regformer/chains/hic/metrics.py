"""Metrics for predicted Hi-C contact maps (Akita upper-triangle vectors of log(obs/exp)).

Pooled, per-window, per-map, insulation and distance-stratified agreement (scipy statistics, cooltools'
diamond insulation). Arrays are (n_windows, n_pixels, n_maps), pixels in np.triu_indices(n_bins,
diagonal_offset) order (regformer.data.contact_maps), as written by regformer.chains.hic.targets.
"""

from __future__ import annotations

import warnings

import numpy as np
from cooltools.api.insulation import _insul_diamond_dense
from scipy import stats

from regformer.data.contact_maps import distance_bands, triu_indices, triu_to_matrix
from regformer.evaluate.metrics import regression_metrics


def insulation(mat: np.ndarray, window: int, diagonal_offset: int) -> np.ndarray:
    """Diamond insulation per bin: mean of the window x window diamond (rows i-window+1..i, cols i..i+window-1).

    Uses cooltools' dense-matrix diamond (`cooltools.api.insulation._insul_diamond_dense`, the routine behind its
    in-memory path) with a plain NaN-mean and no median normalisation: the maps are log(obs/exp), so a mean is
    right, not a log of summed counts. The public `insul_diamond` does not apply: it reads a cooler's pixel table
    and balances counts with a weight column. Bins whose diamond runs off the map are NaN.
    """
    n = mat.shape[0]
    with warnings.catch_warnings():  # all-NaN diamonds (short windows) are expected
        warnings.simplefilter("ignore", RuntimeWarning)
        score = _insul_diamond_dense(mat, window=window, ignore_diags=diagonal_offset, norm_by_median=False)
    score[: window - 1] = np.nan
    score[max(n - window + 1, 0):] = np.nan
    return score



def pearson(x: np.ndarray, y: np.ndarray) -> float:
    """scipy Pearson of two flat vectors over their finite pairs; NaN when either side is constant or empty."""
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if x.size < 2 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    return float(stats.pearsonr(x, y).statistic)


def window_pearson_mean(pred: np.ndarray, target: np.ndarray) -> float:
    """Mean over windows of the Pearson within each window (rows of (n_windows, n) arrays); constant rows skipped."""
    pred = pred.reshape(pred.shape[0], -1)
    target = target.reshape(target.shape[0], -1)
    ok = (np.ptp(pred, axis=1) > 0) & (np.ptp(target, axis=1) > 0)
    if not ok.any():
        return float("nan")
    return float(np.mean(stats.pearsonr(target[ok], pred[ok], axis=1).statistic))


def _summary(pred: np.ndarray, target: np.ndarray) -> dict:
    """Pooled MSE, Pearson, Spearman (shared regression_metrics) and the mean per-window Pearson."""
    reg = regression_metrics(target, pred)
    return {"mse": reg["mse"], "pearson": reg["pearson"], "spearman": reg["spearman"],
            "window_pearson": window_pearson_mean(pred, target)}


def contact_map_metrics(pred: np.ndarray, target: np.ndarray, map_names: list[str], *, n_bins: int,
                        diagonal_offset: int, insulation_window: int = 10) -> dict:
    """Agreement of predicted and measured maps on the test windows, as JSON-ready floats.

    Pooled over maps, windows and pixels: mse, pearson, spearman; window_pearson is the mean per-window Pearson.
    per_map adds insulation_pearson (diamond insulation of every bin of every window, predicted vs measured) and
    distance_pearson (Pearson within bands of diagonal offset, labelled "lo-hi" in bins).
    """
    pred = np.asarray(pred, dtype=np.float64)
    target = np.asarray(target, dtype=np.float64)
    rows, cols = triu_indices(n_bins, diagonal_offset)
    if pred.shape != target.shape or pred.ndim != 3:
        raise ValueError(f"pred {pred.shape} and target {target.shape} must be equal (n_windows, n_pixels, n_maps)")
    if pred.shape[1] != rows.size or pred.shape[2] != len(map_names):
        raise ValueError(f"shape {pred.shape} does not fit {n_bins} bins from diagonal {diagonal_offset}"
                         f" ({rows.size} pixels) and {len(map_names)} maps")
    out = {**_summary(pred, target), "per_map": {}, "n_windows": int(pred.shape[0])}
    offsets = cols - rows
    bands = distance_bands(n_bins, diagonal_offset)

    def profiles(windows: np.ndarray) -> np.ndarray:
        """The insulation profiles of all windows of one map, end to end."""
        return np.concatenate([insulation(triu_to_matrix(v, n_bins, diagonal_offset), insulation_window,
                                          diagonal_offset) for v in windows])

    for m, name in enumerate(map_names):
        p, t = pred[:, :, m], target[:, :, m]
        by_distance = {}
        for lo, hi in bands:
            band = (offsets >= lo) & (offsets <= hi)
            by_distance[f"{lo}-{hi}"] = pearson(p[:, band].ravel(), t[:, band].ravel())
        out["per_map"][name] = {**_summary(p, t), "insulation_pearson": pearson(profiles(p), profiles(t)),
                                "distance_pearson": by_distance}
    return out
