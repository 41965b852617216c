"""Basenji-style training regions for bigWig tracks: genome windows in train/val/test splits.

The shared windowing (`regformer.data.genome_windows`: contigs between N runs, whole contigs, held-out
chromosomes or held-out regions per split, windows tiled inside contigs on the bin grid) is capped to the
bigWigs' chromosome lengths after checking that every bigWig is of the FASTA's assembly. The result is a TSV
(chrom, start, end, split, bigwig_chrom) read by the targets step; `chrom` is the FASTA's name.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from regformer.chains.tracks.bigwig import bigwig_names, check_bigwig_chroms, opened_bigwigs
from regformer.data.genome_windows import (check_window_settings, cut_held_regions, find_contigs, parse_held_regions,
                                           read_bed, read_windows_tsv, resolve_chromosomes, split_contigs, tile_contigs)
from regformer.data.splits import SPLITS
from regformer.errors import InputError
from regformer.io.atomic import atomic_path
from regformer.io.fasta import open_fasta, partial_chroms

log = logging.getLogger(__name__)
REGION_COLUMNS = ["chrom", "start", "end", "split", "bigwig_chrom"]


def _check_splits(fasta_path, fa, chroms, caps, table, contigs, *, held, regions, fractions, seq_length, bin_size,
                  min_gap) -> None:
    """Fail on a split that was asked for (held-out chromosomes or a fraction > 0) but got no window.

    When no contig holds even one window the message says so and gives the longest contig.
    """
    windows = {s: int((table["split"] == s).sum()) for s in SPLITS}
    wanted = {"train": True, **{s: bool(held[s]) or fractions[s] > 0 for s in held}}
    empty = [s for s in SPLITS if wanted[s] and not windows[s]]
    if not empty:
        return
    if table.empty:
        every, _ = cut_held_regions(find_contigs(fa, chroms, caps, min_gap=min_gap), regions, 1)
        longest = max((e - s for _, s, e in every), default=0)
        raise InputError(fasta_path, f"seq_length {seq_length} is longer than every contig (the longest, between "
                         f"N runs >= {min_gap} bp and held-out regions, is {longest} bp)",
                         f"use a seq_length <= {longest // bin_size * bin_size} (a multiple of bin_size), "
                         "a larger min_gap or longer valid_regions/test_regions")
    per_split = {s: int((contigs["split"] == s).sum()) for s in SPLITS}
    raise InputError(fasta_path, f"split(s) {', '.join(empty)} got no window (windows per split {windows}, "
                     f"contigs per split {per_split}, seq_length {seq_length})",
                     "hold out other chromosomes (valid_chroms/test_chroms) or regions at least seq_length long "
                     "(valid_regions/test_regions, e.g. for a one-chromosome data set), change valid_fraction/"
                     "test_fraction or split_seed, or use a smaller seq_length")


def define_track_regions(fasta_path, bigwig_paths: list[str], out_tsv, *, bin_size: int, seq_length: int,
                         train_stride: int, eval_stride: int, valid_chroms: list[str] | None = None,
                         test_chroms: list[str] | None = None, valid_fraction: float = 0.1,
                         test_fraction: float = 0.1, chromosomes: list[str] | None = None,
                         aliases: dict[str, str] | None = None, blacklist_bed: str | None = None,
                         min_gap: int = 1000, seed: int = 0, valid_regions: list[str] | None = None,
                         test_regions: list[str] | None = None) -> dict:
    """Write the regions TSV (chrom, start, end, split, bigwig_chrom); return a summary.

    `valid_chroms` / `valid_regions` (e.g. "22:20000001-20500000", 1-based) / `valid_fraction` fill split "val";
    `aliases` maps FASTA names to bigWig names. The blacklist does not remove windows (as in Basenji: its bases
    are set to the baseline by the targets step); it is only checked here. Config and bigWigs are checked before
    the FASTA is scanned; nothing is written on any error.
    """
    aliases = dict(aliases or {})
    held = {"val": list(valid_chroms or []), "test": list(test_chroms or [])}
    fractions = {"val": valid_fraction, "test": test_fraction}
    check_window_settings(bin_size=bin_size, seq_length=seq_length, train_stride=train_stride,
                          eval_stride=eval_stride, fractions=fractions)
    if not bigwig_paths:
        raise InputError("bigwig_paths", "no bigWig given", "give at least one bigWig (the targets table's files)")
    fa, sizes = open_fasta(fasta_path)
    chroms = resolve_chromosomes(fasta_path, sizes, chromosomes, held, seq_length)
    used = bigwig_names(chroms, aliases)
    caps = {c: sizes[c] for c in chroms}
    with opened_bigwigs(list(bigwig_paths)) as handles:
        for path, bw in zip(bigwig_paths, handles):
            check_bigwig_chroms(path, bw, used, sizes, partial_chroms(fa))
            caps = {c: min(caps[c], int(bw.chroms()[used[c]])) for c in chroms}
    if blacklist_bed:
        read_bed(blacklist_bed, sizes, aliases)  # checked now; applied to the targets
    regions = parse_held_regions({"val": valid_regions, "test": test_regions}, "valid_regions/test_regions", caps, held)
    contigs = split_contigs(fa, chroms, caps, held_out=held, fractions=fractions, seed=seed, min_gap=min_gap,
                            min_length=seq_length, held_regions=regions)
    table = tile_contigs(contigs, seq_length=seq_length, bin_size=bin_size, train_stride=train_stride,
                         eval_stride=eval_stride)
    table["bigwig_chrom"] = table["chrom"].map(used)
    held_any = {s: held[s] + [f"{c}:{a + 1}-{b}" for c, a, b in regions[s]] for s in held}
    _check_splits(fasta_path, fa, chroms, caps, table, contigs, held=held_any, regions=regions, fractions=fractions,
                  seq_length=seq_length, bin_size=bin_size, min_gap=min_gap)
    with atomic_path(out_tsv) as tmp:
        table[REGION_COLUMNS].to_csv(tmp, sep="\t", index=False)
    summary = {"windows": {s: int((table["split"] == s).sum()) for s in SPLITS}, "contigs": len(contigs),
               "contigs_per_split": {s: int((contigs["split"] == s).sum()) for s in SPLITS},
               "contig_length": int((contigs["end"] - contigs["start"]).sum()),
               "bigwigs": [str(p) for p in bigwig_paths]}
    log.info("regions %s: %s", out_tsv, summary)
    return summary


def read_track_regions(tsv) -> pd.DataFrame:
    """Read a tracks regions TSV and check its columns, splits and coordinates."""
    return read_windows_tsv(tsv, REGION_COLUMNS, name_columns=("chrom", "bigwig_chrom"))
