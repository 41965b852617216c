"""What the genome-window chains' rules share (Hi-C, tracks; workflow/rules/genome_windows.smk): the genome FASTA,
the inputs and settings of the regions / targets / noise-ceiling rules, and the report inputs every such report
reads (store, predictions, the demo's noise ceiling).

A chain joins those rules by subclassing GenomeChainFiles in its package (chains/<chain>/workflow.py) and filling
in the hooks below; its package's `stages` functions (write_regions, write_targets) build the files. Nothing here
imports WorkflowHelpers (workflow_helpers.common reads the chain registry, which reaches these helpers)."""

from __future__ import annotations

from snakemake.io import expand


class GenomeChainFiles:
    """The rules' view of one genome-window chain. `wf` is the Snakefile's WorkflowHelpers."""

    chain = ""  # set by each chain
    predict_suffix = "h5"  # what the apply stage's predict writes
    target_threads = 1  # threads of the targets rules (what the chain's write_targets uses)

    def __init__(self, wf):
        self.wf = wf

    def apply_inputs(self, wildcards) -> dict:
        """What the apply stages read beside the model: nothing."""
        return {}

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

    # -- hooks of the shared rules (genome_windows.smk): the files and settings beyond the dataset's config
    def signal_inputs(self, wildcards, noise_free: bool = False, stage: str = "targets") -> dict:
        """The measured (or noise-free, demo) signal files the regions / targets rules (`stage`) read."""
        raise NotImplementedError

    def region_settings(self, wildcards) -> dict:
        """params.extra of the regions rule (beside params.dataset)."""
        return {}

    def target_settings(self, wildcards, noise_free: bool = False) -> dict:
        """params.extra of the targets rules (beside params.dataset)."""
        return {}

    def report_inputs_with(self, dataset: str, per_model: dict[str, str], **fields) -> dict:
        """Store, per-model files (name -> path pattern with {m} and the `fields` wildcards) and the demo's ceiling."""
        models = list(self.wf.dataset_models(self.chain, dataset))
        root = f"results/{self.chain}/{dataset}"
        inputs = {"store": f"{root}/targets.h5"}
        inputs.update({name: expand(f"{root}/{{m}}/{pattern}", m=models, **fields) for name, pattern in per_model.items()})
        if "synthetic" in self.wf.dataset_config(self.chain, dataset):
            inputs["ceiling"] = f"{root}/noise_ceiling/metrics.json"
        return inputs


class GenomeWindowRules:
    """Input and params functions of the shared genome-window rules: each dispatches on wildcards.chain to that
    chain's GenomeChainFiles (`files`: chain -> helper, the genome-window chains only)."""

    def __init__(self, wf, files: dict[str, GenomeChainFiles]):
        self.wf, self.files = wf, files

    def chains(self) -> list[str]:
        return list(self.files)

    def dataset(self, wildcards) -> dict:
        return self.wf.dataset_config(wildcards.chain, wildcards.dataset)

    def region_inputs(self, wildcards) -> dict:
        files = self.files[wildcards.chain]
        return {"fasta": files.fasta(wildcards), **files.signal_inputs(wildcards, stage="regions")}

    def region_settings(self, wildcards) -> dict:
        return self.files[wildcards.chain].region_settings(wildcards)

    def target_inputs(self, noise_free: bool = False):
        def function(wildcards) -> dict:
            files = self.files[wildcards.chain]
            return {"regions": f"results/{wildcards.chain}/{wildcards.dataset}/regions.tsv",
                    "fasta": files.fasta(wildcards), **files.signal_inputs(wildcards, noise_free)}
        return function

    def target_threads(self, wildcards) -> int:
        return self.files[wildcards.chain].target_threads

    def target_settings(self, noise_free: bool = False):
        def function(wildcards) -> dict:
            return self.files[wildcards.chain].target_settings(wildcards, noise_free)
        return function
