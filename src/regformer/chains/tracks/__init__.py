"""The genomic-tracks chain (genome FASTA + bigWig tracks -> Enformer, 1D-Swin and CNN baselines).

Importing the package is light (model specs only); load() builds the chain object (torch, Lightning);
workflow_files(wf) builds what its rules ask of the config (TracksFiles in workflow.py, torch-free).
"""

from regformer.chains.tracks.specs import CHAIN, MODELS

DOC_PAGE = "docs/tracks.md"  # the measured results (the README's headline table links it)


def load():
    from regformer.chains.tracks.chain import TracksChain

    return TracksChain()


def workflow_files(wf):
    """The chain's rule helper over the Snakefile's WorkflowHelpers `wf`."""
    from regformer.chains.tracks.workflow import TracksFiles

    return TracksFiles(wf)


__all__ = ["CHAIN", "DOC_PAGE", "MODELS", "load", "workflow_files"]
