# Random-promoter chain: simulate/fetch -> prepare -> train -> evaluate -> report.

PROMOTER_MODELS = list(config["promoter"]["models"])
check_models("promoter")


wildcard_constraints:
    model="|".join(PROMOTER_MODELS),


def promoter_reports():
    return expand("results/promoter/{dataset}/report.html", dataset=config["promoter"]["datasets"])


def promoter_prepare_inputs(wildcards):
    ds = dataset_config("promoter", wildcards.dataset)
    if "synthetic" in ds:
        raw = f"results/promoter/{wildcards.dataset}/raw/library.txt"
        return {"library": raw, "noise_free": f"results/promoter/{wildcards.dataset}/raw/noise_free.txt"}
    if "path" in ds:
        return {"library": ds["path"]}
    return {"library": downloaded("promoter", wildcards.dataset)}


rule simulate_promoters:
    output:
        library="results/promoter/{dataset}/raw/library.txt",
        noise_free="results/promoter/{dataset}/raw/noise_free.txt",
    log:
        "results/logs/promoter/{dataset}/simulate.log",
    params:
        settings=lambda wc: dataset_config("promoter", wc.dataset)["synthetic"],
    conda:
        REGFORMER_ENV
    script:
        "../scripts/simulate_promoters.py"


rule prepare_promoters:
    input:
        unpack(promoter_prepare_inputs),
    output:
        store="results/promoter/{dataset}/prepared/sequences.h5",
        summary="results/promoter/{dataset}/prepared/summary.json",
    log:
        "results/logs/promoter/{dataset}/prepare.log",
    params:
        dataset=lambda wc: dataset_config("promoter", wc.dataset),
    resources:
        mem_mb=4000,
    conda:
        REGFORMER_ENV
    script:
        "../scripts/prepare_promoters.py"


rule train_promoter_model:
    input:
        store="results/promoter/{dataset}/prepared/sequences.h5",
    output:
        model="results/promoter/{dataset}/{model}/model.pt",
    log:
        "results/logs/promoter/{dataset}/{model}/train.log",
    params:
        **train_params("promoter"),
    threads: config["cluster"]["train_cpus"]
    resources:
        **train_resources(),
    container:
        train_container()
    shell:
        TRAIN_COMMAND


rule evaluate_promoter_model:
    input:
        store="results/promoter/{dataset}/prepared/sequences.h5",
        model="results/promoter/{dataset}/{model}/model.pt",
    output:
        metrics="results/promoter/{dataset}/{model}/metrics.json",
        predictions="results/promoter/{dataset}/{model}/predictions.tsv",
    log:
        "results/logs/promoter/{dataset}/{model}/evaluate.log",
    conda:
        REGFORMER_ENV
    script:
        "../scripts/evaluate_promoter_model.py"


rule report_promoters:
    input:
        summary="results/promoter/{dataset}/prepared/summary.json",
        metrics=expand("results/promoter/{{dataset}}/{model}/metrics.json", model=PROMOTER_MODELS),
    output:
        report(
            "results/promoter/{dataset}/report.html",
            caption="../report/promoter_report.rst",
            category="Random promoters",
            subcategory="{dataset}",
        ),
    log:
        "results/logs/promoter/{dataset}/report.log",
    conda:
        REGFORMER_ENV
    script:
        "../scripts/report_promoters.py"
