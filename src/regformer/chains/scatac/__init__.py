"""The scATAC chain (fragments -> SnapATAC2 tile matrix -> cell sentences -> atacFormer, cell embeddings).

Importing the package is light (model specs only); load() builds the chain object (torch, Lightning);
workflow_files(wf) builds what its rules ask of the config (ScatacFiles in workflow.py, torch-free).
"""

from regformer.chains.scatac.specs import CHAIN, MODELS

DOC_PAGE = "docs/scatac-results.md"  # the measured results (the README's headline table links it)


def load():
    from regformer.chains.scatac.chain import ScatacChain

    return ScatacChain()


def workflow_files(wf):
    """The chain's rule helper over the Snakefile's WorkflowHelpers `wf`."""
    from regformer.chains.scatac.workflow import ScatacFiles

    return ScatacFiles(wf)


__all__ = ["CHAIN", "DOC_PAGE", "MODELS", "load", "workflow_files"]
