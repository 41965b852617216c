"""The genomic-track chain's rules: a dataset's FASTA, targets table and bigWigs, store, report inputs."""

from __future__ import annotations

import csv

from snakemake.io import expand

from regformer.workflow_helpers.common import WorkflowHelpers

SYNTHETIC_TRACKS = ["dnase", "chip", "cage"]  # what the demo generator writes (regformer.chains.tracks.synthetic)


class TracksFiles:
    def __init__(self, wf: WorkflowHelpers):
        self.wf = wf

    def fasta(self, wildcards) -> str:
        ds = self.wf.dataset_config("tracks", wildcards.dataset)
        if "synthetic" in ds:
            return f"results/tracks/{wildcards.dataset}/raw/genome.fa"
        if isinstance(ds["fasta"], str):
            return ds["fasta"]
        return self.wf.downloaded("tracks", wildcards.dataset, ds["fasta"])

    def table(self, wildcards, noise_free: bool = False) -> str:
        ds = self.wf.dataset_config("tracks", wildcards.dataset)
        if "synthetic" in ds:
            return f"results/tracks/{wildcards.dataset}/raw/targets{'_noise_free' if noise_free else ''}.tsv"
        return ds["targets"]

    def noise_free_table(self, wildcards) -> str:
        return self.table(wildcards, noise_free=True)

    def _table_column(self, ds: dict, column: str) -> list[str]:
        with open(ds["targets"]) as fh:
            return [row[column] for row in csv.DictReader(fh, delimiter="\t")]

    def names(self, dataset: str) -> list[str]:
        """Track identifiers of a dataset, in table order (read from the targets table of a real dataset)."""
        ds = self.wf.dataset_config("tracks", dataset)
        return SYNTHETIC_TRACKS if "synthetic" in ds else self._table_column(ds, "identifier")

    def bigwigs(self, wildcards, noise_free: bool = False) -> list[str]:
        """The bigWig files of the dataset's targets table (the synthetic ones once simulated)."""
        ds = self.wf.dataset_config("tracks", wildcards.dataset)
        if "synthetic" in ds:
            kind = ".noise_free" if noise_free else ""
            return [f"results/tracks/{wildcards.dataset}/raw/{t}{kind}.bw" for t in SYNTHETIC_TRACKS]
        return self._table_column(ds, "file")

    def noise_free_bigwigs(self, wildcards) -> list[str]:
        return self.bigwigs(wildcards, noise_free=True)

    def store(self, wildcards) -> dict:
        return {"store": f"results/tracks/{wildcards.dataset}/targets.h5", "fasta": self.fasta(wildcards)}

    def report_inputs(self, wildcards) -> dict:
        d, models = wildcards.dataset, list(self.wf.config["tracks"]["models"])
        inputs = {
            "store": f"results/tracks/{d}/targets.h5",
            "models": expand(f"results/tracks/{d}/{{m}}/model.pt", m=models),
            "predictions": expand(f"results/tracks/{d}/{{m}}/predictions.h5", m=models),
            "bigwigs": expand(f"results/tracks/{d}/{{m}}/predicted_{{track}}.bw", m=models, track=self.names(d)),
        }
        if "synthetic" in self.wf.dataset_config("tracks", d):
            inputs["ceiling"] = f"results/tracks/{d}/noise_ceiling/metrics.json"
        return inputs
