"""Snakemake adapter: the demo genome with CTCF-like sites and its contact maps (.mcool, noisy and noise-free)."""
from regformer.chains.hic.synthetic import simulate_hic
from regformer.logs import log_to

settings = dict(snakemake.params.settings)
maps = settings.pop("maps")
with log_to(snakemake.log[0]):
    simulate_hic(snakemake.output.fasta, dict(zip(maps, snakemake.output.coolers)),
                 dict(zip(maps, snakemake.output.noise_free)), snakemake.output.sites,
                 bin_size=snakemake.params.bin_size, **settings)
