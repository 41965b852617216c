"""Trained models on disk, for every chain: one torch.save'd dict with the model's name, kind, architecture,
recipe, training summary and weights (a state dict for torch modules, else the fitted object itself)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import torch

from regformer.io.atomic import atomic_path
from regformer.models.ensemble import SeedEnsemble
from regformer.models.registry import ModelSpec, get_spec


def save_trained(saved: dict, path: str | Path) -> None:
    """Write atomically, so a killed job never leaves a model.pt that Snakemake would take as done.

    `saved["model"]` is an nn.Module (stored as its state dict) or a fitted non-torch object (stored whole).
    """
    model = saved["model"]
    saved = {**saved, "model": model.state_dict() if isinstance(model, torch.nn.Module) else model}
    with atomic_path(path) as tmp:
        torch.save(saved, tmp)


def load_trained(model_path: str | Path, specs: Mapping[str, ModelSpec]):
    """(saved dict, model): a torch module rebuilt from its spec and architecture in eval mode (a SeedEnsemble
    of them when trained with members > 1), or the fitted non-torch object."""
    saved = torch.load(model_path, map_location="cpu", weights_only=False)
    if not isinstance(saved["model"], Mapping):  # a fitted object (e.g. scikit-learn), not a state dict
        return saved, saved["model"]
    build = get_spec(specs, saved["name"]).build
    n_members = saved.get("members", 1)
    model = build(**saved["arch"]) if n_members == 1 else SeedEnsemble([build(**saved["arch"]) for _ in range(n_members)])
    model.load_state_dict(saved["model"])
    return saved, model.eval()
