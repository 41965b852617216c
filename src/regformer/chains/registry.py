"""The one registry of chains: their names (the CLI's and the workflow's choices), their models, their rule helpers.

Model names are the chain's own: two chains may each have a `kmer_ridge` (results/<chain>/<dataset>/<model>/).

A chain is a package under regformer/chains/ that exposes CHAIN, MODELS, DOC_PAGE, load() (the chain object, torch),
workflow_files(wf) (its rule helper, workflow.py) and optionally config_problems(section) (checks the schema
cannot make). Registering it is its one entry in PACKAGES below; beyond its package, a new chain adds only
its rules file (workflow/rules/<chain>.smk, with its scripts) and its schema section (workflow/schemas/
config.schema.yaml); tests/test_chain_layout.py shows it with a toy chain.

Importing this module is light (model specs only, no torch), so the workflow reads it while it builds the
job graph; load_chain builds a chain object for the stages that need one.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from regformer.chains import hic, promoter, scatac, tracks
from regformer.errors import InputError
from regformer.models.registry import ModelSpec

PACKAGES: dict[str, ModuleType] = {package.CHAIN: package for package in (promoter, hic, tracks, scatac)}
CHAINS = tuple(PACKAGES)


def all_specs() -> list[ModelSpec]:
    """Every model of every chain, chain by chain."""
    return [spec for package in PACKAGES.values() for spec in package.MODELS.values()]


def doc_pages() -> dict[str, str]:
    """Chain -> its documentation page with the measured results."""
    return {chain: package.DOC_PAGE for chain, package in PACKAGES.items()}


def chain_models(chain: str) -> dict[str, ModelSpec]:
    """The model specs of one chain."""
    return PACKAGES[_known(chain)].MODELS


def load_chain(chain: str):
    """The chain object (regformer.chain_interface.Chain) of `chain`."""
    return PACKAGES[_known(chain)].load()


def workflow_files(chain: str, wf):
    """The rule helper of `chain` (its package's workflow.py) over the Snakefile's WorkflowHelpers `wf`."""
    return PACKAGES[_known(chain)].workflow_files(wf)


def chain_workflow(chain: str) -> ModuleType:
    """The workflow module of `chain` (what the shared genome-window rules' scripts call: write_regions, ...)."""
    return importlib.import_module(f"{PACKAGES[_known(chain)].__name__}.workflow")


def chain_config_problems(chain: str, section: dict) -> list[str]:
    """The chain's own config problems (none for a key that is not a chain, or a chain without checks)."""
    check = getattr(PACKAGES.get(chain), "config_problems", None)
    return check(section) if check else []


def _known(chain: str) -> str:
    if chain not in PACKAGES:
        raise InputError("config.yaml", f"unknown chain {chain!r}", f"use one of {list(CHAINS)}")
    return chain
