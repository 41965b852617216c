"""A synthetic genome with three bigWig tracks that its planted motifs explain (the tracks chain's demo data).

A random genome (4 x 500 kb by default, GC 0.41, one assembly gap) carries planted motifs (see
`synthetic_genome`): a DNase-like accessibility track peaks at a pioneer motif (and at promoters and
enhancers), a ChIP-like track has narrow peaks at another motif, and a CAGE-like track has sharp TSS peaks at
core promoters whose strength is multiplied by 1 + enhancer_gain x (enhancer motifs 2-4 kb upstream): beyond
a small CNN's receptive field, within a transformer's window. Each track is written as a bigWig of Poisson
counts and, for the noise ceiling, as a noise-free bigWig of the expected counts; a Basenji targets table
(identifier, file, description, group, sum_stat, clip, clip_soft, scale) lists the noisy files. Everything
is written atomically from one seeded generator: the same arguments give the same files.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from regformer.chains.hic.synthetic_genome import write_fasta
from regformer.chains.tracks.synthetic_genome import ENHANCER_WINDOW, enhancer_counts, make_track_genome, scan_sites
from regformer.chains.tracks.synthetic_signal import TRACKS, expected_counts, write_bigwig
from regformer.errors import InputError
from regformer.io.atomic import atomic_path

DEFAULT_CHROM_LENGTHS = {f"chr{i}": 500_000 for i in range(1, 5)}
# description, clip_soft, clip: above the noise-free peaks at depth 1 (DNase/ChIP <= ~70, CAGE <= ~150 reads per
# 128-bp bin), so clipping tames only Poisson outliers and deeper simulations
TABLE = {"dnase": ("synthetic DNase-seq: peaks at accessibility motifs, promoters and enhancers", 96.0, 384.0),
         "chip": ("synthetic ChIP-seq: narrow peaks at the AP-1-like motif", 96.0, 384.0),
         "cage": ("synthetic CAGE: promoter TSS peaks, boosted by enhancers 2-4 kb upstream", 192.0, 768.0)}
MIN_PROMOTER_SPACING = 10_200  # 0.8 x spacing must exceed two enhancer windows, so promoters never share one


def _check_args(bigwig_paths, noise_free_paths, chrom_lengths, resolution, gap_length, promoter_spacing,
                access_spacing, chip_spacing, enhancer_gain, depth) -> None:
    """Raise InputError for arguments the simulation cannot honour."""
    for name, paths in (("bigwig_paths", bigwig_paths), ("noise_free_paths", noise_free_paths)):
        if sorted(paths) != sorted(TRACKS):
            raise InputError(name, f"has tracks {sorted(paths)}", f"give one path for each of {', '.join(TRACKS)}")
    if not chrom_lengths or min(chrom_lengths.values()) < max(50_000, 3 * promoter_spacing):
        raise InputError("chrom_lengths", f"{chrom_lengths} is empty or has a chromosome shorter than "
                         f"{max(50_000, 3 * promoter_spacing)} bp", "use e.g. 4 chromosomes of 500_000 bp")
    if not 1 <= resolution <= 128:
        raise InputError("resolution", f"{resolution} bp is not in 1..128", "use 1 or 10")
    first, first_len = next(iter(chrom_lengths.items()))
    if not 0 <= gap_length <= first_len // 4:
        raise InputError("gap_length", f"{gap_length} bp does not fit in {first} ({first_len} bp; at most a quarter)",
                         "use 0 (no gap) or a shorter gap")
    if promoter_spacing < MIN_PROMOTER_SPACING or min(access_spacing, chip_spacing) < 200:
        raise InputError("promoter_spacing/access_spacing/chip_spacing", f"{promoter_spacing}/{access_spacing}/"
                         f"{chip_spacing} bp are too dense", f"use >= {MIN_PROMOTER_SPACING} for promoters (their "
                         f"{ENHANCER_WINDOW[1]}-bp enhancer windows must not overlap) and >= 200 for the others")
    if not (enhancer_gain >= 0 and depth > 0):
        raise InputError("enhancer_gain/depth", f"{enhancer_gain}/{depth}", "use enhancer_gain >= 0 and depth > 0")


def write_targets_table(path, files: dict[str, str]) -> pd.DataFrame:
    """The Basenji targets table of the three tracks (sum pooling, scale 1), written atomically."""
    table = pd.DataFrame([{"identifier": t, "file": str(files[t]), "description": TABLE[t][0], "group": t,
                           "sum_stat": "sum", "clip": TABLE[t][2], "clip_soft": TABLE[t][1], "scale": 1.0}
                          for t in files])
    with atomic_path(path) as tmp:
        table.to_csv(tmp, sep="\t", index=False)
    return table


def simulate_tracks(fasta_path, bigwig_paths: dict[str, str], noise_free_paths: dict[str, str], targets_tsv, *,
                    chrom_lengths: dict[str, int] | None = None, seed: int = 0, resolution: int = 10,
                    gap_length: int = 20_000, promoter_spacing: int = 12_000, access_spacing: int = 3_000,
                    chip_spacing: int = 6_000, enhancer_gain: float = 2.0, depth: float = 1.0,
                    noise_free_targets_tsv=None, sites_bed=None) -> dict:
    """Write the genome (FASTA + .fai), per track (dnase, chip, cage) a noisy and a noise-free bigWig, the targets
    table (and optionally the same table over the noise-free files, and a BED of the scanned motif sites).

    `resolution` is the bigWigs' step (bp), `depth` scales every expected count. Returns a summary dict.
    """
    t0 = time.perf_counter()
    chrom_lengths = {str(k): int(v) for k, v in (chrom_lengths or DEFAULT_CHROM_LENGTHS).items()}
    resolution, gap_length = int(resolution), -(-int(gap_length) // max(int(resolution), 1)) * int(resolution)
    _check_args(bigwig_paths, noise_free_paths, chrom_lengths, resolution, gap_length, promoter_spacing,
                access_spacing, chip_spacing, enhancer_gain, depth)
    rng = np.random.default_rng(seed)
    seqs, gap = make_track_genome(chrom_lengths, gap_length=gap_length, resolution=resolution,
                                  promoter_spacing=promoter_spacing, access_spacing=access_spacing,
                                  chip_spacing=chip_spacing, rng=rng)
    sites = scan_sites(seqs)
    sites["n_enhancers"] = enhancer_counts(sites)
    gaps = {gap[0]: (gap[1], gap[2])} if gap_length else {}
    write_fasta(fasta_path, seqs)
    for track in TRACKS:
        expected = {}
        for chrom, length in chrom_lengths.items():
            part = sites[sites["chrom"] == chrom]
            expected[chrom] = expected_counts(length, part, part["n_enhancers"].to_numpy(), track=track,
                                              resolution=resolution, enhancer_gain=enhancer_gain, depth=depth,
                                              gap=gaps.get(chrom))
        write_bigwig(noise_free_paths[track], chrom_lengths, expected, resolution, gaps)
        counts = {chrom: rng.poisson(lam).astype(float) for chrom, lam in expected.items()}
        write_bigwig(bigwig_paths[track], chrom_lengths, counts, resolution, gaps)
    write_targets_table(targets_tsv, bigwig_paths)
    if noise_free_targets_tsv is not None:
        write_targets_table(noise_free_targets_tsv, noise_free_paths)
    if sites_bed is not None:
        with atomic_path(sites_bed) as tmp:
            sites.assign(score=sites["n_enhancers"])[["chrom", "start", "end", "name", "score", "strand"]].to_csv(
                tmp, sep="\t", header=False, index=False)
    promoters = sites[sites["name"].str.startswith("promoter")]
    return {"tracks": list(bigwig_paths), "genome_length": sum(chrom_lengths.values()), "gap": list(gap) if gap_length
            else None, "resolution": resolution, "n_sites": sites["name"].value_counts().sort_index().to_dict(),
            "promoters_by_enhancers": promoters["n_enhancers"].value_counts().sort_index().to_dict(),
            "enhancer_window": list(ENHANCER_WINDOW), "enhancer_gain": enhancer_gain, "depth": depth, "seed": seed,
            "seconds": round(time.perf_counter() - t0, 2)}
