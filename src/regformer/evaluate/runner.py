"""Evaluate any trained model of any chain on its test split: one prediction loop, one metrics writer.

The chain supplies the test loader (its datamodule), the scores and the predictions file; the model supplies
its own behaviour: a model with predict_with_uncertainty is scored on the mean of its samples, with the
calibration of its posterior predictive (latent draws + validation-fitted observation noise); a non-torch model (a fitted ridge) predicts from the
raw codes.
"""

from __future__ import annotations

import logging
from pathlib import Path

import h5py
import numpy as np
import torch

from regformer.chain_interface import Predictions
from regformer.data.encoding import reverse_complement_one_hot
from regformer.data.splits import split_rows
from regformer.data.windows import window_regions
from regformer.evaluate.calibration import fit_noise_variance, predictive_calibration, predictive_std
from regformer.evaluate.uncertainty import average_scores, uncertainty_metrics
from regformer.io.atomic import atomic_path
from regformer.io.stores import new_hdf5, write_metrics
from regformer.models.blocks import model_size
from regformer.models.outputs import prediction_of
from regformer.models.registry import ModelSpec, get_spec
from regformer.models.saved import load_trained

log = logging.getLogger(__name__)


def predict_batch(model, batch: dict, raw: dict, strand_average: bool) -> np.ndarray:
    """One batch's predictions: closed-form objects from the codes, torch models from the one-hot input."""
    if not isinstance(model, torch.nn.Module):
        return model.predict(raw["codes"].numpy())
    x = batch["x"]
    if strand_average and not getattr(model, "averages_strands", False):  # a model may average strands itself
        return ((prediction_of(model(x)) + prediction_of(model(reverse_complement_one_hot(x)))) / 2).float().cpu().numpy()
    return prediction_of(model(x)).float().cpu().numpy()


def _sampled_pass(model, datamodule, loader, *, n_samples: int, level: float, device: str, seed: int):
    """Sample mean, latent std, target and per-batch calibration scores of a sampling model over one loader."""
    means, stds, targets, scores, sizes = [], [], [], [], []
    batches = iter(loader)  # (a DataLoader iterator draws its own base seed from the global generator)
    torch.manual_seed(seed)
    for raw in batches:
        batch = datamodule.on_after_batch_transfer({k: v.to(device) for k, v in raw.items()}, 0)
        target = batch["y"].float().cpu().numpy()
        samples = model.predict_with_uncertainty(batch["x"], n_samples=n_samples, interval=level).samples
        samples = samples.float().cpu().numpy()
        scores.append(uncertainty_metrics(samples, target, level=level))
        sizes.append(len(target))
        means.append(samples.mean(0))
        stds.append(samples.std(0, ddof=1))
        targets.append(target)
    return np.concatenate(means), np.concatenate(stds), np.concatenate(targets), average_scores(scores, sizes)


@torch.inference_mode()
def predict_split(chain, model, store_path: str | Path, *, n_samples: int = 20, level: float = 0.9,
                  device: str = "cpu", seed: int = 0) -> Predictions:
    """Predictions on the test split in store row order (no training-time augmentation).

    Sampling models draw from torch's generator seeded with `seed` once the loader is ready, so their scores
    repeat exactly on CPU whatever ran before in the process. Their std is the posterior predictive's over
    targets: the latent draws' variance plus an observation-noise variance per output group (the chain's
    noise_groups) fitted on the validation split only (regformer.evaluate.calibration).
    """
    datamodule = chain.datamodule(store_path, {"batch_size": chain.eval_batch_size}, num_workers=0)
    loader = datamodule.test_dataloader()
    if isinstance(model, torch.nn.Module):
        model = model.to(device).eval()
    rows = np.asarray(loader.dataset.rows)
    if getattr(model, "predict_with_uncertainty", None) is not None:
        sampling = dict(n_samples=n_samples, level=level, device=device, seed=seed)
        groups = chain.noise_groups(store_path)
        val_mean, val_std, val_target, _ = _sampled_pass(model, datamodule, datamodule.val_dataloader(),
                                                         **sampling)
        noise_var = fit_noise_variance(val_mean, val_std ** 2, val_target, groups)
        mean, latent_std, target, scores = _sampled_pass(model, datamodule, loader, **sampling)
        std = predictive_std(latent_std, noise_var, groups)
        scores = {("latent_" + k if k.startswith("interval_") else k): v for k, v in scores.items()}
        scores = {**scores, **predictive_calibration(mean, std, target),
                  "noise": {"fitted_on": "val", "n_val": int(len(val_target)), "n_groups": int(noise_var.size),
                            "sigma_min": float(np.sqrt(noise_var.min())),
                            "sigma_median": float(np.sqrt(np.median(noise_var))),
                            "sigma_max": float(np.sqrt(noise_var.max()))}}
        return Predictions(rows=rows, prediction=mean, target=target, std=std.astype(np.float32), uncertainty=scores)
    preds, targets = [], []
    for raw in loader:
        batch = datamodule.on_after_batch_transfer({k: v.to(device) for k, v in raw.items()}, 0)
        preds.append(predict_batch(model, batch, raw, chain.strand_average))
        targets.append(batch["y"].float().cpu().numpy())
    return Predictions(rows=rows, prediction=np.concatenate(preds), target=np.concatenate(targets))


