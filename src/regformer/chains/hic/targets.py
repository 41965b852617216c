"""Akita-style Hi-C targets: one window of a balanced cooler -> a smoothed log(obs/exp) upper-triangle vector.

Per window and map (Fudenberg et al. 2020, basenji `akita_data_read.py`):
  balanced matrix (and raw counts) -> near-diagonal clip -> cooltools adaptive_coarsegrain ->
  cooltools observed/expected within the window -> log, clip to [-log_clip, log_clip] -> cooltools interp_nan ->
  diagonals -(offset-1)..(offset-1) set to 0 -> 2D Gaussian -> crop -> upper triangle from `diagonal_offset`.
The store is one HDF5 file: targets (n_windows, n_pixels, n_maps) float16, one window per chunk, regions/*,
index/{train,val,test} and the JSON summary in attrs["summary"] (the store contract of every chain).
"""

from __future__ import annotations

import json
import logging
import multiprocessing
from pathlib import Path

import cooler
import h5py
import numpy as np
from cooltools.lib import numutils
from cooltools.lib.numutils import adaptive_coarsegrain, interp_nan, set_diag
from scipy.ndimage import gaussian_filter

from regformer.chains.hic.cooler_blocks import bin_weights, block_matrices, blocks
from regformer.chains.hic.coolers import check_balanced, check_resolution
from regformer.chains.hic.regions import read_regions
from regformer.data.contact_maps import triu_indices, upper_triangle_size
from regformer.data.splits import write_split_index
from regformer.errors import InputError
from regformer.io.atomic import atomic_path
from regformer.io.stores import new_hdf5
from regformer.logs import Progress

log = logging.getLogger(__name__)
Region = tuple[str, int, int]


def _region_str(region: Region) -> str:
    chrom, start, end = region
    return f"{chrom}:{start}-{end}"


def _check_window(clr: cooler.Cooler, region: Region) -> np.ndarray:
    """Validate chromosome, bounds, bin alignment and balancing; return the window's balancing weights."""
    uri, (chrom, start, end), where = clr.uri, region, _region_str(region)
    if chrom not in clr.chromnames:
        raise InputError(uri, f"window {where}: chromosome {chrom!r} is not in the cooler "
                         f"(available: {', '.join(clr.chromnames)})", "use one of the available chromosome names")
    size, bin_size = int(clr.chromsizes[chrom]), clr.binsize
    if not 0 <= start < end <= size:
        raise InputError(uri, f"window {where} runs off {chrom} (length {size})",
                         "keep windows inside the chromosome")
    if start % bin_size or end % bin_size:
        raise InputError(uri, f"window {where} is not a multiple of the resolution {bin_size} bp",
                         f"start and end windows on multiples of {bin_size}")
    check_balanced(clr, uri)
    weights = np.asarray(clr.bins().fetch(region)["weight"], dtype=float)
    if np.isnan(weights).all():
        raise InputError(uri, f"window {where}: all {len(weights)} bins are filtered (NaN weights)",
                         "drop this window (e.g. a blacklist/mask region) or rebalance with laxer filters")
    return weights


def clip_near_diagonal(mat: np.ndarray, diagonal_offset: int = 2, clip_value: float | None = None) -> np.ndarray:
    """Set diagonals |k| < offset to the median of diagonal `offset` and clip to [0, that value]; NaNs stay NaN."""
    nan = np.isnan(mat)
    value = np.nanmedian(np.diag(mat, diagonal_offset)) if clip_value is None else clip_value
    out = mat.copy()
    for k in range(-diagonal_offset + 1, diagonal_offset):
        set_diag(out, value, k)
    out = np.clip(out, 0, value)
    out[nan] = np.nan  # as in Akita: filtered bins stay filtered so interp_nan fills whole rows/columns
    return out


def observed_over_expected(mat: np.ndarray) -> np.ndarray:
    """cooltools' observed/expected within the window, valid pixels only (as Akita calls it).

    Diagonals are pooled into log-spaced distance bins (edge ratio 1.03) before averaging.
    """
    return numutils.observed_over_expected(mat, np.isfinite(mat))[0]


