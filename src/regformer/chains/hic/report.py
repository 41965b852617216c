"""The Hi-C chain's report: metrics of every model, target vs predicted maps, distance-stratified Pearson,
the VAE's spread, loss curves and (on the demo) the noise ceiling."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from regformer.apply.report import apply_sections  # noqa: E402
from regformer.chains.hic.metrics import window_pearson_mean  # noqa: E402
from regformer.chains.hic.specs import MODELS  # noqa: E402
from regformer.data.contact_maps import triu_to_matrix  # noqa: E402
from regformer.io.stores import store_summary  # noqa: E402
from regformer.report.figures import fig_to_png  # noqa: E402
from regformer.report.html import image, load_metrics, write_report  # noqa: E402
from regformer.report.notes import model_notes  # noqa: E402
from regformer.report.verdict import pooled_pearson, window_samples  # noqa: E402

INTRO = (
    "Contact maps predicted from DNA sequence alone on held-out test windows ({n_test} windows of {seq_length:,} bp "
    "at {bin_size:,} bp resolution; maps of {n_bins} x {n_bins} bins after cropping {crop} per side). Targets are "
    "Akita's: balanced, near-diagonal clipped, adaptively coarse-grained, log(observed/expected) within the window, "
    "interpolated and Gaussian-smoothed; scores use the upper triangle from diagonal {diagonal_offset}. "
    "distance_baseline predicts each map's mean at each distance: the part of the score that needs no sequence."
)
N_WINDOWS_SHOWN = 3
NOTHING = "Nothing to show."


def shown_windows(store_path: Path, models: dict[str, Path]) -> tuple[list[str], np.ndarray | None, dict]:
    """The first test windows, read once for every map figure: their labels, their targets (all maps) and each
    model's (prediction, std or None) there, for the models that wrote predictions.h5."""
    predictions, rows = {}, None
    for name, directory in models.items():
        path = directory / "predictions.h5"
        if not path.is_file():
            continue
        with h5py.File(path, "r") as h5:
            if "prediction" not in h5:
                continue
            n = min(N_WINDOWS_SHOWN, h5["prediction"].shape[0])
            rows = h5["rows"][:n]  # the same test windows for every model
            std = h5["std"][:n].astype(np.float32) if "std" in h5 else None
            predictions[name] = (h5["prediction"][:n].astype(np.float32), std)
    if rows is None or len(rows) == 0:
        return [], None, predictions
    with h5py.File(store_path, "r") as h5:  # rows are the test windows' store rows, increasing (as h5py wants)
        targets = h5["targets"][rows].astype(np.float32)
        labels = [f"{c.decode()}:{s:,}-{e:,}" for c, s, e in zip(h5["regions/chrom"][rows], h5["regions/start"][rows],
                                                                  h5["regions/end"][rows])]
    return labels, targets, predictions


def map_columns(predictions: dict) -> list[str]:
    """Column titles of the map figures: target, each model, and '<model> std' and '<model> |error|' for models
    with a predictive spread."""
    titles = ["target"]
    for name, (_, std) in predictions.items():
        titles += [name] if std is None else [name, f"{name} std", f"{name} |error|"]
    return titles


def map_figure(summary: dict, shown: tuple, map_index: int, map_name: str) -> bytes | None:
    """The map figure of `map_plot` as PNG bytes (None when no model wrote predictions)."""
    fig = map_plot(summary, shown, map_index, map_name)
    return None if fig is None else fig_to_png(fig)


