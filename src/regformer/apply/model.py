"""A trained model as a tool: `regformer.load(path)` for notebooks, and what the apply stages run.

ApplyModel takes the chain's natural inputs (for a promoter model a list of sequence strings; for tracks and
Hi-C one-hot or string sequences of the training length), returns one prediction per input, and gives the
spread of seed ensembles and sampling models. The model is read through regformer.models.saved.load_trained.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from regformer.apply.forward import predict_draws, summarize
from regformer.apply.hooks import chain_hooks
from regformer.apply.ism import ism
from regformer.chains.registry import CHAINS, chain_models
from regformer.errors import InputError


def chain_of_path(model_path: str | Path) -> str:
    """The chain of results/<chain>/<dataset>/<model>/model.pt (the folder above the dataset's)."""
    parts = Path(model_path).resolve().parts
    if len(parts) >= 4 and parts[-4] in CHAINS:
        return parts[-4]
    raise InputError(model_path, "cannot tell which chain this model belongs to from its path",
                     f"pass chain= (one of {list(CHAINS)}), e.g. regformer.load(path, chain='promoter')")


class ApplyModel:
    """One trained model with its chain's apply hooks. `draws(codes)` is the low-level call; `predict(inputs)`
    takes what the chain's users have (strings, one-hot arrays)."""

    def __init__(self, model_path: str | Path, chain: str | None = None, *, device: str = "cpu",
                 batch_size: int = 256, seed: int = 0):
        from regformer.models.saved import load_trained

        self.path = Path(model_path)
        if not self.path.exists():
            raise InputError(model_path, "no such model file", "train it first (snakemake .../model.pt)")
        self.chain = chain or chain_of_path(model_path)
        self.hooks = chain_hooks(self.chain)
        self.saved, self.model = load_trained(model_path, chain_models(self.chain))
        self.name = self.saved["name"]
        self.device, self.batch_size, self.seed = device, batch_size, seed
        self.context = self.hooks.context(self.path, self.saved)

    @property
    def is_torch(self) -> bool:
        import torch

        return isinstance(self.model, torch.nn.Module)

    def encode(self, inputs) -> tuple[np.ndarray, list[str]]:
        """(n, L) codes of the chain's natural inputs, and a note per input on what was padded or trimmed."""
        return self.hooks.encode(inputs, self.context)

    def draws(self, codes: np.ndarray) -> np.ndarray:
        """(draws, n, ...) predictions: ensemble members or samples (one draw for a plain model)."""
        return predict_draws(self.model, codes, reverse_output=self.hooks.reverse_output, batch_size=self.batch_size,
                             device=self.device, seed=self.seed)

    def predict_codes(self, codes: np.ndarray) -> np.ndarray:
        """(n, ...) mean predictions of codes (what ISM calls)."""
        return self.draws(codes).mean(0)

    def predict_with_sd(self, inputs) -> tuple[np.ndarray, np.ndarray | None]:
        """Mean prediction per input and the spread of the draws (None for a single deterministic model)."""
        return summarize(self.draws(self.encode(inputs)[0]))

    def predict(self, inputs) -> np.ndarray:
        """One prediction per input (ensembles averaged, both strands averaged where the chain's evaluation does)."""
        return self.predict_with_sd(inputs)[0]

    def ism(self, inputs, batch_size: int = 1024) -> np.ndarray:
        """(n, L, 4, ...) in-silico mutagenesis effects (alt - ref) of every base at every position."""
        return ism(self.predict_codes, self.encode(inputs)[0], batch_size=batch_size)

    def __repr__(self) -> str:
        return f"ApplyModel({self.chain}/{self.name} from {self.path})"


def load(model_path: str | Path, chain: str | None = None, **options) -> ApplyModel:
    """A trained model ready for predict / ism (chain read from results/<chain>/... unless given)."""
    return ApplyModel(model_path, chain, **options)
