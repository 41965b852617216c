"""Stitch per-window predicted maps into one genome-wide .cool per map, to view next to the measured map.

No torch import here: the stitch jobs (one per model and map) start in about a second."""

from __future__ import annotations

import logging
from pathlib import Path

import cooler
import h5py
import numpy as np
import pandas as pd

from regformer.data.contact_maps import triu_indices, upper_triangle_size
from regformer.errors import InputError
from regformer.io.atomic import atomic_path
from regformer.io.stores import store_summary

log = logging.getLogger(__name__)


def _window_pixels(vec: np.ndarray, first_bin: int, n_bins: int, diagonal_offset: int) -> pd.DataFrame:
    """One window's upper-triangle pixels as genome-wide (bin1_id, bin2_id, value); NaN values dropped."""
    rows, cols = triu_indices(n_bins, diagonal_offset)
    keep = np.isfinite(vec)
    return pd.DataFrame({"bin1_id": rows[keep] + first_bin, "bin2_id": cols[keep] + first_bin,
                         "value": vec[keep]})


def stitch_to_cool(values: np.ndarray, regions: list[tuple[str, int, int]], chromsizes: dict[str, int], out_path,
                   *, bin_size: int, crop: int, diagonal_offset: int) -> dict:
    """Write one map's window predictions as a .cool: the mean over windows where they overlap, exact elsewhere.

    values: (n_windows, n_pixels) upper-triangle vectors; window (chrom, start, end) covers bins
    [start//bin_size + crop, end//bin_size - crop) of chrom. Bins come from `chromsizes` (in its order) at
    `bin_size`. The stored "count" column holds log(obs/exp) floats, not counts: there is no weight column, so
    view it unbalanced in HiGlass (and note that `cooler zoomify` would sum, not average, these values).
    Written atomically; an InputError (unknown chromosome, window off the chromosome, wrong vector length)
    leaves no output.
    """
    values = np.asarray(values)
    if values.ndim != 2 or len(values) != len(regions):
        raise InputError(out_path, f"values of shape {values.shape} do not match {len(regions)} windows",
                         "pass one (n_windows, n_pixels) array per map, windows in region order")
    bins = cooler.util.binnify(pd.Series(chromsizes, dtype=np.int64), bin_size)
    starts = ~bins["chrom"].duplicated()  # each chromosome's first genome-wide bin
    chrom_offset = dict(zip(bins["chrom"][starts].astype(str), bins.index[starts].tolist()))
    by_chrom: dict[str, list[pd.DataFrame]] = {}
    for vec, (chrom, start, end) in zip(values, regions):
        where = f"window {chrom}:{start}-{end}"
        if chrom not in chromsizes:
            raise InputError(out_path, f"{where}: chromosome {chrom!r} is not in the chromosome sizes"
                             f" ({', '.join(chromsizes)})", "use the genome the windows were cut from")
        if not 0 <= start < end <= chromsizes[chrom]:
            raise InputError(out_path, f"{where} runs off {chrom} (length {chromsizes[chrom]})",
                             "use the chromosome sizes of the genome the windows were cut from")
        n_bins = (end - start) // bin_size - 2 * crop
        n_pixels = upper_triangle_size(n_bins, diagonal_offset)
        if n_bins <= diagonal_offset or vec.shape[0] != n_pixels:
            raise InputError(out_path, f"{where}: {vec.shape[0]} values, but {n_bins} bins after crop {crop} from"
                             f" diagonal {diagonal_offset} need {n_pixels}",
                             "pass the bin_size, crop and diagonal_offset the targets were built with")
        first = chrom_offset[chrom] + start // bin_size + crop
        by_chrom.setdefault(chrom, []).append(
            _window_pixels(vec.astype(np.float64), first, n_bins, diagonal_offset))

    counts = {"n_pixels": 0, "n_overlap_pixels": 0}

    def pixel_chunks():
        """Per chromosome, in bin order: sum and count per pixel over windows, then their mean (sorted)."""
        for chrom in chromsizes:
            if chrom not in by_chrom:
                continue
            agg = (pd.concat(by_chrom.pop(chrom), ignore_index=True)
                   .groupby(["bin1_id", "bin2_id"], sort=True)["value"].agg(["sum", "count"]).reset_index())
            counts["n_pixels"] += len(agg)
            counts["n_overlap_pixels"] += int((agg["count"] > 1).sum())
            yield pd.DataFrame({"bin1_id": agg["bin1_id"], "bin2_id": agg["bin2_id"],
                                "count": agg["sum"] / agg["count"]})

    metadata = {"values": "predicted log(obs/exp), mean over overlapping windows; view unbalanced",
                "crop": crop, "diagonal_offset": diagonal_offset, "n_windows": len(regions)}
    with atomic_path(out_path) as tmp:
        cooler.create_cooler(str(tmp), bins, pixel_chunks(), dtypes={"count": float}, ordered=True,
                             metadata=metadata)
    summary = {"path": str(Path(out_path)), "bin_size": bin_size, "n_windows": len(regions), **counts}
    log.info("stitched %s", summary)
    return summary


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
