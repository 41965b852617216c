"""Enformer's relative-position multi-head attention and its pre-norm transformer block.

Attention logits follow Transformer-XL as used by Enformer (Avsec et al. 2021):

    logits_ij = (q_i + u) . k_j + (q_i + v) . r_(j-i),    r_d = W_R f(d)

with q scaled by key_size ** -0.5, u = r_w_bias (content bias), v = r_r_bias (position bias) and f(d) the
fixed basis functions below (exponential, central mask, gamma; each symmetric f(|d|) and antisymmetric
sign(d) f(|d|)). The position term is handed to torch's scaled_dot_product_attention as a float
attn_mask, so GPUs get fused kernels; `need_weights=True` computes the same softmax explicitly instead.
"""

from __future__ import annotations

import math
from functools import lru_cache

import torch
import torch.nn.functional as F
from torch import nn

N_BASIS_CLASSES = 3  # exponential, central mask, gamma


def _exponential(distance: torch.Tensor, n: int, length: int) -> torch.Tensor:
    """exp(-log 2 * d / half_life), half-lives 2**3 .. length evenly spaced in log2 (as Enformer's code)."""
    half_life = 2.0 ** torch.linspace(3.0, math.log2(max(length, 2)), n, dtype=torch.float64)
    return torch.exp(-math.log(2.0) / half_life * distance[:, None])


def _central_mask(distance: torch.Tensor, n: int) -> torch.Tensor:
    """1{|d| < 2**i - 1}, i = 1..n (Enformer's code; the paper writes 2**i): windows of growing width."""
    widths = 2.0 ** torch.arange(1, n + 1, dtype=torch.float64) - 1.0
    return (widths > distance[:, None]).to(torch.float64)


def _gamma(distance: torch.Tensor, n: int, length: int) -> torch.Tensor:
    """Gamma densities with means length/n .. length and sd length/(2n), at each distance divided by their
    maximum over the n densities (as Enformer's code and enformer-pytorch: reduce_max over the feature axis)."""
    stddev = length / (2.0 * n)
    mean = torch.linspace(length / n, float(length), n, dtype=torch.float64)
    concentration = (mean / stddev) ** 2
    rate = mean / stddev**2
    x = distance[:, None]
    log_pdf = (torch.xlogy(concentration - 1.0, x) - rate * x
               + concentration * torch.log(rate) - torch.lgamma(concentration))
    pdf = torch.exp(log_pdf) + 1e-8
    return pdf / pdf.max(dim=1, keepdim=True).values


@lru_cache(maxsize=16)
def _basis_table(length: int, n_features: int) -> torch.Tensor:
    distance = torch.arange(-(length - 1), length, dtype=torch.float64)
    n = n_features // (2 * N_BASIS_CLASSES)
    d = distance.abs()
    symmetric = torch.cat([_exponential(d, n, length), _central_mask(d, n), _gamma(d, n, length)], dim=1)
    return torch.cat([symmetric, torch.sign(distance)[:, None] * symmetric], dim=1)


def relative_position_features(length: int, n_features: int) -> torch.Tensor:
    """(2 * length - 1, n_features) float64 basis for distances -(length-1) .. length-1 (row d + length - 1).

    The first half of the columns is symmetric (even in d), the second half antisymmetric (odd in d);
    n_features must be divisible by 6 (3 classes x symmetric/antisymmetric).
    """
    if n_features <= 0 or n_features % (2 * N_BASIS_CLASSES):
        raise ValueError(f"relative position features ({n_features}) must be a positive multiple of 6")
    return _basis_table(int(length), int(n_features)).clone()


def relative_shift(x: torch.Tensor) -> torch.Tensor:
    """(..., L, 2L-1) logits per relative distance -> (..., L, L) with out[i, j] = x[i, j - i + L - 1]."""
    length = x.shape[-2]
    if length == 1:
        return x
    flat = x.contiguous().flatten(-2)[..., length - 1: length - 1 + length * (2 * length - 2)]
    return flat.unflatten(-1, (length, 2 * length - 2))[..., :length]


