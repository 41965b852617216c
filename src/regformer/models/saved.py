"""Trained models on disk, for every chain: one torch.save'd dict with the model's name, kind, architecture,
recipe, training summary and weights.

A model.pt holds only tensors and plain values (str, int, float, bool, None, lists, tuples, dicts), so it is read
with `torch.load(weights_only=True)`: a model file from elsewhere cannot run code when it is loaded. A torch module
is stored as its state dict; a closed-form model as the arrays of its fit (the k-mer ridges' `state_arrays()`,
rebuilt with `load_state_arrays()`; a model of arrays and numbers only, its attributes), never as a pickled
estimator.
"""

from __future__ import annotations

import pickle
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import torch

from regformer.errors import InputError
from regformer.io.atomic import atomic_path
from regformer.models.ensemble import SeedEnsemble
from regformer.models.registry import ModelSpec, get_spec

STATE_DICT, ARRAYS = "state_dict", "arrays"
PLAIN = (np.ndarray, np.generic, int, float, str, bool, type(None))


def _as_tensors(state: dict) -> dict:
    """numpy arrays (and numpy scalars) of a closed-form fit as tensors / Python numbers, which weights_only reads."""
    return {k: torch.from_numpy(np.ascontiguousarray(v)) if isinstance(v, np.ndarray)
            else v.item() if isinstance(v, np.generic) else v for k, v in state.items()}


def save_trained(saved: dict, path: str | Path) -> None:
    """Write atomically, so a killed job never leaves a model.pt that Snakemake would take as done.

    `saved["model"]` is an nn.Module (stored as its state dict) or a fitted closed-form object with
    `state_arrays()` (stored as those arrays); anything else is refused rather than pickled.
    """
    model = saved["model"]
    if isinstance(model, torch.nn.Module):
        weights, kind = model.state_dict(), STATE_DICT
    elif hasattr(model, "state_arrays"):
        weights, kind = _as_tensors(model.state_arrays()), ARRAYS
    elif all(isinstance(v, PLAIN) for v in vars(model).values()):  # e.g. open_frequency: arrays and numbers only
        weights, kind = _as_tensors(vars(model)), ARRAYS
    else:
        raise TypeError(f"{type(model).__name__} has no state_dict() or state_arrays() and holds more than arrays "
                        "and numbers: it cannot be saved without pickling it, and model.pt files never hold pickled "
                        "objects")
    with atomic_path(path) as tmp:
        torch.save({**saved, "model": weights, "model_format": kind}, tmp)


def read_saved(model_path: str | Path) -> dict:
    """The saved dict of a model.pt, read with weights_only=True; a clear InputError for anything else (a pickled
    object from an older regformer or from elsewhere, a file that is not a model)."""
    try:
        saved = torch.load(model_path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:  # what torch raises when weights_only meets anything but tensors
        raise InputError(model_path, "holds pickled Python objects (e.g. a scikit-learn estimator saved by regformer "
                         "before model files became tensors only), and loading them could run code from the file "
                         f"({str(err).splitlines()[0][:200]})",
                         "retrain it with this regformer: delete the file and rerun the workflow (snakemake retrains "
                         "it), or re-save it where it was trained from a trusted copy") from None
    except (OSError, EOFError, RuntimeError) as err:  # missing, truncated, not a torch zip file
        raise InputError(model_path, f"cannot be read as a model ({err})", "rerun its training rule") from None
    if not isinstance(saved, Mapping) or not {"name", "model"} <= set(saved):
        raise InputError(model_path, "is not a regformer model file (no 'name' and 'model' entries)",
                         "point at a model.pt written by `regformer train`")
    return dict(saved)


def load_trained(model_path: str | Path, specs: Mapping[str, ModelSpec]):
    """(saved dict, model): a torch module rebuilt from its spec and architecture in eval mode (a SeedEnsemble
    of them when trained with members > 1), or the closed-form object rebuilt from its arrays."""
    saved = read_saved(model_path)
    build = get_spec(specs, saved["name"]).build
    if saved.get("model_format") == ARRAYS:
        model = build(**saved["arch"])
        state = {k: v.numpy() if isinstance(v, torch.Tensor) else v for k, v in saved["model"].items()}
        if hasattr(model, "load_state_arrays"):
            return saved, model.load_state_arrays(state)
        vars(model).update(state)
        return saved, model
    n_members = saved.get("members", 1)
    model = build(**saved["arch"]) if n_members == 1 else SeedEnsemble([build(**saved["arch"]) for _ in range(n_members)])
    model.load_state_dict(saved["model"])
    return saved, model.eval()
