"""The demo's scATAC data: 10x-style fragments of a few cell types, with their chromosome sizes, labels and genes.

Each type opens the shared peaks and its own; a cell draws a log-normal number of fragments, a share of them
(frip) in its type's peaks (weighted by a gamma-distributed peak strength), the rest anywhere. Fragment lengths
mix nucleosome-free (~80 bp), mono- (~200 bp) and di-nucleosome (~390 bp) fragments. A gene is placed at each
shared peak (its TSS at the peak centre), so TSS enrichment has something to find.
"""

from __future__ import annotations

import gzip
import logging
from pathlib import Path

import numpy as np
import pandas as pd

from regformer.io.atomic import atomic_path

log = logging.getLogger(__name__)

LENGTH_MIX = ((0.5, 80, 25), (0.35, 200, 30), (0.15, 390, 40))  # (share, mean, sd) of fragment lengths


def _peaks(rng, chrom_lengths: dict[str, int], n: int, bin_size: int) -> pd.DataFrame:
    """n distinct peak centres, at most one per bin_size tile, away from chromosome ends."""
    tiles = [(c, t) for c, length in chrom_lengths.items() for t in range(1, length // bin_size - 1)]
    pick = rng.choice(len(tiles), n, replace=False)
    chrom = [tiles[i][0] for i in pick]
    centre = [tiles[i][1] * bin_size + int(rng.integers(1000, bin_size - 1000)) for i in pick]
    return pd.DataFrame({"chrom": chrom, "centre": centre, "strength": rng.gamma(2.0, 0.5, n)})


def _lengths(rng, n: int) -> np.ndarray:
    share, mean, sd = map(np.array, zip(*LENGTH_MIX))
    kind = rng.choice(len(share), n, p=share / share.sum())
    return np.clip(rng.normal(mean[kind], sd[kind]), 30, 800).astype(np.int64)


def simulate_scatac(fragments_path, chrom_sizes_path, labels_path, gtf_path, *, chrom_lengths: dict[str, int],
                    cell_types: int = 3, cells_per_type: int = 60, shared_peaks: int = 120, type_peaks: int = 80,
                    mean_fragments: float = 800.0, depth_sd: float = 0.4, frip: float = 0.5, bin_size: int = 5000,
                    seed: int = 4) -> dict:
    """Write the four files (fragments bgzip-free gzip, sorted by position); return a summary."""
    rng = np.random.default_rng(seed)
    peaks = _peaks(rng, chrom_lengths, shared_peaks + cell_types * type_peaks, bin_size)
    peaks["owner"] = np.r_[np.full(shared_peaks, -1), np.repeat(np.arange(cell_types), type_peaks)]
    names = list(chrom_lengths)
    offsets = np.cumsum([0] + [chrom_lengths[c] for c in names])
    rows, labels = [], []
    for t in range(cell_types):
        mine = peaks[(peaks.owner == -1) | (peaks.owner == t)]
        weight = mine.strength.to_numpy() / mine.strength.sum()
        for i in range(cells_per_type):
            barcode = f"T{t}_{i:03d}"
            labels.append((barcode, f"type{t}"))
            n = max(50, int(rng.lognormal(np.log(mean_fragments), depth_sd)))
            n_peak = rng.binomial(n, frip)
            pick = rng.choice(len(mine), n_peak, p=weight)
            mid_peak = mine.centre.to_numpy()[pick] + rng.normal(0, 150, n_peak).astype(np.int64)
            chrom_peak = mine.chrom.to_numpy()[pick]
            genome_pos = rng.integers(0, offsets[-1], n - n_peak)
            chrom_bg = np.searchsorted(offsets, genome_pos, side="right") - 1
            mid = np.r_[mid_peak, genome_pos - offsets[chrom_bg]]
            chrom = np.r_[chrom_peak, np.array(names)[chrom_bg]]
            length = _lengths(rng, n)
            start = np.maximum(mid - length // 2, 0)
            end = np.minimum(start + length, [chrom_lengths[c] for c in chrom])
            rows.append(pd.DataFrame({"chrom": chrom, "start": start, "end": end, "barcode": barcode, "count": 1}))
    frags = pd.concat(rows, ignore_index=True)
    frags["order"] = frags.chrom.map({c: k for k, c in enumerate(names)})
    frags = frags.sort_values(["order", "start", "end", "barcode"]).drop(columns="order")
    with atomic_path(fragments_path) as tmp, gzip.open(tmp, "wt") as fh:
        frags.to_csv(fh, sep="\t", header=False, index=False)
    with atomic_path(chrom_sizes_path) as tmp:
        Path(tmp).write_text("".join(f"{c}\t{n}\n" for c, n in chrom_lengths.items()))
    with atomic_path(labels_path) as tmp:
        pd.DataFrame(labels, columns=["barcode", "cell_type"]).to_csv(tmp, sep="\t", index=False)
    shared = peaks[peaks.owner == -1]
    gtf = [f"{r.chrom}\tsim\t{kind}\t{r.centre + 1}\t{r.centre + 2000}\t.\t+\t.\tgene_id \"g{k}\"; "
           f"transcript_id \"t{k}\"; gene_name \"G{k}\"; gene_type \"protein_coding\";\n"
           for k, r in enumerate(shared.itertuples()) for kind in ("gene", "transcript", "exon")]
    with atomic_path(gtf_path) as tmp:
        Path(tmp).write_text("".join(gtf))
    summary = {"n_cells": len(labels), "n_fragments": int(len(frags)), "n_peaks": int(len(peaks))}
    log.info("synthetic scATAC: %s", summary)
    return summary
