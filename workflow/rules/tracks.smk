# Genomic-track chain: simulate (demo), then genome_windows.smk's regions -> targets (the store) and the demo's
# noise ceiling; predicted bigWigs here; training, evaluation and the report are models.smk's.
from regformer.chains.tracks.workflow import SYNTHETIC_TRACKS

tracks_files = FILES["tracks"]  # regformer.chains.tracks.workflow.TracksFiles (store, report inputs: the Snakefile)


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
