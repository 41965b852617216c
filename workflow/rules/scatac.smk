# scATAC chain: simulate (demo) -> SnapATAC2 import, QC and 5 kb tile matrix -> cell sentences (the store); after
# training, cell embeddings and clustering (cells.h5ad). Training, evaluation and the report are models.smk's.


from regformer.chains.scatac.workflow import SCATAC_SYNTHETIC

scatac_files = FILES["scatac"]  # regformer.chains.scatac.workflow.ScatacFiles (store, report inputs: the Snakefile)

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
        fragments=lambda wc: scatac_files.file(wc, "fragments"),
        chrom_sizes=lambda wc: scatac_files.file(wc, "chrom_sizes"),
        gene_annotation=lambda wc: scatac_files.file(wc, "gene_annotation"),
    output:
        cells="results/scatac/{dataset}/qc/cells_qc.h5ad",
        summary="results/scatac/{dataset}/qc/qc.json",
        figure="results/scatac/{dataset}/qc/qc.png",
    log:
        "results/logs/scatac/{dataset}/qc.log",
    params:
        dataset=lambda wc: wf.dataset_config("scatac", wc.dataset),
    conda:
        REGFORMER_ENV
    script:
        "../scripts/scatac_qc.py"


rule scatac_sentences:
    input:
        cells="results/scatac/{dataset}/qc/cells_qc.h5ad",
        labels=lambda wc: scatac_files.file(wc, "labels"),
    output:
        store="results/scatac/{dataset}/sentences.h5",
    log:
        "results/logs/scatac/{dataset}/sentences.log",
    params:
        dataset=lambda wc: wf.dataset_config("scatac", wc.dataset),
        seed=config["seed"],
    conda:
        REGFORMER_ENV
    script:
        "../scripts/scatac_sentences.py"


rule scatac_cells:
    input:
        model=scatac_files.embedding_model_file,
        store="results/scatac/{dataset}/sentences.h5",
        cells="results/scatac/{dataset}/qc/cells_qc.h5ad",
        labels=lambda wc: scatac_files.file(wc, "labels"),
    output:
        cells="results/scatac/{dataset}/cells.h5ad",
        clustering="results/scatac/{dataset}/clustering.json",
    log:
        "results/logs/scatac/{dataset}/cells.log",
    params:
        dataset=lambda wc: wf.dataset_config("scatac", wc.dataset),
        seed=config["seed"],
    conda:
        REGFORMER_ENV
    script:
        "../scripts/scatac_cells.py"
