"""The scATAC chain's rules (workflow/rules/scatac.smk): a dataset's fragments, chromosome sizes, labels and
annotation; store, the cell embeddings (of the configured model that provides them), report."""

from __future__ import annotations

from snakemake.io import expand

from regformer.chains.scatac.specs import MODELS
from regformer.models.registry import network_name

EMBEDDINGS = "cell_embeddings"  # what a model must provide (ModelSpec.provides) for cells.h5ad and the clustering

SCATAC_SYNTHETIC = {"fragments": "fragments.tsv.gz", "chrom_sizes": "chrom_sizes.tsv", "labels": "labels.tsv",
                    "gene_annotation": "genes.gtf"}


class ScatacFiles:
    """The rules' view of the scATAC chain. `wf` is the Snakefile's WorkflowHelpers."""

    predict_suffix = "h5ad"  # what the apply stage's predict writes

    def __init__(self, wf):
        self.wf = wf

    def embedding_model(self, dataset: str) -> str | None:
        """The first model configured on the dataset whose network embeds cells (ModelSpec.provides), or None."""
        found = [name for name, entry in self.wf.dataset_models("scatac", dataset).items()
                 if EMBEDDINGS in getattr(MODELS.get(network_name(name, entry)), "provides", ())]
        return found[0] if found else None

    def embedding_model_file(self, wildcards) -> str:
        """rule scatac_cells's model: the trained model that embeds the cells."""
        model = self.embedding_model(wildcards.dataset)
        if model is None:
            raise ValueError(f"no configured scatac model provides {EMBEDDINGS} (add one, e.g. atacformer)")
        return f"results/scatac/{wildcards.dataset}/{model}/model.pt"

    def apply_inputs(self, wildcards) -> dict:
        """What the apply stages read beside the model: the embedded training cells (kNN label transfer)."""
        return {"cells": f"results/scatac/{wildcards.dataset}/cells.h5ad"}

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
        d = wildcards.dataset
        models = list(self.wf.dataset_models("scatac", d))
        inputs = {
            "store": f"results/scatac/{d}/sentences.h5",
            "qc": f"results/scatac/{d}/qc/qc.json",
            "qc_figure": f"results/scatac/{d}/qc/qc.png",
            "predictions": expand(f"results/scatac/{d}/{{m}}/predictions.h5", m=models),
        }
        if self.embedding_model(d) is not None:
            inputs.update(cells=f"results/scatac/{d}/cells.h5ad", clustering=f"results/scatac/{d}/clustering.json")
        return inputs
