"""The scATAC chain's report: masked-tile recovery per model, QC, cell-embedding scores against SnapATAC2's
spectral embedding (Leiden ARI / NMI, kNN transfer), UMAPs, ROC curves, training curves, parameter counts."""

from __future__ import annotations

import json
from html import escape
from pathlib import Path

import h5py
import numpy as np

from regformer.apply.report import apply_sections
from regformer.chains.scatac.plots import roc_figure, umap_grid, val_auroc_figure
from regformer.chains.scatac.specs import MODELS
from regformer.io.stores import store_summary
from regformer.report.figures import data_uri
from regformer.report.html import image, load_curves, load_metrics, write_report
from regformer.report.notes import model_notes
from regformer.report.tables import metrics_table

INTRO = (
    "Cells of {n_cells} barcodes that passed QC, each a sentence of its open {bin_size:,} bp tiles ({n_tiles:,} "
    "tiles selected by SnapATAC2, {n_chroms} chromosomes, vocabulary {vocab_size:,}). On the {n_test} held-out "
    "test cells, 15% of each cell's open tiles were removed from its sentence; auroc / auprc say how well a "
    "model's P(removed) separates those tiles (state 2) from closed ones (state 0). open_frequency scores every "
    "tile by its open frequency in training cells: the baseline a model must beat to show it reads the cell."
)
QC_KEYS = ("n_fragments", "n_barcodes", "n_imported", "n_cells", "n_tiles_genome", "n_features", "median_fragments",
           "median_tsse")


def _roc_section(model_dirs: dict[str, Path]) -> str:
    from sklearn.metrics import roc_curve

    curves, aurocs = {}, {}
    for name, directory in model_dirs.items():
        path = directory / "predictions.h5"
        if not path.is_file():
            continue
        with h5py.File(path, "r") as h5:
            score, state = h5["prediction"][:].astype(np.float32), h5["state"][:]
        keep = (state == 0) | (state == 2)
        fpr, tpr, _ = roc_curve(state[keep] == 2, score[keep])
        step = max(1, len(fpr) // 300)
        curves[name], aurocs[name] = (fpr[::step], tpr[::step]), load_metrics(directory / "metrics.json")["auroc"]
    return image(roc_figure(curves, aurocs) if curves else None, "masked-tile ROC", "No predictions.")


def _val_auroc_section(model_dirs: dict[str, Path]) -> str:
    curves = {}
    for name, directory in model_dirs.items():
        path = directory / "train" / "metrics.csv"
        if path.is_file() and "val_auroc" in (table := load_curves(path)):
            curves[name] = table["val_auroc"].dropna()
    return image(val_auroc_figure(curves) if curves else None, "validation AUROC per epoch", "No training curves.")


def _cell_type_table(result: dict) -> str:
    """The supervised head's test scores beside a logistic regression on the spectral embedding."""
    scores = result.get("cell_type") or {}
    if not scores:
        return ""
    flat = {name: {"accuracy": s["accuracy"], "macro_f1": s["macro_f1"], "n_test": s["n_test"],
                   **{f"acc_{c}": v for c, v in s["per_class_accuracy"].items()}} for name, s in scores.items()}
    note = ("Cell type on test cells: atacformer_head is the supervised MLP on &lt;cls&gt; (supervised_weight), "
            "logistic_spectral a logistic regression on SnapATAC2's spectral embedding, both fitted on training "
            "cells; acc_TYPE is the share of that type's test cells predicted right.")
    if "atacformer_head" not in scores:
        note += " The head is off (supervised_weight 0): only the baseline."
    return metrics_table(flat, "classifier") + f"<p class='note'>{note}</p>"


def _crosstab(cells, rep: str) -> str:
    import pandas as pd

    table = pd.crosstab(cells.obs[f"leiden_{rep}"], cells.obs["label"].astype(str).replace("nan", "unlabelled"))
    return f"<p>Leiden clusters of {escape(rep)} (rows) x labels (columns), cells:</p>" + table.to_html(border=0)


def _qc_value(value) -> str:
    """Counts with thousands separators, other numbers to 3 significant digits (a median TSS enrichment of
    13.852813852813853 reads 13.9)."""
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.3g}"
    return f"{int(value):,}" if isinstance(value, (int, float)) else escape(str(value))


