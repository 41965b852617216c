"""Akita-style Hi-C training regions: genome windows in train/val/test splits, minus windows with filtered bins.

The shared windowing (`regformer.data.genome_windows`: contigs between N runs and blacklist intervals, whole
contigs or held-out chromosomes per split, windows tiled inside contigs) is capped to the coolers' chromosome
lengths; then, as in Fudenberg et al. 2020, windows with too many filtered (NaN-weight) bins in any map are
dropped. The result is a TSV (chrom, start, end, split, cooler_chrom, filtered_<map>...) read by the targets step.
"""

from __future__ import annotations

import logging
import re

import cooler
import numpy as np
import pandas as pd

from regformer.chains.hic.coolers import check_cooler
from regformer.data.genome_windows import (check_window_settings, read_bed, read_windows_tsv, resolve_chromosomes,
                                           split_contigs, tile_contigs)
from regformer.data.splits import SPLITS
from regformer.errors import InputError
from regformer.io.atomic import atomic_path
from regformer.io.fasta import open_fasta

log = logging.getLogger(__name__)
BASE_COLUMNS = ["chrom", "start", "end", "split", "cooler_chrom"]


def filtered_fraction(weights: np.ndarray, starts: np.ndarray, n_bins: int, bin_size: int) -> np.ndarray:
    """Fraction of NaN-weight bins in each window [start, start + n_bins * bin_size) of one chromosome."""
    cum = np.concatenate(([0], np.cumsum(np.isnan(weights))))
    first = starts // bin_size
    return (cum[first + n_bins] - cum[first]) / n_bins


def _check_maps(cooler_uris: dict[str, str], max_filtered_fraction: float) -> None:
    """Fail on a filtered-bin threshold outside [0, 1] and on missing or oddly named maps (they name TSV columns)."""
    if not 0 <= max_filtered_fraction <= 1:
        raise InputError("max_filtered_fraction", f"{max_filtered_fraction} is not in [0, 1]", "use e.g. 0.5")
    if not cooler_uris:
        raise InputError("cooler_uris", "no coolers given", "give at least one map name -> cooler URI")
    for name in cooler_uris:
        if not re.fullmatch(r"[\w.+-]+", name):
            raise InputError("cooler_uris", f"map name {name!r} is not a plain word", "use letters, digits, _ . + -")


def _cooler_names(chroms: list[str], aliases: dict[str, str]) -> dict[str, str]:
    """FASTA chromosome -> cooler chromosome (through the alias table); two FASTA names may not share one."""
    used = {c: aliases.get(c, c) for c in chroms}
    if len(set(used.values())) < len(used):
        raise InputError("aliases", "two FASTA chromosomes map to the same cooler chromosome", "fix the alias table")
    return used


def add_filtered_fractions(table: pd.DataFrame, coolers: dict[str, cooler.Cooler], n_bins: int,
                           bin_size: int) -> None:
    """Add a filtered_<map> column per map: each window's share of NaN-weight bins (weights read once per chrom)."""
    for name, clr in coolers.items():
        frac = np.zeros(len(table))
        for chrom, idx in table.groupby("cooler_chrom", sort=False).indices.items():
            weights = clr.bins().fetch(chrom)["weight"].to_numpy(dtype=float)
            frac[idx] = filtered_fraction(weights, table["start"].to_numpy()[idx], n_bins, bin_size)
        table[f"filtered_{name}"] = frac


def _drop_filtered(table: pd.DataFrame, maps: list[str], max_filtered_fraction: float
                   ) -> tuple[pd.DataFrame, dict[str, int]]:
    """The windows with at most `max_filtered_fraction` filtered bins in every map, and the dropped count per split."""
    bad = (table[[f"filtered_{n}" for n in maps]] > max_filtered_fraction).any(axis=1).to_numpy()
    dropped = {s: int((bad & (table["split"] == s).to_numpy()).sum()) for s in SPLITS}
    return table[~bad].reset_index(drop=True), dropped


