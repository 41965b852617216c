"""Snakemake adapter: write the synthetic demo promoter library."""
from regformer.chains.promoter.synthetic import simulate_promoter_library
from regformer.logs import log_to

with log_to(snakemake.log[0]):
    simulate_promoter_library(snakemake.output.library, snakemake.output.noise_free, **snakemake.params.settings)
