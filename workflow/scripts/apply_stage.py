"""Snakemake adapter: one apply stage (predict, variants or explain; the rule's name says which)."""
from regformer.apply.stages import run_stage
from regformer.logs import log_to

with log_to(snakemake.log[0]):
    source = snakemake.input.data if snakemake.params.entry["input"] != "test" else "test"
    run_stage(snakemake.rule.removeprefix("apply_"), snakemake.wildcards.chain, snakemake.input.model, source,
              snakemake.output[0], snakemake.params.entry["settings"], seed=snakemake.params.seed)
