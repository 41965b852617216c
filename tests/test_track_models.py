"""Tracks models (Genomic Interpreter's 1D-Swin and its CNN baselines): shapes, counts, Swin invariants, training."""

import pytest
import torch
import torch.nn.functional as F

from regformer.models.blocks import count_parameters
from regformer.models.tracks.swin1d import SWIN1D_DEMO, SWIN1D_FULL, Swin1D, pair_concat, roll_tokens
from regformer.models.tracks.cnns import (CNN_DEMO, CNN_FULL, DILATED_DEMO, DILATED_FULL, AttentionPool, AttPoolCNN,
                                         AttPoolDilatedCNN, MaxPoolCNN, dilation_rates)

DEMO_GEOMETRY = dict(seq_length=8192, bin_size=128, crop=8, n_tracks=3)
FULL_GEOMETRY = dict(seq_length=17_920, bin_size=128, crop=30, n_tracks=5313)  # the paper's 80 x 128 bp output
MODELS = {  # class, full kwargs, demo kwargs, full parameter count, demo parameter count
    "swin1d": (Swin1D, SWIN1D_FULL, SWIN1D_DEMO, 19_108_417, 222_079),
    "maxpool_cnn": (MaxPoolCNN, CNN_FULL, CNN_DEMO, 18_998_910, 34_179),
    "attpool_cnn": (AttPoolCNN, CNN_FULL, CNN_DEMO, 20_898_720, 40_195),
    "attpool_dilated_cnn": (AttPoolDilatedCNN, DILATED_FULL, DILATED_DEMO, 33_912_864, 59_491),
}


def one_hot(batch: int, length: int, seed: int = 0) -> torch.Tensor:
    bases = torch.randint(0, 4, (batch, length), generator=torch.Generator().manual_seed(seed))
    return F.one_hot(bases, 4).transpose(1, 2).float()


def demo(name: str, **overrides) -> torch.nn.Module:
    cls, _, kwargs, _, _ = MODELS[name]
    torch.manual_seed(0)
    return cls(**{**DEMO_GEOMETRY, **kwargs, **overrides})


@pytest.mark.parametrize("name", MODELS)
def test_demo_output_shape_and_non_negative(name):
    model = demo(name)
    y = model(one_hot(2, 8192))
    assert y.shape == (2, 64 - 2 * 8, 3)
    assert torch.isfinite(y).all() and (y >= 0).all()
    assert count_parameters(model) == MODELS[name][4]


@pytest.mark.parametrize("name", MODELS)
def test_full_size_parameter_counts(name):
    cls, kwargs, _, expected, _ = MODELS[name]
    with torch.device("meta"):
        model = cls(**FULL_GEOMETRY, **kwargs)
    assert count_parameters(model) == expected
    assert model.head.out_features == 5313


def test_full_swin_geometry_matches_the_paper():
    with torch.device("meta"):
        model = Swin1D(**FULL_GEOMETRY, **SWIN1D_FULL)
    assert len(model.blocks) == 7 and model.out_bins == 80  # 1 bp -> 128 bp by 7 merges; 140 - 2 x 30 bins
    assert [block.local.window for block in model.blocks] == [140] * 7
    assert [block.local.attn.heads for block in model.blocks] + [model.transformer.attn.heads] == [4] * 3 + [8] * 5
    assert model.blocks[5].shift == 70 and 17_920 // 32 // 140 == 4  # Fig. 6: layer 6 has 4 windows of 140
    assert dilation_rates(11, 1.5) == [1, 2, 2, 3, 5, 8, 11, 17, 26, 38, 58]


def test_roll_by_half_a_window_and_back_is_identity():
    x = torch.randn(2, 64, 5)
    rolled = roll_tokens(x, 16)
    assert not torch.equal(rolled, x)
    assert torch.equal(rolled[:, 16], x[:, 0])  # the paper's R_t: token i moves to i + t
    assert torch.equal(roll_tokens(rolled, -16), x)
    model = demo("swin1d")
    assert [block.shift for block in model.blocks] == [16, 16, 16]  # window 32 in every demo block


def test_token_merge_halves_length_and_pairs_neighbours_in_order():
    x = torch.arange(2 * 8 * 3, dtype=torch.float32).reshape(2, 8, 3)
    pairs = pair_concat(x)
    assert pairs.shape == (2, 4, 6)
    assert torch.equal(pairs, torch.cat([x[:, 0::2], x[:, 1::2]], dim=-1))
    block = demo("swin1d").blocks[0]
    assert block(torch.randn(2, 512, 32)).shape == (2, 256, 48)


