"""Snakemake adapter: SnapATAC2 import, QC, cell filter, 5 kb tile matrix, features and spectral embedding."""
from regformer.chains.scatac.qc import import_and_qc
from regformer.logs import log_to

ds, inp, out = snakemake.params.dataset, snakemake.input, snakemake.output
with log_to(snakemake.log[0]):
    import_and_qc(inp.fragments, out.cells, out.summary, out.figure, inp.chrom_sizes,
                  {**ds, "gene_annotation": inp.gene_annotation or None})
