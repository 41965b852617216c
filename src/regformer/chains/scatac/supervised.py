"""The seed's supervised step, scored: the cell-type head on <cls> against a logistic regression on SnapATAC2's
spectral embedding (the classical baseline for that head), both fitted on training cells, scored on test cells.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


def _scores(truth: np.ndarray, guess: np.ndarray) -> dict:
    """Accuracy, macro-F1 and per-class accuracy (the share of each true class predicted right)."""
    classes = sorted(set(truth))
    return {"accuracy": float(accuracy_score(truth, guess)),
            "macro_f1": float(f1_score(truth, guess, average="macro", labels=classes)),
            "per_class_accuracy": {c: float(np.mean(guess[truth == c] == c)) for c in classes},
            "n_test": int(len(truth))}


def cell_type_scores(adata, labels: pd.Series | None, head_logits: np.ndarray | None, label_names: list[str],
                     train: np.ndarray, test: np.ndarray, seed: int) -> dict:
    """{"logistic_spectral": ..., "atacformer_head": ...} on the labelled test cells; {} without labels."""
    if labels is None:
        return {}
    known = labels.notna().to_numpy()
    y = labels.to_numpy().astype(object)
    fit, ask = train & known, test & known
    if not ask.any() or len(set(y[fit])) < 2:
        return {}
    # spectral coordinates are eigenvector entries (tiny values): standardized, or the L2 penalty flattens them
    logistic = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, random_state=seed))
    logistic.fit(adata.obsm["X_spectral"][fit], y[fit])
    result = {"logistic_spectral": _scores(y[ask], logistic.predict(adata.obsm["X_spectral"][ask]))}
    if head_logits is not None:
        guess = np.asarray(label_names, dtype=object)[head_logits[ask].argmax(1)]
        result["atacformer_head"] = _scores(y[ask], guess)
    return result
