"""Benchmark: cell-sentence building (regformer.chains.scatac.sentences) from a streamed sparse cell x tile matrix.

    .venv/bin/python bench/build_sentences.py [--cells 100000] [--tiles 600000] [--open 3000] [--out /tmp/s.h5]

Random chunks of cells (each with about --open open tiles on 23 chromosomes) are generated and written one
chunk at a time, as the workflow reads cells_qc.h5ad: peak memory follows the chunk, never the whole matrix.
Prints time, peak resident memory, tokens written and the store's size as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time

import numpy as np
import scipy.sparse as sp

from regformer.chains.scatac.sentences import write_sentence_store


def random_chunks(n_cells: int, n_tiles: int, n_open: int, chunk: int, seed: int = 0):
    """CSR chunks of `chunk` cells with Poisson(n_open) open tiles each (uniform over the tiles)."""
    rng = np.random.default_rng(seed)
    for start in range(0, n_cells, chunk):
        rows = min(chunk, n_cells - start)
        counts = rng.poisson(n_open, rows)
        indptr = np.r_[0, np.cumsum(counts)]
        indices = rng.integers(0, n_tiles, indptr[-1])
        matrix = sp.csr_matrix((np.ones(len(indices), np.float32), indices, indptr), shape=(rows, n_tiles))
        matrix.sum_duplicates()
        yield matrix


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=100_000)
    parser.add_argument("--tiles", type=int, default=600_000)
    parser.add_argument("--open", type=int, default=3000, help="mean open tiles per cell")
    parser.add_argument("--chunk", type=int, default=2048)
    parser.add_argument("--max-length", type=int, default=6800)
    parser.add_argument("--out", default="/tmp/regformer_sentence_bench.h5")
    args = parser.parse_args()
    n_chroms = 23
    tile_chrom = np.repeat(np.arange(n_chroms), -(-args.tiles // n_chroms))[:args.tiles]
    start = time.perf_counter()
    summary = write_sentence_store(args.out, random_chunks(args.cells, args.tiles, args.open, args.chunk),
                                   chroms=[f"chr{i + 1}" for i in range(n_chroms)], tile_chrom=tile_chrom,
                                   tile_start=np.zeros(args.tiles, np.int64), barcodes=[f"c{i}" for i in range(args.cells)],
                                   bin_size=5000, max_length=args.max_length)
    elapsed = time.perf_counter() - start
    print(json.dumps({"cells": args.cells, "tiles": args.tiles, "mean_open": args.open, "seconds": round(elapsed, 1),
                      "cells_per_s": round(args.cells / elapsed), "peak_rss_gb": round(
                          resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2),
                      "tokens": round(summary["mean_length"] * args.cells), "n_truncated": summary["n_truncated"],
                      "store_gb": round(os.path.getsize(args.out) / 2**30, 2)}))
    os.remove(args.out)


if __name__ == "__main__":
    main()
