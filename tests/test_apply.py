"""The apply stage's shared core and the promoter chain's hooks: ISM, attributions, variants, predict, load()."""

import shutil
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from regformer.apply.attribution import attributions
from regformer.apply.forward import predict_draws
from regformer.apply.ism import ism, ism_loop
from regformer.data.encoding import reverse_complement_codes
from regformer.errors import InputError

APPLY_DATA = Path(__file__).parent / "data" / "apply" / "promoter"
TINY_TRANSFORMER = dict(length=110, stem_filters=8, kernel_size=7, conv_channels=8, n_residual=1, d_model=8, n_heads=2,
                        n_transformer=1, ff_dim=16, lstm_hidden=4, dense_hidden=8, n_dense=1, dropout=0.0,
                        attention_dropout=0.0, conv_dropout=0.0, bn_momentum=0.1, n_bins=0)


class Linear(nn.Module):
    """prediction = sum of weight[base, position] over the observed bases: ISM and gradients are known exactly."""

    def __init__(self, length: int, seed: int = 0):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(4, length, generator=torch.Generator().manual_seed(seed)))

    def forward(self, x):
        return (x * self.weight).sum((1, 2))


@pytest.fixture(scope="module")
def promoter_results(tmp_path_factory, synthetic_store):
    """results/promoter/demo/ with a tiny (untrained) transformer, a 2-member ensemble and a fitted ridge."""
    from regformer.chains.promoter.chain import read_split
    from regformer.chains.promoter.specs import MODELS
    from regformer.models.ensemble import SeedEnsemble
    from regformer.models.kmer_ridge import KmerRidge
    from regformer.models.saved import save_trained

    root = tmp_path_factory.mktemp("apply") / "results" / "promoter" / "demo"
    (root / "prepared").mkdir(parents=True)
    shutil.copy(synthetic_store, root / "prepared" / "sequences.h5")
    shutil.copy(Path(synthetic_store).with_name("summary.json"), root / "prepared" / "summary.json")
    torch.manual_seed(0)
    build = MODELS["promoter_transformer"].build
    save_trained({"name": "promoter_transformer", "arch": TINY_TRANSFORMER, "model": build(**TINY_TRANSFORMER).eval(),
                  "summary": {}}, root / "promoter_transformer" / "model.pt")
    ensemble = SeedEnsemble([build(**TINY_TRANSFORMER) for _ in range(2)])
    save_trained({"name": "promoter_transformer", "arch": TINY_TRANSFORMER, "members": 2, "model": ensemble.eval(),
                  "summary": {}}, root / "ensemble" / "model.pt")
    codes, y = read_split(synthetic_store, "train")
    val_codes, val_y = read_split(synthetic_store, "val")
    ridge = KmerRidge(k_max=3, alphas=(10.0,)).fit(codes, y, val_codes, val_y)
    save_trained({"name": "kmer_ridge", "arch": {}, "model": ridge, "summary": {}}, root / "kmer_ridge" / "model.pt")
    return root


def _random_codes(n, length, seed=0):
    return np.random.default_rng(seed).integers(0, 4, size=(n, length)).astype(np.uint8)


def test_ism_of_a_linear_model_equals_its_analytic_effect():
    model, codes = Linear(30).eval(), _random_codes(5, 30)
    effects = ism(lambda c: predict_draws(model, c).mean(0), codes, batch_size=64)
    weight = model.weight.detach().numpy()
    expected = weight.T[None] - weight.T[np.arange(30), codes][..., None]  # (n, L, 4): w[b, p] - w[ref, p]
    np.testing.assert_allclose(effects, expected, atol=1e-5)
    np.testing.assert_allclose(effects, ism_loop(lambda c: predict_draws(model, c).mean(0), codes), atol=1e-6)
    assert np.all(effects[np.arange(5)[:, None], np.arange(30), codes] == 0)  # the reference base itself: 0


