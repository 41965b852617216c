"""LegNet and the DREAM-challenge options: shapes and parameter count, the soft-bin KL loss by hand, the
strand and singleton flags, one-cycle training through the chain, and the DREAM score on a hand-made table."""

import math

import numpy as np
import pytest
import torch

from regformer.chains.promoter.chain import PromoterChain
from regformer.chains.promoter.dataset import PromoterDataModule
from regformer.chains.promoter.specs import MODELS
from regformer.chain_interface import Predictions
from regformer.data.encoding import one_hot
from regformer.errors import InputError
from regformer.chains.promoter.dream import dream_scores, read_dream_subsets
from regformer.evaluate.runner import evaluate_model
from regformer.models.blocks import count_parameters
from regformer.models.promoter.legnet import LegNet
from regformer.models.outputs import soft_bin_kl_loss, soft_bins
from regformer.train.runner import train_model

TINY_LEGNET = dict(size="demo", stem_channels=8, block_channels=[8, 8], batch_size=256, max_epochs=2, patience=5)
CPU = {"accelerator": "cpu", "progress_bar": False}


def test_full_size_legnet_has_the_papers_parameter_count():
    spec = MODELS["legnet"]
    model = spec.build(**spec.full)
    n = count_parameters(model)
    assert n == 1_856_450
    assert abs(n - spec.paper_parameters) / spec.paper_parameters < 0.01
    assert model.stem[0].in_channels == 6 and model.stem[0].out_channels == 256  # one-hot + strand + singleton
    assert [m.out_channels for m in model.modules() if isinstance(m, torch.nn.Conv1d)][-1] == 18


@pytest.mark.parametrize("size", ["demo", "full"])
def test_legnet_shapes_and_expected_bin(size):
    spec = MODELS["legnet"]
    model = spec.build(**getattr(spec, size)).eval()
    x = one_hot(torch.randint(0, 4, (3, 110)))
    out = model(x)
    assert out["prediction"].shape == (3,) and out["bin_logits"].shape == (3, 18)
    expected = (out["bin_logits"].softmax(-1) * torch.arange(18.0)).sum(-1)
    assert torch.allclose(out["prediction"], expected, atol=1e-5)
    assert ((out["prediction"] >= 0) & (out["prediction"] <= 17)).all()


def test_legnet_flags_change_the_input_and_evaluation_averages_both_strands():
    torch.manual_seed(0)
    model = LegNet(stem_channels=8, block_channels=[8]).eval()
    x = one_hot(torch.randint(0, 4, (4, 110)))
    zeros, ones = torch.zeros(4), torch.ones(4)
    forward = model(x, strand=zeros, singleton=zeros)["bin_logits"].softmax(-1)
    reverse = model(x.flip(dims=(1, 2)), strand=ones, singleton=zeros)["bin_logits"].softmax(-1)
    averaged = model(x)["bin_logits"].softmax(-1)  # no flags: both strands, singleton 0
    assert torch.allclose(averaged, (forward + reverse) / 2, atol=1e-5)
    assert not torch.allclose(model(x, strand=zeros, singleton=ones)["prediction"], model(x, strand=zeros, singleton=zeros)["prediction"])
    assert model.averages_strands and not LegNet(stem_channels=8, block_channels=[8], strand_channel=False).averages_strands


