"""The promoter chain's rules (workflow/rules/promoter.smk): where a dataset's library comes from, its store, its
report's inputs."""

from __future__ import annotations


class PromoterFiles:
    """The rules' view of the promoter chain. `wf` is the Snakefile's WorkflowHelpers."""

    predict_suffix = "tsv"  # what the apply stage's predict writes

    def __init__(self, wf):
        self.wf = wf

    def apply_inputs(self, wildcards) -> dict:
        """What the apply stages read beside the model: nothing."""
        return {}

    def store(self, wildcards) -> dict:
        return {"store": f"results/promoter/{wildcards.dataset}/prepared/sequences.h5"}

    def report_inputs(self, wildcards) -> dict:
        return {"summary": f"results/promoter/{wildcards.dataset}/prepared/summary.json"}

    def prepare_inputs(self, wildcards) -> dict:
        ds = self.wf.dataset_config("promoter", wildcards.dataset)
        if "synthetic" in ds:
            raw = f"results/promoter/{wildcards.dataset}/raw/library.txt"
            return {"library": raw, "noise_free": f"results/promoter/{wildcards.dataset}/raw/noise_free.txt"}
        if "path" in ds:
            return {"library": ds["path"]}
        return {"library": self.wf.downloaded("promoter", wildcards.dataset)}
