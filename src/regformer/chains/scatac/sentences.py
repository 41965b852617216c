"""Cell sentences: each cell's open tiles as token ids, streamed from a sparse cell x tile matrix into HDF5.

A sentence is <cls>, then for each chromosome in order its open tiles in genomic order followed by its <eos_c>
(token ids in regformer.models.scatac.atacformer: 0 <pad>, 1 <cls>, 2 + c <eos_c>, 2 + C + t tile t). A cell with
more open tiles than max_length allows keeps a random subset (seeded by the cell's row, so reproducible);
the dropped tiles are stored as its `overflow` (their state is unknown to the masked-tile loss).

The store (the chain's prepared store, regformer.chain_interface): sentences/{tokens,offsets} and
sentences/{overflow,overflow_offsets} as ragged int32 arrays, tiles/{chrom,start}, chroms, cells/barcode,
index/{train,val,test}, and the JSON summary. Rows are built chunk by chunk: memory follows the chunk, not
the matrix.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from pathlib import Path

import h5py
import numpy as np
import scipy.sparse as sp

from regformer.data.splits import write_split_index
from regformer.io.atomic import atomic_path
from regformer.io.stores import new_hdf5
from regformer.logs import Progress
from regformer.models.scatac.atacformer import CLS, N_SPECIAL

log = logging.getLogger(__name__)


def sentence_tokens(tiles: np.ndarray, tile_chrom: np.ndarray, n_chroms: int, max_length: int,
                    rng: np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(tokens, overflow) of one cell from its sorted open tile ids; tokens has at most max_length entries."""
    tiles = np.asarray(tiles, dtype=np.int64)
    room = max_length - 1 - n_chroms
    if room < 0:
        raise ValueError(f"max_length {max_length} leaves no room for <cls> and {n_chroms} <eos> tokens")
    overflow = np.empty(0, dtype=np.int64)
    if len(tiles) > room:
        keep = np.zeros(len(tiles), dtype=bool)
        keep[(rng or np.random.default_rng(0)).choice(len(tiles), room, replace=False)] = True
        tiles, overflow = tiles[keep], tiles[~keep]
    counts = np.bincount(tile_chrom[tiles], minlength=n_chroms)
    body = np.insert(tiles + N_SPECIAL + n_chroms, np.cumsum(counts), N_SPECIAL + np.arange(n_chroms))
    return np.concatenate([[CLS], body]).astype(np.int32), overflow.astype(np.int32)


class _Ragged:
    """A growing ragged int32 array in HDF5: values plus offsets (n + 1)."""

    def __init__(self, h5: h5py.File, name: str, chunk: int = 1 << 16):
        self.values = h5.create_dataset(f"{name}", shape=(0,), maxshape=(None,), dtype=np.int32, chunks=(chunk,),
                                        compression="lzf")
        self.offsets = [0]

    def extend(self, arrays: list[np.ndarray]) -> None:
        flat = np.concatenate(arrays) if arrays else np.empty(0, np.int32)
        start = self.values.shape[0]
        self.values.resize((start + len(flat),))
        self.values[start:] = flat
        self.offsets.extend((start + np.cumsum([len(a) for a in arrays], dtype=np.int64)).tolist())


def split_labels(n_cells: int, split: dict, seed: int) -> np.ndarray:
    """'train' / 'val' / 'test' per cell, shuffled with `seed` (fractions of the config's split)."""
    order = np.random.default_rng(seed).permutation(n_cells)
    n_test = max(1, round(split.get("test", 0.1) * n_cells))
    n_val = max(1, round(split.get("val", 0.1) * n_cells))
    labels = np.full(n_cells, "train", dtype=object)
    labels[order[:n_test]] = "test"
    labels[order[n_test:n_test + n_val]] = "val"
    return labels


