"""The fast paths of Hi-C target building give exactly the numbers of the straightforward ones, on real coolers:
direct span reads vs cooler's fetch, our adaptive coarse-graining vs cooltools', blocks vs one window at a time."""

from __future__ import annotations

from pathlib import Path

import cooler
import h5py
import numpy as np
import pytest
from cooltools.lib import numutils

from regformer.chains.hic import targets
from regformer.chains.hic.coarsegrain import adaptive_coarsegrain
from regformer.chains.hic.spans import chrom_weights, read_span

DATA = Path(__file__).parent / "data" / "hic"
COOL_2KB = str(DATA / "yeast_W303_G1_2kb_SRR8769554.cool")
COOL_10KB = str(DATA / "yeast_Scer_10kb.cool")


@pytest.mark.parametrize("uri", [COOL_2KB, COOL_10KB])
def test_read_span_equals_cooler_fetch(uri):
    clr = cooler.Cooler(uri)
    chroms = list(clr.chromnames)[:4] + list(clr.chromnames)[-2:]  # first, last (a chromosome's partial last bin)
    for chrom in chroms:
        size = int(clr.chromsizes[chrom])
        spans = [(0, min(size, 120 * clr.binsize)), (10 * clr.binsize, size), (0, size)]
        for start, end in [(s, e) for s, e in spans if s < e]:
            balanced, raw = read_span(clr, chrom, start, end)
            region = (chrom, start, end)
            expected_raw = clr.matrix(balance=False).fetch(region)
            assert raw.dtype == expected_raw.dtype and np.array_equal(raw, expected_raw)
            assert np.array_equal(balanced, clr.matrix(balance=True).fetch(region), equal_nan=True)
        weights = np.asarray(clr.bins().fetch(chrom)["weight"], dtype=float)
        assert np.array_equal(chrom_weights(clr, chrom), weights, equal_nan=True)


def _cooltools(ar, counts, **kw):
    with np.errstate(invalid="ignore", divide="ignore"):
        return numutils.adaptive_coarsegrain(np.array(ar, dtype=float), counts, **kw)  # it writes into its input


def test_coarsegrain_is_bit_identical_to_cooltools_on_real_windows():
    clr = cooler.Cooler(COOL_2KB)
    for region in [("chr4", 200_000, 712_000), ("chr12", 0, 512_000), ("chr2", 300_000, 700_000)]:
        balanced, raw = clr.matrix(balance=True).fetch(region), clr.matrix(balance=False).fetch(region)
        assert np.isnan(balanced).any()  # filtered bins are exercised
        clipped = targets.clip_near_diagonal(balanced, 2)
        before = clipped.copy()
        with np.errstate(invalid="ignore", divide="ignore"):
            ours = adaptive_coarsegrain(clipped, raw, cutoff=2, max_levels=8)
        assert np.array_equal(ours, _cooltools(clipped, raw, cutoff=2, max_levels=8), equal_nan=True)
        assert np.array_equal(clipped, before, equal_nan=True)  # the input is left alone


@pytest.mark.parametrize("n", [37, 64, 200])
@pytest.mark.parametrize("cutoff", [1, 2, 5])
def test_coarsegrain_is_bit_identical_to_cooltools_on_random_maps(n, cutoff):
    rng = np.random.default_rng(n * cutoff)
    counts = rng.poisson(rng.uniform(0.3, 4), (n, n))
    counts = np.triu(counts) + np.triu(counts, 1).T
    weights = rng.uniform(0.5, 2, n)
    weights[rng.choice(n, n // 8, replace=False)] = np.nan  # filtered rows/columns
    balanced = counts * np.outer(weights, weights)
    with np.errstate(invalid="ignore", divide="ignore"):
        ours = adaptive_coarsegrain(balanced, counts, cutoff=cutoff, max_levels=8)
    assert np.array_equal(ours, _cooltools(balanced, counts, cutoff=cutoff, max_levels=8), equal_nan=True)


def test_build_targets_equals_the_cooltools_recipe_window_by_window(tmp_path, monkeypatch):
    """Blocks + direct reads + our coarse-graining store exactly the float16 of the per-window cooltools recipe."""
    clr = cooler.Cooler(COOL_2KB)
    regions = [(chrom, start, start + 512_000) for chrom in ("chr4", "chr7")
               for start in range(0, int(clr.chromsizes[chrom]) - 512_000 + 1, 128_000)][:10]
    out = tmp_path / "targets.h5"
    targets.build_targets({"map": COOL_2KB}, regions, out, bin_size=2000, crop=16, workers=1)
    with h5py.File(out, "r") as h5:
        built = h5["targets"][:, :, 0]
    monkeypatch.setattr(targets, "adaptive_coarsegrain", _cooltools)  # our module's name for the step, not a mock
    direct = np.stack([targets.window_target(clr, region, crop=16) for region in regions])
    assert len(regions) == 10 and np.array_equal(built, direct.astype(np.float16))
