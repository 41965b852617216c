"""The Hi-C chain's models: Akita, the two "Attention to Bayes" variants and the distance baseline (no torch import).

Per model: `full` (the papers' architecture, 2^20 bp in 2,048-bp bins -> 448 x 448 maps after cropping,
99,681 upper-triangle pixels per map), `demo` (2^14 bp in 128-bp bins -> 112 x 112 after cropping,
6,105 pixels; narrow layers with Akita's depth of dilations, so the receptive field spans the window; plus the
auxiliary insulation head, regformer.models.hic.insulation, which lets the trunk find the sites at CPU scale),
`training` defaults, `paper_parameters` and a `note` on where we differ or had to choose.
"""

from __future__ import annotations

from regformer.models.registry import CLOSED_FORM, TORCH, ModelSpec
from regformer.train.recipes import RECIPE, choices, derive, recipe_dict

CHAIN = "hic"

_FULL_TRUNK = dict(seq_length=2**20, bin_size=2048, n_maps=5, stem_filters=96, stem_kernel=11, tower_filters=96,
                   tower_kernel=5, bottleneck_filters=64, bottleneck_kernel=5)
_FULL_HEAD = dict(head_filters=48, head_dilated_filters=24, n_head_dilated=6, head_rate_mult=1.75, head_dropout=0.1,
                  crop=32, diagonal_offset=2)
_DEMO_TRUNK = dict(seq_length=2**14, bin_size=128, n_maps=5, stem_filters=16, stem_kernel=11, tower_filters=16,
                   tower_kernel=5, bottleneck_filters=16, bottleneck_kernel=5)
_DEMO_HEAD = dict(head_filters=16, head_dilated_filters=8, n_head_dilated=4, head_rate_mult=1.75, head_dropout=0.1,
                  crop=8, diagonal_offset=2, insulation_weight=1.0, insulation_window=10)

# The transformer trunk (Attention to Bayes); the VAE is the same with transformer dropout 0.1
_TRANSFORMER_FULL = dict(**_FULL_TRUNK, n_heads=6, n_layers=3, ff_dim=256, transformer_dropout=0.15, **_FULL_HEAD)
_TRANSFORMER_DEMO = dict(**_DEMO_TRUNK, n_heads=2, n_layers=2, ff_dim=32, transformer_dropout=0.15, **_DEMO_HEAD)

# SGD with Akita's momentum, gradient clipping and shifts of up to 11 bp; the transformer variants add SWA
_AKITA_TRAINING = derive(RECIPE, max_epochs=100, batch_size=2, lr=0.0065, optimizer="sgd", momentum=0.99575,
                         patience=12, gradient_clip_val=10.0, shift_augment=11)
_TRANSFORMER_TRAINING = derive(_AKITA_TRAINING, max_epochs=65, lr=0.0045, momentum=0.975, patience=40,
                               gradient_clip_val=10.7, swa=True, swa_lr=0.00085)
_VAE_TRAINING = derive(_TRANSFORMER_TRAINING, lr=0.004, swa_lr=0.0025)
VAE_SAMPLES = 20  # latent samples decoded per sequence at evaluation (the paper's)
# every Hi-C network trains on its own loss (training_loss: MSE on the maps, plus the VAE's KL)
_HIC_CHOICES = choices(loss=("mse",))

_COMMON_NOTE = (
    "Conv blocks follow Akita's Basenji code: ReLU (Akita's params.json) -> conv without bias -> BatchNorm "
    "(Keras momentum 0.9265) -> max-pool; the second BatchNorm of every residual block starts at zero. The tower "
    "has log2(bin_size) - 1 blocks, so 2,048-bp bins give Akita's 10 and 512-bp bins give 8. The distance channel "
    "is the raw |i - j| in bins, as in Akita. rc_augment is Akita's; a reverse-complemented sequence needs its "
    "target maps flipped on both axes. Lightning clips the global gradient norm; Keras' clipnorm may clip each "
    "tensor separately. swa_epoch_start (0.8 of max_epochs) is our choice; the papers do not give it. "
    "insulation_weight > 0 (demo size only) adds a pointwise head from the bottleneck's bin features to each "
    "target map's diamond insulation (window insulation_window bins, computed from the batch's target maps) and "
    "adds its MSE to the training loss; the papers have no such head, and 0 leaves the model exactly theirs."
)

