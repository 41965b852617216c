"""What the genome-window chains' rules share (Hi-C, tracks): the genome FASTA, the targets store and the report
inputs every such report reads (store, predictions, the demo's noise ceiling)."""

from __future__ import annotations

from snakemake.io import expand

from regformer.workflow_helpers.common import WorkflowHelpers


class GenomeChainFiles:
    chain = ""  # set by each chain

    def __init__(self, wf: WorkflowHelpers):
        self.wf = wf

    def fasta(self, wildcards) -> str:
        """The genome FASTA: simulated (demo), a local path, or downloaded from its url."""
        ds = self.wf.dataset_config(self.chain, wildcards.dataset)
        if "synthetic" in ds:
            return f"results/{self.chain}/{wildcards.dataset}/raw/genome.fa"
        if isinstance(ds["fasta"], str):
            return ds["fasta"]
        return self.wf.downloaded(self.chain, wildcards.dataset, ds["fasta"])

    def store(self, wildcards) -> dict:
        return {"store": f"results/{self.chain}/{wildcards.dataset}/targets.h5", "fasta": self.fasta(wildcards)}

    def report_inputs_with(self, dataset: str, per_model: dict[str, str], **fields) -> dict:
        """Store, per-model files (name -> path pattern with {m} and the `fields` wildcards) and the demo's ceiling."""
        models = list(self.wf.config[self.chain]["models"])
        root = f"results/{self.chain}/{dataset}"
        inputs = {"store": f"{root}/targets.h5"}
        inputs.update({name: expand(f"{root}/{{m}}/{pattern}", m=models, **fields) for name, pattern in per_model.items()})
        if "synthetic" in self.wf.dataset_config(self.chain, dataset):
            inputs["ceiling"] = f"{root}/noise_ceiling/metrics.json"
        return inputs
