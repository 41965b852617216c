"""scATAC data: SnapATAC2 import of the real PBSmall fragments checked against a direct read, and cell sentences."""

import gzip

import h5py
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from conftest import DATA

from regformer.chains.scatac.dataset import mask_sentence
from regformer.chains.scatac.fragments import check_fragments, read_chrom_sizes
from regformer.chains.scatac.qc import import_and_qc
from regformer.chains.scatac.sentences import build_sentence_store, sentence_tokens, write_sentence_store
from regformer.io.stores import store_summary
from regformer.models.scatac.atacformer import CLOSED, IGNORE, KEPT, REMOVED

FRAGMENTS = DATA / "scatac" / "ArchR_PBSmall_hg19_fragments.tsv.gz"
SIZES = DATA / "scatac" / "hg19_chr5_chr11.sizes"
LABELS = DATA / "scatac" / "ArchR_PBSmall_cell_labels.tsv"


@pytest.fixture(scope="module")
def pbsmall(tmp_path_factory):
    """PBSmall through SnapATAC2 (import, QC, 5 kb tiles, features, spectral) and into a sentence store."""
    root = tmp_path_factory.mktemp("pbsmall")
    summary = import_and_qc(FRAGMENTS, root / "cells_qc.h5ad", root / "qc.json", root / "qc.png", SIZES,
                            {"min_fragments": 50, "n_comps": 10})
    build_sentence_store(root / "cells_qc.h5ad", root / "store.h5", split={"train": 0.7, "val": 0.15, "test": 0.15})
    return root, summary


def _direct_read() -> pd.DataFrame:
    return pd.read_csv(FRAGMENTS, sep="\t", header=None, names=["chrom", "start", "end", "barcode", "count"])


def test_fragment_check_counts_what_the_file_holds():
    frags = _direct_read()
    counts = check_fragments(FRAGMENTS, read_chrom_sizes(SIZES), "position", chunk_size=5000)  # several chunks
    assert counts["n_fragments"] == len(frags) == 29_399 and counts["n_barcodes"] == 150
    assert counts["per_chrom"] == frags["chrom"].value_counts().to_dict()
    assert counts["per_barcode"] == frags["barcode"].value_counts().to_dict()