_SPECS: dict[str, dict] = {
    "akita": dict(
        full=dict(**_FULL_TRUNK, dilated_filters=48, n_dilated=8, dilated_rate_mult=1.75, dilated_dropout=0.4,
                  **_FULL_HEAD),
        demo=dict(**_DEMO_TRUNK, dilated_filters=8, n_dilated=8, dilated_rate_mult=1.75, dilated_dropout=0.4,
                  **_DEMO_HEAD),
        training=recipe_dict(_AKITA_TRAINING),
        paper_parameters=751_653,
        note=(
            "Akita (Fudenberg et al. 2020) reports 751,653 parameters: Keras' count, which includes the BatchNorm "
            "moving mean and variance. count_parameters (trainable only) gives 746,149; adding two running "
            "statistics for each of the 2,752 BatchNorm channels (5,504) gives exactly 751,653. Per layer "
            "(weights + BN gamma/beta): stem 4x11x96 + 192 = 4,416; tower 10 x (96x5x96 + 192) = 462,720; "
            "dilated 1D 8 x (96x3x48 + 96 + 48x96 + 192) = 149,760; bottleneck 96x5x64 + 128 = 30,848; 2D conv "
            "65x3x3x48 + 96 = 28,176; dilated 2D 6 x (48x9x24 + 48 + 24x48 + 96) = 69,984; dense 48x5 + 5 = 245. "
            "Dilation rates 1, 2, 3, 5, 9, 16, 29, 50 (1D) and 1, 2, 3, 5, 9, 16 (2D): 1.75^i rounded. The paper "
            "gives no epoch limit (training stops after 12 epochs without improvement); max_epochs=100 is ours. "
            + _COMMON_NOTE
        ),
    ),
    "akita_transformer": dict(
        full=dict(_TRANSFORMER_FULL),
        demo=dict(_TRANSFORMER_DEMO),
        training=recipe_dict(_TRANSFORMER_TRAINING),
        paper_parameters=None,
        note=(
            "Attention to Bayes replaces Akita's 8 dilated residual 1D blocks by 3 transformer encoder layers "
            "(6 heads, feed-forward 256, dropout 0.15) and gives no parameter count. Where it is silent we chose: "
            "d_model = the tower's 96 channels (16 per head), so the encoder drops in without a projection; fixed "
            "sinusoidal positional encoding (Vaswani et al., parameter-free and length-agnostic); post-norm layers "
            "with GELU as in BERT. Trainable 857,797 (Keras-style 860,997): Akita's 746,149 minus the dilated "
            "blocks' 149,760 plus 3 x 87,136 per encoder layer. The paper's 'gradient clip value 10.7' is applied "
            "as a norm clip. rc_augment is kept from Akita (the paper names only the shift of 11). "
            + _COMMON_NOTE
        ),
    ),
    "akita_vae": dict(
        full=dict(_TRANSFORMER_FULL, transformer_dropout=0.1, kl_weight=1.0, prior_sigma=1.0),
        demo=dict(_TRANSFORMER_DEMO, transformer_dropout=0.1, kl_weight=1.0, prior_sigma=1.0),
        training=recipe_dict(_VAE_TRAINING, vae_samples=VAE_SAMPLES),
        paper_parameters=None,
        note=(
            "The transformer Akita plus a variational layer after the bottleneck: per bin, linear maps 64 -> 64 "
            "to mu and log sigma^2 (with biases: 2 x 4,160; the paper quotes 64 x 64 = 4,096 weights each and a "
            "'total of 12228', apparently a slip), one reparameterized sample per training step, Akita's head as "
            "decoder. Trainable 866,117 (Keras-style 869,317). Loss = MSE + kl_weight x KL(q(z|x) || "
            "N(0, prior_sigma^2 I)), the KL summed over the 64 latent dimensions and averaged over sequences and "
            "bins; the paper used kl_weight 1 and prior_sigma 1. Eval-mode forward decodes mu; "
            "predict_with_uncertainty decodes 20 samples. "
            + _COMMON_NOTE
        ),
    ),
    "distance_baseline": dict(
        kind=CLOSED_FORM,
        full=dict(seq_length=2**20, bin_size=2048, n_maps=5, crop=32, diagonal_offset=2),
        demo=dict(seq_length=2**14, bin_size=128, n_maps=5, crop=8, diagonal_offset=2),
        training=dict(batch_size=8),
        paper_parameters=None,
        note=("Each map's mean training target at each diagonal offset (one value per offset and map, no "
              "sequence input): what the distance decay alone explains. Targets are log(observed/expected) "
              "per window, so its values stay near 0 except where the window-level expected misses structure "
              "shared by all windows."),
    ),
}


# Builders import their class when called, so listing the specs (the workflow's DAG step) needs no torch.
def _akita(**arch):
    from regformer.models.hic.akita import Akita

    return Akita(**arch)


def _akita_transformer(**arch):
    from regformer.models.hic.akita_transformer import AkitaTransformer

    return AkitaTransformer(**arch)


def _akita_vae(**arch):
    from regformer.models.hic.akita_vae import AkitaVAE

    return AkitaVAE(**arch)


def _distance_baseline(**arch):
    from regformer.models.hic.distance_baseline import DistanceBaseline

    return DistanceBaseline(**arch)


_BUILDERS = {"akita": _akita, "akita_transformer": _akita_transformer, "akita_vae": _akita_vae,
             "distance_baseline": _distance_baseline}

MODELS: dict[str, ModelSpec] = {
    name: ModelSpec(name=name, chain=CHAIN, kind=spec.get("kind", TORCH), build=_BUILDERS[name], full=spec["full"],
                    demo=spec["demo"], training=dict(spec["training"]), paper_parameters=spec["paper_parameters"],
                    note=spec["note"], choices=_HIC_CHOICES if spec.get("kind", TORCH) == TORCH else {})
    for name, spec in _SPECS.items()
}
