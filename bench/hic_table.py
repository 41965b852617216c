"""Markdown table of Hi-C models on one dataset: pooled test Pearson (all maps' pixels, as metrics.json) and each
model's difference from distance_baseline with a window bootstrap standard error (the same resampled test
windows for both models), with insulation Pearson per map, parameters, epochs and training time.

Windows, not pixels, are resampled: pixels of one window share its sequence, so a pixel bootstrap would
overstate the certainty. Overlapping test windows are not independent either, so the SE is a lower bound.

    python bench/hic_table.py results/hic/yeast
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import h5py
import numpy as np

from cost_cells import cost_cells, metrics_cost
from regformer.chains.hic.metrics import pearson
from regformer.evaluate.compare import bootstrap_scores, paired_difference, resample_indices

BASELINE = "distance_baseline"


def load(folder: Path) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Test targets (n_windows, n_pixels, n_maps) and each model's predictions in the same row order."""
    models, rows = {}, None
    for model_dir in sorted(p for p in folder.iterdir() if (p / "predictions.h5").is_file()):
        with h5py.File(model_dir / "predictions.h5", "r") as h5:
            models[model_dir.name] = h5["prediction"][:].astype(np.float64)
            these = h5["rows"][:]
        if rows is not None and not np.array_equal(rows, these):
            raise SystemExit(f"{model_dir}/predictions.h5: its test windows differ from the other models'")
        rows = these
    if rows is None:
        raise SystemExit(f"{folder}: no model folder with predictions.h5; run the workflow first")
    order = np.argsort(rows)  # h5py reads rows in increasing order only
    target = np.empty((len(rows),) + next(iter(models.values())).shape[1:])
    with h5py.File(folder / "targets.h5", "r") as h5:
        target[order] = h5["targets"][rows[order]]
    return target, models


def pooled(pred: np.ndarray, target: np.ndarray) -> float:
    return pearson(pred.ravel(), target.ravel())


def table(folder: Path, n_boot: int, seed: int) -> str:
    target, models = load(folder)
    n = target.shape[0]
    draws = resample_indices(n, n_boot, seed)
    lines = [f"{folder}: {n} test windows, {n_boot} window resamples", "",
             "| model | pooled Pearson | Δ vs distance_baseline ± SE | resamples with Δ <= 0 | insulation Pearson "
             "| parameters | epochs | training time |", "|---|---:|---:|---:|---|---:|---:|---:|"]
    baseline_boot = bootstrap_scores(pooled, models[BASELINE], target, draws) if BASELINE in models else None
    for name, pred in models.items():
        metrics = json.loads((folder / name / "metrics.json").read_text())
        if baseline_boot is not None and name != BASELINE:
            d = paired_difference(pooled, pred, models[BASELINE], target, draws, baseline_boot=baseline_boot)
            diff = f"{d.value:+.3f} ± {d.se:.3f} | {d.share_not_better:.3f}"
        else:
            diff = " | "
        insulation = " / ".join(f"{m}: {v['insulation_pearson']:.3f}" for m, v in metrics.get("per_map", {}).items()
                                if v.get("insulation_pearson") is not None)
        lines.append(f"| {name} | {pooled(pred, target):.3f} | {diff} | {insulation} | "
                     f"{cost_cells(*metrics_cost(metrics))}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="results/hic/DATASET (holds targets.h5 and one folder per model)")
    parser.add_argument("--n-boot", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(table(args.folder, args.n_boot, args.seed))


if __name__ == "__main__":
    main()
