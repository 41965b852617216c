"""Predicted tracks as bigWigs (pyBigWig) over the test windows, on the measured track's chromosomes, so a user
opens them in IGV next to the data."""

from __future__ import annotations

import logging
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pyBigWig

from regformer.errors import InputError
from regformer.io.atomic import atomic_path
from regformer.io.stores import store_summary

log = logging.getLogger(__name__)


def binned_predictions(values: np.ndarray, regions: list[tuple[str, int, int]], *, bin_size: int,
                       crop: int) -> pd.DataFrame:
    """One track's window predictions (n_windows, n_bins) as (chrom, start, value) per genomic bin, sorted; the
    mean where windows overlap."""
    frames = []
    for vec, (chrom, start, _) in zip(values, regions):
        starts = start + (crop + np.arange(len(vec), dtype=np.int64)) * bin_size
        frames.append(pd.DataFrame({"chrom": chrom, "start": starts, "value": vec.astype(np.float64)}))
    table = pd.concat(frames, ignore_index=True)
    return table.groupby(["chrom", "start"], sort=True)["value"].mean().reset_index()


def write_predicted_bigwig(store_path: str | Path, predictions_path: str | Path, track: str,
                           out_bw: str | Path) -> dict:
    """The test predictions of `track` as a bigWig with the measured bigWig's chromosome sizes (atomically)."""
    summary = store_summary(store_path)
    if track not in summary["tracks"]:
        raise InputError(predictions_path, f"no track {track!r} (have {summary['tracks']})",
                         "ask for one of the dataset's track identifiers")
    k = summary["tracks"].index(track)
    with h5py.File(predictions_path, "r") as h5:
        values = h5["prediction"][:, :, k].astype(np.float64)
        regions = [(c, int(s), int(e)) for c, s, e in zip(h5["regions/chrom"][:].astype(str), h5["regions/start"][:],
                                                          h5["regions/end"][:])]
    measured = pyBigWig.open(summary["bigwigs"][k])
    chroms = measured.chroms()
    measured.close()
    table = binned_predictions(values, regions, bin_size=summary["bin_size"], crop=summary["crop"])
    with atomic_path(out_bw) as tmp:
        bw = pyBigWig.open(str(tmp), "w")
        try:
            bw.addHeader(list(chroms.items()), maxZooms=4)
            for chrom in chroms:  # entries in the header's chromosome order
                part = table[table["chrom"] == chrom]
                if len(part):
                    starts = part["start"].to_numpy(np.int64)
                    ends = np.minimum(starts + summary["bin_size"], chroms[chrom])
                    bw.addEntries([chrom] * len(part), starts.tolist(), ends=ends.tolist(),
                                  values=part["value"].to_numpy(np.float64).tolist())
        finally:
            bw.close()
    result = {"path": str(out_bw), "track": track, "n_bins": int(len(table)), "n_windows": len(regions)}
    log.info("predicted bigWig %s", result)
    return result
