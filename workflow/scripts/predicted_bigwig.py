"""Snakemake adapter: one track's test-window predictions as a bigWig (opens in IGV next to the data)."""
from regformer.chains.tracks.export import write_predicted_bigwig
from regformer.logs import log_to

with log_to(snakemake.log[0]):
    write_predicted_bigwig(snakemake.input.store, snakemake.input.predictions, snakemake.wildcards.track,
                           snakemake.output.bigwig)
