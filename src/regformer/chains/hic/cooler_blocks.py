"""Windows of a cooler read in blocks: one raw-count fetch per block of nearby windows, each window sliced from it.

Reading is what a window-at-a-time build spends most on: cooler reads whole rows of the pixel table (trans
contacts included, gzip chunks decompressed) for every fetch, and a balanced plus a raw fetch per window read
each row twice per overlapping window (4 times at Akita's stride). Here each block's rows are read once, through
cooler's own `matrix(balance=False).fetch`, and the balanced window is that raw slice times the outer product of
the stored weights: the very expression cooler's `matrix(balance=True)` evaluates (`arr * np.outer(bias1, bias2)`
in cooler.api.matrix), on the same numbers, so every value equals a per-window balanced fetch (tests check it).
"""

from __future__ import annotations

from collections.abc import Iterator

import cooler
import numpy as np

Region = tuple[str, int, int]


def bin_weights(clr: cooler.Cooler, chrom: str) -> np.ndarray:
    """The chromosome's balancing weights as stored (dtype kept: cooler balances with the stored dtype)."""
    lo, hi = clr.extent(chrom)
    return np.asarray(clr.bins()["weight"][lo:hi])


def blocks(regions: list[Region], max_span: int) -> list[list[Region]]:
    """Runs of consecutive regions on one chromosome whose union spans at most max_span bp (order kept)."""
    out: list[list[Region]] = []
    for region in regions:
        if out:
            last = out[-1]
            lo, hi = min(r[1] for r in last + [region]), max(r[2] for r in last + [region])
            if last[0][0] == region[0] and hi - lo <= max_span:
                last.append(region)
                continue
        out.append([region])
    return out


def block_matrices(clr: cooler.Cooler, block: list[Region]) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(balanced, raw) dense matrices of each window of a block (one chromosome), in order, from one fetch.

    Equal to `clr.matrix(balance=True).fetch(w)` and `clr.matrix(balance=False).fetch(w)` for each window w, and,
    like those, fresh arrays: cooltools' adaptive_coarsegrain writes into float count matrices it is given.
    """
    chrom, lo, hi = block[0][0], min(r[1] for r in block), max(r[2] for r in block)
    raw = clr.matrix(balance=False).fetch((chrom, lo, hi))
    weights = bin_weights(clr, chrom)[lo // clr.binsize:hi // clr.binsize]
    for _, start, end in block:
        i, j = (start - lo) // clr.binsize, (end - lo) // clr.binsize
        counts = raw[i:j, i:j].copy()
        yield counts * np.outer(weights[i:j], weights[i:j]), counts
