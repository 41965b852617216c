"""The one registry of chains: their names (the CLI's and the workflow's choices) and their models.

Model names are the chain's own: two chains may each have a `kmer_ridge` (results/<chain>/<dataset>/<model>/).

Importing this module is light (model specs only, no torch), so the workflow reads it while it builds the
job graph; load_chain builds a chain object for the stages that need one. A new chain adds one line here.
"""

from __future__ import annotations

from types import ModuleType

from regformer.chains import hic, promoter, scatac, tracks
from regformer.errors import InputError
from regformer.models.registry import ModelSpec

PACKAGES: dict[str, ModuleType] = {package.CHAIN: package for package in (promoter, hic, tracks, scatac)}
CHAINS = tuple(PACKAGES)


def all_specs() -> list[ModelSpec]:
    """Every model of every chain, chain by chain."""
    return [spec for package in PACKAGES.values() for spec in package.MODELS.values()]


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
