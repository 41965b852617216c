"""Adaptive coarse-graining of a Hi-C window, the same numbers as cooltools' `adaptive_coarsegrain`, faster.

Akita's recipe calls cooltools.lib.numutils.adaptive_coarsegrain once per window; it is the largest cost of
building targets once the reads are fast. This is the same algorithm with the same floating-point operations
in the same order (2x2 sums as row pairs then column pairs, averages as sum / number of valid pixels, the
replacement test on the minimum raw count of each 2x2 block), written with strided views instead of
reshape + reductions and np.nanmin (raw counts hold no NaN there, so min is nanmin). tests/test_hic_targets.py
checks bit-for-bit equality with cooltools on real and random windows.
"""

from __future__ import annotations

import numpy as np


def _pair_sum(a: np.ndarray) -> np.ndarray:
    """2x2 block sums: rows paired first, then columns (cooltools' _coarsen with np.sum, axis 1 then 2)."""
    rows = a[0::2] + a[1::2]
    return rows[:, 0::2] + rows[:, 1::2]


def _pair_min(a: np.ndarray) -> np.ndarray:
    """2x2 block minima."""
    rows = np.minimum(a[0::2], a[1::2])
    return np.minimum(rows[:, 0::2], rows[:, 1::2])


def _expand(a: np.ndarray) -> np.ndarray:
    """Each value repeated over its 2x2 block (the inverse of coarsening)."""
    n = a.shape[0]
    return np.broadcast_to(a[:, None, :, None], (n, 2, n, 2)).reshape(2 * n, 2 * n)


def adaptive_coarsegrain(ar: np.ndarray, countar: np.ndarray, cutoff: float = 5, max_levels: int = 8,
                         min_shape: int = 8) -> np.ndarray:
    """Replace pixels whose 2x2 block holds fewer than `cutoff` raw counts by the block's mean, coarsest first.

    Same arguments and result as cooltools.lib.numutils.adaptive_coarsegrain (NaN at invalid pixels), but the
    inputs are never modified.
    """
    ar = np.array(ar, dtype=float)
    countar = np.array(countar, dtype=float)
    n_orig = ar.shape[0]
    n_log = np.log2(n_orig)
    if not np.allclose(n_log, np.rint(n_log)):  # pad to the next power of two: NaN values, zero counts
        n = int(2 ** np.ceil(n_log))
        padded, padded_counts = np.full((n, n), np.nan), np.zeros((n, n))
        padded[:n_orig, :n_orig], padded_counts[:n_orig, :n_orig] = ar, countar
        ar, countar = padded, padded_counts
    valid = np.isfinite(ar)
    countar[~valid] = 0
    ar[~valid] = 0
    if not np.isfinite(countar).all():
        raise ValueError("raw counts must be finite")
    values, counts, masks = [ar], [countar], [valid.astype(np.int64)]
    for _ in range(max_levels):
        if counts[-1].shape[0] > min_shape:
            counts.append(_pair_sum(counts[-1]))
            masks.append(_pair_sum(masks[-1]))
            values.append(_pair_sum(values[-1]))
    current, current_mask = values.pop(), masks.pop()
    counts.pop()
    with np.errstate(invalid="ignore", divide="ignore"):
        while counts:
            finer, finer_counts, finer_mask = values.pop(), counts.pop(), masks.pop()
            substitute = _expand(current / current_mask) * finer_mask
            replace = _expand(_pair_min(finer_counts) < cutoff)
            finer = np.where(replace, substitute, finer)
            finer[finer_mask == 0] = 0
            current, current_mask = finer, finer_mask
    current[current_mask == 0] = np.nan
    return current[:n_orig, :n_orig]
