"""The cost columns every bench table shares, read from a model's metrics.json: parameters, epochs, training time."""

from __future__ import annotations


def cost_cells(parameters: int | None, epochs: int | None, seconds: float | None) -> str:
    """'| 22,260 | 4 | 88 s |'-style cells; a missing value leaves its cell empty."""
    return (f"{f'{parameters:,}' if parameters is not None else ''} | {epochs if epochs is not None else ''} | "
            f"{f'{seconds:.0f} s' if seconds is not None else ''} |")


def metrics_cost(metrics: dict) -> tuple[int | None, int | None, float | None]:
    """(parameters, epochs trained, training seconds) of one metrics.json."""
    return (metrics.get("n_parameters"), metrics.get("training", {}).get("epochs_trained"),
            metrics.get("training_seconds"))
