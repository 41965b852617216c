"""One self-contained HTML page comparing every model trained on one dataset.

Shared by all chains (promoters, Hi-C, tracks, scATAC), so it only assumes the common per-model
layout: metrics.json (required), predictions.tsv and train/metrics.csv (both optional).
The page inlines its CSS and images, makes no network requests and needs no JavaScript,
so it can be mailed or opened from a cluster scratch directory as a single file.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from datetime import datetime
from html import escape
from numbers import Real
from pathlib import Path

import pandas as pd

from regformer.errors import InputError
from regformer.report import figures

LEADING_METRICS = ("pearson", "spearman", "r2", "mse")
LOWER_IS_BETTER = ("mse", "mae", "loss")
COUNT_KEYS = {"epoch", "epochs", "step", "steps", "seed"}
METRICS_FIX = (
    "run the workflow's evaluate_<task>_model rule for this model "
    "(it writes results/{task}/{dataset}/{model}/metrics.json), or remove the model from the report"
)

CSS = """
body { font-family: -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; margin: 2em auto;
       max-width: 1200px; padding: 0 1em; color: #222; line-height: 1.45; }
h1 { margin-bottom: 0.2em; } .meta { color: #666; margin-top: 0; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.92em; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.7em; }
th { background: #f0f0f0; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.ceiling td { background: #fff7d6; font-style: italic; }
img { max-width: 100%; height: auto; border: 1px solid #eee; }
.note { color: #555; font-size: 0.92em; }
"""


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


def load_predictions(path: str | Path) -> pd.DataFrame:
    """A predictions.tsv, checked for the measured/predicted columns the scatter plots need."""
    frame = pd.read_csv(path, sep="\t")
    missing = {"measured", "predicted"} - set(frame.columns)
    if missing:
        raise InputError(path, f"lacks column(s) {sorted(missing)}", "write 'measured' and 'predicted' columns")
    return frame


def _is_number(value: object) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


def _is_count(key: str) -> bool:
    """Counts describe the run, not its quality, so they are never bolded."""
    key = key.lower()
    return key.startswith(("n_", "num_")) or key in COUNT_KEYS


def _higher_is_better(key: str) -> bool:
    return not any(token in key.lower() for token in LOWER_IS_BETTER)


def _order(keys: set[str]) -> list[str]:
    """Headline metrics first (pearson, spearman, r2, mse), then the rest alphabetically."""
    leading = [key for key in LEADING_METRICS if key in keys]
    return leading + sorted(keys - set(leading))


def _format(key: str, value: object) -> str:
    """Ints with thousands separators, floats with 3 decimals (scientific when tiny or huge)."""
    if not _is_number(value):
        return escape(str(value))
    number = float(value)
    if not math.isfinite(number):
        return escape(str(number))
    if isinstance(value, int) or (_is_count(key) and number.is_integer()):
        return f"{int(number):,}"
    if number != 0 and (abs(number) < 1e-3 or abs(number) >= 1e6):
        return f"{number:.3e}"
    return f"{number:,.3f}"


def _best(rows: dict[str, dict], key: str) -> float | None:
    """Best value of one column across models, or None when bolding would say nothing."""
    values = [float(m[key]) for m in rows.values() if _is_number(m.get(key)) and math.isfinite(m[key])]
    if _is_count(key) or len(values) < 2:
        return None
    return max(values) if _higher_is_better(key) else min(values)


def _table(rows: dict[str, dict], label: str, ceiling: dict | None = None, bold: bool = True) -> str:
    """An HTML table: one row per entry of rows, columns = union of their numeric keys."""
    columns = _order({k for metrics in rows.values() for k, v in metrics.items() if _is_number(v)})
    if not columns:
        return ""
    best = {key: _best(rows, key) if bold else None for key in columns}
    head = "".join(f"<th>{escape(key)}</th>" for key in columns)
    lines = [f"<table><thead><tr><th>{escape(label)}</th>{head}</tr></thead><tbody>"]
    for name, metrics in rows.items():
        cells = []
        for key in columns:
            value = metrics.get(key)
            text = _format(key, value) if _is_number(value) else ""
            if best[key] is not None and _is_number(value) and float(value) == best[key]:
                text = f"<b>{text}</b>"
            cells.append(f'<td class="num">{text}</td>')
        lines.append(f"<tr><td>{escape(name)}</td>{''.join(cells)}</tr>")
    if ceiling:
        cells = "".join(
            f'<td class="num">{_format(k, ceiling[k]) if _is_number(ceiling.get(k)) else ""}</td>'
            for k in columns
        )
        lines.append(f'<tr class="ceiling"><td>noise ceiling</td>{cells}</tr>')
    lines.append("</tbody></table>")
    return "\n".join(lines)


def _nested_tables(all_metrics: dict[str, dict]) -> str:
    """One sub-table per nested dict key (e.g. per_map), rows = (model, entry)."""
    keys = sorted({k for m in all_metrics.values() for k, v in m.items() if isinstance(v, dict)})
    parts = []
    for key in keys:
        rows: dict[str, dict] = {}
        for model, metrics in all_metrics.items():
            nested = metrics.get(key)
            if not isinstance(nested, dict):
                continue
            if any(isinstance(v, dict) for v in nested.values()):
                for entry, values in nested.items():
                    if isinstance(values, dict):
                        rows[f"{model} / {entry}"] = values
            else:
                rows[model] = nested
        table = _table(rows, "model / entry", bold=False)
        if table:
            parts.append(f"<h3>{escape(key)}</h3>\n{table}")
    return "\n".join(parts)


def _details_table(all_metrics: dict[str, dict]) -> str:
    """Descriptive string values (e.g. model class) as a small model x field table."""
    keys = sorted({k for m in all_metrics.values() for k, v in m.items() if isinstance(v, str)})
    if not keys:
        return ""
    head = "".join(f"<th>{escape(k)}</th>" for k in keys)
    body = "".join(
        f"<tr><td>{escape(model)}</td>"
        + "".join(f"<td>{escape(str(m.get(k, '')))}</td>" for k in keys)
        + "</tr>"
        for model, m in all_metrics.items()
    )
    return f"<table><thead><tr><th>name</th>{head}</tr></thead><tbody>{body}</tbody></table>"


def _image(png: bytes | None, alt: str, missing: str) -> str:
    if png is None:
        return f'<p class="note">{escape(missing)}</p>'
    return f'<img src="{figures.data_uri(png)}" alt="{escape(alt)}">'


HOW_TO_READ = """<p>The table lists one row per model, scored on the held-out test split. For
correlations (pearson, spearman) and r2, higher is better; for errors (mse, mae, loss), lower is
better. The best value in each column is in <b>bold</b>; counts such as n_test or n_parameters are
context, not scores. {ceiling}{scatter}The loss curves show training and validation loss per epoch: validation loss
that rises while training loss keeps falling means the model is overfitting; curves that are still
falling at the end mean more epochs might help. Models without curves (for example closed-form
baselines) are not trained by gradient descent.</p>"""

SCATTER_SENTENCE = """In the scatter plots each point (or hexagon, where points are dense)
is one test example: points on the dashed diagonal were predicted exactly, and a tighter cloud
means a better model. """

CEILING_SENTENCE = """The highlighted <i>noise ceiling</i> row is the best score any model could
expect given the measurement noise ({description}); a model near it has little left to gain. """


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
) -> Path:
    """Write the comparison page for every model on one dataset and return its path.

    `scatter=False` leaves out the predicted-vs-measured scatter (for chains whose outputs are maps).
    """
    out_html = Path(out_html)
    all_metrics: dict[str, dict] = {}
    predictions: dict[str, pd.DataFrame] = {}
    curves: dict[str, pd.DataFrame] = {}
    for name, directory in models.items():
        directory = Path(directory)
        all_metrics[name] = load_metrics(directory / "metrics.json")
        if (directory / "predictions.tsv").is_file():
            predictions[name] = load_predictions(directory / "predictions.tsv")
        if (directory / "train" / "metrics.csv").is_file():
            curves[name] = load_curves(directory / "train" / "metrics.csv")

    ceiling = {k: v for k, v in (noise_ceiling or {}).items() if _is_number(v)} or None
    ceiling_r = float(ceiling["pearson"]) if ceiling and "pearson" in ceiling else None
    scalars = {model: {k: v for k, v in m.items() if _is_number(v)} for model, m in all_metrics.items()}

    sections = [f"<h2>Metrics</h2>\n{_table(scalars, 'model', ceiling) or '<p>No numeric metrics.</p>'}"]
    if ceiling and (noise_ceiling or {}).get("description"):
        sections.append(f'<p class="note">Noise ceiling: {escape(str(noise_ceiling["description"]))}.</p>')
    if model_notes:
        items = "".join(f"<li><b>{escape(m)}</b>: {escape(str(t))}</li>" for m, t in model_notes.items())
        sections.append(f'<ul class="note">{items}</ul>')
    details = _details_table(all_metrics)
    if details:
        sections.append(f"<h3>Run details</h3>\n{details}")
    nested = _nested_tables(all_metrics)
    if nested:
        sections.append(nested)
    if scatter:
        sections.append(
            "<h2>Predicted vs measured</h2>\n"
            + _image(figures.scatter_grid(predictions, ceiling_r), "predicted vs measured",
                     "No model wrote predictions.tsv.")
        )
    sections.append(
        "<h2>Training curves</h2>\n"
        + _image(figures.loss_curves(curves), "loss curves", "No model logged training curves.")
    )
    description = escape(str((noise_ceiling or {}).get("description", "see the table")))
    sections.append(
        "<h2>How to read this page</h2>\n"
        + HOW_TO_READ.format(ceiling=CEILING_SENTENCE.format(description=description) if ceiling else "",
                             scatter=SCATTER_SENTENCE if scatter else "")
    )
    for heading, raw_html in extra_sections or []:
        sections.append(f"<h2>{escape(heading)}</h2>\n{raw_html}")

    stamp = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>
<style>{CSS}</style></head>
<body>
<h1>{escape(title)}</h1>
<p class="meta">Dataset: <b>{escape(dataset)}</b> &middot; {len(models)} model(s) &middot; generated {escape(stamp)}</p>
{f"<p>{escape(intro)}</p>" if intro else ""}
{chr(10).join(sections)}
</body></html>
"""
    return _write_atomic(out_html, page)


def _write_atomic(path: Path, text: str) -> Path:
    """Write via a temp file in the same directory, so readers never see a half-written page."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.chmod(temp_name, 0o644)  # mkstemp makes 0600; a report should be readable by the group
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return path
