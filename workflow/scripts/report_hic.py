"""Snakemake adapter: the Hi-C report of one dataset (metrics, maps, curves, noise ceiling)."""
from regformer.logs import log_to
from regformer.report.hic import write_hic_report

with log_to(snakemake.log[0]):
    write_hic_report(snakemake.output[0], snakemake.wildcards.dataset, snakemake.input.store,
                     list(snakemake.input.metrics), ceiling_path=snakemake.input.get("ceiling"))
