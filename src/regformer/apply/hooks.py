"""What a chain gives the apply stage: one `HOOKS` object in regformer/chains/<chain>/apply.py.

The shared code (forward passes, in-silico mutagenesis, captum attributions, logos, modisco-lite) works on
uint8 codes (n, L) of the model's input length; a chain's hooks turn its natural inputs into those codes and
its outputs into files:

- context(model_path, saved) -> dict: what the chain needs to know about the trained model (input length,
  the training store, ...), read once when the model is loaded;
- encode(inputs, context) -> (codes, notes): the chain's natural input (strings, one-hot, ...) as codes of the
  model's input length; notes say what was padded or trimmed;
- reverse_output(prediction) -> prediction: the output of a reverse-complemented input mapped back to the
  forward strand (a scalar: itself; bins: flipped), or None where the chain's evaluation does not average strands;
- scalar(prediction) -> (n,) tensor: the one number per input that attributions explain;
- predict / variants / explain(apply_model, input_path, out_path, settings): the three stages' files.
"""

from __future__ import annotations

import importlib

from regformer.chains.registry import CHAINS
from regformer.errors import InputError


def chain_hooks(chain: str):
    """The HOOKS object of `chain` (imports regformer.chains.<chain>.apply)."""
    if chain not in CHAINS:
        raise InputError("chain", f"unknown chain {chain!r}", f"use one of {list(CHAINS)}")
    try:
        module = importlib.import_module(f"regformer.chains.{chain}.apply")
    except ModuleNotFoundError as err:
        if err.name != f"regformer.chains.{chain}.apply":
            raise
        raise InputError("chain", f"the {chain} chain has no apply stage yet",
                         "use a chain with one (see docs/apply.md)") from None
    return module.HOOKS
