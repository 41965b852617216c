"""Issue 27, the tracks chain and genome FASTAs, on the real yeast chromosome II and its bigWigs: track identifiers
that would leave results/, a track named `nan`, bigWigs silent on the held-out windows, the blacklist (bases to 0,
windows kept, as Basenji), held-out regions of a one-chromosome data set, a FASTA of one region, a bgzip FASTA."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pyBigWig
import pytest
from Bio import bgzf

from regformer.chains.tracks.regions import define_track_regions, read_track_regions
from regformer.chains.tracks.targets import build_track_targets
from regformer.chains.tracks.workflow import TracksFiles
from regformer.data.encoding import N_CODE
from regformer.errors import InputError
from regformer.io.fasta import fetch_codes, open_fasta
from regformer.workflow_helpers.common import WorkflowHelpers

DATA = Path(__file__).parent / "data" / "tracks"
FASTA = DATA / "sacCer3_R64_chrII.fa"
BW = str(DATA / "yeast_PolII.bw")
BIN, SEQ, CROP = 128, 17_920, 30
II = 813_184


def _table(path: Path, names=("PolII",), files=(BW,)) -> Path:
    pd.DataFrame({"identifier": list(names), "file": list(files), "description": "yeast", "group": "chip",
                  "sum_stat": "sum", "clip": "", "clip_soft": "", "scale": 1.0}).to_csv(path, sep="\t", index=False)
    return path


def _regions(path: Path, starts, splits) -> Path:
    pd.DataFrame({"chrom": "II", "start": starts, "end": [s + SEQ for s in starts], "split": splits,
                  "bigwig_chrom": "II"}).to_csv(path, sep="\t", index=False)
    return path


def _sequence() -> str:
    return "".join(FASTA.read_text().split("\n")[1:])


def _build(tmp_path, table, regions, fasta=FASTA, **kw):
    return build_track_targets(table, regions, tmp_path / "t.h5", fasta=fasta, bin_size=BIN, crop=CROP, **kw)


def test_a_track_identifier_that_is_a_path_is_refused_before_anything_is_written(tmp_path):
    table = _table(tmp_path / "targets.tsv", names=("../../../../../../../ESCAPED",))
    regions = _regions(tmp_path / "r.tsv", [199_936, 300_032, 600_064], ["train", "val", "test"])
    with pytest.raises(InputError, match=r"targets\.tsv: track identifier '\.\./\.\./.*ESCAPED' cannot be used"):
        _build(tmp_path, table, regions)
    assert not (tmp_path / "t.h5").exists()
    wf = WorkflowHelpers({"tracks": {"datasets": {"d": {"targets": str(table)}}}}, ["tracks"])
    with pytest.raises(InputError, match="cannot be used as a name"):  # the rules' {track} wildcard values
        TracksFiles(wf).names("d")


def test_a_track_named_nan_is_a_name_not_a_missing_value(tmp_path):
    table = _table(tmp_path / "targets.tsv", names=("nan", "NA"), files=(BW, BW))
    regions = _regions(tmp_path / "r.tsv", [199_936, 300_032, 600_064], ["train", "val", "test"])
    assert _build(tmp_path, table, regions)["tracks"] == ["nan", "NA"]
    wf = WorkflowHelpers({"tracks": {"datasets": {"d": {"targets": str(table)}}}}, ["tracks"])
    assert TracksFiles(wf).names("d") == ["nan", "NA"]


def _signal_before(tmp_path, end: int) -> str:
    """A bigWig of chromosome II with the real PolII signal before `end` only (no data after it)."""
    path = str(tmp_path / f"before_{end}.bw")
    with pyBigWig.open(BW) as src, pyBigWig.open(path, "w") as out:
        out.addHeader([("II", II)])
        values = np.nan_to_num(np.asarray(src.values("II", 0, end), dtype=np.float64))
        out.addEntries("II", 0, values=values.tolist(), span=1, step=1)
    return path


def test_bigwigs_silent_on_the_held_out_windows_stop_the_targets_step(tmp_path):
    silent = _signal_before(tmp_path, 250_000)  # signal on the training window only
    regions = _regions(tmp_path / "r.tsv", [199_936, 300_032, 600_064], ["train", "val", "test"])
    with pytest.raises(InputError, match="every track is 0 over all val windows") as info:
        _build(tmp_path, _table(tmp_path / "t.tsv", files=(silent,)), regions)
    assert "bigWigInfo" in str(info.value) and str(silent) in str(info.value)
    assert not (tmp_path / "t.h5").exists() and not (tmp_path / "t.h5.tmp").exists()
    # one silent track among others: built, with a warning and the track named in the summary
    summary = _build(tmp_path, _table(tmp_path / "t.tsv", names=("PolII", "silent"), files=(BW, silent)), regions)
    assert summary["silent_tracks"] == {"test": ["silent"], "train": [], "val": ["silent"]}


def test_the_blacklist_zeroes_bases_but_keeps_windows_as_basenji(tmp_path):
    bed = tmp_path / "black.bed"
    bed.write_text("".join(f"II\t{a}\t{a + 2000}\n" for a in range(100_000, 800_000, 100_000)))
    kw = dict(bin_size=BIN, seq_length=SEQ, train_stride=SEQ, eval_stride=SEQ, valid_fraction=0, test_fraction=0)
    define_track_regions(FASTA, [BW], tmp_path / "plain.tsv", **kw)
    define_track_regions(FASTA, [BW], tmp_path / "black.tsv", blacklist_bed=str(bed), **kw)
    assert (tmp_path / "plain.tsv").read_bytes() == (tmp_path / "black.tsv").read_bytes()
    df = read_track_regions(tmp_path / "black.tsv")
    hit = df[(df["start"] < 102_000) & (df["end"] > 100_000)].index[0]
    build_track_targets(_table(tmp_path / "t.tsv"), tmp_path / "black.tsv", tmp_path / "t.h5", fasta=FASTA,
                        bin_size=BIN, crop=CROP, blacklist_bed=str(bed))
    start = int(df.loc[hit, "start"])
    with h5py.File(tmp_path / "t.h5", "r") as h5:
        y = h5["targets"][hit, :, 0]
    first, last = (100_000 - start) // BIN - CROP, (102_000 - start) // BIN - CROP  # bins inside the interval
    assert (y[first + 1:last] == 0).all()


def test_held_out_regions_split_a_one_chromosome_data_set(tmp_path):
    kw = dict(bin_size=BIN, seq_length=SEQ, train_stride=SEQ // 2, eval_stride=SEQ, valid_fraction=0.3,
              test_fraction=0.3, valid_regions=["II:400,001-500,000"], test_regions=["II:600001-700000"])
    summary = define_track_regions(FASTA, [BW], tmp_path / "r.tsv", **kw)
    df = read_track_regions(tmp_path / "r.tsv")
    val, test, train = (df[df["split"] == s] for s in ("val", "test", "train"))
    assert summary["windows"]["val"] == len(val) > 0 and len(test) > 0 and len(train) > 0
    assert val["start"].min() >= 400_000 and val["end"].max() <= 500_000
    assert test["start"].min() >= 600_000 and test["end"].max() <= 700_000
    for lo, hi in ((400_000, 500_000), (600_000, 700_000)):  # no training window reaches into a held-out region
        assert not ((train["start"] < hi) & (train["end"] > lo)).any()
    for bad, words in ((["II:450001-650000"], "overlaps"), (["chrII:1-20000"], "not inside a FASTA sequence"),
                       (["II:500-400"], "not 'chrom:start-end'")):
        with pytest.raises(InputError, match=words):
            define_track_regions(FASTA, [BW], tmp_path / "bad.tsv", **{**kw, "valid_regions": bad})
        assert not (tmp_path / "bad.tsv").exists()


def test_a_fasta_of_one_region_needs_no_n_padding(tmp_path):
    lo, hi = 200_000, 400_000
    region = tmp_path / "region.fa"
    seq = _sequence()[lo:hi]
    region.write_text(f">II:{lo + 1}-{hi}\n" + "\n".join(seq[i:i + 60] for i in range(0, len(seq), 60)) + "\n")
    fa, sizes = open_fasta(region)
    assert sizes == {"II": hi}
    full, _ = open_fasta(FASTA)
    np.testing.assert_array_equal(fetch_codes(fa, "II", 250_000, 251_000), fetch_codes(full, "II", 250_000, 251_000))
    before = fetch_codes(fa, "II", lo - 100, lo + 100)  # before the region: N
    assert (before[:100] == N_CODE).all() and (before[100:] == fetch_codes(full, "II", lo, lo + 100)).all()
    summary = define_track_regions(region, [BW], tmp_path / "r.tsv", bin_size=BIN, seq_length=SEQ, train_stride=SEQ,
                                   eval_stride=SEQ, valid_fraction=0, test_fraction=0,
                                   valid_regions=["II:300001-340000"], test_regions=["II:340001-380000"])
    df = read_track_regions(tmp_path / "r.tsv")
    assert df["start"].min() >= lo and df["end"].max() <= hi and summary["windows"]["test"] > 0
    a = _build(tmp_path, _table(tmp_path / "t.tsv"), tmp_path / "r.tsv", fasta=region)
    with h5py.File(tmp_path / "t.h5", "r") as h5:
        targets = h5["targets"][:]
    build_track_targets(_table(tmp_path / "t.tsv"), tmp_path / "r.tsv", tmp_path / "f.h5", fasta=FASTA,
                        bin_size=BIN, crop=CROP)
    with h5py.File(tmp_path / "f.h5", "r") as h5:
        np.testing.assert_array_equal(targets, h5["targets"][:])  # the same numbers as with the whole chromosome
    assert a["n_windows"] == len(df)
    wrong = tmp_path / "wrong.fa"
    wrong.write_text(f">II:{lo + 1}-{hi + 5}\n{seq[:120]}\n")
    with pytest.raises(InputError, match="looks like a region of II but holds 120 bp"):
        open_fasta(wrong)


def test_a_bgzip_fasta_reads_as_the_plain_one(tmp_path):
    path = tmp_path / "genome.fa.gz"
    seq = _sequence()
    with bgzf.BgzfWriter(str(path), "wb") as out:
        out.write((">II\n" + "\n".join(seq[i:i + 60] for i in range(0, len(seq), 60)) + "\n").encode())
    fa, sizes = open_fasta(path)
    full, full_sizes = open_fasta(FASTA)
    assert sizes == full_sizes == {"II": II}
    np.testing.assert_array_equal(fetch_codes(fa, "II", 500_000, 520_000), fetch_codes(full, "II", 500_000, 520_000))
    regions = _regions(tmp_path / "r.tsv", [199_936, 300_032, 600_064], ["train", "val", "test"])
    assert json.loads(json.dumps(_build(tmp_path, _table(tmp_path / "t.tsv"), regions, fasta=path)))["n_windows"] == 3
    gz = tmp_path / "plain.fa.gz"
    gz.write_bytes(gzip.compress(FASTA.read_bytes()))
    with pytest.raises(InputError, match=r"plain\.fa\.gz: cannot read the FASTA \(Compressed FASTA is only supported "
                                         r"in BGZF format"):
        open_fasta(gz)


_BUILD_UNDER_A_LIMIT = """
import resource, sys
from regformer.chains.tracks.targets import build_track_targets
from regformer.chains.tracks.workflow import TracksFiles
resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))  # as `ulimit -f 97`
build_track_targets(sys.argv[1], sys.argv[2], sys.argv[3], fasta=sys.argv[4], bin_size=128, crop=30)
"""


def test_a_targets_store_under_a_write_limit_stops_with_a_message_and_no_tmp(tmp_path):
    import os
    import subprocess
    import sys

    define_track_regions(FASTA, [BW], tmp_path / "r.tsv", bin_size=BIN, seq_length=SEQ, train_stride=512,
                         eval_stride=SEQ, valid_fraction=0, test_fraction=0)  # ~1,500 windows: 0.7 MB of targets
    (out := tmp_path / "out").mkdir()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    result = subprocess.run([sys.executable, "-c", _BUILD_UNDER_A_LIMIT, str(_table(tmp_path / "t.tsv")),
                             str(tmp_path / "r.tsv"), str(out / "targets.h5"), str(FASTA)], capture_output=True,
                            text=True, env=env, timeout=120)
    assert result.returncode == 1, (result.returncode, result.stderr[-2000:])
    assert f"{out}/targets.h5: the disk is full, or a file-size limit" in result.stderr.strip().splitlines()[-1]
    assert list(out.iterdir()) == []
