"""Training windows of the tracks chain: the shared genome windows (regformer.data.windows) whose targets are
binned tracks (n_bins, n_tracks); a reverse-complemented window's bins are reversed."""

from __future__ import annotations

from regformer.data.windows import GenomeWindows, WindowDataModule, train_targets


class TrackWindows(GenomeWindows):
    """The windows of one split; items are {"codes": (seq_length,) uint8, "y": (n_bins, n_tracks) float32}."""


class TrackDataModule(WindowDataModule):
    """Train (shifted, reverse-complemented) / val / test loaders over a tracks targets store."""

    dataset_class = TrackWindows


__all__ = ["TrackDataModule", "TrackWindows", "train_targets"]
