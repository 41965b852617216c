"""Snakemake adapter: the tracks demo: a genome with planted motifs and its tracks as bigWigs (noisy, noise-free)."""
from regformer.chains.tracks.synthetic import simulate_tracks
from regformer.logs import log_to

out, tracks = snakemake.output, snakemake.params.tracks
with log_to(snakemake.log[0]):
    simulate_tracks(out.fasta, dict(zip(tracks, out.bigwigs)), dict(zip(tracks, out.noise_free)), out.table,
                    noise_free_targets_tsv=out.table_noise_free, **snakemake.params.settings)
