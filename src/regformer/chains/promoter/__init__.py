"""The random-promoter chain (sequence + expression libraries -> expression models).

Importing the package is light (model specs only); load() builds the chain object (torch, Lightning);
workflow_files(wf) builds what its rules ask of the config (PromoterFiles in workflow.py, torch-free).
"""

from regformer.chains.promoter.specs import CHAIN, MODELS

DOC_PAGE = "docs/promoter.md"  # the measured results (the README's headline table links it)


def load():
    from regformer.chains.promoter.chain import PromoterChain

    return PromoterChain()


def workflow_files(wf):
    """The chain's rule helper over the Snakefile's WorkflowHelpers `wf`."""
    from regformer.chains.promoter.workflow import PromoterFiles

    return PromoterFiles(wf)


__all__ = ["CHAIN", "DOC_PAGE", "MODELS", "load", "workflow_files"]
