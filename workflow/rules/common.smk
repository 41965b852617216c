# Helpers shared by every chain: wildcard constraints, config checks, cluster resources, downloads.
import os
import sys
from urllib.parse import urlparse

from regformer.chains.registry import chain_models
from regformer.errors import InputError
from regformer.models.registry import get_spec, resolve_model_config

REGFORMER_ENV = "../../envs/regformer.yaml"


wildcard_constraints:
    dataset="[A-Za-z0-9_.-]+",
    chain="|".join(CONFIGURED_CHAINS),


def check_models(chain):
    """Resolve every configured model now, so an unknown model or key fails before any job runs."""
    for name, settings in config[chain]["models"].items():
        try:
            resolve_model_config(get_spec(chain_models(chain), name), settings)
        except InputError as err:
            raise WorkflowError(f"config key {chain}.models.{name}: {err}") from None


def accelerator():
    return config["trainer"]["accelerator"]


def train_resources():
    """SLURM resources of a training job, from config: GPUs on the GPU partition, or CPUs elsewhere."""
    cluster = config["cluster"]
    resources = {"mem_mb": cluster["train_mem_mb"], "runtime": cluster["train_runtime"], "nodes": cluster["nodes"]}
    signal = cluster["requeue_signal_seconds"]
    if signal:
        resources["slurm_extra"] = f"--signal=USR1@{signal} --requeue"
    if accelerator() == "gpu":
        # the plugin asks for --gpus=MODEL:N, a total over the job's nodes
        resources.update(slurm_partition=cluster["gpu_partition"], gpu=train_ranks(), gpu_model=cluster["gpu_model"],
                         cpus_per_gpu=cluster["cpus_per_gpu"], tasks_per_gpu=1)
        if train_ranks() > 1:
            # the job launches its own srun: one task per GPU over all nodes, and Lightning runs DDP
            resources.update(mpi="srun", tasks=train_ranks())
    elif accelerator() == "tpu":
        resources.update(slurm_partition=cluster["tpu_partition"], cpus_per_task=cluster["train_cpus"])
    else:
        resources.update(slurm_partition=cluster["cpu_partition"], cpus_per_task=cluster["train_cpus"])
    return resources


def train_ranks():
    """Processes of one training job: one per GPU over all nodes (1 on CPUs and TPUs)."""
    cluster = config["cluster"]
    return cluster["gpus"] * cluster["nodes"] if accelerator() == "gpu" else 1


def train_container():
    return config["cluster"]["tpu_container" if accelerator() == "tpu" else "train_container"]


def dataset_config(chain, dataset):
    datasets = config[chain]["datasets"]
    if dataset not in datasets:
        raise WorkflowError(f"no dataset {dataset!r} under {chain}.datasets in the config (have: {sorted(datasets)})")
    return datasets[dataset]


def url_filename(url):
    return os.path.basename(urlparse(url).path) or "download"


def dataset_urls(chain, dataset):
    """filename -> (url, sha256) of every url: entry of a dataset (the dataset itself, its fasta, its maps)."""
    ds = dataset_config(chain, dataset)
    entries = [ds, ds.get("fasta"), ds.get("fragments"), *ds.get("maps", [])]
    return {url_filename(e["url"]): (e["url"], e["sha256"]) for e in entries if isinstance(e, dict) and "url" in e}


def dataset_url(wildcards, index):
    urls = dataset_urls(wildcards.chain, wildcards.dataset)
    if wildcards.filename not in urls:
        raise WorkflowError(f"{wildcards.chain}.datasets.{wildcards.dataset} has no url ending in {wildcards.filename!r}")
    return urls[wildcards.filename][index]


def downloaded(chain, dataset, entry=None):
    """Where the `fetch_url` rule puts the url: of a dataset, or of one of its entries (a FASTA, a map)."""
    entry = entry or dataset_config(chain, dataset)
    return f"results/downloads/{chain}/{dataset}/{url_filename(entry['url'])}"


rule fetch_url:
    output:
        "results/downloads/{chain}/{dataset}/{filename}",
    log:
        "results/logs/{chain}/{dataset}/fetch_{filename}.log",
    params:
        url=lambda wc: dataset_url(wc, 0),
        sha256=lambda wc: dataset_url(wc, 1),
    retries: 1
    conda:
        REGFORMER_ENV
    script:
        "../scripts/fetch_url.py"
