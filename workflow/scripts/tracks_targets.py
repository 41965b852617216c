"""Snakemake adapter: Basenji-style binned targets of every window and track (pyBigWig, block reads)."""
from regformer.chains.tracks.targets import build_track_targets
from regformer.logs import log_to

ds = snakemake.params.dataset
with log_to(snakemake.log[0]):
    build_track_targets(snakemake.input.table, snakemake.input.regions, snakemake.output.store,
                        fasta=snakemake.input.fasta, bin_size=ds["bin_size"], crop=ds["crop"],
                        blacklist_bed=ds.get("blacklist"), aliases=ds.get("aliases"))
