"""The scATAC chain (fragments -> SnapATAC2 tile matrix -> cell sentences -> atacFormer, cell embeddings).

Importing the package is light (model specs only); load() builds the chain object (torch, Lightning).
"""

from regformer.chains.scatac.specs import CHAIN, MODELS


def load():
    from regformer.chains.scatac.chain import ScatacChain

    return ScatacChain()


__all__ = ["CHAIN", "MODELS", "load"]