def test_gradient_times_input_of_a_linear_model_is_its_weight_at_the_observed_base():
    model, codes = Linear(20).eval(), _random_codes(3, 20, seed=1)
    scores = attributions(model, codes, scalar=lambda p: p, method="input_x_gradient")
    observed = model.weight.detach().numpy()[codes, np.arange(20)]
    np.testing.assert_allclose(scores.sum(1), observed, atol=1e-5)
    ig = attributions(model, codes, scalar=lambda p: p, method="integrated_gradients", n_steps=8)
    np.testing.assert_allclose(ig.sum(1), 0.75 * observed, atol=1e-4)  # (1 - 0.25 baseline) x constant gradient


def test_the_strand_averaged_score_is_reverse_complement_symmetric():
    model, codes = Linear(25).eval(), _random_codes(4, 25, seed=2)
    rc = reverse_complement_codes(codes)
    forward = predict_draws(model, codes, reverse_output=lambda p: p)[0]
    np.testing.assert_allclose(forward, predict_draws(model, rc, reverse_output=lambda p: p)[0], atol=1e-5)
    assert not np.allclose(predict_draws(model, codes)[0], predict_draws(model, rc)[0])  # one strand alone is not
    predict = lambda c: predict_draws(model, c, reverse_output=lambda p: p).mean(0)  # noqa: E731
    # ISM of the reverse complement is the forward ISM read from the other end with complemented bases
    np.testing.assert_allclose(ism(predict, rc), ism(predict, codes)[:, ::-1, ::-1], atol=1e-5)


def test_load_predicts_strings_of_any_length_and_reports_ensemble_spread(promoter_results):
    import regformer

    model = regformer.load(promoter_results / "ensemble" / "model.pt")
    assert model.chain == "promoter" and model.context["length"] == 110
    sequences = ["ACGT" * 30, "ACGT" * 20]  # 120 bp trimmed, 80 bp padded
    mean, sd = model.predict_with_sd(sequences)
    assert mean.shape == (2,) and sd.shape == (2,) and np.all(sd > 0)
    codes, notes = model.encode(sequences)
    assert notes == ["trimmed 10 bp at the 5' end", "padded 30 N at the 5' end"]
    np.testing.assert_allclose(model.predict(codes), mean, atol=1e-5)
    single = regformer.load(promoter_results / "promoter_transformer" / "model.pt")
    assert single.predict_with_sd(sequences)[1] is None


def test_identical_alleles_give_zero_and_a_deletion_shifts_the_sequence(promoter_results, tmp_path):
    from regformer.apply.alleles import substitute
    from regformer.apply.stages import run_stage

    seq = "ACGTTGCA" * 14  # 112 bp
    assert substitute(seq, 4, "TGC", "T", "x", "row") == seq[:5] + seq[7:]  # VCF-style deletion of GC
    assert substitute(seq, 4, "T", "TAA", "x", "row") == seq[:5] + "AA" + seq[5:]
    table = pd.DataFrame({"id": ["same", "snv", "del"], "sequence": [seq] * 3, "position": [5, 5, 5],
                          "ref": ["T", "T", "TGC"], "alt": ["T", "A", "T"]})
    table.to_csv(tmp_path / "v.tsv", sep="\t", index=False)
    for model in ("promoter_transformer", "kmer_ridge", "ensemble"):
        out = run_stage("variants", "promoter", promoter_results / model / "model.pt", tmp_path / "v.tsv",
                        tmp_path / f"{model}.tsv")
        assert list(out["id"]) == ["same", "snv", "del"]
        assert out["effect"][0] == 0 and out["effect"][1] != 0
        np.testing.assert_allclose(out["effect"], out["alt_prediction"] - out["ref_prediction"], atol=1e-5)
    assert (pd.read_csv(tmp_path / "ensemble.tsv", sep="\t")["sd"][0]) == 0


def test_a_ref_mismatch_fails_naming_the_record(promoter_results, tmp_path):
    from regformer.apply.stages import run_stage

    pd.DataFrame({"id": ["ok", "wrong"], "sequence": ["ACGTACGT", "ACGTACGT"], "position": [1, 2],
                  "ref": ["A", "G"], "alt": ["C", "T"]}).to_csv(tmp_path / "v.tsv", sep="\t", index=False)
    with pytest.raises(InputError, match=r"row 3 \(id wrong\): ref 'G' does not match the sequence, which has 'C'"):
        run_stage("variants", "promoter", promoter_results / "kmer_ridge" / "model.pt", tmp_path / "v.tsv",
                  tmp_path / "out.tsv")
    assert not (tmp_path / "out.tsv").exists()