def test_snapatac2_import_and_tiles_match_a_direct_read(pbsmall):
    import anndata as ad

    root, summary = pbsmall
    cells = ad.read_h5ad(root / "cells_qc.h5ad")
    frags = _direct_read()
    assert summary["n_cells"] == cells.n_obs == 150 and summary["n_fragments"] == 29_399
    per_cell = frags.groupby("barcode").size().reindex(cells.obs_names).to_numpy()
    assert np.array_equal(per_cell, cells.obs["n_fragment"].to_numpy())
    # 5 kb tiles of hg19 chr5 + chr11: ceil(180,915,260 / 5,000) + ceil(135,006,516 / 5,000)
    assert summary["n_tiles_genome"] == 36_184 + 27_002
    # a tile is open in a cell iff one of its fragments' Tn5 insertions (start, end - 1) falls in it
    insertions = pd.concat([frags.assign(pos=frags["start"]), frags.assign(pos=frags["end"] - 1)])
    opened = set(zip(insertions["barcode"], insertions["chrom"], insertions["pos"] // 5000 * 5000))
    direct = np.array([[(b, c, s) in opened for c, s in zip(cells.var["chrom"].astype(str), cells.var["start"])]
                       for b in cells.obs_names])
    assert np.array_equal((cells.X > 0).toarray(), direct) and direct.sum() > 20_000
    order = list(zip(cells.var["chrom_id"], cells.var["start"]))
    assert order == sorted(order)  # the vocabulary is in genomic order
    assert cells.obsm["X_spectral"].shape[0] == 150 and cells.obsm["X_spectral"].shape[1] >= 2


def test_the_store_holds_one_sentence_per_cell_with_its_open_tiles(pbsmall):
    import anndata as ad

    root, _ = pbsmall
    summary = store_summary(root / "store.h5")
    cells = ad.read_h5ad(root / "cells_qc.h5ad")
    n_chroms, first = 2, 4
    assert summary["vocab_size"] == summary["n_tiles"] + 2 + n_chroms and summary["n_truncated"] == 0
    with h5py.File(root / "store.h5") as h5:
        offsets, tokens = h5["sentences/offsets"][:], h5["sentences/tokens"][:]
        splits = [set(h5[f"index/{s}"][:]) for s in ("train", "val", "test")]
        for row in (0, 77, 149):
            sentence = tokens[offsets[row]:offsets[row + 1]]
            assert sentence[0] == 1 and list(sentence[sentence < first]) == [1, 2, 3]
            assert np.array_equal(np.sort(sentence[sentence >= first]) - first, np.sort(cells.X[row].indices))
    assert set().union(*splits) == set(range(150)) and sum(map(len, splits)) == 150


def test_sentence_order_eos_placement_and_vocabulary_ids():
    tile_chrom = np.array([0, 0, 0, 1, 1, 2])  # 6 tiles on 3 chromosomes: ids start at 2 + 3 = 5
    tokens, overflow = sentence_tokens(np.array([0, 2, 4]), tile_chrom, 3, max_length=100)
    assert tokens.tolist() == [1, 5, 7, 2, 9, 3, 4] and overflow.size == 0  # <cls> 0 2 <eos0> 4 <eos1> <eos2>
    tokens, overflow = sentence_tokens(np.arange(6), tile_chrom, 3, max_length=6, rng=np.random.default_rng(1))
    again, _ = sentence_tokens(np.arange(6), tile_chrom, 3, max_length=6, rng=np.random.default_rng(1))
    kept = tokens[tokens >= 5] - 5
    assert len(tokens) == 6 and np.array_equal(tokens, again)  # truncated to max_length, reproducibly
    assert sorted([*kept, *overflow]) == list(range(6)) and list(kept) == sorted(kept)
    assert list(tokens[(tokens >= 2) & (tokens < 5)]) == [2, 3, 4]


def test_store_streams_chunks_and_reports_truncated_cells(tmp_path):
    matrix = sp.random(50, 40, density=0.3, format="csr", random_state=0)
    chunks = (matrix[i:i + 7] for i in range(0, 50, 7))
    summary = write_sentence_store(tmp_path / "s.h5", chunks, chroms=["a", "b"], tile_chrom=np.repeat([0, 1], 20),
                                   tile_start=np.tile(np.arange(20) * 5000, 2), barcodes=[f"c{i}" for i in range(50)],
                                   bin_size=5000, max_length=12)
    too_long = int((np.diff(matrix.indptr) > 12 - 3).sum())
    assert summary["n_truncated"] == too_long > 0 and summary["max_sentence"] == 12


def test_masking_removes_a_share_of_open_tiles_and_sets_three_states():
    tokens, _ = sentence_tokens(np.arange(0, 40, 2), np.repeat([0, 1], 20), 2, max_length=100)
    x, states = mask_sentence(tokens, np.array([1], dtype=np.int32), 2, 40, 0.15, np.random.default_rng(0))
    removed = np.flatnonzero(states == REMOVED)
    assert len(removed) == 3 and len(x) == len(tokens) - 3  # round(0.15 * 20) tiles gone from the sentence
    assert set(removed + 4).isdisjoint(x) and list(x[x < 4]) == [1, 2, 3]
    assert np.array_equal(np.sort(np.r_[np.flatnonzero(states == KEPT), removed]), np.arange(0, 40, 2))
    assert states[1] == IGNORE and (states == CLOSED).sum() == 40 - 20 - 1


def test_gzip_and_plain_files_read_the_same(tmp_path):
    plain = tmp_path / "f.tsv"
    plain.write_bytes(gzip.decompress(FRAGMENTS.read_bytes()))
    sizes = read_chrom_sizes(SIZES)
    assert check_fragments(plain, sizes)["per_barcode"] == check_fragments(FRAGMENTS, sizes)["per_barcode"]


def test_qc_and_sentence_building_show_their_progress_on_the_console(tmp_path, capfd):
    """As the rules run them (inside log_to): fragments read, cells kept, the tile matrix, then cells done / total."""
    from regformer.logs import log_to

    with log_to(tmp_path / "logs" / "scatac" / "d" / "qc.log"):
        s = import_and_qc(FRAGMENTS, tmp_path / "cells.h5ad", tmp_path / "qc.json", tmp_path / "qc.png", SIZES,
                          {"min_fragments": 50, "n_comps": 10})
    qc = [line for line in capfd.readouterr().err.splitlines() if line.startswith("[scatac/d/qc] ")]
    assert qc == [f"[scatac/d/qc] {FRAGMENTS.name}: {s['n_fragments']:,} fragments read",
                  f"[scatac/d/qc] SnapATAC2 import: {s['n_imported']:,} barcodes",
                  f"[scatac/d/qc] QC: {s['n_cells']:,} of {s['n_imported']:,} barcodes kept as cells",
                  f"[scatac/d/qc] tile matrix: {s['n_cells']:,} cells x {s['n_tiles_genome']:,} tiles of 5000 bp",
                  f"[scatac/d/qc] features and spectral embedding: {s['n_features']:,} tiles selected"]
    with log_to(tmp_path / "logs" / "scatac" / "d" / "sentences.log"):
        build_sentence_store(tmp_path / "cells.h5ad", tmp_path / "store.h5", chunk_cells=40)
    sentences = capfd.readouterr().err.splitlines()
    n = s["n_cells"]
    assert len(sentences) == 10 and sentences[-1] == f"[scatac/d/sentences] {n}/{n} cell sentences (100%)"
    assert sentences[0] == f"[scatac/d/sentences] {-(-n // 10)}/{n} cell sentences ({100 * -(-n // 10) // n}%)"
