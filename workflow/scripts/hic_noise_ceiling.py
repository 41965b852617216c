"""Snakemake adapter: the demo's noise ceiling (noise-free targets scored against the measured ones)."""
from regformer.chains.hic.evaluation import evaluate_noise_ceiling
from regformer.logs import log_to

with log_to(snakemake.log[0]):
    evaluate_noise_ceiling(snakemake.input.store, snakemake.input.noise_free, snakemake.output.metrics,
                           insulation_window=snakemake.params.dataset["insulation_window"])