def write_sentence_store(out_path: str | Path, chunks: Iterable[sp.csr_matrix], *, chroms: list[str],
                         tile_chrom: np.ndarray, tile_start: np.ndarray, barcodes: list[str], bin_size: int,
                         max_length: int = 6800, split: dict | None = None, seed: int = 0,
                         extra_summary: dict | None = None, labels: list | None = None) -> dict:
    """Stream cell x tile chunks (columns = tiles in genomic order) into the sentence store; return its summary."""
    tile_chrom = np.asarray(tile_chrom, dtype=np.int64)
    n_chroms, n_cells = len(chroms), len(barcodes)
    lengths, n_truncated, row = [], 0, 0
    with atomic_path(out_path) as tmp, new_hdf5(tmp) as h5:
        tokens, overflow = _Ragged(h5, "sentences/tokens"), _Ragged(h5, "sentences/overflow")
        counter = Progress(n_cells, "cell sentences")  # on the console: cells done / total
        for chunk in chunks:
            chunk = sp.csr_matrix(chunk)
            chunk.sort_indices()
            sent, over = [], []
            for i in range(chunk.shape[0]):
                tiles = chunk.indices[chunk.indptr[i]:chunk.indptr[i + 1]][chunk.data[chunk.indptr[i]:chunk.indptr[i + 1]] > 0]
                t, o = sentence_tokens(tiles, tile_chrom, n_chroms, max_length, np.random.default_rng([seed, row]))
                sent.append(t)
                over.append(o)
                lengths.append(len(t))
                n_truncated += len(o) > 0
                row += 1
                counter.advance()
            tokens.extend(sent)
            overflow.extend(over)
        if row != n_cells:
            raise ValueError(f"the matrix has {row} cells but {n_cells} barcodes were given")
        h5.create_dataset("sentences/offsets", data=np.asarray(tokens.offsets, dtype=np.int64))
        h5.create_dataset("sentences/overflow_offsets", data=np.asarray(overflow.offsets, dtype=np.int64))
        h5.create_dataset("tiles/chrom", data=tile_chrom.astype(np.int16))
        h5.create_dataset("tiles/start", data=np.asarray(tile_start, dtype=np.int64))
        h5.create_dataset("chroms", data=np.array(chroms, dtype="S"))
        h5.create_dataset("cells/barcode", data=np.array(barcodes, dtype="S"))
        label_names = _write_labels(h5, labels) if labels is not None else []
        counts = write_split_index(h5, split_labels(n_cells, split or {}, seed))
        lengths = np.asarray(lengths)
        summary = {
            "n_cells": n_cells, "n_tiles": int(len(tile_chrom)), "chroms": list(chroms),
            "chrom_tiles": np.bincount(tile_chrom, minlength=n_chroms).astype(int).tolist(),
            "vocab_size": int(len(tile_chrom) + N_SPECIAL + n_chroms), "bin_size": bin_size, "max_length": max_length,
            "n_truncated": int(n_truncated), "mean_length": float(lengths.mean()) if n_cells else 0.0,
            "max_sentence": int(lengths.max()) if n_cells else 0, "splits": counts, "seed": seed,
            "label_names": label_names,
            **(extra_summary or {}),
        }
        h5.attrs["summary"] = json.dumps(summary)
    log.info("%d cell sentences (mean length %.0f, %d truncated to %d) -> %s", n_cells, summary["mean_length"],
             n_truncated, max_length, out_path)
    return summary


def _write_labels(h5: h5py.File, labels: list) -> list[str]:
    """cells/label: each cell's index into the sorted cell types, -100 where unknown; return the types."""
    names = sorted({str(v) for v in labels if isinstance(v, str)})
    codes = np.array([names.index(v) if isinstance(v, str) else -100 for v in labels], dtype=np.int16)
    h5.create_dataset("cells/label", data=codes)
    return names


def build_sentence_store(cells_h5ad: str | Path, out_path: str | Path, *, max_length: int = 6800,
                         split: dict | None = None, seed: int = 0, chunk_cells: int = 2048,
                         labels_path: str | Path | None = None, label_column: str = "cell_type") -> dict:
    """The store from cells_qc.h5ad (regformer.chains.scatac.qc): its selected tiles, read in chunks of cells;
    with a labels file, each cell's type (for the supervised head; the split decides who trains on it)."""
    import anndata as ad

    cells = ad.read_h5ad(cells_h5ad, backed="r")
    try:
        chroms = list(json.loads(cells.uns["chrom_sizes"]))
        tile_chrom = cells.var["chrom_id"].to_numpy()
        chunks = (cells.X[i:i + chunk_cells] for i in range(0, cells.n_obs, chunk_cells))
        labels = None
        if labels_path:
            from regformer.chains.scatac.cells import read_labels

            labels = read_labels(labels_path, label_column, cells.obs_names).tolist()
        return write_sentence_store(out_path, chunks, chroms=chroms, tile_chrom=tile_chrom,
                                    tile_start=cells.var["start"].to_numpy(), barcodes=list(cells.obs_names),
                                    bin_size=int(cells.uns["bin_size"]),
                                    max_length=max_length, split=split, seed=seed, labels=labels)
    finally:
        cells.file.close()
