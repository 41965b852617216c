# Shared stages of every chain: train, evaluate and report any configured model on any chain's store, under
# results/{chain}/{dataset}/{model}/. A chain's own rules file registers where its store is (CHAIN_STORE) and
# what else its report reads (CHAIN_REPORT_INPUTS); nothing here names a chain.

CHAIN_STORE = {}  # chain -> function(wildcards) -> {"store": path, ...}: what training and evaluation read
CHAIN_REPORT_INPUTS = {}  # chain -> function(wildcards) -> {name: path(s)}: the report's inputs beyond metrics

for _chain in CONFIGURED_CHAINS:
    check_models(_chain)


wildcard_constraints:
    model="|".join(sorted({model for chain in CONFIGURED_CHAINS for model in config[chain]["models"]})),


def chain_reports():
    return [f"results/{chain}/{dataset}/report.html" for chain in CONFIGURED_CHAINS
            for dataset in config[chain]["datasets"]]


def store_inputs(wildcards):
    """The chain's store (and what comes with it) for one configured model of that chain."""
    if wildcards.model not in config[wildcards.chain]["models"]:
        raise WorkflowError(f"{wildcards.model} is not configured under {wildcards.chain}.models"
                            f" (have: {sorted(config[wildcards.chain]['models'])})")
    return CHAIN_STORE[wildcards.chain](wildcards)


def train_params():
    """params: of the training rule (JSON strings for the command line)."""
    import json

    gpus = config["cluster"]["gpus"] if accelerator() == "gpu" else 0
    model_config = lambda wc: json.dumps(config[wc.chain]["models"][wc.model] or {})
    return dict(bindir=os.path.dirname(sys.executable), model_config=model_config, trainer=json.dumps(config["trainer"]),
                seed=config["seed"], ranks=train_ranks(), gpus=gpus, nodes=config["cluster"]["nodes"])


# Training runs `regformer train`: under SLURM, a job with several GPUs starts it through srun (one task
# per GPU, DDP); on one GPU or CPU it runs directly.
TRAIN_COMMAND = (
    'export PATH={params.bindir:q}:"$PATH"; launcher=""; if [ -n "${{SLURM_JOB_ID:-}}" ] && [ {params.ranks} -gt 1 ]; then launcher=srun; fi; '
    "$launcher regformer train {wildcards.chain} --store {input.store} --model {wildcards.model} "
    "--output {output.model} --model-config {params.model_config:q} --trainer {params.trainer:q} "
    "--gpus {params.gpus} --nodes {params.nodes} --threads {threads} --seed {params.seed} --log {log}"
)


rule train_model:
    input:
        unpack(store_inputs),
    output:
        model="results/{chain}/{dataset}/{model}/model.pt",
    log:
        "results/logs/{chain}/{dataset}/{model}/train.log",
    params:
        **train_params(),
    threads: config["cluster"]["train_cpus"]
    resources:
        **train_resources(),
    container:
        train_container()
    shell:
        TRAIN_COMMAND


rule evaluate_model:
    input:
        unpack(store_inputs),
        model="results/{chain}/{dataset}/{model}/model.pt",
    output:
        metrics="results/{chain}/{dataset}/{model}/metrics.json",
        predictions="results/{chain}/{dataset}/{model}/predictions.h5",
    log:
        "results/logs/{chain}/{dataset}/{model}/evaluate.log",
    params:
        settings=lambda wc: dataset_config(wc.chain, wc.dataset),
        seed=config["seed"],
    conda:
        REGFORMER_ENV
    script:
        "../scripts/evaluate_model.py"


def report_inputs(wildcards):
    chain, dataset = wildcards.chain, wildcards.dataset
    metrics = [f"results/{chain}/{dataset}/{model}/metrics.json" for model in config[chain]["models"]]
    return {"metrics": metrics, **CHAIN_REPORT_INPUTS[chain](wildcards)}


rule write_report:
    input:
        unpack(report_inputs),
    output:
        report(
            "results/{chain}/{dataset}/report.html",
            caption="../report/chain_report.rst",
            category="{chain}",
            subcategory="{dataset}",
        ),
    log:
        "results/logs/{chain}/{dataset}/report.log",
    conda:
        REGFORMER_ENV
    script:
        "../scripts/report.py"
