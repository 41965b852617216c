"""The Hi-C chain's apply hooks on a small synthetic genome and map (real FASTA, .mcool, HDF5, VCF and .cool
files): BED predictions as .cool, SuPreMo-style masking of indels, disruption scores of an untrained Akita."""

import cooler
import numpy as np
import pytest
import torch

from regformer.apply.stages import run_stage
from regformer.chains.hic.apply import disruption, kept_bins
from regformer.chains.hic.chain import HicChain
from regformer.chains.hic.specs import MODELS
from regformer.chains.hic.synthetic import simulate_hic
from regformer.chains.hic.targets import build_targets
from regformer.io.fasta import open_fasta

SEQ, BIN, CROP = 16384, 128, 8
VCF_HEADER = ("##fileformat=VCFv4.2\n##INFO=<ID=SVTYPE,Number=1,Type=String,Description=\"type\">\n"
              "##INFO=<ID=END,Number=1,Type=Integer,Description=\"end\">\n"
              "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """results/hic/demo/ with targets.h5, its genome and an untrained demo Akita of the store's geometry."""
    from regformer.models.saved import save_trained

    root = tmp_path_factory.mktemp("apply_hic") / "results" / "hic" / "demo"
    raw = root / "raw"
    raw.mkdir(parents=True)
    simulate_hic(raw / "genome.fa", {"cellA": str(raw / "a.mcool")}, {"cellA": str(raw / "a.nf.mcool")},
                 raw / "sites.bed", chrom_lengths={"chr1": 100_000, "chr2": 100_000}, bin_size=BIN, site_spacing=3000,
                 contacts_per_map=1e6, seed=1, gap_length=0, max_distance_bins=160, max_loop_length=40000)
    regions = [("chr1", 40_960, 40_960 + SEQ), ("chr2", 0, SEQ), ("chr2", 40_960, 40_960 + SEQ)]
    build_targets({"cellA": f"{raw / 'a.mcool'}::resolutions/{BIN}"}, regions, root / "targets.h5", bin_size=BIN,
                  crop=CROP, splits=["train", "val", "test"], fasta=str(raw / "genome.fa"))
    spec = MODELS["akita"]
    arch = HicChain().arch_for_store(spec, dict(spec.demo), {}, root / "targets.h5")
    torch.manual_seed(0)
    save_trained({"name": "akita", "arch": arch, "model": spec.build(**arch).eval(), "summary": {}},
                 root / "akita" / "model.pt")
    return root


def test_indel_masks_keep_the_same_number_of_bins_on_both_sides():
    keep_ref, keep_alt = kept_bins(10, 100, 1, 600, ref_len=251, alt_len=1)  # 250 bp deleted after bp 600
    assert list(np.flatnonzero(~keep_ref)) == [5, 6, 7]  # window bp 601-850 = bins 6-8, less the cropped one
    assert list(np.flatnonzero(~keep_alt)) == [7, 8, 9]  # the pulled-in 3' flank (2 bins) and one to even up
    keep_ref, keep_alt = kept_bins(10, 100, 1, 600, ref_len=1, alt_len=151)  # an insertion: the mirror image
    assert list(np.flatnonzero(~keep_alt)) == [5, 6] and keep_ref.sum() == keep_alt.sum() == 8
    assert kept_bins(10, 100, 1, 600, 1, 1)[0].all()  # an SNV masks nothing
    vec = np.random.default_rng(0).normal(size=36)  # 10 bins from diagonal 2
    assert disruption(vec, vec, 10, 2, *kept_bins(10, 100, 1, 600, 1, 1)) == (0.0, pytest.approx(0.0, abs=1e-12))


def test_predict_writes_a_cool_and_variants_score_disruption(dataset, tmp_path):
    model = dataset / "akita" / "model.pt"
    (tmp_path / "r.bed").write_text("chr1\t20000\t40000\n")
    run_stage("predict", "hic", model, tmp_path / "r.bed", tmp_path / "p.h5")
    clr = cooler.Cooler(str(tmp_path / "p.cellA.cool"))
    assert clr.binsize == BIN and clr.pixels()[:].shape[0] > 0
    fasta, _ = open_fasta(dataset / "raw" / "genome.fa")
    pos = 60_001
    ref = str(fasta["chr1"][pos - 1:pos + 300]).upper()
    lines = [("chr1", pos, "same", ref[0], ref[0], ".", ".", "."),
             ("chr1", pos, "del300", ref, ref[0], ".", ".", "."),
             ("chr1", pos, "sv300", "N", "<DEL>", ".", ".", f"SVTYPE=DEL;END={pos + 300}")]
    (tmp_path / "v.vcf").write_text(VCF_HEADER + "".join("\t".join(map(str, x)) + "\n" for x in lines))
    table = run_stage("variants", "hic", model, tmp_path / "v.vcf", tmp_path / "v.tsv")
    assert table.loc[0, "mse_cellA"] == 0 and table.loc[1, "mse_cellA"] > 0
    assert table.loc[1, "mse_cellA"] == pytest.approx(table.loc[2, "mse_cellA"])  # REF/ALT and <DEL>: the same
    assert 0 < table.loc[1, "one_minus_pearson_cellA"] <= 2
    assert (tmp_path / "v.png").stat().st_size > 1000  # the top variants' maps, for the report
