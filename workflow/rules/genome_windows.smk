# The genome-window chains (Hi-C, tracks: each chain's helper subclasses workflow_helpers.genome.GenomeChainFiles):
# genome + signal files -> regions (windows, train/val/test) -> targets (the store), and on the demo the
# noise-free targets and the noise ceiling. One rule each on the {chain} wildcard; the input and params functions
# (GENOME_WINDOWS, built in the Snakefile) ask the chain's helper, and each script calls the chain's own builder
# (write_regions / write_targets in regformer.chains.<chain>.workflow).


rule genome_regions:
    input:
        unpack(GENOME_WINDOWS.region_inputs),
    output:
        regions="results/{chain}/{dataset}/regions.tsv",
    log:
        "results/logs/{chain}/{dataset}/regions.log",
    wildcard_constraints:
        chain="|".join(GENOME_WINDOWS.chains()),
    params:
        dataset=GENOME_WINDOWS.dataset,
        extra=GENOME_WINDOWS.region_settings,
    conda:
        REGFORMER_ENV
    script:
        "../scripts/genome_regions.py"


rule genome_targets:
    input:
        unpack(GENOME_WINDOWS.target_inputs()),
    output:
        store="results/{chain}/{dataset}/targets.h5",
    log:
        "results/logs/{chain}/{dataset}/targets.log",
    wildcard_constraints:
        chain="|".join(GENOME_WINDOWS.chains()),
    params:
        dataset=GENOME_WINDOWS.dataset,
        extra=GENOME_WINDOWS.target_settings(),
    threads: GENOME_WINDOWS.target_threads
    conda:
        REGFORMER_ENV
    script:
        "../scripts/genome_targets.py"


use rule genome_targets as genome_noise_free_targets with:
    input:
        unpack(GENOME_WINDOWS.target_inputs(noise_free=True)),
    output:
        store="results/{chain}/{dataset}/targets_noise_free.h5",
    log:
        "results/logs/{chain}/{dataset}/targets_noise_free.log",
    params:
        dataset=GENOME_WINDOWS.dataset,
        extra=GENOME_WINDOWS.target_settings(noise_free=True),


rule genome_noise_ceiling:
    input:
        store="results/{chain}/{dataset}/targets.h5",
        noise_free="results/{chain}/{dataset}/targets_noise_free.h5",
    output:
        metrics="results/{chain}/{dataset}/noise_ceiling/metrics.json",
    log:
        "results/logs/{chain}/{dataset}/noise_ceiling.log",
    wildcard_constraints:
        chain="|".join(GENOME_WINDOWS.chains()),
    params:
        chain=lambda wc: wc.chain,
        dataset=GENOME_WINDOWS.dataset,
    conda:
        REGFORMER_ENV
    script:
        "../scripts/noise_ceiling.py"
