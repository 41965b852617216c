"""Snakemake adapter: download one file with checksum (sha256 or md5) verification (regformer.io.download)."""
from regformer.io.download import fetch_url
from regformer.logs import log_to

with log_to(snakemake.log[0]):
    fetch_url(snakemake.params.url, snakemake.output[0], snakemake.params.checksum)
