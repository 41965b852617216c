"""Snakemake adapter: contigs of the genome -> windows -> train/val/test, capped to the bigWigs' chromosomes."""
from regformer.chains.tracks.regions import define_track_regions
from regformer.logs import log_to

ds = snakemake.params.dataset
with log_to(snakemake.log[0]):
    define_track_regions(snakemake.input.fasta, list(snakemake.input.bigwigs), snakemake.output.regions,
                         bin_size=ds["bin_size"], seq_length=ds["seq_length"], train_stride=ds["train_stride"],
                         eval_stride=ds["eval_stride"], valid_chroms=ds.get("valid_chroms"),
                         test_chroms=ds.get("test_chroms"), valid_fraction=ds["valid_fraction"],
                         test_fraction=ds["test_fraction"], chromosomes=ds.get("chromosomes"),
                         aliases=ds.get("aliases"), blacklist_bed=ds.get("blacklist"), min_gap=ds["min_gap"],
                         seed=ds["split_seed"], valid_regions=ds.get("valid_regions"),
                         test_regions=ds.get("test_regions"))
