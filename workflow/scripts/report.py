"""Snakemake adapter: the HTML report comparing every model of one chain's dataset."""
from regformer.logs import log_to
from regformer.stages import report

with log_to(snakemake.log[0]):
    report(snakemake.wildcards.chain, snakemake.output[0], snakemake.wildcards.dataset, list(snakemake.input.metrics),
           dict(snakemake.input.items()), settings=snakemake.params.settings)