def define_regions(fasta_path, cooler_uris: dict[str, str], out_tsv, *, bin_size: int, seq_length: int,
                   train_stride: int, eval_stride: int, valid_chroms: list[str] | None = None,
                   test_chroms: list[str] | None = None, valid_fraction: float = 0.1, test_fraction: float = 0.1,
                   chromosomes: list[str] | None = None, aliases: dict[str, str] | None = None,
                   blacklist_bed: str | None = None, min_gap: int = 1000, max_filtered_fraction: float = 0.5,
                   length_tolerance: int = 0, seed: int = 0) -> dict:
    """Write the regions TSV (chrom, start, end, split, cooler_chrom, filtered_<map>...); return a summary.

    `valid_chroms` / `valid_fraction` fill split "val". A cooler chromosome may differ from the FASTA's by at most
    `length_tolerance` bp; windows stay within the shorter of the two. Checks everything that can be checked cheaply (config,
    names, resolution, balancing) before scanning the FASTA; nothing is written on any error.
    """
    aliases = dict(aliases or {})
    held = {"val": list(valid_chroms or []), "test": list(test_chroms or [])}
    fractions = {"val": valid_fraction, "test": test_fraction}
    check_window_settings(bin_size=bin_size, seq_length=seq_length, train_stride=train_stride,
                          eval_stride=eval_stride, fractions=fractions)
    _check_maps(cooler_uris, max_filtered_fraction)
    fa, sizes = open_fasta(fasta_path)
    chroms = resolve_chromosomes(fasta_path, sizes, chromosomes, held, seq_length)
    used = _cooler_names(chroms, aliases)
    coolers = {name: check_cooler(uri, used, sizes, bin_size, length_tolerance) for name, uri in cooler_uris.items()}
    blacklist = read_bed(blacklist_bed, sizes, aliases) if blacklist_bed else {}

    caps = {c: min([sizes[c]] + [int(clr.chromsizes[used[c]]) for clr in coolers.values()]) for c in chroms}
    contigs = split_contigs(fa, chroms, caps, held_out=held, fractions=fractions, seed=seed, min_gap=min_gap,
                            min_length=seq_length, blacklist=blacklist)
    table = tile_contigs(contigs, seq_length=seq_length, bin_size=bin_size, train_stride=train_stride,
                         eval_stride=eval_stride)
    table["cooler_chrom"] = table["chrom"].map(used)
    add_filtered_fractions(table, coolers, seq_length // bin_size, bin_size)
    table, dropped = _drop_filtered(table, list(coolers), max_filtered_fraction)
    windows = {s: int((table["split"] == s).sum()) for s in SPLITS}
    per_split = {s: int((contigs["split"] == s).sum()) for s in SPLITS}
    wanted = {"train": True, **{s: bool(held[s]) or fractions[s] > 0 for s in held}}
    for split in SPLITS:
        if wanted[split] and not windows[split]:
            raise InputError(fasta_path, f"no usable {split} window (seq_length {seq_length}, {dropped[split]} "
                             f"dropped for > {max_filtered_fraction} filtered bins, contigs: {per_split[split]})",
                             "use a smaller seq_length or stride, other held-out chromosomes or fractions, "
                             "or a larger max_filtered_fraction")
    with atomic_path(out_tsv) as tmp:
        table.to_csv(tmp, sep="\t", index=False, float_format="%.6g")
    summary = {"windows": windows, "dropped": dropped, "contigs": len(contigs), "contigs_per_split": per_split,
               "contig_length": int((contigs["end"] - contigs["start"]).sum()), "maps": list(cooler_uris)}
    log.info("regions %s: %s", out_tsv, summary)
    return summary


def read_regions(tsv) -> pd.DataFrame:
    """Read a Hi-C regions TSV and check its columns (with a filtered_<map> column), splits and coordinates."""
    return read_windows_tsv(tsv, BASE_COLUMNS, name_columns=("chrom", "cooler_chrom"), extra=["filtered_"])
