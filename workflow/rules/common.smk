# Shared by every chain: the conda env, wildcard constraints and downloads (the helpers the rules call are
# regformer.workflow_helpers, built in the Snakefile as `wf`).

REGFORMER_ENV = "../../envs/regformer.yaml"


wildcard_constraints:
    dataset="[A-Za-z0-9_.-]+",
    chain="|".join(CONFIGURED_CHAINS),


rule fetch_url:
    output:
        "results/downloads/{chain}/{dataset}/{filename}",
    log:
        "results/logs/{chain}/{dataset}/fetch_{filename}.log",
    params:
        url=lambda wc: wf.dataset_url(wc, 0),
        checksum=lambda wc: wf.dataset_url(wc, 1),
    retries: 1
    conda:
        REGFORMER_ENV
    script:
        "../scripts/fetch_url.py"
