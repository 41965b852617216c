"""The generative Akita of "Attention to Bayes": the transformer Akita with a variational layer.

After the trunk's bottleneck (64 channels per bin), two linear maps 64 -> 64 give the mean and the
log-variance of a Gaussian q(z | x) per bin; one reparameterized sample per training step goes through
Akita's unchanged head (the decoder). The loss is MSE + kl_weight * KL(q || N(0, prior_sigma^2 I)).
In eval mode the decoder sees the mean unless sampling is asked for; the model's predict_with_uncertainty
draws many samples of z to give a predictive mean, spread and interval. The model owns both behaviours:
training uses its `training_loss`, evaluation its `predict_with_uncertainty` (see regformer.evaluate.runner).
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

from regformer.models.hic.akita_transformer import AkitaTransformer
from regformer.models.outputs import prediction_of


class AkitaVAE(AkitaTransformer):
    """Input (batch, 4, seq_length); output {"prediction": (batch, n_pixels, n_maps), "mu", "logvar"},
    with mu and logvar of shape (batch, bins, latent_dim). latent_dim is the bottleneck width (64).

    Takes AkitaTransformer's arguments; the paper's generative model used transformer dropout 0.1.
    kl_weight and prior_sigma set the training loss (the paper: 1 and 1).
    """

    loss_name = "mse+kl"  # training_loss: the ELBO's negative (+ the insulation term when its weight > 0)

    def __init__(self, transformer_dropout: float = 0.1, kl_weight: float = 1.0, prior_sigma: float = 1.0,
                 **transformer_kwargs):
        super().__init__(transformer_dropout=transformer_dropout, **transformer_kwargs)
        self.kl_weight, self.prior_sigma = kl_weight, prior_sigma
        self.latent_dim = self.bottleneck[1].out_channels
        self.to_mu = nn.Linear(self.latent_dim, self.latent_dim)
        self.to_logvar = nn.Linear(self.latent_dim, self.latent_dim)

    def posterior(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and log-variance of q(z | x), each (batch, bins, latent_dim)."""
        return self._posterior_of(self.encode(x))

    def _posterior_of(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features = features.transpose(1, 2)
        return self.to_mu(features), self.to_logvar(features)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Latent (batch, bins, latent_dim) -> prediction (batch, n_pixels, n_maps)."""
        return self.head(z.transpose(1, 2))

    def forward(self, x: torch.Tensor, sample: bool | None = None) -> dict[str, torch.Tensor]:
        """`sample` defaults to self.training: sample z when training, use its mean when evaluating."""
        features = self.encode(x)
        mu, logvar = self._posterior_of(features)
        use_sample = self.training if sample is None else sample
        z = reparameterize(mu, logvar) if use_sample else mu
        return self.with_auxiliary({"prediction": self.decode(z), "mu": mu, "logvar": logvar}, features)

    def training_loss(self, output: dict, batch: dict) -> torch.Tensor:
        """The ELBO's negative: MSE + kl_weight * KL (see vae_loss), plus the auxiliary insulation term."""
        return (vae_loss(output, batch, kl_weight=self.kl_weight, prior_sigma=self.prior_sigma)
                + self.auxiliary_loss(output, batch))

    @torch.no_grad()
    def predict_with_uncertainty(self, x: torch.Tensor, n_samples: int = 20,
                                 interval: float = 0.9) -> "PredictiveSummary":
        """Draw n_samples latents per sequence (the paper used 20) and decode each, in eval mode.

        Returns the samples (n_samples, batch, n_pixels, n_maps), their mean and standard deviation, and the
        central `interval` as empirical quantiles (the 5% and 95% ones for 0.9). The trunk runs once; only
        the head repeats.
        """
        if n_samples < 2 or not 0 < interval < 1:
            raise ValueError("need n_samples >= 2 and 0 < interval < 1")
        was_training = self.training
        self.eval()
        try:
            mu, logvar = self.posterior(x)
            samples = torch.stack([self.decode(reparameterize(mu, logvar)) for _ in range(n_samples)])
        finally:
            self.train(was_training)
        tail = (1 - interval) / 2
        ordered = samples.sort(dim=0).values
        return PredictiveSummary(samples, samples.mean(0), samples.std(0), _quantile(ordered, tail),
                                 _quantile(ordered, 1 - tail))


def reparameterize(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """z = mu + sigma * eps with eps ~ N(0, I), differentiable in mu and logvar."""
    return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)


def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor, prior_sigma: float = 1.0) -> torch.Tensor:
    """Elementwise KL(N(mu, exp(logvar)) || N(0, prior_sigma^2)) in closed form."""
    prior_var = prior_sigma**2
    return 0.5 * (torch.log(torch.as_tensor(prior_var, dtype=mu.dtype)) - logvar
                  + (logvar.exp() + mu**2) / prior_var - 1.0)


def vae_loss(output: dict, batch: dict, kl_weight: float = 1.0, prior_sigma: float = 1.0) -> torch.Tensor:
    """MSE over all pixels and maps + kl_weight * KL, the KL summed over latent dimensions (as in Kingma &
    Welling and the paper) and averaged over sequences and bins, so it does not grow with batch or length.
    """
    mse = nn.functional.mse_loss(prediction_of(output).float(), batch["y"].float())
    kl = gaussian_kl(output["mu"].float(), output["logvar"].float(), prior_sigma).sum(-1).mean()
    return mse + kl_weight * kl


class PredictiveSummary(NamedTuple):
    """Sampled predictions (n_samples, batch, n_pixels, n_maps) and their per-pixel summaries (batch, ...)."""

    samples: torch.Tensor
    mean: torch.Tensor
    std: torch.Tensor
    lower: torch.Tensor
    upper: torch.Tensor


def _quantile(sorted_samples: torch.Tensor, q: float) -> torch.Tensor:
    """Linearly interpolated quantile along dim 0 of already sorted samples (torch.quantile caps input size)."""
    position = q * (sorted_samples.shape[0] - 1)
    below = int(position)
    above = min(below + 1, sorted_samples.shape[0] - 1)
    weight = position - below
    return sorted_samples[below] * (1 - weight) + sorted_samples[above] * weight
