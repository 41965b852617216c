"""Akita-style Hi-C targets on a real yeast W303 G1 2 kb cooler, checked against direct cooltools/scipy calls."""

from __future__ import annotations

import shutil
from pathlib import Path

import cooler
import h5py
import numpy as np
import pytest
from cooltools.lib import numutils
from cooltools.lib.numutils import adaptive_coarsegrain, interp_nan, set_diag
from scipy.ndimage import gaussian_filter

from regformer.chains.hic.coolers import check_resolution
from regformer.chains.hic.targets import (build_targets, clip_near_diagonal, gaussian_smooth, observed_over_expected,
                                          window_target)
from regformer.errors import InputError

COOL = Path(__file__).parent / "data" / "hic" / "yeast_W303_G1_2kb_SRR8769554.cool"
REGION = ("chr4", 200_000, 712_000)  # 256 bins at 2 kb; has filtered bins
CROP = 16


@pytest.fixture(scope="module")
def clr() -> cooler.Cooler:
    return cooler.Cooler(str(COOL))


def _n_pixels(n_bins: int, offset: int = 2) -> int:
    return len(np.triu_indices(n_bins, offset)[0])


def _reference(clr: cooler.Cooler, region) -> dict[str, np.ndarray]:
    """The recipe written out with direct cooltools/numpy/scipy calls, step by step."""
    steps = {}
    bal = clr.matrix(balance=True).fetch(region)
    raw = clr.matrix(balance=False).fetch(region)
    nan = np.isnan(bal)
    value = np.nanmedian(np.diag(bal, 2))
    m = bal.copy()
    for k in (-1, 0, 1):
        set_diag(m, value, k)
    m = np.clip(m, 0, value)
    m[nan] = np.nan
    steps["clipped"] = m
    with np.errstate(invalid="ignore"):
        m = adaptive_coarsegrain(m.copy(), raw, cutoff=2, max_levels=8)  # copy: it writes into its input
    steps["coarse"] = m
    oe = numutils.observed_over_expected(m, ~np.isnan(m))[0]  # as Akita: valid-pixel mask
    steps["oe"] = oe
    with np.errstate(divide="ignore"):
        m = interp_nan(np.clip(np.log(oe), -2, 2))
    for k in (-1, 0, 1):
        set_diag(m, 0.0, k)
    steps["interp"] = m
    m = gaussian_filter(m, sigma=1.0, mode="constant", cval=0.0, truncate=2.0)  # radius 2 -> 5x5 kernel
    steps["smooth"] = m
    m = m[CROP:-CROP, CROP:-CROP]
    steps["vector"] = m[np.triu_indices(m.shape[0], 2)]
    return steps


def test_window_matches_direct_calls_step_by_step(clr):
    ref = _reference(clr, REGION)
    bal = clr.matrix(balance=True).fetch(REGION)
    raw = clr.matrix(balance=False).fetch(REGION)
    assert np.isnan(bal).any()  # the window really exercises filtered bins
    clipped = clip_near_diagonal(bal, 2)
    np.testing.assert_allclose(clipped, ref["clipped"], atol=1e-6, equal_nan=True)
    with np.errstate(invalid="ignore"):
        coarse = adaptive_coarsegrain(clipped.copy(), raw, cutoff=2, max_levels=8)
    np.testing.assert_allclose(coarse, ref["coarse"], atol=1e-6, equal_nan=True)
    oe = observed_over_expected(coarse)
    np.testing.assert_allclose(oe, ref["oe"], atol=1e-6, equal_nan=True)
    np.testing.assert_allclose(gaussian_smooth(ref["interp"], 1.0, 5), ref["smooth"], atol=1e-6)
    vec = window_target(clr, REGION, crop=CROP)
    assert vec.dtype == np.float32
    assert np.max(np.abs(vec - ref["vector"])) <= 1e-6


def test_length_range_and_finite(clr):
    vec = window_target(clr, REGION, crop=CROP)
    assert vec.shape == (_n_pixels(256 - 2 * CROP, 2),) == (24753,)
    assert np.isfinite(vec).all()
    assert vec.min() >= -2 and vec.max() <= 2
    edge = window_target(clr, ("chr4", 0, 512_000), crop=CROP)  # starts at a telomere
    assert np.isfinite(edge).all() and np.abs(edge).max() <= 2


def test_gaussian_kernel_is_5_wide_and_nan_aware():
    delta = np.zeros((11, 11))
    delta[5, 5] = 1.0
    out = gaussian_smooth(delta, 1.0, 5)
    assert np.flatnonzero(out[5] > 0).tolist() == [3, 4, 5, 6, 7]
    assert out.sum() == pytest.approx(1.0)
    # with a NaN: the kernel is renormalised over valid pixels, so a constant map stays constant inside
    const = np.full((9, 9), 0.5)
    const[4, 4] = np.nan
    sm = gaussian_smooth(const, 1.0, 5)
    np.testing.assert_allclose(sm[2:7, 2:7], 0.5, atol=1e-12)


