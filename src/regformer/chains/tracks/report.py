"""The tracks chain's report: metrics by group and track, predicted vs measured profiles of test windows,
per-track Pearson of swin1d against each other model (Genomic Interpreter Fig. 2), attention maps (its
Fig. 4), loss curves and (on the demo) the noise ceiling."""

from __future__ import annotations

from pathlib import Path

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from regformer.apply.report import apply_sections  # noqa: E402
from regformer.chains.tracks.dataset import TrackWindows  # noqa: E402
from regformer.chains.tracks.specs import MODELS  # noqa: E402
from regformer.data.encoding import one_hot  # noqa: E402
from regformer.io.stores import store_summary  # noqa: E402
from regformer.models.saved import load_trained  # noqa: E402
from regformer.report.figures import fig_to_png  # noqa: E402
from regformer.report.html import image, load_metrics, write_report  # noqa: E402
from regformer.report.notes import model_notes  # noqa: E402
from regformer.report.verdict import pooled_pearson, window_samples  # noqa: E402

INTRO = (
    "Binned coverage tracks predicted from DNA sequence alone on held-out test windows ({n_test_windows} windows "
    "of {seq_length:,} bp; {n_bins} bins of {bin_size} bp each after cropping {crop} bins per side; tracks: "
    "{track_list}). Targets follow Basenji's recipe (per-base values pooled per bin, soft- and hard-clipped). "
    "pearson is the mean over tracks of Pearson's r across all test bins (Genomic Interpreter's measure); "
    "pearson_log1p the same on log(1 + x). kmer_ridge (ridge on k-mer counts of each bin and its flanks) is the "
    "classical baseline every network should beat."
)
N_WINDOWS_SHOWN = 4
NOTHING = "Nothing to show."


def mean_track_pearson(predicted: np.ndarray, measured: np.ndarray, log1p: bool = False) -> float:
    """metrics.json's pearson (or pearson_log1p): per track over all bins of the windows, then the mean."""
    if log1p:
        predicted, measured = np.log1p(np.maximum(predicted, 0)), np.log1p(measured)
    values = [pooled_pearson(predicted[..., k], measured[..., k]) for k in range(measured.shape[-1])]
    finite = [v for v in values if np.isfinite(v)]
    return float(np.mean(finite)) if finite else float("nan")


def profile_figure(store_path: Path, model_dirs: dict[str, Path], summary: dict) -> bytes | None:
    """Rows: the first test windows; columns: tracks; measured (grey) and each model's prediction, on the genome
    coordinates of each bin's start."""
    predictions, rows = {}, None
    for name, directory in model_dirs.items():
        if (directory / "predictions.h5").is_file():
            with h5py.File(directory / "predictions.h5", "r") as h5:
                rows = h5["rows"][:N_WINDOWS_SHOWN]
                predictions[name] = h5["prediction"][:N_WINDOWS_SHOWN].astype(np.float32)
    if not predictions:
        return None
    order = np.argsort(rows)  # h5py reads increasing rows; put them back in the predictions' order
    with h5py.File(store_path, "r") as h5:
        measured = np.empty_like(h5["targets"][rows[order]], dtype=np.float32)
        measured[order] = h5["targets"][rows[order]]
        chroms = np.empty(len(rows), dtype=object)
        chroms[order] = [c.decode() for c in h5["regions/chrom"][rows[order]]]
        starts = np.empty(len(rows), dtype=np.int64)
        starts[order] = h5["regions/start"][rows[order]]
    tracks, bin_size = summary["tracks"], summary["bin_size"]
    fig, axes = plt.subplots(len(rows), len(tracks), figsize=(4.2 * len(tracks), 2.6 * len(rows)), squeeze=False)
    for r in range(len(rows)):
        first = starts[r] + summary["crop"] * bin_size
        x = (first + bin_size * np.arange(measured.shape[1])) / 1e3
        for t, track in enumerate(tracks):
            ax = axes[r][t]
            ax.fill_between(x, measured[r, :, t], step="post", color="#bbb", label="measured")
            for name, values in predictions.items():
                ax.step(x, values[r, :, t], where="post", lw=1, label=name)
            ax.set_title(f"{track}, {chroms[r]}:{first:,}-{first + bin_size * measured.shape[1]:,}", fontsize=9)
            ax.set_xlabel(f"{chroms[r]} position (kb)", fontsize=8)
            ax.set_ylabel(f"coverage per {bin_size} bp bin", fontsize=8)
            ax.tick_params(labelsize=7)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=8, bbox_to_anchor=(0.5, 1.0))
    fig.tight_layout()
    return fig_to_png(fig)


