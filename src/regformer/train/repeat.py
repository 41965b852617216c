"""What makes a resumed run repeat the uninterrupted one exactly (on CPU), beyond what Lightning checkpoints itself.

Lightning's checkpoint holds the weights, optimizer, LR schedulers, loop counters and callback states (early
stopping, best checkpoint, SWA / EMA averages), but not the random generators: a run resumed from last.ckpt drew a
different shuffling order, augmentation and dropout from its first resumed epoch on. `RandomStates` stores torch's
(CPU and CUDA), numpy's and Python's generator states in every checkpoint, taken when the checkpoint is written (the
end of an epoch), and puts them back when the checkpoint is restored, before the resumed fit builds its first data
iterator: from there the resumed run draws what the uninterrupted run drew. Everything is stored as
tensors and plain values, so checkpoints still load with weights_only=True.

`unrepeated_validation` shards the validation set over DDP ranks without the duplicates Lightning's
DistributedSampler adds, so metrics synchronised over ranks are those of the whole validation set, each
sequence counted once.
"""

from __future__ import annotations

import functools
import random

import lightning as L
import numpy as np
import torch
from lightning.pytorch.overrides.distributed import UnrepeatedDistributedSamplerWrapper
from lightning.pytorch.utilities.data import _update_dataloader


def collect_random_states() -> dict:
    """torch (CPU, CUDA when present), numpy and Python generator states, as tensors and plain values."""
    name, keys, pos, has_gauss, cached = np.random.get_state()
    states = {"torch": torch.get_rng_state(), "python": random.getstate(),
              "numpy": (name, torch.from_numpy(keys.astype(np.int64)), int(pos), int(has_gauss), float(cached))}
    if torch.cuda.is_available():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def restore_random_states(states: dict) -> None:
    """Put back what collect_random_states took."""
    torch.set_rng_state(states["torch"])
    version, internal, gauss_next = states["python"]
    random.setstate((version, tuple(internal), gauss_next))
    name, keys, pos, has_gauss, cached = states["numpy"]
    np.random.set_state((name, keys.numpy().astype(np.uint32), pos, has_gauss, cached))
    if "cuda" in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])


class RandomStates(L.Callback):
    """Generator states in every checkpoint, restored as soon as Lightning restores the checkpoint's callbacks.

    That is the earliest point of a resume, and it must be: the first training iterator may be built (and draw its
    order) while the optimizers are configured, e.g. when a OneCycle schedule asks for the number of steps. From
    there to the first batch nothing else draws (Lightning skips the sanity check on a resume), as in the
    uninterrupted run from the checkpoint's save to the next epoch's first batch.
    """

    def state_dict(self) -> dict:
        return collect_random_states()

    def load_state_dict(self, state_dict: dict) -> None:
        restore_random_states(state_dict)


def _sharded_val_loader(make_loader):
    """make_loader()'s validation loader with each DDP rank given every world_size-th sequence (no padding)."""
    loader = make_loader()
    dist = torch.distributed
    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
        return loader
    sampler = UnrepeatedDistributedSamplerWrapper(loader.sampler, num_replicas=dist.get_world_size(),
                                                  rank=dist.get_rank(), shuffle=False)
    return _update_dataloader(loader, sampler)


def unrepeated_validation(datamodule: L.LightningDataModule) -> L.LightningDataModule:
    """Make `datamodule`'s val_dataloader shard without duplicates under DDP (unchanged in one process)."""
    if not getattr(datamodule, "_unrepeated_validation", False):
        datamodule.val_dataloader = functools.partial(_sharded_val_loader, datamodule.val_dataloader)
        datamodule._unrepeated_validation = True
    return datamodule
