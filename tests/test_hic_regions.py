"""Hi-C regions step on real files: a small FASTA with N runs, small balanced coolers, and the yeast 2 kb cooler."""

from __future__ import annotations

import warnings
from pathlib import Path

import cooler
import h5py
import numpy as np
import pandas as pd
import pytest

from regformer.chains.hic.regions import define_regions, read_regions
from regformer.data.genome_windows import find_contigs, genome_windows, read_bed
from regformer.errors import InputError
from regformer.io.fasta import n_runs, open_fasta

COOL = Path(__file__).parent / "data" / "hic" / "yeast_W303_G1_2kb_SRR8769554.cool"
BIN, SEQ, TRAIN, EVAL = 100, 2000, 500, 1000
N_RCONTIGS, R_CONTIG, R_PERIOD = 30, 2500, 3550  # chrR: 30 contigs of 2500 bp, separated by 1050 bp N gaps


def _random_seq(rng, n: int) -> np.ndarray:
    return rng.choice(np.frombuffer(b"ACGTacgt", dtype=np.uint8), n)


def _genome(rng) -> dict[str, bytes]:
    """Sequences with long (>= 1000) and short N runs, upper and lower case, telomeric Ns, and a short chromosome."""
    seqs = {name: _random_seq(rng, n) for name, n in
            [("chrA", 20_000), ("chrB", 15_050), ("chrC", 12_000), ("chrS", 1_500), ("chrR", N_RCONTIGS * R_PERIOD)]}
    seqs["chrA"][3_000:3_200] = ord("n")     # short: stays inside the contig
    seqs["chrA"][8_000:9_550] = ord("N")     # long: contig break
    seqs["chrB"][5_000:5_900] = ord("N")     # 900 bp: short
    seqs["chrB"][12_000:13_000] = ord("n")   # exactly min_gap: contig break
    seqs["chrC"][0:350] = ord("N")           # telomeric Ns are trimmed whatever their length
    for k in range(N_RCONTIGS):
        seqs["chrR"][k * R_PERIOD + R_CONTIG:(k + 1) * R_PERIOD] = ord("N")
    return {k: v.tobytes() for k, v in seqs.items()}


def write_fasta(path: Path, seqs: dict[str, bytes], width: int = 60) -> Path:
    with open(path, "wb") as fh:
        for name, seq in seqs.items():
            fh.write(b">" + name.encode() + b"\n")
            fh.write(b"\n".join(seq[i:i + width] for i in range(0, len(seq), width)) + b"\n")
    return path


