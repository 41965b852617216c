"""Promoter networks: the deck's transformer and LegNet (their k-mer ridge baseline, shared with the tracks chain,
is regformer.models.kmer_ridge)."""
