"""Snakemake adapter: train one promoter model (resumes from its last checkpoint if there is one)."""
import torch

from regformer.logs import log_to
from regformer.train.harness import trainer_for_job
from regformer.train.promoter import train_promoter_model

with log_to(snakemake.log[0]):
    torch.set_num_threads(snakemake.threads)
    train_promoter_model(
        snakemake.input.store,
        snakemake.wildcards.model,
        snakemake.params.model_config,
        snakemake.output.model,
        trainer_cfg=trainer_for_job(snakemake.params.trainer, snakemake.resources),
        seed=snakemake.params.seed,
    )
