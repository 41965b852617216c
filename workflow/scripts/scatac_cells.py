"""Snakemake adapter: atacFormer and spectral cell embeddings, Leiden clusters, kNN transfer -> cells.h5ad."""
from regformer.chains.scatac.cells import write_cells
from regformer.logs import log_to

ds, inp, out = snakemake.params.dataset, snakemake.input, snakemake.output
with log_to(snakemake.log[0]):
    write_cells(inp.model, inp.store, inp.cells, out.cells, out.clustering, labels_path=inp.labels or None,
                label_column=ds["label_column"], seed=snakemake.params.seed)
