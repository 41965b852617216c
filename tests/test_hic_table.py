"""bench/hic_table.py on a hand-made results folder: pooled Pearson, the paired window bootstrap and its rows."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

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


def test_promoter_table_pairs_its_bootstrap_through_the_package(tmp_path):
    import promoter_table

    rng = np.random.default_rng(0)
    measured = rng.normal(size=200)
    for name, prediction in (("kmer_ridge", measured + rng.normal(size=200)), ("legnet", measured.copy())):
        (tmp_path / name).mkdir()
        with h5py.File(tmp_path / name / "predictions.h5", "w") as h5:
            h5["prediction"], h5["measured"] = prediction, measured
        (tmp_path / name / "metrics.json").write_text(json.dumps({"n_parameters": 3}))
    rows = {r["model"]: r for r in promoter_table.dataset_rows(tmp_path, n_boot=50, seed=0)}
    ridge_r = rows["kmer_ridge"]["scores"][0]
    assert rows["legnet"]["diff"][0] == pytest.approx(1 - ridge_r) and rows["legnet"]["diff_se"][0] > 0
    assert "diff" not in rows["kmer_ridge"]
    line = next(x for x in promoter_table.markdown(list(rows.values())).splitlines() if "| legnet |" in x)
    assert f"+{1 - ridge_r:.3f} ± " in line
