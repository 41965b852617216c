"""Building blocks shared by the models of every chain."""

from __future__ import annotations

import torch
from torch import nn


def count_parameters(model: nn.Module) -> int:
    """Trainable parameters (BatchNorm running statistics are buffers, so they are not counted)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def model_size(model) -> int:
    """Parameters of any model: the count a fitted baseline declares (n_parameters), else count_parameters."""
    declared = getattr(model, "n_parameters", None)
    return int(declared) if declared is not None else count_parameters(model)


class ConvBNAct1d(nn.Sequential):
    """Conv1d (same padding, no bias) -> BatchNorm -> GELU: the basic unit of the convolutional stems."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, dilation: int = 1):
        super().__init__(
            nn.Conv1d(in_channels, out_channels, kernel_size, padding="same", dilation=dilation, bias=False),
            nn.BatchNorm1d(out_channels),
            nn.GELU(),
        )


class ResidualConvBlock1d(nn.Module):
    """conv-BN-GELU-conv, add the input, BN, GELU (the residual unit of the promoter deck)."""

    def __init__(self, channels: int, kernel_size: int, dropout: float = 0.0):
        super().__init__()
        self.body = nn.Sequential(
            ConvBNAct1d(channels, channels, kernel_size),
            nn.Dropout(dropout),
            nn.Conv1d(channels, channels, kernel_size, padding="same", bias=False),
        )
        self.norm = nn.BatchNorm1d(channels)
        self.act = nn.GELU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.norm(x + self.body(x)))


class TransformerTrunk(nn.Module):
    """A learned positional embedding plus post-norm transformer encoder layers (torch SDPA attention).

    Input and output are (batch, length, d_model).
    """

    def __init__(self, length: int, d_model: int, n_heads: int, n_layers: int, ff_dim: int, dropout: float):
        super().__init__()
        self.position = nn.Parameter(torch.zeros(1, length, d_model))
        nn.init.normal_(self.position, std=0.02)
        layer = nn.TransformerEncoderLayer(d_model, n_heads, ff_dim, dropout, activation="gelu",
                                           batch_first=True, norm_first=False)
        self.encoder = nn.TransformerEncoder(layer, n_layers, enable_nested_tensor=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x + self.position)


class MLPHead(nn.Sequential):
    """Dense layers with GELU and dropout, halving the width each time, then a linear output."""

    def __init__(self, in_features: int, hidden: int, n_hidden_layers: int, dropout: float, out_features: int = 1):
        layers: list[nn.Module] = []
        width = in_features
        for i in range(n_hidden_layers):
            nxt = max(1, hidden // (2**i))
            layers += [nn.Linear(width, nxt), nn.GELU(), nn.Dropout(dropout)]
            width = nxt
        layers.append(nn.Linear(width, out_features))
        super().__init__(*layers)
