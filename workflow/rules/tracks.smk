# Genomic-track chain: simulate (demo) -> regions -> targets (the store), predicted bigWigs and the demo's noise
# ceiling; training, evaluation and the report are models.smk's.

from regformer.workflow_helpers.tracks import SYNTHETIC_TRACKS, TracksFiles

tracks_files = TracksFiles(wf)
wf.chain_store["tracks"] = tracks_files.store
wf.chain_report_inputs["tracks"] = tracks_files.report_inputs


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
        fasta=tracks_files.fasta,
        bigwigs=tracks_files.bigwigs,
    output:
        regions="results/tracks/{dataset}/regions.tsv",
    log:
        "results/logs/tracks/{dataset}/regions.log",
    params:
        dataset=lambda wc: wf.dataset_config("tracks", wc.dataset),
    conda:
        REGFORMER_ENV
    script:
        "../scripts/tracks_regions.py"


rule tracks_targets:
    input:
        regions="results/tracks/{dataset}/regions.tsv",
        fasta=tracks_files.fasta,
        table=tracks_files.table,
        bigwigs=tracks_files.bigwigs,
    output:
        store="results/tracks/{dataset}/targets.h5",
    log:
        "results/logs/tracks/{dataset}/targets.log",
    params:
        dataset=lambda wc: wf.dataset_config("tracks", wc.dataset),
    conda:
        REGFORMER_ENV
    script:
        "../scripts/tracks_targets.py"


use rule tracks_targets as tracks_noise_free_targets with:
    input:
        regions="results/tracks/{dataset}/regions.tsv",
        fasta=tracks_files.fasta,
        table=tracks_files.noise_free_table,
        bigwigs=tracks_files.noise_free_bigwigs,
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
        dataset=lambda wc: wf.dataset_config("tracks", wc.dataset),
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