def write_prediction_file(path: str | Path, predictions: Predictions, *, dtype=np.float32, measured: bool = False,
                          datasets: dict | None = None, attrs: dict | None = None) -> None:
    """predictions.h5, atomically: prediction (one chunk per sequence), rows, [std], [measured], extra datasets."""
    def put(h5, name, values):
        values = np.asarray(values)
        chunks = (1, *values.shape[1:]) if values.ndim > 1 else None
        h5.create_dataset(name, data=values, chunks=chunks)

    with atomic_path(path) as tmp, new_hdf5(tmp) as h5:
        put(h5, "prediction", predictions.prediction.astype(dtype))
        if predictions.std is not None:
            put(h5, "std", predictions.std.astype(dtype))
        if measured:
            put(h5, "measured", predictions.target)
        h5.create_dataset("rows", data=predictions.rows)
        for name, values in (datasets or {}).items():
            h5.create_dataset(name, data=values)
        for key, value in (attrs or {}).items():
            h5.attrs[key] = value


def write_window_predictions(path: str | Path, store_path: str | Path, predictions: Predictions, *,
                             dtype=np.float32, attrs: dict | None = None) -> None:
    """predictions.h5 of a genome-window store, with each window's coordinates (regions/{chrom,start,end})."""
    regions = window_regions(store_path, predictions.rows)
    datasets = {"regions/chrom": np.array([r[0] for r in regions], dtype="S"),
                "regions/start": np.array([r[1] for r in regions]), "regions/end": np.array([r[2] for r in regions])}
    write_prediction_file(path, predictions, dtype=dtype, datasets=datasets, attrs=attrs)


def evaluate_noise_ceiling(chain, store_path: str | Path, noise_free_store: str | Path, out_metrics: str | Path,
                           settings: dict | None = None) -> dict:
    """The chain's scores of the noise-free targets (a synthetic demo's) as if they were a model's predictions
    of the measured ones on the test split: the best any model can do."""
    rows = split_rows(store_path, "test")
    with h5py.File(store_path, "r") as h5, h5py.File(noise_free_store, "r") as free:
        target = h5["targets"][rows].astype(np.float32)
        ideal = free["targets"][rows].astype(np.float32)
    metrics = chain.score(store_path, Predictions(rows=rows, prediction=ideal, target=target), settings or {})
    metrics["model"] = "noise_ceiling"
    write_metrics(out_metrics, metrics)
    return metrics


def sampling_draws(spec: ModelSpec, saved: dict, settings: dict) -> int | None:
    """Draws per sequence of a sampling model (akita_vae): the model's vae_samples (its recipe, saved with it), or
    the dataset's vae_samples, where an older config still sets it there (deprecated); None for other models."""
    if "vae_samples" in settings and "vae_samples" in spec.training:
        log.warning("the dataset setting vae_samples is deprecated: set it on the model (models: {%s: {train: "
                    "{vae_samples: %s}}})", saved["name"], settings["vae_samples"])
        return int(settings["vae_samples"])
    draws = saved.get("training", {}).get("vae_samples", spec.training.get("vae_samples"))
    return int(draws) if draws else None


def evaluate_model(chain, store_path: str | Path, model_path: str | Path, out_metrics: str | Path,
                   out_predictions: str | Path, settings: dict | None = None, seed: int = 0) -> dict:
    """Score one model on the test split; write metrics.json (strict JSON) and predictions.h5.

    `settings` is the dataset's config entry; sampling models read interval (0.9) from it (and their number of
    draws from the model's recipe: sampling_draws), and the chain reads what its scores need. `seed` seeds their
    sampling.
    """
    settings = settings or {}
    saved, model = load_trained(model_path, chain.models)
    spec = get_spec(chain.models, saved["name"])
    device = "cuda" if torch.cuda.is_available() else "cpu"
    draws = sampling_draws(spec, saved, settings)
    predictions = predict_split(chain, model, store_path, **({"n_samples": draws} if draws else {}),
                                level=settings.get("interval", 0.9), device=device, seed=seed)
    metrics = chain.score(store_path, predictions, settings)
    metrics.update(model=saved["name"], n_parameters=model_size(model), training=saved["summary"],
                   recipe=recorded_recipe(model, saved.get("training", {})), loss_weights={k: v for k, v in saved.get("arch", {}).items()
                                                                   if k.endswith("_weight")})
    if "training_seconds" in saved["summary"]:  # the cost of each point, beside its scores in the report
        metrics["training_seconds"] = saved["summary"]["training_seconds"]
    if spec.paper_parameters:
        metrics["paper_parameters"] = spec.paper_parameters
    if predictions.uncertainty:
        metrics["uncertainty"] = predictions.uncertainty
    chain.write_predictions(out_predictions, store_path, predictions)
    write_metrics(out_metrics, metrics)
    log.info("%s on %s: %s", saved["name"], chain.name,
             {k: metrics[k] for k in ("pearson", "spearman", "mse") if k in metrics})
    return metrics


def recorded_recipe(model, training: dict) -> dict:
    """The training settings as metrics.json records them: a network with its own training_loss names that loss
    (atacFormer's cross-entropy, the VAE's mse+kl), not the recipe's unused `loss` key."""
    recipe = dict(training)
    if hasattr(model, "training_loss") and getattr(model, "loss_name", None):
        recipe["loss"] = model.loss_name
    return recipe
