"""Enformer: shapes, the paper's parameter count, relative-position basis, attention path, a training step."""

import pytest
import torch
import torch.nn.functional as F

from regformer.models.tracks.enformer import PAPER_HEADS, Enformer, enformer_parameter_count
from regformer.models.tracks.relative_attention import relative_position_features, relative_shift

DEMO = dict(channels=96, n_conv_tower=6, n_transformer=2, n_heads=2, key_size=16)
SEQ, CROP, TRACKS = 2**13, 8, 3  # 64 bins -> 48 after cropping


def demo_model(**overrides) -> Enformer:
    torch.manual_seed(0)
    return Enformer(**{**dict(seq_length=SEQ, bin_size=128, crop=CROP, n_tracks=TRACKS), **DEMO, **overrides})


def one_hot(batch: int, length: int = SEQ) -> torch.Tensor:
    return F.one_hot(torch.randint(0, 4, (batch, length)), 4).float().transpose(1, 2)


def test_demo_output_shape_and_non_negative():
    model = demo_model().eval()
    with torch.no_grad():
        y = model(one_hot(2))
    assert y.shape == (2, SEQ // 128 - 2 * CROP, TRACKS)
    assert torch.isfinite(y).all() and (y >= 0).all()
    with torch.no_grad():
        out = demo_model(output_heads={"human": 5, "mouse": 2}).eval()(one_hot(1))
    assert set(out) == {"human", "mouse"} and out["human"].shape == (1, 48, 5) and out["mouse"].shape == (1, 48, 2)


def test_full_size_parameter_count_matches_paper():
    counts = enformer_parameter_count()  # paper heads human 5,313 + mouse 1,643, meta device
    assert abs(counts["total"] - 251_221_292) / 251_221_292 < 1e-3
    assert counts["total"] == 251_221_292 and counts["trunk"] == 229_845_504
    assert counts["total"] - counts["trunk"] == 3072 * (5313 + 1643) + 5313 + 1643
    with torch.device("meta"):
        model = Enformer(output_heads=PAPER_HEADS)
    assert [block[0][2].out_channels for block in model.tower] == [768, 896, 1024, 1152, 1280, 1536]
    assert len(model.transformer) == 11 and model.transformer[0].attention.value.out_features == 1536


def test_relative_position_basis_parity_and_sizes():
    length, n = 64, 48
    f = relative_position_features(length, n)
    assert f.shape == (2 * length - 1, n) and torch.isfinite(f).all()
    flipped = f.flip(0)  # row of distance -d
    torch.testing.assert_close(flipped[:, : n // 2], f[:, : n // 2])  # symmetric: even in d
    torch.testing.assert_close(flipped[:, n // 2:], -f[:, n // 2:])  # antisymmetric: odd in d
    assert (f[length - 1, n // 2:] == 0).all() and f[length - 1, : n // 2].abs().max() > 0
    per_class = n // 6
    assert f[:, : 2 * per_class].max(dim=0).values.sub(1).abs().max() < 1e-6  # exponential and mask peak at 1
    gamma = f[:, 2 * per_class: 3 * per_class]  # at each distance divided by its maximum over the features (TF's)
    assert gamma.max(dim=1).values.sub(1).abs().max() < 1e-6
    with pytest.raises(ValueError):
        relative_position_features(length, 32)
    x = torch.randn(2, 3, 5, 9)
    i = torch.arange(5)
    assert torch.equal(relative_shift(x), x[..., i[:, None], i[None, :] - i[:, None] + 4])


def test_attention_weights_and_sdpa_path_agree():
    model = demo_model().eval()
    torch.manual_seed(1)
    with torch.no_grad():  # the output projections start at zero; randomise so attention reaches the output
        for block in model.transformer:
            block.attention.output.weight.normal_(std=0.2)
            block.attention.r_r_bias.normal_()
    x = one_hot(2)
    with torch.no_grad():
        out = model(x, return_attention=True)
        fused = model(x)
    bins = SEQ // 128
    assert len(out["attention"]) == DEMO["n_transformer"]
    for weights in out["attention"]:
        assert weights.shape == (2, DEMO["n_heads"], bins, bins)
        torch.testing.assert_close(weights.sum(-1), torch.ones(2, DEMO["n_heads"], bins))
    torch.testing.assert_close(out["prediction"], fused)
    assert not torch.allclose(out["attention"][0][:, :, 0], out["attention"][0][:, :, -1])


def test_training_step_poisson_nll():
    model = demo_model().train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    x, y = one_hot(2), torch.poisson(torch.full((2, 48, TRACKS), 2.0))
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    loss = F.poisson_nll_loss(model(x), y, log_input=False)
    assert torch.isfinite(loss)
    loss.backward()
    optimizer.step()
    changed = [name for name, p in model.named_parameters() if not torch.equal(p, before[name])]
    assert "stem.0.weight" in changed and "heads.tracks.weight" in changed
    assert "transformer.0.attention.output.weight" in changed


@pytest.mark.parametrize("bad", [
    dict(seq_length=SEQ + 64),  # not a multiple of the bin
    dict(bin_size=64),  # not 2**(1 + n_conv_tower)
    dict(crop=32),  # leaves no bins of 64
    dict(n_heads=5),  # 96 not divisible by 5
    dict(channels=64, n_heads=2),  # 32 relative-position features: not a multiple of 6
    dict(n_conv_tower=0, bin_size=2),  # no tower to widen to `channels`
    dict(conv_norm="group"),  # layer or batch
    dict(gelu="tanh"),  # erf or sigmoid
])
def test_bad_configuration_raises(bad):
    with pytest.raises(ValueError):
        demo_model(**bad)
