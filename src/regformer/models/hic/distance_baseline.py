"""distance_baseline: each map's mean target at each diagonal offset, learned from the training windows.

It sees no sequence, so every window gets the same map: the report puts it next to the sequence
models so that users see how much of the score is just the distance decay and what sequence adds.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import torch
from torch import nn

from regformer.data.contact_maps import triu_indices, window_bins


class DistanceBaseline(nn.Module):
    """Input (batch, 4, seq_length) (only the batch size is used); output (batch, n_pixels, n_maps)."""

    def __init__(self, seq_length: int = 2**20, bin_size: int = 2048, n_maps: int = 5, crop: int = 32,
                 diagonal_offset: int = 2):
        super().__init__()
        self.seq_length, self.bin_size, self.crop, self.diagonal_offset = seq_length, bin_size, crop, diagonal_offset
        size = window_bins(seq_length, bin_size) - 2 * crop
        rows, cols = triu_indices(size, diagonal_offset)
        self.register_buffer("pixel_offset", torch.from_numpy(cols - rows - diagonal_offset), persistent=False)
        self.register_buffer("table", torch.zeros(size - diagonal_offset, n_maps))

    @property
    def n_parameters(self) -> int:
        """Fitted values: one per diagonal offset and map (none is trained by gradient descent)."""
        return self.table.numel()

    def fit(self, targets: Iterable[np.ndarray]) -> None:
        """Average (n_pixels, n_maps) target blocks per diagonal offset; NaN pixels are left out."""
        offsets = self.pixel_offset.numpy()
        sums = np.zeros(tuple(self.table.shape))
        counts = np.zeros(tuple(self.table.shape))
        for block in targets:
            block = np.asarray(block, dtype=np.float64)
            valid = np.isfinite(block)
            for m in range(block.shape[1]):
                sums[:, m] += np.bincount(offsets[valid[:, m]], block[valid[:, m], m], minlength=len(sums))
                counts[:, m] += np.bincount(offsets[valid[:, m]], minlength=len(sums))
        if not counts.any():
            raise ValueError("no finite training targets to fit the distance baseline on")
        with np.errstate(invalid="ignore"):
            self.table.copy_(torch.from_numpy(np.where(counts > 0, sums / np.maximum(counts, 1), 0.0)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.table[self.pixel_offset].unsqueeze(0).expand(x.shape[0], -1, -1)
