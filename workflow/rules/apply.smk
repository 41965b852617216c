# The apply stage of every chain (predict, variants, explain) on the inputs named in <chain>.apply.<dataset>;
# outputs under results/{chain}/{dataset}/{model}/{stage}/{name}.*; each report waits for its dataset's
# outputs and links them. Included after the chains' rules files (it wraps their report inputs).
from regformer.workflow_helpers.apply import ApplyFiles

apply_files = ApplyFiles(wf, FILES)
for _chain in CONFIGURED_CHAINS:
    wf.chain_report_inputs[_chain] = apply_files.with_outputs(_chain, wf.chain_report_inputs[_chain])


wildcard_constraints:
    name="[A-Za-z0-9_.-]+",
    ext="tsv|h5|h5ad",


rule apply_predict:
    input:
        unpack(apply_files.inputs("predict")),
    output:
        "results/{chain}/{dataset}/{model}/predict/{name}.{ext}",
    log:
        "results/logs/{chain}/{dataset}/{model}/predict_{name}.{ext}.log",
    params:
        entry=apply_files.settings("predict"),
        seed=config["seed"],
    conda:
        REGFORMER_ENV
    script:
        "../scripts/apply_stage.py"


rule apply_variants:
    input:
        unpack(apply_files.inputs("variants")),
    output:
        "results/{chain}/{dataset}/{model}/variants/{name}.tsv",
    log:
        "results/logs/{chain}/{dataset}/{model}/variants_{name}.log",
    params:
        entry=apply_files.settings("variants"),
        seed=config["seed"],
    conda:
        REGFORMER_ENV
    script:
        "../scripts/apply_stage.py"


rule apply_explain:
    input:
        unpack(apply_files.inputs("explain")),
    output:
        h5="results/{chain}/{dataset}/{model}/explain/{name}.h5",
        logos="results/{chain}/{dataset}/{model}/explain/{name}.png",
        motifs="results/{chain}/{dataset}/{model}/explain/{name}.motifs.tsv",
    log:
        "results/logs/{chain}/{dataset}/{model}/explain_{name}.log",
    params:
        entry=apply_files.settings("explain"),
        seed=config["seed"],
    conda:
        REGFORMER_ENV
    script:
        "../scripts/apply_stage.py"


# The demo's genome-window inputs (a BED region and a VCF) cut from the dataset's own FASTA, on its test chromosome.
rule apply_demo_inputs:
    input:
        fasta=lambda wc: wf.chain_store[wc.chain](wc)["fasta"],
    output:
        bed="results/{chain}/{dataset}/apply_inputs/demo.bed",
        vcf="results/{chain}/{dataset}/apply_inputs/demo.vcf",
    log:
        "results/logs/{chain}/{dataset}/apply_demo_inputs.log",
    params:
        chrom=lambda wc: wf.dataset_config(wc.chain, wc.dataset)["test_chroms"][0],
        seq_length=lambda wc: wf.dataset_config(wc.chain, wc.dataset)["seq_length"],
    conda:
        REGFORMER_ENV
    script:
        "../scripts/apply_demo_inputs.py"


# The promoter demo's inputs: test-split sequences (some of another length) and variants in them.
rule apply_demo_sequences:
    input:
        store="results/{chain}/{dataset}/prepared/sequences.h5",
    output:
        fasta="results/{chain}/{dataset}/apply_inputs/designed.fa",
        variants="results/{chain}/{dataset}/apply_inputs/variants.tsv",
    log:
        "results/logs/{chain}/{dataset}/apply_demo_sequences.log",
    conda:
        REGFORMER_ENV
    script:
        "../scripts/apply_demo_sequences.py"