def gaussian_smooth(mat: np.ndarray, sigma: float = 1.0, width: int = 5) -> np.ndarray:
    """Gaussian blur with a width x width kernel, zero padding (as astropy `convolve`'s default 'fill').

    NaNs are left out and the kernel renormalised over the valid pixels (astropy nan_treatment='interpolate').
    """
    radius = (width - 1) // 2
    truncate = radius / sigma  # scipy's radius is int(truncate * sigma + 0.5) == radius
    nan = np.isnan(mat)
    if not nan.any():
        return gaussian_filter(mat, sigma, mode="constant", cval=0.0, truncate=truncate)
    num = gaussian_filter(np.where(nan, 0.0, mat), sigma, mode="constant", cval=0.0, truncate=truncate)
    den = gaussian_filter((~nan).astype(float), sigma, mode="constant", cval=1.0, truncate=truncate)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den, np.nan)


def window_target(clr: cooler.Cooler, region: Region, *, clip_value: float | None = None, diagonal_offset: int = 2,
                  crop: int = 32, sigma: float = 1.0, width: int = 5, coarsegrain_cutoff: float = 2,
                  max_levels: int = 8, log_clip: float = 2.0) -> np.ndarray:
    """One window's target: the upper triangle (offset `diagonal_offset`) of the cropped processed map, float32.

    `clip_value` overrides the near-diagonal clip value (default: median of diagonal `diagonal_offset`).
    """
    _check_window(clr, region)
    balanced = clr.matrix(balance=True).fetch(region)
    raw = clr.matrix(balance=False).fetch(region)
    return process_window(balanced, raw, source=clr.uri, where=_region_str(region), clip_value=clip_value,
                          diagonal_offset=diagonal_offset, crop=crop, sigma=sigma, width=width,
                          coarsegrain_cutoff=coarsegrain_cutoff, max_levels=max_levels, log_clip=log_clip)


def process_window(balanced: np.ndarray, raw: np.ndarray, *, source: str = "cooler", where: str = "window",
                   clip_value: float | None = None, diagonal_offset: int = 2, crop: int = 32, sigma: float = 1.0,
                   width: int = 5, coarsegrain_cutoff: float = 2, max_levels: int = 8,
                   log_clip: float = 2.0) -> np.ndarray:
    """Akita's recipe on one window's balanced and raw matrices (see window_target); `source`/`where` name it in errors."""
    n = balanced.shape[0]
    if n <= 2 * crop + diagonal_offset:
        raise InputError(source, f"window {where} has {n} bins, too few for crop {crop}",
                         "use longer windows or a smaller crop")
    if clip_value is None:
        clip_value = float(np.nanmedian(np.diag(balanced, diagonal_offset))) if n > diagonal_offset else np.nan
    if not np.isfinite(clip_value) or clip_value <= 0:
        raise InputError(source, f"window {where}: diagonal {diagonal_offset} has no valid contacts"
                         f" (clip value {clip_value})", "drop this window or rebalance the cooler")
    mat = clip_near_diagonal(balanced, diagonal_offset, clip_value)
    # cooltools divides 0/0 at filtered pixels and writes into its input when n is a power of 2; log(0) -> -inf
    with np.errstate(invalid="ignore", divide="ignore"):
        mat = adaptive_coarsegrain(mat.copy(), raw, cutoff=coarsegrain_cutoff, max_levels=max_levels)
        mat = np.log(observed_over_expected(mat))
    try:
        mat = interp_nan(np.clip(mat, -log_clip, log_clip))
    except (AssertionError, ValueError) as exc:  # NaNs not in whole rows/columns
        raise InputError(source, f"window {where}: cannot interpolate missing values ({exc})",
                         "drop this window or rebalance the cooler") from exc
    for k in range(-diagonal_offset + 1, diagonal_offset):
        set_diag(mat, 0.0, k)
    mat = gaussian_smooth(mat, sigma, width)
    if crop:
        mat = mat[crop:-crop, crop:-crop]
    vec = mat[triu_indices(mat.shape[0], diagonal_offset)].astype(np.float32)
    if not np.isfinite(vec).all():
        raise InputError(source, f"window {where}: {int((~np.isfinite(vec)).sum())} target pixels are"
                         " not finite after interpolation", "drop this window or rebalance the cooler")
    return vec


