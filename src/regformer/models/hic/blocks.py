"""Blocks shared by the three Akita variants (Akita, its transformer and its VAE).

Layouts follow PyTorch: 1D features are (batch, channels, bins) and 2D maps (batch, channels, bins, bins).
Conv blocks follow Basenji/Akita: activation -> conv (no bias) -> BatchNorm -> dropout -> max-pool.
Akita's params.json uses ReLU, so we do too (Basenji2 later switched to GELU).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from regformer.data.contact_maps import triu_indices

# Akita's Keras BatchNorm momentum 0.9265 keeps 92.65% of the old running statistic; PyTorch counts the new share.
BN_MOMENTUM = 1.0 - 0.9265


def pool_sizes(bin_size: int) -> list[int]:
    """Max-pool sizes whose product is `bin_size`: Akita's halvings for a power of two (11 for 2,048 bp); other
    sizes factor into 2s, then 3s, 5s and 7s (10,000 bp: 2, 2, 2, 2, 5, 5, 5, 5), so a cooler at a round
    resolution (e.g. 10 kb) can be read at its own bins."""
    if bin_size < 2:
        raise ValueError(f"bin_size must be >= 2, got {bin_size}")
    sizes, rest = [], bin_size
    for p in (2, 3, 5, 7):
        while rest % p == 0:
            sizes.append(p)
            rest //= p
    if rest != 1:
        raise ValueError(f"bin_size {bin_size} has a prime factor above 7 ({rest}); use a bin size such as "
                         "2,048 or 10,000")
    return sizes


def dilation_rates(repeat: int, rate_mult: float) -> list[int]:
    """Akita's schedule: the rate starts at 1, is multiplied by rate_mult per block and rounded when used."""
    return [int(round(rate_mult**i)) for i in range(repeat)]


class ConvBlock1d(nn.Sequential):
    """ReLU -> Conv1d (same padding, no bias) -> BatchNorm [-> dropout] [-> max-pool]."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 1, dilation: int = 1,
                 pool: int = 1, dropout: float = 0.0):
        layers: list[nn.Module] = [
            nn.ReLU(),
            nn.Conv1d(in_channels, out_channels, kernel_size, padding="same", dilation=dilation, bias=False),
            nn.BatchNorm1d(out_channels, momentum=BN_MOMENTUM),
        ]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        if pool > 1:
            layers.append(nn.MaxPool1d(pool, ceil_mode=True))  # ceil_mode mimics Keras "same" pooling
        super().__init__(*layers)


class ConvBlock2d(nn.Sequential):
    """ReLU -> Conv2d (same padding, no bias) -> BatchNorm [-> dropout]."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 1, dilation: int = 1,
                 dropout: float = 0.0):
        layers: list[nn.Module] = [
            nn.ReLU(),
            nn.Conv2d(in_channels, out_channels, kernel_size, padding="same", dilation=dilation, bias=False),
            nn.BatchNorm2d(out_channels, momentum=BN_MOMENTUM),
        ]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        super().__init__(*layers)


