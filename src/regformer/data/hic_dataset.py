"""Training windows of the Hi-C chain: DNA read from the FASTA on the fly, Akita targets from the store.

A window's sequence is fetched with pyfaidx when the item is read (a 2^20-bp window is 1 MB of codes,
so nothing is cached), as uint8 codes; one-hot happens on the device after the transfer. Akita's two
augmentations run in the training split only: a shift of up to +-`shift_max` bp (targets unchanged;
the shift is far below a bin) and a reverse complement, which flips each target map on both axes.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import lightning as L
import numpy as np
import pyfaidx
import torch
from torch.utils.data import DataLoader, Dataset

from regformer.data.encoding import _LUT, INVALID, N_CODE, one_hot, reverse_complement_codes
from regformer.errors import InputError
from regformer.io.stores import store_summary



def flip_permutation(n_bins: int, diagonal_offset: int) -> np.ndarray:
    """Index p such that vec[p] is the upper triangle of the map flipped on both axes (reverse complement).

    Pixel (i, j) of the flipped map is (n-1-j, n-1-i) of the original: same diagonal, so still stored.
    """
    rows, cols = np.triu_indices(n_bins, diagonal_offset)
    position = np.full((n_bins, n_bins), -1, dtype=np.int64)
    position[rows, cols] = np.arange(len(rows))
    return position[n_bins - 1 - cols, n_bins - 1 - rows]


def fetch_codes(fasta: pyfaidx.Fasta, chrom: str, start: int, end: int) -> np.ndarray:
    """Codes of chrom:start-end; positions off the chromosome and non-ACGT letters (IUPAC) become N."""
    length = len(fasta[chrom])
    codes = np.full(end - start, N_CODE, dtype=np.uint8)
    lo, hi = max(start, 0), min(end, length)
    if hi > lo:
        text = fasta[chrom][lo:hi]
        text = text if isinstance(text, str) else text.seq
        raw = _LUT[np.frombuffer(text.encode("ascii", errors="replace"), dtype=np.uint8)]
        raw[raw == INVALID] = N_CODE
        codes[lo - start:hi - start] = raw
    return codes


class HicWindows(Dataset):
    """The windows of one split; items are {"codes": (seq_length,) uint8, "y": (n_pixels, n_maps) float32}."""

    def __init__(self, store_path: str | Path, split: str, *, fasta_path: str | Path | None = None,
                 shift_max: int = 0, rc_augment: bool = False):
        self.store_path = str(store_path)
        summary = store_summary(store_path)
        self.fasta_path = str(fasta_path or summary.get("fasta") or "")
        if not self.fasta_path or not Path(self.fasta_path).exists():
            raise InputError(store_path, f"the genome FASTA {self.fasta_path!r} of this targets store is missing",
                             "rebuild the targets or pass the FASTA path")
        with h5py.File(self.store_path, "r") as h5:
            splits = h5["regions/split"][:].astype(str)
            self.rows = np.flatnonzero(splits == split)
            self.chroms = h5["regions/sequence_chrom"][:].astype(str)[self.rows]
            self.starts = h5["regions/start"][:][self.rows]
            self.ends = h5["regions/end"][:][self.rows]
        if len(self.rows) == 0:
            raise InputError(store_path, f"no windows in split {split!r}", "check the regions' held-out chromosomes")
        self.split, self.shift_max, self.rc_augment = split, shift_max, rc_augment
        self.flip = flip_permutation(summary["n_bins"], summary["diagonal_offset"])
        self._h5 = self._fasta = None

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        if self._h5 is None:  # opened per worker: neither handle may cross a fork
            self._h5 = h5py.File(self.store_path, "r")
            self._fasta = pyfaidx.Fasta(self.fasta_path, as_raw=True)  # lower case: the code table maps it
        shift = int(torch.randint(-self.shift_max, self.shift_max + 1, ())) if self.shift_max else 0
        codes = fetch_codes(self._fasta, self.chroms[i], int(self.starts[i]) + shift, int(self.ends[i]) + shift)
        target = self._h5["targets"][self.rows[i]].astype(np.float32)
        if self.rc_augment and bool(torch.rand(()) < 0.5):
            codes, target = reverse_complement_codes(codes[None])[0], target[self.flip]
        return {"codes": torch.from_numpy(np.ascontiguousarray(codes)), "y": torch.from_numpy(target)}

    def __getstate__(self):
        return {**self.__dict__, "_h5": None, "_fasta": None}


class HicDataModule(L.LightningDataModule):
    """Train (augmented) / valid / test loaders over a targets store; one-hot on the device."""

    def __init__(self, store_path: str | Path, batch_size: int = 2, num_workers: int = 0, shift_max: int = 0,
                 rc_augment: bool = True, fasta_path: str | Path | None = None):
        super().__init__()
        self.store_path, self.fasta_path = str(store_path), fasta_path
        self.batch_size, self.num_workers = batch_size, num_workers
        self.shift_max, self.rc_augment = shift_max, rc_augment

    def dataset(self, split: str, augment: bool = False) -> HicWindows:
        return HicWindows(self.store_path, split, fasta_path=self.fasta_path,
                          shift_max=self.shift_max if augment else 0, rc_augment=self.rc_augment and augment)

    def _loader(self, split: str, train: bool) -> DataLoader:
        return DataLoader(self.dataset(split, augment=train), batch_size=self.batch_size, shuffle=train,
                          num_workers=self.num_workers, persistent_workers=self.num_workers > 0,
                          pin_memory=torch.cuda.is_available())

    def train_dataloader(self) -> DataLoader:
        return self._loader("train", True)

    def val_dataloader(self) -> DataLoader:
        return self._loader("valid", False)

    def test_dataloader(self) -> DataLoader:
        return self._loader("test", False)

    def on_after_batch_transfer(self, batch: dict, dataloader_idx: int) -> dict:
        return {"x": one_hot(batch["codes"]), "y": batch["y"]}
