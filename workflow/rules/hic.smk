# Hi-C / Micro-C chain: simulate/fetch -> map (bin pairs / copy, coarsen, balance), then genome_windows.smk's regions
# -> targets (the store) and the demo's noise ceiling; stitched .cool predictions here; training, evaluation and
# the report are models.smk's.


hic_files = FILES["hic"]  # regformer.chains.hic.workflow.HicFiles (store, report inputs: the Snakefile)


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
