"""The Genomic Interpreter paper's CNN baselines (its Fig. 5c, 5d): one-hot DNA -> binned assay tracks.

* MaxPoolCNN: conv stem and a tower of residual conv blocks, each halving the length by max pooling.
* AttPoolCNN: the same tower with attention pooling (softmax over each pair of positions of learned
  per-channel logits, Enformer style) instead of max pooling.
* AttPoolDilatedCNN: the attention-pool tower, then Basenji-style dilated residual conv blocks.
Every model then crops `crop` bins per side, applies a pointwise conv block and a linear softplus head:
output (batch, seq_length // bin_size - 2 * crop, n_tracks), trained with a Poisson loss.

The paper gives no widths. Full sizes follow Basenji2 (Kelley 2020): stem 288 channels (kernel 15),
a six-block tower growing geometrically from 339 to 768 channels (kernel 5), 11 dilated residual blocks
of 384 bottleneck channels with dilation rates round(1.5^i) and dropout 0.3, a 1536-channel final block.
Stem plus tower pool log2(bin_size) = 7 times (128-bp bins). Conv blocks are pre-activation
(norm -> GELU -> conv) with "residual links" (Fig. 5) around the pointwise convs. Normalisation is
layer norm (over each sample's channels and positions), not BatchNorm: the paper's Appendix D uses layer norm
"within all the models".
Full sizes with 5,313 tracks: MaxPoolCNN 18,998,910, AttPoolCNN 20,898,720, AttPoolDilatedCNN 33,912,864.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from regformer.models.tracks.blocks import AttentionPool, Residual, conv_block

CNN_FULL = dict(stem_width=288, stem_kernel=15, tower_widths=(339, 399, 470, 554, 652, 768), tower_kernel=5,
                final_width=1536, dropout=0.05)
CNN_DEMO = dict(stem_width=16, stem_kernel=15, tower_widths=(16, 24, 24, 32, 32, 48), tower_kernel=5,
                final_width=64, dropout=0.0)
DILATED_FULL = dict(CNN_FULL, dilated_width=384, n_dilated=11, rate_mult=1.5, dilated_dropout=0.3)
DILATED_DEMO = dict(CNN_DEMO, dilated_width=24, n_dilated=4, rate_mult=1.5, dilated_dropout=0.0)


def make_pool(kind: str, channels: int) -> nn.Module:
    return nn.MaxPool1d(2) if kind == "max" else AttentionPool(channels)


class DilatedResidual(Residual):
    """Basenji dilated residual block: conv(k3, dilation) to the bottleneck, conv(k1) back, dropout, add."""

    def __init__(self, channels: int, bottleneck: int, dilation: int, dropout: float):
        super().__init__(nn.Sequential(conv_block(channels, bottleneck, 3, dilation),
                                       conv_block(bottleneck, channels, 1), nn.Dropout(dropout)))


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


def _validate(name, seq_length, bin_size, crop, n_tracks, stem_kernel, tower_widths, tower_kernel) -> None:
    _require(min(seq_length, bin_size, n_tracks) >= 1 and crop >= 0,
             f"{name}: seq_length, bin_size, n_tracks must be >= 1 and crop >= 0")
    _require(seq_length % bin_size == 0, f"{name}: seq_length={seq_length} is not a multiple of bin_size={bin_size}")
    _require(bin_size >= 2 and bin_size & (bin_size - 1) == 0, f"{name}: bin_size={bin_size} must be a power of two")
    n_pools = bin_size.bit_length() - 1
    _require(len(tower_widths) + 1 == n_pools,
             f"{name}: the stem and tower pool {len(tower_widths) + 1} times (2^{len(tower_widths) + 1} bp) but "
             f"bin_size={bin_size} needs {n_pools}: give {n_pools - 1} tower_widths")
    _require(stem_kernel % 2 == 1 and tower_kernel % 2 == 1, f"{name}: kernels must be odd (same padding)")
    bins = seq_length // bin_size
    _require(bins - 2 * crop >= 1, f"{name}: crop={crop} per side leaves no bins of {bins}")


class TrackCNN(nn.Module):
    """Conv stem + pooled tower -> middle (identity here, dilated blocks in a subclass) -> crop -> head."""

    pool_kind = "max"

    def __init__(self, seq_length: int = 17_920, bin_size: int = 128, crop: int = 30, n_tracks: int = 5313, *,
                 stem_width: int = 288, stem_kernel: int = 15, tower_widths: Sequence[int] = CNN_FULL["tower_widths"],
                 tower_kernel: int = 5, final_width: int = 1536, dropout: float = 0.05):
        super().__init__()
        tower_widths = tuple(tower_widths)
        _validate(type(self).__name__, seq_length, bin_size, crop, n_tracks, stem_kernel, tower_widths,
                  tower_kernel)
        self.seq_length, self.bin_size, self.crop = seq_length, bin_size, crop
        self.tower = self._tower(stem_width, stem_kernel, tower_widths, tower_kernel)
        self.width = tower_widths[-1] if tower_widths else stem_width
        self.middle = nn.Identity()
        self.final = nn.Sequential(conv_block(self.width, final_width, 1), nn.Dropout(dropout), nn.GELU())
        self.head = nn.Linear(final_width, n_tracks)

    def _tower(self, stem_width, stem_kernel, tower_widths, tower_kernel) -> nn.Sequential:
        """Stem conv and each tower block: conv, residual pointwise conv block, pool by 2."""
        stages = [nn.Sequential(nn.Conv1d(4, stem_width, stem_kernel, padding=stem_kernel // 2),
                                Residual(conv_block(stem_width, stem_width, 1)),
                                make_pool(self.pool_kind, stem_width))]
        width = stem_width
        for out in tower_widths:
            stages.append(nn.Sequential(conv_block(width, out, tower_kernel), Residual(conv_block(out, out, 1)),
                                        make_pool(self.pool_kind, out)))
            width = out
        return nn.Sequential(*stages)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[1:] != (4, self.seq_length):
            raise ValueError(f"{type(self).__name__}: expected input (batch, 4, {self.seq_length}), "
                             f"got {tuple(x.shape)}")
        h = self.middle(self.tower(x))
        if self.crop:
            h = h[:, :, self.crop:-self.crop]
        return F.softplus(self.head(self.final(h).transpose(1, 2)))


class MaxPoolCNN(TrackCNN):
    """Conv blocks with max pooling (the paper's Fig. 5c); input (batch, 4, L), output (batch, bins, tracks)."""

    pool_kind = "max"


class AttPoolCNN(TrackCNN):
    """Conv blocks with attention pooling (Fig. 5d); input (batch, 4, L), output (batch, bins, tracks)."""

    pool_kind = "attention"


class AttPoolDilatedCNN(TrackCNN):
    """Attention-pool tower then dilated residual conv blocks (Fig. 5d, Basenji style).

    Takes TrackCNN's keyword arguments (stem_width, ..., dropout) plus the dilated stack's four.
    """

    pool_kind = "attention"

    def __init__(self, seq_length: int = 17_920, bin_size: int = 128, crop: int = 30, n_tracks: int = 5313, *,
                 dilated_width: int = 384, n_dilated: int = 11, rate_mult: float = 1.5,
                 dilated_dropout: float = 0.3, **kwargs):
        super().__init__(seq_length, bin_size, crop, n_tracks, **kwargs)
        _require(dilated_width >= 1 and n_dilated >= 0 and rate_mult >= 1.0,
                 "AttPoolDilatedCNN: dilated_width >= 1, n_dilated >= 0 and rate_mult >= 1 required")
        self.middle = nn.Sequential(*(DilatedResidual(self.width, dilated_width, rate, dilated_dropout)
                                      for rate in dilation_rates(n_dilated, rate_mult)))


def dilation_rates(n: int, rate_mult: float) -> list[int]:
    """Basenji's dilation schedule: round(rate_mult ** i) for i = 0..n-1 (1, 2, 2, 3, 5, 8, ... for 1.5)."""
    return [int(round(rate_mult**i)) for i in range(n)]
