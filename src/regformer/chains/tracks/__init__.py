"""The genomic-tracks chain (genome FASTA + bigWig tracks -> Enformer, 1D-Swin and CNN baselines).

Importing the package is light (model specs only); load() builds the chain object (torch, Lightning).
"""

from regformer.chains.tracks.specs import CHAIN, MODELS


def load():
    from regformer.chains.tracks.chain import TracksChain

    return TracksChain()


__all__ = ["CHAIN", "MODELS", "load"]
