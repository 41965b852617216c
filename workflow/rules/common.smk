# Helpers shared by every chain: wildcard constraints, config checks, downloads.
import os
import sys
from urllib.parse import urlparse

from regformer.errors import InputError
from regformer.models.registry import resolve_model_config

REGFORMER_ENV = "../../envs/regformer.yaml"


wildcard_constraints:
    dataset="[A-Za-z0-9_.-]+",
    task="[a-z]+",


def check_models(task):
    """Resolve every configured model now, so an unknown key fails before any job runs."""
    for name, settings in config[task]["models"].items():
        try:
            resolve_model_config(name, settings, task=task)
        except InputError as err:
            raise WorkflowError(f"config key {task}.models.{name}: {err}") from None


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


# Training runs `regformer train`: under SLURM, a job with several GPUs starts it through srun (one task
# per GPU, DDP); on one GPU or CPU it runs directly.
TRAIN_COMMAND = (
    'export PATH={params.bindir:q}:"$PATH"; launcher=""; if [ -n "${{SLURM_JOB_ID:-}}" ] && [ {params.ranks} -gt 1 ]; then launcher=srun; fi; '
    "$launcher regformer train {params.task} --store {input.store} --model {params.model} "
    "--output {output.model} --model-config {params.model_config:q} --trainer {params.trainer:q} "
    "--gpus {params.gpus} --nodes {params.nodes} --threads {threads} --seed {params.seed} --log {log}"
)


def train_params(task, model_wildcard="model"):
    """params: of a training rule (JSON strings for the command line)."""
    import json

    gpus = config["cluster"]["gpus"] if accelerator() == "gpu" else 0
    model_config = lambda wc: json.dumps(config[task]["models"][wc[model_wildcard]] or {})
    return dict(task=task, model=lambda wc: wc[model_wildcard], bindir=os.path.dirname(sys.executable),
                model_config=model_config,
                trainer=json.dumps(config["trainer"]), seed=config["seed"], ranks=train_ranks(), gpus=gpus,
                nodes=config["cluster"]["nodes"])


def train_container():
    return config["cluster"]["tpu_container" if accelerator() == "tpu" else "train_container"]


def dataset_config(task, dataset):
    datasets = config[task]["datasets"]
    if dataset not in datasets:
        raise WorkflowError(f"no dataset {dataset!r} under {task}.datasets in the config (have: {sorted(datasets)})")
    return datasets[dataset]


def url_filename(url):
    return os.path.basename(urlparse(url).path) or "download"


def dataset_urls(task, dataset):
    """filename -> (url, sha256) of every url: entry of a dataset (the dataset itself, its fasta, its maps)."""
    ds = dataset_config(task, dataset)
    entries = [ds, ds.get("fasta"), *ds.get("maps", [])]
    return {url_filename(e["url"]): (e["url"], e["sha256"]) for e in entries if isinstance(e, dict) and "url" in e}


def dataset_url(wildcards, index):
    urls = dataset_urls(wildcards.task, wildcards.dataset)
    if wildcards.filename not in urls:
        raise WorkflowError(f"{wildcards.task}.datasets.{wildcards.dataset} has no url ending in {wildcards.filename!r}")
    return urls[wildcards.filename][index]


def downloaded(task, dataset, entry=None):
    """Where the `fetch_url` rule puts the url: of a dataset, or of one of its entries (a FASTA, a map)."""
    entry = entry or dataset_config(task, dataset)
    return f"results/downloads/{task}/{dataset}/{url_filename(entry['url'])}"


rule fetch_url:
    output:
        "results/downloads/{task}/{dataset}/{filename}",
    log:
        "results/logs/{task}/{dataset}/fetch_{filename}.log",
    params:
        url=lambda wc: dataset_url(wc, 0),
        sha256=lambda wc: dataset_url(wc, 1),
    retries: 1
    conda:
        REGFORMER_ENV
    script:
        "../scripts/fetch_url.py"
