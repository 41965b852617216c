"""Forward passes of any trained model on uint8 codes, keeping what its spread needs.

A prediction is summarised from "draws": the members of a seed ensemble, the samples of a sampling model, or the
one prediction of a plain model. Both strands are averaged where the chain's evaluation averages them (the
chain's reverse_output maps a reverse-strand output back), unless the model averages strands itself. A fitted
non-torch model (a ridge) predicts from the codes.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from regformer.data.encoding import one_hot, reverse_complement_one_hot
from regformer.models.ensemble import SeedEnsemble
from regformer.models.outputs import prediction_of


def _strand_mean(module, x: torch.Tensor, reverse_output: Callable | None) -> torch.Tensor:
    forward = prediction_of(module(x)).float()
    if reverse_output is None or getattr(module, "averages_strands", False):
        return forward
    return (forward + reverse_output(prediction_of(module(reverse_complement_one_hot(x))).float())) / 2


def draws_of_batch(model, x: torch.Tensor, reverse_output: Callable | None, n_samples: int = 20) -> torch.Tensor:
    """(draws, batch, ...) predictions of one one-hot batch: ensemble members, model samples, or the model."""
    if isinstance(model, SeedEnsemble):
        return torch.stack([_strand_mean(member, x, reverse_output) for member in model.members])
    if getattr(model, "predict_with_uncertainty", None) is not None:
        return model.predict_with_uncertainty(x, n_samples=n_samples).samples.float()
    return _strand_mean(model, x, reverse_output)[None]


@torch.inference_mode()
def predict_draws(model, codes: np.ndarray, *, reverse_output: Callable | None = None, batch_size: int = 256,
                  device: str = "cpu", n_samples: int = 20, seed: int = 0) -> np.ndarray:
    """(draws, n, ...) float32 predictions of (n, L) codes, in batches. Sampling models draw from torch's
    generator seeded with `seed` first, so the same call repeats exactly on CPU."""
    if not isinstance(model, torch.nn.Module):
        return np.asarray(model.predict(np.asarray(codes)), dtype=np.float32)[None]
    torch.manual_seed(seed)
    model = model.to(device).eval()
    out = []
    for start in range(0, len(codes), batch_size):
        x = one_hot(torch.from_numpy(np.ascontiguousarray(codes[start:start + batch_size])).to(device))
        out.append(draws_of_batch(model, x, reverse_output, n_samples).cpu().numpy())
    return np.concatenate(out, axis=1).astype(np.float32)


def summarize(draws: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """Mean over draws, and their standard deviation where there is more than one draw (else None)."""
    mean = draws.mean(0)
    return mean, (draws.std(0, ddof=1) if len(draws) > 1 else None)
