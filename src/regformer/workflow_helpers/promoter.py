"""The promoter chain's rules: where a dataset's library comes from, its store, its report's inputs."""

from __future__ import annotations

from regformer.workflow_helpers.common import WorkflowHelpers


class PromoterFiles:
    def __init__(self, wf: WorkflowHelpers):
        self.wf = wf

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
