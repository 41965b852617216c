"""Contact-map geometry, in one place: bins of a window, the stored upper triangle and its symmetries.

A window of seq_length bp in bins of bin_size bp, cropped by `crop` bins per side, gives an n_bins x n_bins
map; targets and predictions keep its upper triangle from `diagonal_offset` (pixels (i, j) with
j - i >= diagonal_offset), row by row as np.triu_indices orders them. Numpy only, so data builders,
models, metrics and stitching all share it.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np


def window_bins(seq_length: int, bin_size: int) -> int:
    """Bins in a window of seq_length bp (which must be a multiple of bin_size)."""
    if seq_length % bin_size:
        raise ValueError(f"seq_length {seq_length} is not a multiple of bin_size {bin_size}")
    return seq_length // bin_size


def upper_triangle_size(n_bins: int, diagonal_offset: int) -> int:
    """Number of pixels (i, j) with j - i >= diagonal_offset in an n_bins x n_bins map."""
    k = max(n_bins - diagonal_offset, 0)
    return k * (k + 1) // 2


@lru_cache(maxsize=8)
def triu_indices(n_bins: int, diagonal_offset: int) -> tuple[np.ndarray, np.ndarray]:
    """Row and column indices of the stored pixels (cached and read-only: the same for every window)."""
    rows, cols = np.triu_indices(n_bins, diagonal_offset)
    rows.flags.writeable = cols.flags.writeable = False
    return rows, cols


def triu_to_matrix(vec: np.ndarray, n_bins: int, diagonal_offset: int) -> np.ndarray:
    """Symmetric (n_bins, n_bins) float64 map from an upper-triangle vector; NaN where nothing is stored."""
    rows, cols = triu_indices(n_bins, diagonal_offset)
    vec = np.asarray(vec)
    if vec.shape != rows.shape:
        raise ValueError(f"vector of shape {vec.shape} does not fit {n_bins} bins from diagonal {diagonal_offset}"
                         f" ({rows.size} pixels)")
    mat = np.full((n_bins, n_bins), np.nan)
    mat[rows, cols] = vec
    mat[cols, rows] = vec
    return mat


def flip_permutation(n_bins: int, diagonal_offset: int) -> np.ndarray:
    """Index p such that vec[p] is the upper triangle of the map flipped on both axes (reverse complement).

    Pixel (i, j) of the flipped map is (n-1-j, n-1-i) of the original: same diagonal, so still stored.
    """
    rows, cols = triu_indices(n_bins, diagonal_offset)
    position = np.full((n_bins, n_bins), -1, dtype=np.int64)
    position[rows, cols] = np.arange(len(rows))
    return position[n_bins - 1 - cols, n_bins - 1 - rows]


def distance_bands(n_bins: int, diagonal_offset: int) -> list[tuple[int, int]]:
    """Inclusive bands of diagonal offset, doubling in width (2-3, 4-7, 8-15, ...), the last cut at n_bins-1."""
    bands, lo = [], diagonal_offset
    while lo <= n_bins - 1:
        hi = min(max(2 ** lo.bit_length() - 1, lo), n_bins - 1)
        bands.append((lo, hi))
        lo = hi + 1
    return bands
