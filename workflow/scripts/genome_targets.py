"""Snakemake adapter: a genome-window chain's targets store (noisy or noise-free), by the chain's own builder."""
from regformer.chains.registry import chain_workflow
from regformer.logs import log_to

with log_to(snakemake.log[0]):
    chain_workflow(snakemake.wildcards.chain).write_targets(snakemake.input, snakemake.output, snakemake.params,
                                                            snakemake.threads)