def map_plot(summary: dict, shown: tuple, map_index: int, map_name: str) -> plt.Figure | None:
    """Rows: the first test windows; columns: the target, each model's prediction and the VAE's std; a colour
    bar for log(obs/exp) and one for the std."""
    labels, targets, predictions = shown
    if targets is None:
        return None
    targets = targets[..., map_index]
    columns: list[tuple[str, np.ndarray, bool]] = []
    for name, (prediction, std) in predictions.items():
        columns.append((name, prediction[..., map_index], False))
        if std is not None:  # the uncertainty map beside the error map, on one scale
            columns.append((f"{name} std", std[..., map_index], True))
            columns.append((f"{name} |error|", np.abs(prediction[..., map_index] - targets), True))
    columns.insert(0, ("target", targets, False))
    n, offset = summary["n_bins"], summary["diagonal_offset"]
    limit = float(np.nanpercentile(np.abs(targets), 99)) or 1.0
    spreads = [values for _, values, is_spread in columns if is_spread]
    spread_max = 1.0
    if spreads:
        spread_max = float(np.nanpercentile(np.concatenate([v.ravel() for v in spreads]), 99)) or 1.0
    fig, axes = plt.subplots(len(labels), len(columns), figsize=(2.4 * len(columns) + 1.2, 2.4 * len(labels)),
                             squeeze=False, layout="constrained")
    shown = {}  # one image per scale, for the colour bars
    for r in range(len(labels)):
        for c, (title, values, is_spread) in enumerate(columns):
            ax = axes[r][c]
            mat = triu_to_matrix(values[r], n, offset)
            if is_spread:  # one shared scale for every std and |error| panel, so the bar reads for all of them
                shown["spread"] = ax.imshow(mat, cmap="viridis", vmin=0, vmax=spread_max)
            else:
                shown["contacts"] = ax.imshow(mat, cmap="RdBu_r", vmin=-limit, vmax=limit)
            ax.set_xticks([]), ax.set_yticks([])
            if r == 0:
                ax.set_title(title, fontsize=11)
            if c == 0:
                ax.set_ylabel(labels[r], fontsize=10)
    fig.colorbar(shown["contacts"], ax=axes, shrink=0.6, label="log(obs/exp)")
    if "spread" in shown:
        fig.colorbar(shown["spread"], ax=axes, shrink=0.6, label="std, |error|")
    fig.suptitle(f"{map_name}: log(obs/exp), test windows (rows: chromosome:start-end)", fontsize=12)
    return fig


def distance_figure(all_metrics: dict[str, dict], bin_size: int | None = None) -> bytes | None:
    """Pearson per distance band, one panel per map, one line per model; the legend below the panels."""
    maps = sorted({m for metrics in all_metrics.values() for m in metrics.get("per_map", {})})
    if not maps:
        return None
    fig, axes = plt.subplots(1, len(maps), figsize=(4 * len(maps), 3), squeeze=False)
    for ax, map_name in zip(axes[0], maps):
        for model, metrics in all_metrics.items():
            bands = metrics.get("per_map", {}).get(map_name, {}).get("distance_pearson", {})
            if bands:
                ax.plot(range(len(bands)), [np.nan if v is None else v for v in bands.values()], marker="o", label=model)
                ax.set_xticks(range(len(bands)), list(bands), rotation=45, fontsize=7)
        unit = f"bins of {bin_size:,} bp" if bin_size else "bins"
        ax.set_title(map_name, fontsize=10), ax.set_xlabel(f"distance from the diagonal ({unit})")
        ax.set_ylabel("Pearson r"), ax.axhline(0, color="#999", lw=0.5)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.tight_layout()
    fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=min(4, len(labels)), fontsize=8)
    return fig_to_png(fig)


def reliability_figure(all_metrics: dict[str, dict]) -> bytes | None:
    """Nominal vs observed coverage of the central predictive intervals, one line per sampling model."""
    curves = {m: metrics["uncertainty"]["reliability"] for m, metrics in all_metrics.items()
              if "reliability" in metrics.get("uncertainty", {})}
    if not curves:
        return None
    fig, ax = plt.subplots(figsize=(3.6, 3.4))
    ax.plot([0, 1], [0, 1], color="#999", lw=0.8, ls="--", label="calibrated")
    for model, curve in curves.items():
        ax.plot([float(k) for k in curve], list(curve.values()), marker="o", label=model)
    ax.set_xlabel("nominal coverage"), ax.set_ylabel("observed coverage (test)")
    ax.set_xlim(0, 1), ax.set_ylim(0, 1), ax.legend(fontsize=7)
    fig.tight_layout()
    return fig_to_png(fig)


