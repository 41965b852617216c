"""Snakemake adapter: train one configured model of a chain on its store (model.pt); see regformer.training_job."""
from regformer.training_job import train_job

train_job(snakemake.wildcards.chain, snakemake.input.store, snakemake.wildcards.model, snakemake.params.model_config,
          snakemake.output.model, snakemake.log[0], trainer=snakemake.params.trainer, gpus=snakemake.params.gpus,
          nodes=snakemake.params.nodes, threads=snakemake.threads, seed=snakemake.params.seed)