def test_predict_writes_one_row_per_sequence_through_the_cli(promoter_results, tmp_path, capsys):
    from regformer.cli import main

    out = tmp_path / "designed.tsv"
    shutil.copy(APPLY_DATA / "designed.fa", tmp_path / "designed.fa")
    assert main(["predict", "promoter", "--model", str(promoter_results / "kmer_ridge" / "model.pt"),
                 "--input", str(tmp_path / "designed.fa"), "--output", str(out)]) == 0
    table = pd.read_csv(out, sep="\t", keep_default_na=False)
    assert list(table.columns) == ["id", "sequence", "prediction", "length_note"] and len(table) == 12
    assert set(table["length_note"]) == {"", "trimmed 3 bp at the 5' end", "padded 4 N at the 5' end"}
    assert main(["variants", "promoter", "--model", str(promoter_results / "kmer_ridge" / "model.pt"),
                 "--input", str(tmp_path / "designed.fa"), "--output", str(tmp_path / "v.tsv")]) == 1
    assert "lacks the column(s)" in capsys.readouterr().err


def test_explain_writes_ism_attributions_and_logos(promoter_results, tmp_path):
    from regformer.apply.stages import run_stage

    out = tmp_path / "explain" / "test.h5"
    summary = run_stage("explain", "promoter", promoter_results / "promoter_transformer" / "model.pt", "test", out,
                        {"max_sequences": 6, "n_steps": 4, "modisco": False, "n_logos": 2})
    assert summary["n_sequences"] == 6 and summary["ism_positions_per_second"] > 0
    with h5py.File(out) as h5:
        assert h5["ism"].shape == (6, 110, 4) and h5["attribution"].shape == (6, 4, 110)
        codes, effects = h5["codes"][:], h5["ism"][:]
        assert np.all(effects[np.arange(6)[:, None], np.arange(110), np.minimum(codes, 3)][codes < 4] == 0)
    assert out.with_name("test.png").stat().st_size > 1000
    assert list(pd.read_csv(out.with_name("test.motifs.tsv"), sep="\t").columns)[:3] == ["pattern", "n_seqlets",
                                                                                          "consensus"]


def test_the_workflow_asks_for_each_configured_output_of_the_listed_models():
    import yaml

    from regformer.workflow_helpers.apply import ApplyFiles
    from regformer.workflow_helpers.common import WorkflowHelpers

    config = yaml.safe_load((Path(__file__).parents[1] / "config.yaml").read_text())
    outputs = ApplyFiles(WorkflowHelpers(config, ["promoter", "tracks", "hic"])).outputs("promoter", "demo")
    assert outputs == ["results/promoter/demo/promoter_transformer/predict/designed.tsv",
                       "results/promoter/demo/promoter_transformer/variants/snvs.tsv",
                       "results/promoter/demo/promoter_transformer/explain/test.h5"]


def test_the_report_section_links_every_output_and_shows_logos_and_motifs(tmp_path):
    from regformer.apply.motifs import draw_logos
    from regformer.apply.report import apply_sections

    folder = tmp_path / "legnet"
    (folder / "predict").mkdir(parents=True)
    (folder / "predict" / "designed.tsv").write_text("id\tprediction\n")
    draw_logos(folder / "explain" / "test.png", [np.eye(4)[[0, 1, 2, 3, 0]]], ["one logo"])
    pd.DataFrame({"pattern": ["pos_0"], "n_seqlets": [30], "consensus": ["ACGT"]}).to_csv(
        folder / "explain" / "test.motifs.tsv", sep="\t", index=False)
    [(heading, html)] = apply_sections({"legnet": folder})
    assert heading == "Use the trained models" and 'href="legnet/predict/designed.tsv"' in html
    assert html.count("<img") == 1 and "pos_0" in html
    assert apply_sections({"legnet": tmp_path / "nothing"}) == []
