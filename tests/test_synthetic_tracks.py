"""The synthetic tracks demo: real FASTA/.fai/bigWig/TSV files whose signal follows the planted motifs, with the
CAGE strength set by enhancer motifs 2-4 kb upstream of each promoter (checked by scanning the FASTA here)."""

from __future__ import annotations

import h5py
import numpy as np
import pandas as pd
import pyBigWig
import pyfaidx
import pytest

from regformer.chains.tracks.regions import define_track_regions
from regformer.chains.tracks.synthetic import DEFAULT_CHROM_LENGTHS, simulate_tracks
from regformer.chains.tracks.synthetic_genome import (ACCESS_MOTIF, CHIP_MOTIF, ENHANCER_MOTIF, PROMOTER_MOTIF,
                                                      PROMOTER_WEAK)
from regformer.chains.tracks.synthetic_signal import PEAKS, TSS_OFFSET
from regformer.chains.tracks.targets import build_track_targets, read_targets_table
from regformer.errors import InputError

TRACKS = ("dnase", "chip", "cage")
RC = str.maketrans("ACGT", "TGCA")


def _simulate(root, seed=5, **kw):
    bws = {t: str(root / f"{t}.bw") for t in TRACKS}
    nfs = {t: str(root / f"{t}.noise_free.bw") for t in TRACKS}
    summary = simulate_tracks(root / "genome.fa", bws, nfs, root / "targets.tsv", seed=seed,
                              noise_free_targets_tsv=root / "noise_free.tsv", **kw)
    return bws, nfs, summary


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    root = tmp_path_factory.mktemp("synthetic_tracks")
    bws, nfs, summary = _simulate(root)
    return {"root": root, "bws": bws, "nfs": nfs, "summary": summary}


def _find(text: str, motif: str) -> list[tuple[int, str]]:
    """(start, strand) of every exact occurrence of motif on either strand (independent of the generator's scan)."""
    out = []
    for word, strand in ((motif, "+"), (motif.translate(RC)[::-1], "-")):
        i = text.find(word)
        while i >= 0:
            out.append((i, strand))
            i = text.find(word, i + 1)
    return out


def _promoters(fasta) -> pd.DataFrame:
    """Each promoter with its TSS, base strength, enhancers 2-4 kb upstream and enhancers 2-4 kb downstream."""
    rows = []
    for chrom, rec in pyfaidx.Fasta(str(fasta)).items():
        text = str(rec[:]).upper()
        enh = np.array(sorted(s + len(ENHANCER_MOTIF) / 2 for s, _ in _find(text, ENHANCER_MOTIF)))
        for motif, base in ((PROMOTER_MOTIF, "promoter_strong"), (PROMOTER_WEAK, "promoter_weak")):
            for s, strand in _find(text, motif):
                anchor, up = (s + len(motif), 1) if strand == "-" else (s, -1)
                dist = (enh - anchor) * up  # > 0 upstream on the promoter's strand
                rows.append({"chrom": chrom, "tss": s - TSS_OFFSET if strand == "-" else s + len(motif) + TSS_OFFSET,
                             "base": PEAKS["cage"][0][base], "n_up": int(((dist >= 2000) & (dist <= 4000)).sum()),
                             "n_down": int(((-dist >= 2000) & (-dist <= 4000 + len(motif))).sum())})
    return pd.DataFrame(rows)


def test_files_open_with_the_fasta_chromosome_sizes(sim):
    sizes = {k: len(v) for k, v in pyfaidx.Fasta(str(sim["root"] / "genome.fa")).items()}
    assert sizes == DEFAULT_CHROM_LENGTHS
    chrom, gap_start, gap_end = sim["summary"]["gap"]
    for path in [*sim["bws"].values(), *sim["nfs"].values()]:
        with pyBigWig.open(path) as bw:
            assert bw.isBigWig() and bw.chroms() == sizes
            assert np.isnan(bw.values(chrom, gap_start, gap_end, numpy=True)).all()  # the gap has no data
            v = bw.values("chr2", 0, sizes["chr2"], numpy=True)
            assert np.isfinite(v).all() and v.min() >= 0 and v.max() > 0
    with pyBigWig.open(sim["bws"]["cage"]) as bw:  # Poisson counts, stored per base over 10-bp steps
        counts = bw.values("chr2", 0, 100_000, numpy=True) * 10
        assert np.allclose(counts, np.round(counts), atol=1e-3)
    table = read_targets_table(sim["root"] / "targets.tsv")
    assert list(table["identifier"]) == list(TRACKS) and list(table["group"]) == list(TRACKS)
    assert list(table["file"]) == [sim["bws"][t] for t in TRACKS] and set(table["sum_stat"]) == {"sum"}
    assert list(read_targets_table(sim["root"] / "noise_free.tsv")["file"]) == [sim["nfs"][t] for t in TRACKS]


