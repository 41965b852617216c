"""The summary every prepared HDF5 store carries (promoter sequences, Hi-C targets): what built it and how."""

from __future__ import annotations

import json
from pathlib import Path

import h5py


def store_summary(store_path: str | Path) -> dict:
    """The store's JSON summary attribute (e.g. maps, bin_size, n_bins for Hi-C; split fractions for promoters)."""
    with h5py.File(store_path, "r") as h5:
        return json.loads(h5.attrs["summary"])
