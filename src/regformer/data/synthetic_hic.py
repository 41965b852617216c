"""A synthetic genome with Hi-C maps whose 3D structure follows planted CTCF-like motifs (the Akita demo data).

The genome is random (GC 0.41) with one assembly gap (a run of N) in the first chromosome. The 19 bp CTCF
core consensus (JASPAR MA0139.1) is planted in both orientations every ~`site_spacing` bp. "Strong" sites
(exact consensus) are bound in every map, "weak" sites (2 fixed positions mutated) only in maps with index >= 1,
so the maps differ in a way the sequence predicts. Expected contacts follow a loop-extrusion cartoon:
s^-1 distance decay; every bound site insulates (contacts across it are depleted); a bound forward site and the
nearest bound reverse site downstream form a convergent pair, giving an enriched domain and a focal dot at the
anchors. A per-bin visibility bias multiplies the map and counts are Poisson draws, so balancing has real work.
Each map is written as a balanced .mcool, and the noise-free (biased, expected) map as a second float .mcool.
"""

from __future__ import annotations

import time
from pathlib import Path

import cooler
import numpy as np
import pandas as pd
import pyfaidx
import scipy.sparse as sp
from cooler.util import mad

from regformer.errors import InputError
from regformer.io.atomic import atomic_path

CTCF_CORE = "TGGCCACCAGGGGGCGCTA"  # JASPAR MA0139.1 consensus
WEAK_MUTATIONS = {7: "T", 11: "A"}  # two fixed positions of the core changed in weak sites
CTCF_WEAK = "".join(WEAK_MUTATIONS.get(i, b) for i, b in enumerate(CTCF_CORE))
GC = 0.41
STRONG_FRACTION = 0.6
# structure magnitudes (multiplicative on the s^-1 decay)
INSULATION = 0.6      # per bound site crossed, at most MAX_CROSSINGS times
MAX_CROSSINGS = 2
DOMAIN = 1.8          # inside a convergent pair's domain
DOT_AMPLITUDE = 2.5   # focal loop: 1 + amplitude * Gaussian at the anchors
DOT_SIGMA = 1.2       # bins
VISIBILITY_SD = 0.2   # per-bin lognormal bias
BACKGROUND_FRACTION = 0.05  # share of contacts in the sparse long-range/trans background
BACKGROUND_PARTNERS = 16    # background partners drawn per bin


def _complement(seq: str) -> str:
    return seq[::-1].translate(str.maketrans("ACGTN", "TGCAN"))


def site_bound(name: str, map_index: int) -> bool:
    """Strong sites are bound in every map, weak ones only in maps with index >= 1."""
    return name == "strong" or map_index >= 1


def convergent_pairs(sites: pd.DataFrame, map_index: int, bin_size: int, max_loop_length: int) -> pd.DataFrame:
    """Loops of one map: each bound '+' site with the nearest bound '-' site downstream within `max_loop_length`.

    `sites` has BED columns chrom, start, name, strand; anchors are the bins (within the chromosome) holding the
    site centres. Returns chrom, bin1, bin2 (bin1 < bin2).
    """
    rows = []
    bound = sites[[site_bound(n, map_index) for n in sites["name"]]]
    for chrom, group in bound.groupby("chrom", sort=False):
        centre = group["start"].to_numpy() + len(CTCF_CORE) // 2
        strand = group["strand"].to_numpy()
        fwd, rev = np.sort(centre[strand == "+"]), np.sort(centre[strand == "-"])
        nxt = np.searchsorted(rev, fwd, side="right")
        for a, k in zip(fwd, nxt):
            if k < len(rev) and rev[k] - a <= max_loop_length and rev[k] // bin_size > a // bin_size:
                rows.append((chrom, int(a // bin_size), int(rev[k] // bin_size)))
    return pd.DataFrame(rows, columns=["chrom", "bin1", "bin2"])


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


def make_genome(chrom_lengths: dict[str, int], gap_length: int, site_spacing: int, bin_size: int,
                rng: np.random.Generator) -> tuple[dict[str, np.ndarray], pd.DataFrame, tuple[str, int, int]]:
    """Random sequences (uint8 ASCII) with the gap and planted sites; returns (sequences, sites BED, gap)."""
    probs = [(1 - GC) / 2, GC / 2, GC / 2, (1 - GC) / 2]
    seqs, rows = {}, []
    first = next(iter(chrom_lengths))
    gap_start = (int(chrom_lengths[first]) * 3 // 10) // bin_size * bin_size
    gap = (first, gap_start, gap_start + int(gap_length))
    for chrom, length in chrom_lengths.items():
        seq = np.frombuffer(b"ACGT", np.uint8)[rng.choice(4, size=int(length), p=probs)].copy()
        if chrom == first and gap_length:
            seq[gap[1]:gap[2]] = ord("N")
        pos = np.cumsum(rng.uniform(0.5, 1.5, size=int(length) // (site_spacing // 2) + 2) * site_spacing).astype(int)
        pos = pos[pos + len(CTCF_CORE) < int(length) - bin_size]
        if chrom == first and gap_length:  # keep a bin clear on either side of the gap
            pos = pos[(pos + len(CTCF_CORE) < gap[1] - bin_size) | (pos > gap[2] + bin_size)]
        strong = rng.random(len(pos)) < STRONG_FRACTION
        reverse = rng.random(len(pos)) < 0.5
        for p, s, r in zip(pos, strong, reverse):
            core = CTCF_CORE if s else CTCF_WEAK
            seq[p:p + len(core)] = np.frombuffer((_complement(core) if r else core).encode(), np.uint8)
            rows.append((chrom, int(p), int(p) + len(core), "strong" if s else "weak", 1000 if s else 500,
                         "-" if r else "+"))
        seqs[chrom] = seq
    sites = pd.DataFrame(rows, columns=["chrom", "start", "end", "name", "score", "strand"])
    return seqs, sites, gap


def write_fasta(path: str | Path, seqs: dict[str, np.ndarray], width: int = 60) -> None:
    """FASTA with `width`-bp lines, written atomically, then its .fai built by pyfaidx (also atomically)."""
    path = Path(path)
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            for chrom, seq in seqs.items():
                fh.write(f">{chrom}\n".encode())
                full = len(seq) // width * width
                lines = np.hstack([seq[:full].reshape(-1, width), np.full((full // width, 1), ord("\n"), np.uint8)])
                fh.write(lines.tobytes())
                if full < len(seq):
                    fh.write(seq[full:].tobytes() + b"\n")
    with atomic_path(str(path) + ".fai") as tmp_fai:
        pyfaidx.Faidx(str(path), indexname=str(tmp_fai)).close()


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


def _pixels(band: np.ndarray, bg: tuple[np.ndarray, np.ndarray], bg_values: np.ndarray) -> pd.DataFrame:
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
        write_mcool(cooler_paths[name], bins, _pixels(counts, bg, bg_counts), bin_size, float_counts=False)
        write_mcool(noise_free_paths[name], bins, _pixels(band, bg, bg_expected), bin_size, float_counts=True)
        summary["n_loops"][name] = n_loops
        summary["total_contacts"][name] = int(counts.sum() + bg_counts.sum())
    summary["seconds"] = round(time.perf_counter() - t0, 2)
    return summary
