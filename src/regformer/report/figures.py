"""Matplotlib figures for the model-comparison report, returned as PNG bytes or data URIs.

Everything renders off-screen (Agg) so the report builds on headless cluster nodes, and every
figure is closed after saving so building many reports does not leak memory.
"""

from __future__ import annotations

import base64
import io
import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402
import pandas as pd  # noqa: E402

MAX_SCATTER_POINTS = 5000
HEXBIN_ABOVE = 1500  # more points than this are drawn as a density (hexbin) instead of dots
GRID_COLUMNS = 3


def fig_to_png(fig: plt.Figure, dpi: int = 110) -> bytes:
    """Render a figure to PNG bytes and close it."""
    buffer = io.BytesIO()
    try:
        fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    finally:
        plt.close(fig)
    return buffer.getvalue()


def data_uri(png: bytes) -> str:
    """Wrap PNG bytes as a base64 data URI, so the HTML page needs no side files."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def pearson_r(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson correlation, or NaN when it is undefined (fewer than 2 points, constant input)."""
    if len(x) < 2 or np.std(x) == 0 or np.std(y) == 0:
        return float("nan")
    return float(np.corrcoef(x, y)[0, 1])


def _plain(text: str) -> str:
    """Stop matplotlib from reading '$' in user strings as math mode."""
    return str(text).replace("$", r"\$")


def _grid(n_panels: int, panel_size: float = 4.0) -> tuple[plt.Figure, list[plt.Axes]]:
    """A figure with n_panels axes in rows of at most GRID_COLUMNS; spare axes are hidden."""
    n_cols = min(GRID_COLUMNS, n_panels)
    n_rows = math.ceil(n_panels / n_cols)
    fig, axes = plt.subplots(
        n_rows, n_cols, figsize=(panel_size * n_cols, panel_size * n_rows), squeeze=False
    )
    flat = list(axes.ravel())
    for ax in flat[n_panels:]:
        ax.set_visible(False)
    return fig, flat[:n_panels]


def _subsample(frame: pd.DataFrame, max_points: int, seed: int) -> pd.DataFrame:
    """At most max_points rows, chosen with a fixed seed so reports are reproducible."""
    if len(frame) <= max_points:
        return frame
    return frame.sample(n=max_points, random_state=seed)


def _draw_scatter(
    ax: plt.Axes, name: str, frame: pd.DataFrame, ceiling_r: float | None, max_points: int, seed: int
) -> None:
    """One predicted-vs-measured panel: density-aware points, identity line, r in the title."""
    clean = frame[["measured", "predicted"]].apply(pd.to_numeric, errors="coerce").dropna()
    measured, predicted = clean["measured"].to_numpy(), clean["predicted"].to_numpy()
    r = pearson_r(measured, predicted)  # on all points, not the subsample
    shown = _subsample(clean, max_points, seed)
    if len(shown) > HEXBIN_ABOVE:
        ax.hexbin(shown["measured"], shown["predicted"], gridsize=60, bins="log", mincnt=1, cmap="viridis")
    elif len(shown):
        alpha = max(0.15, min(0.8, 200 / len(shown)))
        ax.scatter(shown["measured"], shown["predicted"], s=8, alpha=alpha, color="tab:blue", linewidths=0)
    if len(shown):
        low = float(min(shown["measured"].min(), shown["predicted"].min()))
        high = float(max(shown["measured"].max(), shown["predicted"].max()))
        ax.plot([low, high], [low, high], color="black", linestyle="--", linewidth=1, label="y = x")
    ax.set_title(f"{_plain(name)}  (r = {r:.3f}, n = {len(clean):,})", fontsize=10)
    ax.set_xlabel("measured")
    ax.set_ylabel("predicted")
    if ceiling_r is not None and math.isfinite(ceiling_r):
        ax.text(
            0.03, 0.97, f"r={r:.3f}\nceiling r={ceiling_r:.3f}", transform=ax.transAxes,
            va="top", ha="left", fontsize=9,
            bbox={"boxstyle": "round", "facecolor": "lightyellow", "edgecolor": "goldenrod"},
        )


def scatter_grid(
    predictions: dict[str, pd.DataFrame],
    ceiling_r: float | None = None,
    max_points: int = MAX_SCATTER_POINTS,
    seed: int = 0,
) -> bytes | None:
    """Predicted vs measured, one panel per model; None when no model has predictions."""
    if not predictions:
        return None
    fig, axes = _grid(len(predictions))
    for ax, (name, frame) in zip(axes, predictions.items()):
        _draw_scatter(ax, name, frame, ceiling_r, max_points, seed)
    fig.tight_layout()
    return fig_to_png(fig)


def _loss_columns(curves: pd.DataFrame) -> list[str]:
    """Columns to plot: every loss, preferring epoch aggregates over per-step duplicates."""
    columns = [c for c in curves.columns if "loss" in c.lower()]
    return [c for c in columns if not (c.endswith("_step") and c[: -len("_step")] + "_epoch" in columns)]


def loss_curves(curves: dict[str, pd.DataFrame]) -> bytes | None:
    """Train/val loss per epoch, one panel per model; log y when every value is positive."""
    plottable = {name: frame for name, frame in curves.items() if _loss_columns(frame)}
    if not plottable:
        return None
    fig, axes = _grid(len(plottable), panel_size=3.6)
    for ax, (name, frame) in zip(axes, plottable.items()):
        columns = _loss_columns(frame)
        values = frame[columns].to_numpy(dtype=float)
        for column in columns:
            series = frame[column].dropna()
            ax.plot(series.index, series.to_numpy(), marker="o", markersize=3, label=_plain(column))
        finite = values[np.isfinite(values)]
        if finite.size and (finite > 0).all():
            ax.set_yscale("log")
        ax.set_title(_plain(name), fontsize=10)
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel("loss")
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig_to_png(fig)
