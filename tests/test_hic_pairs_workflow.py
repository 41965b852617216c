"""The Hi-C rules end to end on raw miniatures: a downloaded 4DN .pairs.gz (md5) and an unbalanced user cooler ->
rule hic_map -> regions -> targets, equal to the targets of coolers built by the cooler command line."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import cooler
import h5py
import numpy as np
import pandas as pd
import yaml
from conftest import REPO
from hic_raw import cli_cooler, write_fasta, write_pairs

from regformer.chains.hic.targets import build_targets_from_regions

SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))
BIN = 4_000


def _dataset(root: Path, pairs: Path, user_cool: Path) -> dict:
    return {"fasta": str(root / "genome.fa"),
            "maps": [{"name": "fromPairs", "pairs": {"url": pairs.as_uri(),
                                                     "md5": hashlib.md5(pairs.read_bytes()).hexdigest()}},
                     {"name": "unbalanced", "uri": str(user_cool)}],
            "bin_size": BIN, "seq_length": 32 * BIN, "crop": 2, "diagonal_offset": 2,
            "train_stride": 16 * BIN, "eval_stride": 32 * BIN, "valid_chroms": ["chrB"], "test_chroms": ["chrC"],
            "insulation_window": 4}


def test_pairs_and_unbalanced_cooler_run_the_rules_to_the_cli_targets(tmp_path):
    root = tmp_path / "raw"
    root.mkdir()
    write_fasta(root / "genome.fa")
    pairs = write_pairs(root / "sample.pairs.gz", n=30_000)
    user_cool = cli_cooler(pairs, root / "user.cool", BIN, balance=False)
    user_bytes = user_cool.read_bytes()
    reference = cli_cooler(pairs, root / "cli.cool", BIN)  # cload pairs + balance on the command line

    work = tmp_path / "run"
    work.mkdir()
    config = {"hic": {"datasets": {"raw": _dataset(root, pairs, user_cool)}, "models": {"distance_baseline": {}}}}
    (work / "config.yaml").write_text(yaml.safe_dump(config))
    cmd = [SNAKEMAKE, "--snakefile", str(REPO / "Snakefile"), "--directory", str(work), "--cores", "2",
           "results/hic/raw/targets.h5"]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-5000:]
    for rule in ("fetch_url", "hic_map", "genome_regions", "genome_targets"):
        assert f"rule {rule}:" in result.stdout + result.stderr

    assert (work / "results/downloads/hic/raw/pairs-fromPairs--sample.pairs.gz").read_bytes() == pairs.read_bytes()
    assert user_cool.read_bytes() == user_bytes  # the user's cooler is never balanced in place
    ref = cooler.Cooler(str(reference))
    for name in ("fromPairs", "unbalanced"):  # counts and weights of the rule's coolers equal the CLI's
        clr = cooler.Cooler(str(work / f"results/hic/raw/maps/{name}.cool"))
        pd.testing.assert_frame_equal(clr.pixels()[:], ref.pixels()[:])
        np.testing.assert_array_equal(clr.bins()["weight"][:], ref.bins()["weight"][:])
    expected = build_targets_from_regions(
        work / "results/hic/raw/regions.tsv", {"fromPairs": str(reference), "unbalanced": str(reference)},
        tmp_path / "expected.h5", fasta=str(root / "genome.fa"), bin_size=BIN, crop=2, diagonal_offset=2, workers=1,
        log_clips=[2.0, 2.0], sigma=1.0, width=5, coarsegrain_cutoff=2, max_levels=8)
    assert expected
    got, want = _datasets(work / "results/hic/raw/targets.h5"), _datasets(tmp_path / "expected.h5")
    assert sorted(got) == sorted(want) and "targets" in got
    for key, value in want.items():
        np.testing.assert_array_equal(got[key], value, err_msg=key)
    assert np.isfinite(got["targets"].astype(np.float32)).all()
    np.testing.assert_array_equal(got["targets"][..., 0], got["targets"][..., 1])  # the same contacts twice


def _datasets(path: Path) -> dict[str, np.ndarray]:
    out = {}
    with h5py.File(path) as h5:
        h5.visititems(lambda name, obj: out.__setitem__(name, obj[()]) if isinstance(obj, h5py.Dataset) else None)
    return out
