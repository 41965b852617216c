"""The data families, one package each (promoter, hic, ...); regformer.chains.registry lists them."""
