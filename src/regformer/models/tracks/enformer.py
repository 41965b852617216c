"""Enformer (Avsec et al. 2021, Nat. Methods): one-hot DNA -> genomic tracks in 128-bp bins.

Layout, at full size: a stem (conv 768 x 15, residual pointwise conv block, attention pooling by 2), a tower
of 6 blocks widening 768 -> 1536 in exponentially spaced widths divisible by 128 (768, 896, 1024, 1152,
1280, 1536; each conv 5 + residual pointwise conv block + attention pooling by 2), 11 pre-norm transformer
blocks with relative positions (regformer.models.tracks.relative_attention), a crop of 320 bins per side
(1536 -> 896), a pointwise conv block to 3072 with dropout 0.05 and GELU, and softplus heads.
Attention pooling is Enformer's softmax pooling: per-channel logits from a bias-free pointwise layer
initialised to 2 x identity, softmax over each window of 2.

Deliberate difference by default: the paper's conv blocks use BatchNorm; here they use layer norm over each
sample's channels and positions (tracks.blocks.ConvLayerNorm; project rule: all LayerNorm, bf16-safe), the
transformer LayerNorm over channels per position. Its affine scale and offset have as many parameters as
BatchNorm's trainable ones, so the count is unchanged. `conv_norm="batch", gelu="sigmoid"` builds the paper's
layers instead (BatchNorm, GELU as x * sigmoid(1.702 x)): the layout of the released weights
(regformer.models.tracks.pretrained maps enformer-pytorch's checkpoint onto it). `checkpoint_transformer` recomputes
each transformer block in the backward pass instead of keeping its activations (bench/enformer_memory.py).

Parameter count (enformer_parameter_count): trainable parameters, with the paper's heads human 5,313 and
mouse 1,643: total 251,221,292 (the usual Enformer figure, matched exactly), trunk 229,845,504;
BatchNorm running statistics would be buffers, not parameters, and there are none here.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.checkpoint import checkpoint

from regformer.models.tracks.blocks import AttentionPool, ConvLayerNorm, Residual
from regformer.models.tracks.relative_attention import N_BASIS_CLASSES, TransformerBlock

PAPER_HEADS = {"human": 5313, "mouse": 1643}


def tower_widths(start: int, end: int, n: int, divisible_by: int) -> list[int]:
    """n widths from start to end, evenly spaced in log scale, rounded to multiples of divisible_by."""
    if n == 1:
        return [end]
    ratio = (end / start) ** (1.0 / (n - 1))
    return [int(round(start * ratio**i / divisible_by)) * divisible_by for i in range(n)]


class SigmoidGELU(nn.Module):
    """The paper's GELU approximation, x * sigmoid(1.702 x) (Enformer's Sonnet code and enformer-pytorch)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(1.702 * x) * x


