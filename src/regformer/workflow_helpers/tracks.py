"""The genomic-track chain's rules: a dataset's FASTA, targets table and bigWigs, store, report inputs."""

from __future__ import annotations

import csv

from regformer.names import check_names
from regformer.workflow_helpers.genome import GenomeChainFiles

SYNTHETIC_TRACKS = ["dnase", "chip", "cage"]  # what the demo generator writes (regformer.chains.tracks.synthetic)


class TracksFiles(GenomeChainFiles):
    chain = "tracks"

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
        if "synthetic" in ds:
            return SYNTHETIC_TRACKS
        return check_names([n.strip() for n in self._table_column(ds, "identifier")], "track identifier", ds["targets"])

    def bigwigs(self, wildcards, noise_free: bool = False) -> list[str]:
        """The bigWig files of the dataset's targets table (the synthetic ones once simulated)."""
        ds = self.wf.dataset_config("tracks", wildcards.dataset)
        if "synthetic" in ds:
            kind = ".noise_free" if noise_free else ""
            return [f"results/tracks/{wildcards.dataset}/raw/{t}{kind}.bw" for t in SYNTHETIC_TRACKS]
        return self._table_column(ds, "file")

    def noise_free_bigwigs(self, wildcards) -> list[str]:
        return self.bigwigs(wildcards, noise_free=True)

    def report_inputs(self, wildcards) -> dict:
        d = wildcards.dataset
        return self.report_inputs_with(d, {"models": "model.pt", "predictions": "predictions.h5",
                                           "bigwigs": "predicted_{track}.bw"}, track=self.names(d))
