"""The synthetic Hi-C demo maps: expected contacts from the planted sites, Poisson counts, balanced .mcool files.

Expected contacts follow a loop-extrusion cartoon: s^-1 distance decay; every bound site insulates (contacts
across it are depleted); a bound forward site and the nearest bound reverse site downstream form a convergent
pair, giving an enriched domain and a focal dot at the anchors. Contacts are held in band storage (pixel (i, i+d)
at [i, d]) plus a sparse long-range background, and each map is written as a multi-resolution balanced .mcool.
"""

from __future__ import annotations

from pathlib import Path

import cooler
import numpy as np
import pandas as pd
import scipy.sparse as sp
from cooler.util import mad

from regformer.chains.hic.synthetic_genome import CTCF_CORE, convergent_pairs, site_bound
from regformer.errors import InputError
from regformer.io.atomic import atomic_path

# structure magnitudes (multiplicative on the s^-1 decay)
INSULATION = 0.6      # per bound site crossed, at most MAX_CROSSINGS times
MAX_CROSSINGS = 2
DOMAIN = 1.8          # inside a convergent pair's domain
DOT_AMPLITUDE = 2.5   # focal loop: 1 + amplitude * Gaussian at the anchors
DOT_SIGMA = 1.2       # bins
VISIBILITY_SD = 0.2   # per-bin lognormal bias
BACKGROUND_FRACTION = 0.05  # share of contacts in the sparse long-range/trans background
BACKGROUND_PARTNERS = 16    # background partners drawn per bin


