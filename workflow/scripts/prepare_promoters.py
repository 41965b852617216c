"""Snakemake adapter: validate, fix length, de-duplicate and split a promoter library into a uint8 store."""
from regformer.chains.promoter.prepare import prepare_promoter_dataset
from regformer.logs import log_to

ds = snakemake.params.dataset
with log_to(snakemake.log[0]):
    prepare_promoter_dataset(
        snakemake.input.library,
        snakemake.output.store,
        snakemake.output.summary,
        fmt=ds.get("format", "dream"),
        sequence_column=ds.get("sequence_column"),
        expression_column=ds.get("expression_column"),
        length=ds["length"],  # the schema fills in its default (PROMOTER_LENGTH)
        fractions={k: ds["split"][k] for k in ("train", "val", "test")},
        seed=ds["split"]["seed"],
        noise_free_path=snakemake.input.get("noise_free"),
        duplicates=ds.get("duplicates", "mean"),
    )
