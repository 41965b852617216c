"""The Hi-C / Micro-C chain (.cool/.mcool maps + genome FASTA -> Akita-style contact-map models).

Importing the package is light (model specs only); load() builds the chain object (torch, Lightning);
workflow_files(wf) builds what its rules ask of the config (HicFiles in workflow.py, torch-free);
config_problems(section) checks what the schema cannot.
"""

from regformer.chains.hic.specs import CHAIN, MODELS

DOC_PAGE = "docs/hic.md"  # the measured results (the README's headline table links it)


def load():
    from regformer.chains.hic.chain import HicChain

    return HicChain()


def workflow_files(wf):
    """The chain's rule helper over the Snakefile's WorkflowHelpers `wf`."""
    from regformer.chains.hic.workflow import HicFiles

    return HicFiles(wf)


def config_problems(section: dict) -> list[str]:
    """What the schema cannot check in the config's hic section (regformer.config_check calls it at start)."""
    from regformer.chains.hic.workflow import config_problems as problems

    return problems(section)


__all__ = ["CHAIN", "DOC_PAGE", "MODELS", "config_problems", "load", "workflow_files"]
