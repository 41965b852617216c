"""Evaluate a trained promoter model on the test split: metrics.json and predictions.tsv."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import torch

from regformer.data.encoding import decode, one_hot, reverse_complement_one_hot
from regformer.evaluate.metrics import regression_metrics
from regformer.io.atomic import atomic_path
from regformer.models.blocks import model_size
from regformer.models.registry import get_spec
from regformer.models.saved import load_trained


@torch.inference_mode()
def predict_codes(model, codes: np.ndarray, batch_size: int = 1024, device: str = "cpu") -> np.ndarray:
    """Predictions for (n, L) codes; torch models average the forward and reverse-complement strands."""
    if not isinstance(model, torch.nn.Module):
        return model.predict(codes)
    model = model.to(device)
    out = []
    for start in range(0, len(codes), batch_size):
        x = one_hot(torch.from_numpy(codes[start:start + batch_size]).to(device))
        out.append(((model(x) + model(reverse_complement_one_hot(x))) / 2).float().cpu().numpy())
    return np.concatenate(out)


def evaluate_promoter_model(store_path: str | Path, model_path: str | Path, out_metrics: str | Path,
                            out_predictions: str | Path) -> dict:
    """Score the test split; write predictions (with noise-free values when the data is synthetic) and metrics."""
    saved, model = load_trained(model_path)
    with h5py.File(store_path, "r") as h5:
        rows = h5["index/test"][:]
        codes, measured = h5["codes"][rows], h5["expression"][rows]
        frame = pd.DataFrame({"line": h5["line"][rows], "sequence": decode(codes), "measured": measured})
        if "noise_free" in h5:
            frame["noise_free"] = h5["noise_free"][rows]
    device = "cuda" if torch.cuda.is_available() else "cpu"
    frame["predicted"] = predict_codes(model, codes, device=device)
    metrics = regression_metrics(frame["measured"], frame["predicted"])
    spec = get_spec(saved["name"])
    metrics.update({
        "model": saved["name"],
        "n_parameters": model_size(model),
        **{k: v for k, v in saved["summary"].items() if isinstance(v, (int, float)) and v is not None},
    })
    if spec.paper_parameters:
        metrics["paper_parameters"] = spec.paper_parameters
    with atomic_path(out_predictions) as tmp:
        frame.to_csv(tmp, sep="\t", index=False, float_format="%.5g")
    with atomic_path(out_metrics) as tmp:
        tmp.write_text(json.dumps(metrics, indent=2))
    return metrics