def test_noise_free_cage_follows_the_distal_enhancer_rule(sim):
    prom = _promoters(sim["root"] / "genome.fa")
    assert (prom.groupby("n_up").size() >= 15).all() and set(prom["n_up"]) == {0, 1, 2}
    with pyBigWig.open(sim["nfs"]["cage"]) as bw:
        prom["cage"] = [float(np.nansum(bw.values(c, t - 60, t + 60, numpy=True))) for c, t in zip(prom["chrom"],
                                                                                                    prom["tss"])]
    gain = sim["summary"]["enhancer_gain"]
    ratio = prom["cage"] / (prom["base"] * (1 + gain * prom["n_up"]))
    assert ratio.between(0.97, 1.05).all(), ratio.describe()  # base x (1 + gain x upstream enhancers), each one
    decoyed = (prom["n_up"] == 0) & (prom["n_down"] > 0)  # enhancers downstream only: no boost
    assert decoyed.sum() >= 5 and (prom.loc[decoyed, "cage"] / prom.loc[decoyed, "base"]).between(0.97, 1.05).all()
    strong = prom[prom["base"] == prom["base"].max()].groupby("n_up")["cage"].mean()
    assert strong[1] / strong[0] == pytest.approx(1 + gain, rel=0.05)
    assert strong[2] / strong[0] == pytest.approx(1 + 2 * gain, rel=0.05)
    with pyBigWig.open(sim["bws"]["cage"]) as bw:  # the noisy track carries the same signal in expectation
        noisy = sum(float(np.nansum(bw.values(c, t - 60, t + 60, numpy=True))) for c, t in zip(prom["chrom"],
                                                                                                 prom["tss"]))
    assert noisy == pytest.approx(prom["cage"].sum(), rel=0.05)


def test_dnase_and_chip_peak_at_their_motifs(sim):
    text = str(pyfaidx.Fasta(str(sim["root"] / "genome.fa"))["chr2"][:]).upper()
    access = [s + 6 for s, _ in _find(text, ACCESS_MOTIF)]
    chip = [s + 6 for s, _ in _find(text, CHIP_MOTIF)]
    with pyBigWig.open(sim["nfs"]["dnase"]) as dn, pyBigWig.open(sim["nfs"]["chip"]) as ch:
        def mean_at(bw, centres, half):  # the median site's mean signal within +-half bp
            return np.median([np.nanmean(bw.values("chr2", c - half, c + half, numpy=True)) for c in centres])
        background = {t: np.nanmedian(bw.values("chr2", 0, 500_000, numpy=True)) for t, bw in (("d", dn), ("c", ch))}
        assert mean_at(dn, access, 50) > 20 * background["d"] and mean_at(ch, chip, 20) > 50 * background["c"]
        assert mean_at(ch, access, 50) < 2 * background["c"] and mean_at(dn, chip, 50) < 2 * background["d"]
        # ChIP peaks are narrower: a larger share of the peak within +-20 bp of the motif
        share = {n: mean_at(bw, c, 20) / mean_at(bw, c, 200) for n, bw, c in (("d", dn, access), ("c", ch, chip))}
        assert share["c"] > 2 * share["d"]


def test_same_seed_same_files(sim, tmp_path):
    _, _, again = _simulate(tmp_path)
    names = ["genome.fa", "genome.fa.fai"] + [f"{t}{s}.bw" for t in TRACKS for s in ("", ".noise_free")]
    assert all((tmp_path / n).read_bytes() == (sim["root"] / n).read_bytes() for n in names)
    assert again["n_sites"] == sim["summary"]["n_sites"]
    other = tmp_path / "other"
    other.mkdir()
    _simulate(other, seed=6, chrom_lengths={"chrA": 100_000, "chrB": 60_000}, gap_length=0, resolution=1)
    assert (other / "genome.fa").read_bytes() != (sim["root"] / "genome.fa").read_bytes()
    with pyBigWig.open(str(other / "dnase.bw")) as bw:
        assert bw.chroms() == {"chrA": 100_000, "chrB": 60_000} and len(bw.intervals("chrB", 0, 100)) == 100


def test_demo_builds_a_store_whose_noise_free_targets_track_the_noisy_ones(sim, tmp_path):
    root = sim["root"]
    define_track_regions(root / "genome.fa", list(sim["bws"].values()), tmp_path / "regions.tsv", bin_size=128,
                         seq_length=17_920, train_stride=4_480, eval_stride=8_960, valid_chroms=["chr3"],
                         test_chroms=["chr4"])
    stores = {}
    for name, table in (("noisy", root / "targets.tsv"), ("noise_free", root / "noise_free.tsv")):
        summary = build_track_targets(table, tmp_path / "regions.tsv", tmp_path / f"{name}.h5",
                                      fasta=root / "genome.fa", bin_size=128, crop=30)
        assert summary["tracks"] == list(TRACKS) and summary["groups"] == list(TRACKS)
        with h5py.File(tmp_path / f"{name}.h5", "r") as h5:
            stores[name] = h5["targets"][:].astype(np.float64)
            assert all(len(h5[f"index/{s}"]) > 0 for s in ("train", "val", "test"))
    for k in range(3):
        a, b = stores["noisy"][:, :, k].ravel(), stores["noise_free"][:, :, k].ravel()
        assert not np.allclose(a, b) and np.corrcoef(a, b)[0, 1] > 0.8


def test_bad_arguments_write_nothing(tmp_path):
    with pytest.raises(InputError, match="bigwig_paths"):
        simulate_tracks(tmp_path / "g.fa", {"dnase": "a.bw"}, {"dnase": "b.bw"}, tmp_path / "t.tsv")
    bws = {t: str(tmp_path / f"{t}.bw") for t in TRACKS}
    with pytest.raises(InputError, match="promoter_spacing"):
        simulate_tracks(tmp_path / "g.fa", bws, bws, tmp_path / "t.tsv", promoter_spacing=5_000)
    with pytest.raises(InputError, match="chrom_lengths"):
        simulate_tracks(tmp_path / "g.fa", bws, bws, tmp_path / "t.tsv", chrom_lengths={"chr1": 20_000})
    assert not list(tmp_path.iterdir())
