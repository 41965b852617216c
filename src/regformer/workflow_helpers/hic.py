"""The Hi-C chain's rules: a dataset's maps, FASTA and coolers (simulated, downloaded or local), store, report."""

from __future__ import annotations

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
        uris = {}
        for m in ds["maps"]:
            if "uri" in m:
                uris[m["name"]] = m["uri"]
            else:
                path = self.wf.downloaded("hic", dataset, m)
                uris[m["name"]] = f"{path}::resolutions/{m['resolution']}" if "resolution" in m else path
        return uris

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
