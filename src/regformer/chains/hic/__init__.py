"""The Hi-C / Micro-C chain (.cool/.mcool maps + genome FASTA -> Akita-style contact-map models).

Importing the package is light (model specs only); load() builds the chain object (torch, Lightning).
"""

from regformer.chains.hic.specs import CHAIN, MODELS


def load():
    from regformer.chains.hic.chain import HicChain

    return HicChain()


__all__ = ["CHAIN", "MODELS", "load"]
