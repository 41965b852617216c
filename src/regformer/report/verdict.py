"""The verdict box that opens every report: the best model per headline metric, its difference from the chain's
classical baseline with a paired bootstrap SE, and its share of the noise ceiling where one is known.

The SE needs each model's test predictions and the measured values (`Samples`); without them the box still gives
the difference and says that no SE was computed. Values in the box are metrics.json's; the bootstrap only gives
the spread of the difference (regformer.evaluate.compare, the same code as the bench tables).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape

from pathlib import Path

import h5py
import numpy as np
from scipy import stats

from regformer.evaluate.compare import HIGHER, bootstrap_scores, direction, paired_difference, resample_indices

MAX_STATE_VALUES = 5_000_000  # larger state predictions (cells x tiles) are not bootstrapped in a report
REPORT_BOOTSTRAP = 200  # resamples: enough for a 2-digit SE, cheap enough for a report of large maps
CSS = """.verdict { border: 2px solid #2b6cb0; background: #f3f8fd; padding: 0.6em 1em; margin: 1em 0; }
.verdict h2 { margin: 0.2em 0 0.4em; font-size: 1.2em; } .verdict ul { margin: 0.3em 0; padding-left: 1.2em; }"""


def pooled_pearson(predicted: np.ndarray, measured: np.ndarray) -> float:
    """Pearson over every finite pair of the flattened arrays; NaN when either side is constant."""
    x, y = np.ravel(predicted).astype(np.float64), np.ravel(measured).astype(np.float64)
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 2 or np.ptp(x[ok]) == 0 or np.ptp(y[ok]) == 0:
        return float("nan")
    return float(np.corrcoef(x[ok], y[ok])[0, 1])


def pooled_spearman(predicted: np.ndarray, measured: np.ndarray) -> float:
    return float(stats.spearmanr(np.ravel(predicted), np.ravel(measured), nan_policy="omit").statistic)


@dataclass
class Samples:
    """What a bootstrap of the headline metrics needs: per model, its test predictions and the measured values
    (first axis = the resampled unit: sequences, windows), the name of that unit, and a score function per
    metric that recomputes it the way metrics.json does."""

    pairs: dict[str, tuple[np.ndarray, np.ndarray]]
    unit: str
    scores: dict[str, Callable] = field(default_factory=lambda: {"pearson": pooled_pearson,
                                                                 "spearman": pooled_spearman})


def scalar_samples(models: dict[str, Path], unit: str) -> Samples | None:
    """Samples of chains with one scalar per test example: predictions.h5's 1-D `prediction` and `measured`."""
    pairs = {}
    for name, directory in models.items():
        path = Path(directory) / "predictions.h5"
        if path.is_file():
            with h5py.File(path, "r") as h5:
                if "measured" in h5 and h5["prediction"].ndim == 1:
                    pairs[name] = (h5["prediction"][()].astype(np.float64), h5["measured"][()].astype(np.float64))
    return Samples(pairs, unit) if pairs else None


def _removed_vs_closed(score_fn: Callable) -> Callable:
    """A score of state 2 (removed) against state 0 (closed) from (cells, tiles) scores and states."""
    def score(predicted: np.ndarray, state: np.ndarray) -> float:
        keep = (state == 0) | (state == 2)
        labels = state[keep] == 2
        return float(score_fn(labels, predicted[keep])) if 0 < labels.sum() < labels.size else float("nan")
    return score


def state_samples(models: dict[str, Path], unit: str) -> Samples | None:
    """Samples of chains scored on tile states (scATAC: predictions.h5's `prediction` and `state`, one row per
    test cell): AUROC and AUPRC of removed against closed tiles, cells resampled. None when too large."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    pairs = {}
    for name, directory in models.items():
        path = Path(directory) / "predictions.h5"
        if not path.is_file() or not h5py.is_hdf5(path):  # the SE is optional: no verdict failure over it
            continue
        with h5py.File(path, "r") as h5:
            if "state" in h5 and "prediction" in h5 and h5["state"].shape == h5["prediction"].shape \
                    and h5["state"].ndim == 2 and h5["state"].size <= MAX_STATE_VALUES:
                pairs[name] = (h5["prediction"][()].astype(np.float32), h5["state"][()])
    scores = {"auroc": _removed_vs_closed(roc_auc_score), "auprc": _removed_vs_closed(average_precision_score)}
    return Samples(pairs, unit, scores) if pairs else None


def window_samples(store_path: Path, models: dict[str, Path], scores: dict[str, Callable]) -> Samples | None:
    """Samples of chains whose predictions.h5 holds `prediction` and store `rows` of windows (Hi-C, tracks): the
    measured targets are read from the store's `targets` at those rows. None when no model wrote predictions."""
    pairs, rows = {}, None
    for name, directory in models.items():
        path = Path(directory) / "predictions.h5"
        if path.is_file():
            with h5py.File(path, "r") as h5:
                if "prediction" in h5 and "rows" in h5:
                    pairs[name], rows = h5["prediction"][()].astype(np.float32), h5["rows"][()]
    if rows is None or len(rows) < 2:
        return None
    order = np.argsort(rows)  # h5py reads rows in increasing order only
    with h5py.File(store_path, "r") as h5:
        sorted_targets = h5["targets"][rows[order]].astype(np.float32)
    measured = np.empty_like(sorted_targets)
    measured[order] = sorted_targets
    same = {name: (p, measured) for name, p in pairs.items() if p.shape == measured.shape}
    return Samples(same, "windows", scores) if same else None


def best_model(all_metrics: dict[str, dict], metric: str) -> str | None:
    """The model with the best finite value of `metric` in its direction; None when no model has it."""
    way = direction(metric)
    scored = {m: float(v[metric]) for m, v in all_metrics.items()
              if isinstance(v.get(metric), (int, float)) and math.isfinite(v[metric])}
    if not scored or way is None:
        return None
    return (max if way == HIGHER else min)(scored, key=scored.get)


def difference_se(samples: Samples | None, metric: str, model: str, baseline: str, n_boot: int, seed: int):
    """Paired bootstrap of model minus baseline on `metric`, or None when the samples cannot give it."""
    if samples is None or metric not in samples.scores or not {model, baseline} <= set(samples.pairs):
        return None
    predicted, measured = samples.pairs[model]
    draws = resample_indices(len(measured), n_boot, seed)
    base = samples.pairs[baseline][0]
    score = samples.scores[metric]
    return paired_difference(score, predicted, base, measured, draws, direction(metric) == HIGHER,
                             baseline_boot=bootstrap_scores(score, base, measured, draws))


def verdict_lines(all_metrics: dict[str, dict], headline: tuple[str, ...], baseline: str | None,
                  ceiling: dict | None = None, samples: Samples | None = None, n_boot: int = REPORT_BOOTSTRAP,
                  seed: int = 0) -> list[str]:
    """One HTML sentence per headline metric that some model reports."""
    lines = []
    for metric in headline:
        best = best_model(all_metrics, metric)
        if best is None:
            continue
        value = float(all_metrics[best][metric])
        text = f"<b>{metric}</b>: best is <b>{escape(best)}</b> with {value:.3f}"
        if baseline and baseline in all_metrics and best == baseline:
            text += f"; the classical baseline wins: no other model beats {escape(baseline)} on {metric}"
        elif baseline and isinstance(all_metrics.get(baseline, {}).get(metric), (int, float)):
            delta = value - float(all_metrics[baseline][metric])
            diff = difference_se(samples, metric, best, baseline, n_boot, seed)
            se = f" &plusmn; {diff.se:.3f}" if diff is not None else ""
            text += f", {delta:+.3f}{se} against the baseline {escape(baseline)} ({all_metrics[baseline][metric]:.3f})"
            if diff is not None:
                text += (f" (paired bootstrap SE over {n_boot} resamples of the test {escape(samples.unit)}; "
                         f"not ahead in {diff.share_not_better:.1%} of them)")
            else:
                text += " (no per-example predictions to bootstrap an SE from)"
        elif baseline:
            text += f" (the baseline {escape(baseline)} did not run or has no {metric})"
        bound = (ceiling or {}).get(metric)
        if isinstance(bound, (int, float)) and bound > 0 and direction(metric) == HIGHER:
            text += f"; {value / bound:.0%} of the noise ceiling ({bound:.3f})"
        lines.append(text + ".")
    return lines


def verdict_box(all_metrics: dict[str, dict], headline: tuple[str, ...], baseline: str | None,
                ceiling: dict | None = None, samples: Samples | None = None, n_boot: int = REPORT_BOOTSTRAP) -> str:
    """The box's HTML (id="verdict"), or a box that says why there is no verdict."""
    lines = verdict_lines(all_metrics, headline, baseline, ceiling, samples, n_boot)
    body = ("<ul>" + "".join(f"<li>{line}</li>" for line in lines) + "</ul>") if lines else (
        "<p>No model reports a headline metric (" + escape(", ".join(headline)) + ").</p>")
    return f'<section class="verdict" id="verdict"><h2>Verdict</h2>{body}</section>'
