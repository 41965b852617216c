"""Benchmark: Basenji track targets, build_track_targets (one bigWig read per block of nearby windows) against a
one-window-at-a-time pyBigWig loop with the same recipe (window_targets); checks that the values are identical.

    .venv/bin/python bench/build_track_targets.py [--data DIR] [--seq-length 17920] [--train-stride 4480]
                                                  [--eval-stride 8960] [--crop 30] [--repeats 5]

Default input: the five real yeast bigWigs (MNase, PolII, Scc1, RNA fwd/rev; tidyCoverage, MIT) and the R64 FASTA
of chromosomes II, IV and XVI in /work/shared/data/real/tracks; windows of the Genomic Interpreter geometry
(17,920 bp, 128-bp bins, crop 30 -> 80 bins) from define_track_regions (val XVI, test II, train IV at a quarter
window, val/test at half a window). Prints windows/s (best of --repeats) of the loop, of the block reader alone
(same scope as the loop: bigWig reads and the recipe, in memory) and of the whole build_track_targets (checks of
table, regions, FASTA and bigWigs plus the HDF5 write), the speed-ups over the loop, and the largest absolute
differences: stored float16 vs the loop rounded to float16, and block reader vs loop in float32.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import h5py
import numpy as np
import pandas as pd

from regformer.chains.tracks.bigwig import opened_bigwigs
from regformer.chains.tracks.regions import define_track_regions, read_track_regions
from regformer.chains.tracks.targets import (BLOCK_BP, block_targets, blocks, build_track_targets, read_targets_table,
                                            window_targets)

DATA = Path("/work/shared/data/real/tracks")
NAMES = {"MNase": "dnase", "PolII": "chip", "Scc1": "chip", "RNA.fwd": "cage", "RNA.rev": "cage"}


def targets_table(data: Path) -> pd.DataFrame:
    """All five tracks, summed per bin, soft clip 32 and clip 384 (Basenji's CAGE settings) so clipping is used."""
    return pd.DataFrame({"identifier": list(NAMES), "file": [str(data / f"yeast_{n}.bw") for n in NAMES],
                         "description": list(NAMES), "group": list(NAMES.values()), "sum_stat": "sum",
                         "clip": 384.0, "clip_soft": 32.0, "scale": 1.0})


def recipes_of(table: pd.DataFrame) -> list[dict]:
    return [dict(sum_stat=r.sum_stat, scale=r.scale, clip_soft=r.clip_soft, clip=r.clip)
            for r in table.itertuples(index=False)]


def loop(table: pd.DataFrame, regions: pd.DataFrame, bin_size: int, crop: int) -> np.ndarray:
    """The reference: one pyBigWig read per window and track (Basenji's way), bigWigs opened once."""
    recipes = recipes_of(table)
    with opened_bigwigs(list(table["file"])) as handles:
        return np.stack([window_targets(handles, recipes, c, int(s), int(e), bin_size=bin_size, crop=crop)
                         for c, s, e in zip(regions["bigwig_chrom"], regions["start"], regions["end"])])


def block_reader(table: pd.DataFrame, regions: pd.DataFrame, seq_length: int, bin_size: int, crop: int) -> np.ndarray:
    """The block reader alone, in memory: the blocks build_track_targets reads, one bigWig read per block."""
    chroms, starts = regions["bigwig_chrom"].to_numpy(), regions["start"].to_numpy(np.int64)
    recipes = recipes_of(table)
    with opened_bigwigs(list(table["file"])) as handles:
        return np.concatenate([block_targets(handles, recipes, chroms[i], starts[i:j], seq_length,
                                             bin_size=bin_size, crop=crop)
                               for i, j in blocks(chroms, starts, seq_length, max_span=BLOCK_BP, max_windows=1 << 20)])


def best_of(repeats: int, fn) -> tuple[float, object]:
    """Shortest wall time of `repeats` calls, and the last result."""
    times, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--seq-length", type=int, default=17_920)
    parser.add_argument("--train-stride", type=int, default=4_480)
    parser.add_argument("--eval-stride", type=int, default=8_960)
    parser.add_argument("--bin-size", type=int, default=128)
    parser.add_argument("--crop", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=5)
    a = parser.parse_args()
    fasta, table = a.data / "sacCer3_R64_chrII_IV_XVI.fa", read_targets_table(targets_table(a.data))
    with tempfile.TemporaryDirectory() as tmp:
        tsv, out = Path(tmp) / "regions.tsv", Path(tmp) / "targets.h5"
        define_track_regions(fasta, list(table["file"]), tsv, bin_size=a.bin_size, seq_length=a.seq_length,
                             train_stride=a.train_stride, eval_stride=a.eval_stride, valid_chroms=["XVI"],
                             test_chroms=["II"])
        regions = read_track_regions(tsv)
        loop_s, one_by_one = best_of(a.repeats, lambda: loop(table, regions, a.bin_size, a.crop))
        block_s, blocked = best_of(a.repeats, lambda: block_reader(table, regions, a.seq_length, a.bin_size, a.crop))
        build_s, _ = best_of(a.repeats, lambda: build_track_targets(table, tsv, out, fasta=fasta, bin_size=a.bin_size,
                                                                     crop=a.crop))
        with h5py.File(out, "r") as h5:
            built = h5["targets"][:].astype(np.float32)
    n = len(regions)
    print(json.dumps({
        "windows": n, "windows_per_split": regions["split"].value_counts().to_dict(), "tracks": len(table),
        "seq_length": a.seq_length, "train_stride": a.train_stride, "eval_stride": a.eval_stride,
        "n_bins": a.seq_length // a.bin_size - 2 * a.crop,
        "one_window_at_a_time_windows_per_s": round(n / loop_s, 1),
        "block_reader_windows_per_s": round(n / block_s, 1), "block_reader_speedup": round(loop_s / block_s, 2),
        "build_track_targets_windows_per_s": round(n / build_s, 1), "build_track_targets_speedup":
        round(loop_s / build_s, 2), "seconds": {"loop": round(loop_s, 4), "block_reader": round(block_s, 4),
                                                "build_track_targets": round(build_s, 4)},
        "max_abs_diff_float16_store_vs_loop": float(np.abs(built - one_by_one.astype(np.float16)).max()),
        "max_abs_diff_float32_block_vs_loop": float(np.abs(blocked - one_by_one).max()),
    }, indent=2))


if __name__ == "__main__":
    main()
