"""Snakemake adapter: one map's test-window predictions stitched into a .cool (opens in HiGlass)."""
from regformer.chains.hic.stitch import stitch_predictions
from regformer.logs import log_to

with log_to(snakemake.log[0]):
    stitch_predictions(snakemake.input.store, snakemake.input.predictions, snakemake.wildcards.map,
                       snakemake.output.cool)
