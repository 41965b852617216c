"""The promoter chain's report: every model of one dataset, with the noise ceiling when it is known."""

from __future__ import annotations

import json
from pathlib import Path

from regformer.chains.promoter.specs import MODELS
from regformer.report.html import load_metrics, write_report
from regformer.report.notes import model_notes

INTRO = (
    "Expression predicted from promoter sequence on the held-out test split. Sequences were trimmed to "
    "their last {length} bp (or N-padded on the 5' end), exact duplicates dropped ({n_duplicates:,} of "
    "{n_records:,} records), and unique sequences split {fractions} (train/val/test, seed {seed}); no "
    "sequence appears in two splits. kmer_ridge is the classical baseline every model should beat."
)


def write_promoter_report(out_html: str | Path, dataset: str, summary_path: str | Path,
                          model_dirs: dict[str, Path]) -> Path:
    """Compare the models in `model_dirs` (name -> results/promoter/{dataset}/{model}/) on one dataset."""
    summary = json.loads(Path(summary_path).read_text())
    notes = model_notes(MODELS, {name: load_metrics(Path(d) / "metrics.json") for name, d in model_dirs.items()})
    ceiling = summary.get("noise_ceiling")
    if ceiling:
        ceiling = {k: v for k, v in ceiling.items() if k in ("pearson", "spearman", "r2", "mse")}
        ceiling["description"] = ("noise-free expression of the planted grammar scored against the measured "
                                  "(noisy, 18-bin quantized) values on the test split: no model can beat it")
    fractions = "/".join(f"{summary['fractions'][k]:g}" for k in ("train", "val", "test"))
    return write_report(out_html, title=f"regformer: random-promoter models on {dataset}", dataset=dataset,
                        models=model_dirs, noise_ceiling=ceiling, model_notes=notes,
                        intro=INTRO.format(**{**summary, "fractions": fractions}))
