"""Snakemake adapter: the promoter demo's FASTA and variants TSV for the apply stage, from its test split."""
from regformer.apply.demo_inputs import write_sequence_demo_inputs
from regformer.logs import log_to

with log_to(snakemake.log[0]):
    write_sequence_demo_inputs(snakemake.input.store, snakemake.output.fasta, snakemake.output.variants)
