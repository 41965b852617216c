"""Markdown table of promoter models on one or more datasets: test Pearson and Spearman with bootstrap standard
errors, each model's difference from kmer_ridge (paired bootstrap: the same resampled sequences for both
models), parameters and training time.

    python bench/promoter_table.py results/promoter/dream2022_demo results/promoter/vaishnav2022_defined
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import h5py
import numpy as np
from scipy import stats

from cost_cells import cost_cells, metrics_cost
from regformer.evaluate.compare import bootstrap_scores, paired_difference, resample_indices

BASELINE = "kmer_ridge"


def _scores(predicted: np.ndarray, measured: np.ndarray) -> tuple[float, float]:
    return stats.pearsonr(measured, predicted).statistic, stats.spearmanr(measured, predicted).statistic


def dataset_rows(folder: Path, n_boot: int, seed: int) -> list[dict]:
    models = {}
    for model_dir in sorted(p for p in folder.iterdir() if (p / "predictions.h5").is_file()):
        with h5py.File(model_dir / "predictions.h5", "r") as h5:
            models[model_dir.name] = (h5["prediction"][:].astype(float), h5["measured"][:].astype(float))
    n = len(next(iter(models.values()))[1])
    draws = resample_indices(n, n_boot, seed)
    boot = {name: bootstrap_scores(_scores, p, m, draws) for name, (p, m) in models.items()}
    rows = []
    for name, (p, m) in models.items():
        metrics = json.loads((folder / name / "metrics.json").read_text())
        row = {"dataset": folder.name, "model": name, "n_test": n, "scores": _scores(p, m), "se": boot[name].std(0, ddof=1),
               "cost": metrics_cost(metrics)}
        if BASELINE in boot and name != BASELINE:
            diff = paired_difference(_scores, p, models[BASELINE][0], m, draws, baseline_boot=boot[BASELINE],
                                     model_boot=boot[name])
            row["diff"], row["diff_se"] = diff.value, diff.se
        rows.append(row)
    return rows


def markdown(rows: list[dict]) -> str:
    lines = ["| dataset | model | test n | Pearson ± SE | Spearman ± SE | Δ Pearson vs ridge ± SE | Δ Spearman vs ridge ± SE "
             "| parameters | epochs | training time |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        diff = [f"{d:+.3f} ± {s:.3f}" for d, s in zip(r["diff"], r["diff_se"])] if "diff" in r else ["", ""]
        lines.append(f"| {r['dataset']} | {r['model']} | {r['n_test']} | {r['scores'][0]:.3f} ± {r['se'][0]:.3f} | "
                     f"{r['scores'][1]:.3f} ± {r['se'][1]:.3f} | {diff[0]} | {diff[1]} | {cost_cells(*r['cost'])}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+", type=Path, help="results/promoter/<dataset> folders")
    parser.add_argument("--bootstrap", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(markdown([row for folder in args.folders for row in dataset_rows(folder, args.bootstrap, args.seed)]))


if __name__ == "__main__":
    main()
