"""Depth-invariant cell embeddings and the supervised head: fixed-budget views, the contrastive and cell-type
terms, and the embedding's depth correlation on generated cells whose depth and type are independent."""

import numpy as np
import pytest
import torch

from regformer.chains.scatac.dataset import collate, subsample_sentence
from regformer.models.atacformer import IGNORE, AtacFormer

TINY = dict(chrom_tiles=[5, 3, 4], d_model=16, n_layers=1, n_heads=2, ff_dim=32, embed_dim=8, decoder_dim=8,
            decoder_hidden=16, dropout=0.0, state_weighting="none")
FIRST = 2 + 3  # first tile token: <pad>, <cls>, three <eos>


def _sentence(tiles_per_chrom):
    body = []
    for c, tiles in enumerate(tiles_per_chrom):
        body += [FIRST + t for t in tiles] + [2 + c]
    return np.array([1, *body], dtype=np.int32)


def test_subsample_keeps_budget_tiles_and_every_special_token():
    tokens = _sentence([[0, 1, 4], [5, 7], [8, 9, 10, 11]])
    kept, dropped = subsample_sentence(tokens, 3, 4, np.random.default_rng(0))
    assert (kept >= FIRST).sum() == 4 and len(dropped) == 5
    assert list(kept[kept < FIRST]) == [1, 2, 3, 4]  # <cls> and each <eos>, in order
    assert sorted(set(kept[kept >= FIRST] - FIRST) | set(dropped)) == [0, 1, 4, 5, 7, 8, 9, 10, 11]
    same, none = subsample_sentence(tokens, 3, 20, np.random.default_rng(0))
    assert np.array_equal(same, tokens) and len(none) == 0  # a cell under the budget is left whole


def test_supervised_and_contrastive_terms_add_to_the_loss_and_train_their_heads():
    torch.manual_seed(0)
    plain = AtacFormer(**TINY)
    both = AtacFormer(**TINY, n_labels=2, supervised_weight=1.0, contrastive_weight=1.0)
    assert plain.label_head is None and plain.view_head is None
    assert AtacFormer(**TINY, n_labels=0, supervised_weight=1.0).label_head is None  # no labels: head off
    both.load_state_dict(plain.state_dict(), strict=False)
    items = [{"x": _sentence([[0, 2], [5], [9]]), "y": np.zeros(12, np.int8), "row": 0, "label": 1,
              "x2": _sentence([[0], [5], [9, 11]])},
             {"x": _sentence([[1], [6, 7], []]), "y": np.ones(12, np.int8), "row": 1, "label": IGNORE,
              "x2": _sentence([[1], [7], []])}]
    batch = collate(items)
    assert batch["x2"].shape[0] == 2 and batch["label"].tolist() == [1, IGNORE]
    base = plain.training_loss(plain(batch["x"]), batch)
    total = both.training_loss(both(batch["x"]), batch)
    assert total > base  # the same masked-tile loss (shared weights) plus two positive terms
    total.backward()
    assert both.label_head[0].weight.grad.abs().sum() > 0 and both.view_head[0].weight.grad.abs().sum() > 0
