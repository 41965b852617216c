"""atacFormer: decoder shapes, padding mask, 3-state loss, one training step and evaluation through the shared
stages, and the cell embeddings written to cells.h5ad."""

import json

import numpy as np
import pytest
import torch

from regformer.chains.scatac.specs import MODELS
from regformer.models.scatac.atacformer import AtacFormer

TINY = dict(chrom_tiles=[5, 3, 4], d_model=16, n_layers=2, n_heads=2, ff_dim=32, embed_dim=8, decoder_dim=8,
            decoder_hidden=16, dropout=0.0)


def test_decoder_gives_three_states_for_every_tile_and_padding_changes_nothing():
    torch.manual_seed(0)
    model = AtacFormer(**TINY).eval()
    first = 2 + 3
    sentence = torch.tensor([[1, first + 0, first + 2, 2, first + 6, 3, 4]])
    padded = torch.cat([sentence, torch.zeros(1, 5, dtype=torch.long)], 1)
    other = torch.tensor([[1, first + 1, 2, 3, first + 9, first + 11, 4, 0, 0, 0, 0, 0]])
    out = model(torch.cat([padded, other]))
    assert out["prediction"].shape == (2, 12, 3) and out["cls"].shape == (2, 16)
    alone = model(sentence)
    assert torch.allclose(alone["prediction"][0], out["prediction"][0], atol=1e-5)
    assert torch.allclose(alone["mean"][0], out["mean"][0], atol=1e-5)
    assert not torch.allclose(out["prediction"][0], out["prediction"][1])  # the cell's sentence matters


def test_full_size_is_the_summary_configuration():
    spec = MODELS["atacformer"]
    assert (spec.full["n_layers"], spec.full["d_model"], spec.full["n_heads"], spec.full["embed_dim"]) == (12, 512, 8, 64)
    assert sum(spec.full["chrom_tiles"]) == 606_219 and len(spec.full["chrom_tiles"]) == 23  # hg38 at 5 kb
    import dataclasses

    # the summary's model without issue 23's cell head (its own 64-d tile embedding: the default's other half)
    summary = dataclasses.replace(spec, full={**spec.full, "cell_head": "shared", "contrastive_weight": 0.0})
    n = summary.n_parameters("full")
    assert n == 76_711_747 and (606_219 + 25) * 64 < n  # the factorized embedding is about half of it
    assert spec.n_parameters("full") == n + (606_219 + 25) * 64 + 66_240  # + bag embedding, cell_net, cell_proj
    full_embedding = AtacFormer(**{**TINY, "embed_dim": None})
    assert full_embedding.embed.weight.shape == (12 + 5, 16)


def test_balanced_loss_weights_each_state_and_ignores_unknown_tiles():
    model = AtacFormer(**TINY)
    logits = torch.zeros(1, 12, 3)
    logits[0, :, 0] = 5.0  # confident "closed" everywhere
    target = torch.zeros(1, 12, dtype=torch.long)
    target[0, 0], target[0, 1] = 2, -100
    balanced = model.training_loss({"prediction": logits}, {"y": target})
    model.state_weighting = "none"
    plain = model.training_loss({"prediction": logits}, {"y": target})
    assert balanced > plain > 0  # the rare removed tile counts as much as all closed ones together


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory):
    from regformer.chains.scatac.qc import import_and_qc
    from regformer.chains.scatac.sentences import build_sentence_store
    from regformer.chains.scatac.synthetic import simulate_scatac

    root = tmp_path_factory.mktemp("scatac")
    raw = [root / name for name in ("f.tsv.gz", "sizes.tsv", "labels.tsv", "genes.gtf")]
    simulate_scatac(*raw, chrom_lengths={"chr1": 1_000_000, "chr2": 1_000_000}, cells_per_type=12, shared_peaks=30,
                    type_peaks=20, mean_fragments=300, frip=0.8)
    import_and_qc(raw[0], root / "cells_qc.h5ad", root / "qc.json", root / "qc.png", raw[1],
                  {"min_fragments": 50, "n_comps": 5, "gene_annotation": raw[3]})
    build_sentence_store(root / "cells_qc.h5ad", root / "store.h5", split={"train": 0.6, "val": 0.2, "test": 0.2})
    return root


def test_one_training_step_evaluation_and_cell_embeddings(demo_store, tmp_path):
    import anndata as ad

    from regformer.chains.scatac.cells import write_cells
    from regformer.stages import evaluate, train

    store = demo_store / "store.h5"
    cfg = {"size": "demo", "max_epochs": 1, "batch_size": 32, "d_model": 16, "n_layers": 1, "n_heads": 2, "ff_dim": 32}
    summary = train("scatac", store, "atacformer", cfg, tmp_path / "a" / "model.pt",
                    trainer_cfg={"accelerator": "cpu", "progress_bar": False})
    assert summary["epochs_trained"] == 1 and np.isfinite(summary["best_val_loss"])
    train("scatac", store, "open_frequency", {}, tmp_path / "f" / "model.pt")
    for model in ("a", "f"):
        metrics = evaluate("scatac", store, tmp_path / model / "model.pt", tmp_path / model / "metrics.json",
                           tmp_path / model / "predictions.h5")
        assert 0 <= metrics["auroc"] <= 1 and metrics["n_cells"] == 7 and metrics["n_removed"] > 0
    assert metrics["auroc"] > 0.6  # type-specific and shared peaks are open more often than background tiles
    result = write_cells(tmp_path / "a" / "model.pt", store, demo_store / "cells_qc.h5ad", tmp_path / "cells.h5ad",
                         tmp_path / "clustering.json", demo_store / "labels.tsv", "cell_type")
    cells = ad.read_h5ad(tmp_path / "cells.h5ad")
    assert cells.obsm["X_atacformer"].shape == (36, 16) and "X_spectral" in cells.obsm and "tsse" in cells.obs
    assert set(cells.obs["label"]) == {"type0", "type1", "type2"}
    spectral = json.loads((tmp_path / "clustering.json").read_text())["embeddings"]["spectral"]
    assert spectral == result["embeddings"]["spectral"] and spectral["ari"] > 0.5  # the types are separable
    assert 0 <= spectral["depth_pc1_spearman"] <= 1
    from regformer.chains.scatac.report import write_scatac_report

    inputs = {"store": store, "qc": demo_store / "qc.json", "qc_figure": demo_store / "qc.png",
              "cells": tmp_path / "cells.h5ad", "clustering": tmp_path / "clustering.json"}
    html = write_scatac_report(tmp_path / "report.html", "demo", {"atacformer": tmp_path / "a",
                                                                  "open_frequency": tmp_path / "f"}, inputs).read_text()
    assert "Leiden clusters of X_atacformer (rows) x labels" in html and "logistic_spectral" in html
    assert "validation AUROC per epoch" in html and "atacformer_tfidf" in html
    scores = result["cell_type"]["logistic_spectral"]
    assert scores["n_test"] == 7 and 0 <= scores["macro_f1"] <= 1 and "atacformer_head" not in result["cell_type"]
