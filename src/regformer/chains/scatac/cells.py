"""Cell embeddings and what they are worth: atacFormer's cell embedding (its separate cell head's by default, <cls>
with cell_head shared) and mean-pooled outputs against SnapATAC2's spectral
embedding, by Leiden clusters (scanpy) against the labels (ARI, NMI) and kNN label transfer train -> test cells.

Writes results/scatac/<dataset>/cells.h5ad (scanpy opens it: QC in obs, obsm X_atacformer, X_atacformer_mean,
X_atacformer_tfidf,
X_spectral and their UMAPs, Leiden clusters in obs) and clustering.json.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import torch
from scipy.stats import spearmanr
from sklearn.decomposition import PCA
from sklearn.metrics import accuracy_score, adjusted_rand_score, f1_score, normalized_mutual_info_score
from sklearn.neighbors import KNeighborsClassifier

from regformer.chains.scatac.dataset import load_ragged, pad_sentences, subsample_sentence
from regformer.errors import InputError
from regformer.io.atomic import atomic_path
from regformer.io.stores import store_summary
from regformer.models.scatac.atacformer import N_SPECIAL
from regformer.models.saved import load_trained

log = logging.getLogger(__name__)

EMBEDDINGS = {"atacformer": "X_atacformer", "atacformer_mean": "X_atacformer_mean",
              "atacformer_tfidf": "X_atacformer_tfidf", "spectral": "X_spectral"}


def tile_idf(store_path: str | Path) -> np.ndarray:
    """Inverse document frequency of each tile over training cells, log(1 + n / (1 + cells open)): the weight
    of a tile's output in the TF-IDF-pooled embedding (ubiquitous tiles say little about a cell's type)."""
    from regformer.chains.scatac.chain import open_counts

    counts, n_cells = open_counts(store_path, "train")
    return np.log1p(n_cells / (1.0 + counts)).astype(np.float32)


@torch.inference_mode()
def embed_store(model, store_path: str | Path, batch_size: int = 32,
                n_views: int = 4) -> tuple[dict[str, np.ndarray], np.ndarray | None]:
    """({obsm key: embedding} for <cls>, the mean over tokens and the IDF-weighted mean over tile tokens, every
    cell of the store in row order; the supervised head's cell-type logits or None). A model trained on
    fixed-size subsamples (sentence_budget) embeds the mean of n_views seeded subsamples of each cell, as it was
    trained; otherwise the whole (unmasked) sentence. A model with a separate cell head (cell_net) gives that
    head's embedding as X_atacformer instead of <cls>; a head that reads whole sentences (head_reads_whole: the
    views only trained it, the encoder was trained on whole sentences) embeds every cell whole, as apply does."""
    import h5py

    with h5py.File(store_path, "r") as h5:
        n = len(h5["cells/barcode"])
        tokens = load_ragged(h5, "tokens", np.arange(n))
    model = model.eval()
    budget, n_chroms = getattr(model, "sentence_budget", 0), len(store_summary(store_path)["chroms"])
    head, cell_net = getattr(model, "label_head", None), getattr(model, "cell_net", None)
    whole_head = getattr(model, "head_reads_whole", False)
    weight_of = torch.from_numpy(np.r_[np.zeros(N_SPECIAL + n_chroms, np.float32), tile_idf(store_path)])
    views = [tokens] if not budget or whole_head else [
        [subsample_sentence(t, n_chroms, budget, np.random.default_rng([view, row]))[0] for row, t in enumerate(tokens)]
        for view in range(n_views)]
    parts: dict[str, list] = {"X_atacformer": [], "X_atacformer_mean": [], "X_atacformer_tfidf": [], "logits": []}
    for sentences in views:
        for i in range(0, n, batch_size):
            x = pad_sentences(sentences[i:i + batch_size])
            h, real = model.encode(x)
            weights = (weight_of[x] * real).unsqueeze(-1)
            parts["X_atacformer"].append(h[:, 0] if cell_net is None else model.cell_embedding(x, h))
            parts["X_atacformer_mean"].append((h * real.unsqueeze(-1)).sum(1) / real.sum(1, keepdim=True))
            parts["X_atacformer_tfidf"].append((h * weights).sum(1) / weights.sum(1).clamp(min=1e-6))
            if head is not None:
                parts["logits"].append(head(h[:, 0]))
    out = {k: torch.cat(v).float().numpy().reshape(len(views), n, -1).mean(0) for k, v in parts.items() if v}
    return {k: v for k, v in out.items() if k != "logits"}, out.get("logits")


def read_labels(path: str | Path, column: str, barcodes: pd.Index) -> pd.Series:
    """Cell type per cell (NaN where the file has none); an InputError if no barcode matches a cell."""
    table = pd.read_csv(path, sep="\t", dtype=str)
    if column not in table.columns:
        raise InputError(path, f"the labels file has no column {column!r} (it has {list(table.columns)})",
                         "set label_column to the column of cell types")
    labels = table.set_index(table.columns[0])[column].reindex(barcodes)
    if labels.notna().sum() == 0:
        raise InputError(path, f"no barcode of the labels file matches a cell (file: {list(table.iloc[:3, 0])}, "
                               f"cells: {list(barcodes[:3])})", "give labels keyed by the fragments file's barcodes")
    return labels


def leiden_matching(adata: ad.AnnData, rep: str, n_types: int | None, seed: int) -> tuple[np.ndarray, float]:
    """Leiden clusters on rep's kNN graph (scanpy); with labels, the resolution whose cluster count is closest to
    the number of types (the same rule for every embedding, so ARI compares embeddings, not resolutions)."""
    import scanpy as sc

    sc.pp.neighbors(adata, use_rep=rep, n_neighbors=min(15, adata.n_obs - 1), key_added=rep, random_state=seed)
    best = None
    for resolution in ([0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0] if n_types else [1.0]):
        sc.tl.leiden(adata, resolution=resolution, neighbors_key=rep, key_added="_leiden", flavor="igraph",
                     n_iterations=2, directed=False, random_state=seed)
        clusters = adata.obs["_leiden"].to_numpy()
        gap = abs(len(set(clusters)) - (n_types or 0))
        if best is None or gap < best[0]:
            best = (gap, clusters, resolution)
    return best[1], best[2]


def embedding_scores(adata: ad.AnnData, rep: str, labels: pd.Series | None, train: np.ndarray, test: np.ndarray,
                     seed: int) -> dict:
    """Leiden ARI / NMI against the labels and kNN transfer accuracy / macro-F1 of one embedding."""
    known = labels.notna().to_numpy() if labels is not None else None
    clusters, resolution = leiden_matching(adata, rep, labels[known].nunique() if known is not None else None, seed)
    adata.obs[f"leiden_{rep}"] = pd.Categorical(clusters)
    first_pc = PCA(1, random_state=seed).fit_transform(adata.obsm[rep])[:, 0]
    scores = {"n_clusters": int(len(set(clusters))), "resolution": resolution,
              # how much of the embedding's main axis is sequencing depth rather than cell identity
              "depth_pc1_spearman": float(abs(spearmanr(first_pc, adata.obs["n_fragment"]).statistic))}
    if labels is None:
        return scores
    y = labels.to_numpy()
    scores.update(ari=float(adjusted_rand_score(y[known], clusters[known])),
                  nmi=float(normalized_mutual_info_score(y[known], clusters[known])))
    fit, ask = train & known, test & known
    if fit.sum() and ask.sum():
        knn = KNeighborsClassifier(n_neighbors=min(15, int(fit.sum()))).fit(adata.obsm[rep][fit], y[fit])
        guess = knn.predict(adata.obsm[rep][ask])
        scores.update(knn_accuracy=float(accuracy_score(y[ask], guess)),
                      knn_macro_f1=float(f1_score(y[ask], guess, average="macro")))
    return scores


def write_cells(model_path: str | Path, store_path: str | Path, cells_qc: str | Path, out_h5ad: str | Path,
                out_json: str | Path, labels_path: str | Path | None = None, label_column: str = "cell_type",
                seed: int = 0) -> dict:
    """cells.h5ad and clustering.json for one dataset (see the module docstring)."""
    import h5py
    import scanpy as sc

    from regformer.chains.scatac.specs import MODELS

    _, model = load_trained(model_path, MODELS)
    adata = ad.read_h5ad(cells_qc)
    with h5py.File(store_path, "r") as h5:
        if [b.decode() for b in h5["cells/barcode"][:]] != list(adata.obs_names):
            raise InputError(store_path, "the store's cells differ from cells_qc.h5ad", "rebuild the store")
        split = np.full(adata.n_obs, "train", dtype=object)
        for name in ("val", "test"):
            split[h5[f"index/{name}"][:]] = name
    adata.obs["split"] = pd.Categorical(split)
    embeddings, head_logits = embed_store(model, store_path)
    adata.obsm.update(embeddings)
    labels = read_labels(labels_path, label_column, adata.obs_names) if labels_path else None
    if labels is not None:
        adata.obs["label"] = pd.Categorical(labels)
    train, test = split == "train", split == "test"
    metrics = {}
    for name, rep in EMBEDDINGS.items():
        metrics[name] = embedding_scores(adata, rep, labels, train, test, seed)
        sc.tl.umap(adata, neighbors_key=rep, random_state=seed)
        adata.obsm[f"X_umap_{name}"] = adata.obsm.pop("X_umap")
    for rep in EMBEDDINGS.values():  # the neighbour graphs are scanpy's to rebuild; keep the file small
        adata.uns.pop(rep, None)
        adata.obsp.pop(f"{rep}_distances", None)
        adata.obsp.pop(f"{rep}_connectivities", None)
    adata.obs.drop(columns=["_leiden"], inplace=True, errors="ignore")
    from regformer.chains.scatac.supervised import cell_type_scores

    result = {"embeddings": metrics, "n_cells": int(adata.n_obs), "labelled": labels is not None,
              "cell_type": cell_type_scores(adata, labels, head_logits, store_summary(store_path).get("label_names", []),
                                            train, test, seed),
              "n_labelled": int(labels.notna().sum()) if labels is not None else 0}
    with atomic_path(out_h5ad) as tmp:
        adata.write_h5ad(tmp)
    with atomic_path(out_json) as tmp:
        Path(tmp).write_text(json.dumps(result, indent=2))
    log.info("cell embeddings: %s", metrics)
    return result