def test_soft_bins_and_kl_by_hand():
    phi = lambda z: 0.5 * (1 + math.erf(z / math.sqrt(2)))  # noqa: E731
    # y = 1 on 3 bins with sd 0.5: edges 0.5 and 1.5 are one sd away
    p = [phi(-1.0), phi(1.0) - phi(-1.0), 1 - phi(1.0)]
    assert p == pytest.approx([0.158655, 0.682689, 0.158655], abs=1e-6)
    target = soft_bins(torch.tensor([1.0, 0.0]), 3, sd=0.5)
    assert torch.allclose(target[0], torch.tensor(p), atol=1e-6) and torch.allclose(target.sum(1), torch.ones(2))
    # uniform prediction (zero logits): KL = sum p log(p / (1/3)) = 0.253844 for the first row
    kl_first = sum(pi * math.log(pi * 3) for pi in p)
    assert kl_first == pytest.approx(0.253844, abs=1e-6)
    loss = soft_bin_kl_loss({"prediction": torch.zeros(1), "bin_logits": torch.zeros(1, 3)}, {"y": torch.tensor([1.0])})
    assert loss.item() == pytest.approx(kl_first, abs=1e-5)
    perfect = soft_bin_kl_loss({"prediction": torch.zeros(1), "bin_logits": target[:1].log()}, {"y": torch.tensor([1.0])})
    assert perfect.item() == pytest.approx(0.0, abs=1e-6)
    with pytest.raises(ValueError, match="n_bins: 18"):
        soft_bin_kl_loss(torch.zeros(2), {"y": torch.zeros(2)})


def test_singleton_flags_only_where_integer_values_mark_single_measurements(synthetic_store, tmp_path):
    from regformer.chains.promoter.prepare import prepare_promoter_dataset
    from tests.conftest import DREAM

    assert not PromoterDataModule(synthetic_store).has_singletons()  # every demo value is a bin
    prepare_promoter_dataset(DREAM, tmp_path / "dream.h5", tmp_path / "summary.json")
    assert PromoterDataModule(tmp_path / "dream.h5").has_singletons()


def test_legnet_trains_with_one_cycle_soft_bins_and_flags(synthetic_store, tmp_path):
    chain = PromoterChain()
    summary = train_model(chain, "legnet", TINY_LEGNET, synthetic_store, tmp_path / "legnet" / "model.pt", trainer_cfg=CPU)
    assert summary["epochs_trained"] >= 1 and summary["training_seconds"] > 0
    assert math.isfinite(summary["best_val_loss"])
    metrics = evaluate_model(chain, synthetic_store, tmp_path / "legnet" / "model.pt", tmp_path / "m.json", tmp_path / "p.h5")
    assert metrics["n_parameters"] < 10_000 and metrics["training_seconds"] == summary["training_seconds"]
    assert math.isfinite(metrics["pearson"])


def test_promoter_transformer_can_predict_bins_for_the_kl_loss():
    spec = MODELS["promoter_transformer"]
    model = spec.build(**{**spec.demo, "n_bins": 18}).eval()
    out = model(one_hot(torch.randint(0, 4, (2, 110))))
    assert out["bin_logits"].shape == (2, 18) and out["prediction"].shape == (2,)
    assert torch.isfinite(soft_bin_kl_loss(out, {"y": torch.tensor([3.0, 12.5])}))


# A hand-made DREAM table: file lines 1-7 scored (predicted, measured), line 12 in another split.
MEASURED = np.array([1, 2, 3, 4, 1, 2, 3], dtype=float)
PREDICTED = np.array([2, 4, 6, 8, 3, 2, 1], dtype=float)
LINES = np.arange(1, 8)
ANNOTATION = """subset,line,line_b
all,1,
all,2,
all,3,
all,4,
high,1,
high,2,
high,3,
high,4,
Low,5,
Low,6,
Low,7,
yeast,2,
yeast,3,
yeast,4,
random,1,
random,3,
random,4,
challenging,1,
challenging,2,
challenging,4,
challenging,12,
SNVs,1,2
SNVs,1,3
SNVs,1,4
SNVs,1,12
motif perturbation,5,6
motif perturbation,5,7
motif perturbation,6,7
motif tiling,2,3
motif tiling,2,4
motif tiling,3,4
"""


