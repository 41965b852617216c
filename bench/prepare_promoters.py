"""Benchmark: prepare a DREAM-sized promoter library (6,739,258 lines by default); report time and peak memory.

    .venv/bin/python bench/prepare_promoters.py [--lines N] [--chunk-size N]

The library is random 110-bp-ish sequences in DREAM format (sequence<TAB>expression), with 1% exact
duplicates, written to a temporary folder. Peak RSS is the maximum resident set of this process.
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path

import numpy as np

from regformer.chains.promoter.prepare import prepare_promoter_dataset


def write_library(path: Path, n_lines: int, seed: int = 0, block: int = 500_000) -> None:
    rng = np.random.default_rng(seed)
    letters = np.frombuffer(b"ACGT", dtype=np.uint8)
    with open(path, "w") as fh:
        for start in range(0, n_lines, block):
            m = min(block, n_lines - start)
            seqs = letters[rng.integers(0, 4, size=(m, 110))].view("S110").ravel()
            dup = rng.random(m) < 0.01
            seqs[dup] = seqs[0]
            expr = rng.integers(0, 18, size=m)
            fh.write("".join(f"{s.decode()}\t{e}\n" for s, e in zip(seqs, expr)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=6_739_258)
    parser.add_argument("--chunk-size", type=int, default=200_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        lib = Path(tmp) / "library.txt"
        t0 = time.perf_counter()
        write_library(lib, args.lines)
        t1 = time.perf_counter()
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        summary = prepare_promoter_dataset(lib, Path(tmp) / "store.h5", Path(tmp) / "summary.json", chunk_size=args.chunk_size)
        t2 = time.perf_counter()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(json.dumps({
            "lines": args.lines, "file_mb": round(lib.stat().st_size / 2**20, 1), "write_s": round(t1 - t0, 1),
            "prepare_s": round(t2 - t1, 1), "lines_per_s": round(args.lines / (t2 - t1)),
            "peak_rss_mb_before_prepare": round(rss_before / 1024), "peak_rss_mb": round(peak / 1024),
            "n_duplicates": summary["n_duplicates"], "store_mb": round((Path(tmp) / "store.h5").stat().st_size / 2**20, 1),
        }, indent=2))


if __name__ == "__main__":
    main()
