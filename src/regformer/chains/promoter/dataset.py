"""Lazy PyTorch access to a prepared promoter store, and the LightningDataModule around it.

Workers open the HDF5 file on first use (an h5py handle must not cross a fork) and read whole
batches with one sorted fancy-index call. Batches hold uint8 codes; one-hot and the random
reverse-complement augmentation happen after the transfer to the device.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import lightning as L
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from regformer.data.encoding import one_hot, reverse_complement_one_hot


class PromoterSplit(Dataset):
    """One split (train/val/test) of a promoter store; items are row positions within the split."""

    def __init__(self, store_path: str | Path, split: str):
        self.store_path = str(store_path)
        self.split = split
        with h5py.File(self.store_path, "r") as h5:
            self.rows = h5[f"index/{split}"][:]
        self._h5 = None

    def __len__(self) -> int:
        return len(self.rows)

    def _file(self) -> h5py.File:
        if self._h5 is None:
            self._h5 = h5py.File(self.store_path, "r")
        return self._h5

    def __getitems__(self, positions: list[int]) -> dict[str, torch.Tensor]:
        """Read a whole batch at once: h5py wants increasing indices, so sort, read, unsort."""
        rows = self.rows[np.asarray(positions)]
        order = np.argsort(rows)
        sorted_rows = rows[order]
        h5 = self._file()
        codes = np.empty((len(rows), h5["codes"].shape[1]), dtype=np.uint8)
        expression = np.empty(len(rows), dtype=np.float32)
        codes[order] = h5["codes"][sorted_rows]
        expression[order] = h5["expression"][sorted_rows]
        return {"codes": torch.from_numpy(codes), "y": torch.from_numpy(expression)}

    def __getitem__(self, position: int) -> dict[str, torch.Tensor]:
        batch = self.__getitems__([position])
        return {k: v[0] for k, v in batch.items()}

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_h5"] = None
        return state


def _keep_batch(batch):
    """collate_fn for datasets that already return whole batches (module level so workers can pickle it)."""
    return batch


class PromoterDataModule(L.LightningDataModule):
    """Train/val/test loaders over a promoter store, with one-hot + RC augmentation on the device."""

    def __init__(self, store_path: str | Path, batch_size: int = 256, num_workers: int = 0, rc_augment: bool = True):
        super().__init__()
        self.store_path = str(store_path)
        self.batch_size = batch_size
        self.num_workers = num_workers
        self.rc_augment = rc_augment
        self._singletons: bool | None = None

    def target_scale(self) -> tuple[float, float]:
        """Mean and standard deviation of the training split's expression (no sequences read)."""
        with h5py.File(self.store_path, "r") as h5:
            train_y = h5["expression"][:][h5["index/train"][:]]
        return float(train_y.mean()), float(train_y.std())

    def _loader(self, split: str, shuffle: bool) -> DataLoader:
        return DataLoader(PromoterSplit(self.store_path, split), batch_size=self.batch_size, shuffle=shuffle,
                          num_workers=self.num_workers, collate_fn=_keep_batch,
                          persistent_workers=self.num_workers > 0, pin_memory=torch.cuda.is_available())

    def train_dataloader(self) -> DataLoader:
        return self._loader("train", shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return self._loader("val", shuffle=False)

    def test_dataloader(self) -> DataLoader:
        return self._loader("test", shuffle=False)

    def has_singletons(self) -> bool:
        """Whether an integer value marks a sequence seen in one cell: the training split mixes integer values
        (single measurements, DREAM's bins) with averages. A library of only integers or none has no such mark."""
        with h5py.File(self.store_path, "r") as h5:
            train_y = h5["expression"][:][h5["index/train"][:]]
        integer = train_y == np.round(train_y)
        return bool(integer.any() and not integer.all())

    def on_after_batch_transfer(self, batch: dict, dataloader_idx: int) -> dict:
        """One-hot on the device; in training, a random half reverse-complemented (rc_augment) with the flags a
        model may read: strand (1 = reverse-complemented) and singleton (1 = an integer, single-cell value)."""
        x = one_hot(batch["codes"])
        out = {"y": batch["y"]}
        if self.trainer is not None and self.trainer.training:
            flip = torch.zeros(x.shape[0], dtype=torch.bool, device=x.device)
            if self.rc_augment:
                flip = torch.rand(x.shape[0], device=x.device) < 0.5
                x = torch.where(flip[:, None, None], reverse_complement_one_hot(x), x)
            out["strand"] = flip.float()
            if self._singletons is None:
                self._singletons = self.has_singletons()
            y = batch["y"]
            out["singleton"] = (y == torch.round(y)).float() if self._singletons else torch.zeros_like(y)
        return {"x": x, **out}
