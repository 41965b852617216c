"""Train one model of the random-promoter chain on a prepared store (Lightning or scikit-learn)."""

from __future__ import annotations

import functools
import logging
from pathlib import Path

import h5py
import lightning as L
import numpy as np

from regformer.data.promoter_dataset import PromoterDataModule
from regformer.io.stores import store_summary
from regformer.models.ensemble import SeedEnsemble
from regformer.models.registry import get_spec, resolve_model_config
from regformer.models.saved import save_trained
from regformer.train import harness
from regformer.train.module import huber_loss

log = logging.getLogger(__name__)


def read_split(store_path: str | Path, split: str, max_rows: int | None = None, seed: int = 0):
    """Codes and expression of one split in memory (for the classical baseline and evaluation)."""
    with h5py.File(store_path, "r") as h5:
        rows = h5[f"index/{split}"][:]
        if max_rows is not None and len(rows) > max_rows:
            rows = np.sort(np.random.default_rng(seed).choice(rows, max_rows, replace=False))
        return h5["codes"][rows], h5["expression"][rows]


def split_expression(store_path: str | Path, split: str) -> np.ndarray:
    """Measured expression of one split only (no sequences: the full DREAM train split is 740 MB of codes)."""
    with h5py.File(store_path, "r") as h5:
        return h5["expression"][:][h5[f"index/{split}"][:]]


def _fit_networks(store_path, spec, arch: dict, training: dict, run_dir: Path, trainer_cfg: dict, seed: int) -> list:
    """Train training["members"] networks from seeds seed, seed + 1, ... (member 0 in `run_dir`, member i in
    `run_dir`/member{i}, each resuming there); return a (weights, training summary) pair per member."""
    train_y = split_expression(store_path, "train")
    mean, std = float(train_y.mean()), float(train_y.std())
    loss_fn = None  # the harness's MSE
    if training["loss"] == "huber":
        loss_fn = functools.partial(huber_loss, delta=training["huber_delta"] * std)
    # max_epochs, patience and members may grow between runs: that continues training rather than invalidating it
    recipe = {k: v for k, v in training.items() if k not in ("max_epochs", "patience", "members")}
    data = store_summary(store_path)
    fits = []
    for i in range(training["members"]):
        L.seed_everything(seed + i, workers=True)  # before building: initial weights are part of a repeatable run
        model = spec.build(**arch)
        if hasattr(model, "set_target_scale"):
            model.set_target_scale(mean, std)
        datamodule = PromoterDataModule(store_path, batch_size=training["batch_size"],
                                        num_workers=trainer_cfg.get("num_workers", 0), rc_augment=training["rc_augment"])
        signature = {"arch": arch, "training": recipe, "data": data, "seed": seed + i}
        fits.append(harness.fit(model, datamodule, run_dir=run_dir / f"member{i}" if i else run_dir, training=training,
                                trainer_cfg=trainer_cfg, seed=seed + i, loss_fn=loss_fn, signature=signature))
    return fits


def train_promoter_model(store_path: str | Path, model_name: str, model_config: dict | None, out_model: str | Path, *,
                         trainer_cfg: dict | None = None, seed: int = 0) -> dict:
    """Fit `model_name` on the train split (early stopping on val) and save it to `out_model`.

    With `members: N` > 1 the N networks (see _fit_networks) are saved as one SeedEnsemble.
    """
    spec = get_spec(model_name, task="promoter")
    arch, training = resolve_model_config(model_name, model_config, task="promoter")
    run_dir = Path(out_model).parent
    n_members = 1
    if spec.kind == "sklearn":
        L.seed_everything(seed, workers=True)
        model = spec.build(**arch)
        codes, y = read_split(store_path, "train", training["max_train_sequences"], seed)
        val_codes, val_y = read_split(store_path, "val")
        model.alphas = tuple(training["alphas"])
        model.fit(codes, y, val_codes, val_y)
        summary = {"alpha": model.alpha, "n_train_used": int(len(y))}
    else:
        n_members = training["members"]
        fits = _fit_networks(store_path, spec, arch, training, run_dir, trainer_cfg or {}, seed)
        members = [member for member, _ in fits]
        model = (members[0] if n_members == 1 else SeedEnsemble(members)).state_dict()
        summary = dict(fits[0][1])
        if n_members > 1:
            summary.update(members=n_members, epochs_trained=sum(s["epochs_trained"] for _, s in fits),
                           best_val_loss=float(np.mean([s["best_val_loss"] for _, s in fits])))
    save_trained({"name": model_name, "kind": spec.kind, "arch": arch, "training": training, "summary": summary,
                  "members": n_members, "model": model}, out_model)
    log.info("saved %s (%s)", out_model, summary)
    return summary
