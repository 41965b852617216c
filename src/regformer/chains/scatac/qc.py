"""SnapATAC2's single-cell steps: import fragments, QC, cell filter, 5 kb tile matrix, features, spectral embedding.

Everything single-cell is SnapATAC2's (pp.import_fragments, metrics.frag_size_distr, metrics.tsse,
pp.add_tile_matrix, pp.select_features, tl.spectral); this module chooses the settings, explains a filter
that leaves no cell, and writes `cells_qc.h5ad`: QC in obs, the selected tiles' counts in X (tiles in genomic
order, var chrom/start), obsm['X_spectral'], plus qc.json and a QC figure.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import scipy.sparse as sp

from regformer.chains.scatac.fragments import check_fragments, dropped_fragments, read_chrom_sizes
from regformer.errors import InputError
from regformer.io.atomic import atomic_path
from regformer.logs import progress

log = logging.getLogger(__name__)

QC_DEFAULTS = dict(min_fragments=200, max_fragments=100_000, min_tsse=0.0, bin_size=5000, n_features=50_000,
                   n_comps=30, sorted_by="position", chromosomes=None, whitelist=None, gene_annotation=None)


def _filter_cells(obs: pd.DataFrame, s: dict, source) -> np.ndarray:
    """Cells that pass min/max fragments and min TSS enrichment; an InputError says which threshold emptied it."""
    keep = np.ones(len(obs), dtype=bool)
    for name, passed in (("min_fragments", obs["n_fragment"] >= s["min_fragments"]),
                         ("max_fragments", obs["n_fragment"] <= s["max_fragments"]),
                         ("min_tsse", obs["tsse"] >= s["min_tsse"] if "tsse" in obs else True)):
        before = int(keep.sum())
        keep &= np.asarray(passed)
        if before and not keep.any():
            raise InputError(source, f"no cell passes QC: {before} cells left before {name} = {s[name]} removed "
                                     "them all", f"lower {name} in the dataset's config")
    if not keep.any():
        raise InputError(source, "no barcode was imported", "check the whitelist and min_fragments")
    return keep


def _tile_table(var_names, chrom_order: list[str]) -> pd.DataFrame:
    """chrom, start and genomic rank of SnapATAC2's tile names (chr1:0-5000)."""
    parts = pd.Series(var_names).str.extract(r"^(.*):(\d+)-(\d+)$")
    table = pd.DataFrame({"chrom": parts[0], "start": parts[1].astype(np.int64)})
    table["chrom_id"] = table["chrom"].map({c: i for i, c in enumerate(chrom_order)})
    return table


def import_and_qc(fragments: str | Path, out_h5ad: str | Path, out_json: str | Path, out_png: str | Path,
                  chrom_sizes: str | Path, settings: dict | None = None) -> dict:
    """Run SnapATAC2 on one fragments file and write the cells, their QC and the spectral embedding."""
    import snapatac2 as snap

    s = {**QC_DEFAULTS, **{k: v for k, v in (settings or {}).items() if k in QC_DEFAULTS}}
    all_sizes = read_chrom_sizes(chrom_sizes)
    sizes = read_chrom_sizes(chrom_sizes, s["chromosomes"]) if s["chromosomes"] else all_sizes
    counts = check_fragments(fragments, sizes, s["sorted_by"], lengths=all_sizes)
    dropped = dropped_fragments(fragments, counts, all_sizes, chrom_sizes)
    whitelist = None
    if s["whitelist"]:
        whitelist = [line.strip() for line in Path(s["whitelist"]).read_text().splitlines() if line.strip()]
        if not set(whitelist) & set(counts["per_barcode"]):
            raise InputError(s["whitelist"], "no barcode of the whitelist is in the fragments file",
                             "give the whitelist of this sample (barcodes as written in the fragments file)")
    adata = snap.pp.import_fragments(str(fragments), chrom_sizes=sizes, file=None, min_num_fragments=0,
                                     sorted_by_barcode=s["sorted_by"] == "barcode", whitelist=whitelist,
                                     chrM=[], n_jobs=1)
    progress().info("SnapATAC2 import: %s barcodes", f"{adata.n_obs:,}")
    snap.metrics.frag_size_distr(adata, max_recorded_size=1000)
    if s["gene_annotation"]:
        snap.metrics.tsse(adata, gene_anno=str(s["gene_annotation"]))
    n_imported = adata.n_obs
    keep = _filter_cells(adata.obs, s, fragments)
    adata = adata[keep].copy()
    progress().info("QC: %s of %s barcodes kept as cells", f"{adata.n_obs:,}", f"{n_imported:,}")
    snap.pp.add_tile_matrix(adata, bin_size=s["bin_size"], n_jobs=1)
    progress().info("tile matrix: %s cells x %s tiles of %s bp", f"{adata.n_obs:,}", f"{adata.n_vars:,}", s["bin_size"])
    snap.pp.select_features(adata, n_features=s["n_features"], n_jobs=1)
    snap.tl.spectral(adata, n_comps=min(s["n_comps"], adata.n_obs - 2))
    progress().info("features and spectral embedding: %s tiles selected", f"{int(adata.var['selected'].sum()):,}")
    tiles = _tile_table(adata.var_names, list(sizes))
    selected = np.flatnonzero(adata.var["selected"].to_numpy())
    selected = selected[np.lexsort((tiles["start"].to_numpy()[selected], tiles["chrom_id"].to_numpy()[selected]))]
    obs = adata.obs.copy()
    obs["n_tiles_open"] = np.asarray((adata.X[:, selected] > 0).sum(1)).ravel()
    cells = ad.AnnData(X=sp.csr_matrix(adata.X[:, selected], dtype=np.float32), obs=obs,
                       var=tiles.iloc[selected].set_index(adata.var_names[selected]))
    cells.obsm["X_spectral"] = np.asarray(adata.obsm["X_spectral"], dtype=np.float32)
    cells.uns["frag_size_distr"] = np.asarray(adata.uns["frag_size_distr"])
    cells.uns["chrom_sizes"] = json.dumps(sizes)
    cells.uns["bin_size"] = s["bin_size"]
    summary = {"n_fragments": counts["n_fragments"], "n_fragments_used": counts["n_fragments_known"],
               **dropped, "n_barcodes": counts["n_barcodes"], "n_imported": int(n_imported), "n_cells": int(cells.n_obs),
               "n_tiles_genome": int(adata.n_vars), "n_features": int(len(selected)), "bin_size": s["bin_size"],
               "median_fragments": float(obs["n_fragment"].median()),
               "median_tsse": float(obs["tsse"].median()) if "tsse" in obs else None,
               "thresholds": {k: s[k] for k in ("min_fragments", "max_fragments", "min_tsse")}}
    with atomic_path(out_h5ad) as tmp:
        cells.write_h5ad(tmp)
    with atomic_path(out_json) as tmp:
        Path(tmp).write_text(json.dumps(summary, indent=2))
    from regformer.chains.scatac.plots import plot_qc

    plot_qc(out_png, obs, cells.uns["frag_size_distr"], s)
    log.info("scATAC QC: %s", summary)
    return summary
