"""The promoter chain's report: every model of one dataset, with the noise ceiling when it is known."""

from __future__ import annotations

import json
from pathlib import Path

from regformer.models.registry import get_spec
from regformer.report.html import load_metrics, write_report

INTRO = (
    "Expression predicted from promoter sequence on the held-out test split. Sequences were trimmed to "
    "their last {length} bp (or N-padded on the 5' end), exact duplicates dropped ({n_duplicates:,} of "
    "{n_records:,} records), and unique sequences split {fractions} (train/val/test, seed {seed}); no "
    "sequence appears in two splits. kmer_ridge is the classical baseline every model should beat."
)


def write_promoter_report(out_html: str | Path, dataset: str, summary_path: str | Path, metrics_paths: list) -> Path:
    """Compare the models whose metrics.json files are given; they sit in results/promoter/{dataset}/{model}/."""
    summary = json.loads(Path(summary_path).read_text())
    models = {Path(p).parent.name: Path(p).parent for p in metrics_paths}
    notes = {}
    for name, model_dir in models.items():
        spec, metrics = get_spec(name), load_metrics(model_dir / "metrics.json")
        members = metrics.get("members", 1)
        ensemble = f" (a seed ensemble of {members} networks, predictions averaged)" if members > 1 else ""
        count = f"{metrics['n_parameters']:,} parameters as configured here{ensemble}; " if "n_parameters" in metrics else ""
        full = f"{spec.n_parameters('full'):,} at full size"
        paper = f" (the source reports {spec.paper_parameters:,})" if spec.paper_parameters else ""
        notes[name] = f"{count}{full}{paper}. {spec.note}"
    ceiling = summary.get("noise_ceiling")
    if ceiling:
        ceiling = {k: v for k, v in ceiling.items() if k in ("pearson", "spearman", "r2", "mse")}
        ceiling["description"] = ("noise-free expression of the planted grammar scored against the measured "
                                  "(noisy, 18-bin quantized) values on the test split: no model can beat it")
    fractions = "/".join(f"{summary['fractions'][k]:g}" for k in ("train", "val", "test"))
    return write_report(out_html, title=f"regformer: random-promoter models on {dataset}", dataset=dataset, models=models,
                        noise_ceiling=ceiling, model_notes=notes, intro=INTRO.format(**{**summary, "fractions": fractions}))
