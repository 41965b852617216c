"""The Hi-C chain's own evaluation outputs: predictions.h5 with window coordinates and map names, and one
stitched .cool per map. The prediction loop itself is the shared one (regformer.evaluate.runner)."""

from __future__ import annotations

import json
from pathlib import Path

import cooler
import h5py
import numpy as np

from regformer.chain_interface import Predictions
from regformer.chains.hic.stitch import stitch_to_cool
from regformer.evaluate.runner import write_window_predictions
from regformer.io.stores import store_summary


def write_map_predictions(path: str | Path, store_path: str | Path, predictions: Predictions) -> None:
    """predictions.h5 in float16, one window per chunk, with the windows' coordinates and map names."""
    write_window_predictions(path, store_path, predictions, dtype=np.float16,
                             attrs={"maps": json.dumps(store_summary(store_path)["maps"])})


def stitch_predictions(store_path: str | Path, predictions_path: str | Path, map_name: str, out_cool: str | Path) -> dict:
    """One map's test predictions as a .cool on the measured map's bins (mean where windows overlap)."""
    summary = store_summary(store_path)
    if map_name not in summary["maps"]:
        raise ValueError(f"{store_path}: no map {map_name!r} (have {summary['maps']})")
    m = summary["maps"].index(map_name)
    with h5py.File(predictions_path, "r") as h5:
        values = h5["prediction"][:, :, m].astype(np.float32)
        regions = [(c, int(s), int(e)) for c, s, e in zip(h5["regions/chrom"][:].astype(str), h5["regions/start"][:],
                                                          h5["regions/end"][:])]
    chromsizes = cooler.Cooler(summary["coolers"][m]).chromsizes.to_dict()
    return stitch_to_cool(values, regions, chromsizes, out_cool, bin_size=summary["bin_size"], crop=summary["crop"],
                          diagonal_offset=summary["diagonal_offset"])
