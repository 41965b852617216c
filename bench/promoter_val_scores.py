"""Validation-split Pearson and Spearman of trained promoter models, for choosing a recipe without looking at the
test split (both strands averaged, as the test scoring does).

    python bench/promoter_val_scores.py results/promoter/NAME/prepared/sequences.h5 results/promoter/NAME/legnet/model.pt
"""

from __future__ import annotations

import argparse

import numpy as np
import torch
from scipy import stats

from regformer.chains.registry import load_chain
from regformer.evaluate.runner import predict_batch
from regformer.models.saved import load_trained


def val_scores(store: str, model_path: str) -> tuple[float, float, int]:
    chain = load_chain("promoter")
    _, model = load_trained(model_path, chain.models)
    datamodule = chain.datamodule(store, {"batch_size": 256}, num_workers=0)
    predicted, measured = [], []
    with torch.inference_mode():
        for raw in datamodule.val_dataloader():
            batch = datamodule.on_after_batch_transfer(dict(raw), 0)
            predicted.append(predict_batch(model, batch, raw, chain.strand_average).reshape(-1))
            measured.append(batch["y"].float().numpy().reshape(-1))
    p, y = np.concatenate(predicted), np.concatenate(measured)
    return stats.pearsonr(y, p).statistic, stats.spearmanr(y, p).statistic, len(y)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store", help="the dataset's prepared/sequences.h5")
    parser.add_argument("models", nargs="+", help="model.pt files trained on that store")
    args = parser.parse_args()
    for path in args.models:
        pearson, spearman, n = val_scores(args.store, path)
        print(f"{path}: val n {n}, Pearson {pearson:.4f}, Spearman {spearman:.4f}")


if __name__ == "__main__":
    main()
