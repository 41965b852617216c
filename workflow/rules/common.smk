# Helpers shared by every chain: wildcard constraints, config checks, downloads.
import os
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


def dataset_config(task, dataset):
    datasets = config[task]["datasets"]
    if dataset not in datasets:
        raise WorkflowError(f"no dataset {dataset!r} under {task}.datasets in the config (have: {sorted(datasets)})")
    return datasets[dataset]


def url_filename(url):
    return os.path.basename(urlparse(url).path) or "download"


def downloaded(task, dataset):
    """Where the `fetch_url` rule puts a dataset's url: download."""
    ds = dataset_config(task, dataset)
    return f"results/downloads/{task}/{dataset}/{url_filename(ds['url'])}"


rule fetch_url:
    output:
        "results/downloads/{task}/{dataset}/{filename}",
    log:
        "results/logs/{task}/{dataset}/fetch_{filename}.log",
    params:
        url=lambda wc: dataset_config(wc.task, wc.dataset)["url"],
        sha256=lambda wc: dataset_config(wc.task, wc.dataset)["sha256"],
    retries: 1
    conda:
        REGFORMER_ENV
    script:
        "../scripts/fetch_url.py"
