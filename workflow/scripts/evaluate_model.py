"""Snakemake adapter: score any chain's trained model on its test split (metrics.json, predictions.h5)."""
from regformer.logs import log_to
from regformer.stages import evaluate

with log_to(snakemake.log[0]):
    evaluate(snakemake.wildcards.chain, snakemake.input.store, snakemake.input.model, snakemake.output.metrics,
             snakemake.output.predictions, settings=snakemake.params.settings, seed=snakemake.params.seed)
