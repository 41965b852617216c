"""The scATAC chain's rules: a dataset's fragments, chromosome sizes, labels and annotation; store, report."""

from __future__ import annotations

from snakemake.io import expand

from regformer.workflow_helpers.common import WorkflowHelpers

SCATAC_SYNTHETIC = {"fragments": "fragments.tsv.gz", "chrom_sizes": "chrom_sizes.tsv", "labels": "labels.tsv",
                    "gene_annotation": "genes.gtf"}


class ScatacFiles:
    def __init__(self, wf: WorkflowHelpers):
        self.wf = wf

    def file(self, wildcards, key: str):
        """A dataset's fragments / chrom_sizes / labels / gene_annotation: simulated, downloaded or a local path."""
        ds = self.wf.dataset_config("scatac", wildcards.dataset)
        if "synthetic" in ds:
            return f"results/scatac/{wildcards.dataset}/raw/{SCATAC_SYNTHETIC[key]}"
        entry = ds.get(key)
        if entry is None:
            return []
        return self.wf.downloaded("scatac", wildcards.dataset, entry) if isinstance(entry, dict) else entry

    def store(self, wildcards) -> dict:
        return {"store": f"results/scatac/{wildcards.dataset}/sentences.h5"}

    def report_inputs(self, wildcards) -> dict:
        d, models = wildcards.dataset, list(self.wf.config["scatac"]["models"])
        inputs = {
            "store": f"results/scatac/{d}/sentences.h5",
            "qc": f"results/scatac/{d}/qc/qc.json",
            "qc_figure": f"results/scatac/{d}/qc/qc.png",
            "predictions": expand(f"results/scatac/{d}/{{m}}/predictions.h5", m=models),
        }
        if "atacformer" in models:
            inputs.update(cells=f"results/scatac/{d}/cells.h5ad", clustering=f"results/scatac/{d}/clustering.json")
        return inputs
