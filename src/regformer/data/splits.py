"""The one split contract of every chain: train / val / test, stored as sorted row ids under index/{split}.

Every prepared store (promoter sequences, Hi-C targets, ...) is an HDF5 file with its JSON summary in the
`summary` attribute and one int64 dataset of row ids per split, so that training, evaluation and reports
read any chain's store the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import h5py
import numpy as np

SPLITS = ("train", "val", "test")


def write_split_index(h5: h5py.File, labels: Sequence[str] | np.ndarray) -> dict[str, int]:
    """index/{split}: the rows labelled with each split (labels are 'train', 'val' or 'test'); returns the counts."""
    labels = np.asarray(labels).astype(str)
    unknown = sorted(set(labels) - set(SPLITS))
    if unknown:
        raise ValueError(f"unknown split labels {unknown} (use {', '.join(SPLITS)})")
    counts = {}
    for split in SPLITS:
        rows = np.flatnonzero(labels == split).astype(np.int64)
        h5.create_dataset(f"index/{split}", data=rows)
        counts[split] = int(len(rows))
    return counts


def split_rows(store_path: str | Path, split: str) -> np.ndarray:
    """Sorted row ids of one split of a prepared store."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r} (use {', '.join(SPLITS)})")
    with h5py.File(store_path, "r") as h5:
        return h5[f"index/{split}"][:]
