"""The random-promoter chain (sequence + expression libraries -> expression models).

Importing the package is light (model specs only); load() builds the chain object (torch, Lightning).
"""

from regformer.chains.promoter.specs import CHAIN, MODELS


def load():
    from regformer.chains.promoter.chain import PromoterChain

    return PromoterChain()


__all__ = ["CHAIN", "MODELS", "load"]
