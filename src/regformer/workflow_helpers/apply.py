"""What the apply rules ask of the config: each chain's `apply:` block (dataset -> stage -> name -> input).

An entry is a path (a file, or `test` for the dataset's test split where the chain supports it) or a mapping
{input: path, ...settings}. Outputs: results/{chain}/{dataset}/{model}/{stage}/{name}.{ext}; each chain's
report waits for its dataset's outputs (of every configured model) and links them. What differs by chain (the
predict file's suffix, extra inputs beside the model) comes from each chain's rule helper (chains/<chain>/workflow.py).
"""

from __future__ import annotations

from snakemake.exceptions import WorkflowError

from regformer.chains.registry import workflow_files
from regformer.workflow_helpers.common import WorkflowHelpers

STAGE_SUFFIX = {"variants": "tsv", "explain": "h5"}


class ApplyFiles:
    """`files`: chain -> its rule helper (predict_suffix, apply_inputs); built from the registry when not given."""

    def __init__(self, wf: WorkflowHelpers, files: dict | None = None):
        self.wf = wf
        self.files = files if files is not None else {chain: workflow_files(chain, wf) for chain in wf.chains}

    def entries(self, chain: str, dataset: str, stage: str) -> dict:
        return ((self.wf.config.get(chain) or {}).get("apply") or {}).get(dataset, {}).get(stage) or {}

    def entry(self, wildcards, stage: str) -> dict:
        entries = self.entries(wildcards.chain, wildcards.dataset, stage)
        if wildcards.name not in entries:
            raise WorkflowError(f"no {wildcards.chain}.apply.{wildcards.dataset}.{stage}.{wildcards.name} in the "
                                f"config (have: {sorted(entries)})")
        entry = entries[wildcards.name]
        return dict(entry) if isinstance(entry, dict) else {"input": entry}

    def inputs(self, stage: str):
        """input: function of a stage's rule: the model, the input file, and the store for `test`."""
        def function(wildcards) -> dict:
            source = self.entry(wildcards, stage)["input"]
            files = {"model": f"results/{wildcards.chain}/{wildcards.dataset}/{wildcards.model}/model.pt",
                     **self.files[wildcards.chain].apply_inputs(wildcards)}
            if source == "test":
                files["data"] = self.wf.store_inputs(wildcards)["store"]
            else:
                files["data"] = source
            return files
        return function

    def settings(self, stage: str):
        def function(wildcards) -> dict:
            entry = self.entry(wildcards, stage)
            return {"input": entry.pop("input"), "settings": entry}
        return function

    def outputs(self, chain: str, dataset: str) -> list[str]:
        """Every apply output of one dataset: each stage and name, for the block's `models` (default: all)."""
        out = []
        block = ((self.wf.config.get(chain) or {}).get("apply") or {}).get(dataset, {})
        for model in block.get("models") or self.wf.dataset_models(chain, dataset):
            base = f"results/{chain}/{dataset}/{model}"
            for stage in ("predict", "variants", "explain"):
                suffix = self.files[chain].predict_suffix if stage == "predict" else STAGE_SUFFIX[stage]
                out += [f"{base}/{stage}/{name}.{suffix}" for name in self.entries(chain, dataset, stage)]
        return out

    def with_outputs(self, chain: str, report_inputs):
        """The chain's report inputs plus its dataset's apply outputs (so the report can link them)."""
        def function(wildcards) -> dict:
            return {**report_inputs(wildcards), "apply": self.outputs(chain, wildcards.dataset)}
        return function
