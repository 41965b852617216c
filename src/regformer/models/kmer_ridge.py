"""The classical baseline: ridge regression (scikit-learn) on k-mer counts, k = 1..k_max.

Counts are built as a sparse matrix straight from the uint8 codes; windows that touch an N are
skipped. The ridge penalty is chosen on the validation split from a small grid.
"""

from __future__ import annotations

import logging

import numpy as np
from scipy import sparse
from sklearn.linear_model import Ridge

from regformer.data.encoding import N_CODE

log = logging.getLogger(__name__)


def n_kmer_features(k_max: int) -> int:
    return sum(4**k for k in range(1, k_max + 1))


def kmer_counts(codes: np.ndarray, k_max: int = 6) -> sparse.csr_matrix:
    """(n, L) codes -> sparse (n, sum_k 4^k) k-mer counts for k = 1..k_max."""
    n, length = codes.shape
    rows_all, cols_all, offset = [], [], 0
    for k in range(1, k_max + 1):
        n_windows = length - k + 1
        if n_windows <= 0:
            break
        index = np.zeros((n, n_windows), dtype=np.int64)
        valid = np.ones((n, n_windows), dtype=bool)
        for j in range(k):
            window = codes[:, j:j + n_windows]
            index = index * 4 + np.minimum(window, 3)
            valid &= window != N_CODE
        rows = np.broadcast_to(np.arange(n)[:, None], index.shape)
        rows_all.append(rows[valid])
        cols_all.append(index[valid] + offset)
        offset += 4**k
    rows, cols = np.concatenate(rows_all), np.concatenate(cols_all)
    counts = sparse.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(n, n_kmer_features(k_max)))
    counts.sum_duplicates()
    return counts


def select_ridge(x, y: np.ndarray, x_val, val_y: np.ndarray, alphas, name: str = "kmer_ridge") -> tuple[float, Ridge]:
    """Fit a ridge (scikit-learn, sparse conjugate gradient) per penalty; return the one with the lowest
    validation MSE, as (alpha, model). y may hold several targets (one column each)."""
    best = None
    for alpha in alphas:
        model = Ridge(alpha=alpha, solver="sparse_cg", max_iter=2000, tol=1e-5).fit(x, y)
        mse = float(np.mean((model.predict(x_val) - val_y) ** 2))
        log.info("%s alpha=%g val_mse=%.4f", name, alpha, mse)
        if best is None or mse < best[0]:
            best = (mse, alpha, model)
    return best[1], best[2]


def ridge_arrays(alpha: float | None, model: Ridge | None) -> dict:
    """A fitted ridge as plain arrays (coefficients, intercept) and its penalty: what model.pt stores, so that loading
    a model never unpickles a Python object."""
    if model is None:
        raise RuntimeError("a ridge is saved only after fit")
    return {"alpha": float(alpha), "coef": np.asarray(model.coef_), "intercept": np.asarray(model.intercept_)}


def ridge_from_arrays(state: dict) -> tuple[float, Ridge]:
    """(alpha, Ridge) rebuilt from ridge_arrays' output: scikit-learn's estimator with its fitted attributes set,
    so predict is scikit-learn's own."""
    model = Ridge(alpha=float(state["alpha"]))
    model.coef_ = np.asarray(state["coef"])
    model.intercept_ = np.asarray(state["intercept"]) if np.ndim(state["intercept"]) else float(state["intercept"])
    model.n_features_in_ = int(model.coef_.shape[-1])
    return float(state["alpha"]), model


class KmerRidge:
    """Ridge on k-mer counts with the penalty picked on validation data."""

    def __init__(self, k_max: int = 6, alphas: tuple[float, ...] = (1.0, 10.0, 100.0, 1000.0, 10000.0)):
        self.k_max = k_max
        self.alphas = tuple(alphas)
        self.model: Ridge | None = None
        self.alpha: float | None = None

    @property
    def n_parameters(self) -> int:
        return n_kmer_features(self.k_max) + 1

    def fit(self, codes: np.ndarray, y: np.ndarray, val_codes: np.ndarray, val_y: np.ndarray) -> "KmerRidge":
        x, x_val = kmer_counts(codes, self.k_max), kmer_counts(val_codes, self.k_max)
        self.alpha, self.model = select_ridge(x, y, x_val, val_y, self.alphas)
        return self

    def state_arrays(self) -> dict:
        """The fitted penalty, coefficients, intercept and k_max (saved in model.pt as tensors, never pickled)."""
        return {**ridge_arrays(self.alpha, self.model), "k_max": int(self.k_max)}

    def load_state_arrays(self, state: dict) -> "KmerRidge":
        # the fit's own k_max, so the features match the coefficients whatever the saved architecture says
        self.k_max = int(state.get("k_max", self.k_max))
        self.alpha, self.model = ridge_from_arrays(state)
        return self

    def predict(self, codes: np.ndarray) -> np.ndarray:
        if self.model is None:
            raise RuntimeError("KmerRidge.predict before fit")
        return self.model.predict(kmer_counts(codes, self.k_max)).astype(np.float32)
