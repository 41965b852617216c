"""Benchmark: Akita target building, build_targets (blocks of overlapping windows, worker processes) against a
one-window-at-a-time loop of window_target with the same recipe; checks that the values agree.

    .venv/bin/python bench/build_hic_targets.py [--cooler URI] [--window-bins 256] [--stride-bins 64] [--workers 2]
        [--repeats 5] [--phases]

Default input: the real yeast W303 2 kb cooler in tests/data (every chromosome, windows at Akita's train
stride of a quarter window). The two are timed alternately --repeats times (a busy machine slows both alike);
the speedup is best-of against best-of, medians are printed too. Prints windows/s of both and the largest
absolute difference before float16. --phases adds where build_targets' CPU time goes: reading the blocks
(cooler) and the per-window recipe (cooltools, scipy), best of --repeats.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import tempfile
import time
from pathlib import Path

import cooler
import h5py
import numpy as np

from regformer.chains.hic import targets
from regformer.chains.hic.cooler_blocks import block_matrices, blocks
from regformer.chains.hic.regions import filtered_fraction
from regformer.chains.hic.targets import build_targets, window_target
from regformer.data.genome_windows import tile_windows

DEFAULT = str(Path(__file__).resolve().parents[1] / "tests" / "data" / "hic" / "yeast_W303_G1_2kb_SRR8769554.cool")


def windows(clr: cooler.Cooler, window_bins: int, stride_bins: int, max_filtered: float = 0.5) -> list:
    """Akita-style windows over every chromosome, minus those with more than max_filtered NaN-weight bins."""
    out = []
    size = window_bins * clr.binsize
    for chrom, length in clr.chromsizes.items():
        weights = np.asarray(clr.bins().fetch(chrom)["weight"], dtype=float)
        starts = tile_windows(0, int(length), bin_size=clr.binsize, seq_length=size, stride=stride_bins * clr.binsize)
        keep = filtered_fraction(weights, starts, window_bins, clr.binsize) <= max_filtered
        out += [(chrom, int(start), int(start) + size) for start in starts[keep]]
    return out


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (build_targets' worker processes)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def phases(clr: cooler.Cooler, regions: list, params: dict, repeats: int) -> dict:
    """Best-of CPU seconds of build_targets' two stages on one core: cooler reads, then the per-window recipe."""
    span = targets.block_span(regions[0][2] - regions[0][1], clr.binsize)
    read, recipe = [], []
    for _ in range(repeats):
        start = time.process_time()
        matrices = [m for block in blocks(regions, span) for m in block_matrices(clr, block)]
        read.append(time.process_time() - start)
        start = time.process_time()
        for balanced, raw in matrices:
            targets.process_window(balanced, raw, **params)
        recipe.append(time.process_time() - start)
    return {"phase_read_cpu_s": round(min(read), 3), "phase_recipe_cpu_s": round(min(recipe), 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cooler", default=DEFAULT)
    parser.add_argument("--window-bins", type=int, default=256)
    parser.add_argument("--stride-bins", type=int, default=64)
    parser.add_argument("--crop", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--phases", action="store_true", help="also time build_targets' read and recipe stages")
    args = parser.parse_args()
    clr = cooler.Cooler(args.cooler)
    regions = windows(clr, args.window_bins, args.stride_bins)
    params = dict(crop=args.crop, diagonal_offset=2)

    window_target(clr, regions[0], **params)  # compile cooltools' numba kernels before timing either
    loop_times, build_times, loop_cpu, build_cpu = [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "targets.h5"
        for _ in range(args.repeats):
            start, cpu = time.perf_counter(), cpu_seconds()
            one_by_one = np.stack([window_target(clr, region, **params) for region in regions])
            loop_times.append(time.perf_counter() - start)
            loop_cpu.append(cpu_seconds() - cpu)
            start, cpu = time.perf_counter(), cpu_seconds()
            build_targets({"map": args.cooler}, regions, out, bin_size=clr.binsize, workers=args.workers, **params)
            build_times.append(time.perf_counter() - start)
            build_cpu.append(cpu_seconds() - cpu)
        with h5py.File(out, "r") as h5:
            built = h5["targets"][:, :, 0].astype(np.float32)
    loop_seconds, build_seconds = min(loop_times), min(build_times)
    result = {
        "cooler": args.cooler, "windows": len(regions), "window_bins": args.window_bins, "stride_bins": args.stride_bins,
        "one_window_at_a_time_s": round(loop_seconds, 2),
        "one_window_at_a_time_windows_per_s": round(len(regions) / loop_seconds, 1),
        "build_targets_s": round(build_seconds, 2), "build_targets_workers": args.workers,
        "build_targets_windows_per_s": round(len(regions) / build_seconds, 1),
        "speedup": round(loop_seconds / build_seconds, 2),
        "repeats": args.repeats, "one_window_at_a_time_median_s": round(statistics.median(loop_times), 2),
        "build_targets_median_s": round(statistics.median(build_times), 2),
        "speedup_of_medians": round(statistics.median(loop_times) / statistics.median(build_times), 2),
        # CPU seconds (workers included) are what a busy machine distorts least
        "one_window_at_a_time_cpu_s": round(min(loop_cpu), 3), "build_targets_cpu_s": round(min(build_cpu), 3),
        "cpu_ratio": round(min(loop_cpu) / min(build_cpu), 2),
        # the store is float16: compare against the loop's values rounded the same way, and before rounding
        "max_abs_diff_float16": float(np.abs(built - one_by_one.astype(np.float16).astype(np.float32)).max()),
        "max_abs_diff_vs_float32_loop": float(np.abs(built - one_by_one).max()),
    }
    if args.phases:
        result.update(phases(clr, regions, params, args.repeats))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
