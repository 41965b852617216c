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