def _qc_section(inputs: dict) -> str:
    qc = json.loads(Path(inputs["qc"]).read_text())
    rows = "".join(f"<tr><td>{k}</td><td class='num'>{_qc_value(qc[k])}</td></tr>" for k in QC_KEYS
                   if qc.get(k) is not None)
    thresholds = ", ".join(f"{k} = {v}" for k, v in qc["thresholds"].items())
    png = Path(inputs["qc_figure"]).read_bytes()
    return (f"<table>{rows}</table><p class='note'>Cell filter: {escape(thresholds)}.</p>"
            f'<img src="{data_uri(png)}" alt="QC">')


def _cells_section(inputs: dict) -> str:
    if "clustering" not in inputs:
        return "<p class='note'>No atacformer model is configured: no cell embeddings.</p>"
    import anndata as ad

    result = json.loads(Path(inputs["clustering"]).read_text())
    scores = {name: {k: v for k, v in m.items() if k not in ("depth_pc1_spearman", "resolution")} for name, m in result["embeddings"].items()}
    table = metrics_table(scores, "embedding")
    depth = ", ".join(f"{name} {m['depth_pc1_spearman']:.2f}" for name, m in result["embeddings"].items())
    cells = ad.read_h5ad(inputs["cells"])
    umaps = {name: cells.obsm[f"X_umap_{name}"] for name in result["embeddings"]}
    colours = {"Leiden": {name: cells.obs[f"leiden_X_{name}"].to_numpy() for name in result["embeddings"]}}
    crosstabs = ""
    if "label" in cells.obs:
        colours = {"label": cells.obs["label"].astype(str).to_numpy(), **colours}
        crosstabs = "".join(_crosstab(cells, rep) for rep in ("X_atacformer", "X_spectral"))
    note = ("ari / nmi: Leiden clusters (scanpy, kNN graph of the embedding, the resolution whose cluster count is "
            "closest to the number of labels) against the labels; knn_accuracy / knn_macro_f1: 15-nearest-neighbour "
            "transfer of labels from training to test cells. atacformer is the cell head's embedding (the default "
            "cell_head; the &lt;cls&gt; output with cell_head shared), atacformer_tfidf "
            "the mean of tile outputs weighted by each tile's inverse document frequency, atacformer_mean the "
            "mean over the sentence, spectral SnapATAC2's tl.spectral. cells.h5ad holds them all (obsm). "
            f"|Spearman| of each embedding's first principal component with fragments per cell (depth, not "
            f"identity; lower is better): {depth}.")
    if not result["labelled"]:
        note = "No labels were given: only cluster counts. " + note
    figure = umap_grid(umaps, colours, depth=cells.obs["n_fragment"].to_numpy())
    return (f"{table}<p class='note'>{note}</p>" + _cell_type_table(result) + image(figure, "UMAPs", "No UMAPs.")
            + crosstabs)


def write_scatac_report(out_html, dataset: str, model_dirs: dict[str, Path], inputs: dict) -> Path:
    summary = store_summary(inputs["store"])
    intro = INTRO.format(n_cells=summary["n_cells"], bin_size=summary["bin_size"], n_tiles=summary["n_tiles"],
                         n_chroms=len(summary["chroms"]), vocab_size=summary["vocab_size"],
                         n_test=summary["splits"]["test"])
    if summary["n_truncated"]:
        intro += f" {summary['n_truncated']} cells had more tiles than max_length {summary['max_length']} allows."
    all_metrics = {name: load_metrics(d / "metrics.json") for name, d in model_dirs.items()}
    extra = [("Masked-tile recovery (test cells)", _roc_section(model_dirs) + _val_auroc_section(model_dirs)),
             ("Cell embeddings: atacFormer vs SnapATAC2 spectral", _cells_section(inputs)),
             ("Quality control (SnapATAC2)", _qc_section(inputs))]
    return write_report(out_html, title=f"scATAC: {dataset}", dataset=dataset, models=model_dirs,
                        model_notes=model_notes(MODELS, all_metrics), intro=intro,
                        extra_sections=extra + apply_sections(model_dirs), scatter=False)
