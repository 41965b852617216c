"""Akita, its transformer and its VAE: parameter counts, architecture, shapes, symmetry, the VAE loss."""

import math

import numpy as np
import pytest
import torch

from regformer.models.hic.akita import Akita
from regformer.models.hic.akita_transformer import AkitaTransformer
from regformer.models.hic.akita_vae import AkitaVAE, gaussian_kl, vae_loss
from regformer.models.blocks import count_parameters
from regformer.chains.hic.specs import MODELS
from regformer.data.contact_maps import upper_triangle_size
from regformer.models.hic.blocks import (ConvTower, UpperTriangle, count_parameters_keras_style, dilation_rates,
                                         pool_sizes)
from regformer.train.module import SupervisedTask

CLASSES = {"akita": Akita, "akita_transformer": AkitaTransformer, "akita_vae": AkitaVAE}
FULL_PIXELS = 99_681  # 512 bins - 2 x 32 cropped = 448; upper triangle from offset 2
DEMO_PIXELS = 6_105  # 128 bins - 2 x 8 cropped = 112


def build(name: str, size: str) -> torch.nn.Module:
    return CLASSES[name](**getattr(MODELS[name], size))


def prediction(output):
    return output["prediction"] if isinstance(output, dict) else output


def demo_input(batch: int = 2, seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    bases = torch.randint(0, 4, (batch, getattr(MODELS["akita"], "demo")["seq_length"]), generator=generator)
    return torch.nn.functional.one_hot(bases, 4).transpose(1, 2).float()


def test_full_size_akita_matches_published_count():
    model = build("akita", "full")
    assert count_parameters(model) == 746_149
    keras_style = count_parameters_keras_style(model)
    assert keras_style == 751_653
    assert abs(keras_style - getattr(MODELS["akita"], "paper_parameters")) / 751_653 < 0.001  # stated tolerance 0.1%
    assert model.tower.n_tower == 10 and len(model.tower) == 11
    assert model.tower[0][1].kernel_size == (11,) and model.tower[1][1].kernel_size == (5,)
    assert len(model.dilated) == 8 and model.dilated[0].dilate[1].out_channels == 48
    assert [block.dilate[1].dilation[0] for block in model.dilated] == [1, 2, 3, 5, 9, 16, 29, 50]
    assert model.dilated[0].restore[-1].p == 0.4
    assert model.bottleneck[1].out_channels == 64
    assert len(model.head.dilated) == 6 and model.head.dilated[0].dilate[1].out_channels == 24
    assert model.head.conv[1].in_channels == 65 and model.head.final.out_features == 5


def test_full_size_transformer_and_vae_counts_and_architecture():
    transformer = build("akita_transformer", "full")
    assert count_parameters(transformer) == 857_797
    assert count_parameters_keras_style(transformer) == 860_997
    layers = transformer.transformer.encoder.layers
    assert len(layers) == 3
    assert all(layer.self_attn.num_heads == 6 and layer.self_attn.embed_dim == 96 for layer in layers)
    assert layers[0].linear1.out_features == 256 and layers[0].dropout.p == 0.15
    assert not hasattr(transformer, "dilated")

    vae = build("akita_vae", "full")
    assert count_parameters(vae) == 866_117 == 857_797 + 2 * (64 * 64 + 64)
    assert count_parameters_keras_style(vae) == 869_317
    assert vae.latent_dim == 64 and vae.to_mu.weight.shape == vae.to_logvar.weight.shape == (64, 64)
    assert vae.transformer.encoder.layers[0].dropout.p == 0.1


@pytest.mark.parametrize("name", list(CLASSES))
def test_full_size_output_shape_without_computing(name):
    """The 1 Mb forward takes minutes on a CPU; on the meta device only the shapes are propagated."""
    with torch.device("meta"):
        model = build(name, "full")
        output = model(torch.empty(2, 4, 2**20))
    assert model.n_pixels == FULL_PIXELS == upper_triangle_size(448, 2)
    assert prediction(output).shape == (2, FULL_PIXELS, 5)
    if name == "akita_vae":
        assert output["mu"].shape == output["logvar"].shape == (2, 512, 64)


@pytest.mark.parametrize("name", list(CLASSES))
def test_demo_output_shape_and_backward(name):
    model = build(name, "demo")
    output = model(demo_input())
    assert model.n_pixels == DEMO_PIXELS == upper_triangle_size(112, 2)
    assert prediction(output).shape == (2, DEMO_PIXELS, 5)
    prediction(output).square().mean().backward()
    assert model.tower[0][1].weight.grad is not None and model.tower[0][1].weight.grad.abs().sum() > 0


def test_tower_depth_follows_bin_size():
    assert ConvTower(2048).n_tower == 10 and ConvTower(512).n_tower == 8
    assert pool_sizes(10_000) == [2, 2, 2, 2, 5, 5, 5, 5] and ConvTower(10_000).n_tower == 7
    x = torch.zeros(1, 4, 200_000)
    assert ConvTower(10_000, stem_filters=4, tower_filters=4)(x).shape == (1, 4, 20)  # one vector per 10 kb bin
    with pytest.raises(ValueError, match="prime factor above 7"):
        pool_sizes(2 * 11)
    assert ConvTower(64, 4, 3, 4, 3)(torch.zeros(1, 4, 1024)).shape == (1, 4, 16)
    assert ConvTower(1000).n_tower == 5  # 2, 2, 2, 5, 5, 5
    with pytest.raises(ValueError):
        ConvTower(1)
    assert dilation_rates(6, 1.75) == [1, 2, 3, 5, 9, 16]


def test_upper_triangle_by_hand():
    assert upper_triangle_size(5, 2) == 6 and upper_triangle_size(448, 2) == 446 * 447 // 2
    grid = torch.arange(25.0).reshape(1, 1, 5, 5)  # value = 5 * row + col
    pixels = UpperTriangle(2)(grid)
    assert pixels.shape == (1, 6, 1)
    assert pixels.flatten().tolist() == [2, 3, 4, 8, 9, 14]  # (0,2) (0,3) (0,4) (1,3) (1,4) (2,4)


@pytest.mark.parametrize("name", ["akita", "akita_transformer"])
def test_maps_are_symmetric_and_forward_is_their_upper_triangle(name):
    model = build(name, "demo").eval()
    with torch.no_grad():
        x = demo_input(batch=1, seed=1)
        maps = model.contact_maps(x)
        pixels = model(x)
    assert maps.shape == (1, 5, 112, 112)
    assert maps.std() > 0
    torch.testing.assert_close(maps, maps.transpose(-1, -2))
    rows, cols = torch.triu_indices(112, 112, 2)
    torch.testing.assert_close(pixels, maps[:, :, rows, cols].transpose(1, 2))


def test_vae_loss_matches_closed_form_by_hand():
    mu = torch.tensor([[[0.5, -1.0]]])  # (batch 1, bins 1, latent 2)
    logvar = torch.tensor([[[0.0, math.log(4.0)]]])  # sigma_q = 1 and 2
    output = {"prediction": torch.tensor([[[1.0], [3.0]]]), "mu": mu, "logvar": logvar}
    batch = {"y": torch.tensor([[[0.0], [1.0]]])}
    prior_sigma = 2.0

    def kl(m, s_q, s_p):
        return math.log(s_p / s_q) + (s_q**2 + m**2) / (2 * s_p**2) - 0.5

    expected_kl = kl(0.5, 1.0, 2.0) + kl(-1.0, 2.0, 2.0)  # summed over the latent dimensions
    expected_mse = (1.0**2 + 2.0**2) / 2
    loss = vae_loss(output, batch, kl_weight=0.5, prior_sigma=prior_sigma)
    assert loss.item() == pytest.approx(expected_mse + 0.5 * expected_kl, rel=1e-6)
    # the paper's standard-normal form: 0.5 * sum(1 + log s^2 - s^2 - mu^2), negated
    paper_kl = -0.5 * sum(1 + lv - math.exp(lv) - m**2 for m, lv in [(0.5, 0.0), (-1.0, math.log(4.0))])
    assert gaussian_kl(mu, logvar, 1.0).sum().item() == pytest.approx(paper_kl, rel=1e-6)
    # the mean over positions: doubling the bins with the same values leaves the loss unchanged
    doubled = {"prediction": output["prediction"], "mu": mu.repeat(1, 2, 1), "logvar": logvar.repeat(1, 2, 1)}
    assert vae_loss(doubled, batch, 0.5, prior_sigma).item() == pytest.approx(loss.item(), rel=1e-6)


def test_vae_samples_in_training_and_uses_the_mean_in_eval():
    torch.manual_seed(0)
    model = build("akita_vae", "demo")
    x = demo_input(batch=1, seed=2)
    model.eval()
    with torch.no_grad():
        first, second = model(x), model(x)
        mu, _ = model.posterior(x)
        sampled = model(x, sample=True)
    assert torch.equal(first["prediction"], second["prediction"])
    torch.testing.assert_close(first["prediction"], model.decode(mu).detach())
    assert not torch.allclose(sampled["prediction"], first["prediction"])


def test_predict_with_uncertainty_gives_spread_and_interval():
    torch.manual_seed(0)
    model = build("akita_vae", "demo").train()
    summary = model.predict_with_uncertainty(demo_input(batch=1, seed=3), n_samples=8, interval=0.9)
    samples, mean, std, lower, upper = summary
    assert samples.shape == (8, 1, DEMO_PIXELS, 5)
    torch.testing.assert_close(samples.mean(0), mean)
    assert mean.shape == std.shape == lower.shape == upper.shape == (1, DEMO_PIXELS, 5)
    assert (std > 0).all()
    assert (lower <= mean).all() and (mean <= upper).all() and (upper > lower).any()
    assert model.training  # the caller's mode is restored


def test_vae_trains_through_the_harness():
    torch.manual_seed(0)
    training = MODELS["akita_vae"].training
    model = build("akita_vae", "demo")
    task = SupervisedTask(model, model.training_loss, lr=training["lr"], optimizer=training["optimizer"],
                          momentum=training["momentum"])
    optimizer = task.configure_optimizers()
    batch = {"x": demo_input(), "y": torch.randn(2, DEMO_PIXELS, 5)}
    before = task.model.to_logvar.weight.detach().clone()
    loss = task.loss_fn(task.model(batch["x"]), batch)
    loss.backward()
    optimizer.step()
    assert torch.isfinite(loss)
    assert not torch.equal(before, task.model.to_logvar.weight)


def test_specs_follow_the_papers():
    akita, transformer, vae = (MODELS[n].training for n in ("akita", "akita_transformer", "akita_vae"))
    assert (akita["lr"], akita["momentum"], akita["gradient_clip_val"]) == (0.0065, 0.99575, 10.0)
    assert akita["patience"] == 12 and not akita["swa"] and transformer["swa"] and vae["swa"]
    assert (transformer["lr"], transformer["swa_lr"], transformer["max_epochs"], transformer["patience"]) == (
        0.0045, 0.00085, 65, 40)
    assert (vae["lr"], vae["swa_lr"]) == (0.004, 0.0025)
    assert (MODELS["akita_vae"].full["kl_weight"], MODELS["akita_vae"].full["prior_sigma"]) == (1.0, 1.0)
    assert all(s.training["batch_size"] == 2 and s.training["shift_augment"] == 11
               for name, s in MODELS.items() if name != "distance_baseline")
    with pytest.raises(ValueError):
        AkitaTransformer(**dict(getattr(MODELS["akita_transformer"], "demo"), n_heads=3))


def test_torch_diamond_insulation_equals_cooltools():
    """The training-time insulation (two summed-area tables) equals the metric's cooltools diamond, NaNs included."""
    from regformer.chains.hic.metrics import insulation
    from regformer.data.contact_maps import triu_indices, triu_to_matrix
    from regformer.models.hic.insulation import diamond_insulation, upper_triangle_to_maps

    n, offset, window = 30, 2, 5
    values = torch.randn(2, triu_indices(n, offset)[0].size, 3, dtype=torch.float64)
    values[0, 7, 1] = float("nan")  # a filtered pixel
    ours = diamond_insulation(upper_triangle_to_maps(values, n, offset), window)
    reference = [[insulation(triu_to_matrix(values[w, :, m].numpy(), n, offset), window, offset) for m in range(3)]
                 for w in range(2)]
    torch.testing.assert_close(ours, torch.from_numpy(np.array(reference)), equal_nan=True)
    assert ours[0, 0, : window - 1].isnan().all() and ours[0, 0, window - 1:n - window + 1].isfinite().all()


@pytest.mark.parametrize("name", ["akita", "akita_vae"])
def test_insulation_head_trains_and_stays_out_of_predictions(name):
    """With insulation_weight > 0 the training output carries the head's per-bin insulation and the loss adds its
    MSE; in eval mode the output is the plain prediction. Full size (the papers) has no such head."""
    assert MODELS[name].full.get("insulation_weight", 0) == 0 and MODELS[name].demo["insulation_weight"] > 0
    torch.manual_seed(0)
    model = build(name, "demo").train()
    batch = {"x": demo_input(), "y": torch.randn(2, DEMO_PIXELS, 5)}
    output = model(batch["x"])
    assert output["insulation"].shape == (2, 5, 112)  # 128 bins less 8 cropped per side, per map
    with_head = model.training_loss(output, batch)
    without = model.training_loss({k: v for k, v in output.items() if k != "insulation"}, batch)
    assert with_head > without
    with_head.backward()
    assert model.insulation.head.weight.grad.abs().sum() > 0
    assert not isinstance(model.eval()(batch["x"][:1]), dict) or "insulation" not in model(batch["x"][:1])