class ChannelsLastBatchNorm(nn.BatchNorm1d):
    """BatchNorm1d over the channels of a (batch, length, channels) tensor (the paper's final pointwise block)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x.transpose(1, 2)).transpose(1, 2)


def _gelu(kind: str) -> nn.Module:
    return SigmoidGELU() if kind == "sigmoid" else nn.GELU()


def _conv_block(in_channels: int, out_channels: int, kernel_size: int, conv_norm: str, gelu: str) -> nn.Sequential:
    """Pre-activation conv block: norm (layer or batch) -> GELU -> Conv1d (same padding)."""
    norm = nn.BatchNorm1d(in_channels) if conv_norm == "batch" else ConvLayerNorm(in_channels)
    return nn.Sequential(norm, _gelu(gelu), nn.Conv1d(in_channels, out_channels, kernel_size,
                                                      padding=kernel_size // 2))


def _validate(seq_length: int, bin_size: int, crop: int, channels: int, n_conv_tower: int, n_heads: int,
              key_size: int, n_position_features: int, conv_norm: str = "layer", gelu: str = "erf") -> None:
    if n_conv_tower < 1:
        raise ValueError(f"n_conv_tower must be >= 1, got {n_conv_tower}")
    if bin_size != 2 ** (1 + n_conv_tower):
        raise ValueError(f"bin_size {bin_size} must be 2**(1 + n_conv_tower) = {2 ** (1 + n_conv_tower)}: "
                         "the stem and each tower block halve the length")
    if seq_length <= 0 or seq_length % bin_size:
        raise ValueError(f"seq_length {seq_length} must be a positive multiple of bin_size {bin_size}")
    if crop < 0 or seq_length // bin_size - 2 * crop < 1:
        raise ValueError(f"crop {crop} per side leaves no bins of the {seq_length // bin_size}")
    if channels < 2 or channels % 2 or n_heads < 1 or channels % n_heads:
        raise ValueError(f"channels {channels} must be even and divisible by n_heads {n_heads}")
    if key_size < 1:
        raise ValueError(f"key_size must be >= 1, got {key_size}")
    if conv_norm not in ("layer", "batch") or gelu not in ("erf", "sigmoid"):
        raise ValueError(f"conv_norm {conv_norm!r} must be layer or batch, gelu {gelu!r} erf or sigmoid")
    if n_position_features < 1 or n_position_features % (2 * N_BASIS_CLASSES):
        raise ValueError(f"relative position features ({n_position_features}; default channels // n_heads) "
                         "must be a positive multiple of 6 (3 basis classes x symmetric/antisymmetric)")


class Enformer(nn.Module):
    """(batch, 4, seq_length) one-hot DNA -> (batch, seq_length // bin_size - 2 crop, n_tracks), softplus.

    With `output_heads` (name -> tracks) the prediction is a dict of head name -> tensor instead.
    """

    def __init__(self, seq_length: int = 196_608, bin_size: int = 128, crop: int = 320, n_tracks: int = 5313,
                 channels: int = 1536, n_conv_tower: int = 6, n_transformer: int = 11, n_heads: int = 8,
                 key_size: int = 64, dropout: float = 0.4, attention_dropout: float = 0.05,
                 position_dropout: float = 0.01, output_heads: dict[str, int] | None = None,
                 n_position_features: int | None = None, conv_norm: str = "layer", gelu: str = "erf",
                 checkpoint_transformer: bool = False):
        super().__init__()
        n_position_features = n_position_features or channels // n_heads
        _validate(seq_length, bin_size, crop, channels, n_conv_tower, n_heads, key_size, n_position_features,
                  conv_norm, gelu)
        self.crop, self.multi_head = crop, output_heads is not None
        self.checkpoint_transformer = checkpoint_transformer
        half = channels // 2

        def block(c_in: int, c_out: int, kernel: int) -> nn.Sequential:
            return _conv_block(c_in, c_out, kernel, conv_norm, gelu)

        self.stem = nn.Sequential(nn.Conv1d(4, half, 15, padding="same"), Residual(block(half, half, 1)),
                                  AttentionPool(half))
        tower, previous = [], half
        for width in tower_widths(half, channels, n_conv_tower, math.gcd(half, 128)):
            tower.append(nn.Sequential(block(previous, width, 5), Residual(block(width, width, 1)),
                                       AttentionPool(width)))
            previous = width
        self.tower = nn.Sequential(*tower)
        self.transformer = nn.ModuleList(
            TransformerBlock(channels, n_heads, key_size, n_position_features, dropout, attention_dropout,
                             position_dropout) for _ in range(n_transformer))
        final_norm = ChannelsLastBatchNorm(channels) if conv_norm == "batch" else nn.LayerNorm(channels)
        self.final = nn.Sequential(final_norm, _gelu(gelu), nn.Linear(channels, 2 * channels),
                                   nn.Dropout(dropout / 8), _gelu(gelu))
        self.heads = nn.ModuleDict({name: nn.Linear(2 * channels, n)
                                    for name, n in (output_heads or {"tracks": n_tracks}).items()})

    def trunk(self, x: torch.Tensor, need_weights: bool = False):
        """(batch, 4, L) -> ((batch, bins, 2 channels) cropped embedding, per-layer attention or None)."""
        x = self.tower(self.stem(x)).transpose(1, 2)
        attention = [] if need_weights else None
        for block in self.transformer:
            if need_weights:
                x, weights = block(x, need_weights=True)
                attention.append(weights)
            elif self.checkpoint_transformer and torch.is_grad_enabled():
                x = checkpoint(block, x, use_reentrant=False)  # recomputed in backward: activations not kept
            else:
                x = block(x)
        if self.crop:
            x = x[:, self.crop: x.shape[1] - self.crop]
        return self.final(x), attention

    def forward(self, x: torch.Tensor, return_attention: bool = False):
        """Prediction (tensor, or dict per head); with return_attention a dict {"prediction", "attention"}."""
        embedding, attention = self.trunk(x, need_weights=return_attention)
        out = {name: F.softplus(head(embedding)) for name, head in self.heads.items()}
        prediction = out if self.multi_head else out["tracks"]
        return {"prediction": prediction, "attention": attention} if return_attention else prediction


def enformer_parameter_count(**kwargs) -> dict:
    """{"total", "trunk"} trainable parameters, built on the meta device (nothing allocated).

    Heads default to the paper's (human 5,313, mouse 1,643); other kwargs go to Enformer.
    """
    kwargs.setdefault("output_heads", dict(PAPER_HEADS))
    with torch.device("meta"):
        model = Enformer(**kwargs)
    total = sum(p.numel() for p in model.parameters() if p.requires_grad)
    heads = sum(p.numel() for p in model.heads.parameters() if p.requires_grad)
    return {"total": total, "trunk": total - heads}
