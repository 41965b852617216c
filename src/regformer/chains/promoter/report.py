"""The promoter chain's report: every model of one dataset, with the noise ceiling when it is known."""

from __future__ import annotations

import json
from pathlib import Path

from regformer.apply.report import apply_sections
from regformer.chains.promoter.specs import MODELS
from regformer.report.html import load_metrics, write_report
from regformer.report.notes import model_notes

def _duplicates_sentence(summary: dict) -> str:
    """How repeated sequences were handled, with how many and how far their values disagreed."""
    n_seq = summary.get("n_merged_sequences")
    if n_seq is None:  # a store built before duplicates were merged: the first copy was kept
        return f"exact duplicates dropped ({summary['n_duplicates']:,} of {summary['n_records']:,} records)"
    if n_seq == 0:
        return f"no sequence appeared twice ({summary['n_records']:,} records)"
    spread = summary.get("duplicate_value_range") or {}
    kept = ("kept once with the mean of its values" if summary.get("duplicates", "mean") == "mean"
            else "kept once with its first value (the other values dropped)")
    return (f"{n_seq:,} sequences appeared more than once ({summary['n_merged_records']:,} of "
            f"{summary['n_records']:,} records); each was {kept}; the copies' values differed by a median of "
            f"{spread.get('median', 0):.3g} and at most {spread.get('max', 0):.3g}")


def intro_text(summary: dict, models) -> str:
    """The report's opening paragraph: what was done to the sequences, the split, and the baseline if it ran."""
    fractions = "/".join(f"{summary['fractions'][k]:g}" for k in ("train", "val", "test"))
    trimmed = ""
    if "n_trimmed" in summary:
        trimmed = f" ({summary['n_trimmed']:,} trimmed, {summary['n_padded']:,} padded)"
    text = (f"Expression predicted from promoter sequence on the held-out test split. Sequences were trimmed to "
            f"their last {summary['length']} bp (or N-padded on the 5' end){trimmed}, {_duplicates_sentence(summary)}, "
            f"and unique sequences split {fractions} (train/val/test, seed {summary['seed']}); no sequence appears "
            "in two splits.")
    if "kmer_ridge" in models:
        text += " kmer_ridge is the classical baseline every model should beat."
    return text


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
    return write_report(out_html, title=f"regformer: random-promoter models on {dataset}", dataset=dataset,
                        models=model_dirs, noise_ceiling=ceiling, model_notes=notes,
                        intro=intro_text(summary, model_dirs), extra_sections=apply_sections(model_dirs))
