"""The Lightning harness: resume from the last checkpoint, repeatable CPU runs, losses, weight averaging, evaluation."""

import json
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest
import torch

from regformer.chains.promoter.chain import PromoterChain
from regformer.chains.promoter.specs import MODELS
from regformer.errors import InputError
from regformer.evaluate.runner import evaluate_model, predict_split
from regformer.models.ensemble import SeedEnsemble
from regformer.models.outputs import huber_loss, mse_loss
from regformer.models.saved import load_trained
from regformer.train.runner import train_model

CHAIN = PromoterChain()

TINY = dict(stem_filters=8, conv_channels=16, n_residual=1, d_model=16, n_heads=2, n_transformer=1, ff_dim=32,
            lstm_hidden=8, dense_hidden=16, batch_size=128, patience=50)
CPU = {"accelerator": "cpu", "progress_bar": False}


def train_promoter_model(store, model, config, out, **kwargs):
    return train_model(CHAIN, model, config, store, out, **kwargs)


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
    metrics = evaluate_model(CHAIN, synthetic_store, out, tmp_path / "metrics.json", tmp_path / "pred.h5")
    assert set(metrics) >= {"pearson", "spearman", "r2", "mse", "n_test", "training"}
    assert json.loads((tmp_path / "metrics.json").read_text())["n_test"] == metrics["n_test"] == 120
    assert metrics["training"]["alpha"] in MODELS["kmer_ridge"].demo["alphas"]
    with h5py.File(tmp_path / "pred.h5", "r") as h5:
        assert set(h5) == {"prediction", "measured", "rows", "line", "noise_free"}
        with h5py.File(synthetic_store, "r") as store:
            test = store["index/test"][:]
            assert np.array_equal(h5["rows"][:], test)
            assert np.array_equal(h5["measured"][:], store["expression"][:][test])
        assert h5["prediction"].shape == (120,)
    assert metrics["pearson"] > 0.5  # the planted motifs are learnable from k-mer counts


def test_huber_loss_is_squared_near_the_target_and_linear_far_from_it():
    prediction, batch = torch.tensor([0.5, 3.0]), {"y": torch.zeros(2)}
    # 0.5 * 0.5^2 = 0.125 inside delta; 3 - 0.5 = 2.5 outside it (MSE would give 0.25 and 9)
    assert torch.isclose(huber_loss(prediction, batch, delta=1.0), torch.tensor((0.125 + 2.5) / 2))
    assert torch.isclose(mse_loss(prediction, batch), torch.tensor((0.25 + 9.0) / 2))


def test_ema_weights_are_the_ones_validated_and_saved(synthetic_store, tmp_path):
    out = tmp_path / "ema" / "model.pt"
    summary = train_promoter_model(synthetic_store, "promoter_transformer",
                                   {**TINY, "max_epochs": 2, "ema_decay": 0.9, "loss": "huber"}, out, trainer_cfg=CPU)
    assert summary["weights"] == "ema_best_val_loss"
    best = torch.load(out.parent / "checkpoints" / "best.ckpt", weights_only=False)
    saved = torch.load(out, weights_only=False)["model"]
    averaged = {k.removeprefix("model."): v for k, v in best["state_dict"].items()}
    raw = {k.removeprefix("model."): v for k, v in best["current_model_state"].items()}
    assert all(torch.equal(saved[k], averaged[k]) for k in saved)
    assert not all(torch.equal(saved[k], raw[k]) for k in saved)  # the average is not the last step's weights


def test_swa_and_ema_together_are_refused(synthetic_store, tmp_path):
    with pytest.raises(InputError, match="both swa and ema_decay"):
        train_promoter_model(synthetic_store, "promoter_transformer", {**TINY, "max_epochs": 1, "swa": True,
                             "ema_decay": 0.9}, tmp_path / "m" / "model.pt", trainer_cfg=CPU)


