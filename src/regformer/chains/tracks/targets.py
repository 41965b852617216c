"""Basenji-style track targets: bigWig signal over each window -> binned, clipped values (float16).

Per window and track (Kelley et al. 2018/2020, basenji `basenji_data_read.py`; the table is Basenji's
targets.txt): per-base values, NaN -> 0, blacklisted bases -> 0 (the track's baseline), times `scale`, pooled to
`bin_size` by `sum_stat` (sum or mean, float32), soft clip `c - 1 + sqrt(x - c + 1)` above `clip_soft` = c,
hard clip to [-clip, clip], clip to the float16 range, crop `crop` bins per side. Each bigWig is read in large
blocks (one read per run of nearby windows on a chromosome) and every window is a slice of the block's bins,
the same numbers a read per window gives. The store is one HDF5 file: targets (n_windows, n_bins, n_tracks)
float16, one window per chunk, regions/*, index/{train,val,test} and the JSON summary in attrs["summary"].
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import h5py
import numpy as np
import pandas as pd

from regformer.chains.tracks.bigwig import check_bigwig_chroms, opened_bigwigs
from regformer.chains.tracks.regions import read_track_regions
from regformer.data.genome_windows import read_bed
from regformer.data.splits import write_split_index
from regformer.errors import InputError
from regformer.io.atomic import atomic_path
from regformer.io.fasta import open_fasta, partial_chroms
from regformer.io.stores import check_writes, new_hdf5
from regformer.logs import Progress
from regformer.names import check_names

log = logging.getLogger(__name__)
TABLE_COLUMNS = ["identifier", "file", "description", "group", "sum_stat", "clip", "clip_soft", "scale"]
SUM_STATS = ("sum", "mean")
BLOCK_BP = 1 << 21  # longest span read at once per bigWig
BLOCK_BYTES = 1 << 28  # largest float32 block of window targets held at once
F16_MAX = float(np.finfo(np.float16).max)


def read_targets_table(table: pd.DataFrame | str | Path) -> pd.DataFrame:
    """The targets table (Basenji's targets.txt columns), checked: one row per track, in table order.

    Empty `clip` / `clip_soft` mean no clipping; `scale` must be a positive number.
    """
    source = "targets table" if isinstance(table, pd.DataFrame) else str(table)
    if not isinstance(table, pd.DataFrame):
        try:
            # only an empty cell is missing: a track may be called `nan` or `NA`
            table = pd.read_csv(table, sep="\t", dtype={c: str for c in TABLE_COLUMNS[:5]}, keep_default_na=False,
                                na_values=[""])
        except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise InputError(source, f"cannot read the targets table ({exc})", "give a tab-separated file") from exc
    missing = [c for c in TABLE_COLUMNS if c not in table.columns]
    if missing:
        raise InputError(source, f"missing column(s) {missing} (has {list(table.columns)})",
                         f"give the tab-separated columns {', '.join(TABLE_COLUMNS)} (as Basenji's targets.txt)")
    df = table[TABLE_COLUMNS].reset_index(drop=True).copy()
    if df.empty or df[["identifier", "file", "sum_stat"]].isna().any().any():
        raise InputError(source, "has no rows, or rows without identifier, file or sum_stat", "fill in every track")
    df["identifier"] = df["identifier"].astype(str).str.strip()
    dup = sorted(set(df.loc[df["identifier"].duplicated(), "identifier"]))
    if dup:
        raise InputError(source, f"duplicate identifier(s) {dup}", "give each track a unique identifier")
    check_names(df["identifier"], "track identifier", source)  # each names a predicted_{identifier}.bw
    df["sum_stat"] = df["sum_stat"].astype(str).str.strip().str.lower()
    bad = sorted(set(df["sum_stat"]) - set(SUM_STATS))
    if bad:
        raise InputError(source, f"sum_stat {bad} not supported", f"use one of {', '.join(SUM_STATS)}")
    for col in ("clip", "clip_soft", "scale"):
        num = pd.to_numeric(df[col], errors="coerce")
        if (num.isna() & df[col].notna()).any() or (num <= 0).any() or (col == "scale" and num.isna().any()):
            raise InputError(source, f"column {col} has values that are not positive numbers ({list(df[col])})",
                             "use positive numbers (clip and clip_soft may be left empty for no clipping)")
        df[col] = num.astype(float)
    df[["description", "group"]] = df[["description", "group"]].fillna("").astype(str)
    df["file"] = df["file"].astype(str)
    return df


def pool_track(values: np.ndarray, *, bin_size: int, sum_stat: str, scale: float, clip_soft: float | None,
               clip: float | None) -> np.ndarray:
    """Basenji's recipe on clean per-base values (length a multiple of bin_size): scale, pool, clip; float32 bins."""
    scaled = values.astype(np.float32, copy=False) * np.float32(scale)
    rows = scaled.reshape(-1, bin_size)
    pooled = rows.sum(axis=1, dtype=np.float32) if sum_stat == "sum" else rows.mean(axis=1, dtype=np.float32)
    if clip_soft is not None and not np.isnan(clip_soft):
        above = pooled > clip_soft
        pooled[above] = np.float32(clip_soft) - 1 + np.sqrt(pooled[above] - np.float32(clip_soft) + 1)
    if clip is not None and not np.isnan(clip):
        np.clip(pooled, -clip, clip, out=pooled)
    return np.clip(pooled, -F16_MAX, F16_MAX, out=pooled)


def clean_values(values: np.ndarray, zero: np.ndarray | None) -> np.ndarray:
    """NaN (no data) -> 0 and blacklisted bases (`zero`, a boolean mask or None) -> 0, in place."""
    np.copyto(values, 0.0, where=np.isnan(values))
    if zero is not None:
        values[zero] = 0.0
    return values


def zero_mask(intervals: list[tuple[int, int]], lo: int, hi: int) -> np.ndarray | None:
    """Boolean mask of [lo, hi) marking the blacklist `intervals` (one chromosome); None when none overlaps."""
    mask = None
    for start, end in intervals:
        a, b = max(start, lo), min(end, hi)
        if a < b:
            mask = np.zeros(hi - lo, dtype=bool) if mask is None else mask
            mask[a - lo:b - lo] = True
    return mask


def _recipes(table: pd.DataFrame) -> list[dict]:
    return [dict(sum_stat=r.sum_stat, scale=r.scale, clip_soft=r.clip_soft, clip=r.clip)
            for r in table.itertuples(index=False)]


def window_targets(handles, recipes: list[dict], chrom: str, start: int, end: int, *, bin_size: int, crop: int,
                   blacklist: list[tuple[int, int]] = ()) -> np.ndarray:
    """One window's (n_bins, n_tracks) targets read with one bigWig call per track (the reference loop's step).

    `handles` are open pyBigWigs, `chrom` the bigWig's name, `blacklist` intervals of that chromosome.
    """
    zero = zero_mask(list(blacklist), start, end)
    n = (end - start) // bin_size
    cols = [pool_track(clean_values(bw.values(chrom, start, end, numpy=True), zero), bin_size=bin_size, **r)
            [crop:n - crop] for bw, r in zip(handles, recipes)]
    return np.stack(cols, axis=1)


def block_targets(handles, recipes: list[dict], chrom: str, starts: np.ndarray, seq_length: int, *, bin_size: int,
                  crop: int, blacklist: list[tuple[int, int]] = ()) -> np.ndarray:
    """(len(starts), n_bins, n_tracks) targets of nearby windows on one chromosome from one read per track.

    The span is pooled once on the bin grid and each window's bins are sliced from it (starts on the grid).
    """
    lo, hi = int(starts.min()), int(starts.max()) + seq_length
    zero = zero_mask(list(blacklist), lo, hi)
    n_out = seq_length // bin_size - 2 * crop
    idx = ((starts - lo) // bin_size + crop)[:, None] + np.arange(n_out)[None, :]
    out = np.empty((len(starts), n_out, len(handles)), dtype=np.float32)
    for t, (bw, recipe) in enumerate(zip(handles, recipes)):
        values = clean_values(bw.values(chrom, lo, hi, numpy=True), zero)
        out[:, :, t] = pool_track(values, bin_size=bin_size, **recipe)[idx]
    return out


def blocks(chroms: np.ndarray, starts: np.ndarray, seq_length: int, *, max_span: int, max_windows: int
           ) -> list[tuple[int, int]]:
    """Row ranges [i, j) of consecutive windows on one chromosome: each next window starts at most one window
    length after the block's end, a block spans at most max(max_span, seq_length) bp and holds <= max_windows."""
    out: list[tuple[int, int]] = []
    i, lo, top, span = 0, 0, 0, max(max_span, seq_length)
    for j, (chrom, start) in enumerate(zip(chroms, starts)):
        if j > i:
            new_lo, new_top = min(lo, start), max(top, start)
            if (chrom == chroms[i] and j - i < max_windows and new_top + seq_length - new_lo <= span
                    and start <= top + 2 * seq_length):
                lo, top = new_lo, new_top
                continue
            out.append((i, j))
            i = j
        lo = top = start
    if len(starts):
        out.append((i, len(starts)))
    return out


def _check_regions(regions: pd.DataFrame, source, sizes: dict[str, int], aliases: dict[str, str] | None,
                   bin_size: int, crop: int) -> tuple[int, int, dict[str, str]]:
    """(seq_length, n_bins after crop, FASTA name -> bigWig name) of windows that fit the FASTA and the bin grid."""
    lengths = sorted(set((regions["end"] - regions["start"]).tolist()))
    if len(lengths) != 1:
        raise InputError(source, f"windows have different lengths {lengths[:5]}", "use equal-length windows")
    seq_length = lengths[0]
    if bin_size <= 0 or crop < 0 or seq_length % bin_size or (regions["start"] % bin_size).any():
        raise InputError(source, f"windows of {seq_length} bp or their starts are off the {bin_size}-bp bin grid "
                         f"(or crop {crop} < 0)", "rerun the regions step with the same bin_size")
    n_out = seq_length // bin_size - 2 * crop
    if n_out < 1:
        raise InputError(source, f"crop {crop} per side leaves no bin of the {seq_length // bin_size}",
                         "use longer windows or a smaller crop")
    used = dict(zip(regions["chrom"], regions["bigwig_chrom"]))
    for chrom, bw_chrom in used.items():
        if chrom not in sizes:
            raise InputError(source, f"chromosome {chrom!r} is not in the FASTA (FASTA has {', '.join(sizes)})",
                             "use the FASTA the regions were made from")
        if aliases is not None and aliases.get(chrom, chrom) != bw_chrom:
            raise InputError(source, f"{chrom} is read as {bw_chrom!r} but aliases say {aliases.get(chrom, chrom)!r}",
                             "rerun the regions step with the same aliases")
    if (regions["end"] > regions["chrom"].map(sizes)).any():
        raise InputError(source, "windows run off the end of their chromosome", "use the FASTA of the regions step")
    if regions.groupby("chrom")["bigwig_chrom"].nunique().max() > 1:
        raise InputError(source, "one chromosome has two bigwig_chrom names", "rerun the regions step")
    return seq_length, n_out, used


def _write_regions(h5: h5py.File, regions: pd.DataFrame) -> dict[str, int]:
    """regions/{chrom (bigWig name), start, end, sequence_chrom (FASTA name)} and index/{split}."""
    h5.create_dataset("regions/chrom", data=regions["bigwig_chrom"].to_numpy().astype("S"))
    h5.create_dataset("regions/start", data=regions["start"].to_numpy(np.int64))
    h5.create_dataset("regions/end", data=regions["end"].to_numpy(np.int64))
    h5.create_dataset("regions/sequence_chrom", data=regions["chrom"].to_numpy().astype("S"))
    return write_split_index(h5, regions["split"].to_numpy())


def check_held_out_signal(signal: dict[str, np.ndarray], tracks: list[str], files: list[str]) -> dict:
    """Fail when every track is 0 over a held-out split (nothing to score: e.g. bigWigs with signal only on the
    training chromosomes); warn for each track that is 0 over a whole split. Returns {split: [silent tracks]}."""
    silent = {split: [t for t, on in zip(tracks, signal[split]) if not on] for split in sorted(signal)}
    for split in ("val", "test"):
        if split in signal and not signal[split].any():
            raise InputError(files[0] if len(files) == 1 else "the targets table's bigWigs",
                             f"every track is 0 over all {split} windows (no signal on the {split} chromosomes or "
                             "contigs), so the models could not be scored there",
                             "use bigWigs with signal on the held-out chromosomes (check with bigWigInfo -chroms), or "
                             "hold out chromosomes that have signal (valid_chroms/test_chroms or valid_regions/"
                             "test_regions)")
    for split, names in silent.items():
        if names:
            log.warning("WARNING: track(s) %s are 0 over every %s window: their %s metrics will be empty (null)",
                        ", ".join(names), split, split)
    return silent


def build_track_targets(targets_table: pd.DataFrame | str | Path, regions_tsv, out_path, *, fasta, bin_size: int,
                        crop: int, blacklist_bed: str | None = None, aliases: dict[str, str] | None = None) -> dict:
    """Write the targets HDF5 of the regions TSV's windows x the table's tracks; return its summary.

    Table, windows, FASTA and bigWigs are all checked before anything is written; any failure leaves no output.
    `aliases` (FASTA name -> bigWig name), if given, must agree with the regions' bigwig_chrom.
    """
    table = read_targets_table(targets_table)
    regions = read_track_regions(regions_tsv)
    fa, sizes = open_fasta(fasta)
    bin_size, crop = int(bin_size), int(crop)
    seq_length, n_out, used = _check_regions(regions, regions_tsv, sizes, aliases, bin_size, crop)
    black = read_bed(blacklist_bed, sizes, dict(aliases or {})) if blacklist_bed else {}
    files, recipes = list(table["file"]), _recipes(table)
    summary = {"tracks": list(table["identifier"]), "groups": list(table["group"]),
               "descriptions": list(table["description"]), "bigwigs": files, "sum_stats": list(table["sum_stat"]),
               "scales": list(table["scale"]), "clip_softs": [None if np.isnan(c) else c for c in table["clip_soft"]],
               "clips": [None if np.isnan(c) else c for c in table["clip"]], "bin_size": bin_size,
               "seq_length": seq_length, "crop": crop, "n_bins": n_out, "n_windows": len(regions),
               "fasta": str(fasta), "blacklist": None if blacklist_bed is None else str(blacklist_bed)}
    chroms, starts = regions["chrom"].to_numpy(), regions["start"].to_numpy(np.int64)
    max_windows = max(1, BLOCK_BYTES // (4 * n_out * len(files)))
    with opened_bigwigs(files) as handles:
        for path, bw in zip(files, handles):
            check_bigwig_chroms(path, bw, used, sizes, partial_chroms(fa))
        with atomic_path(out_path) as tmp, new_hdf5(tmp) as h5:
            dset = h5.create_dataset("targets", shape=(len(regions), n_out, len(files)), dtype=np.float16,
                                     chunks=(1, n_out, len(files)))
            counter = Progress(len(regions), "windows")  # on the console: windows done / total
            labels, signal = regions["split"].to_numpy(), {}
            for i, j in blocks(chroms, starts, seq_length, max_span=BLOCK_BP, max_windows=max_windows):
                block = block_targets(handles, recipes, used[chroms[i]], starts[i:j], seq_length,
                                      bin_size=bin_size, crop=crop, blacklist=black.get(chroms[i], []))
                dset[i:j] = block
                for split in set(labels[i:j]):
                    rows = (block[labels[i:j] == split] != 0).any(axis=(0, 1))
                    signal[split] = signal.get(split, np.zeros(len(files), bool)) | rows
                counter.advance(j - i)
                check_writes(h5)
            summary["silent_tracks"] = check_held_out_signal(signal, list(table["identifier"]), files)
            summary["windows"] = _write_regions(h5, regions)
            h5.attrs["summary"] = json.dumps(summary)
            h5.attrs["tracks"] = json.dumps(summary["tracks"])
    log.info("built %s: %s", out_path, summary)
    return summary
