"""The per-model notes under every report's metrics table: parameter counts and what the spec says."""

from __future__ import annotations

from collections.abc import Mapping

from regformer.report.record import has_own_loss, network_of


def model_notes(specs: Mapping, all_metrics: dict[str, dict]) -> dict[str, str]:
    """Model name -> note: parameters as configured (and whether a seed ensemble), at full size, the source's
    count, and the spec's note on where we follow or leave the paper. A model is looked up by the network its
    metrics.json names (a config entry may train one network under another name)."""
    notes = {}
    for name, metrics in all_metrics.items():
        spec = specs[network_of(name, metrics)]
        members = (metrics.get("training") or {}).get("members", 1)
        ensemble = f" (a seed ensemble of {members} networks, predictions averaged)" if members > 1 else ""
        count = f"{metrics['n_parameters']:,} parameters as configured here{ensemble}; " if "n_parameters" in metrics else ""
        paper = f" (the source reports {spec.paper_parameters:,})" if spec.paper_parameters else ""
        full = spec.n_parameters("full")  # 0 for a model sized by its data (e.g. a per-tile baseline)
        size = f"{full:,} at full size{paper}. " if full else (f"sized by the data{paper}. " if count else "")
        notes[name] = f"{count}{size}{recipe_note(spec, metrics)}{spec.note}"
    return notes


def recipe_note(spec, metrics: dict) -> str:
    """Where this run's recipe and loss weights leave the spec's (the paper's): 'Trained here with lr 0.01
    (the paper's recipe: 0.0065), ...' or '' when they agree or the metrics predate recording them."""
    recipe = dict(metrics.get("recipe") or {})
    if "loss" in recipe and has_own_loss(spec):
        recipe.pop("loss")  # the network's own loss (metrics.json names it), not a departure from the recipe
    changed = [f"{k} {v} ({spec.training[k]})" for k, v in recipe.items()
               if k in spec.training and v != spec.training[k]]
    changed += [f"{k} {v} ({spec.full.get(k, 0)})" for k, v in (metrics.get("loss_weights") or {}).items()
                if v != spec.full.get(k, 0)]
    return f"Trained here with {', '.join(changed)}; in brackets the spec's full-size recipe. " if changed else ""
