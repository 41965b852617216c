"""What a model returns, and the losses on it that any chain may use.

A model returns either a tensor (the prediction) or a dict with a "prediction" entry plus whatever its own
loss needs (e.g. a VAE's mu and logvar). Losses are called as loss(output, batch), batch["y"] the target.
"""

from __future__ import annotations

import torch
from torch import nn


def prediction_of(output: torch.Tensor | dict) -> torch.Tensor:
    """The prediction in a model's output (the tensor itself, or its "prediction" entry)."""
    return output["prediction"] if isinstance(output, dict) else output


def mse_loss(output: torch.Tensor | dict, batch: dict) -> torch.Tensor:
    """Mean squared error between the prediction and batch["y"] (the default loss)."""
    return nn.functional.mse_loss(prediction_of(output).float(), batch["y"].float())


def poisson_loss(output: torch.Tensor | dict, batch: dict) -> torch.Tensor:
    """Poisson negative log-likelihood of count targets under predicted rates (non-negative outputs), as
    Basenji, Enformer and Genomic Interpreter train on coverage tracks."""
    return nn.functional.poisson_nll_loss(prediction_of(output).float(), batch["y"].float(), log_input=False)


def huber_loss(output: torch.Tensor | dict, batch: dict, delta: float = 1.0) -> torch.Tensor:
    """Huber loss: squared within `delta` of the target, linear beyond it, so that measurements far off the
    prediction (e.g. a sort-seq value from a single cell) pull on the weights less than under MSE."""
    return nn.functional.huber_loss(prediction_of(output).float(), batch["y"].float(), delta=delta)