def track_pearson_figure(all_metrics: dict[str, dict], reference: str = "swin1d") -> bytes | None:
    """Per-track Pearson of `reference` (x) against each other model (y): points below the diagonal are tracks
    the reference predicts better."""
    if reference not in all_metrics:
        return None
    ref = all_metrics[reference].get("per_track", {})
    others = [m for m in all_metrics if m != reference and all_metrics[m].get("per_track")]
    if not ref or not others:
        return None
    fig, axes = plt.subplots(1, len(others), figsize=(3 * len(others), 3), squeeze=False)
    for ax, model in zip(axes[0], others):
        theirs = all_metrics[model]["per_track"]
        x = [ref[t]["pearson"] for t in ref if t in theirs]
        y = [theirs[t]["pearson"] for t in ref if t in theirs]
        ax.scatter(x, y, s=14)
        ax.plot([-1, 1], [-1, 1], ls="--", color="#999", lw=0.8)
        lo = min([0.0] + [v for v in x + y if v is not None])
        ax.set_xlim(lo, 1), ax.set_ylim(lo, 1)
        ax.set_xlabel(f"{reference} r", fontsize=8), ax.set_ylabel(f"{model} r", fontsize=8)
    fig.tight_layout()
    return fig_to_png(fig)


@torch.inference_mode()
def attention_figure(store_path: Path, model_path: Path, title: str) -> bytes | None:
    """The attention weights of the first test window: each layer's first head, then each head of the last
    layer (for windowed attention, the first window), four panels a row, with a shared colour bar."""
    saved, model = load_trained(model_path, MODELS)
    if not isinstance(model, torch.nn.Module):
        return None
    x = one_hot(TrackWindows(store_path, "test")[0]["codes"][None])
    try:
        maps = model(x, return_attention=True)["attention"]
    except TypeError:  # the model has no attention to show
        return None
    panels = [(f"layer {i + 1}, head 1", a[0, 0]) for i, a in enumerate(maps)]
    panels += [(f"layer {len(maps)}, head {h + 1}", maps[-1][0, h]) for h in range(1, maps[-1].shape[1])]
    n_cols = min(4, len(panels))
    n_rows = -(-len(panels) // n_cols)
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(2.8 * n_cols + 1, 2.8 * n_rows), squeeze=False,
                             layout="constrained")
    top = max(float(w.max()) for _, w in panels) or 1.0
    for ax in axes.ravel()[len(panels):]:
        ax.set_visible(False)
    for ax, (label, weights) in zip(axes.ravel(), panels):
        shown = ax.imshow(weights.float().numpy(), cmap="viridis", vmin=0, vmax=top)
        ax.set_title(label, fontsize=10), ax.set_xlabel("key position", fontsize=8)
        ax.set_ylabel("query position", fontsize=8), ax.tick_params(labelsize=7)
    fig.colorbar(shown, ax=axes, shrink=0.7, label="attention weight")
    fig.suptitle(f"{title}: attention weights, first test window", fontsize=11)
    return fig_to_png(fig)


def _sections(store_path: Path, model_dirs: dict[str, Path], all_metrics: dict, summary: dict) -> list:
    sections = [("Predicted vs measured profiles", image(profile_figure(store_path, model_dirs, summary),
                                                          "profiles", NOTHING)),
                ("Per-track Pearson: swin1d against each model",
                 image(track_pearson_figure(all_metrics), "per-track Pearson", NOTHING))]
    for name in ("swin1d", "enformer"):
        if name in model_dirs and (model_dirs[name] / "model.pt").is_file():
            png = attention_figure(store_path, model_dirs[name] / "model.pt", name)
            sections.append((f"Attention maps: {name}", image(png, f"{name} attention", NOTHING)))
    sections.append(("Predicted bigWigs", "<p>Each model's test predictions are written as "
                     "<code>predicted_{track}.bw</code> in its folder, on the measured track's chromosomes "
                     "(mean where windows overlap), to open in IGV next to the data.</p>"))
    return sections


def verdict_samples(store_path: Path, models: dict[str, Path]):
    """Test predictions and targets for the verdict's window bootstrap of the mean per-track Pearson."""
    return window_samples(store_path, models, {"pearson": mean_track_pearson,
                                               "pearson_log1p": lambda p, m: mean_track_pearson(p, m, True)})


def write_tracks_report(out_html: str | Path, dataset: str, store_path: str | Path, model_dirs: dict[str, Path],
                        ceiling_path: str | Path | None = None) -> Path:
    """Compare the tracks models in `model_dirs` (name -> results/tracks/{dataset}/{model}/) on one dataset."""
    store_path = Path(store_path)
    summary = store_summary(store_path)
    models = {name: Path(d) for name, d in model_dirs.items()}
    all_metrics = {name: load_metrics(d / "metrics.json") for name, d in models.items()}
    ceiling = None
    if ceiling_path:
        ceiling = {k: v for k, v in load_metrics(ceiling_path).items()
                   if k in ("pearson", "pearson_log1p", "mse", "poisson_nll")}
        ceiling["description"] = ("targets built the same way from the noise-free demo tracks, scored against "
                                  "the measured (Poisson-sampled) targets on the test windows")
    n_test = next(iter(all_metrics.values())).get("n_windows", "?")
    intro = INTRO.format(n_test_windows=n_test, track_list=", ".join(summary["tracks"]), **summary)
    return write_report(out_html, title=f"regformer: genomic-track models on {dataset}", dataset=dataset,
                        models=models, noise_ceiling=ceiling, model_notes=model_notes(MODELS, all_metrics),
                        intro=intro, extra_sections=_sections(store_path, models, all_metrics, summary)
                        + apply_sections(models),
                        scatter=False, samples=verdict_samples(store_path, models))
