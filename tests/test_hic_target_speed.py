"""Hi-C target building in blocks (one fetch per block of overlapping windows) gives exactly the numbers of the
straightforward recipe, one cooler fetch and one cooltools pass per window, on a real cooler."""

from __future__ import annotations

from pathlib import Path

import cooler
import h5py
import numpy as np

from regformer.chains.hic import targets

DATA = Path(__file__).parent / "data" / "hic"
COOL_2KB = str(DATA / "yeast_W303_G1_2kb_SRR8769554.cool")


def test_build_targets_equals_the_recipe_window_by_window(tmp_path):
    clr = cooler.Cooler(COOL_2KB)
    regions = [(chrom, start, start + 512_000) for chrom in ("chr4", "chr7")
               for start in range(0, int(clr.chromsizes[chrom]) - 512_000 + 1, 128_000)][:10]
    out = tmp_path / "targets.h5"
    targets.build_targets({"map": COOL_2KB}, regions, out, bin_size=2000, crop=16, workers=1)
    with h5py.File(out, "r") as h5:
        built = h5["targets"][:, :, 0]
    direct = np.stack([targets.window_target(clr, region, crop=16) for region in regions])
    assert len(regions) == 10 and np.array_equal(built, direct.astype(np.float16))


def test_block_matrices_equal_cooler_fetches_per_window():
    """One raw fetch per block, balanced with the stored weights, gives exactly cooler's balanced and raw fetch of
    every window: overlapping windows, the chromosome's last bin, and filtered (NaN-weight) bins included."""
    from regformer.chains.hic.cooler_blocks import block_matrices

    clr = cooler.Cooler(COOL_2KB)
    end = int(clr.chromsizes["chr4"]) // 2000 * 2000
    block = [("chr4", 200_000, 712_000), ("chr4", 328_000, 840_000), ("chr4", end - 512_000, end)]
    weights = clr.bins().fetch("chr4:200000-712000")["weight"].to_numpy()
    assert np.isnan(weights).any()  # the first window has filtered bins
    for region, (balanced, raw) in zip(block, block_matrices(clr, block), strict=True):
        expected_raw = clr.matrix(balance=False).fetch(region)
        assert raw.dtype == expected_raw.dtype and np.array_equal(raw, expected_raw)
        assert np.array_equal(balanced, clr.matrix(balance=True).fetch(region), equal_nan=True)


def test_block_targets_equal_window_targets_before_float16():
    """The block path's float32 targets (before the store's float16 rounding) equal window_target's bit for bit."""
    clr = cooler.Cooler(COOL_2KB)
    block = [("chr7", start, start + 512_000) for start in range(0, 4 * 128_000, 128_000)]
    params = {"crop": 16, "diagonal_offset": 2}
    built = targets._worker(([COOL_2KB], block, params, [2.0]))
    for region, target in zip(block, built, strict=True):
        assert target.dtype == np.float32 and np.array_equal(target[:, 0], targets.window_target(clr, region, **params))
