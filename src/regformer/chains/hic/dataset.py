"""Training windows of the Hi-C chain: the shared genome windows (regformer.data.windows) whose targets are
Akita contact-map upper triangles; a reverse-complemented window's maps are flipped on both axes."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from regformer.data.contact_maps import flip_permutation
from regformer.data.windows import GenomeWindows, WindowDataModule, train_targets


class HicWindows(GenomeWindows):
    """The windows of one split; items are {"codes": (seq_length,) uint8, "y": (n_pixels, n_maps) float32}."""

    def __init__(self, store_path: str | Path, split: str, **kwargs):
        super().__init__(store_path, split, **kwargs)
        self.flip = flip_permutation(self.summary["n_bins"], self.summary["diagonal_offset"])

    def reverse_target(self, target: np.ndarray) -> np.ndarray:
        return target[self.flip]


class HicDataModule(WindowDataModule):
    """Train (augmented) / val / test loaders over a Hi-C targets store."""

    dataset_class = HicWindows


__all__ = ["HicDataModule", "HicWindows", "train_targets"]
