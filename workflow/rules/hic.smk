# Hi-C / Micro-C chain: simulate/fetch -> regions -> targets -> train -> evaluate (+ stitched .cool) -> report.

HIC_MODELS = list(config["hic"]["models"])
check_models("hic")


wildcard_constraints:
    hic_model="|".join(HIC_MODELS),


def hic_maps(dataset):
    """Map names of a dataset, in store order."""
    ds = dataset_config("hic", dataset)
    if "synthetic" in ds:
        return list(ds["synthetic"]["maps"])
    return [m["name"] for m in ds["maps"]]


def hic_reports():
    return expand("results/hic/{dataset}/report.html", dataset=config["hic"]["datasets"])


def hic_fasta(wildcards):
    ds = dataset_config("hic", wildcards.dataset)
    if "synthetic" in ds:
        return f"results/hic/{wildcards.dataset}/raw/genome.fa"
    if isinstance(ds["fasta"], str):
        return ds["fasta"]
    return downloaded("hic", wildcards.dataset, ds["fasta"])


def hic_cooler_uris(dataset, noise_free=False):
    """Map name -> cooler URI (FILE.cool or FILE.mcool::resolutions/N)."""
    ds = dataset_config("hic", dataset)
    if "synthetic" in ds:
        kind = "noise_free.mcool" if noise_free else "mcool"
        return {m: f"results/hic/{dataset}/raw/{m}.{kind}::resolutions/{ds['bin_size']}" for m in hic_maps(dataset)}
    uris = {}
    for m in ds["maps"]:
        if "uri" in m:
            uris[m["name"]] = m["uri"]
        else:
            path = downloaded("hic", dataset, m)
            uris[m["name"]] = f"{path}::resolutions/{m['resolution']}" if "resolution" in m else path
    return uris


def hic_cooler_files(wildcards, noise_free=False):
    return sorted({uri.split("::")[0] for uri in hic_cooler_uris(wildcards.dataset, noise_free).values()})


def hic_clips(dataset):
    ds = dataset_config("hic", dataset)
    return [2.0] * len(hic_maps(dataset)) if "synthetic" in ds else [m["clip"] for m in ds["maps"]]


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


rule hic_regions:
    input:
        fasta=hic_fasta,
        coolers=hic_cooler_files,
    output:
        regions="results/hic/{dataset}/regions.tsv",
    log:
        "results/logs/hic/{dataset}/regions.log",
    params:
        dataset=lambda wc: dataset_config("hic", wc.dataset),
        uris=lambda wc: hic_cooler_uris(wc.dataset),
    conda:
        REGFORMER_ENV
    script:
        "../scripts/hic_regions.py"


rule hic_targets:
    input:
        regions="results/hic/{dataset}/regions.tsv",
        fasta=hic_fasta,
        coolers=hic_cooler_files,
    output:
        store="results/hic/{dataset}/targets.h5",
    log:
        "results/logs/hic/{dataset}/targets.log",
    params:
        dataset=lambda wc: dataset_config("hic", wc.dataset),
        uris=lambda wc: hic_cooler_uris(wc.dataset),
        clips=lambda wc: hic_clips(wc.dataset),
    threads: 2
    conda:
        REGFORMER_ENV
    script:
        "../scripts/hic_targets.py"


use rule hic_targets as hic_noise_free_targets with:
    input:
        regions="results/hic/{dataset}/regions.tsv",
        fasta=hic_fasta,
        coolers=lambda wc: hic_cooler_files(wc, noise_free=True),
    output:
        store="results/hic/{dataset}/targets_noise_free.h5",
    log:
        "results/logs/hic/{dataset}/targets_noise_free.log",
    params:  # dataset and clips are inherited (use rule merges params)
        uris=lambda wc: hic_cooler_uris(wc.dataset, noise_free=True),


rule train_hic_model:
    input:
        store="results/hic/{dataset}/targets.h5",
        fasta=hic_fasta,
    output:
        model="results/hic/{dataset}/{hic_model}/model.pt",
    log:
        "results/logs/hic/{dataset}/{hic_model}/train.log",
    params:
        **train_params("hic", model_wildcard="hic_model"),
    threads: config["cluster"]["train_cpus"]
    resources:
        **train_resources(),
    container:
        train_container()
    shell:
        TRAIN_COMMAND


rule evaluate_hic_model:
    input:
        store="results/hic/{dataset}/targets.h5",
        fasta=hic_fasta,
        model="results/hic/{dataset}/{hic_model}/model.pt",
    output:
        metrics="results/hic/{dataset}/{hic_model}/metrics.json",
        predictions="results/hic/{dataset}/{hic_model}/predictions.h5",
    log:
        "results/logs/hic/{dataset}/{hic_model}/evaluate.log",
    params:
        dataset=lambda wc: dataset_config("hic", wc.dataset),
    conda:
        REGFORMER_ENV
    script:
        "../scripts/evaluate_hic_model.py"


rule stitch_hic_prediction:
    input:
        store="results/hic/{dataset}/targets.h5",
        predictions="results/hic/{dataset}/{hic_model}/predictions.h5",
    output:
        cool="results/hic/{dataset}/{hic_model}/predicted_{map}.cool",
    log:
        "results/logs/hic/{dataset}/{hic_model}/stitch_{map}.log",
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
        dataset=lambda wc: dataset_config("hic", wc.dataset),
    conda:
        REGFORMER_ENV
    script:
        "../scripts/hic_noise_ceiling.py"


def hic_report_inputs(wildcards):
    d, models = wildcards.dataset, HIC_MODELS
    inputs = {
        "store": f"results/hic/{d}/targets.h5",
        "metrics": expand(f"results/hic/{d}/{{m}}/metrics.json", m=models),
        "predictions": expand(f"results/hic/{d}/{{m}}/predictions.h5", m=models),
        "cools": expand(f"results/hic/{d}/{{m}}/predicted_{{map}}.cool", m=models, map=hic_maps(d)),
    }
    if "synthetic" in dataset_config("hic", d):
        inputs["ceiling"] = f"results/hic/{d}/noise_ceiling/metrics.json"
    return inputs


rule report_hic:
    input:
        unpack(hic_report_inputs),
    output:
        report(
            "results/hic/{dataset}/report.html",
            caption="../report/hic_report.rst",
            category="Hi-C / Micro-C",
            subcategory="{dataset}",
        ),
    log:
        "results/logs/hic/{dataset}/report.log",
    conda:
        REGFORMER_ENV
    script:
        "../scripts/report_hic.py"
