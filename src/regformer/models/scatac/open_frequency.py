"""The masked-tile baseline: score a tile by how often it is open across training cells (no model of the cell)."""

from __future__ import annotations

import numpy as np


class OpenFrequency:
    """predict(codes) -> (n, B, 3) log-probabilities whose state-2 probability is the tile's open frequency.

    Every cell gets the same scores: what a model must beat to show it reads the cell's own sentence.
    """

    def __init__(self, pseudocount: float = 1.0):
        self.pseudocount = pseudocount
        self.frequency: np.ndarray | None = None
        self.n_parameters = 0

    def fit(self, open_counts: np.ndarray, n_cells: int) -> None:
        """open_counts (B,): training cells in which each tile is open."""
        self.frequency = (open_counts + self.pseudocount) / (n_cells + 2 * self.pseudocount)
        self.n_parameters = len(self.frequency)

    def predict(self, codes: np.ndarray) -> np.ndarray:
        f = self.frequency.astype(np.float32)
        probs = np.stack([1 - f, np.full_like(f, 1e-6), f], axis=-1)
        return np.broadcast_to(np.log(probs), (len(codes), *probs.shape)).copy()
