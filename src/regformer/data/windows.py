"""Genome windows as training examples, for every chain whose store holds windows of one genome (Hi-C, tracks).

A store of this kind has regions/{sequence_chrom,start,end}, index/{split}, a `targets` dataset with one window
per row and the genome FASTA's path in its summary. A window's sequence is fetched with pyfaidx when the item is
read (a 2^20-bp window is 1 MB of codes, so nothing is cached), as uint8 codes; one-hot happens on the device
after the transfer. Two augmentations run in the training split only: a shift of up to +-`shift_max` bp (targets
unchanged; the shift is far below a bin) and a reverse complement, which reverses the targets the way the chain
says (`reverse_target`: tracks reverse their bins, contact maps flip on both axes).
"""

from __future__ import annotations

from pathlib import Path

import h5py
import lightning as L
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from regformer.data.encoding import one_hot, reverse_complement_codes
from regformer.errors import InputError
from regformer.io.fasta import fetch_codes, open_sequences
from regformer.io.stores import store_summary


class GenomeWindows(Dataset):
    """The windows of one split; items are {"codes": (seq_length,) uint8, "y": the window's targets, float32}."""

    def __init__(self, store_path: str | Path, split: str, *, fasta_path: str | Path | None = None,
                 shift_max: int = 0, rc_augment: bool = False):
        self.store_path = str(store_path)
        self.summary = store_summary(store_path)
        self.fasta_path = str(fasta_path or self.summary.get("fasta") or "")
        if not self.fasta_path or not Path(self.fasta_path).exists():
            raise InputError(store_path, f"the genome FASTA {self.fasta_path!r} of this targets store is missing",
                             "rebuild the targets or pass the FASTA path")
        with h5py.File(self.store_path, "r") as h5:
            self.rows = h5[f"index/{split}"][:]
            self.chroms = h5["regions/sequence_chrom"][:].astype(str)[self.rows]
            self.starts = h5["regions/start"][:][self.rows]
            self.ends = h5["regions/end"][:][self.rows]
        if len(self.rows) == 0:
            raise InputError(store_path, f"no windows in split {split!r}", "check the regions' held-out chromosomes")
        self.split, self.shift_max, self.rc_augment = split, shift_max, rc_augment
        self._h5 = self._fasta = None

    def reverse_target(self, target: np.ndarray) -> np.ndarray:
        """The target of the reverse-complemented window: bins in reverse order (axis 0)."""
        return target[::-1]

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        if self._h5 is None:  # opened per worker: neither handle may cross a fork
            self._h5 = h5py.File(self.store_path, "r")
            self._fasta = open_sequences(self.fasta_path)  # lower case: the code table maps it
        shift = int(torch.randint(-self.shift_max, self.shift_max + 1, ())) if self.shift_max else 0
        codes = fetch_codes(self._fasta, self.chroms[i], int(self.starts[i]) + shift, int(self.ends[i]) + shift)
        target = self._h5["targets"][self.rows[i]].astype(np.float32)
        if self.rc_augment and bool(torch.rand(()) < 0.5):
            codes, target = reverse_complement_codes(codes[None])[0], self.reverse_target(target)
        return {"codes": torch.from_numpy(np.ascontiguousarray(codes)),
                "y": torch.from_numpy(np.ascontiguousarray(target))}

    def __getstate__(self):
        return {**self.__dict__, "_h5": None, "_fasta": None}


def window_regions(store_path: str | Path, rows: np.ndarray) -> list[tuple[str, int, int]]:
    """(chrom, start, end) of the given store rows, chromosomes named as in the target files (cooler, bigWig)."""
    with h5py.File(store_path, "r") as h5:
        chroms = h5["regions/chrom"][:].astype(str)[rows]
        starts, ends = h5["regions/start"][:][rows], h5["regions/end"][:][rows]
    return [(c, int(s), int(e)) for c, s, e in zip(chroms, starts, ends)]


def train_targets(store_path: str | Path, batch: int = 64):
    """Training-split target blocks (one window each, as stored), read a few windows at a time."""
    with h5py.File(store_path, "r") as h5:
        rows = h5["index/train"][:]
        for i in range(0, len(rows), batch):
            for block in h5["targets"][rows[i:i + batch]]:
                yield block


class WindowDataModule(L.LightningDataModule):
    """Train (augmented) / val / test loaders over a window store; one-hot on the device."""

    dataset_class = GenomeWindows

    def __init__(self, store_path: str | Path, batch_size: int = 2, num_workers: int = 0, shift_max: int = 0,
                 rc_augment: bool = True, fasta_path: str | Path | None = None):
        super().__init__()
        self.store_path, self.fasta_path = str(store_path), fasta_path
        self.batch_size, self.num_workers = batch_size, num_workers
        self.shift_max, self.rc_augment = shift_max, rc_augment

    def target_scale(self, batch: int = 64) -> tuple[float, float]:
        """Mean and standard deviation of every finite training target value (streamed)."""
        total = total_sq = count = 0.0
        for block in train_targets(self.store_path, batch):
            values = block[np.isfinite(block)].astype(np.float64)
            total, total_sq, count = total + values.sum(), total_sq + (values ** 2).sum(), count + values.size
        mean = total / count
        return float(mean), float(np.sqrt(max(total_sq / count - mean ** 2, 0.0)))

    def dataset(self, split: str, augment: bool = False) -> GenomeWindows:
        return self.dataset_class(self.store_path, split, fasta_path=self.fasta_path,
                                  shift_max=self.shift_max if augment else 0, rc_augment=self.rc_augment and augment)

    def _loader(self, split: str, train: bool) -> DataLoader:
        return DataLoader(self.dataset(split, augment=train), batch_size=self.batch_size, shuffle=train,
                          num_workers=self.num_workers, persistent_workers=self.num_workers > 0,
                          pin_memory=torch.cuda.is_available())

    def train_dataloader(self) -> DataLoader:
        return self._loader("train", True)

    def val_dataloader(self) -> DataLoader:
        return self._loader("val", False)

    def test_dataloader(self) -> DataLoader:
        return self._loader("test", False)

    def on_after_batch_transfer(self, batch: dict, dataloader_idx: int) -> dict:
        return {"x": one_hot(batch["codes"]), "y": batch["y"]}
