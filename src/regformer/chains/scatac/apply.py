"""The scATAC chain's apply hooks (regformer.apply.hooks): a new fragments file -> its cells embedded by the trained
model, with cell types transferred by kNN from the training cells.

New cells go through the training's own steps: SnapATAC2 imports the fragments and counts them in tiles of the
training bin size; the tiles of the training vocabulary (the store's selected tiles) become each cell's sentence
(chains/scatac/sentences.sentence_tokens, seeded as the store was), and the model's cell embedding (its cell
head's, or <cls> with cell_head shared: AtacFormer.embed_cells) and mean output are its embedding. Counts in tiles
outside the vocabulary are reported per cell, not used. With labelled training cells
(results/scatac/<dataset>/cells.h5ad), a kNN classifier on their cell embedding labels the new cells.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import torch

from regformer.chains.scatac.dataset import collate
from regformer.chains.scatac.fragments import check_fragments
from regformer.chains.scatac.sentences import sentence_tokens
from regformer.errors import InputError
from regformer.io.atomic import atomic_path
from regformer.io.stores import store_summary

log = logging.getLogger(__name__)


def _not_sequences(*_):
    raise InputError("inputs", "scATAC models read fragments files, not DNA sequences",
                     "call `regformer predict scatac --input FRAGMENTS.tsv.gz` (variants and explain do not apply)")


class ScatacApply:
    """Hooks of the scATAC chain (predict only)."""

    reverse_output = None
    encode = staticmethod(_not_sequences)
    variants = explain = staticmethod(_not_sequences)

    @staticmethod
    def context(model_path: Path, saved: dict) -> dict:
        """The sentence store, the QC cells (chromosome sizes, bin size) and, if built, the embedded cells."""
        root = Path(model_path).parent.parent
        store, qc = root / "sentences.h5", root / "qc" / "cells_qc.h5ad"
        for path in (store, qc):
            if not path.exists():
                raise InputError(model_path, f"no {path} beside the model",
                                 "keep the model under results/scatac/<dataset>/<model>/ with its dataset's files")
        import anndata as ad

        qc_cells = ad.read_h5ad(qc, backed="r")
        sizes, bin_size = json.loads(qc_cells.uns["chrom_sizes"]), int(qc_cells.uns["bin_size"])
        qc_cells.file.close()
        cells = root / "cells.h5ad"
        return {"store": store, "chrom_sizes": sizes, "bin_size": bin_size, "summary": store_summary(store),
                "cells": cells if cells.exists() else None}

    @staticmethod
    def vocabulary(store) -> tuple[dict, np.ndarray, list[str]]:
        """(chrom, start) -> token tile id, each tile's chromosome id, the chromosomes."""
        import h5py

        with h5py.File(store, "r") as h5:
            chrom, start = h5["tiles/chrom"][:].astype(np.int64), h5["tiles/start"][:]
            chroms = [c.decode() for c in h5["chroms"][:]]
        return {(chroms[c], int(s)): k for k, (c, s) in enumerate(zip(chrom, start))}, chrom, chroms

    def tile_counts(self, fragments, context: dict, min_fragments: int):
        """(barcodes, cells x vocabulary csr counts, counts outside the vocabulary, fragments per cell)."""
        import snapatac2 as snap

        check_fragments(fragments, context["chrom_sizes"])
        adata = snap.pp.import_fragments(str(fragments), chrom_sizes=context["chrom_sizes"], file=None,
                                         min_num_fragments=min_fragments, sorted_by_barcode=False, chrM=[], n_jobs=1)
        if adata.n_obs == 0:
            raise InputError(fragments, f"no barcode has {min_fragments} fragments", "lower min_fragments")
        snap.pp.add_tile_matrix(adata, bin_size=context["bin_size"], n_jobs=1)
        index, _, _ = self.vocabulary(context["store"])
        names = adata.var_names.str.extract(r"^(.*):(\d+)-\d+$")
        columns = np.array([index.get((c, int(s)), -1) for c, s in zip(names[0], names[1])])
        x = sp.csr_matrix(adata.X)
        inside = columns >= 0
        counts = sp.csr_matrix(x[:, inside])
        mapped = sp.csr_matrix((counts.data, columns[inside][counts.indices], counts.indptr),
                               shape=(x.shape[0], len(index)))
        mapped.sort_indices()
        outside = np.asarray(x[:, ~inside].sum(1)).ravel()
        return list(adata.obs_names), mapped, outside, np.asarray(adata.obs["n_fragment"])

    @torch.inference_mode()
    def embed(self, model, matrix: sp.csr_matrix, context: dict, batch_size: int = 32) -> tuple[np.ndarray, np.ndarray]:
        """(cell, mean) embeddings of each row's open tiles as a sentence (as the store built its own)."""
        summary = context["summary"]
        _, tile_chrom, chroms = self.vocabulary(context["store"])
        sentences = []
        for row in range(matrix.shape[0]):
            tiles = matrix.indices[matrix.indptr[row]:matrix.indptr[row + 1]]
            tiles = tiles[matrix.data[matrix.indptr[row]:matrix.indptr[row + 1]] > 0]
            sentences.append(sentence_tokens(tiles, tile_chrom, len(chroms), summary["max_length"],
                                             np.random.default_rng([summary["seed"], row]))[0])
        cls, mean = [], []
        for i in range(0, len(sentences), batch_size):
            batch = collate([{"x": t, "y": np.zeros(1, np.int8), "row": i} for t in sentences[i:i + batch_size]])
            c, m = model.embed_cells(batch["x"])
            cls.append(c.float().numpy())
            mean.append(m.float().numpy())
        return np.concatenate(cls), np.concatenate(mean)

    def predict(self, model, input_path, out_path, settings: dict) -> dict:
        """predict/NAME.h5ad: obs n_fragment, n_outside_vocabulary, [label_transferred]; obsm X_atacformer(_mean)."""
        import anndata as ad
        import pandas as pd

        if not hasattr(model.model, "embed_cells"):
            raise InputError(model.path, f"{model.name} has no cell embedding", "use an atacformer model")
        barcodes, matrix, outside, n_fragment = self.tile_counts(input_path, model.context,
                                                                 settings.get("min_fragments", 1))
        cls, mean = self.embed(model.model.eval(), matrix, model.context)
        obs = pd.DataFrame({"n_fragment": n_fragment, "n_outside_vocabulary": outside}, index=barcodes)
        new = ad.AnnData(X=matrix.astype(np.float32), obs=obs, obsm={"X_atacformer": cls, "X_atacformer_mean": mean})
        result = {"n_cells": len(barcodes), "outside_vocabulary_share": float(outside.sum() /
                                                                              max(outside.sum() + matrix.sum(), 1))}
        if model.context["cells"] is not None:
            result.update(transfer_labels(new, model.context["cells"], settings.get("n_neighbors", 15)))
        new.uns["apply"] = json.dumps(result)
        with atomic_path(out_path) as tmp:
            new.write_h5ad(tmp)
        log.info("embedded %s", result)
        return result


def transfer_labels(new, cells_h5ad, n_neighbors: int) -> dict:
    """obs label_transferred of `new` by kNN on X_atacformer from the labelled training cells, if any."""
    import anndata as ad
    from sklearn.neighbors import KNeighborsClassifier

    cells = ad.read_h5ad(cells_h5ad)
    if "label" not in cells.obs or "X_atacformer" not in cells.obsm:
        return {"labels_transferred": False}
    train = (cells.obs["split"] == "train").to_numpy() & cells.obs["label"].notna().to_numpy()
    knn = KNeighborsClassifier(n_neighbors=min(n_neighbors, int(train.sum())))
    knn.fit(cells.obsm["X_atacformer"][train], cells.obs["label"].astype(str).to_numpy()[train])
    new.obs["label_transferred"] = knn.predict(new.obsm["X_atacformer"])
    return {"labels_transferred": True, "n_reference_cells": int(train.sum())}


HOOKS = ScatacApply()
