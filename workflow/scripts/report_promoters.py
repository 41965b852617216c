"""Snakemake adapter: the HTML report comparing every promoter model of one dataset."""
from regformer.logs import log_to
from regformer.report.promoter import write_promoter_report

with log_to(snakemake.log[0]):
    write_promoter_report(snakemake.output[0], snakemake.wildcards.dataset, snakemake.input.summary, snakemake.input.metrics)
