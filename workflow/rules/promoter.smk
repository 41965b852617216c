# Random-promoter chain: simulate/fetch -> prepare (the store); training, evaluation and the report are models.smk's.


def promoter_store(wildcards):
    return {"store": f"results/promoter/{wildcards.dataset}/prepared/sequences.h5"}


def promoter_report_inputs(wildcards):
    return {"summary": f"results/promoter/{wildcards.dataset}/prepared/summary.json"}


CHAIN_STORE["promoter"] = promoter_store
CHAIN_REPORT_INPUTS["promoter"] = promoter_report_inputs


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