def _zero_last_norm(block: nn.Sequential) -> None:
    """Start the residual branch at zero (Akita's bn_gamma='zeros'), so every block begins as the identity."""
    norms = [m for m in block if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    nn.init.zeros_(norms[-1].weight)


class DilatedResidual1d(nn.Module):
    """x + [dilated conv block (k3) to `filters` -> pointwise conv block back to the input width, dropout]."""

    conv_block: type = ConvBlock1d

    def __init__(self, channels: int, filters: int, dilation: int, kernel_size: int = 3, dropout: float = 0.0):
        super().__init__()
        self.dilate = self.conv_block(channels, filters, kernel_size, dilation=dilation)
        self.restore = self.conv_block(filters, channels, 1, dropout=dropout)
        _zero_last_norm(self.restore)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.restore(self.dilate(x))


class DilatedResidual2d(DilatedResidual1d):
    """The 2D twin of DilatedResidual1d, symmetrized after the addition (contact maps are symmetric)."""

    conv_block = ConvBlock2d

    def __init__(self, channels: int, filters: int, dilation: int, kernel_size: int = 3, dropout: float = 0.0):
        super().__init__(channels, filters, dilation, kernel_size, dropout)
        self.symmetrize = Symmetrize2d()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.symmetrize(super().forward(x))


def dilated_residual_stack(block: type, repeat: int, channels: int, filters: int, rate_mult: float,
                           dropout: float, kernel_size: int = 3) -> nn.Sequential:
    """`repeat` residual blocks whose dilation grows geometrically by rate_mult."""
    return nn.Sequential(*[block(channels, filters, rate, kernel_size, dropout)
                           for rate in dilation_rates(repeat, rate_mult)])


class ConvTower(nn.Sequential):
    """Sequence (batch, 4, seq) -> bins (batch, filters, seq / bin_size).

    One wide conv block and log2(bin_size) - 1 narrower ones, each halving the length by max-pooling,
    so the number of tower blocks follows from the bin size (10 for Akita's 2,048-bp bins); a bin size that is
    not a power of two pools by its factors (pool_sizes).
    """

    def __init__(self, bin_size: int, stem_filters: int = 96, stem_kernel: int = 11, tower_filters: int = 96,
                 tower_kernel: int = 5):
        pools = pool_sizes(bin_size)
        n_tower = len(pools) - 1
        blocks = [ConvBlock1d(4, stem_filters, stem_kernel, pool=pools[0])]
        blocks += [ConvBlock1d(stem_filters if i == 0 else tower_filters, tower_filters, tower_kernel, pool=p)
                   for i, p in enumerate(pools[1:])]
        super().__init__(*blocks)
        self.out_channels = tower_filters if n_tower else stem_filters
        self.n_tower = n_tower


class OneToTwo(nn.Module):
    """(batch, C, L) -> (batch, C, L, L) with pixel (i, j) the mean of the features of bins i and j."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x.unsqueeze(-1) + x.unsqueeze(-2)) / 2


class ConcatDistance2d(nn.Module):
    """Append one channel holding |i - j|, the genomic distance in bins (unscaled, as in Akita)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        positions = torch.arange(x.shape[-1], device=x.device, dtype=x.dtype)
        distance = (positions.unsqueeze(0) - positions.unsqueeze(1)).abs()
        return torch.cat([x, distance.expand(x.shape[0], 1, -1, -1)], dim=1)


class Symmetrize2d(nn.Module):
    """(x + x^T) / 2 over the two bin axes."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x + x.transpose(-1, -2)) / 2


class Crop2d(nn.Module):
    """Drop `crop` bins on every side of the map (edge bins see only half of their context)."""

    def __init__(self, crop: int):
        super().__init__()
        self.crop = crop

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.crop == 0:
            return x
        return x[..., self.crop:-self.crop, self.crop:-self.crop]



def _torch_triu_indices(n_bins: int, diagonal_offset: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The stored pixels' indices (regformer.data.contact_maps) as CPU tensors, made per call.

    Only the NumPy indices are cached: a cached tensor first made under torch.inference_mode (an
    evaluation) would be an inference tensor and break a later training step's backward.
    """
    rows, cols = triu_indices(n_bins, diagonal_offset)
    return torch.tensor(rows), torch.tensor(cols)


class UpperTriangle(nn.Module):
    """(batch, C, L, L) -> (batch, n_pixels, C): pixels with j - i >= diagonal_offset, row by row."""

    def __init__(self, diagonal_offset: int = 2):
        super().__init__()
        self.diagonal_offset = diagonal_offset

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rows, cols = _torch_triu_indices(x.shape[-1], self.diagonal_offset)
        return x[..., rows.to(x.device), cols.to(x.device)].transpose(1, 2)


class ContactMapHead(nn.Module):
    """Akita's head, the decoder of all three variants: 1D bin features -> upper triangle of n_maps maps.

    one-to-two (mean), |i-j| channel, 2D conv block, symmetrize, dilated residual 2D blocks (each
    symmetrized), crop, upper triangle, and a dense layer giving one value per map for every pixel.
    Output (batch, n_pixels, n_maps).
    """

    def __init__(self, in_channels: int = 64, n_maps: int = 5, filters: int = 48, kernel_size: int = 3,
                 dilated_filters: int = 24, n_dilated: int = 6, rate_mult: float = 1.75, dropout: float = 0.1,
                 crop: int = 32, diagonal_offset: int = 2):
        super().__init__()
        self.to_2d = nn.Sequential(OneToTwo(), ConcatDistance2d())
        self.conv = ConvBlock2d(in_channels + 1, filters, kernel_size)
        self.symmetrize = Symmetrize2d()
        self.dilated = dilated_residual_stack(DilatedResidual2d, n_dilated, filters, dilated_filters, rate_mult,
                                              dropout, kernel_size)
        self.crop = Crop2d(crop)
        self.upper_triangle = UpperTriangle(diagonal_offset)
        self.final = nn.Linear(filters, n_maps)

    def feature_map(self, x: torch.Tensor) -> torch.Tensor:
        """(batch, C, L) -> the cropped, symmetric 2D feature map (batch, filters, L', L')."""
        return self.crop(self.dilated(self.symmetrize(self.conv(self.to_2d(x)))))

    def contact_maps(self, x: torch.Tensor) -> torch.Tensor:
        """Full predicted maps (batch, n_maps, L', L'): the dense layer applied to every pixel (for plots, tests)."""
        return self.final(self.feature_map(x).movedim(1, -1)).movedim(-1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.final(self.upper_triangle(self.feature_map(x)))


def count_parameters_keras_style(model: nn.Module) -> int:
    """Trainable parameters plus BatchNorm running mean and variance, as Keras' model.summary() counts them
    (Akita's published 751,653 is such a count)."""
    running = sum(m.running_mean.numel() + m.running_var.numel() for m in model.modules()
                  if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.track_running_stats)
    return sum(p.numel() for p in model.parameters() if p.requires_grad) + running
