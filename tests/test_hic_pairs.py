"""Raw Hi-C maps -> balanced coolers (regformer.chains.hic.maps) equal cooler's own command line; bad input fails."""

from __future__ import annotations

import gzip
import logging
import shutil

import cooler
import numpy as np
import pandas as pd
import pytest
from hic_raw import CHROMS, cli_cooler, cooler_cli, write_fasta, write_pairs

from regformer.chains.hic.maps import prepare_map, usable_as_is
from regformer.errors import InputError

BIN = 4_000


@pytest.fixture(scope="module")
def raw(tmp_path_factory):
    root = tmp_path_factory.mktemp("raw")
    fasta = write_fasta(root / "genome.fa")
    pairs = write_pairs(root / "sample.pairs.gz")
    return {"root": root, "fasta": str(fasta), "pairs": pairs,
            "reference": cli_cooler(pairs, root / "cli.cool", BIN)}


def _assert_same_cooler(a: str, b: str) -> None:
    ca, cb = cooler.Cooler(a), cooler.Cooler(b)
    pd.testing.assert_frame_equal(ca.pixels()[:], cb.pixels()[:])
    np.testing.assert_allclose(ca.bins()["weight"][:], cb.bins()["weight"][:], rtol=1e-12, equal_nan=True)
    assert ca.binsize == cb.binsize and dict(ca.chromsizes) == dict(cb.chromsizes)


def test_pairs_binned_and_balanced_equal_the_cooler_cli(raw, tmp_path):
    out = prepare_map(str(raw["pairs"]), "pairs", tmp_path / "m.cool", fasta=raw["fasta"], bin_size=BIN)
    _assert_same_cooler(str(out), str(raw["reference"]))
    assert cooler.Cooler(str(out)).info["sum"] == 20_000  # every pair binned, none dropped
    assert [p.name for p in tmp_path.iterdir()] == ["m.cool"]


def test_balance_options_reach_cooler_balance(raw, tmp_path):
    options = {"mad_max": 3, "min_nnz": 20, "ignore_diags": 1, "cis_only": True}
    out = prepare_map(str(raw["pairs"]), "pairs", tmp_path / "m.cool", fasta=raw["fasta"], bin_size=BIN,
                      balance_options=options)
    ref = str(shutil.copy(raw["root"] / "cli.cool", tmp_path / "ref.cool"))
    cooler_cli("balance", "--force", "--mad-max", "3", "--min-nnz", "20", "--ignore-diags", "1", "--cis-only", ref)
    _assert_same_cooler(str(out), ref)


def test_unbalanced_cooler_is_balanced_in_a_copy(raw, tmp_path):
    user_file = cli_cooler(raw["pairs"], tmp_path / "user.cool", BIN, balance=False)
    before = user_file.read_bytes()
    assert usable_as_is(str(user_file), BIN) is None  # the workflow routes it through rule hic_map
    out = prepare_map(str(user_file), "cooler", tmp_path / "maps" / "m.cool", fasta=raw["fasta"], bin_size=BIN)
    _assert_same_cooler(str(out), str(raw["reference"]))
    assert user_file.read_bytes() == before  # never balanced in place
    assert usable_as_is(str(out), BIN) == str(out)


def test_mcool_without_the_bin_size_is_coarsened_then_balanced(raw, tmp_path, caplog):
    fine = cli_cooler(raw["pairs"], tmp_path / "fine.cool", 1_000, balance=False)
    cooler_cli("zoomify", "-r", "1000,2000", "-o", str(tmp_path / "f.mcool"), str(fine))
    caplog.set_level(logging.INFO)
    out = prepare_map(str(tmp_path / "f.mcool"), "cooler", tmp_path / "m.cool", fasta=raw["fasta"], bin_size=BIN)
    assert "coarsening" in caplog.text and "resolutions/2000 by 2" in caplog.text
    clr, ref = cooler.Cooler(str(out)), cooler.Cooler(str(raw["reference"]))
    assert clr.binsize == BIN
    np.testing.assert_array_equal(clr.matrix(balance=False)[:], ref.matrix(balance=False)[:])
    assert np.isfinite(clr.bins()["weight"][:]).sum() > 0.8 * clr.info["nbins"]
    with pytest.raises(InputError, match="none divides bin_size 3000"):
        prepare_map(str(tmp_path / "f.mcool::resolutions/2000"), "cooler", tmp_path / "x.cool",
                    fasta=raw["fasta"], bin_size=3_000)
    assert not (tmp_path / "x.cool").exists()


def test_pairs_without_a_header_is_refused(raw, tmp_path):
    bad = tmp_path / "bare.pairs.gz"
    with gzip.open(raw["pairs"], "rt") as src, gzip.open(bad, "wt") as out:
        out.writelines(line for line in src if not line.startswith("#"))
    with pytest.raises(InputError, match="## pairs format") as info:
        prepare_map(str(bad), "pairs", tmp_path / "m.cool", fasta=raw["fasta"], bin_size=BIN)
    assert info.value.source == str(bad)
    assert not (tmp_path / "m.cool").exists()


def test_chromosome_names_outside_the_fasta_get_an_alias_hint(raw, tmp_path):
    named = write_pairs(tmp_path / "ucsc.pairs.gz", n=500, names={"chrA": "A", "chrB": "B", "chrC": "C"})
    with pytest.raises(InputError, match="chromosomes chrA, chrB, chrC are not in the pairs file") as info:
        prepare_map(str(named), "pairs", tmp_path / "m.cool", fasta=raw["fasta"], bin_size=BIN)
    assert "chrA: 'A'" in info.value.fix  # the alias table to add
    out = prepare_map(str(named), "pairs", tmp_path / "m.cool", fasta=raw["fasta"], bin_size=BIN,
                      aliases={"chrA": "A", "chrB": "B", "chrC": "C"})
    assert list(cooler.Cooler(str(out)).chromnames) == ["A", "B", "C"]


def test_truncated_gzip_fails_clearly_and_writes_nothing(raw, tmp_path):
    data = raw["pairs"].read_bytes()
    cut = tmp_path / "cut.pairs.gz"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="truncated or corrupt") as info:
        prepare_map(str(cut), "pairs", tmp_path / "m.cool", fasta=raw["fasta"], bin_size=BIN)
    assert info.value.source == str(cut)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cut.pairs.gz"]


def test_other_assembly_lengths_are_refused(raw, tmp_path):
    longer = write_pairs(tmp_path / "other.pairs.gz", n=500, chroms={**CHROMS, "chrB": 300_500})
    with pytest.raises(InputError, match=r"chrB 300500 vs chrB 300000 \(\+500 bp\)"):
        prepare_map(str(longer), "pairs", tmp_path / "m.cool", fasta=raw["fasta"], bin_size=BIN)


def test_pairs_without_chromsize_lines_on_other_names_is_an_error_not_an_empty_map(raw, tmp_path):
    named = tmp_path / "noheader_sizes.pairs.gz"
    with gzip.open(named, "wt") as out:
        out.writelines(line for line in write_pairs_lines_named() if not line.startswith("#chromsize"))
    with pytest.raises(InputError, match="no pair lies on the chromosomes chrA"):
        prepare_map(str(named), "pairs", tmp_path / "m.cool", fasta=raw["fasta"], bin_size=BIN)
    assert not (tmp_path / "m.cool").exists()


def write_pairs_lines_named():
    from hic_raw import pairs_lines

    return pairs_lines(300, names={"chrA": "A", "chrB": "B", "chrC": "C"})
