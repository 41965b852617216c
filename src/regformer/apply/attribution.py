"""Contribution scores through captum: gradient x input and integrated gradients on one-hot DNA.

The explained number is one per input (the chain's `scalar` of the strand-averaged prediction). Integrated
gradients integrate from the uniform background (0.25 per base), as DeepLIFT/ISM users of Enformer and
gReLU do, so that a base scores against the average of the four rather than against "no base".
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from regformer.apply.forward import draws_of_batch
from regformer.data.encoding import one_hot
from regformer.errors import InputError

METHODS = ("input_x_gradient", "integrated_gradients")


class ScalarOutput(nn.Module):
    """The model as captum sees it: one-hot (batch, 4, L) -> (batch,) explained number (ensemble mean)."""

    def __init__(self, model: nn.Module, reverse_output: Callable | None, scalar: Callable):
        super().__init__()
        self.model, self.reverse_output, self.scalar = model, reverse_output, scalar

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.scalar(draws_of_batch(self.model, x, self.reverse_output).mean(0))


def attributions(model, codes: np.ndarray, *, scalar: Callable, reverse_output: Callable | None = None,
                 method: str = "integrated_gradients", n_steps: int = 32, batch_size: int = 64,
                 device: str = "cpu") -> np.ndarray:
    """(n, 4, L) contribution scores of (n, L) codes: captum's attribution of the observed bases, float32."""
    return attributions_with_hypothetical(model, codes, scalar=scalar, reverse_output=reverse_output, method=method,
                                          n_steps=n_steps, batch_size=batch_size, device=device)[0]


def attributions_with_hypothetical(model, codes: np.ndarray, *, scalar: Callable, reverse_output: Callable | None = None,
                                   method: str = "integrated_gradients", n_steps: int = 32, batch_size: int = 64,
                                   device: str = "cpu") -> tuple[np.ndarray, np.ndarray]:
    """((n, 4, L) contributions, (n, 4, L) hypothetical contributions). The gradient behind the attribution
    (captum's Saliency for input_x_gradient; the path-averaged one of integrated gradients, which is its
    attribution over x - baseline) is centred on its mean over the four bases at each position: what each base
    would contribute there (the form modisco-lite reads); contributions are the attribution at the observed base."""
    from captum.attr import IntegratedGradients, Saliency

    if not isinstance(model, nn.Module):
        raise InputError("model", f"{type(model).__name__} is not a neural network, so it has no gradients",
                         "explain it with ISM (in-silico mutagenesis) instead, or pick a torch model")
    if method not in METHODS:
        raise InputError("explain.method", f"unknown attribution method {method!r}", f"use one of {list(METHODS)}")
    wrapped = ScalarOutput(model.to(device).eval(), reverse_output, scalar)
    contributions, hypothetical = [], []
    for start in range(0, len(codes), batch_size):
        x = one_hot(torch.from_numpy(np.ascontiguousarray(codes[start:start + batch_size])).to(device))
        x.requires_grad_(True)
        if method == "input_x_gradient":
            gradient = Saliency(wrapped).attribute(x, abs=False)
        else:
            baseline = torch.full_like(x, 0.25)
            scores = IntegratedGradients(wrapped).attribute(x, baselines=baseline, n_steps=n_steps,
                                                            internal_batch_size=batch_size)
            gradient = scores / (x - baseline)  # x - 0.25 is 0.75 or -0.25, never 0
        gradient = gradient.detach()
        x = x.detach()
        contributions.append((gradient * x).cpu().numpy() if method == "input_x_gradient"
                             else (gradient * (x - 0.25) * x).cpu().numpy())
        hypothetical.append((gradient - gradient.mean(1, keepdim=True)).cpu().numpy())
    return np.concatenate(contributions).astype(np.float32), np.concatenate(hypothetical).astype(np.float32)
