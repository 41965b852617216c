"""Expected read counts of the synthetic tracks (from the scanned motif sites) and their bigWig files.

Per `resolution`-bp bin, expected counts (x `depth`) are a flat background plus a Gaussian peak per site:
  dnase: accessibility motifs (60 reads, sd 60 bp), promoters (40) and enhancers (30): broad peaks;
  chip:  the ChIP motif (50 reads, sd 20 bp): narrow peaks;
  cage:  a sharp peak (sd 10 bp) at each promoter's TSS (30 bp past the motif, on its strand) of
         base x (1 + enhancer_gain x enhancers 2-4 kb upstream), base 30 (strong) or 12 (weak promoter).
The noisy track is Poisson counts of that expectation; both are written per base as counts / resolution, so
summing a window's per-base values gives its reads. The gap has no entries (it reads as NaN: no data).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyBigWig

from regformer.io.atomic import atomic_path

BACKGROUND = {"dnase": 0.005, "chip": 0.002, "cage": 0.0005}  # expected reads per bp
PEAKS = {"dnase": ({"access": 60.0, "promoter_strong": 40.0, "promoter_weak": 40.0, "enhancer": 30.0}, 60.0),
         "chip": ({"chip": 50.0}, 20.0),
         "cage": ({"promoter_strong": 30.0, "promoter_weak": 12.0}, 10.0)}  # reads per site, peak sd (bp)
TSS_OFFSET = 30  # bp from the promoter motif's 3' end to the TSS
TRACKS = ("dnase", "chip", "cage")


def _kernel(sd_bins: float) -> np.ndarray:
    """A discrete Gaussian summing to 1 (radius 4 sd, at least one bin)."""
    radius = max(1, int(np.ceil(4 * sd_bins)))
    x = np.arange(-radius, radius + 1, dtype=float)
    k = np.exp(-0.5 * (x / max(sd_bins, 1e-9)) ** 2)
    return k / k.sum()


def site_centres(sites: pd.DataFrame, track: str) -> np.ndarray:
    """The peak centre of each site (bp): the motif centre, or the TSS for CAGE."""
    if track != "cage":
        return ((sites["start"] + sites["end"]) // 2).to_numpy()
    minus = (sites["strand"] == "-").to_numpy()
    return np.where(minus, sites["start"] - TSS_OFFSET, sites["end"] + TSS_OFFSET)


def expected_counts(length: int, sites: pd.DataFrame, n_enhancers: np.ndarray, *, track: str, resolution: int,
                    enhancer_gain: float, depth: float, gap: tuple[int, int] | None) -> np.ndarray:
    """Expected reads per `resolution`-bp bin of one chromosome (`sites` and `n_enhancers` of that chromosome)."""
    weights, sd = PEAKS[track]
    n_bins = -(-length // resolution)
    bins = np.full(n_bins, BACKGROUND[track] * resolution)
    bins[-1] = BACKGROUND[track] * (length - (n_bins - 1) * resolution)
    use = sites["name"].isin(list(weights)).to_numpy()
    reads = sites["name"].map(weights).to_numpy(dtype=float, na_value=0.0)
    if track == "cage":
        reads = reads * (1 + enhancer_gain * n_enhancers)
    impulses = np.zeros(n_bins)
    centres = np.clip(site_centres(sites, track), 0, length - 1) // resolution
    np.add.at(impulses, centres[use].astype(np.int64), reads[use])
    bins += np.convolve(impulses, _kernel(sd / resolution), mode="same")
    if gap is not None:
        bins[gap[0] // resolution:-(-gap[1] // resolution)] = 0.0
    return bins * depth


def _add_chromosome(bw, chrom: str, length: int, values: np.ndarray, resolution: int,
                    gap: tuple[int, int] | None) -> None:
    """Entries of one chromosome: fixed-step runs outside the gap, the last (partial) bin on its own."""
    n_full = length // resolution
    cuts = [(0, n_full)] if gap is None else [(0, gap[0] // resolution), (-(-gap[1] // resolution), n_full)]
    for a, b in cuts:
        if b > a:
            bw.addEntries(chrom, a * resolution, values=values[a:b].astype(np.float64), span=resolution,
                          step=resolution)
    if n_full * resolution < length:
        bw.addEntries([chrom], [n_full * resolution], ends=[length], values=[float(values[n_full])])


def write_bigwig(path, chrom_lengths: dict[str, int], per_bin: dict[str, np.ndarray], resolution: int,
                 gaps: dict[str, tuple[int, int]]) -> None:
    """A bigWig of per-base values (each bin's reads / its width), chromosomes in `chrom_lengths` order, atomically."""
    with atomic_path(path) as tmp:
        bw = pyBigWig.open(str(tmp), "w")
        try:
            bw.addHeader(list(chrom_lengths.items()), maxZooms=6)
            for chrom, length in chrom_lengths.items():
                widths = np.full(len(per_bin[chrom]), float(resolution))
                widths[-1] = length - (len(widths) - 1) * resolution
                _add_chromosome(bw, chrom, length, per_bin[chrom] / widths, resolution, gaps.get(chrom))
        finally:
            bw.close()
