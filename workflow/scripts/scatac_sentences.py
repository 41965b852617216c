"""Snakemake adapter: cell sentences (the scATAC store) from the QC'd tile matrix."""
from regformer.chains.scatac.sentences import build_sentence_store
from regformer.logs import log_to

ds = snakemake.params.dataset
with log_to(snakemake.log[0]):
    build_sentence_store(snakemake.input.cells, snakemake.output.store, max_length=ds["max_length"],
                         split=ds["split"], seed=ds["split"].get("seed", snakemake.params.seed),
                         labels_path=snakemake.input.labels or None, label_column=ds["label_column"])
