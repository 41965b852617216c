"""The one registry of chains: their names (the CLI's and the workflow's choices) and their models.

Importing this module is light (model specs only, no torch), so the workflow reads it while it builds the
job graph; load_chain builds a chain object for the stages that need one. A new chain adds one line here.
"""

from __future__ import annotations

from types import ModuleType

from regformer.chains import hic, promoter
from regformer.errors import InputError
from regformer.models.registry import ModelSpec

PACKAGES: dict[str, ModuleType] = {package.CHAIN: package for package in (promoter, hic)}
CHAINS = tuple(PACKAGES)


def _all_models() -> dict[str, ModelSpec]:
    models: dict[str, ModelSpec] = {}
    for package in PACKAGES.values():
        clash = set(models) & set(package.MODELS)
        if clash:
            raise ValueError(f"model names {sorted(clash)} are registered by two chains")
        models.update(package.MODELS)
    return models


ALL_MODELS = _all_models()


def chain_models(chain: str) -> dict[str, ModelSpec]:
    """The model specs of one chain."""
    return PACKAGES[_known(chain)].MODELS


def load_chain(chain: str):
    """The chain object (regformer.chain_interface.Chain) of `chain`."""
    return PACKAGES[_known(chain)].load()


def _known(chain: str) -> str:
    if chain not in PACKAGES:
        raise InputError("config.yaml", f"unknown chain {chain!r}", f"use one of {list(CHAINS)}")
    return chain