def make_cooler(path: Path, chromsizes: dict[str, int], bin_size: int = BIN,
                nan_bins: dict[str, list[int]] | None = None, balance: bool = True) -> str:
    """Banded random contacts, balanced with cooler; then exactly the bins in nan_bins (per chrom) get NaN weights."""
    rng = np.random.default_rng(0)
    bins = cooler.binnify(pd.Series(chromsizes), bin_size)
    offsets = np.concatenate(([0], np.cumsum([-(-n // bin_size) for n in chromsizes.values()])))
    i, j = zip(*[(np.arange(lo, hi - d), np.arange(lo + d, hi)) for lo, hi in zip(offsets[:-1], offsets[1:])
                 for d in range(20)])  # the first 20 diagonals of each chromosome
    pixels = pd.DataFrame({"bin1_id": np.concatenate(i), "bin2_id": np.concatenate(j)})
    pixels["count"] = rng.integers(5, 50, len(pixels))
    uri = str(path)
    cooler.create_cooler(uri, bins, pixels, ordered=True)
    if balance:
        with warnings.catch_warnings():  # convergence is irrelevant: the weights are overwritten below
            warnings.simplefilter("ignore")
            cooler.balance_cooler(cooler.Cooler(uri), store=True)
        with h5py.File(uri, "r+") as h5:
            w = h5["bins/weight"][:]
            w[np.isnan(w)] = 1.0  # exact control: only the chosen bins are filtered
            for chrom, idx in (nan_bins or {}).items():
                w[offsets[list(chromsizes).index(chrom)] + np.asarray(idx)] = np.nan
            h5["bins/weight"][:] = w
    return uri


@pytest.fixture(scope="module")
def genome(tmp_path_factory):
    root = tmp_path_factory.mktemp("genome")
    seqs = _genome(np.random.default_rng(1))
    fasta = write_fasta(root / "genome.fa", seqs)
    sizes = {k: len(v) for k, v in seqs.items()}
    maps = {"a": make_cooler(root / "a.cool", sizes, nan_bins={"chrA": list(range(10))}),
            "b": make_cooler(root / "b.cool", sizes, nan_bins={"chrB": list(range(100, 116))})}
    return {"root": root, "fasta": fasta, "sizes": sizes, "maps": maps}


def _run(genome, out, maps=None, **kw):
    args = {"bin_size": BIN, "seq_length": SEQ, "train_stride": TRAIN, "eval_stride": EVAL, **kw}
    return define_regions(genome["fasta"], maps or genome["maps"], out, **args)


def test_contigs_break_at_long_n_runs_only(genome):
    fa, sizes = open_fasta(genome["fasta"])
    contigs = find_contigs(fa, ["chrA", "chrB", "chrC"], sizes, min_gap=1000)
    assert contigs == [("chrA", 0, 8_000), ("chrA", 9_550, 20_000), ("chrB", 0, 12_000), ("chrB", 13_000, 15_050),
                       ("chrC", 350, 12_000)]
    for chrom in ("chrA", "chrB", "chrC", "chrR"):  # runs spanning chunk edges are merged, whatever the chunk size
        assert n_runs(fa, chrom, 1000, chunk=7) == n_runs(fa, chrom, 1000, chunk=997) == n_runs(fa, chrom, 1000)
    assert n_runs(fa, "chrA", 100) == [(3_000, 3_200), (8_000, 9_550)]
    assert find_contigs(fa, ["chrA", "chrS"], sizes, min_gap=1000, min_length=SEQ) == [("chrA", 0, 8_000),
                                                                                     ("chrA", 9_550, 20_000)]


def test_blacklist_bed_cuts_contigs(genome, tmp_path):
    bed = tmp_path / "black.bed"
    # header lines, extra columns, space-separated, and an interval inside an N run
    bed.write_text("track name=black\n# comment\nchrA\t12000\t12500\tx\nchrB 0 100\nchrA\t8100\t8200\n")
    fa, sizes = open_fasta(genome["fasta"])
    black = read_bed(bed, sizes, {})
    assert find_contigs(fa, ["chrA", "chrB"], sizes, min_gap=1000, blacklist=black) == [
        ("chrA", 0, 8_000), ("chrA", 9_550, 12_000), ("chrA", 12_500, 20_000), ("chrB", 100, 12_000),
        ("chrB", 13_000, 15_050)]
    out = tmp_path / "r.tsv"
    _run(genome, out, valid_chroms=["chrB"], test_chroms=["chrC"], max_filtered_fraction=1.0, blacklist_bed=str(bed))
    df = read_regions(out)
    a = df[df.chrom == "chrA"]
    assert not ((a.start < 12_500) & (a.end > 12_000)).any()
    assert list(a.start[(a.start >= 9_550) & (a.end <= 12_000)]) == [9_600]


def test_windows_aligned_strided_and_held_out(genome, tmp_path):
    out = tmp_path / "r.tsv"
    summary = _run(genome, out, valid_chroms=["chrB"], test_chroms=["chrC"], max_filtered_fraction=1.0,
                   chromosomes=["chrA", "chrB", "chrC"])
    df = read_regions(out)
    assert list(df.columns) == ["chrom", "start", "end", "split", "cooler_chrom", "filtered_a", "filtered_b"]
    assert (df.chrom == df.cooler_chrom).all()
    assert dict(df.groupby("chrom").split.unique().map(tuple)) == {"chrA": ("train",), "chrB": ("val",),
                                                                  "chrC": ("test",)}
    expected = {"chrA": list(range(0, 6_001, TRAIN)) + list(range(9_600, 18_001, TRAIN)),
                "chrB": list(range(0, 10_001, EVAL)) + [13_000], "chrC": list(range(400, 10_000, EVAL))}
    for chrom, starts in expected.items():
        assert list(df.start[df.chrom == chrom]) == starts
    assert ((df.end - df.start) == SEQ).all() and (df.start % BIN == 0).all()
    assert summary["windows"] == {"train": 30, "val": 12, "test": 10}
    assert summary["dropped"] == {"train": 0, "val": 0, "test": 0}
    assert summary["contigs"] == 5 and summary["contig_length"] == 8_000 + 10_450 + 12_000 + 2_050 + 11_650


def test_random_contig_assignment_is_seeded_and_disjoint(genome, tmp_path):
    kw = {"chromosomes": ["chrR"], "valid_fraction": 0.2, "test_fraction": 0.2, "max_filtered_fraction": 1.0}
    s1 = _run(genome, tmp_path / "1.tsv", seed=1, **kw)
    _run(genome, tmp_path / "1b.tsv", seed=1, **kw)
    _run(genome, tmp_path / "2.tsv", seed=2, **kw)
    assert (tmp_path / "1.tsv").read_bytes() == (tmp_path / "1b.tsv").read_bytes()
    assert s1["contigs"] == N_RCONTIGS and s1["contigs_per_split"] == {"train": 18, "val": 6, "test": 6}
    splits = []
    for name in ("1", "2"):
        df = read_regions(tmp_path / f"{name}.tsv")
        k = df.start // R_PERIOD  # contig index of each window
        assert (df.start % BIN == 0).all() and (df.end <= k * R_PERIOD + R_CONTIG).all()
        per_contig = df.groupby(k).split.nunique()
        assert (per_contig == 1).all() and len(per_contig) == N_RCONTIGS  # every contig is in exactly one split
        assign = df.groupby(k).split.first()
        strides = df.groupby(k).start.diff().dropna()
        assert set(strides[df.split[strides.index] == "train"]) <= {TRAIN}
        assert set(strides[df.split[strides.index] != "train"]) <= {EVAL}
        splits.append(tuple(assign))
    assert splits[0] != splits[1]


def test_filtered_fraction_drops_exactly_the_windows_over_threshold(genome, tmp_path):
    out = tmp_path / "r.tsv"
    kw = {"valid_chroms": ["chrB"], "test_chroms": ["chrC"], "chromosomes": ["chrA", "chrB", "chrC"]}
    full = _run(genome, tmp_path / "all.tsv", max_filtered_fraction=1.0, **kw)
    summary = _run(genome, out, max_filtered_fraction=0.4, **kw)
    df, alldf = read_regions(out), read_regions(tmp_path / "all.tsv")
    key = lambda d: set(zip(d.chrom, d.start))  # noqa: E731
    assert key(alldf) - key(df) == {("chrA", 0), ("chrB", 9_000), ("chrB", 10_000)}
    assert summary["dropped"] == {"train": 1, "val": 2, "test": 0}
    assert {s: full["windows"][s] - summary["windows"][s] for s in full["windows"]} == summary["dropped"]
    row = alldf.set_index(["chrom", "start"])
    assert row.loc[("chrA", 0), "filtered_a"] == 0.5 and row.loc[("chrA", 500), "filtered_a"] == 0.25
    assert row.loc[("chrB", 9_000), "filtered_b"] == 0.5 and row.loc[("chrB", 10_000), "filtered_b"] == 0.8
    assert _run(genome, tmp_path / "half.tsv", max_filtered_fraction=0.5, **kw)["dropped"]["train"] == 0  # > not >=
    for name, uri in genome["maps"].items():  # every fraction equals a direct cooler fetch
        clr = cooler.Cooler(uri)
        direct = [np.isnan(clr.bins().fetch((c, s, e))["weight"].to_numpy()).mean()
                  for c, s, e in zip(alldf.cooler_chrom, alldf.start, alldf.end)]
        np.testing.assert_allclose(alldf[f"filtered_{name}"], direct, atol=1e-6)


@pytest.fixture(scope="module")
def yeast_fasta(tmp_path_factory):
    """A FASTA named '4' and '7' (Ensembl style) with the lengths of the cooler's chr4 and chr7."""
    sizes = cooler.Cooler(str(COOL)).chromsizes
    rng = np.random.default_rng(2)
    seqs = {"4": _random_seq(rng, int(sizes["chr4"])).tobytes(), "7": _random_seq(rng, int(sizes["chr7"])).tobytes()}
    return write_fasta(tmp_path_factory.mktemp("yeast") / "yeast.fa", seqs)


def test_chr_prefix_mismatch_then_alias_table_fixes_it(yeast_fasta, tmp_path):
    out = tmp_path / "r.tsv"
    kw = {"bin_size": 2000, "seq_length": 512_000, "train_stride": 128_000, "eval_stride": 256_000,
          "test_chroms": ["7"], "valid_fraction": 0.0}
    with pytest.raises(InputError) as err:
        define_regions(yeast_fasta, {"g1": str(COOL)}, out, **kw)
    assert err.value.source == str(COOL) and "4, 7" in err.value.problem and "chrM" in err.value.problem
    assert "FASTA has 4, cooler has chr4" in err.value.fix and "{4: 'chr4', 7: 'chr7'}" in err.value.fix
    assert not out.exists()
    summary = define_regions(yeast_fasta, {"g1": str(COOL)}, out, aliases={"4": "chr4", "7": "chr7"},
                             max_filtered_fraction=0.06, **kw)
    df = read_regions(out)
    assert dict(zip(df.chrom, df.cooler_chrom)) == {"4": "chr4", "7": "chr7"}
    clr = cooler.Cooler(str(COOL))
    tiled = [("4", "chr4", s, "train") for s in range(0, 1_526_000 - 512_000 + 1, 128_000)]
    tiled += [("7", "chr7", s, "test") for s in range(0, 1_086_000 - 512_000 + 1, 256_000)]
    frac = {(c, s): np.isnan(clr.bins().fetch((cc, s, s + 512_000))["weight"].to_numpy()).mean()
            for c, cc, s, _ in tiled}  # direct per-window fetch from the real cooler
    kept = [(c, s, split) for c, _, s, split in tiled if frac[c, s] <= 0.06]
    assert list(zip(df.chrom, df.start, df.split)) == kept
    assert summary["dropped"] == {"train": 2, "val": 0, "test": 1}  # real filtered bins, threshold in between
    np.testing.assert_allclose(df.filtered_g1, [frac[c, s] for c, s, _ in kept], atol=1e-6)


def test_wrong_resolution_and_unbalanced_cooler(yeast_fasta, genome, tmp_path):
    out = tmp_path / "r.tsv"
    with pytest.raises(InputError, match=r"resolutions/4000"):
        define_regions(yeast_fasta, {"g1": str(COOL)}, out, bin_size=4000, seq_length=512_000, train_stride=128_000,
                       eval_stride=256_000, aliases={"4": "chr4", "7": "chr7"})
    mcool = str(tmp_path / "a.mcool")  # a multi-resolution file: the base resolution keeps its weights
    cooler.zoomify_cooler(genome["maps"]["a"], mcool, [BIN, 2 * BIN], chunksize=10**6)
    kw = {"valid_chroms": ["chrB"], "test_chroms": ["chrC"], "chromosomes": ["chrA", "chrB", "chrC"]}
    with pytest.raises(InputError, match=rf"pick FILE.mcool::resolutions/{BIN}"):
        _run(genome, out, maps={"a": f"{mcool}::resolutions/{2 * BIN}"}, **kw)
    _run(genome, out, maps={"a": f"{mcool}::resolutions/{BIN}"}, max_filtered_fraction=0.4, **kw)
    _run(genome, tmp_path / "cool.tsv", maps={"a": genome["maps"]["a"]}, max_filtered_fraction=0.4, **kw)
    assert out.read_bytes() == (tmp_path / "cool.tsv").read_bytes()
    out.unlink()
    raw = make_cooler(tmp_path / "raw.cool", genome["sizes"], balance=False)
    with pytest.raises(InputError) as err:
        _run(genome, out, maps={"raw": raw}, valid_chroms=["chrB"], test_chroms=["chrC"])
    assert err.value.source == raw and f"cooler balance {raw}" in err.value.fix
    assert not out.exists()


def test_length_mismatch_is_an_error_unless_within_length_tolerance(genome, tmp_path):
    out = tmp_path / "r.tsv"
    kw = {"valid_chroms": ["chrB"], "test_chroms": ["chrC"], "chromosomes": ["chrA", "chrB", "chrC"]}
    longer = make_cooler(tmp_path / "long.cool", {**genome["sizes"], "chrA": 20_101})
    with pytest.raises(InputError) as err:
        _run(genome, out, maps={"x": longer}, **kw)
    assert "differ from the FASTA by up to 101 bp" in err.value.problem
    assert "chrA 20101 vs chrA 20000 (+101 bp)" in err.value.problem and "length_tolerance: 101" in err.value.fix
    assert not out.exists()
    shorter = make_cooler(tmp_path / "short.cool", {**genome["sizes"], "chrB": 14_990})  # FASTA: 15,050
    with pytest.raises(InputError, match=r"beyond length_tolerance 59 bp: chrB 14990 vs chrB 15050 \(-60 bp\)"):
        _run(genome, out, maps={"x": shorter}, max_filtered_fraction=1.0, length_tolerance=59, **kw)
    _run(genome, out, maps={"x": shorter}, max_filtered_fraction=1.0, length_tolerance=60, **kw)
    b = read_regions(out).query("chrom == 'chrB'")
    assert len(b) and b.end.max() <= 14_990 and 13_000 not in set(b.start)  # capped to the shorter map


def test_real_yeast_cooler_differs_from_r64_by_a_few_bp(tmp_path):
    """The open2c 10 kb yeast cooler (an older release) has chrI 230,221 bp; sacCer3/R64 chrI is 230,218 bp."""
    fasta = Path(__file__).parent / "data" / "hic" / "sacCer3_chrI.fa"
    cool = str(Path(__file__).parent / "data" / "hic" / "yeast_Scer_10kb.cool")
    out = tmp_path / "r.tsv"
    kw = {"bin_size": 10_000, "seq_length": 100_000, "train_stride": 50_000, "eval_stride": 50_000,
          "valid_fraction": 0.0, "test_fraction": 0.0}
    with pytest.raises(InputError) as err:
        define_regions(fasta, {"yeast": cool}, out, **kw)
    assert err.value.source == cool and "differ from the FASTA by up to 3 bp" in err.value.problem
    assert "older release" in err.value.problem and "length_tolerance: 3" in err.value.fix
    assert not out.exists()
    define_regions(fasta, {"yeast": cool}, out, length_tolerance=3, max_filtered_fraction=1.0, **kw)
    df = read_regions(out)
    assert list(df.start) == list(range(0, 230_218 - 100_000 + 1, 50_000)) and df.end.max() <= 230_218


def test_bad_config_and_inputs_leave_old_output_alone(genome, tmp_path):
    out = tmp_path / "r.tsv"
    out.write_text("old\n")
    bed = tmp_path / "bad.bed"
    bed.write_text("chrZ\t0\t10\n")
    cases = [({"valid_chroms": ["chrB"], "test_chroms": ["chrB"]}, "in both"),
             ({"valid_chroms": ["chrQ"]}, "'chrQ' is not in the FASTA"),
             ({"valid_chroms": ["chrB"], "test_chroms": ["chrC"], "blacklist_bed": str(bed)}, "'chrZ' is not in"),
             ({"chromosomes": ["chrA", "chrS"], "test_chroms": ["chrS"], "valid_fraction": 0},
              "chrS (1,500 bp) is shorter than seq_length"),
             ({"chromosomes": ["chrA", "chrB", "chrS"], "valid_chroms": ["chrS"], "test_chroms": ["chrB"]},
              "chrS (1,500 bp) is shorter than seq_length"),
             ({"train_stride": 550}, "not a positive multiple")]
    for kw, message in cases:
        with pytest.raises(InputError) as err:
            _run(genome, out, **kw)
        assert message in str(err.value), (kw, str(err.value))
        if "shorter than seq_length" in message:
            assert "smaller seq_length" in err.value.fix
    assert out.read_text() == "old\n" and not list(tmp_path.glob("*.tmp"))


def test_read_regions_checks_columns(tmp_path):
    bad = tmp_path / "bad.tsv"
    pd.DataFrame({"chrom": ["1"], "start": [0], "end": [10], "split": ["train"]}).to_csv(bad, sep="\t", index=False)
    with pytest.raises(InputError, match="cooler_chrom"):
        read_regions(bad)
    for label in ("dev", "valid"):  # "valid" was the label before the train/val/test contract: rebuild such TSVs
        pd.DataFrame({"chrom": ["1"], "start": [0], "end": [10], "split": [label], "cooler_chrom": ["1"],
                      "filtered_a": [0.0]}).to_csv(bad, sep="\t", index=False)
        with pytest.raises(InputError, match="train/val/test"):
            read_regions(bad)


def test_genome_windows_hold_out_chromosomes_and_stay_inside_contigs(genome, tmp_path):
    """Held-out chromosomes, fractions, N runs, contig ends and tie order of the windowing shared by chains."""
    (fa, sizes), chroms = open_fasta(genome["fasta"]), ["chrA", "chrB", "chrC", "chrR"]
    kw = {"seed": 3, "min_gap": 1000, "seq_length": SEQ, "bin_size": BIN, "train_stride": TRAIN, "eval_stride": EVAL}
    df = genome_windows(fa, chroms, sizes, held_out={"val": ["chrB"]}, fractions={"val": 0.3, "test": 0.3}, **kw)
    assert list(df.columns) == ["chrom", "start", "end", "split"] and set(df.split) == {"train", "val", "test"}
    assert set(df.chrom[df.split == "val"]) == {"chrB"} and set(df.split[df.chrom == "chrB"]) == {"val"}
    assert (df.split == "test").sum() >= 5 and "chrB" not in set(df.chrom[df.split == "test"])
    assert ((df.end - df.start) == SEQ).all() and (df.start % BIN == 0).all() and (df.end <= df.chrom.map(sizes)).all()
    for chrom, start, end in zip(df.chrom, df.start, df.end):  # short N runs are fine, a 1000 bp gap is not
        assert "N" * 1000 not in fa[chrom][start:end].upper(), (chrom, start)
    _run(genome, tmp_path / "r.tsv", chromosomes=chroms, valid_chroms=["chrB"], valid_fraction=0.3,
         test_fraction=0.3, seed=3, max_filtered_fraction=1.0)
    pd.testing.assert_frame_equal(read_regions(tmp_path / "r.tsv")[list(df.columns)], df)
    r = [genome_windows(fa, ["chrR"], sizes, held_out={}, fractions=f, **kw) for f in
         ({"val": 0.2, "test": 0.2}, {"test": 0.2, "val": 0.2})]
    pd.testing.assert_frame_equal(r[0], r[1])  # equal fractions tie at once: "val" is served first either way
    k = r[0].start // R_PERIOD  # each window's contig: one split per contig, never past the contig's end
    assert (r[0].end <= k * R_PERIOD + R_CONTIG).all() and (r[0].groupby(k).split.nunique() == 1).all()
