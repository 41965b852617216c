"""Snakemake adapter: the demo's BED and VCF for the apply stage, cut from the dataset's genome."""
from regformer.apply.demo_inputs import write_demo_inputs
from regformer.logs import log_to

with log_to(snakemake.log[0]):
    write_demo_inputs(snakemake.input.fasta, snakemake.params.chrom, snakemake.output.bed, snakemake.output.vcf,
                      region_length=2 * snakemake.params.seq_length, margin=snakemake.params.seq_length)