_COOLERS: dict[str, cooler.Cooler] = {}
# A block of windows spans at most max(BLOCK_WINDOWS windows, BLOCK_BINS bins): larger blocks re-read fewer pixel
# rows (neighbouring blocks overlap), for one dense count matrix of the span per worker (2048 bins, int32: 16 MB);
# on yeast, a chromosome per block.
BLOCK_WINDOWS, BLOCK_BINS = 4, 2048


def block_span(seq_length: int, bin_size: int) -> int:
    """The most base pairs one block of windows may span (see BLOCK_WINDOWS, BLOCK_BINS)."""
    return max(BLOCK_WINDOWS * seq_length, BLOCK_BINS * bin_size)


def _worker(args) -> list[np.ndarray]:
    """Targets of a block of nearby windows on one chromosome, each (n_pixels, n_maps).

    Each cooler's block is read once (cooler_blocks.block_matrices): with Akita's strides windows overlap 2-4 fold,
    and a balanced plus a raw fetch per window would read each pixel row up to 8 times. Same numbers as per window.
    """
    uris, block, params, log_clips = args
    out = [[] for _ in block]
    for uri, log_clip in zip(uris, log_clips):
        if uri not in _COOLERS:
            _COOLERS[uri] = cooler.Cooler(uri)
        for k, (balanced, raw) in enumerate(block_matrices(_COOLERS[uri], block)):
            out[k].append(process_window(balanced, raw, source=uri, where=_region_str(block[k]), **params,
                                         log_clip=log_clip))
    return [np.stack(cols, axis=1) for cols in out]


def _warm_up() -> None:
    mat = np.ones((8, 8))
    numutils.observed_over_expected(mat, np.isfinite(mat))


