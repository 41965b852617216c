"""The genomic-track chain's rules (workflow/rules/tracks.smk and the shared genome_windows.smk): a dataset's
FASTA, targets table and bigWigs, store, report inputs; write_regions / write_targets are what the shared regions
and targets rules run for tracks (their imports are inside, so the job graph stays light)."""

from __future__ import annotations

import csv

from regformer.chains.tracks.synthetic_signal import TRACKS
from regformer.errors import InputError
from regformer.names import check_names
from regformer.workflow_helpers.genome import GenomeChainFiles

SYNTHETIC_TRACKS = list(TRACKS)  # what the demo generator writes (regformer.chains.tracks.synthetic)


def kept_tracks(names: list[str], wanted: list[str] | None, source) -> list[str]:
    """The dataset's tracks: every one of `names` (table order), or those its `tracks:` lists; an identifier it
    lists that the table (or the simulation) lacks is an error naming the ones there are."""
    if not wanted:
        return list(names)
    unknown = [name for name in wanted if name not in names]
    if unknown:
        raise InputError(source, f"has no track(s) {unknown} that the dataset's tracks: lists",
                         f"list some of {names}, or leave tracks: out for all of them")
    return [name for name in names if name in wanted]


class TracksFiles(GenomeChainFiles):
    chain = "tracks"

    def table(self, wildcards, noise_free: bool = False) -> str:
        ds = self.wf.dataset_config("tracks", wildcards.dataset)
        if "synthetic" in ds:
            return f"results/tracks/{wildcards.dataset}/raw/targets{'_noise_free' if noise_free else ''}.tsv"
        return ds["targets"]

    def tracks(self, dataset: str, noise_free: bool = False) -> dict[str, str]:
        """Identifier -> bigWig of the dataset's tracks, in table (or simulation) order, only those its `tracks:`
        lists when it lists some; a real dataset's targets table is read once."""
        ds = self.wf.dataset_config("tracks", dataset)
        if "synthetic" in ds:
            kind = ".noise_free" if noise_free else ""
            files = {t: f"results/tracks/{dataset}/raw/{t}{kind}.bw" for t in SYNTHETIC_TRACKS}
        else:
            with open(ds["targets"]) as fh:
                rows = list(csv.DictReader(fh, delimiter="\t"))
            names = check_names([row["identifier"].strip() for row in rows], "track identifier", ds["targets"])
            files = dict(zip(names, (row["file"] for row in rows)))
        kept = kept_tracks(list(files), ds.get("tracks"), ds.get("targets", f"tracks.datasets.{dataset}"))
        return {name: files[name] for name in kept}

    def names(self, dataset: str) -> list[str]:
        """Track identifiers of a dataset (see tracks)."""
        return list(self.tracks(dataset))

    def bigwigs(self, wildcards, noise_free: bool = False) -> list[str]:
        """The bigWig files of the dataset's tracks (the synthetic ones once simulated)."""
        return list(self.tracks(wildcards.dataset, noise_free).values())

    def signal_inputs(self, wildcards, noise_free: bool = False, stage: str = "targets") -> dict:
        """The regions rule reads the bigWigs (their chromosomes); the targets rules also the targets table."""
        bigwigs = {"bigwigs": self.bigwigs(wildcards, noise_free)}
        return bigwigs if stage == "regions" else {"table": self.table(wildcards, noise_free), **bigwigs}

    def report_inputs(self, wildcards) -> dict:
        d = wildcards.dataset
        return self.report_inputs_with(d, {"models": "model.pt", "predictions": "predictions.h5",
                                           "bigwigs": "predicted_{track}.bw"}, track=self.names(d))


def write_regions(input, output, params, threads) -> None:
    """Contigs of the genome -> windows -> train/val/test, capped to the bigWigs' chromosomes."""
    from regformer.chains.tracks.regions import define_track_regions

    ds = params.dataset
    define_track_regions(input.fasta, list(input.bigwigs), output.regions,
                         bin_size=ds["bin_size"], seq_length=ds["seq_length"], train_stride=ds["train_stride"],
                         eval_stride=ds["eval_stride"], valid_chroms=ds.get("valid_chroms"),
                         test_chroms=ds.get("test_chroms"), valid_fraction=ds["valid_fraction"],
                         test_fraction=ds["test_fraction"], chromosomes=ds.get("chromosomes"),
                         aliases=ds.get("aliases"), blacklist_bed=ds.get("blacklist"), min_gap=ds["min_gap"],
                         seed=ds["split_seed"], valid_regions=ds.get("valid_regions"),
                         test_regions=ds.get("test_regions"))


def write_targets(input, output, params, threads) -> None:
    """Basenji-style binned targets of every window and track (pyBigWig, block reads)."""
    from regformer.chains.tracks.targets import build_track_targets

    from regformer.chains.tracks.targets import read_targets_table

    ds = params.dataset
    table = read_targets_table(input.table)
    table = table[table["identifier"].isin(kept_tracks(list(table["identifier"]), ds.get("tracks"), input.table))]
    build_track_targets(table.reset_index(drop=True), input.regions, output.store,
                        fasta=input.fasta, bin_size=ds["bin_size"], crop=ds["crop"],
                        blacklist_bed=ds.get("blacklist"), aliases=ds.get("aliases"))