def test_dream_score_on_a_hand_made_table(tmp_path):
    path = tmp_path / "subsets.csv"
    path.write_text(ANNOTATION)
    subsets = read_dream_subsets(path, LINES)
    assert len(subsets["challenging"]) == 3 and subsets["snvs"].shape == (3, 2)  # line 12 was not scored
    scores = dream_scores(PREDICTED, MEASURED, subsets)
    per = scores["dream_subsets"]
    # predicted = 2 x measured on lines 1-4: r^2 = 1, rho = 1; "low" (lines 5-7) is reversed: r^2 = 1, rho = -1
    assert per["all"] == {"pearson_r2": pytest.approx(1.0), "spearman": pytest.approx(1.0), "n": 4}
    assert per["low"]["pearson_r2"] == pytest.approx(1.0) and per["low"]["spearman"] == pytest.approx(-1.0)
    # pair differences: SNVs (1,2),(1,3),(1,4): measured 1, 2, 3 vs predicted 2, 4, 6; motif perturbation
    # (5,6),(5,7),(6,7): measured 1, 2, 1 vs predicted -1, -2, -1
    assert per["snvs"]["spearman"] == pytest.approx(1.0) and per["snvs"]["n"] == 3
    assert per["motif_perturbation"]["pearson_r2"] == pytest.approx(1.0)
    assert per["motif_perturbation"]["spearman"] == pytest.approx(-1.0)
    assert scores["dream_pearson_score"] == pytest.approx(1.0)
    # all weights sum to 4.65; low (0.3) and motif perturbation (0.3) count -1 instead of +1
    assert scores["dream_spearman_score"] == pytest.approx((4.65 - 2 * 0.3 - 2 * 0.3) / 4.65)


def test_dream_score_needs_all_subsets_and_names_a_bad_annotation(tmp_path):
    partial = dream_scores(PREDICTED, MEASURED, {"low": np.array([4, 5, 6])})
    assert math.isnan(partial["dream_pearson_score"]) and set(partial["dream_subsets"]) == {"all", "low"}
    bad = tmp_path / "bad.csv"
    bad.write_text("subset,line\nsuper_high,1\n")
    with pytest.raises(InputError, match="bad.csv.*super_high"):
        read_dream_subsets(bad, LINES)
    no_pair = tmp_path / "no_pair.csv"
    no_pair.write_text("subset,line\nSNVs,1\n")
    with pytest.raises(InputError, match="line_b"):
        read_dream_subsets(no_pair, LINES)


def test_the_chain_adds_dream_scores_when_the_dataset_has_an_annotation(synthetic_store, tmp_path):
    import h5py

    with h5py.File(synthetic_store, "r") as h5:
        rows = h5["index/test"][:]
        lines = h5["line"][:][rows]
        y = h5["expression"][:][rows]
    path = tmp_path / "subsets.tsv"
    path.write_text("subset\tline\tline_b\n" + "".join(f"high\t{line}\t\n" for line in lines[:20])
                    + "".join(f"SNVs\t{a}\t{b}\n" for a, b in zip(lines[20:30], lines[30:40])))
    noisy = y + np.random.default_rng(0).normal(0, 1, len(y))
    metrics = PromoterChain().score(synthetic_store, Predictions(rows=rows, prediction=noisy, target=y),
                                    {"dream_subsets": str(path)})
    assert metrics["dream_subsets"]["high"]["n"] == 20 and metrics["dream_subsets"]["snvs"]["n"] == 10
    assert metrics["dream_subsets"]["all"]["n"] == len(rows) and "pearson" in metrics


def test_report_rows_show_parameters_and_training_time_with_only_scores_in_bold():
    from regformer.report.tables import metrics_table

    html = metrics_table({"legnet": {"pearson": 0.66, "n_parameters": 199_234, "training_seconds": 874.0},
                          "kmer_ridge": {"pearson": 0.63, "n_parameters": 5_461, "training_seconds": 12.5}}, "model")
    assert "<th>training_<wbr>seconds</th>" in html and "<th>n_<wbr>parameters</th>" in html
    # context columns (time, size) are shown but never bolded: only scores, in their direction (issue 25)
    assert "<b>12.500</b>" not in html and "<b>0.660</b>" in html and "199,234" in html
