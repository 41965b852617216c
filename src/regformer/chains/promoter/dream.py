"""The DREAM 2022 random-promoter challenge's scores (Rafi et al. 2024) on a test set with subset annotation.

Per subset, Pearson r squared and Spearman rho of predicted against measured expression; for the pair subsets
(SNVs, motif perturbation, motif tiling) of predicted against measured differences within each pair
(second minus first sequence), as the challenge scored them. The Pearson and Spearman scores are the
subsets' values weighted 1, 0.3, 0.3, 0.3, 0.3, 0.5, 1.25, 0.3, 0.4 in the order of SUBSETS, divided by
4.65 (the sum of the weights).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from regformer.errors import InputError

SUBSETS = ("all", "high", "low", "yeast", "random", "challenging", "snvs", "motif_perturbation", "motif_tiling")
WEIGHTS = dict(zip(SUBSETS, (1.0, 0.3, 0.3, 0.3, 0.3, 0.5, 1.25, 0.3, 0.4)))
PAIR_SUBSETS = ("snvs", "motif_perturbation", "motif_tiling")
TOTAL_WEIGHT = 4.65


def subset_name(raw: str) -> str:
    """'Motif perturbation', 'motif-tiling', 'SNVs' -> the names of SUBSETS."""
    name = str(raw).strip().lower().replace(" ", "_").replace("-", "_")
    return {"snv": "snvs", "native": "yeast"}.get(name, name)


def _correlations(predicted: np.ndarray, measured: np.ndarray) -> dict:
    if len(predicted) < 3 or np.ptp(predicted) == 0 or np.ptp(measured) == 0:
        return {"pearson_r2": float("nan"), "spearman": float("nan"), "n": int(len(predicted))}
    r = stats.pearsonr(measured, predicted).statistic
    rho = stats.spearmanr(measured, predicted).statistic
    return {"pearson_r2": float(r * r), "spearman": float(rho), "n": int(len(predicted))}


def dream_scores(predicted, measured, subsets: dict[str, np.ndarray]) -> dict:
    """The challenge's scores. `subsets` maps a name of SUBSETS to positions in predicted/measured: (n,)
    for a single subset, (n, 2) pairs for a pair subset; "all" defaults to every position.

    Returns dream_pearson_score and dream_spearman_score (NaN unless all nine subsets were scored) and
    dream_subsets: per subset pearson_r2, spearman, n.
    """
    predicted = np.asarray(predicted, dtype=np.float64).ravel()
    measured = np.asarray(measured, dtype=np.float64).ravel()
    unknown = set(subsets) - set(SUBSETS)
    if unknown:
        raise ValueError(f"unknown DREAM subsets {sorted(unknown)} (known: {list(SUBSETS)})")
    subsets = {"all": np.arange(len(predicted)), **subsets}
    per_subset = {}
    for name in SUBSETS:
        if name not in subsets:
            continue
        positions = np.asarray(subsets[name], dtype=np.int64)
        if name in PAIR_SUBSETS:
            positions = positions.reshape(-1, 2)
            first, second = positions[:, 0], positions[:, 1]
            per_subset[name] = _correlations(predicted[second] - predicted[first], measured[second] - measured[first])
        else:
            per_subset[name] = _correlations(predicted[positions], measured[positions])
    complete = all(name in per_subset for name in SUBSETS)
    scores = {}
    for key, out in (("pearson_r2", "dream_pearson_score"), ("spearman", "dream_spearman_score")):
        total = sum(WEIGHTS[name] * per_subset[name][key] for name in SUBSETS) if complete else float("nan")
        scores[out] = float(total / TOTAL_WEIGHT)
    return {**scores, "dream_subsets": per_subset}


def read_dream_subsets(path: str | Path, lines: np.ndarray) -> dict[str, np.ndarray]:
    """Positions of each subset among the scored sequences, from an annotation table (CSV or TSV with columns
    subset, line and, for pair subsets, line_b; lines of the dataset's file). `lines` are the file lines of the
    scored sequences in prediction order; annotated sequences outside them (other splits, duplicates) are left
    out, and a pair only counts when both of its sequences were scored."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "DREAM subset annotation does not exist", "fix dream_subsets: of this dataset in the config")
    table = pd.read_csv(path, sep=None, engine="python", dtype={"subset": str})
    missing = [c for c in ("subset", "line") if c not in table.columns]
    if missing:
        raise InputError(path, f"column(s) {missing} missing (columns are: {list(table.columns)})",
                         "give columns subset, line and, for SNVs / motif_perturbation / motif_tiling, line_b")
    names = table["subset"].map(subset_name)
    unknown = sorted(set(names) - set(SUBSETS))
    if unknown:
        raise InputError(path, f"unknown subset(s) {unknown}", f"use {list(SUBSETS)}")
    where = {int(line): i for i, line in enumerate(np.asarray(lines))}
    subsets: dict[str, np.ndarray] = {}
    for name in dict.fromkeys(names):
        rows = table[names == name]
        if name in PAIR_SUBSETS:
            if "line_b" not in rows.columns or rows["line_b"].isna().any():
                raise InputError(path, f"subset {name} is scored on pairs but some rows have no line_b",
                                 "give the second sequence of each pair in column line_b")
            pairs = [(where.get(int(a)), where.get(int(b))) for a, b in zip(rows["line"], rows["line_b"])]
            subsets[name] = np.array([p for p in pairs if None not in p], dtype=np.int64).reshape(-1, 2)
        else:
            subsets[name] = np.array([where[int(x)] for x in rows["line"] if int(x) in where], dtype=np.int64)
    return subsets
