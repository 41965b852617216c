# Random-promoter chain: simulate/fetch -> prepare (the store); training, evaluation and the report are models.smk's.
# promoter_files: regformer.chains.promoter.workflow.PromoterFiles (its store and report inputs: the Snakefile)
promoter_files = FILES["promoter"]


rule simulate_promoters:
    output:
        library="results/promoter/{dataset}/raw/library.txt",
        noise_free="results/promoter/{dataset}/raw/noise_free.txt",
    log:
        "results/logs/promoter/{dataset}/simulate.log",
    params:
        settings=lambda wc: wf.dataset_config("promoter", wc.dataset)["synthetic"],
    conda:
        REGFORMER_ENV
    script:
        "../scripts/simulate_promoters.py"


rule prepare_promoters:
    input:
        unpack(promoter_files.prepare_inputs),
    output:
        store="results/promoter/{dataset}/prepared/sequences.h5",
        summary="results/promoter/{dataset}/prepared/summary.json",
    log:
        "results/logs/promoter/{dataset}/prepare.log",
    params:
        dataset=lambda wc: wf.dataset_config("promoter", wc.dataset),
    resources:
        mem_mb=4000,
    conda:
        REGFORMER_ENV
    script:
        "../scripts/prepare_promoters.py"
