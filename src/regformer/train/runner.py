"""Train any registered model on any chain's store: one skeleton for every chain.

Look up the spec, resolve the user's config against it, let the chain fill in what its store decides, then
either fit a closed-form model from the store (the chain knows how) or train `members` networks with
Lightning (regformer.train.harness), and save the result as one model.pt.

Under DDP every rank runs this; global rank 0 alone writes model.pt (after the ranks' last barrier), and a
closed-form model is fitted by rank 0 alone (the other ranks return at once).
"""

from __future__ import annotations

import functools
import logging
import time
from pathlib import Path

import lightning as L
import numpy as np

from regformer.io.stores import store_summary
from regformer.models.ensemble import SeedEnsemble
from regformer.models.outputs import huber_loss, mse_loss, poisson_loss, soft_bin_kl_loss
from regformer.models.registry import CLOSED_FORM, ModelSpec, flat_entry, resolve_model_config, spec_of_entry
from regformer.models.saved import save_trained
from regformer.train import harness
from regformer.train.ranks import global_rank, is_global_zero
from regformer.train.recipes import EVALUATION_KEYS, RESUMABLE_KEYS
from regformer.train.runlock import run_lock

log = logging.getLogger(__name__)


def recipe_loss(training: dict, target_std: float | None):
    """The recipe's loss: MSE, Poisson NLL, Huber with huber_delta counted in SDs of the training targets, or
    soft_bin_kl (KL to a Normal(y, soft_bin_sd) spread over the model's expression bins)."""
    loss = training.get("loss", "mse")
    if loss == "soft_bin_kl":
        return functools.partial(soft_bin_kl_loss, sd=training["soft_bin_sd"])
    if loss == "huber":
        return functools.partial(huber_loss, delta=training["huber_delta"] * target_std)
    return poisson_loss if loss == "poisson" else mse_loss


def fit_members(chain, spec: ModelSpec, arch: dict, training: dict, store_path, run_dir: Path, trainer_cfg: dict,
                seed: int) -> tuple[list, list[dict]]:
    """Train training["members"] networks from seeds seed, seed + 1, ... (member 0 in `run_dir`, member i in
    `run_dir`/member{i}, each resuming there); return the networks and their training summaries."""
    datamodule = chain.datamodule(store_path, training, num_workers=trainer_cfg.get("num_workers", 0))
    scale = None
    if spec.target_scale or training.get("loss") == "huber":
        scale = datamodule.target_scale()
    # settings that may grow between runs continue training rather than invalidating it
    recipe = {k: v for k, v in training.items() if k not in RESUMABLE_KEYS + EVALUATION_KEYS}
    data = store_summary(store_path)
    members, summaries = [], []
    for i in range(training.get("members", 1)):
        L.seed_everything(seed + i, workers=True)  # before building: initial weights are part of a repeatable run
        model = spec.build(**arch)
        if spec.target_scale:
            model.set_target_scale(*scale)
        loss_fn = getattr(model, "training_loss", None) or recipe_loss(training, scale[1] if scale else None)
        signature = {"arch": arch, "training": recipe, "data": data, "seed": seed + i}
        model, summary = harness.fit(model, datamodule, run_dir=run_dir / f"member{i}" if i else run_dir,
                                     training=training, trainer_cfg=trainer_cfg, seed=seed + i, loss_fn=loss_fn,
                                     metrics=chain.validation_metrics(), signature=signature)
        members.append(model)
        summaries.append(summary)
    return members, summaries


def _ensemble_summary(summaries: list[dict]) -> dict:
    """Member 0's summary, plus the ensemble's size, total epochs and training time, mean best validation loss."""
    summary = dict(summaries[0])
    if len(summaries) > 1:
        summary.update(members=len(summaries), epochs_trained=sum(s["epochs_trained"] for s in summaries),
                       best_val_loss=float(np.mean([s["best_val_loss"] for s in summaries])),
                       training_seconds=round(sum(s.get("training_seconds", 0.0) for s in summaries), 1))
    return summary


def train_model(chain, model_name: str, model_config: dict | None, store_path: str | Path, out_model: str | Path, *,
                trainer_cfg: dict | None = None, seed: int = 0) -> dict:
    """Fit `model_name` of `chain` on the store's train split (early stopping on val) and save it to `out_model`.

    With `members: N` > 1 the N networks are saved as one SeedEnsemble. The saved name is the network's (the
    entry's `network:`, e.g. enformer for an entry enformer_finetuned), which is what loading it needs.
    """
    spec = spec_of_entry(chain.models, model_name, model_config)
    arch, training = resolve_model_config(spec, model_config)
    arch = chain.arch_for_store(spec, arch, flat_entry(model_config), store_path)
    run_dir = Path(out_model).parent
    with run_lock(run_dir):  # one trainer per run folder: a second one on the same checkpoints is refused
        return _train_locked(chain, spec, model_name, arch, training, store_path, out_model, run_dir, trainer_cfg, seed)


def _train_locked(chain, spec: ModelSpec, model_name: str, arch: dict, training: dict, store_path, out_model,
                  run_dir: Path, trainer_cfg: dict | None, seed: int) -> dict:
    """train_model's body, run while the run folder's lock is held."""
    if spec.kind == CLOSED_FORM:
        if not is_global_zero():
            log.info("rank %d: %s is fitted in closed form by rank 0 alone", global_rank(), model_name)
            return {}
        L.seed_everything(seed, workers=True)
        model = spec.build(**arch)
        started = time.perf_counter()
        summary, n_members = chain.fit_closed_form(model, store_path, training, seed), 1
        summary["training_seconds"] = round(time.perf_counter() - started, 1)
        summary.update(device="cpu", devices=1, num_nodes=1, effective_batch_size=None, lr_scaled=False)
    else:
        members, summaries = fit_members(chain, spec, arch, training, store_path, run_dir, trainer_cfg or {}, seed)
        n_members = len(members)
        model = members[0] if n_members == 1 else SeedEnsemble(members)
        summary = _ensemble_summary(summaries)
        if not is_global_zero():
            return summary
    save_trained({"name": spec.name, "entry": model_name, "chain": chain.name, "kind": spec.kind, "arch": arch, "training": training,
                  "summary": summary, "members": n_members, "model": model}, out_model)
    log.info("saved %s (%s)", out_model, summary)
    return summary
