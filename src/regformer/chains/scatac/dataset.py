"""Masked cell sentences for training and evaluation: remove a share of each cell's open tiles, target 3 states.

A batch is {"x": (n, L) token ids padded with <pad>, "codes": the same (what a closed-form baseline reads),
"y": (n, B) states (0 closed, 1 open and kept, 2 open and removed, -100 unknown: dropped from an overlong
sentence), "rows": store rows}. Training draws a fresh removal every epoch from torch's seeded generator;
validation and test remove the same tiles every time (seeded by the cell's row), so scores repeat.

Depth (budget_quantile > 0): besides its masked whole sentence, a training cell gives "x2" and "x3", two
independent random subsamples of `budget` of its open tiles (the quantile of training cells' tile counts): the
contrastive term's two views, the same size whatever the cell's depth. "label" is the cell type's index (-100
unknown) for the supervised head. Validation and test use whole sentences.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import lightning as L
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from regformer.io.stores import store_summary
from regformer.models.scatac.atacformer import CLOSED, IGNORE, KEPT, N_SPECIAL, PAD, REMOVED


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


def subsample_sentence(tokens: np.ndarray, n_chroms: int, budget: int,
                       rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(tokens keeping at most `budget` random open tiles, the dropped tile ids); <cls> and <eos> always stay."""
    first_tile = N_SPECIAL + n_chroms
    tile_pos = np.flatnonzero(tokens >= first_tile)
    if budget <= 0 or len(tile_pos) <= budget:
        return tokens, np.empty(0, dtype=np.int64)
    drop = rng.choice(tile_pos, len(tile_pos) - budget, replace=False)
    return np.delete(tokens, drop), tokens[drop].astype(np.int64) - first_tile


def sentence_budget(store_path: str | Path, quantile: float) -> int:
    """Tiles per training view: the `quantile` of training cells' open-tile counts (0: no budget)."""
    if quantile <= 0:
        return 0
    summary = store_summary(store_path)
    with h5py.File(store_path, "r") as h5:
        offsets = h5["sentences/offsets"][:]
        rows = h5["index/train"][:]
    n_tiles = offsets[rows + 1] - offsets[rows] - 1 - len(summary["chroms"])
    return max(1, int(np.quantile(n_tiles, quantile)))


def store_labels(store_path: str | Path, rows: np.ndarray) -> np.ndarray:
    """Cell-type index per row (-100 where unknown or the store has no labels)."""
    with h5py.File(store_path, "r") as h5:
        return h5["cells/label"][:][rows].astype(np.int64) if "cells/label" in h5 else np.full(len(rows), IGNORE)


class SentenceDataset(Dataset):
    """One split's cells; `train` draws the removed tiles afresh per access, otherwise per row."""

    def __init__(self, store_path: str | Path, split: str, mask_ratio: float = 0.15, train: bool = False,
                 seed: int = 0, budget: int = 0):
        summary = store_summary(store_path)
        self.n_chroms, self.n_tiles = len(summary["chroms"]), summary["n_tiles"]
        self.mask_ratio, self.train, self.seed, self.budget = mask_ratio, train, seed, budget
        with h5py.File(store_path, "r") as h5:
            self.rows = h5[f"index/{split}"][:]
            self.tokens = load_ragged(h5, "tokens", self.rows)
            self.overflow = load_ragged(h5, "overflow", self.rows)
        self.labels = store_labels(store_path, self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: int) -> dict:
        row = int(self.rows[i])
        seed = int(torch.randint(2**62, ())) if self.train else [self.seed, row]
        rng = np.random.default_rng(seed)
        x, y = mask_sentence(self.tokens[i], self.overflow[i], self.n_chroms, self.n_tiles, self.mask_ratio, rng)
        item = {"x": x, "y": y, "row": row, "label": int(self.labels[i])}
        if self.train and self.budget > 0:  # two independent fixed-size views for the contrastive term
            for key in ("x2", "x3"):
                item[key] = subsample_sentence(self.tokens[i], self.n_chroms, self.budget, rng)[0]
        return item


def pad_sentences(sentences: list[np.ndarray]) -> torch.Tensor:
    """(n, longest) token ids, padded with <pad>."""
    x = torch.full((len(sentences), max(len(t) for t in sentences)), PAD, dtype=torch.long)
    for i, t in enumerate(sentences):
        x[i, :len(t)] = torch.from_numpy(t.astype(np.int64))
    return x


def collate(items: list[dict]) -> dict:
    """Pad sentences to the longest in the batch with <pad>; labels and second views when the items have them."""
    x = pad_sentences([it["x"] for it in items])
    batch = {"x": x, "codes": x, "y": torch.from_numpy(np.stack([it["y"] for it in items])),
             "rows": torch.tensor([it["row"] for it in items])}
    if "label" in items[0]:
        batch["label"] = torch.tensor([it["label"] for it in items])
    for key in ("x2", "x3"):
        if key in items[0]:
            batch[key] = pad_sentences([it[key] for it in items])
    return batch


class SentenceDataModule(L.LightningDataModule):
    """train / val / test loaders over a sentence store (regformer.chains.scatac.sentences)."""

    def __init__(self, store_path: str | Path, batch_size: int, mask_ratio: float = 0.15, num_workers: int = 0,
                 seed: int = 0, budget: int = 0):
        super().__init__()
        self.store_path, self.batch_size, self.num_workers = store_path, batch_size, num_workers
        self.mask_ratio, self.seed, self.budget = mask_ratio, seed, budget
        self._sets: dict[str, SentenceDataset] = {}

    def dataset(self, split: str) -> SentenceDataset:
        if split not in self._sets:
            self._sets[split] = SentenceDataset(self.store_path, split, self.mask_ratio, train=split == "train",
                                                seed=self.seed, budget=self.budget)
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
