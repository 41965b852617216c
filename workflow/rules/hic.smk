# Hi-C / Micro-C chain: simulate/fetch -> map (bin pairs / copy, coarsen, balance) -> regions -> targets (the store),
# stitched .cool predictions and the demo's noise ceiling; training, evaluation and the report are models.smk's.


from regformer.workflow_helpers.hic import HicFiles

hic_files = HicFiles(wf)
wf.chain_store["hic"] = hic_files.store
wf.chain_report_inputs["hic"] = hic_files.report_inputs


# One simulation rule per synthetic dataset: its outputs (one .mcool per map) depend on the dataset's map list.
for _name, _ds in config["hic"]["datasets"].items():
    if "synthetic" not in _ds:
        continue

    rule:
        name:
            f"simulate_hic_{_name}"
        output:
            fasta=f"results/hic/{_name}/raw/genome.fa",
            fai=f"results/hic/{_name}/raw/genome.fa.fai",
            sites=f"results/hic/{_name}/raw/sites.bed",
            coolers=expand(f"results/hic/{_name}/raw/{{map}}.mcool", map=_ds["synthetic"]["maps"]),
            noise_free=expand(f"results/hic/{_name}/raw/{{map}}.noise_free.mcool", map=_ds["synthetic"]["maps"]),
        log:
            f"results/logs/hic/{_name}/simulate.log",
        params:
            settings=_ds["synthetic"],
            bin_size=_ds["bin_size"],
        conda:
            REGFORMER_ENV
        script:
            "../scripts/simulate_hic.py"


# A raw map (a 4DN .pairs.gz, an unbalanced cooler, an .mcool without bin_size) -> a balanced cooler at bin_size.
# Threads, memory and runtime: these defaults, or the profile's set-threads / set-resources (profiles/slurm).
rule hic_map:
    input:
        source=hic_files.map_file,
        fasta=hic_files.fasta,
    output:
        cool="results/hic/{dataset}/maps/{map}.cool",
    log:
        "results/logs/hic/{dataset}/map_{map}.log",
    params:
        source=hic_files.map_source,
        map=hic_files.map_config,
        dataset=lambda wc: wf.dataset_config("hic", wc.dataset),
    threads: 2
    resources:
        mem_mb=8000,
        runtime=240,
    conda:
        REGFORMER_ENV
    script:
        "../scripts/hic_map.py"


rule hic_regions:
    input:
        fasta=hic_files.fasta,
        coolers=hic_files.cooler_files,
    output:
        regions="results/hic/{dataset}/regions.tsv",
    log:
        "results/logs/hic/{dataset}/regions.log",
    params:
        dataset=lambda wc: wf.dataset_config("hic", wc.dataset),
        uris=lambda wc: hic_files.cooler_uris(wc.dataset),
    conda:
        REGFORMER_ENV
    script:
        "../scripts/hic_regions.py"


rule hic_targets:
    input:
        regions="results/hic/{dataset}/regions.tsv",
        fasta=hic_files.fasta,
        coolers=hic_files.cooler_files,
    output:
        store="results/hic/{dataset}/targets.h5",
    log:
        "results/logs/hic/{dataset}/targets.log",
    params:
        dataset=lambda wc: wf.dataset_config("hic", wc.dataset),
        uris=lambda wc: hic_files.cooler_uris(wc.dataset),
        clips=lambda wc: hic_files.clips(wc.dataset),
    threads: 2
    conda:
        REGFORMER_ENV
    script:
        "../scripts/hic_targets.py"


use rule hic_targets as hic_noise_free_targets with:
    input:
        regions="results/hic/{dataset}/regions.tsv",
        fasta=hic_files.fasta,
        coolers=hic_files.noise_free_cooler_files,
    output:
        store="results/hic/{dataset}/targets_noise_free.h5",
    log:
        "results/logs/hic/{dataset}/targets_noise_free.log",
    params:  # dataset and clips are inherited (use rule merges params)
        uris=lambda wc: hic_files.cooler_uris(wc.dataset, noise_free=True),


rule stitch_hic_prediction:
    input:
        store="results/hic/{dataset}/targets.h5",
        predictions="results/hic/{dataset}/{model}/predictions.h5",
    output:
        cool="results/hic/{dataset}/{model}/predicted_{map}.cool",
    log:
        "results/logs/hic/{dataset}/{model}/stitch_{map}.log",
    conda:
        REGFORMER_ENV
    script:
        "../scripts/stitch_hic_prediction.py"


rule hic_noise_ceiling:
    input:
        store="results/hic/{dataset}/targets.h5",
        noise_free="results/hic/{dataset}/targets_noise_free.h5",
    output:
        metrics="results/hic/{dataset}/noise_ceiling/metrics.json",
    log:
        "results/logs/hic/{dataset}/noise_ceiling.log",
    params:
        chain="hic",
        dataset=lambda wc: wf.dataset_config("hic", wc.dataset),
    conda:
        REGFORMER_ENV
    script:
        "../scripts/noise_ceiling.py"
