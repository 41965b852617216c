"""The Hi-C chain's rules (workflow/rules/hic.smk and the shared genome_windows.smk): a dataset's maps, FASTA and
coolers (simulated, downloaded or local), store, report; write_regions / write_targets are what the shared
regions and targets rules run for Hi-C (their imports are inside, so the job graph stays light)."""

from __future__ import annotations

from regformer.workflow_helpers.genome import GenomeChainFiles


def config_problems(section: dict) -> list[str]:
    """What the schema cannot check in the config's hic section: a synthetic dataset simulates contacts far
    enough from the diagonal to fill its windows' maps. Each problem: key path, what is wrong, the fix."""
    problems = []
    for dataset, ds in (section.get("datasets") or {}).items():
        synthetic = ds.get("synthetic") if isinstance(ds, dict) else None
        if not isinstance(synthetic, dict) or not all(k in ds for k in ("seq_length", "bin_size")):
            continue
        window_bins = ds["seq_length"] // ds["bin_size"]
        reach = synthetic.get("max_distance_bins", 320)
        if reach < window_bins:
            problems.append(f"hic.datasets.{dataset}.synthetic.max_distance_bins: {reach} is below the window's "
                            f"{window_bins} bins (seq_length {ds['seq_length']} / bin_size {ds['bin_size']}), so the "
                            f"maps' far corners would hold no contacts\n"
                            f"  fix: set max_distance_bins to at least {window_bins}")
    return problems


class HicFiles(GenomeChainFiles):
    chain = "hic"
    target_threads = 2  # write_targets' worker processes

    def maps(self, dataset: str) -> list[str]:
        """Map names of a dataset, in store order."""
        ds = self.wf.dataset_config("hic", dataset)
        if "synthetic" in ds:
            return list(ds["synthetic"]["maps"])
        return [m["name"] for m in ds["maps"]]

    def cooler_uris(self, dataset: str, noise_free: bool = False) -> dict[str, str]:
        """Map name -> cooler URI (FILE.cool or FILE.mcool::resolutions/N)."""
        ds = self.wf.dataset_config("hic", dataset)
        if "synthetic" in ds:
            kind = "noise_free.mcool" if noise_free else "mcool"
            return {m: f"results/hic/{dataset}/raw/{m}.{kind}::resolutions/{ds['bin_size']}" for m in self.maps(dataset)}
        return {m["name"]: self._cooler_uri(dataset, m, ds["bin_size"]) for m in ds["maps"]}

    def _cooler_uri(self, dataset: str, m: dict, bin_size: int) -> str:
        """A local balanced cooler at bin_size is read where it is; anything else is prepared by rule hic_map."""
        if "uri" in m and "balance" not in m:
            from regformer.chains.hic.maps import usable_as_is  # cooler (and torch, via io.fasta): real maps only

            direct = usable_as_is(m["uri"], bin_size)
            if direct:
                return direct
        return f"results/hic/{dataset}/maps/{m['name']}.cool"

    def map_config(self, wildcards) -> dict:
        ds = self.wf.dataset_config("hic", wildcards.dataset)
        found = [m for m in ds.get("maps", []) if m["name"] == wildcards.map]
        if not found:
            raise ValueError(f"hic.datasets.{wildcards.dataset} has no map {wildcards.map!r}")
        return found[0]

    def map_source(self, wildcards) -> dict:
        """What rule hic_map reads: kind (pairs | cooler), uri (a path, or FILE.mcool::resolutions/N) and file."""
        m, d = self.map_config(wildcards), wildcards.dataset
        if "pairs" in m:
            pairs = m["pairs"]
            path = pairs if isinstance(pairs, str) else self.wf.downloaded("hic", d, pairs)
            return {"kind": "pairs", "uri": path, "file": path}
        uri = m["uri"] if "uri" in m else self.wf.downloaded("hic", d, m)
        if "url" in m and "resolution" in m:
            uri = f"{uri}::resolutions/{m['resolution']}"
        return {"kind": "cooler", "uri": uri, "file": uri.split("::")[0]}

    def map_file(self, wildcards) -> str:
        return self.map_source(wildcards)["file"]

    def cooler_files(self, wildcards, noise_free: bool = False) -> list[str]:
        return sorted({uri.split("::")[0] for uri in self.cooler_uris(wildcards.dataset, noise_free).values()})

    def signal_inputs(self, wildcards, noise_free: bool = False, stage: str = "targets") -> dict:
        return {"coolers": self.cooler_files(wildcards, noise_free)}

    def region_settings(self, wildcards) -> dict:
        return {"uris": self.cooler_uris(wildcards.dataset)}

    def target_settings(self, wildcards, noise_free: bool = False) -> dict:
        return {"uris": self.cooler_uris(wildcards.dataset, noise_free), "clips": self.clips(wildcards.dataset)}

    def clips(self, dataset: str) -> list[float]:
        ds = self.wf.dataset_config("hic", dataset)
        return [2.0] * len(self.maps(dataset)) if "synthetic" in ds else [m["clip"] for m in ds["maps"]]

    def report_inputs(self, wildcards) -> dict:
        d = wildcards.dataset
        return self.report_inputs_with(d, {"predictions": "predictions.h5", "cools": "predicted_{map}.cool"},
                                       map=self.maps(d))


def write_regions(input, output, params, threads) -> None:
    """Contigs of the genome -> windows -> train/val/test, minus windows with too many filtered bins."""
    from regformer.chains.hic.regions import define_regions

    ds = params.dataset
    define_regions(input.fasta, params.extra["uris"], output.regions,
                   bin_size=ds["bin_size"], seq_length=ds["seq_length"], train_stride=ds["train_stride"],
                   eval_stride=ds["eval_stride"], valid_chroms=ds.get("valid_chroms"), test_chroms=ds.get("test_chroms"),
                   valid_fraction=ds["valid_fraction"], test_fraction=ds["test_fraction"],
                   chromosomes=ds.get("chromosomes"), aliases=ds.get("aliases"), blacklist_bed=ds.get("blacklist"),
                   min_gap=ds["min_gap"], max_filtered_fraction=ds["max_filtered_fraction"],
                   length_tolerance=ds["length_tolerance"], seed=ds["split_seed"])


def write_targets(input, output, params, threads) -> None:
    """Akita targets (log obs/exp, smoothed, cropped upper triangle) for every window and map."""
    from regformer.chains.hic.targets import build_targets_from_regions

    ds, extra = params.dataset, params.extra
    build_targets_from_regions(input.regions, extra["uris"], output.store,
                               fasta=input.fasta, bin_size=ds["bin_size"], crop=ds["crop"],
                               diagonal_offset=ds["diagonal_offset"], workers=threads,
                               log_clips=extra["clips"], sigma=ds["sigma"], width=ds["smoothing_width"],
                               coarsegrain_cutoff=ds["coarsegrain_cutoff"], max_levels=ds["coarsegrain_levels"])
