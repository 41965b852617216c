"""Train one model of the Hi-C chain on a targets store: Akita and its variants with Lightning, the distance
baseline in closed form.

The window geometry (seq_length, bin_size, crop, diagonal_offset) and the number of maps come from the
store, so a model config only sets widths and the recipe; a config that contradicts the store is an error.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path

import h5py
import lightning as L
import numpy as np

from regformer.data.hic_dataset import HicDataModule
from regformer.errors import InputError
from regformer.models.akita_vae import vae_loss
from regformer.io.stores import store_summary
from regformer.models.registry import get_spec, resolve_model_config
from regformer.models.saved import save_trained
from regformer.train import harness

log = logging.getLogger(__name__)

GEOMETRY = ("seq_length", "bin_size", "crop", "diagonal_offset")


def arch_for_store(model_name: str, model_config: dict | None, summary: dict) -> tuple[dict, dict]:
    """The model's architecture and recipe with the store's window geometry and map count filled in."""
    arch, training = resolve_model_config(model_name, model_config, task="hic")
    for key in GEOMETRY:
        if key in (model_config or {}) and model_config[key] != summary[key]:
            raise InputError("config.yaml", f"hic model {model_name}: {key} is {model_config[key]} but the targets "
                             f"were built with {summary[key]}", f"remove {key} from the model (the dataset sets it)")
    arch.update(seq_length=summary["seq_length"], bin_size=summary["bin_size"], crop=summary["crop"],
                diagonal_offset=summary["diagonal_offset"], n_maps=len(summary["maps"]))
    return arch, training


def train_targets(store_path: str | Path, batch: int = 64):
    """Training-split target blocks (n_pixels, n_maps), read a few windows at a time."""
    with h5py.File(store_path, "r") as h5:
        rows = np.flatnonzero(h5["regions/split"][:].astype(str) == "train")
        for i in range(0, len(rows), batch):
            for block in h5["targets"][rows[i:i + batch]]:
                yield block


def train_hic_model(store_path: str | Path, model_name: str, model_config: dict | None, out_model: str | Path, *,
                    trainer_cfg: dict | None = None, seed: int = 0) -> dict:
    """Fit `model_name` on the train windows (early stopping on valid) and save it to `out_model`."""
    spec = get_spec(model_name, task="hic")
    summary = store_summary(store_path)
    arch, training = arch_for_store(model_name, model_config, summary)
    run_dir = Path(out_model).parent
    L.seed_everything(seed, workers=True)  # before building: initial weights are part of a repeatable run
    model = spec.build(**arch)
    if spec.kind == "baseline":
        model.fit(train_targets(store_path))
        fit_summary = {"fitted_values": model.n_parameters}
    else:
        trainer_cfg = trainer_cfg or {}
        datamodule = HicDataModule(store_path, batch_size=training["batch_size"],
                                   num_workers=trainer_cfg.get("num_workers", 0),
                                   shift_max=training["shift_augment"], rc_augment=training["rc_augment"])
        loss_fn = None
        if "kl_weight" in training:
            loss_fn = functools.partial(vae_loss, kl_weight=training["kl_weight"], prior_sigma=training["prior_sigma"])
        recipe = {k: v for k, v in training.items() if k not in ("max_epochs", "patience")}
        signature = {"arch": arch, "training": recipe, "data": summary, "seed": seed}
        model, fit_summary = harness.fit(model, datamodule, run_dir=run_dir, training=training, trainer_cfg=trainer_cfg,
                                         seed=seed, loss_fn=loss_fn, signature=signature)
    save_trained({"name": model_name, "kind": spec.kind, "arch": arch, "training": training, "summary": fit_summary,
                 "maps": summary["maps"], "model": model.state_dict()}, out_model)
    log.info("saved %s (%s)", out_model, fit_summary)
    return fit_summary
