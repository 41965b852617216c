"""The Hi-C chain's predictions.h5: window coordinates and map names beside the values. The prediction loop
itself is the shared one (regformer.evaluate.runner); the stitched .cool per map is regformer.chains.hic.stitch."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from regformer.chain_interface import Predictions
from regformer.evaluate.runner import write_window_predictions
from regformer.io.stores import store_summary


def write_map_predictions(path: str | Path, store_path: str | Path, predictions: Predictions) -> None:
    """predictions.h5 in float16, one window per chunk, with the windows' coordinates and map names."""
    write_window_predictions(path, store_path, predictions, dtype=np.float16,
                             attrs={"maps": json.dumps(store_summary(store_path)["maps"])})