def test_unshifted_attention_does_not_mix_windows_but_shifted_does():
    block = demo("swin1d").blocks[0].eval()
    x = torch.randn(1, 512, 32)
    perturbed = x.clone()
    perturbed[:, 40] += torch.randn(32)  # a token in window 1 (tokens 32..63); not constant: LayerNorm hides that
    with torch.no_grad():
        before, after = block.local(x), block.local(perturbed)
        assert torch.equal(before[:, :32], after[:, :32]) and torch.equal(before[:, 64:], after[:, 64:])
        assert not torch.allclose(before[:, 32:40], after[:, 32:40])  # its own window does mix
        rolled = [roll_tokens(block.shifted(roll_tokens(t, block.shift)), -block.shift) for t in (x, perturbed)]
    assert not torch.allclose(rolled[0][:, :32], rolled[1][:, :32])  # the shifted window spans 16..47


def test_attention_weights_shapes_rows_and_prediction_match_sdpa():
    model = demo("swin1d").eval()
    x = one_hot(2, 8192, seed=1)
    with torch.no_grad():
        out = model(x, return_attention=True)
        plain = model(x)
    expected = [(2 * 16, 2, 32, 32)] * 2 + [(2 * 8, 2, 32, 32)] * 2 + [(2 * 4, 4, 32, 32)] * 2 + [(2, 4, 48, 48)]
    assert [tuple(w.shape) for w in out["attention"]] == expected
    for weights in out["attention"]:
        assert (weights >= 0).all()
        torch.testing.assert_close(weights.sum(-1), torch.ones(weights.shape[:-1]))
    torch.testing.assert_close(out["prediction"], plain, rtol=1e-5, atol=1e-6)
    assert not isinstance(plain, dict)


@pytest.mark.parametrize("name", MODELS)
def test_one_training_step_with_poisson_loss(name):
    model = demo(name).train()
    x, y = one_hot(4, 8192, seed=2), torch.poisson(torch.full((4, 48, 3), 2.0))
    before = [p.detach().clone() for p in model.parameters()]
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss = F.poisson_nll_loss(model(x), y, log_input=False)
    loss.backward()
    optimizer.step()
    assert torch.isfinite(loss)
    changed = [not torch.equal(b, p) for b, p in zip(before, model.parameters())]
    assert sum(changed) >= 0.9 * len(changed)


def test_attention_pool_is_a_softmax_weighted_pair_sum():
    pool = AttentionPool(3)
    x = torch.randn(2, 3, 8)
    logits = pool.logits(x).reshape(2, 3, 4, 2)
    expected = (x.reshape(2, 3, 4, 2) * logits.softmax(-1)).sum(-1)
    torch.testing.assert_close(pool(x), expected)


@pytest.mark.parametrize("overrides, match", [
    (dict(seq_length=17_712), "not a multiple of bin_size"),
    (dict(crop=32), "leaves no bins"),
    (dict(widths=(33, 48, 64, 96)), "not divisible"),
    (dict(widths=(32, 48, 64)), "widths and heads"),
    (dict(stem_pool=24), "power of two"),
    (dict(window=48), "not a multiple of window"),
    (dict(stem_kernel=14), "odd"),
])
def test_swin_bad_configs_raise(overrides, match):
    with pytest.raises(ValueError, match=match):
        demo("swin1d", **overrides)


@pytest.mark.parametrize("name", ["maxpool_cnn", "attpool_dilated_cnn"])
@pytest.mark.parametrize("overrides, match", [
    (dict(seq_length=8000), "not a multiple of bin_size"),
    (dict(bin_size=96, seq_length=96 * 64), "power of two"),
    (dict(tower_widths=(16, 24)), "tower_widths"),
    (dict(crop=40), "leaves no bins"),
])
def test_cnn_bad_configs_raise(name, overrides, match):
    with pytest.raises(ValueError, match=match):
        demo(name, **overrides)


def test_wrong_input_length_raises():
    with pytest.raises(ValueError, match="expected input"):
        demo("maxpool_cnn")(one_hot(1, 4096))


def test_conv_layer_norm_keeps_a_strong_position_strong():
    """A motif hit (one position 10x the others) must stay distinguishable by magnitude after the conv blocks'
    norm; a per-position LayerNorm over channels would give every position the same norm."""
    from regformer.models.tracks.blocks import ConvLayerNorm

    x = torch.randn(2, 16, 64)
    x[:, :, 20] *= 10
    y = ConvLayerNorm(16)(x)
    norms = y.norm(dim=1)
    assert norms[:, 20].min() > 3 * norms[:, [0, 10, 40]].max()
    assert torch.allclose(y.mean(dim=(1, 2)), torch.zeros(2), atol=1e-5)
    assert sum(p.numel() for p in ConvLayerNorm(16).parameters()) == 32  # as many as BatchNorm's affine