class RelativeMultiHeadAttention(nn.Module):
    """Multi-head self-attention with Enformer's relative positions; (batch, L, channels) in and out."""

    def __init__(self, channels: int, n_heads: int, key_size: int, value_size: int, n_position_features: int,
                 attention_dropout: float, position_dropout: float):
        super().__init__()
        self.n_heads, self.key_size, self.value_size = n_heads, key_size, value_size
        self.n_position_features = n_position_features
        self.query = nn.Linear(channels, n_heads * key_size, bias=False)
        self.key = nn.Linear(channels, n_heads * key_size, bias=False)
        self.value = nn.Linear(channels, n_heads * value_size, bias=False)
        self.position_key = nn.Linear(n_position_features, n_heads * key_size, bias=False)
        self.r_w_bias = nn.Parameter(torch.empty(n_heads, 1, key_size))
        self.r_r_bias = nn.Parameter(torch.empty(n_heads, 1, key_size))
        nn.init.normal_(self.r_w_bias, std=0.02)
        nn.init.normal_(self.r_r_bias, std=0.02)
        self.output = nn.Linear(n_heads * value_size, channels)
        nn.init.zeros_(self.output.weight)  # Enformer zero-initialises the output projection
        nn.init.zeros_(self.output.bias)
        self.attention_dropout = attention_dropout
        self.position_dropout = nn.Dropout(position_dropout)

    def _heads(self, x: torch.Tensor, size: int) -> torch.Tensor:
        return x.unflatten(-1, (self.n_heads, size)).transpose(-3, -2)

    def forward(self, x: torch.Tensor, need_weights: bool = False):
        """Output (batch, L, channels); with need_weights also the (batch, heads, L, L) softmax weights."""
        length = x.shape[1]
        q = self._heads(self.query(x), self.key_size) * self.key_size**-0.5
        k = self._heads(self.key(x), self.key_size)
        v = self._heads(self.value(x), self.value_size)
        basis = relative_position_features(length, self.n_position_features).to(x.device, x.dtype)
        r = self._heads(self.position_key(self.position_dropout(basis)), self.key_size)  # (H, 2L-1, K)
        position_logits = relative_shift((q + self.r_r_bias) @ r.transpose(-1, -2))
        query = q + self.r_w_bias
        dropout = self.attention_dropout if self.training else 0.0
        weights = None
        if need_weights:
            weights = torch.softmax(query @ k.transpose(-1, -2) + position_logits, dim=-1)
            out = F.dropout(weights, dropout, self.training) @ v
        else:
            out = F.scaled_dot_product_attention(query, k, v, attn_mask=position_logits, dropout_p=dropout,
                                                 scale=1.0)
        out = self.output(out.transpose(1, 2).flatten(-2))
        return (out, weights) if need_weights else out


class TransformerBlock(nn.Module):
    """Pre-norm residual attention (+ dropout) then pre-norm residual feed-forward (2x width, ReLU)."""

    def __init__(self, channels: int, n_heads: int, key_size: int, n_position_features: int, dropout: float,
                 attention_dropout: float, position_dropout: float):
        super().__init__()
        self.attention_norm = nn.LayerNorm(channels)
        self.attention = RelativeMultiHeadAttention(channels, n_heads, key_size, channels // n_heads,
                                                    n_position_features, attention_dropout, position_dropout)
        self.attention_dropout = nn.Dropout(dropout)
        self.feed_forward = nn.Sequential(
            nn.LayerNorm(channels), nn.Linear(channels, 2 * channels), nn.Dropout(dropout), nn.ReLU(),
            nn.Linear(2 * channels, channels), nn.Dropout(dropout),
        )

    def forward(self, x: torch.Tensor, need_weights: bool = False):
        """(batch, L, channels) -> same; with need_weights also this block's attention weights."""
        attended = self.attention(self.attention_norm(x), need_weights=need_weights)
        attended, weights = attended if need_weights else (attended, None)
        x = x + self.attention_dropout(attended)
        x = x + self.feed_forward(x)
        return (x, weights) if need_weights else x
