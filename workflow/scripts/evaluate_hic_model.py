"""Snakemake adapter: score a trained Hi-C model on the test windows (metrics.json, predictions.h5)."""
from regformer.evaluate.hic import evaluate_hic_model
from regformer.logs import log_to

ds = snakemake.params.dataset
with log_to(snakemake.log[0]):
    evaluate_hic_model(snakemake.input.store, snakemake.input.model, snakemake.output.metrics,
                       snakemake.output.predictions, n_samples=ds["vae_samples"], interval=ds["interval"],
                       insulation_window=ds["insulation_window"])
