"""Helpers shared by every chain's rules: dataset entries, downloads, training resources and inputs, reports."""

from __future__ import annotations

import os
from urllib.parse import urlparse

from snakemake.exceptions import WorkflowError

from regformer.chains.registry import chain_models
from regformer.config_check import config_file_name
from regformer.errors import InputError
from regformer.models.registry import (flat_entry, merge_entries, network_name, resolve_model_config,
                                       spec_of_entry)
from regformer.train.devices import plan_devices


def url_filename(url: str) -> str:
    return os.path.basename(urlparse(url).path) or "download"


class WorkflowHelpers:
    """The validated config seen from the rules. `chain_store` / `chain_report_inputs` map a chain to its function
    (wildcards -> {name: path}) of what training and evaluation read / what its report reads beyond metrics."""

    def __init__(self, config: dict, chains: list[str]):
        self.config, self.chains = config, list(chains)
        self.chain_store: dict = {}
        self.chain_report_inputs: dict = {}
        self.config_files = None  # the --configfile files (Snakefile sets them), named in config messages

    # -- datasets and downloads
    def dataset_config(self, chain: str, dataset: str) -> dict:
        """A dataset's settings as its data, evaluation and report rules read them (params): without its
        `models:` (dataset_models), so adding a model to a dataset rebuilds nothing of the others."""
        return {key: value for key, value in self._dataset(chain, dataset).items() if key != "models"}

    def _dataset(self, chain: str, dataset: str) -> dict:
        datasets = self.config[chain]["datasets"]
        if dataset not in datasets:
            raise WorkflowError(f"no dataset {dataset!r} under {chain}.datasets in the config (have: {sorted(datasets)})")
        return datasets[dataset]

    def url_entries(self, chain: str, dataset: str) -> dict:
        """Download file name -> url entry of a dataset. The dataset's own url keeps its basename; a FASTA,
        fragments, map or map's pairs file is prefixed with its role (fasta--, map-NAME--), so two urls with the
        same basename never share a path; a clash that remains is an error before any job runs."""
        ds = self.dataset_config(chain, dataset)
        roles = [("", ds), ("fasta--", ds.get("fasta")), ("fragments--", ds.get("fragments"))]
        for m in ds.get("maps", []):
            roles += [(f"map-{m['name']}--", m), (f"pairs-{m['name']}--", m.get("pairs"))]
        entries: dict = {}
        for prefix, entry in roles:
            if not (isinstance(entry, dict) and "url" in entry):
                continue
            name = prefix + url_filename(entry["url"])
            if name in entries and entries[name] != entry:
                raise WorkflowError(f"{chain}.datasets.{dataset}: two different urls would download to {name}")
            entries[name] = entry
        return entries

    def dataset_urls(self, chain: str, dataset: str) -> dict:
        """filename -> (url, checksum) of every url: entry of a dataset; checksum is 'sha256:HEX' or 'md5:HEX'."""
        return {name: (e["url"], f"md5:{e['md5']}" if "md5" in e else f"sha256:{e['sha256']}")
                for name, e in self.url_entries(chain, dataset).items()}

    def dataset_url(self, wildcards, index: int) -> str:
        urls = self.dataset_urls(wildcards.chain, wildcards.dataset)
        if wildcards.filename not in urls:
            raise WorkflowError(f"{wildcards.chain}.datasets.{wildcards.dataset} has no url ending in {wildcards.filename!r}")
        return urls[wildcards.filename][index]

    def downloaded(self, chain: str, dataset: str, entry: dict | None = None) -> str:
        """Where the `fetch_url` rule puts the url: of a dataset, or of one of its entries (a FASTA, a map)."""
        entries = self.url_entries(chain, dataset)
        entry = entry or self.dataset_config(chain, dataset)
        names = [n for n, e in entries.items() if e is entry] or [n for n, e in entries.items() if e == entry]
        return f"results/downloads/{chain}/{dataset}/{names[0]}"

    # -- models and training jobs
    def dataset_models(self, chain: str, dataset: str) -> dict[str, dict]:
        """Model name -> config entry of every model trained on one dataset: the dataset's own `models:` or,
        without it, the chain's `models:`. A dataset's entry is merged over the chain's entry of the same name, or
        of its network (so enformer_finetuned: {network: enformer, ...} starts from the chain's enformer recipe)."""
        shared = self.config[chain]["models"]
        own = self._dataset(chain, dataset).get("models")
        if own is None:
            return {name: dict(entry or {}) for name, entry in shared.items()}
        return {name: merge_entries(shared.get(name, shared.get(network_name(name, entry))), entry)
                for name, entry in own.items()}

    def check_models(self, chain: str) -> None:
        """Resolve every configured model (the chain's and each dataset's) now, so an unknown model or key fails
        before any job runs."""
        entries = [(f"{chain}.models.{name}", name, entry) for name, entry in self.config[chain]["models"].items()]
        for dataset in self.config[chain]["datasets"]:
            entries += [(f"{chain}.datasets.{dataset}.models.{name}", name, entry)
                        for name, entry in self.dataset_models(chain, dataset).items()]
        for key, name, entry in entries:
            try:
                resolve_model_config(spec_of_entry(chain_models(chain), name, entry), entry)
            except InputError as err:  # its source is a placeholder: name the user's file instead
                raise WorkflowError(f"config file {config_file_name(self.config_files)}: key {key}: "
                                    f"{err.problem}. Fix: {err.fix}") from None

    def accelerator(self) -> str:
        return self.config["trainer"]["accelerator"]

    def device_plan(self):
        """What a training job asks for (regformer.train.devices, the same decision the job's trainer takes): GPUs
        with gpu and with auto (the default), so that `--profile profiles/slurm` sends training to the GPU
        partition and the job trains on the CPU if it finds no GPU; one process per GPU over all nodes. Set
        trainer.accelerator: cpu to send training to the CPU partition."""
        cluster = self.config["cluster"]
        return plan_devices(self.accelerator(), cluster["gpus"], cluster["nodes"])

    def train_resources(self) -> dict:
        """SLURM resources of a training job, from config: GPUs on the GPU partition, or CPUs elsewhere."""
        cluster, plan = self.config["cluster"], self.device_plan()
        resources = {"mem_mb": cluster["train_mem_mb"], "runtime": cluster["train_runtime"], "nodes": cluster["nodes"]}
        signal = cluster["requeue_signal_seconds"]
        if signal:
            resources["slurm_extra"] = f"--signal=USR1@{signal} --requeue"
        if plan.requests_gpus:
            # the plugin asks for --gpus=MODEL:N, a total over the job's nodes. One task per GPU, so the task's CPUs
            # are the GPU's: cpus_per_task (which the plugin prefers to cpus_per_gpu) overrides a profile's default.
            resources.update(slurm_partition=cluster["gpu_partition"], gpu=plan.ranks,
                             gpu_model=cluster["gpu_model"], cpus_per_gpu=cluster["cpus_per_gpu"], tasks_per_gpu=1,
                             cpus_per_task=cluster["cpus_per_gpu"])
            if plan.ranks > 1:
                # the job launches its own srun (regformer.training_job): one task per GPU over all nodes, DDP
                resources.update(mpi="srun", tasks=plan.ranks)
        elif self.accelerator() == "tpu":
            resources.update(slurm_partition=cluster["tpu_partition"], cpus_per_task=cluster["train_cpus"])
        else:
            resources.update(slurm_partition=cluster["cpu_partition"], cpus_per_task=cluster["train_cpus"])
        return resources

    def train_container(self) -> str:
        return self.config["cluster"]["tpu_container" if self.accelerator() == "tpu" else "train_container"]

    def train_params(self) -> dict:
        """params: of the training rule: the model's config entry, the trainer section, and the job's GPUs per node
        and nodes (cluster.gpus, cluster.nodes), which regformer.training_job plans from as train_resources does."""
        config = self.config

        def model_config(wc):
            return self.dataset_models(wc.chain, wc.dataset)[wc.model]

        return dict(model_config=model_config, trainer=config["trainer"], seed=config["seed"],
                    gpus=config["cluster"]["gpus"], nodes=config["cluster"]["nodes"])

    # -- what each stage reads
    def store_inputs(self, wildcards) -> dict:
        """The chain's store (and what comes with it) for one model configured on that dataset."""
        models = self.dataset_models(wildcards.chain, wildcards.dataset)
        if wildcards.model not in models:
            raise WorkflowError(f"{wildcards.model} is not configured for {wildcards.chain} dataset "
                                f"{wildcards.dataset} (have: {sorted(models)})")
        return self.chain_store[wildcards.chain](wildcards)

    def init_inputs(self, wildcards) -> dict:
        """A local file a model's train.init names (e.g. a model.pt this workflow trains on another dataset), as
        an input of its training job, so Snakemake builds or checks it first; a url is fetched by the job."""
        entry = self.dataset_models(wildcards.chain, wildcards.dataset).get(wildcards.model)
        init = flat_entry(entry).get("init")
        weights = init.get("weights") if isinstance(init, dict) else None
        if not isinstance(weights, str) or "://" in weights:
            return {}
        return {"init_weights": weights}

    def report_inputs(self, wildcards) -> dict:
        chain, dataset = wildcards.chain, wildcards.dataset
        metrics = [f"results/{chain}/{dataset}/{model}/metrics.json" for model in self.dataset_models(chain, dataset)]
        return {"metrics": metrics, **self.chain_report_inputs[chain](wildcards)}

    def chain_reports(self) -> list[str]:
        return [f"results/{chain}/{dataset}/report.html" for chain in self.chains
                for dataset in self.config[chain]["datasets"]]

    def model_names(self) -> list[str]:
        """Every configured model of every chain and dataset (the `model` wildcard's values)."""
        return sorted({model for chain in self.chains for dataset in self.config[chain]["datasets"]
                       for model in self.dataset_models(chain, dataset)} |
                      {model for chain in self.chains for model in self.config[chain]["models"]})
