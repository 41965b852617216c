"""What every chain reads and writes the same way: a store's JSON summary, and strict-JSON metrics files."""

from __future__ import annotations

import json
import math
from pathlib import Path

import h5py

from regformer.io.atomic import atomic_path


def store_summary(store_path: str | Path) -> dict:
    """The store's JSON summary attribute (e.g. maps, bin_size, n_bins for Hi-C; split fractions for promoters)."""
    with h5py.File(store_path, "r") as h5:
        return json.loads(h5.attrs["summary"])


def json_ready(value):
    """NaN / inf (e.g. the Pearson of a constant prediction) -> None, so metrics.json is strict JSON."""
    if isinstance(value, dict):
        return {k: json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_metrics(path: str | Path, metrics: dict) -> None:
    """metrics.json of any chain, atomically and as strict JSON (NaN -> null)."""
    with atomic_path(path) as tmp:
        Path(tmp).write_text(json.dumps(json_ready(metrics), indent=2, allow_nan=False))
