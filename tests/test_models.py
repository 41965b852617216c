"""Model shapes, full-size parameter counts, strand handling, k-mer features, one training step."""

import numpy as np
import pytest
import torch

from regformer.data.encoding import one_hot, reverse_complement_codes, reverse_complement_one_hot
from regformer.models.blocks import count_parameters
from regformer.models.kmer_ridge import kmer_counts, n_kmer_features
from regformer.chains.promoter.specs import MODELS
from regformer.models.registry import resolve_model_config
from regformer.train.module import SupervisedTask


def test_full_size_promoter_transformer_matches_deck_within_5_percent():
    spec = MODELS["promoter_transformer"]
    model = spec.build(**spec.full)
    n = count_parameters(model)
    assert n == 13_502_209
    assert abs(n - spec.paper_parameters) / spec.paper_parameters < 0.05
    assert len(model.residual) == 5 and len(model.transformer.encoder.layers) == 5
    assert model.stem.out_channels == 128 and model.join_strands[0].kernel_size == (2, 7)
    assert model.lstm.num_layers == 2 and model.lstm.bidirectional


@pytest.mark.parametrize("size", ["demo", "full"])
def test_promoter_transformer_output_shape(size):
    spec = MODELS["promoter_transformer"]
    model = spec.build(**(spec.demo if size == "demo" else spec.full)).eval()
    assert model(torch.rand(3, 4, 110)).shape == (3,)


def test_one_hot_and_reverse_complement():
    codes = torch.tensor([[0, 1, 2, 3, 4]])  # ACGTN
    x = one_hot(codes)
    assert x.shape == (1, 4, 5) and x[0, :, 4].sum() == 0 and x[0, 2, 2] == 1
    rc = reverse_complement_one_hot(x)  # NACGT
    assert torch.equal(rc, one_hot(torch.from_numpy(reverse_complement_codes(codes.numpy().astype(np.uint8)))))
    assert rc[0, :, 0].sum() == 0 and rc[0, 0, 1] == 1


def test_kmer_counts_by_hand():
    codes = np.array([[0, 0, 1, 4, 3]], dtype=np.uint8)  # A A C N T
    counts = kmer_counts(codes, k_max=2).toarray()[0]
    assert counts.shape == (n_kmer_features(2),) == (20,)
    assert list(counts[:4]) == [2, 1, 0, 1]  # A, C, G, T
    assert counts[4 + 0] == 1 and counts[4 + 1] == 1 and counts[4:].sum() == 2  # AA, AC; windows over N skipped


def test_one_training_step_updates_weights_and_loss_is_finite():
    arch, training = resolve_model_config(MODELS["promoter_transformer"], {})
    task = SupervisedTask(MODELS["promoter_transformer"].build(**arch), lr=1e-3)
    optimizer = task.configure_optimizers()
    batch = {"x": one_hot(torch.randint(0, 4, (8, 110))), "y": torch.rand(8) * 17}
    before = [p.detach().clone() for p in task.parameters()]
    loss = task.loss_fn(task.model(batch["x"]), batch)
    loss.backward()
    optimizer.step()
    assert torch.isfinite(loss)
    assert sum(not torch.equal(a, b) for a, b in zip(before, task.parameters())) > 0.9 * len(before)
