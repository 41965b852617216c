# Hi-C / Micro-C chain: simulate/fetch -> regions -> targets (the store), stitched .cool predictions and the demo's
# noise ceiling; training, evaluation and the report are models.smk's.


def hic_maps(dataset):
    """Map names of a dataset, in store order."""
    ds = dataset_config("hic", dataset)
    if "synthetic" in ds:
        return list(ds["synthetic"]["maps"])
    return [m["name"] for m in ds["maps"]]


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
        dataset=lambda wc: dataset_config("hic", wc.dataset),
    conda:
        REGFORMER_ENV
    script:
        "../scripts/noise_ceiling.py"


def hic_store(wildcards):
    return {"store": f"results/hic/{wildcards.dataset}/targets.h5", "fasta": hic_fasta(wildcards)}


def hic_report_inputs(wildcards):
    d, models = wildcards.dataset, list(config["hic"]["models"])
    inputs = {
        "store": f"results/hic/{d}/targets.h5",
        "predictions": expand(f"results/hic/{d}/{{m}}/predictions.h5", m=models),
        "cools": expand(f"results/hic/{d}/{{m}}/predicted_{{map}}.cool", m=models, map=hic_maps(d)),
    }
    if "synthetic" in dataset_config("hic", d):
        inputs["ceiling"] = f"results/hic/{d}/noise_ceiling/metrics.json"
    return inputs


CHAIN_STORE["hic"] = hic_store
CHAIN_REPORT_INPUTS["hic"] = hic_report_inputs
