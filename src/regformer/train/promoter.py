"""Train one model of the random-promoter chain on a prepared store (Lightning or scikit-learn)."""

from __future__ import annotations

import logging
from pathlib import Path

import h5py
import lightning as L
import numpy as np

from regformer.data.promoter_dataset import PromoterDataModule
from regformer.io.stores import store_summary
from regformer.models.registry import get_spec, resolve_model_config
from regformer.models.saved import save_trained
from regformer.train import harness

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


def train_promoter_model(store_path: str | Path, model_name: str, model_config: dict | None, out_model: str | Path, *,
                         trainer_cfg: dict | None = None, seed: int = 0) -> dict:
    """Fit `model_name` on the train split (early stopping on val) and save it to `out_model`."""
    spec = get_spec(model_name, task="promoter")
    arch, training = resolve_model_config(model_name, model_config, task="promoter")
    run_dir = Path(out_model).parent
    L.seed_everything(seed, workers=True)  # before building: initial weights are part of a repeatable run
    if spec.kind == "sklearn":
        model = spec.build(**arch)
        codes, y = read_split(store_path, "train", training["max_train_sequences"], seed)
        val_codes, val_y = read_split(store_path, "val")
        model.alphas = tuple(training["alphas"])
        model.fit(codes, y, val_codes, val_y)
        summary = {"alpha": model.alpha, "n_train_used": int(len(y))}
    else:
        model = spec.build(**arch)
        train_y = split_expression(store_path, "train")
        if hasattr(model, "set_target_scale"):
            model.set_target_scale(float(train_y.mean()), float(train_y.std()))
        trainer_cfg = trainer_cfg or {}
        datamodule = PromoterDataModule(store_path, batch_size=training["batch_size"],
                                        num_workers=trainer_cfg.get("num_workers", 0), rc_augment=training["rc_augment"])
        # max_epochs and patience may grow between runs: that continues training rather than invalidating it
        recipe = {k: v for k, v in training.items() if k not in ("max_epochs", "patience")}
        signature = {"arch": arch, "training": recipe, "data": store_summary(store_path), "seed": seed}
        model, summary = harness.fit(model, datamodule, run_dir=run_dir, training=training, trainer_cfg=trainer_cfg,
                                     seed=seed, signature=signature)
        model = model.state_dict()
    save_trained({"name": model_name, "kind": spec.kind, "arch": arch, "training": training, "summary": summary,
                 "model": model}, out_model)
    log.info("saved %s (%s)", out_model, summary)
    return summary
