"""The scATAC chain's figures: QC (fragments per cell, fragment sizes, TSS enrichment), UMAPs, masked-tile ROC,
validation AUROC per epoch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from regformer.io.atomic import atomic_path
from regformer.report.figures import fig_to_png, plt


def qc_figure(obs: pd.DataFrame, frag_sizes: np.ndarray, thresholds: dict) -> bytes:
    """Three panels: log10 fragments per cell with the thresholds, fragment-size distribution, TSSe vs depth."""
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6), layout="constrained")  # no label runs into its neighbour
    depth = np.log10(np.maximum(obs["n_fragment"].to_numpy(), 1))
    axes[0].hist(depth, bins=40, color="#4477aa")
    for key in ("min_fragments", "max_fragments"):
        axes[0].axvline(np.log10(max(thresholds[key], 1)), color="#cc3311", ls="--", lw=1)
    axes[0].set(xlabel="log10 fragments per cell", ylabel="cells", title="depth (dashed: cell filter)")
    sizes = np.asarray(frag_sizes, dtype=float)
    axes[1].plot(np.arange(len(sizes)), sizes / max(sizes.sum(), 1), color="#228833")
    axes[1].set(xlabel="fragment length (bp)", ylabel="share of fragments", title="fragment sizes")
    if "tsse" in obs:
        axes[2].scatter(depth, obs["tsse"], s=6, alpha=0.6)
        axes[2].set(xlabel="log10 fragments per cell", ylabel="TSS enrichment", title="TSS enrichment")
    else:
        axes[2].text(0.5, 0.5, "no gene annotation:\nno TSS enrichment", ha="center", va="center")
        axes[2].set_axis_off()
    return fig_to_png(fig)


def plot_qc(out_png: str | Path, obs: pd.DataFrame, frag_sizes: np.ndarray, thresholds: dict) -> None:
    with atomic_path(out_png) as tmp:
        Path(tmp).write_bytes(qc_figure(obs, frag_sizes, thresholds))


def _scatter_categories(ax, xy: np.ndarray, values: np.ndarray) -> None:
    """One colour per level; unlabelled cells ('nan') in grey, under the others."""
    values = np.asarray(values).astype(str)
    missing = values == "nan"
    if missing.any():
        ax.scatter(xy[missing, 0], xy[missing, 1], s=5, color="#bbbbbb", label="unlabelled")
    for k, level in enumerate(sorted(set(values[~missing]))):
        pick = values == level
        ax.scatter(xy[pick, 0], xy[pick, 1], s=6, label=level, color=plt.cm.tab10(k % 10))


def umap_grid(umaps: dict[str, np.ndarray], colours: dict[str, np.ndarray | dict],
              depth: np.ndarray | None = None) -> bytes:
    """One row per embedding (its 2-d UMAP), one column per colouring (labels, Leiden clusters: one array for
    every embedding or one per embedding), and a last column of log10 fragments per cell when `depth` is given."""
    n_cols = len(colours) + (depth is not None)
    fig, axes = plt.subplots(len(umaps), n_cols, figsize=(4.2 * n_cols, 3.8 * len(umaps)), squeeze=False)
    for r, (emb, xy) in enumerate(umaps.items()):
        for c, (name, values) in enumerate(colours.items()):
            ax = axes[r, c]
            _scatter_categories(ax, xy, values[emb] if isinstance(values, dict) else values)
            ax.set(title=f"{emb}: {name}", xticks=[], yticks=[])
            if r == 0 or isinstance(values, dict):
                ax.legend(fontsize=6, markerscale=2, loc="best")
        if depth is not None:
            ax = axes[r, -1]
            points = ax.scatter(xy[:, 0], xy[:, 1], s=6, c=np.log10(np.maximum(depth, 1)), cmap="viridis")
            fig.colorbar(points, ax=ax, label="log10 fragments")
            ax.set(title=f"{emb}: fragments per cell", xticks=[], yticks=[])
    return fig_to_png(fig)


def val_auroc_figure(curves: dict[str, pd.Series]) -> bytes:
    """Masked-tile validation AUROC per epoch, one line per model run."""
    fig, ax = plt.subplots(figsize=(4.5, 3.4))
    for name, series in curves.items():
        ax.plot(series.index, series.to_numpy(), marker="o", ms=3, label=name)
    ax.set(xlabel="epoch", ylabel="validation AUROC", title="masked-tile AUROC, validation cells")
    ax.legend(fontsize=8)
    return fig_to_png(fig)


def roc_figure(curves: dict[str, tuple[np.ndarray, np.ndarray]], aurocs: dict[str, float]) -> bytes:
    """Masked-tile ROC (state 2 vs state 0) per model."""
    fig, ax = plt.subplots(figsize=(4.5, 4.2))
    for name, (fpr, tpr) in curves.items():
        ax.plot(fpr, tpr, label=f"{name} (AUROC {aurocs[name]:.3f})")
    ax.plot([0, 1], [0, 1], color="grey", lw=0.8, ls=":")
    ax.set(xlabel="false positive rate (closed tiles)", ylabel="true positive rate (removed tiles)",
           title="masked-tile recovery, test cells")
    ax.legend(fontsize=8)
    return fig_to_png(fig)
