"""Snakemake adapter: a synthetic dataset's noise ceiling (noise-free targets scored against the measured ones)."""
from regformer.logs import log_to
from regformer.stages import noise_ceiling

with log_to(snakemake.log[0]):
    noise_ceiling(snakemake.params.chain, snakemake.input.store, snakemake.input.noise_free, snakemake.output.metrics,
                  settings=snakemake.params.dataset)
