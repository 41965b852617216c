"""The scATAC chain's apply hook on real fragments (ArchR's PBSmall): new cells embedded through SnapATAC2 tiles
and the training vocabulary; the training cells' own fragments reproduce their stored embedding."""

import anndata as ad
import numpy as np
import pytest
import torch

from regformer.apply.stages import run_stage
from regformer.chains.scatac.cells import embed_store
from regformer.chains.scatac.chain import ScatacChain
from regformer.chains.scatac.qc import import_and_qc
from regformer.chains.scatac.sentences import build_sentence_store
from regformer.chains.scatac.specs import MODELS
from regformer.errors import InputError
from regformer.io.stores import store_summary
from test_scatac_data import FRAGMENTS, SIZES


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """results/scatac/pb/ with qc/cells_qc.h5ad, sentences.h5 and an untrained demo atacFormer."""
    from regformer.models.saved import save_trained

    root = tmp_path_factory.mktemp("apply_scatac") / "results" / "scatac" / "pb"
    (root / "qc").mkdir(parents=True)
    import_and_qc(FRAGMENTS, root / "qc" / "cells_qc.h5ad", root / "qc" / "qc.json", root / "qc" / "qc.png", SIZES,
                  {"min_fragments": 50, "n_comps": 10})
    build_sentence_store(root / "qc" / "cells_qc.h5ad", root / "sentences.h5",
                         split={"train": 0.7, "val": 0.15, "test": 0.15})
    spec = MODELS["atacformer"]
    arch = ScatacChain().arch_for_store(spec, dict(spec.demo), {}, root / "sentences.h5")
    torch.manual_seed(0)
    save_trained({"name": "atacformer", "arch": arch, "model": spec.build(**arch).eval(), "summary": {}},
                 root / "atacformer" / "model.pt")
    return root


def test_projecting_the_training_cells_reproduces_their_stored_embedding(dataset, tmp_path):
    from regformer.models.saved import load_trained

    model_path = dataset / "atacformer" / "model.pt"
    result = run_stage("predict", "scatac", model_path, FRAGMENTS, tmp_path / "new.h5ad", {"min_fragments": 50})
    new = ad.read_h5ad(tmp_path / "new.h5ad")
    _, model = load_trained(model_path, MODELS)
    embeddings, _ = embed_store(model, dataset / "sentences.h5")
    stored_cls, stored_mean = embeddings["X_atacformer"], embeddings["X_atacformer_mean"]
    stored = ad.read_h5ad(dataset / "qc" / "cells_qc.h5ad")
    assert result["n_cells"] == new.n_obs == stored.n_obs == store_summary(dataset / "sentences.h5")["n_cells"]
    order = new.obs_names.get_indexer(stored.obs_names)
    np.testing.assert_allclose(new.obsm["X_atacformer"][order], stored_cls, atol=1e-4)
    np.testing.assert_allclose(new.obsm["X_atacformer_mean"][order], stored_mean, atol=1e-4)
    assert (new.obs["n_outside_vocabulary"] > 0).any()  # unselected tiles: counted, not used
    with pytest.raises(InputError, match="fragments files, not DNA sequences"):
        run_stage("variants", "scatac", model_path, FRAGMENTS, tmp_path / "v.tsv")


def test_labels_transfer_by_knn_from_the_labelled_training_cells(dataset, tmp_path):
    from regformer.models.saved import load_trained

    model_path = dataset / "atacformer" / "model.pt"
    _, model = load_trained(model_path, MODELS)
    embeddings, _ = embed_store(model, dataset / "sentences.h5")
    cells = ad.read_h5ad(dataset / "qc" / "cells_qc.h5ad")
    cells.obsm["X_atacformer"] = embeddings["X_atacformer"]
    cells.obs["split"] = "train"
    cells.obs["label"] = np.where(np.arange(cells.n_obs) % 2, "B", "T")
    cells.write_h5ad(dataset / "cells.h5ad")
    try:
        result = run_stage("predict", "scatac", model_path, FRAGMENTS, tmp_path / "new.h5ad",
                           {"min_fragments": 50, "n_neighbors": 1})
        new = ad.read_h5ad(tmp_path / "new.h5ad")
    finally:
        (dataset / "cells.h5ad").unlink()
    assert result["labels_transferred"] and result["n_reference_cells"] == cells.n_obs
    # with one neighbour each training cell gets its own label back
    assert (new.obs["label_transferred"].reindex(cells.obs_names).to_numpy() == cells.obs["label"].to_numpy()).all()
