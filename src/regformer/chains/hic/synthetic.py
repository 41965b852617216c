"""A synthetic genome with Hi-C maps whose 3D structure follows planted CTCF-like motifs (the Akita demo data).

The genome is random (GC 0.41) with one assembly gap (a run of N) in the first chromosome. The 19 bp CTCF
core consensus (JASPAR MA0139.1) is planted in both orientations every ~`site_spacing` bp. "Strong" sites
(exact consensus) are bound in every map, "weak" sites (2 fixed positions mutated) only in maps with index >= 1,
so the maps differ in a way the sequence predicts. Expected contacts follow a loop-extrusion cartoon:
s^-1 distance decay; every bound site insulates (contacts across it are depleted); a bound forward site and the
nearest bound reverse site downstream form a convergent pair, giving an enriched domain and a focal dot at the
anchors. A per-bin visibility bias multiplies the map and counts are Poisson draws, so balancing has real work.
Each map is written as a balanced .mcool, and the noise-free (biased, expected) map as a second float .mcool.
The genome and sites are made in `synthetic_genome`, the expected contacts and .mcool files in `synthetic_maps`;
this module checks the arguments and runs both with one seeded random generator.
"""

from __future__ import annotations

import time

import cooler
import numpy as np
import pandas as pd

from regformer.chains.hic.synthetic_genome import CTCF_CORE, make_genome, write_fasta
from regformer.chains.hic.synthetic_maps import (BACKGROUND_FRACTION, VISIBILITY_SD, background_pairs, band_pixels,
                                                 expected_band, write_mcool)
from regformer.errors import InputError
from regformer.io.atomic import atomic_path


def _check_args(cooler_paths, noise_free_paths, chrom_lengths, bin_size, site_spacing, max_loop_length,
                contacts_per_map, gap_length, max_distance_bins) -> None:
    """Raise InputError for arguments the simulation cannot honour."""
    if not cooler_paths or list(cooler_paths) != list(noise_free_paths):
        raise InputError("cooler_paths/noise_free_paths", f"map names differ or are empty ({list(cooler_paths)} "
                         f"vs {list(noise_free_paths)})",
                         "give one .mcool path per map in both, with the same keys in the same order")
    if not chrom_lengths:
        raise InputError("chrom_lengths", "is empty", "give at least one chromosome, e.g. {'chr1': 2_000_000}")
    if int(bin_size) <= 0:
        raise InputError("bin_size", f"must be positive, got {bin_size}", "use e.g. 512")
    if int(max_distance_bins) < 2:
        raise InputError("max_distance_bins", f"must be >= 2, got {max_distance_bins}", "use e.g. 320")
    for name, length in chrom_lengths.items():
        if int(length) < 4 * site_spacing or int(length) < 8 * bin_size:
            raise InputError("chrom_lengths", f"{name} is {length} bp, shorter than 4 site spacings "
                             f"({4 * site_spacing} bp) or 8 bins", "use longer chromosomes or a smaller site_spacing")
    if site_spacing < 2 * bin_size or site_spacing < 4 * len(CTCF_CORE):
        raise InputError("site_spacing", f"{site_spacing} bp is below 2 bins ({2 * bin_size} bp)",
                         "space sites at least two bins apart so each bin holds at most one site")
    if max_loop_length < bin_size:
        raise InputError("max_loop_length", f"{max_loop_length} bp is below one bin", "use e.g. 400_000")
    if not contacts_per_map > 0:
        raise InputError("contacts_per_map", f"must be positive, got {contacts_per_map}", "use e.g. 3e7")
    first, first_len = next(iter(chrom_lengths.items()))
    if not 0 <= gap_length <= first_len // 4:
        raise InputError("gap_length", f"{gap_length} bp does not fit in {first} ({first_len} bp; at most a quarter)",
                         "use 0 (no gap) or a shorter gap")


def simulate_hic(fasta_path, cooler_paths: dict[str, str], noise_free_paths: dict[str, str], sites_bed, *,
                 chrom_lengths: dict[str, int], bin_size: int = 512, site_spacing: int = 25_000,
                 max_loop_length: int = 400_000, contacts_per_map: float = 3e7, gap_length: int = 30_000,
                 seed: int = 0, max_distance_bins: int = 320) -> dict:
    """Write the genome (FASTA + .fai), the sites BED, and per map a noisy and a noise-free balanced .mcool.

    Contacts are simulated for |i - j| <= `max_distance_bins` (320 x 512 bp covers 2^17 bp windows);
    `contacts_per_map` is the expected total count of each map. Returns a summary dict.
    """
    t0 = time.perf_counter()
    chrom_lengths = {str(k): int(v) for k, v in chrom_lengths.items()}
    _check_args(cooler_paths, noise_free_paths, chrom_lengths, bin_size, site_spacing, max_loop_length,
                contacts_per_map, gap_length, max_distance_bins)
    rng = np.random.default_rng(seed)
    seqs, sites, gap = make_genome(chrom_lengths, gap_length, site_spacing, bin_size, rng)
    write_fasta(fasta_path, seqs)
    with atomic_path(sites_bed) as tmp:
        sites.to_csv(tmp, sep="\t", header=False, index=False)
    bins = cooler.binnify(pd.Series(chrom_lengths), bin_size)
    summary = {"maps": list(cooler_paths), "bin_size": bin_size, "n_bins": len(bins), "genome_length":
               sum(chrom_lengths.values()), "gap": list(gap), "n_sites": sites["name"].value_counts().to_dict(),
               "n_sites_by_strand": sites["strand"].value_counts().to_dict(), "max_distance_bins": max_distance_bins,
               "n_loops": {}, "total_contacts": {}, "seed": seed}
    bg = background_pairs(bins, gap, bin_size, max_distance_bins, rng)
    jc = np.minimum(np.arange(len(bins))[:, None] + np.arange(max_distance_bins + 1)[None, :], len(bins) - 1)
    for m, name in enumerate(cooler_paths):
        band, n_loops = expected_band(bins, sites, gap, m, bin_size=bin_size, max_loop_length=max_loop_length,
                                      max_distance_bins=max_distance_bins)
        visibility = rng.lognormal(0.0, VISIBILITY_SD, size=len(bins))
        band *= visibility[:, None] * visibility[jc]
        band *= (1 - BACKGROUND_FRACTION) * contacts_per_map / np.nansum(band)
        bg_expected = visibility[bg[0]] * visibility[bg[1]]
        bg_expected *= BACKGROUND_FRACTION * contacts_per_map / bg_expected.sum()
        counts = np.where(np.isnan(band), 0, rng.poisson(np.nan_to_num(band))).astype(float)
        bg_counts = rng.poisson(bg_expected).astype(float)
        write_mcool(cooler_paths[name], bins, band_pixels(counts, bg, bg_counts), bin_size, float_counts=False)
        write_mcool(noise_free_paths[name], bins, band_pixels(band, bg, bg_expected), bin_size, float_counts=True)
        summary["n_loops"][name] = n_loops
        summary["total_contacts"][name] = int(counts.sum() + bg_counts.sum())
    summary["seconds"] = round(time.perf_counter() - t0, 2)
    return summary
