"""The Lightning harness: resume from the last checkpoint, repeatable CPU runs, evaluation outputs."""

import json

import pandas as pd
import torch

from regformer.evaluate.promoter import evaluate_promoter_model
from regformer.train.promoter import train_promoter_model

TINY = dict(stem_filters=8, conv_channels=16, n_residual=1, d_model=16, n_heads=2, n_transformer=1, ff_dim=32,
            lstm_hidden=8, dense_hidden=16, batch_size=128, patience=50)
CPU = {"accelerator": "cpu", "progress_bar": False}


def _epochs(run_dir):
    curves = pd.read_csv(run_dir / "train" / "metrics.csv")
    return sorted(curves.dropna(subset=["val_loss"])["epoch"].astype(int).tolist())


def test_training_resumes_from_last_checkpoint(synthetic_store, tmp_path):
    out = tmp_path / "promoter_transformer" / "model.pt"
    first = train_promoter_model(synthetic_store, "promoter_transformer", {**TINY, "max_epochs": 2}, out, trainer_cfg=CPU)
    assert first["epochs_trained"] == 2 and _epochs(out.parent) == [0, 1]
    last = torch.load(out.parent / "checkpoints" / "last.ckpt", weights_only=False)
    assert last["epoch"] == 1
    second = train_promoter_model(synthetic_store, "promoter_transformer", {**TINY, "max_epochs": 4}, out, trainer_cfg=CPU)
    assert second["epochs_trained"] == 4
    assert _epochs(out.parent) == [0, 1, 2, 3]  # continued at epoch 2, curves of the first run kept


def test_changed_architecture_starts_over(synthetic_store, tmp_path):
    out = tmp_path / "m" / "model.pt"
    train_promoter_model(synthetic_store, "promoter_transformer", {**TINY, "max_epochs": 1}, out, trainer_cfg=CPU)
    summary = train_promoter_model(synthetic_store, "promoter_transformer", {**TINY, "max_epochs": 1, "d_model": 8},
                                   out, trainer_cfg=CPU)
    assert summary["epochs_trained"] == 1 and (out.parent / "checkpoints.stale").is_dir()


def test_cpu_training_is_repeatable(synthetic_store, tmp_path):
    states = []
    for run in ("a", "b"):
        out = tmp_path / run / "model.pt"
        train_promoter_model(synthetic_store, "promoter_transformer", {**TINY, "max_epochs": 1}, out, trainer_cfg=CPU, seed=7)
        states.append(torch.load(out, weights_only=False)["model"])
    assert all(torch.equal(states[0][k], states[1][k]) for k in states[0])


def test_evaluation_writes_metrics_and_predictions(synthetic_store, tmp_path):
    out = tmp_path / "kmer_ridge" / "model.pt"
    train_promoter_model(synthetic_store, "kmer_ridge", {}, out)
    metrics = evaluate_promoter_model(synthetic_store, out, tmp_path / "metrics.json", tmp_path / "pred.tsv")
    assert set(metrics) >= {"pearson", "spearman", "r2", "mse", "n_test"}
    assert json.loads((tmp_path / "metrics.json").read_text())["n_test"] == metrics["n_test"] == 120
    predictions = pd.read_csv(tmp_path / "pred.tsv", sep="\t")
    assert list(predictions.columns) == ["line", "sequence", "measured", "noise_free", "predicted"]
    assert metrics["pearson"] > 0.5  # the planted motifs are learnable from k-mer counts
