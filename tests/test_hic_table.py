"""bench/hic_table.py on a hand-made results folder: pooled Pearson, the paired window bootstrap and its rows."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import h5py
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import hic_table  # noqa: E402


def _write(folder: Path, target: np.ndarray, predictions: dict[str, np.ndarray], rows: np.ndarray) -> None:
    with h5py.File(folder / "targets.h5", "w") as h5:
        h5["targets"] = target
    for name, pred in predictions.items():
        (folder / name).mkdir()
        with h5py.File(folder / name / "predictions.h5", "w") as h5:
            h5["prediction"], h5["rows"] = pred, rows
        (folder / name / "metrics.json").write_text(json.dumps({"n_parameters": 3, "training_seconds": 2.0,
                                                               "training": {"epochs_trained": 1}}))


def test_table_scores_rows_in_prediction_order_and_pairs_the_bootstrap(tmp_path):
    rng = np.random.default_rng(0)
    target = rng.normal(size=(6, 10, 1))
    rows = np.array([4, 1, 5])  # the test rows, not in store order
    exact = target[rows]
    baseline = exact + rng.normal(scale=2.0, size=exact.shape)
    _write(tmp_path, target, {"distance_baseline": baseline, "exact": exact, "same_as_baseline": baseline.copy()},
           rows)
    loaded, models = hic_table.load(tmp_path)
    np.testing.assert_array_equal(loaded, exact)
    text = hic_table.table(tmp_path, n_boot=50, seed=0)
    base = np.corrcoef(baseline.ravel(), exact.ravel())[0, 1]
    exact_row = next(line for line in text.splitlines() if line.startswith("| exact |"))
    assert exact_row.startswith(f"| exact | 1.000 | {1 - base:+.3f} ± ")
    assert exact_row.split("|")[4].strip() == "0.000"  # no resample where the exact model is not ahead
    same_row = next(line for line in text.splitlines() if line.startswith("| same_as_baseline |"))
    assert f"| +0.000 ± 0.000 | 1.000 |" in same_row  # paired resamples: identical models differ by exactly 0
