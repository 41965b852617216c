"""Snakemake adapter: score a trained promoter model on the test split."""
from regformer.evaluate.promoter import evaluate_promoter_model
from regformer.logs import log_to

with log_to(snakemake.log[0]):
    evaluate_promoter_model(snakemake.input.store, snakemake.input.model, snakemake.output.metrics,
                            snakemake.output.predictions)
