"""The tracks chain's classical baseline: ridge regression (scikit-learn) per track on the k-mer counts of
each output bin and its flanking bins, fitted on log1p targets, so every report shows what deep models add."""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from sklearn.linear_model import Ridge

from regformer.data.encoding import N_CODE
from regformer.models.kmer_ridge import kmer_counts, n_kmer_features, ridge_arrays, ridge_from_arrays, select_ridge


class TrackKmerRidge:
    """Input (n, seq_length) uint8 codes; output (n, seq_length // bin_size - 2 * crop, n_tracks) >= 0."""

    def __init__(self, seq_length: int = 8192, bin_size: int = 128, crop: int = 0, n_tracks: int = 1,
                 k_max: int = 4, flank_bins: int = 1, alphas: tuple[float, ...] = (1.0, 10.0, 100.0, 1000.0)):
        if seq_length % bin_size or seq_length // bin_size - 2 * crop < 1:
            raise ValueError(f"seq_length {seq_length}, bin_size {bin_size} and crop {crop} leave no output bin")
        self.seq_length, self.bin_size, self.crop, self.n_tracks = seq_length, bin_size, crop, n_tracks
        self.k_max, self.flank_bins, self.alphas = k_max, flank_bins, tuple(alphas)
        self.n_bins = seq_length // bin_size - 2 * crop
        self.model: Ridge | None = None
        self.alpha: float | None = None

    @property
    def n_parameters(self) -> int:
        return (n_kmer_features(self.k_max) + 1) * self.n_tracks

    def features(self, codes: np.ndarray):
        """Sparse k-mer counts, one row per (sequence, output bin): the bin plus flank_bins bins each side
        (N-padded beyond the sequence)."""
        pad = self.flank_bins * self.bin_size
        padded = np.pad(np.asarray(codes, np.uint8), ((0, 0), (pad, pad)), constant_values=N_CODE)
        context = (2 * self.flank_bins + 1) * self.bin_size
        windows = sliding_window_view(padded, context, axis=1)[:, ::self.bin_size]  # start of bin i - flank
        windows = windows[:, self.crop:self.crop + self.n_bins]
        return kmer_counts(np.ascontiguousarray(windows).reshape(-1, context), self.k_max)

    def _targets(self, y: np.ndarray) -> np.ndarray:
        return np.log1p(np.maximum(np.asarray(y, np.float64), 0)).reshape(-1, self.n_tracks)

    def fit(self, codes: np.ndarray, y: np.ndarray, val_codes: np.ndarray, val_y: np.ndarray) -> "TrackKmerRidge":
        """Fit one ridge per alpha on the training windows; keep the one with the lowest validation MSE (log1p)."""
        self.alpha, self.model = select_ridge(self.features(codes), self._targets(y), self.features(val_codes),
                                              self._targets(val_y), self.alphas, name="tracks kmer_ridge (log1p)")
        return self

    def state_arrays(self) -> dict:
        """The fitted penalty, coefficients and intercepts (saved in model.pt as tensors, never pickled)."""
        return ridge_arrays(self.alpha, self.model)

    def load_state_arrays(self, state: dict) -> "TrackKmerRidge":
        self.alpha, self.model = ridge_from_arrays(state)
        return self

    def predict(self, codes: np.ndarray) -> np.ndarray:
        if self.model is None:
            raise RuntimeError("TrackKmerRidge.predict before fit")
        log_rate = self.model.predict(self.features(codes)).reshape(len(codes), self.n_bins, self.n_tracks)
        return np.expm1(np.maximum(log_rate, 0)).astype(np.float32)
