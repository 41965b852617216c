"""Snakemake adapter: Akita targets (log obs/exp, smoothed, cropped upper triangle) for every window and map."""
from regformer.chains.hic.targets import build_targets_from_regions
from regformer.logs import log_to

ds = snakemake.params.dataset
with log_to(snakemake.log[0]):
    build_targets_from_regions(snakemake.input.regions, snakemake.params.uris, snakemake.output.store,
                               fasta=snakemake.input.fasta, bin_size=ds["bin_size"], crop=ds["crop"],
                               diagonal_offset=ds["diagonal_offset"], workers=snakemake.threads,
                               log_clips=snakemake.params.clips, sigma=ds["sigma"], width=ds["smoothing_width"],
                               coarsegrain_cutoff=ds["coarsegrain_cutoff"], max_levels=ds["coarsegrain_levels"])
