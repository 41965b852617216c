"""The workflow's stages by chain name: what `regformer train` and the Snakemake scripts call.

Each resolves the chain in the registry and runs the shared stage (train, evaluate, report) on it.
"""

from __future__ import annotations

from pathlib import Path

from regformer.chains.registry import load_chain
from regformer.evaluate.runner import evaluate_model, evaluate_noise_ceiling
from regformer.train.runner import train_model


def train(chain: str, store: str | Path, model: str, model_config: dict | None, out_model: str | Path, *,
          trainer_cfg: dict | None = None, seed: int = 0) -> dict:
    """Train `model` of `chain` on a prepared store and save it to `out_model` (model.pt)."""
    return train_model(load_chain(chain), model, model_config, store, out_model, trainer_cfg=trainer_cfg, seed=seed)


def evaluate(chain: str, store: str | Path, model_path: str | Path, out_metrics: str | Path,
             out_predictions: str | Path, settings: dict | None = None, seed: int = 0) -> dict:
    """Score a trained model on the test split: metrics.json and predictions.h5."""
    return evaluate_model(load_chain(chain), store, model_path, out_metrics, out_predictions, settings, seed=seed)


def noise_ceiling(chain: str, store: str | Path, noise_free_store: str | Path, out_metrics: str | Path,
                  settings: dict | None = None) -> dict:
    """metrics.json of a synthetic dataset's noise-free targets scored against its measured ones."""
    return evaluate_noise_ceiling(load_chain(chain), store, noise_free_store, out_metrics, settings)


def report(chain: str, out_html: str | Path, dataset: str, metrics_paths: list, inputs: dict,
           settings: dict | None = None) -> Path:
    """The dataset's HTML report; each model's folder is the parent of its metrics.json. `settings` (the dataset's
    config block) goes into the report's run record."""
    from regformer.report.record import report_context

    model_dirs = {Path(p).parent.name: Path(p).parent for p in metrics_paths}
    chain_object = load_chain(chain)
    with report_context(chain=chain_object, settings=settings):
        return chain_object.write_report(out_html, dataset, model_dirs, inputs)
