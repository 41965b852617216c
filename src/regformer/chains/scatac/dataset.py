"""Masked cell sentences for training and evaluation: remove a share of each cell's open tiles, target 3 states.

A batch is {"x": (n, L) token ids padded with <pad>, "codes": the same (what a closed-form baseline reads),
"y": (n, B) states (0 closed, 1 open and kept, 2 open and removed, -100 unknown: dropped from an overlong
sentence), "rows": store rows}. Training draws a fresh removal every epoch from torch's seeded generator;
validation and test remove the same tiles every time (seeded by the cell's row), so scores repeat.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import lightning as L
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from regformer.io.stores import store_summary
from regformer.models.atacformer import CLOSED, IGNORE, KEPT, N_SPECIAL, PAD, REMOVED


def load_ragged(h5: h5py.File, name: str, rows: np.ndarray) -> list[np.ndarray]:
    """Rows of a ragged array (sentences/tokens or sentences/overflow) in memory."""
    offsets = h5[f"sentences/{'offsets' if name == 'tokens' else 'overflow_offsets'}"][:]
    values = h5[f"sentences/{name}"][:]
    return [values[offsets[r]:offsets[r + 1]] for r in rows]


def mask_sentence(tokens: np.ndarray, overflow: np.ndarray, n_chroms: int, n_tiles: int, ratio: float,
                  rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(input tokens without the removed tiles, (B,) int8 states) for one cell."""
    first_tile = N_SPECIAL + n_chroms
    tile_pos = np.flatnonzero(tokens >= first_tile)
    n_remove = int(round(ratio * len(tile_pos)))
    removed = rng.choice(tile_pos, n_remove, replace=False) if n_remove else np.empty(0, dtype=np.int64)
    states = np.full(n_tiles, CLOSED, dtype=np.int8)
    states[tokens[tile_pos] - first_tile] = KEPT
    states[tokens[removed] - first_tile] = REMOVED
    states[overflow] = IGNORE
    return np.delete(tokens, removed), states


class SentenceDataset(Dataset):
    """One split's cells; `train` draws the removed tiles afresh per access, otherwise per row."""

    def __init__(self, store_path: str | Path, split: str, mask_ratio: float = 0.15, train: bool = False,
                 seed: int = 0):
        summary = store_summary(store_path)
        self.n_chroms, self.n_tiles = len(summary["chroms"]), summary["n_tiles"]
        self.mask_ratio, self.train, self.seed = mask_ratio, train, seed
        with h5py.File(store_path, "r") as h5:
            self.rows = h5[f"index/{split}"][:]
            self.tokens = load_ragged(h5, "tokens", self.rows)
            self.overflow = load_ragged(h5, "overflow", self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: int) -> dict:
        row = int(self.rows[i])
        seed = int(torch.randint(2**62, ())) if self.train else [self.seed, row]
        x, y = mask_sentence(self.tokens[i], self.overflow[i], self.n_chroms, self.n_tiles, self.mask_ratio,
                             np.random.default_rng(seed))
        return {"x": x, "y": y, "row": row}


def collate(items: list[dict]) -> dict:
    """Pad sentences to the longest in the batch with <pad>."""
    length = max(len(it["x"]) for it in items)
    x = torch.full((len(items), length), PAD, dtype=torch.long)
    for i, it in enumerate(items):
        x[i, :len(it["x"])] = torch.from_numpy(it["x"].astype(np.int64))
    y = torch.from_numpy(np.stack([it["y"] for it in items]))
    return {"x": x, "codes": x, "y": y, "rows": torch.tensor([it["row"] for it in items])}


class SentenceDataModule(L.LightningDataModule):
    """train / val / test loaders over a sentence store (regformer.chains.scatac.sentences)."""

    def __init__(self, store_path: str | Path, batch_size: int, mask_ratio: float = 0.15, num_workers: int = 0,
                 seed: int = 0):
        super().__init__()
        self.store_path, self.batch_size, self.num_workers = store_path, batch_size, num_workers
        self.mask_ratio, self.seed = mask_ratio, seed
        self._sets: dict[str, SentenceDataset] = {}

    def dataset(self, split: str) -> SentenceDataset:
        if split not in self._sets:
            self._sets[split] = SentenceDataset(self.store_path, split, self.mask_ratio, train=split == "train",
                                                seed=self.seed)
        return self._sets[split]

    def _loader(self, split: str) -> DataLoader:
        return DataLoader(self.dataset(split), batch_size=self.batch_size, shuffle=split == "train",
                          collate_fn=collate, num_workers=self.num_workers,
                          persistent_workers=self.num_workers > 0)  # no re-fork per epoch (small splits)

    def train_dataloader(self) -> DataLoader:
        return self._loader("train")

    def val_dataloader(self) -> DataLoader:
        return self._loader("val")

    def test_dataloader(self) -> DataLoader:
        return self._loader("test")