def test_seed_ensemble_averages_the_single_seed_models(synthetic_store, tmp_path):
    config = {**TINY, "max_epochs": 1}
    path = tmp_path / "ensemble" / "model.pt"
    train_promoter_model(synthetic_store, "promoter_transformer", config, path, trainer_cfg=CPU, seed=5)
    singles = [load_trained(path, MODELS)[1]]
    # growing to two members keeps the trained one (member 0) and adds member 1 from seed 6
    summary = train_promoter_model(synthetic_store, "promoter_transformer", {**config, "members": 2}, path,
                                   trainer_cfg=CPU, seed=5)
    assert summary["members"] == 2 and not (path.parent / "checkpoints.stale").exists()
    assert (path.parent / "member1" / "checkpoints" / "last.ckpt").is_file()
    single6 = tmp_path / "seed6" / "model.pt"
    train_promoter_model(synthetic_store, "promoter_transformer", config, single6, trainer_cfg=CPU, seed=6)
    singles.append(load_trained(single6, MODELS)[1])
    saved, ensemble = load_trained(path, MODELS)
    assert isinstance(ensemble, SeedEnsemble) and len(ensemble.members) == 2 and saved["members"] == 2
    first, second = (torch.from_numpy(predict_split(CHAIN, model, synthetic_store).prediction) for model in singles)
    assert not torch.allclose(first, second)
    mean = torch.from_numpy(predict_split(CHAIN, ensemble, synthetic_store).prediction)
    assert torch.allclose(mean, (first + second) / 2, atol=1e-5)


def test_swa_reports_the_epochs_trained_not_its_batchnorm_epoch(synthetic_store, tmp_path):
    """Lightning's SWA runs one extra epoch to refresh BatchNorm statistics; epochs_trained stays max_epochs."""
    out = tmp_path / "swa" / "model.pt"
    summary = train_promoter_model(synthetic_store, "promoter_transformer",
                                   {**TINY, "max_epochs": 2, "swa": True, "swa_epoch_start": 0.5}, out, trainer_cfg=CPU)
    assert summary["weights"] == "swa_average" and summary["epochs_trained"] == 2


def test_closed_form_model_is_saved_as_arrays_and_loads_without_pickle(synthetic_store, tmp_path):
    out = tmp_path / "kmer_ridge" / "model.pt"
    train_promoter_model(synthetic_store, "kmer_ridge", {}, out)
    saved = torch.load(out, weights_only=True)  # tensors and plain values only
    assert saved["model_format"] == "arrays" and isinstance(saved["model"]["coef"], torch.Tensor)
    _, model = load_trained(out, MODELS)
    fitted = MODELS["kmer_ridge"].build(**saved["arch"])
    CHAIN.fit_closed_form(fitted, synthetic_store, saved["training"], 0)  # the same fit, kept in memory
    with h5py.File(synthetic_store, "r") as h5:
        codes = h5["codes"][:50]
    assert model.alpha == fitted.alpha
    assert np.array_equal(model.predict(codes), fitted.predict(codes))  # the arrays rebuild the fit exactly


def test_pickled_or_foreign_model_files_are_refused_before_any_code_runs(synthetic_store, tmp_path):
    class Payload:
        def __reduce__(self):
            return (Path.touch, (tmp_path / "code_ran",))

    evil = tmp_path / "evil.pt"
    torch.save({"name": "kmer_ridge", "model": Payload()}, evil)
    with pytest.raises(InputError, match="pickled Python objects.*retrain"):
        load_trained(evil, MODELS)
    assert not (tmp_path / "code_ran").exists()
    not_a_model = tmp_path / "other.pt"
    torch.save({"weights": torch.zeros(2)}, not_a_model)
    with pytest.raises(InputError, match="not a regformer model file"):
        load_trained(not_a_model, MODELS)


def test_model_files_of_tensors_from_before_the_format_field_still_load(synthetic_store, tmp_path):
    out = tmp_path / "m" / "model.pt"
    train_promoter_model(synthetic_store, "promoter_transformer", {**TINY, "max_epochs": 1}, out, trainer_cfg=CPU)
    legacy = torch.load(out, weights_only=True)
    legacy.pop("model_format")
    torch.save(legacy, tmp_path / "legacy.pt")
    _, model = load_trained(tmp_path / "legacy.pt", MODELS)
    assert all(torch.equal(model.state_dict()[k], legacy["model"][k]) for k in legacy["model"])


def test_first_training_and_resume_give_no_directory_not_empty_warnings(synthetic_store, tmp_path):
    import warnings

    out = tmp_path / "m" / "model.pt"
    (out.parent / "train").mkdir(parents=True)
    (out.parent / "train" / "train.log").write_text("")  # as `regformer train` keeps its log there
    for max_epochs in (1, 2):  # a first training, then a resume from its last.ckpt
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            train_promoter_model(synthetic_store, "promoter_transformer", {**TINY, "max_epochs": max_epochs}, out,
                                 trainer_cfg=CPU)
        assert not [w for w in caught if "exists and is not empty" in str(w.message)]
    summary = torch.load(out, weights_only=True)["summary"]
    assert summary["epochs_trained"] == 2
    assert (summary["device"], summary["devices"], summary["num_nodes"], summary["lr_scaled"]) == ("cpu", 1, 1, False)
    assert summary["effective_batch_size"] == TINY["batch_size"]
