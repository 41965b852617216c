# Genomic-track chain: simulate (demo) -> regions -> targets (the store), predicted bigWigs and the demo's noise
# ceiling; training, evaluation and the report are models.smk's.

SYNTHETIC_TRACKS = ["dnase", "chip", "cage"]  # what the demo generator writes (regformer.chains.tracks.synthetic)


def tracks_fasta(wildcards):
    ds = dataset_config("tracks", wildcards.dataset)
    if "synthetic" in ds:
        return f"results/tracks/{wildcards.dataset}/raw/genome.fa"
    if isinstance(ds["fasta"], str):
        return ds["fasta"]
    return downloaded("tracks", wildcards.dataset, ds["fasta"])


def tracks_table(wildcards, noise_free=False):
    ds = dataset_config("tracks", wildcards.dataset)
    if "synthetic" in ds:
        return f"results/tracks/{wildcards.dataset}/raw/targets{'_noise_free' if noise_free else ''}.tsv"
    return ds["targets"]


def track_names(dataset):
    """Track identifiers of a dataset, in table order (read from the targets table of a real dataset)."""
    ds = dataset_config("tracks", dataset)
    if "synthetic" in ds:
        return SYNTHETIC_TRACKS
    import csv

    with open(ds["targets"]) as fh:
        return [row["identifier"] for row in csv.DictReader(fh, delimiter="\t")]


def track_bigwigs(wildcards, noise_free=False):
    """The bigWig files of the dataset's targets table (the synthetic ones once simulated)."""
    ds = dataset_config("tracks", wildcards.dataset)
    if "synthetic" in ds:
        kind = ".noise_free" if noise_free else ""
        return [f"results/tracks/{wildcards.dataset}/raw/{t}{kind}.bw" for t in SYNTHETIC_TRACKS]
    import csv

    with open(ds["targets"]) as fh:
        return [row["file"] for row in csv.DictReader(fh, delimiter="\t")]


# One simulation rule per synthetic dataset (its outputs depend on the dataset's name).
for _name, _ds in config["tracks"]["datasets"].items():
    if "synthetic" not in _ds:
        continue

    rule:
        name:
            f"simulate_tracks_{_name}"
        output:
            fasta=f"results/tracks/{_name}/raw/genome.fa",
            fai=f"results/tracks/{_name}/raw/genome.fa.fai",
            table=f"results/tracks/{_name}/raw/targets.tsv",
            table_noise_free=f"results/tracks/{_name}/raw/targets_noise_free.tsv",
            bigwigs=expand(f"results/tracks/{_name}/raw/{{track}}.bw", track=SYNTHETIC_TRACKS),
            noise_free=expand(f"results/tracks/{_name}/raw/{{track}}.noise_free.bw", track=SYNTHETIC_TRACKS),
        log:
            f"results/logs/tracks/{_name}/simulate.log",
        params:
            settings=_ds["synthetic"],
            tracks=SYNTHETIC_TRACKS,
        conda:
            REGFORMER_ENV
        script:
            "../scripts/simulate_tracks.py"


rule tracks_regions:
    input:
        fasta=tracks_fasta,
        bigwigs=track_bigwigs,
    output:
        regions="results/tracks/{dataset}/regions.tsv",
    log:
        "results/logs/tracks/{dataset}/regions.log",
    params:
        dataset=lambda wc: dataset_config("tracks", wc.dataset),
    conda:
        REGFORMER_ENV
    script:
        "../scripts/tracks_regions.py"


rule tracks_targets:
    input:
        regions="results/tracks/{dataset}/regions.tsv",
        fasta=tracks_fasta,
        table=tracks_table,
        bigwigs=track_bigwigs,
    output:
        store="results/tracks/{dataset}/targets.h5",
    log:
        "results/logs/tracks/{dataset}/targets.log",
    params:
        dataset=lambda wc: dataset_config("tracks", wc.dataset),
    conda:
        REGFORMER_ENV
    script:
        "../scripts/tracks_targets.py"


use rule tracks_targets as tracks_noise_free_targets with:
    input:
        regions="results/tracks/{dataset}/regions.tsv",
        fasta=tracks_fasta,
        table=lambda wc: tracks_table(wc, noise_free=True),
        bigwigs=lambda wc: track_bigwigs(wc, noise_free=True),
    output:
        store="results/tracks/{dataset}/targets_noise_free.h5",
    log:
        "results/logs/tracks/{dataset}/targets_noise_free.log",


rule tracks_noise_ceiling:
    input:
        store="results/tracks/{dataset}/targets.h5",
        noise_free="results/tracks/{dataset}/targets_noise_free.h5",
    output:
        metrics="results/tracks/{dataset}/noise_ceiling/metrics.json",
    log:
        "results/logs/tracks/{dataset}/noise_ceiling.log",
    params:
        chain="tracks",
        dataset=lambda wc: dataset_config("tracks", wc.dataset),
    conda:
        REGFORMER_ENV
    script:
        "../scripts/noise_ceiling.py"


rule predicted_bigwig:
    input:
        store="results/tracks/{dataset}/targets.h5",
        predictions="results/tracks/{dataset}/{model}/predictions.h5",
    output:
        bigwig="results/tracks/{dataset}/{model}/predicted_{track}.bw",
    log:
        "results/logs/tracks/{dataset}/{model}/bigwig_{track}.log",
    conda:
        REGFORMER_ENV
    script:
        "../scripts/predicted_bigwig.py"


def tracks_store(wildcards):
    return {"store": f"results/tracks/{wildcards.dataset}/targets.h5", "fasta": tracks_fasta(wildcards)}


def tracks_report_inputs(wildcards):
    d, models = wildcards.dataset, list(config["tracks"]["models"])
    inputs = {
        "store": f"results/tracks/{d}/targets.h5",
        "models": expand(f"results/tracks/{d}/{{m}}/model.pt", m=models),
        "predictions": expand(f"results/tracks/{d}/{{m}}/predictions.h5", m=models),
        "bigwigs": expand(f"results/tracks/{d}/{{m}}/predicted_{{track}}.bw", m=models, track=track_names(d)),
    }
    if "synthetic" in dataset_config("tracks", d):
        inputs["ceiling"] = f"results/tracks/{d}/noise_ceiling/metrics.json"
    return inputs


CHAIN_STORE["tracks"] = tracks_store
CHAIN_REPORT_INPUTS["tracks"] = tracks_report_inputs
