"""Snakemake adapter: the scATAC demo's fragments, chromosome sizes, labels and genes."""
from regformer.chains.scatac.synthetic import simulate_scatac
from regformer.logs import log_to

out = snakemake.output
with log_to(snakemake.log[0]):
    simulate_scatac(out.fragments, out.chrom_sizes, out.labels, out.gene_annotation, **snakemake.params.settings)
