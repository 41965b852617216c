"""The Hi-C chain's rules: a dataset's maps, FASTA and coolers (simulated, downloaded or local), store, report."""

from __future__ import annotations

from regformer.chains.hic.maps import usable_as_is
from regformer.workflow_helpers.genome import GenomeChainFiles


class HicFiles(GenomeChainFiles):
    chain = "hic"

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

    def noise_free_cooler_files(self, wildcards) -> list[str]:
        return self.cooler_files(wildcards, noise_free=True)

    def clips(self, dataset: str) -> list[float]:
        ds = self.wf.dataset_config("hic", dataset)
        return [2.0] * len(self.maps(dataset)) if "synthetic" in ds else [m["clip"] for m in ds["maps"]]

    def report_inputs(self, wildcards) -> dict:
        d = wildcards.dataset
        return self.report_inputs_with(d, {"predictions": "predictions.h5", "cools": "predicted_{map}.cool"},
                                       map=self.maps(d))