def calibration_text(all_metrics: dict[str, dict]) -> str:
    """One paragraph per sampling model: coverage and mean width per level, std-vs-|error| correlation."""
    parts = []
    for model, metrics in all_metrics.items():
        u = metrics.get("uncertainty", {})
        if "coverage" not in u:
            continue
        levels = ", ".join(f"{float(k):.0%}: {u['coverage'][k]:.1%} (width {u['mean_width'][k]:.3f})"
                           for k in u["coverage"])
        noise = u.get("noise", {})
        parts.append(f"<p><b>{model}</b>: observed coverage of the central intervals on the test windows {levels}. "
                     f"Spearman of predicted std vs |error| {u['std_error_spearman']:.3f} (Pearson "
                     f"{u['std_error_pearson']:.3f}). Latent draws alone cover "
                     f"{u.get('latent_interval_coverage', float('nan')):.1%} at {u.get('level', 0.9):.0%}. "
                     f"Observation noise: {noise.get('n_groups', '?')} scales (one per diagonal offset and map) "
                     f"fitted on the validation split only, sigma {noise.get('sigma_min', float('nan')):.3f} to "
                     f"{noise.get('sigma_max', float('nan')):.3f}.</p>")
    return "".join(parts)


def verdict_samples(store_path: Path, models: dict[str, Path]):
    """Test predictions and targets for the verdict's window bootstrap of pooled and per-window Pearson."""
    return window_samples(store_path, models, {"pearson": pooled_pearson, "window_pearson": window_pearson_mean})


def write_hic_report(out_html: str | Path, dataset: str, store_path: str | Path, model_dirs: dict[str, Path],
                     ceiling_path: str | Path | None = None) -> Path:
    """Compare the Hi-C models in `model_dirs` (name -> results/hic/{dataset}/{model}/) on one dataset."""
    store_path = Path(store_path)
    summary = store_summary(store_path)
    models = {name: Path(d) for name, d in model_dirs.items()}
    all_metrics = {name: load_metrics(d / "metrics.json") for name, d in models.items()}
    notes = model_notes(MODELS, all_metrics)
    ceiling = None
    if ceiling_path:
        ceiling = {k: v for k, v in load_metrics(ceiling_path).items() if k in ("mse", "pearson", "spearman",
                                                                                "window_pearson")}
        ceiling["description"] = ("targets built the same way from the noise-free demo maps, scored against the "
                                  "measured (Poisson-sampled) targets on the test windows")
    shown = shown_windows(store_path, models)
    legend = (f'<p class="note">Columns: {", ".join(map_columns(shown[2]))}. Maps are log(observed/expected) on a '
              "shared blue-white-red scale; a <i>std</i> column is the VAE's per-contact posterior predictive "
              "standard deviation (latent draws + fitted observation noise; darker = more certain), shown beside "
              "its <i>|error|</i> on the same scale.</p>")
    sections = [(f"Target vs predicted maps: {name}", legend + image(map_figure(summary, shown, i, name), name, NOTHING))
                for i, name in enumerate(summary["maps"])]
    reliability = reliability_figure(all_metrics)
    if reliability is not None:
        sections.append(("Reliability of the predictive intervals",
                         "<p>The VAE's posterior predictive over targets is Gaussian with the mean of its latent "
                         "draws and their variance plus an observation-noise variance per diagonal offset and map, "
                         "fitted on the validation split only; a calibrated model lies on the diagonal.</p>"
                         + calibration_text(all_metrics) + image(reliability, "reliability diagram", NOTHING)))
    sections.append(("Pearson by distance", image(distance_figure(all_metrics, summary.get("bin_size")),
                                                          "distance-stratified Pearson", NOTHING)))
    sections.append(("Stitched predictions", "<p>Each model's test predictions are stitched into "
                     "<code>predicted_{map}.cool</code> in its folder (mean where windows overlap, values are "
                     "log(obs/exp), so view them unbalanced) to open in HiGlass next to the measured map.</p>"))
    n_test = next(iter(all_metrics.values())).get("n_windows", "?")
    intro = INTRO.format(n_test=n_test, **summary)
    return write_report(out_html, title=f"regformer: Hi-C / Micro-C models on {dataset}", dataset=dataset,
                        models=models, noise_ceiling=ceiling, model_notes=notes, intro=intro,
                        extra_sections=sections + apply_sections(models), scatter=False,
                        samples=verdict_samples(store_path, models))
