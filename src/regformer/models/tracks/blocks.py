"""Blocks shared by the tracks chain's networks (Enformer and the Genomic Interpreter's CNN baselines): layer
norm for conv features, the pre-activation conv block, residual links and Enformer's attention pooling."""

from __future__ import annotations

import torch
from torch import nn


class ConvLayerNorm(nn.GroupNorm):
    """Layer normalisation of a (batch, channels, length) conv layer: over all its channels and positions per
    sample (Ba et al.'s layer norm for conv nets; GroupNorm with one group), with a per-channel scale and offset.

    Not per position over channels: that rescales every position to unit norm, so a position where a motif
    filter fires looks as strong as background, and on the tracks demo the CNNs then predict a constant
    (attpool_cnn test Pearson ~0.05 after 500 steps, against 0.74 for DNase after 100 steps with this norm).
    """

    def __init__(self, channels: int):
        super().__init__(1, channels)


def conv_block(in_channels: int, out_channels: int, kernel_size: int, dilation: int = 1) -> nn.Sequential:
    """Pre-activation conv block: LayerNorm -> GELU -> Conv1d (same padding)."""
    return nn.Sequential(ConvLayerNorm(in_channels), nn.GELU(),
                         nn.Conv1d(in_channels, out_channels, kernel_size, padding=dilation * (kernel_size // 2),
                                   dilation=dilation))


class Residual(nn.Module):
    """x + body(x)."""

    def __init__(self, body: nn.Module):
        super().__init__()
        self.body = body

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class AttentionPool(nn.Module):
    """Pools pairs of positions by a softmax over learned per-channel logits (a 1x1 conv, init 2 x identity).

    For two positions softmax([a, b])[0] = sigmoid(a - b); this form avoids a slow size-2 softmax on CPU.
    """

    def __init__(self, channels: int):
        super().__init__()
        self.logits = nn.Conv1d(channels, channels, 1, bias=False)
        with torch.no_grad():
            self.logits.weight.copy_(2.0 * torch.eye(channels).unsqueeze(-1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits = self.logits(x)
        first = torch.sigmoid(logits[..., 0::2] - logits[..., 1::2])  # softmax weight of the even position
        return x[..., 1::2] + first * (x[..., 0::2] - x[..., 1::2])
