# scATAC chain: simulate (demo) -> SnapATAC2 import, QC and 5 kb tile matrix -> cell sentences (the store); after
# training, cell embeddings and clustering (cells.h5ad). Training, evaluation and the report are models.smk's.


def scatac_file(wildcards, key):
    """A dataset's fragments / chrom_sizes / labels / gene_annotation: simulated, downloaded or a local path."""
    ds = dataset_config("scatac", wildcards.dataset)
    if "synthetic" in ds:
        return f"results/scatac/{wildcards.dataset}/raw/{SCATAC_SYNTHETIC[key]}"
    entry = ds.get(key)
    if entry is None:
        return []
    return downloaded("scatac", wildcards.dataset, entry) if isinstance(entry, dict) else entry


SCATAC_SYNTHETIC = {"fragments": "fragments.tsv.gz", "chrom_sizes": "chrom_sizes.tsv", "labels": "labels.tsv",
                    "gene_annotation": "genes.gtf"}

for _name, _ds in config.get("scatac", {}).get("datasets", {}).items():
    if "synthetic" not in _ds:
        continue

    rule:
        name:
            f"simulate_scatac_{_name}"
        output:
            **{key: f"results/scatac/{_name}/raw/{path}" for key, path in SCATAC_SYNTHETIC.items()},
        log:
            f"results/logs/scatac/{_name}/simulate.log",
        params:
            settings=_ds["synthetic"],
        conda:
            REGFORMER_ENV
        script:
            "../scripts/simulate_scatac.py"


rule scatac_qc:
    input:
        fragments=lambda wc: scatac_file(wc, "fragments"),
        chrom_sizes=lambda wc: scatac_file(wc, "chrom_sizes"),
        gene_annotation=lambda wc: scatac_file(wc, "gene_annotation"),
    output:
        cells="results/scatac/{dataset}/qc/cells_qc.h5ad",
        summary="results/scatac/{dataset}/qc/qc.json",
        figure="results/scatac/{dataset}/qc/qc.png",
    log:
        "results/logs/scatac/{dataset}/qc.log",
    params:
        dataset=lambda wc: dataset_config("scatac", wc.dataset),
    conda:
        REGFORMER_ENV
    script:
        "../scripts/scatac_qc.py"


rule scatac_sentences:
    input:
        cells="results/scatac/{dataset}/qc/cells_qc.h5ad",
    output:
        store="results/scatac/{dataset}/sentences.h5",
    log:
        "results/logs/scatac/{dataset}/sentences.log",
    params:
        dataset=lambda wc: dataset_config("scatac", wc.dataset),
        seed=config["seed"],
    conda:
        REGFORMER_ENV
    script:
        "../scripts/scatac_sentences.py"


rule scatac_cells:
    input:
        model="results/scatac/{dataset}/atacformer/model.pt",
        store="results/scatac/{dataset}/sentences.h5",
        cells="results/scatac/{dataset}/qc/cells_qc.h5ad",
        labels=lambda wc: scatac_file(wc, "labels"),
    output:
        cells="results/scatac/{dataset}/cells.h5ad",
        clustering="results/scatac/{dataset}/clustering.json",
    log:
        "results/logs/scatac/{dataset}/cells.log",
    params:
        dataset=lambda wc: dataset_config("scatac", wc.dataset),
        seed=config["seed"],
    conda:
        REGFORMER_ENV
    script:
        "../scripts/scatac_cells.py"


def scatac_store(wildcards):
    return {"store": f"results/scatac/{wildcards.dataset}/sentences.h5"}


def scatac_report_inputs(wildcards):
    d, models = wildcards.dataset, list(config["scatac"]["models"])
    inputs = {
        "store": f"results/scatac/{d}/sentences.h5",
        "qc": f"results/scatac/{d}/qc/qc.json",
        "qc_figure": f"results/scatac/{d}/qc/qc.png",
        "predictions": expand(f"results/scatac/{d}/{{m}}/predictions.h5", m=models),
    }
    if "atacformer" in models:
        inputs.update(cells=f"results/scatac/{d}/cells.h5ad", clustering=f"results/scatac/{d}/clustering.json")
    return inputs


CHAIN_STORE["scatac"] = scatac_store
CHAIN_REPORT_INPUTS["scatac"] = scatac_report_inputs
