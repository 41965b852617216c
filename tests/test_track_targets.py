"""Basenji-style track targets and regions on real yeast bigWigs (tidyCoverage) and the R64 chromosome II FASTA,
checked against direct pyBigWig reads; every bad-input class fails with an InputError and writes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pyBigWig
import pytest

from regformer.chains.tracks.bigwig import opened_bigwigs
from regformer.chains.tracks.regions import define_track_regions, read_track_regions
from regformer.chains.tracks.targets import block_targets, blocks, build_track_targets, window_targets
from regformer.errors import InputError

DATA = Path(__file__).parent / "data" / "tracks"
FASTA = DATA / "sacCer3_R64_chrII.fa"
BW = {n: str(DATA / f"yeast_{n}.bw") for n in ("PolII", "MNase", "RNA.fwd")}
BIN, SEQ, CROP = 128, 17_920, 30
N_OUT = SEQ // BIN - 2 * CROP
STARTS = [199_936, 204_416, 208_896, 300_032, 600_064]  # overlapping windows, then distant ones
F16 = float(np.finfo(np.float16).max)
# PolII: sum, soft clip and clip both bite; MNase: mean with scale 2; RNA.fwd: no clipping (float16 range only)
RECIPE = {"PolII": ("chip", "sum", 25.0, 20.0, 0.01), "MNase": ("dnase", "mean", 6.0, 5.0, 2.0),
          "RNA.fwd": ("cage", "sum", None, None, 1.0)}


def _table(files=None, **change) -> pd.DataFrame:
    rows = [{"identifier": n, "file": (files or BW)[n], "description": f"yeast {n}", "group": g, "sum_stat": s,
             "clip": c, "clip_soft": cs, "scale": sc} for n, (g, s, c, cs, sc) in RECIPE.items()]
    return pd.DataFrame(rows).assign(**change)


def _regions(path: Path, starts=STARTS, chrom="II", splits=("train", "train", "train", "val", "test")) -> Path:
    pd.DataFrame({"chrom": chrom, "start": starts, "end": [s + SEQ for s in starts], "split": list(splits),
                  "bigwig_chrom": "II"}).to_csv(path, sep="\t", index=False)
    return path


def _reference(path: str, start: int, sum_stat: str, clip, clip_soft, scale, zero=()) -> np.ndarray:
    """The recipe by hand: pyBigWig's exact per-bin means (or per-base values where bases are zeroed)."""
    with pyBigWig.open(path) as bw:
        if zero:
            v = np.nan_to_num(np.asarray(bw.values("II", start, start + SEQ), dtype=float))
            for a, b in zero:
                v[max(a - start, 0):max(b - start, 0)] = 0.0
            mean = v.reshape(-1, BIN).mean(axis=1)
        else:
            mean = np.asarray(bw.stats("II", start, start + SEQ, type="mean", nBins=SEQ // BIN, exact=True), float)
    x = mean * scale * (BIN if sum_stat == "sum" else 1)
    if clip_soft is not None:
        x = np.where(x > clip_soft, clip_soft - 1 + np.sqrt(np.maximum(x - clip_soft + 1, 0)), x)
    if clip is not None:
        x = np.clip(x, -clip, clip)
    return np.clip(x, -F16, F16)[CROP:-CROP]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    root = tmp_path_factory.mktemp("tracks")
    tsv = _regions(root / "regions.tsv")
    table = root / "targets.tsv"
    _table().to_csv(table, sep="\t", index=False)
    summary = build_track_targets(table, tsv, root / "t.h5", fasta=FASTA, bin_size=BIN, crop=CROP)
    return root / "t.h5", summary


def test_recipe_matches_direct_pybigwig_reads(store):
    path, _ = store
    with h5py.File(path, "r") as h5:
        y = h5["targets"][:].astype(np.float64)
    for k, (name, (_, stat, clip, soft, scale)) in enumerate(RECIPE.items()):
        for i, start in enumerate(STARTS):
            ref = _reference(BW[name], start, stat, clip, soft, scale)
            np.testing.assert_allclose(y[i, :, k], ref, rtol=2e-3, atol=2e-3, err_msg=f"{name} window {i}")
    polii = y[:, :, 0]
    assert ((polii > 20.5) & (polii < 24.9)).any() and (polii == 25.0).any()  # soft clip and clip both used
    assert y[:, :, 1].max() == 6.0 and (y[:, :, 2] == np.float16(F16)).any()  # clip; float16 range (no clip)


def test_store_layout(store):
    path, summary = store
    with h5py.File(path, "r") as h5:
        dset = h5["targets"]
        assert dset.shape == (len(STARTS), N_OUT, 3) and dset.dtype == np.float16 and dset.chunks == (1, N_OUT, 3)
        assert {k: list(h5[f"index/{k}"][:]) for k in ("train", "val", "test")} == {"train": [0, 1, 2], "val": [3],
                                                                                   "test": [4]}
        assert list(h5["regions/start"][:]) == STARTS and set(h5["regions/sequence_chrom"][:]) == {b"II"}
        assert list(h5["regions/end"][:] - h5["regions/start"][:]) == [SEQ] * len(STARTS)
        stored = json.loads(h5.attrs["summary"])
        assert json.loads(h5.attrs["tracks"]) == list(RECIPE)
    for key in ("tracks", "groups", "bigwigs", "bin_size", "seq_length", "crop", "n_bins", "n_windows", "fasta"):
        assert stored[key] == summary[key], key
    assert stored["groups"] == ["chip", "dnase", "cage"] and stored["n_bins"] == N_OUT and stored["crop"] == CROP
    assert stored["fasta"] == str(FASTA) and stored["clips"] == [25.0, 6.0, None]


def test_block_reads_equal_window_reads():
    """Blocks of any size give bit-identical float32 values to one read per window (the bench's claim)."""
    recipes = [dict(sum_stat=s, scale=sc, clip_soft=cs, clip=c) for _, s, c, cs, sc in RECIPE.values()]
    starts = np.array(STARTS)
    chroms = np.array(["II"] * len(starts))
    assert blocks(chroms, starts, SEQ, max_span=1 << 21, max_windows=99) == [(0, 3), (3, 4), (4, 5)]
    assert blocks(chroms, starts, SEQ, max_span=1 << 21, max_windows=2) == [(0, 2), (2, 3), (3, 4), (4, 5)]
    assert blocks(chroms, starts, SEQ, max_span=SEQ + 4480, max_windows=99) == [(0, 2), (2, 3), (3, 4), (4, 5)]
    assert len(blocks(chroms, starts, SEQ, max_span=0, max_windows=99)) == len(STARTS)
    with opened_bigwigs(list(BW.values())) as bws:
        one = np.stack([window_targets(bws, recipes, "II", s, s + SEQ, bin_size=BIN, crop=CROP) for s in STARTS])
        for max_span, max_windows in ((1 << 21, 99), (1 << 21, 2), (0, 99)):
            got = np.concatenate([block_targets(bws, recipes, "II", starts[i:j], SEQ, bin_size=BIN, crop=CROP)
                                  for i, j in blocks(chroms, starts, SEQ, max_span=max_span, max_windows=max_windows)])
            assert np.array_equal(got, one)


def test_target_building_shows_windows_done_on_the_console(tmp_path, capfd):
    """As the rule runs it (inside log_to): a block of three overlapping windows, then two single windows."""
    from regformer.logs import log_to

    with log_to(tmp_path / "logs" / "tracks" / "d" / "targets.log"):
        build_track_targets(_table(), _regions(tmp_path / "r.tsv"), tmp_path / "t.h5", fasta=FASTA, bin_size=BIN,
                            crop=CROP)
    assert capfd.readouterr().err.splitlines() == ["[tracks/d/targets] 3/5 windows (60%)",
                                                   "[tracks/d/targets] 4/5 windows (80%)",
                                                   "[tracks/d/targets] 5/5 windows (100%)"]


def test_nan_becomes_zero(tmp_path):
    """A bigWig without the MNase intervals that touch 205,000-206,000 (derived): those bases count as 0."""
    holed = str(tmp_path / "holed.bw")
    with pyBigWig.open(BW["MNase"]) as src, pyBigWig.open(holed, "w") as out:
        out.addHeader(list(src.chroms().items()))
        for chrom in src.chroms():
            iv = [(s, e, v) for s, e, v in src.intervals(chrom) if e <= 205_000 or s >= 206_000]
            out.addEntries([chrom] * len(iv), [s for s, _, _ in iv], ends=[e for _, e, _ in iv],
                           values=[v for _, _, v in iv])
    dropped = [(s, e) for s, e, _ in pyBigWig.open(BW["MNase"]).intervals("II", 205_000, 206_000)]
    lo, hi = dropped[0][0], dropped[-1][1]
    with pyBigWig.open(holed) as bw:
        assert np.isnan(bw.values("II", lo, hi, numpy=True)).all()
    table = _table({**BW, "MNase": holed}).iloc[[1]].assign(clip=None, clip_soft=None)
    build_track_targets(table, _regions(tmp_path / "r.tsv"), tmp_path / "t.h5", fasta=FASTA, bin_size=BIN, crop=CROP)
    with h5py.File(tmp_path / "t.h5", "r") as h5:
        y = h5["targets"][:, :, 0].astype(np.float64)
    ref = _reference(BW["MNase"], STARTS[0], "mean", None, None, 2.0, zero=[(lo, hi)])
    np.testing.assert_allclose(y[0], ref, rtol=2e-3, atol=2e-3)
    assert not np.allclose(ref, _reference(BW["MNase"], STARTS[0], "mean", None, None, 2.0))


def test_blacklisted_bins_are_zero(tmp_path):
    s = STARTS[0] + CROP * BIN
    black = [(s + 10 * BIN, s + 14 * BIN), (s + 20 * BIN + 50, s + 21 * BIN)]  # 4 whole bins, part of a bin
    bed = tmp_path / "black.bed"
    bed.write_text("".join(f"II\t{a}\t{b}\n" for a, b in black))
    build_track_targets(_table(), _regions(tmp_path / "r.tsv"), tmp_path / "t.h5", fasta=FASTA, bin_size=BIN,
                        crop=CROP, blacklist_bed=str(bed))
    with h5py.File(tmp_path / "t.h5", "r") as h5:
        y = h5["targets"][0].astype(np.float64)
        assert json.loads(h5.attrs["summary"])["blacklist"] == str(bed)
    assert (y[10:14] == 0).all() and (y[[9, 14, 20], 0] > 0).all()
    for k, (name, (_, stat, clip, soft, scale)) in enumerate(RECIPE.items()):
        np.testing.assert_allclose(y[:, k], _reference(BW[name], STARTS[0], stat, clip, soft, scale, zero=black),
                                   rtol=2e-3, atol=2e-3)


def test_regions_split_contigs_and_stay_reproducible(tmp_path):
    held = [(100_000, 250_000), (500_000, 650_000)]  # one chromosome: held out by regions (1-based below)
    kw = dict(bin_size=BIN, seq_length=SEQ, train_stride=SEQ // 4, eval_stride=SEQ // 2, valid_fraction=0.2,
              test_fraction=0.2, valid_regions=["II:100001-250000"], test_regions=["II:500001-650000"], seed=3)
    summary = define_track_regions(FASTA, list(BW.values()), tmp_path / "a.tsv", **kw)
    define_track_regions(FASTA, list(BW.values()), tmp_path / "b.tsv", **kw)
    assert (tmp_path / "a.tsv").read_bytes() == (tmp_path / "b.tsv").read_bytes()
    df = read_track_regions(tmp_path / "a.tsv")
    assert all(summary["windows"][s] > 0 for s in ("train", "val", "test")) and summary["contigs"] == 5
    assert (df["start"] % BIN == 0).all() and (df["end"] - df["start"] == SEQ).all() and (df["end"] <= 813_184).all()
    assert (df["bigwig_chrom"] == "II").all()
    train = df[df["split"] == "train"]
    for (a, b), split in zip(held, ("val", "test")):  # no training window touches a held-out region
        assert not ((train["start"] < b) & (train["end"] > a)).any()
        assert ((df["split"] == split) == ((df["start"] >= a) & (df["end"] <= b))).all()


# ---- bad inputs: each an InputError naming the file and the fix; nothing written ----

def _fasta(tmp_path: Path, name="II", length=None) -> Path:
    seq = "".join(FASTA.read_text().split("\n")[1:])[:length]
    path = tmp_path / f"{name}.fa"
    path.write_text(f">{name}\n" + "\n".join(seq[i:i + 60] for i in range(0, len(seq), 60)) + "\n")
    return path


def _fails(fn, out: Path, *words) -> InputError:
    with pytest.raises(InputError) as info:
        fn(out)
    assert not out.exists() and not Path(str(out) + ".tmp").exists()
    for word in words:
        assert word in str(info.value), (word, str(info.value))
    return info.value


def _regions_of(fasta, bigwigs=None, **kw):
    args = dict(bin_size=BIN, seq_length=SEQ, train_stride=SEQ, eval_stride=SEQ, valid_fraction=0.0,
                test_fraction=0.0) | kw
    return lambda out: define_track_regions(fasta, bigwigs or list(BW.values()), out, **args)


@pytest.mark.parametrize("name, hint", [("chrII", "{'chrII': 'II'}"), ("ii", "{'ii': 'II'}")])
def test_chr_prefix_or_case_suggests_aliases(tmp_path, name, hint):
    fasta = _fasta(tmp_path, name)
    err = _fails(_regions_of(fasta), tmp_path / "r.tsv", "not in the bigWig", "aliases " + hint)
    assert err.source.endswith(".bw")
    define_track_regions(fasta, list(BW.values()), tmp_path / "r.tsv", bin_size=BIN, seq_length=SEQ,
                         train_stride=SEQ, eval_stride=SEQ, valid_fraction=0, test_fraction=0, aliases={name: "II"})
    assert (read_track_regions(tmp_path / "r.tsv")["bigwig_chrom"] == "II").all()


def test_other_chromosome_or_assembly(tmp_path):
    _fails(_regions_of(_fasta(tmp_path, "XII")), tmp_path / "r.tsv", "XII", "not in the bigWig", "assembly")
    short = _fasta(tmp_path, "II", 800_000)
    _fails(_regions_of(short), tmp_path / "r.tsv", "813184 bp in the bigWig", "800000 bp in the FASTA")
    _fails(lambda out: build_track_targets(_table(), _regions(tmp_path / "w.tsv"), out, fasta=short, bin_size=BIN,
                                           crop=CROP), tmp_path / "t.h5", "another assembly")


def test_bad_targets_tables(tmp_path):
    regions = _regions(tmp_path / "w.tsv")
    bad = tmp_path / "targets.tsv"
    for table, words in ((_table().drop(columns="clip_soft"), ("missing column", "clip_soft", "targets.tsv")),
                         (_table().assign(identifier=["a", "b", "a"]), ("duplicate identifier", "'a'")),
                         (_table().assign(sum_stat="max"), ("sum_stat",))):
        table.to_csv(bad, sep="\t", index=False)
        _fails(lambda out: build_track_targets(bad, regions, out, fasta=FASTA, bin_size=BIN, crop=CROP),
               tmp_path / "t.h5", *words)


def test_unreadable_or_empty_bigwig(tmp_path):
    text = tmp_path / "text.bw"
    text.write_text("track type=bedGraph\nII\t0\t10\t1\n")
    empty = tmp_path / "empty.bw"
    with pyBigWig.open(str(empty), "w") as bw:
        bw.addHeader([("II", 813_184)])
    _fails(_regions_of(FASTA, [BW["PolII"], str(text)]), tmp_path / "r.tsv", "text.bw", "cannot open")
    _fails(_regions_of(FASTA, [str(empty)]), tmp_path / "r.tsv", "empty.bw", "empty bigWig")
    regions = _regions(tmp_path / "w.tsv")
    _fails(lambda out: build_track_targets(_table({**BW, "MNase": str(empty)}), regions, out, fasta=FASTA,
                                           bin_size=BIN, crop=CROP), tmp_path / "t.h5", "empty bigWig")


def test_window_longer_than_every_contig_or_empty_split(tmp_path):
    _fails(_regions_of(FASTA, seq_length=1 << 19, chromosomes=["II"], valid_regions=["II:400001-401000"]),
           tmp_path / "r.tsv",
           "longer than every contig", "412184 bp", "seq_length <= 412160")
    _fails(_regions_of(FASTA, seq_length=1 << 20), tmp_path / "r.tsv", "no FASTA sequence is >= seq_length")
    _fails(_regions_of(FASTA, valid_fraction=0.1), tmp_path / "r.tsv", "val", "got no window", "valid_chroms")
