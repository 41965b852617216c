"""One self-contained HTML page comparing every model trained on one dataset.

Shared by all chains (promoters, Hi-C, tracks, scATAC), so it only assumes the common per-model
layout: metrics.json (required), predictions.h5 and train/metrics.csv (both optional).
predictions.h5 is one contract for all chains: a `prediction` dataset, (n,) or (n, ...), the
store's `rows`, and for chains with scalar targets the `measured` values (n,) that the
predicted-vs-measured scatter needs; maps (e.g. Hi-C) are not scattered.
The page inlines its CSS and images, makes no network requests and needs no JavaScript,
so it can be mailed or opened from a cluster scratch directory as a single file.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from html import escape
from pathlib import Path

import h5py
import numpy as np
import pandas as pd

from regformer.errors import InputError
from regformer.io.atomic import atomic_path
from regformer.report import figures, verdict
from regformer.report.record import current_context, run_record_html
from regformer.report.starting_points import starting_points_html
from regformer.report.tables import details_table, is_number, metrics_table, nested_tables

METRICS_FIX = (
    "run the workflow's evaluate_model rule for this model "
    "(it writes results/{chain}/{dataset}/{model}/metrics.json), or remove the model from the report"
)
PREDICTIONS_FIX = (
    "run the workflow's evaluate_model rule for this model again "
    "(it writes results/{chain}/{dataset}/{model}/predictions.h5), or delete the file"
)

CSS = """
body { font-family: -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; margin: 2em auto;
       max-width: 1200px; padding: 0 1em; color: #222; line-height: 1.45; }
h1 { margin-bottom: 0.2em; } .meta { color: #666; margin-top: 0; }
.table-wrap { max-width: 100%; overflow-x: auto; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.88em; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.5em; }
th { vertical-align: bottom; }
th { background: #f0f0f0; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.ceiling td { background: #fff7d6; font-style: italic; }
img { max-width: 100%; height: auto; border: 1px solid #eee; }
.note { color: #555; font-size: 0.92em; }
details.run-details > summary { cursor: pointer; color: #333; font-weight: 600; margin: 1em 0 0.5em; }
pre { white-space: pre-wrap; font-size: 0.85em; background: #f7f7f7; padding: 0.5em; }
""" + verdict.CSS

HOW_TO_READ = """<p>The table lists one row per model, scored on the held-out test split. For
correlations (pearson, spearman), r2 and auroc, higher is better; for errors (mse, mae, nll, loss), lower
is better. The best value of each score column is in <b>bold</b>; counts, seconds and fractions are context,
not scores, and are never bolded. The verdict box above says which model wins and by how much.
{ceiling}{scatter}The loss curves show training and validation loss per epoch: validation loss
that rises while training loss keeps falling means the model is overfitting; curves that are still
falling at the end mean more epochs might help. Models without curves (for example closed-form
baselines) are not trained by gradient descent.</p>"""

SCATTER_SENTENCE = """In the scatter plots each point (or hexagon, where points are dense)
is one test example: points on the dashed diagonal were predicted exactly, and a tighter cloud
means a better model. """

CEILING_SENTENCE = """The highlighted <i>noise ceiling</i> row is the best score any model could
expect given the measurement noise ({description}); a model near it has little left to gain. """

BOOKKEEPING = ("training",)  # nested metrics.json entries about the run, not its scores
IN_RUN_RECORD = ("recipe", "loss_weights")  # settings, not scores: the run record shows them
NO_SCATTER = "No model wrote predictions.h5 with measured values."


def load_metrics(path: str | Path) -> dict:
    """Read a model's metrics.json; raise InputError naming the file when missing or unreadable."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "metrics.json is missing", METRICS_FIX)
    try:
        metrics = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise InputError(path, f"cannot be read as JSON ({error})", METRICS_FIX) from error
    if not isinstance(metrics, dict):
        raise InputError(path, "must hold a JSON object (metric name -> value)", METRICS_FIX)
    return metrics


def load_curves(csv_path: str | Path) -> pd.DataFrame:
    """Lightning CSVLogger metrics as one row per epoch and one column per logged metric.

    Train and val values are logged on separate rows of the same epoch; averaging the non-null
    values per epoch merges them (and turns per-step train losses into an epoch mean).
    """
    raw = pd.read_csv(csv_path)
    if "epoch" not in raw.columns:
        raise InputError(csv_path, "has no 'epoch' column", "point at a Lightning CSVLogger metrics.csv")
    raw = raw.dropna(subset=["epoch"]).drop(columns=["step"], errors="ignore")
    raw["epoch"] = raw["epoch"].astype(int)
    numeric = raw.set_index("epoch").apply(pd.to_numeric, errors="coerce")
    curves = numeric.groupby(level="epoch").mean().dropna(axis=1, how="all")
    return curves.sort_index()


def load_predictions(path: str | Path) -> pd.DataFrame | None:
    """A model's predictions.h5 as `measured` and `predicted` columns, for the scatter plot.

    None when there is nothing to scatter: no `measured` dataset, or a `prediction` that is not
    1-D (e.g. Hi-C contact maps). Only those two datasets are read, so large maps cost nothing.
    Raises InputError when the file is not HDF5, lacks `prediction`, or the two lengths differ.
    """
    path = Path(path)
    try:
        h5 = h5py.File(path, "r")
    except OSError as error:
        raise InputError(path, f"cannot be opened as HDF5 ({error})", PREDICTIONS_FIX) from error
    with h5:
        prediction = h5.get("prediction")
        if not isinstance(prediction, h5py.Dataset):
            raise InputError(path, "has no 'prediction' dataset", PREDICTIONS_FIX)
        measured = h5.get("measured")
        if prediction.ndim != 1 or not isinstance(measured, h5py.Dataset):
            return None
        if measured.shape != prediction.shape:
            raise InputError(path, f"'measured' has shape {measured.shape} but 'prediction' has shape "
                                   f"{prediction.shape}", PREDICTIONS_FIX)
        return pd.DataFrame({"measured": np.asarray(measured[()], dtype=np.float64),
                             "predicted": np.asarray(prediction[()], dtype=np.float64)})


def image(png: bytes | None, alt: str, missing: str) -> str:
    """An inline <img> for a rendered figure, or a note saying `missing` when there is none."""
    if png is None:
        return f'<p class="note">{escape(missing)}</p>'
    return f'<img src="{figures.data_uri(png)}" alt="{escape(alt)}">'


def _load_models(models: dict[str, str | Path], scatter: bool) -> tuple[dict, dict, dict]:
    """Every model's metrics, scatter-ready predictions (only when scatter) and training curves."""
    all_metrics: dict[str, dict] = {}
    predictions: dict[str, pd.DataFrame] = {}
    curves: dict[str, pd.DataFrame] = {}
    for name, directory in models.items():
        directory = Path(directory)
        all_metrics[name] = load_metrics(directory / "metrics.json")
        if scatter and (directory / "predictions.h5").is_file():
            frame = load_predictions(directory / "predictions.h5")
            if frame is not None:
                predictions[name] = frame
        if (directory / "train" / "metrics.csv").is_file():
            curves[name] = load_curves(directory / "train" / "metrics.csv")
    return all_metrics, predictions, curves


def _metric_sections(all_metrics: dict[str, dict], noise_ceiling: dict | None, ceiling: dict | None,
                     model_notes: dict[str, str] | None) -> list[str]:
    """The metrics table with its notes, then run details and nested (e.g. per-map) tables."""
    scalars = {model: {k: v for k, v in m.items() if is_number(v)} for model, m in all_metrics.items()}
    sections = [f"<h2>Metrics</h2>\n{metrics_table(scalars, 'model', ceiling) or '<p>No numeric metrics.</p>'}"]
    if ceiling and (noise_ceiling or {}).get("description"):
        sections.append(f'<p class="note">Noise ceiling: {escape(str(noise_ceiling["description"]))}.</p>')
    scores = nested_tables(all_metrics, exclude=BOOKKEEPING + IN_RUN_RECORD)  # e.g. per-map scores: results, shown
    if scores:
        sections.append(scores)
    # parameter bookkeeping, where we follow the papers, how each run went: there on demand, not above the figures
    details = []
    if model_notes:
        items = "".join(f"<li><b>{escape(m)}</b>: {escape(str(t))}</li>" for m, t in model_notes.items())
        details.append(f'<h3>Models: parameter counts and notes</h3>\n<ul class="note">{items}</ul>')
    if details_table(all_metrics):
        details.append(f"<h3>Run details</h3>\n{details_table(all_metrics)}")
    if nested_tables(all_metrics, include=BOOKKEEPING):
        details.append(nested_tables(all_metrics, include=BOOKKEEPING))
    if details:
        sections.append('<details class="run-details"><summary>Parameter counts, model notes and run details'
                        "</summary>\n" + "\n".join(details) + "\n</details>")
    return sections


def _how_to_read(noise_ceiling: dict | None, ceiling: dict | None, scatter: bool) -> str:
    """The reading guide, mentioning the ceiling row and the scatter only when the page has them."""
    description = escape(str((noise_ceiling or {}).get("description", "see the table")))
    return "<h2>How to read this page</h2>\n" + HOW_TO_READ.format(
        ceiling=CEILING_SENTENCE.format(description=description) if ceiling else "",
        scatter=SCATTER_SENTENCE if scatter else "",
    )


def _page(title: str, dataset: str, n_models: int, intro: str, sections: list[str]) -> str:
    """The whole HTML document around the sections, stamped with the local time it was made."""
    stamp = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>
<style>{CSS}</style></head>
<body>
<h1>{escape(title)}</h1>
<p class="meta">Dataset: <b>{escape(dataset)}</b> &middot; {n_models} model(s) &middot; generated {escape(stamp)}</p>
{f"<p>{escape(intro)}</p>" if intro else ""}
{chr(10).join(sections)}
</body></html>
"""


def write_report(
    out_html: str | Path,
    *,
    title: str,
    dataset: str,
    models: dict[str, str | Path],
    noise_ceiling: dict | None = None,
    model_notes: dict[str, str] | None = None,
    intro: str = "",
    extra_sections: list[tuple[str, str]] | None = None,
    scatter: bool = True,
    samples: verdict.Samples | None = None,
) -> Path:
    """Write the comparison page for every model on one dataset and return its path.

    `scatter=False` leaves out the predicted-vs-measured scatter (for chains whose outputs are maps).
    The verdict box reads the chain's baseline_model and headline_metrics (from the report context that
    regformer.stages.report sets); `samples` lets it bootstrap an SE for chains without a 1-D `measured`.
    The page is written atomically, so a reader never sees half of it, and is readable by the group.
    """
    out_html = Path(out_html)
    all_metrics, predictions, curves = _load_models(models, scatter)
    ceiling = {k: v for k, v in (noise_ceiling or {}).items() if is_number(v)} or None
    ceiling_r = float(ceiling["pearson"]) if ceiling and "pearson" in ceiling else None
    context = current_context()
    chain = context.get("chain")
    if samples is None and predictions:
        samples = verdict.Samples({m: (f["predicted"].to_numpy(), f["measured"].to_numpy())
                                   for m, f in predictions.items()}, getattr(chain, "test_unit", "examples"))
    if samples is None:  # e.g. scATAC: tile states per test cell
        samples = verdict.state_samples(models, getattr(chain, "test_unit", "examples"))
    box = verdict.verdict_box(all_metrics, getattr(chain, "headline_metrics", ("pearson", "spearman", "auroc")),
                              getattr(chain, "baseline_model", None), ceiling, samples)

    sections = [box] + _metric_sections(all_metrics, noise_ceiling, ceiling, model_notes)
    starts = starting_points_html(all_metrics, getattr(chain, "headline_metrics", ("pearson", "spearman", "auroc")))
    if starts:  # some model started from trained weights: against the same network from scratch
        sections.append(f"<h2>Starting weights: fine-tuned vs from scratch</h2>\n{starts}")
    if scatter:
        png = figures.scatter_grid(predictions, ceiling_r)
        sections.append("<h2>Predicted vs measured</h2>\n" + image(png, "predicted vs measured", NO_SCATTER))
    png = figures.loss_curves(curves)
    sections.append("<h2>Training curves</h2>\n" + image(png, "loss curves", "No model logged training curves."))
    sections.append(_how_to_read(noise_ceiling, ceiling, scatter))
    sections += [f"<h2>{escape(heading)}</h2>\n{raw_html}" for heading, raw_html in extra_sections or []]
    dataset_dir = out_html.resolve().parent  # results/{chain}/{dataset}/ -> its logs: results/logs/{chain}/{dataset}/
    logs_dir = dataset_dir.parent.parent / "logs" / dataset_dir.parent.name / dataset_dir.name
    sections.append("<h2>Run record</h2>\n" + run_record_html(
        all_metrics, getattr(chain, "models", {}), getattr(chain, "report_libraries", ()), context.get("settings"),
        logs_dir))

    page = _page(title, dataset, len(models), intro, sections)
    with atomic_path(out_html) as tmp:
        tmp.write_text(page, encoding="utf-8")
        os.chmod(tmp, 0o644)  # readable by the group whatever the umask
    return out_html
