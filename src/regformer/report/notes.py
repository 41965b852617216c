"""The per-model notes under every report's metrics table: parameter counts and what the spec says."""

from __future__ import annotations

from collections.abc import Mapping


def model_notes(specs: Mapping, all_metrics: dict[str, dict]) -> dict[str, str]:
    """Model name -> note: parameters as configured (and whether a seed ensemble), at full size, the source's
    count, and the spec's note on where we follow or leave the paper."""
    notes = {}
    for name, metrics in all_metrics.items():
        spec = specs[name]
        members = (metrics.get("training") or {}).get("members", 1)
        ensemble = f" (a seed ensemble of {members} networks, predictions averaged)" if members > 1 else ""
        count = f"{metrics['n_parameters']:,} parameters as configured here{ensemble}; " if "n_parameters" in metrics else ""
        paper = f" (the source reports {spec.paper_parameters:,})" if spec.paper_parameters else ""
        notes[name] = f"{count}{spec.n_parameters('full'):,} at full size{paper}. {spec.note}"
    return notes
