"""Snakemake adapter: one raw Hi-C map (pairs, unbalanced or other-resolution cooler) -> balanced cooler at bin_size."""
from regformer.chains.hic.maps import prepare_map
from regformer.logs import log_to

ds, m, source = snakemake.params.dataset, snakemake.params.map, snakemake.params.source
with log_to(snakemake.log[0]):
    prepare_map(source["uri"], source["kind"], snakemake.output.cool, fasta=snakemake.input.fasta,
                bin_size=ds["bin_size"], chromosomes=ds.get("chromosomes"), aliases=ds.get("aliases"),
                balance_options=m.get("balance"), threads=snakemake.threads,
                length_tolerance=ds.get("length_tolerance", 0))