def test_missing_weights_says_cooler_balance(clr, tmp_path):
    bins = clr.bins()[:][["chrom", "start", "end"]]
    lo, hi = clr.extent("chr4")
    pixels = clr.pixels()[:]
    pixels = pixels[(pixels.bin1_id >= lo) & (pixels.bin1_id < hi) & (pixels.bin2_id < hi)]
    uri = str(tmp_path / "unbalanced.cool")
    cooler.create_cooler(uri, bins, pixels, ordered=True)
    with pytest.raises(InputError, match="cooler balance") as err:
        window_target(cooler.Cooler(uri), REGION, crop=CROP)
    assert "unbalanced.cool" in str(err.value)


def test_wrong_resolution(clr, tmp_path):
    with pytest.raises(InputError, match="4000"):
        check_resolution(clr, 4000, str(COOL))
    check_resolution(clr, 2000, str(COOL))
    out = tmp_path / "t.h5"
    with pytest.raises(InputError, match="resolution"):
        build_targets({"a": str(COOL)}, [REGION], out, bin_size=4000, crop=CROP)
    assert not out.exists()


def test_unknown_chromosome_lists_names(clr):
    with pytest.raises(InputError, match="chrXV") as err:
        window_target(clr, ("chrXV", 0, 512_000), crop=CROP)
    assert "chr4" in str(err.value) and "chrM" in str(err.value)


def test_bad_bounds_and_alignment(clr):
    with pytest.raises(InputError, match="runs off"):
        window_target(clr, ("chr4", 1_200_000, 1_712_000), crop=CROP)
    with pytest.raises(InputError, match="multiple of the resolution"):
        window_target(clr, ("chr4", 201_000, 713_000), crop=CROP)


def test_all_filtered_window(clr, tmp_path):
    path = tmp_path / "filtered.cool"
    shutil.copyfile(COOL, path)
    lo, hi = clr.extent(REGION)
    with h5py.File(path, "r+") as h5:
        h5["bins/weight"][lo:hi] = np.nan
    with pytest.raises(InputError, match="all 256 bins are filtered") as err:
        window_target(cooler.Cooler(str(path)), REGION, crop=CROP)
    assert "chr4:200000-712000" in str(err.value)
    out = tmp_path / "t.h5"
    with pytest.raises(InputError):
        build_targets({"a": str(COOL), "b": str(path)}, [REGION], out, bin_size=2000, crop=CROP)
    assert not out.exists()


def test_build_targets_no_output_after_failure_mid_write(tmp_path):
    out = tmp_path / "t.h5"
    with pytest.raises(TypeError):  # an invalid option fails inside the first window, after the file was opened
        build_targets({"a": str(COOL)}, [REGION], out, bin_size=2000, crop=CROP, bogus=1)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("workers", [1, 2])
def test_build_targets_two_windows_two_maps(clr, tmp_path, workers):
    regions = [REGION, ("chr7", 400_000, 912_000)]
    out = tmp_path / "targets.h5"
    summary = build_targets({"rep1": str(COOL), "rep2": str(COOL)}, regions, out, bin_size=2000, crop=CROP,
                            workers=workers)
    n_pix = _n_pixels(256 - 2 * CROP)
    assert summary["n_pixels"] == n_pix
    with h5py.File(out) as h5:
        targets = h5["targets"]
        assert targets.shape == (2, n_pix, 2) and targets.dtype == np.float16
        assert targets.chunks == (1, n_pix, 2)
        data = targets[:]
        assert [c.decode() for c in h5["regions/chrom"][:]] == ["chr4", "chr7"]
        assert h5["regions/start"][:].tolist() == [200_000, 400_000]
        assert h5["regions/end"][:].tolist() == [712_000, 912_000]
    assert np.isfinite(data).all()
    for i, region in enumerate(regions):
        vec = window_target(clr, region, crop=CROP)
        for j in range(2):
            np.testing.assert_allclose(data[i, :, j].astype(np.float32), vec, atol=2e-3, rtol=0)
            np.testing.assert_array_equal(data[i, :, j], vec.astype(np.float16))


def test_block_build_equals_one_window_at_a_time_on_real_10kb_yeast(tmp_path):
    """build_targets (one fetch per block of overlapping windows, 2 workers) gives the per-window recipe's values."""
    uri = str(Path(__file__).parent / "data" / "hic" / "yeast_Scer_10kb.cool")
    clr = cooler.Cooler(uri)
    regions = [(chrom, start, start + 640_000) for chrom in ("chrIV", "chrXII", "chrVII")
               for start in range(0, int(clr.chromsizes[chrom]) - 640_000 + 1, 160_000)]
    out = tmp_path / "targets.h5"
    summary = build_targets({"yeast10k": uri}, regions, out, bin_size=10_000, crop=4, workers=2)
    assert summary["n_windows"] == len(regions) >= 10 and summary["n_bins"] == 56
    with h5py.File(out, "r") as h5:
        built = h5["targets"][:, :, 0].astype(np.float32)
    direct = np.stack([window_target(clr, region, crop=4) for region in regions])
    assert np.isfinite(built).all() and np.abs(built).max() <= 2
    assert np.abs(built - direct).max() <= 1e-3  # float16 rounding only
    assert np.std(built) > 0.05  # real structure, not a constant fill
