"""An auxiliary insulation head for the Akita family: a training signal per bin, taken from the target maps.

A contact map's diamond insulation (the mean of the window x window square just off the diagonal at each bin)
dips at every boundary. Asking the trunk's bin features to predict it, next to the map, gives each bin a direct
gradient towards "is there a boundary here", which the 2D head only passes on diffusely. The target is computed
from the batch's own target maps, so the model still sees only sequence and learns only from Hi-C. Evaluation and
prediction are unchanged (the head's output is not a prediction of the model). See InsulationAuxiliary.
"""

from __future__ import annotations

import torch
from torch import nn

from regformer.models.hic.blocks import _torch_triu_indices


def upper_triangle_to_maps(values: torch.Tensor, n_bins: int, diagonal_offset: int) -> torch.Tensor:
    """(batch, n_pixels, n_maps) upper triangles -> (batch, n_maps, n_bins, n_bins) symmetric maps, NaN on the
    diagonals closer than diagonal_offset (they are not stored)."""
    rows, cols = (i.to(values.device) for i in _torch_triu_indices(n_bins, diagonal_offset))
    batch, _, n_maps = values.shape
    maps = values.new_full((batch, n_maps, n_bins, n_bins), float("nan"))
    pixels = values.transpose(1, 2)
    maps[:, :, rows, cols] = pixels
    maps[:, :, cols, rows] = pixels
    return maps


def diamond_insulation(maps: torch.Tensor, window: int) -> torch.Tensor:
    """Diamond insulation of (..., n, n) maps -> (..., n): the NaN-mean of rows i-window+1..i, columns
    i..i+window-1 (clipped to the map), as cooltools' dense-matrix diamond; bins whose square runs off the
    map are NaN, as in regformer.chains.hic.metrics.insulation. Two summed-area tables make it O(n^2)."""
    n = maps.shape[-1]
    finite = torch.isfinite(maps)
    sums = nn.functional.pad(torch.where(finite, maps, 0.0).cumsum(-1).cumsum(-2), (1, 0, 1, 0))
    counts = nn.functional.pad(finite.to(maps.dtype).cumsum(-1).cumsum(-2), (1, 0, 1, 0))
    i = torch.arange(n, device=maps.device)
    r0, r1 = (i + 1 - window).clamp(min=0), i + 1
    c0, c1 = i, (i + window).clamp(max=n)

    def box(table: torch.Tensor) -> torch.Tensor:
        return table[..., r1, c1] - table[..., r0, c1] - table[..., r1, c0] + table[..., r0, c0]

    score = box(sums) / box(counts)  # 0 / 0 -> NaN where the square holds no finite pixel
    edge = (i < window - 1) | (i > n - window)
    return score.masked_fill(edge, float("nan"))


class InsulationAuxiliary(nn.Module):
    """A pointwise 1D head from the trunk's bin features to each map's insulation, and its masked MSE loss.

    `crop` bins are dropped on each side (the map's crop), so the head's bins line up with the target map's.
    """

    def __init__(self, in_channels: int, n_maps: int, crop: int, diagonal_offset: int, window: int):
        super().__init__()
        self.crop, self.diagonal_offset, self.window = crop, diagonal_offset, window
        self.head = nn.Conv1d(in_channels, n_maps, 1)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """(batch, channels, bins) -> (batch, n_maps, bins - 2 * crop)."""
        out = self.head(features)
        return out[..., self.crop:out.shape[-1] - self.crop]

    def loss(self, predicted: torch.Tensor, target_pixels: torch.Tensor) -> torch.Tensor:
        """MSE between the predicted and the target maps' insulation over the bins where the latter is finite."""
        n_bins = predicted.shape[-1]
        with torch.no_grad():
            target = diamond_insulation(upper_triangle_to_maps(target_pixels.float(), n_bins, self.diagonal_offset),
                                        self.window)
            valid = torch.isfinite(target)
        if not valid.any():
            return predicted.sum() * 0.0
        return nn.functional.mse_loss(predicted.float()[valid], target[valid])
