# Shared stages of every chain: train, evaluate and report any configured model on any chain's store, under
# results/{chain}/{dataset}/{model}/. The Snakefile registers each chain's store (wf.chain_store) and what else its
# report reads (wf.chain_report_inputs) from the chain's rule helper; nothing here names a chain.

for _chain in CONFIGURED_CHAINS:
    wf.check_models(_chain)


wildcard_constraints:
    model="|".join(wf.model_names()),


# Training runs like evaluation: a script calling regformer.training_job.train_job with the job's GPUs per node
# and nodes. Under SLURM a job with several GPUs starts its own srun there (one task per GPU, DDP); on one GPU or the
# CPU it trains in the script's process. regformer.train.devices decides both the request (resources) and the
# trainer's devices.
rule train_model:
    input:
        unpack(wf.store_inputs),
        unpack(wf.init_inputs),  # a model.pt named by train.init (e.g. pretrained on another dataset): built first
    output:
        model="results/{chain}/{dataset}/{model}/model.pt",
    log:
        "results/logs/{chain}/{dataset}/{model}/train.log",
    params:
        **wf.train_params(),
    threads: config["cluster"]["train_cpus"]
    resources:
        **wf.train_resources(),
    container:
        wf.train_container()
    script:
        "../scripts/train_model.py"


rule evaluate_model:
    input:
        unpack(wf.store_inputs),
        model="results/{chain}/{dataset}/{model}/model.pt",
    output:
        metrics="results/{chain}/{dataset}/{model}/metrics.json",
        predictions="results/{chain}/{dataset}/{model}/predictions.h5",
    log:
        "results/logs/{chain}/{dataset}/{model}/evaluate.log",
    params:
        settings=lambda wc: wf.dataset_config(wc.chain, wc.dataset),
        seed=config["seed"],
    conda:
        REGFORMER_ENV
    script:
        "../scripts/evaluate_model.py"


rule write_report:
    input:
        unpack(wf.report_inputs),
    output:
        report(
            "results/{chain}/{dataset}/report.html",
            caption="../report/chain_report.rst",
            category="{chain}",
            subcategory="{dataset}",
        ),
    log:
        "results/logs/{chain}/{dataset}/report.log",
    params:
        settings=lambda wc: wf.dataset_config(wc.chain, wc.dataset),  # the report's run record shows it
    conda:
        REGFORMER_ENV
    script:
        "../scripts/report.py"