def _layout(bins: pd.DataFrame, gap: tuple[str, int, int], bin_size: int):
    """Global bin offset per chromosome, each bin's chromosome end (exclusive) and a mask of bins under the gap."""
    chroms = bins["chrom"].astype(str).to_numpy()
    offsets, chrom_end = {}, np.empty(len(bins), int)
    for c in pd.unique(chroms):
        idx = np.flatnonzero(chroms == c)
        offsets[c] = int(idx[0])
        chrom_end[idx] = idx[-1] + 1
    gap_bins = np.zeros(len(bins), bool)
    if gap[2] > gap[1]:
        gap_bins[offsets[gap[0]] + gap[1] // bin_size: offsets[gap[0]] + (gap[2] - 1) // bin_size + 1] = True
    return offsets, chrom_end, gap_bins


def expected_band(bins: pd.DataFrame, sites: pd.DataFrame, gap: tuple[str, int, int], map_index: int, *,
                  bin_size: int, max_loop_length: int, max_distance_bins: int) -> tuple[np.ndarray, int]:
    """Unbiased, unscaled expected contacts in band storage: E[i, d] is pixel (i, i + d); NaN off the chromosome.

    Returns (band, number of loops).
    """
    n, D = len(bins), max_distance_bins
    offsets, chrom_end, gap_bins = _layout(bins, gap, bin_size)
    i = np.arange(n)[:, None]
    d = np.arange(D + 1)[None, :]
    jc = np.minimum(i + d, n - 1)
    valid = i + d < chrom_end[:, None]
    band = np.where(valid, 1.0 / (d + 1.0), np.nan)
    # insulation: every bound site strictly between i and j depletes the pixel
    bound = sites[[site_bound(x, map_index) for x in sites["name"]]]
    boundary = np.zeros(n)
    boundary[[offsets[c] + (s + len(CTCF_CORE) // 2) // bin_size for c, s in zip(bound["chrom"], bound["start"])]] = 1
    cum = np.cumsum(boundary)
    crossings = np.where(d >= 2, cum[np.maximum(jc - 1, 0)] - cum[i], 0)
    band *= INSULATION ** np.minimum(crossings, MAX_CROSSINGS)
    # convergent pairs: enriched domain a <= i <= j <= b and a Gaussian dot at (a, b)
    loops = convergent_pairs(sites, map_index, bin_size, max_loop_length)
    domain = np.ones_like(band)
    dot = np.zeros_like(band)
    r = int(np.ceil(3 * DOT_SIGMA))
    di, dj = (x.ravel() for x in np.meshgrid(np.arange(-r, r + 1), np.arange(-r, r + 1), indexing="ij"))
    kernel = DOT_AMPLITUDE * np.exp(-(di ** 2 + dj ** 2) / (2 * DOT_SIGMA ** 2))
    for chrom, b1, b2 in loops.itertuples(index=False):
        a, b = offsets[chrom] + b1, offsets[chrom] + b2
        inside = d <= (b - np.arange(a, b + 1))[:, None]
        domain[a:b + 1][inside] = DOMAIN
        rows, offs = a + di, b + dj - a - di
        ok = (rows >= 0) & (rows < n) & (offs >= 0) & (offs <= D)
        np.add.at(dot, (rows[ok], offs[ok]), kernel[ok])
    band *= domain * (1.0 + dot)
    band[gap_bins[:, None] | (gap_bins[jc] & valid)] = 0.0  # the gap is unmappable: no contacts
    return band, len(loops)


def background_pairs(bins: pd.DataFrame, gap: tuple[str, int, int], bin_size: int, max_distance_bins: int,
                     rng: np.random.Generator, partners: int = BACKGROUND_PARTNERS) -> tuple[np.ndarray, np.ndarray]:
    """A fixed sparse set of long-range/trans pixel pairs (bin1 < bin2, outside the band, off the gap).

    Real maps have contacts at all distances and between chromosomes; a band-only map makes iterative correction
    stall (chromosome-end modes relax only through short-range contacts). This background couples distant bins
    so balancing converges, and never enters a window (it lies beyond `max_distance_bins`).
    """
    n = len(bins)
    _, chrom_end, gap_bins = _layout(bins, gap, bin_size)
    a, b = np.repeat(np.arange(n), partners), rng.integers(0, n, size=n * partners)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    same = hi < chrom_end[lo]
    keep = ~(same & (hi - lo <= max_distance_bins)) & ~gap_bins[lo] & ~gap_bins[hi]
    key = np.unique(lo[keep] * n + hi[keep])
    return key // n, key % n


def band_pixels(band: np.ndarray, bg: tuple[np.ndarray, np.ndarray], bg_values: np.ndarray) -> pd.DataFrame:
    """Upper-triangle pixels (bin1_id <= bin2_id, sorted) of the band's and the background's positive entries."""
    i, d = np.nonzero(np.nan_to_num(band) > 0)
    keep = bg_values > 0
    bin1, bin2 = np.concatenate([i, bg[0][keep]]), np.concatenate([i + d, bg[1][keep]])
    order = np.argsort(bin1 * (int(bin2.max(initial=0)) + 1) + bin2, kind="stable")
    return pd.DataFrame({"bin1_id": bin1[order], "bin2_id": bin2[order],
                         "count": np.concatenate([band[i, d], bg_values[keep]])[order]})


def ice_start(clr: cooler.Cooler, *, ignore_diags: int = 2, min_nnz: int = 10, mad_max: int = 5,
              tol: float = 1e-5, max_iters: int = 200) -> np.ndarray:
    """cooler's genome-wide iterative correction (same filters, update and stop rule) replicated in memory.

    `cooler.balance_cooler` re-reads every pixel chunk from HDF5 on each of its ~130 iterations (~20 s for one
    512 bp demo map); its tolerance is on the raw marginal variance, so a cold start needs that many passes.
    Here the same loop runs on a sparse matrix in RAM; the result is passed to cooler as `x0`, and cooler
    re-applies its own filters and stops rule, so the stored weights are cooler's.
    """
    px = clr.pixels()[:]
    b1, b2 = px["bin1_id"].to_numpy(), px["bin2_id"].to_numpy()
    v = np.where(np.abs(b2 - b1) < ignore_diags, 0.0, px["count"].to_numpy(float))
    n, off = int(clr.info["nbins"]), b1 != b2
    rows, cols = np.concatenate([b1, b2[off]]), np.concatenate([b2, b1[off]])
    mat = sp.csr_matrix((np.concatenate([v, v[off]]), (rows, cols)), shape=(n, n))
    bias = np.ones(n)
    nnz = sp.csr_matrix(((np.concatenate([v, v[off]]) != 0).astype(float), (rows, cols)), shape=(n, n)).sum(1)
    bias[np.asarray(nnz).ravel() < min_nnz] = 0
    marg = np.asarray(mat.sum(1)).ravel()
    offsets = clr._load_dset("indexes/chrom_offset")
    for lo, hi in zip(offsets[:-1], offsets[1:]):
        part = marg[lo:hi]
        if (part > 0).any():
            marg[lo:hi] = part / np.median(part[part > 0])
    log_marg = np.log(marg[marg > 0])
    bias[marg < np.exp(np.median(log_marg) - mad_max * mad(log_marg))] = 0
    for _ in range(max_iters):
        marg = bias * (mat @ bias)
        nonzero = marg[marg != 0]
        marg /= nonzero.mean()
        marg[marg == 0] = 1
        bias /= marg
        if nonzero.var() < tol:
            break
    return bias


def write_mcool(path: str | Path, bins: pd.DataFrame, pixels: pd.DataFrame, bin_size: int, *, float_counts: bool,
                assembly: str = "synthetic") -> None:
    """Base cooler -> zoomify to 1x, 2x, 4x bin_size -> balance every resolution (cooler defaults), atomically."""
    resolutions = [bin_size, 2 * bin_size, 4 * bin_size]
    dtypes = {"count": float if float_counts else np.int32}
    with atomic_path(path) as tmp:
        base = tmp.with_name(tmp.name + ".base.cool")
        try:
            cooler.create_cooler(str(base), bins, pixels, dtypes=dtypes, ordered=True, assembly=assembly)
            cooler.zoomify_cooler(str(base), str(tmp), resolutions, chunksize=10_000_000)
        finally:
            base.unlink(missing_ok=True)
        for res in resolutions:
            clr = cooler.Cooler(f"{tmp}::resolutions/{res}")
            _, stats = cooler.balance_cooler(clr, x0=ice_start(clr), store=True)
            if not stats["converged"]:
                raise InputError(path, f"balancing did not converge at {res} bp (marginal variance {stats['var']:.3g})",
                                 "simulate a longer genome or more contacts_per_map")
