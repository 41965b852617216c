"""The three apply stages by name, as the CLI and the Snakemake scripts call them."""

from __future__ import annotations

import logging
from pathlib import Path

from regformer.apply.model import ApplyModel
from regformer.errors import InputError

log = logging.getLogger(__name__)
STAGES = ("predict", "variants", "explain")


def run_stage(stage: str, chain: str, model_path: str | Path, input_path: str | Path, out_path: str | Path,
              settings: dict | None = None, *, device: str | None = None, seed: int = 0):
    """Run `stage` of `chain`'s hooks with the model at `model_path` on `input_path`, writing `out_path`."""
    if stage not in STAGES:
        raise InputError("stage", f"unknown apply stage {stage!r}", f"use one of {list(STAGES)}")
    import torch

    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    settings = dict(settings or {})
    model = ApplyModel(model_path, chain, device=device, batch_size=settings.get("batch_size", 256), seed=seed)
    log.info("%s %s/%s on %s -> %s", stage, chain, model.name, input_path, out_path)
    return getattr(model.hooks, stage)(model, input_path, out_path, settings)
