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


def soft_bins(y: torch.Tensor, n_bins: int, sd: float = 0.5) -> torch.Tensor:
    """(batch,) expression on the bin scale 0..n_bins-1 -> (batch, n_bins) probabilities: the mass of
    Normal(y, sd) in each bin [i - 0.5, i + 0.5), the outer bins open-ended (LegNet's soft target)."""
    edges = torch.arange(1, n_bins, device=y.device, dtype=torch.float32) - 0.5
    cdf = torch.distributions.Normal(y.float()[:, None], sd).cdf(edges)
    zeros, ones = torch.zeros_like(cdf[:, :1]), torch.ones_like(cdf[:, :1])
    return torch.cat([zeros, cdf, ones], dim=1).diff(dim=1)


def soft_bin_kl_loss(output: torch.Tensor | dict, batch: dict, sd: float = 0.5) -> torch.Tensor:
    """KL(soft target bins || predicted bin distribution), averaged over the batch. The model must return
    {"prediction", "bin_logits"} (legnet; promoter_transformer with n_bins > 0)."""
    if not isinstance(output, dict) or "bin_logits" not in output:
        raise ValueError("loss soft_bin_kl needs a model that predicts expression bins (returns 'bin_logits'): "
                         "use legnet, or set n_bins: 18 on promoter_transformer, or choose loss: mse")
    log_q = output["bin_logits"].float().log_softmax(-1)
    return nn.functional.kl_div(log_q, soft_bins(batch["y"], log_q.shape[-1], sd), reduction="batchmean")