def _check_windows(clr: cooler.Cooler, regions: list[Region]) -> None:
    """_check_window for many windows from arrays read once per cooler; a bad window raises its error."""
    check_balanced(clr, clr.uri)
    sizes, bin_size, weights = {k: int(v) for k, v in clr.chromsizes.items()}, clr.binsize, {}
    for region in regions:
        chrom, start, end = region
        good = chrom in sizes and 0 <= start < end <= sizes[chrom] and not start % bin_size and not end % bin_size
        if good:
            if chrom not in weights:
                weights[chrom] = bin_weights(clr, chrom)
            good = not np.isnan(weights[chrom][start // bin_size:end // bin_size]).all()
        if not good:
            _check_window(clr, region)  # names, bounds, alignment, balancing: the clear errors


def _geometry(uris: list[str], regions: list[Region], out_path, bin_size: int, crop: int,
              diagonal_offset: int) -> tuple[int, int, int]:
    """(seq_length, n_bins, n_pixels) of equal-length windows, after the cheap checks of every cooler."""
    lengths = {e - s for _, s, e in regions}
    if len(lengths) != 1:
        raise InputError(out_path, f"windows have different lengths {sorted(lengths)}", "use equal-length windows")
    for uri in uris:  # cheap checks up front, before any matrix work
        clr = cooler.Cooler(uri)
        check_resolution(clr, bin_size, uri)
        _check_windows(clr, regions)
    seq_length = lengths.pop()
    n_bins = seq_length // bin_size - 2 * crop
    if n_bins <= diagonal_offset:
        raise InputError(out_path, f"windows leave {n_bins} bins after crop {crop}", "use longer windows or less crop")
    return seq_length, n_bins, upper_triangle_size(n_bins, diagonal_offset)


def _write_regions(h5: h5py.File, regions: list[Region], sequence_chroms: list[str] | None,
                   splits: list[str] | None) -> None:
    """regions/{chrom,start,end,sequence_chrom} and index/{split} (every window in test when no splits)."""
    h5.create_dataset("regions/chrom", data=np.array([r[0] for r in regions], dtype="S"))
    h5.create_dataset("regions/start", data=np.array([r[1] for r in regions], dtype=np.int64))
    h5.create_dataset("regions/end", data=np.array([r[2] for r in regions], dtype=np.int64))
    seq_chroms = sequence_chroms or [r[0] for r in regions]
    h5.create_dataset("regions/sequence_chrom", data=np.array(seq_chroms, dtype="S"))
    write_split_index(h5, splits or ["test"] * len(regions))


def build_targets(cooler_uris: dict[str, str], regions: list[Region], out_path: str | Path, *, bin_size: int,
                  crop: int, diagonal_offset: int = 2, workers: int = 1, splits: list[str] | None = None,
                  sequence_chroms: list[str] | None = None, fasta: str | None = None,
                  log_clips: list[float] | None = None, **params) -> dict:
    """Write the targets HDF5 for `regions` x maps (dict order); any failure raises and leaves no output.

    `regions` use the coolers' chromosome names; `sequence_chroms` (the FASTA's names, default the same),
    `splits` (train/val/test per window) and the `fasta` path are stored with them for the sequence dataset.
    `log_clips` gives each map's clip of log(obs/exp) (default 2, Akita's).
    """
    if not cooler_uris or not regions:
        raise InputError(out_path, "no coolers or no windows to build", "give at least one cooler and one window")
    names, uris = list(cooler_uris), list(cooler_uris.values())
    bin_size, crop, diagonal_offset = int(bin_size), int(crop), int(diagonal_offset)
    regions = [(str(c), int(s), int(e)) for c, s, e in regions]
    seq_length, n_bins, n_pixels = _geometry(uris, regions, out_path, bin_size, crop, diagonal_offset)
    params = {**params, "crop": crop, "diagonal_offset": diagonal_offset}
    clip = params.pop("log_clip", 2.0)
    log_clips = [float(c) for c in (log_clips or [clip] * len(uris))]
    if len(log_clips) != len(uris):
        raise InputError(out_path, f"{len(log_clips)} clip values for {len(uris)} maps", "give one clip per map")
    jobs = [(uris, block, params, log_clips) for block in blocks(regions, block_span(seq_length, bin_size))]
    summary = {"maps": names, "coolers": uris, "bin_size": bin_size, "seq_length": seq_length, "crop": crop,
               "diagonal_offset": diagonal_offset, "n_bins": n_bins, "n_windows": len(regions),
               "n_pixels": n_pixels, "fasta": fasta, "log_clips": log_clips,
               **{k: v for k, v in params.items() if k not in ("crop", "diagonal_offset")}}
    with atomic_path(out_path) as tmp:
        with new_hdf5(tmp) as h5:
            dset = h5.create_dataset("targets", shape=(len(regions), n_pixels, len(uris)), dtype=np.float16,
                                     chunks=(1, n_pixels, len(uris)), fillvalue=np.nan)
            if workers > 1:
                _warm_up()  # compile cooltools' numba kernels once, before forking, not once per worker
                with multiprocessing.get_context("fork").Pool(workers) as pool:
                    _write_all(dset, (t for block in pool.imap(_worker, jobs) for t in block), n_pixels)
            else:
                _write_all(dset, (t for block in map(_worker, jobs) for t in block), n_pixels)
            _write_regions(h5, regions, sequence_chroms, splits)
            h5.attrs["summary"] = json.dumps(summary)
            h5.attrs["maps"] = json.dumps(names)
    log.info("built %s: %s", out_path, summary)
    return summary


def build_targets_from_regions(regions_tsv: str | Path, cooler_uris: dict[str, str], out_path: str | Path, *,
                               fasta: str | None = None, **params) -> dict:
    """build_targets over the windows of a regions table (columns chrom, start, end, split, cooler_chrom)."""
    table = read_regions(regions_tsv)
    regions = list(zip(table["cooler_chrom"], table["start"], table["end"]))
    return build_targets(cooler_uris, regions, out_path, splits=list(table["split"]),
                         sequence_chroms=list(table["chrom"]), fasta=fasta, **params)


def _write_all(dset: h5py.Dataset, results, n_pixels: int) -> None:
    """Write window i's (n_pixels, n_maps) block as it arrives (streaming; nothing held beyond one window)."""
    for i, block in enumerate(Progress(dset.shape[0], "windows").each(results)):  # on the console: done / total
        if block.shape[0] != n_pixels:
            raise InputError(dset.file.filename, f"window {i} gave {block.shape[0]} pixels, expected {n_pixels}",
                             "use windows of equal length")
        dset[i] = block.astype(np.float16)
