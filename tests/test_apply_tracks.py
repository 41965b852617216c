"""The tracks chain's apply hooks on a small synthetic genome (real FASTA, bigWig, HDF5 and VCF files): BED
predictions as bigWigs, VCF checks (REF, aliases, multi-allelic records, deletions), SAD scores, ISM."""

import shutil

import h5py
import numpy as np
import pandas as pd
import pyBigWig
import pytest
import torch

from regformer.apply.stages import run_stage
from regformer.apply.vcf import read_vcf, variant_windows
from regformer.chains.tracks.chain import TracksChain
from regformer.chains.tracks.regions import define_track_regions
from regformer.chains.tracks.specs import MODELS
from regformer.chains.tracks.synthetic import simulate_tracks
from regformer.chains.tracks.targets import build_track_targets
from regformer.errors import InputError
from regformer.io.fasta import open_fasta

TRACKS = ("dnase", "chip", "cage")
SEQ, BIN, CROP = 2048, 128, 2  # 16 bins, 12 predicted
VCF_HEADER = ("##fileformat=VCFv4.2\n##INFO=<ID=SVTYPE,Number=1,Type=String,Description=\"type\">\n"
              "##INFO=<ID=END,Number=1,Type=Integer,Description=\"end\">\n"
              "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """results/tracks/demo/ with targets.h5, its genome and an untrained maxpool_cnn of the store's geometry."""
    from regformer.models.saved import save_trained

    work = tmp_path_factory.mktemp("apply_tracks")
    root = work / "results" / "tracks" / "demo"
    raw = root / "raw"
    raw.mkdir(parents=True)
    bws = {t: str(raw / f"{t}.bw") for t in TRACKS}
    simulate_tracks(raw / "genome.fa", bws, {t: str(raw / f"{t}.nf.bw") for t in TRACKS}, raw / "targets.tsv",
                    seed=4, chrom_lengths={"chr1": 60_000, "chr2": 50_000, "chr3": 50_000}, gap_length=0)
    define_track_regions(raw / "genome.fa", list(bws.values()), raw / "regions.tsv", bin_size=BIN, seq_length=SEQ,
                         train_stride=1024, eval_stride=SEQ, valid_chroms=["chr2"], test_chroms=["chr3"])
    build_track_targets(raw / "targets.tsv", raw / "regions.tsv", root / "targets.h5", fasta=raw / "genome.fa",
                        bin_size=BIN, crop=CROP)
    spec = MODELS["maxpool_cnn"]
    arch = TracksChain().arch_for_store(spec, dict(spec.demo), {}, root / "targets.h5")
    torch.manual_seed(0)
    save_trained({"name": "maxpool_cnn", "arch": arch, "model": spec.build(**arch).eval(), "summary": {}},
                 root / "maxpool_cnn" / "model.pt")
    return root


def _genome(dataset, chrom, start, end):
    fasta, _ = open_fasta(dataset / "raw" / "genome.fa")
    return str(fasta[chrom][start:end]).upper()


def _vcf(path, lines):
    path.write_text(VCF_HEADER + "".join("\t".join(map(str, line)) + "\n" for line in lines))
    return path


def test_a_deletion_shifts_the_alternative_window_and_records_are_checked(dataset, tmp_path):
    fasta, lengths = open_fasta(dataset / "raw" / "genome.fa")
    pos = 20_001  # 1-based: the window is [pos - 1 - SEQ/2, pos - 1 + SEQ/2)
    ref3 = _genome(dataset, "chr1", pos - 1, pos + 2)
    other = "A" if ref3[0] != "A" else "C"
    vcf = _vcf(tmp_path / "v.vcf", [("chr1", pos, "del2", ref3, ref3[0], ".", ".", "."),
                                    ("chr1", pos, "multi", ref3[0], f"{other},N", ".", ".", "."),
                                    ("chr1", pos, "sv", "N", "<DEL>", ".", ".", f"SVTYPE=DEL;END={pos + 2}")])
    variants = read_vcf(vcf, fasta, lengths, SEQ)
    assert [v.id for v in variants] == ["del2", "multi", "multi", "sv"]  # the multi-allelic record split
    assert variants[3].ref == ref3 and variants[3].alt == ref3[0]  # <DEL> spelled from the genome
    ref, alt, start = variant_windows(fasta, variants[0], SEQ)
    assert start == pos - 1 - SEQ // 2
    text = _genome(dataset, "chr1", start, start + SEQ + 2)
    expected = text[:SEQ // 2 + 1] + text[SEQ // 2 + 3:SEQ + 2]  # two bases gone, the downstream flank pulled in
    assert "".join("ACGTN"[c] for c in alt) == expected and len(alt) == SEQ
    assert "".join("ACGTN"[c] for c in ref) == text[:SEQ]
    np.testing.assert_array_equal(variant_windows(fasta, variants[3], SEQ)[1], alt)  # the SV form: the same


def test_a_ref_mismatch_names_the_record_and_skip_counts_it(dataset, tmp_path):
    fasta, lengths = open_fasta(dataset / "raw" / "genome.fa")
    wrong = "A" if _genome(dataset, "chr1", 19_999, 20_000) != "A" else "C"
    vcf = _vcf(tmp_path / "v.vcf", [("chr1", 20_000, "bad", wrong, "G", ".", ".", "."),
                                    ("chr1", 100, "edge", _genome(dataset, "chr1", 99, 100), "N", ".", ".", ".")])
    with pytest.raises(InputError, match=f"record chr1:20000 {wrong}>G: REF '{wrong}' does not match the genome"):
        read_vcf(vcf, fasta, lengths, SEQ)
    statuses = [v.status for v in read_vcf(vcf, fasta, lengths, SEQ, ref_mismatch="skip")]
    assert statuses == ["ref_mismatch", "near_chrom_end"]
    with pytest.raises(InputError, match="the FASTA calls it 'chr1'"):
        read_vcf(_vcf(tmp_path / "alias.vcf", [("1", 20_000, "x", "A", "G", ".", ".", ".")]), fasta, lengths, SEQ)


def test_predict_writes_bigwigs_and_variants_sad(dataset, tmp_path):
    model = dataset / "maxpool_cnn" / "model.pt"
    (tmp_path / "r.bed").write_text("chr1\t10000\t14000\tregion\n")
    run_stage("predict", "tracks", model, tmp_path / "r.bed", tmp_path / "p.h5")
    with h5py.File(tmp_path / "p.h5") as h5:
        prediction, starts = h5["prediction"][:], h5["regions/start"][:]
    span = (SEQ // BIN - 2 * CROP) * BIN
    assert prediction.shape == (int(np.ceil(4000 / span)), 12, 3) and starts[0] == 9984 - CROP * BIN  # on the bin grid
    bw = pyBigWig.open(str(tmp_path / "p.dnase.bw"))
    assert bw.chroms()["chr1"] == 60_000
    np.testing.assert_allclose(bw.values("chr1", 9984, 9984 + BIN)[0], prediction[0, 0, 0], rtol=1e-5)
    bw.close()
    (tmp_path / "edge.bed").write_text("chr1\t0\t1000\n")  # a window at the chromosome start moves inside it
    run_stage("predict", "tracks", model, tmp_path / "edge.bed", tmp_path / "edge.h5")
    with h5py.File(tmp_path / "edge.h5") as h5:
        assert h5["regions/start"][:].tolist() == [0]
    pos = 30_001
    base = _genome(dataset, "chr1", pos - 1, pos)
    alt = "A" if base != "A" else "C"
    _vcf(tmp_path / "v.vcf", [("chr1", pos, "same", base, base, ".", ".", "."),
                              ("chr1", pos, "snv", base, alt, ".", ".", ".")])
    table = run_stage("variants", "tracks", model, tmp_path / "v.vcf", tmp_path / "v.tsv")
    assert list(table["status"]) == ["ok", "ok"] and table.loc[0, "sad_dnase"] == 0
    assert set(pd.read_csv(tmp_path / "v.tsv", sep="\t").columns) >= {f"sad_{t}" for t in TRACKS}
    from cyvcf2 import VCF

    annotated = [record.INFO.get("sad_dnase") for record in VCF(str(tmp_path / "v.vcf.gz"))]
    np.testing.assert_allclose(annotated, table["sad_dnase"], rtol=1e-5, atol=1e-6)


def test_explain_mutates_the_central_span(dataset, tmp_path):
    summary = run_stage("explain", "tracks", dataset / "maxpool_cnn" / "model.pt", "test", tmp_path / "e.h5",
                        {"max_sequences": 1, "ism_span": 20, "n_steps": 4, "n_logos": 1})
    assert summary["ism_span"] == [SEQ // 2 - 10, SEQ // 2 + 10]
    with h5py.File(tmp_path / "e.h5") as h5:
        effects = h5["ism"][:]
        assert effects.shape == (1, SEQ, 4) and np.abs(effects[0, SEQ // 2 - 10:SEQ // 2 + 10]).sum() > 0
        assert np.all(effects[0, :SEQ // 2 - 10] == 0) and h5["attribution"].shape == (1, 4, SEQ)
