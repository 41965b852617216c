"""Trained models on disk, for every chain: one torch.save'd dict with the model's name, kind, architecture,
recipe, training summary and weights (a state dict, or the fitted scikit-learn object)."""

from __future__ import annotations

from pathlib import Path

import torch

from regformer.io.atomic import atomic_path
from regformer.models.ensemble import SeedEnsemble
from regformer.models.registry import get_spec


def save_trained(saved: dict, path: str | Path) -> None:
    """Write atomically, so a killed job never leaves a model.pt that Snakemake would take as done."""
    with atomic_path(path) as tmp:
        torch.save(saved, tmp)


def load_trained(model_path: str | Path):
    """(saved dict, model): a torch module rebuilt from its architecture in eval mode (a SeedEnsemble of them when
    the model was trained with members > 1), or the fitted baseline."""
    saved = torch.load(model_path, map_location="cpu", weights_only=False)
    if saved["kind"] == "sklearn":
        return saved, saved["model"]
    build = get_spec(saved["name"]).build
    n_members = saved.get("members", 1)
    model = build(**saved["arch"]) if n_members == 1 else SeedEnsemble([build(**saved["arch"]) for _ in range(n_members)])
    model.load_state_dict(saved["model"])
    return saved, model.eval()
