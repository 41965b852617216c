"""Akita with a transformer trunk ("Attention to Bayes"): the dilated residual 1D blocks become a
bidirectional (BERT-style, post-norm) transformer encoder over the bins; tower, bottleneck and head are Akita's.

The encoder works at the tower's width (d_model = tower_filters = 96, i.e. 16 per head for 6 heads),
so no projection is needed: it takes the place of the dilated blocks one for one.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from regformer.models.hic.akita import ContactMapModel


def sinusoidal_positions(length: int, d_model: int, device=None, dtype=None) -> torch.Tensor:
    """(length, d_model) sine/cosine positional encoding of Vaswani et al.: fixed, so any length works."""
    position = torch.arange(length, device=device, dtype=torch.float32).unsqueeze(1)
    frequency = torch.exp(torch.arange(0, d_model, 2, device=device, dtype=torch.float32)
                          * (-math.log(10_000.0) / d_model))
    encoding = torch.zeros(length, d_model, device=device)
    encoding[:, 0::2] = torch.sin(position * frequency)
    encoding[:, 1::2] = torch.cos(position * frequency)[:, : d_model // 2]
    return encoding.to(dtype) if dtype is not None else encoding


class BinTransformer(nn.Module):
    """(batch, channels, bins) -> same shape: positional encoding, then post-norm encoder layers.

    nn.TransformerEncoderLayer computes attention with F.scaled_dot_product_attention.
    """

    def __init__(self, d_model: int, n_heads: int, n_layers: int, ff_dim: int, dropout: float):
        super().__init__()
        if d_model % n_heads:
            raise ValueError(f"d_model {d_model} (the tower width) must be divisible by n_heads {n_heads}")
        self.dropout = nn.Dropout(dropout)
        layer = nn.TransformerEncoderLayer(d_model, n_heads, ff_dim, dropout, activation="gelu",
                                           batch_first=True, norm_first=False)
        self.encoder = nn.TransformerEncoder(layer, n_layers, enable_nested_tensor=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        tokens = x.transpose(1, 2)
        tokens = tokens + sinusoidal_positions(tokens.shape[1], tokens.shape[2], tokens.device, tokens.dtype)
        return self.encoder(self.dropout(tokens)).transpose(1, 2)


class AkitaTransformer(ContactMapModel):
    """Input (batch, 4, seq_length) one-hot DNA, output (batch, n_pixels, n_maps), as Akita."""

    def __init__(self, seq_length: int = 2**20, bin_size: int = 2048, n_maps: int = 5, stem_filters: int = 96,
                 stem_kernel: int = 11, tower_filters: int = 96, tower_kernel: int = 5, n_heads: int = 6,
                 n_layers: int = 3, ff_dim: int = 256, transformer_dropout: float = 0.15,
                 bottleneck_filters: int = 64, bottleneck_kernel: int = 5, head_filters: int = 48,
                 head_dilated_filters: int = 24, n_head_dilated: int = 6, head_rate_mult: float = 1.75,
                 head_dropout: float = 0.1, crop: int = 32, diagonal_offset: int = 2, insulation_weight: float = 0.0,
                 insulation_window: int = 10):
        super().__init__()
        width = self._build_tower(seq_length, bin_size, stem_filters, stem_kernel, tower_filters, tower_kernel)
        self.transformer = BinTransformer(width, n_heads, n_layers, ff_dim, transformer_dropout)
        self._build_head(n_maps, bottleneck_filters, bottleneck_kernel, head_filters, head_dilated_filters,
                         n_head_dilated, head_rate_mult, head_dropout, crop, diagonal_offset, insulation_weight,
                         insulation_window)

    def middle(self, bins: torch.Tensor) -> torch.Tensor:
        return self.transformer(bins)
