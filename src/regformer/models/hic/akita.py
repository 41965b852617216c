"""Akita (Fudenberg, Kelley & Pollard 2020): DNA sequence -> Hi-C / Micro-C contact maps.

Trunk (Basenji style): a conv tower pooling base pairs into bins, dilated residual 1D blocks and a
bottleneck conv block. Head: pairwise averaging into a 2D map plus a distance channel, 2D dilated
residual blocks kept symmetric, then the cropped upper triangle through a dense layer per map.
"""

from __future__ import annotations

import torch
from torch import nn

from regformer.data.contact_maps import upper_triangle_size, window_bins
from regformer.models.hic.blocks import (ContactMapHead, ConvBlock1d, ConvTower, DilatedResidual1d,
                                         dilated_residual_stack)
from regformer.models.hic.insulation import InsulationAuxiliary
from regformer.models.outputs import mse_loss


class ContactMapModel(nn.Module):
    """What Akita and its variants share: tower -> middle (per model) -> bottleneck -> contact-map head.

    Subclasses build `self.tower` with `_build_tower`, then their middle part, then call `_build_head`.
    """

    loss_name = "mse"  # training_loss: over pixels and maps (+ the insulation term when its weight > 0)

    def _build_tower(self, seq_length: int, bin_size: int, stem_filters: int, stem_kernel: int,
                     tower_filters: int, tower_kernel: int) -> int:
        """The conv tower from base pairs to bins; returns its output width (the middle part's width)."""
        self.seq_length, self.bin_size = seq_length, bin_size
        self.tower = ConvTower(bin_size, stem_filters, stem_kernel, tower_filters, tower_kernel)
        return self.tower.out_channels

    def _build_head(self, n_maps: int, bottleneck_filters: int, bottleneck_kernel: int, head_filters: int,
                    head_dilated_filters: int, n_head_dilated: int, head_rate_mult: float, head_dropout: float,
                    crop: int, diagonal_offset: int, insulation_weight: float = 0.0,
                    insulation_window: int = 10) -> None:
        """Bottleneck conv block and Akita's 2D head (the same in every variant), and the auxiliary insulation head
        when insulation_weight > 0 (regformer.models.hic.insulation; 0, the papers' setting, adds no parameter)."""
        self.crop, self.diagonal_offset = crop, diagonal_offset
        self.bottleneck = ConvBlock1d(self.tower.out_channels, bottleneck_filters, bottleneck_kernel)
        self.head = ContactMapHead(bottleneck_filters, n_maps, head_filters, 3, head_dilated_filters,
                                   n_head_dilated, head_rate_mult, head_dropout, crop, diagonal_offset)
        self.insulation_weight = insulation_weight
        self.insulation = (InsulationAuxiliary(bottleneck_filters, n_maps, crop, diagonal_offset, insulation_window)
                           if insulation_weight > 0 else None)

    def middle(self, bins: torch.Tensor) -> torch.Tensor:
        """The model-specific part between the conv tower and the bottleneck."""
        raise NotImplementedError

    @property
    def n_pixels(self) -> int:
        """Pixels per predicted map for inputs of seq_length."""
        return upper_triangle_size(window_bins(self.seq_length, self.bin_size) - 2 * self.crop, self.diagonal_offset)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """One-hot DNA -> bin features (batch, bottleneck_filters, bins)."""
        return self.bottleneck(self.middle(self.tower(x)))

    def contact_maps(self, x: torch.Tensor) -> torch.Tensor:
        """Full symmetric predicted maps (batch, n_maps, L, L) before upper-triangle extraction."""
        return self.head.contact_maps(self.encode(x))

    def with_auxiliary(self, prediction: torch.Tensor | dict, features: torch.Tensor) -> torch.Tensor | dict:
        """In training with the insulation head, {"prediction", "insulation"} (plus a dict prediction's entries);
        otherwise the prediction unchanged, so evaluation and prediction never see the auxiliary output."""
        if not (self.training and self.insulation is not None):
            return prediction
        out = dict(prediction) if isinstance(prediction, dict) else {"prediction": prediction}
        out["insulation"] = self.insulation(features)
        return out

    def auxiliary_loss(self, output: torch.Tensor | dict, batch: dict) -> torch.Tensor | float:
        """insulation_weight x the insulation head's loss when the output carries it (training), else 0."""
        if isinstance(output, dict) and "insulation" in output:
            return self.insulation_weight * self.insulation.loss(output["insulation"], batch["y"])
        return 0.0

    def training_loss(self, output: torch.Tensor | dict, batch: dict) -> torch.Tensor:
        """MSE over all pixels and maps (Akita's loss), plus the auxiliary insulation term in training."""
        return mse_loss(output, batch) + self.auxiliary_loss(output, batch)

    def forward(self, x: torch.Tensor) -> torch.Tensor | dict:
        features = self.encode(x)
        return self.with_auxiliary(self.head(features), features)


class Akita(ContactMapModel):
    """Input (batch, 4, seq_length) one-hot DNA, output (batch, n_pixels, n_maps).

    n_pixels is the size of the upper triangle (from diagonal_offset) of the map cropped by `crop` bins
    per side: 99,681 for the paper's 2^20 bp, 2,048-bp bins and crop 32.
    """

    def __init__(self, seq_length: int = 2**20, bin_size: int = 2048, n_maps: int = 5, stem_filters: int = 96,
                 stem_kernel: int = 11, tower_filters: int = 96, tower_kernel: int = 5, dilated_filters: int = 48,
                 n_dilated: int = 8, dilated_rate_mult: float = 1.75, dilated_dropout: float = 0.4,
                 bottleneck_filters: int = 64, bottleneck_kernel: int = 5, head_filters: int = 48,
                 head_dilated_filters: int = 24, n_head_dilated: int = 6, head_rate_mult: float = 1.75,
                 head_dropout: float = 0.1, crop: int = 32, diagonal_offset: int = 2, insulation_weight: float = 0.0,
                 insulation_window: int = 10):
        super().__init__()
        width = self._build_tower(seq_length, bin_size, stem_filters, stem_kernel, tower_filters, tower_kernel)
        self.dilated = dilated_residual_stack(DilatedResidual1d, n_dilated, width, dilated_filters,
                                              dilated_rate_mult, dilated_dropout)
        self._build_head(n_maps, bottleneck_filters, bottleneck_kernel, head_filters, head_dilated_filters,
                         n_head_dilated, head_rate_mult, head_dropout, crop, diagonal_offset, insulation_weight,
                         insulation_window)

    def middle(self, bins: torch.Tensor) -> torch.Tensor:
        return self.dilated(bins)
