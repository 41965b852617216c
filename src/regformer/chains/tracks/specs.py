"""The tracks chain's models: Enformer, the Genomic Interpreter (1D-Swin), its three CNN baselines and the
k-mer ridge (no torch import here). Geometry (seq_length, bin_size, crop) and n_tracks come from the store;
the values below are each paper's input and output at full size and the demo's at demo size."""

from __future__ import annotations

from regformer.models.registry import CLOSED_FORM, TORCH, ModelSpec
from regformer.train.recipes import RECIPE, choices, derive, recipe_dict

CHAIN = "tracks"

_DEMO_GEOMETRY = dict(seq_length=8192, bin_size=128, crop=8)
_INTERPRETER_GEOMETRY = dict(seq_length=17_920, bin_size=128, crop=30)  # BasenjiSmall: 80 bins of 128 bp out

# Genomic Interpreter (paper 001): Adam 3e-4 with CosineAnnealingLR, Poisson loss, batch 8 per GPU (24 over 3)
_INTERPRETER_TRAINING = derive(RECIPE, batch_size=8, lr=3e-4, lr_schedule="cosine", shift_augment=3, loss="poisson")
# Enformer: Adam 5e-4 after a linear warm-up over 5,000 steps, Poisson loss, batch 64 (8 per TPU core)
_ENFORMER_TRAINING = derive(_INTERPRETER_TRAINING, max_epochs=150, batch_size=64, lr=5e-4, lr_schedule="warmup",
                            warmup_steps=5000, gradient_clip_val=0.2)
# track networks predict counts per bin: no expression bins, so no soft_bin_kl
_TRACK_CHOICES = choices(loss=("mse", "huber", "poisson"))
_ENFORMER_LAYERS = dict(conv_norm="layer", gelu="erf", checkpoint_transformer=False)  # batch + sigmoid: the paper's


def _enformer(**arch):
    from regformer.models.tracks.enformer import Enformer

    return Enformer(**arch)


def _swin1d(**arch):
    from regformer.models.tracks.swin1d import Swin1D

    return Swin1D(**arch)


def _maxpool_cnn(**arch):
    from regformer.models.tracks.cnns import MaxPoolCNN

    return MaxPoolCNN(**arch)


def _attpool_cnn(**arch):
    from regformer.models.tracks.cnns import AttPoolCNN

    return AttPoolCNN(**arch)


def _attpool_dilated_cnn(**arch):
    from regformer.models.tracks.cnns import AttPoolDilatedCNN

    return AttPoolDilatedCNN(**arch)


def _kmer_ridge(**arch):
    from regformer.models.tracks.kmer_ridge import TrackKmerRidge

    return TrackKmerRidge(**arch)


_CNN_FULL = dict(stem_width=288, stem_kernel=15, tower_widths=[339, 399, 470, 554, 652, 768], tower_kernel=5,
                 final_width=1536, dropout=0.05)
_CNN_DEMO = dict(stem_width=16, stem_kernel=15, tower_widths=[16, 24, 24, 32, 32, 48], tower_kernel=5,
                 final_width=64, dropout=0.0)
_DILATED = dict(n_dilated=11, rate_mult=1.5)
_CNN_NOTE = ("A Genomic Interpreter baseline (its Fig. 5), LayerNorm throughout as the paper says of all its models. "
             "The paper gives no widths: ours follow Basenji2 (stem 288 k15, a 6-block tower to 768 with kernel 5, a "
             "1536 pointwise block), chosen so the CNNs and the 1D-Swin are of similar size. Input 17,920 bp: "
             "the paper's 17,712 bp padded to 140 bins of 128 bp; the central 80 bins are predicted.")

MODELS: dict[str, ModelSpec] = {
    "enformer": ModelSpec(
        name="enformer", chain=CHAIN, kind=TORCH, build=_enformer,
        full=dict(seq_length=196_608, bin_size=128, crop=320, n_tracks=5313, channels=1536, n_conv_tower=6,
                  n_transformer=11, n_heads=8, key_size=64, dropout=0.4, attention_dropout=0.05,
                  position_dropout=0.01, output_heads={"human": 5313, "mouse": 1643}, **_ENFORMER_LAYERS),
        demo=dict(_DEMO_GEOMETRY, n_tracks=3, channels=96, n_conv_tower=6, n_transformer=2, n_heads=2, key_size=16,
                  dropout=0.4, attention_dropout=0.05, position_dropout=0.01, **_ENFORMER_LAYERS),
        training=recipe_dict(_ENFORMER_TRAINING),
        choices={**_TRACK_CHOICES, "conv_norm": ("layer", "batch"), "gelu": ("erf", "sigmoid")},
        paper_parameters=251_221_292,
        note=("Enformer (Avsec et al. 2021): stem conv 768 w15 + residual pointwise + attention pooling, a 6-block "
              "tower to 1536 channels, 11 transformer blocks (8 heads, key 64, value 192) with relative positions "
              "from the exponential, central-mask and gamma bases (symmetric and antisymmetric), crop to 896 bins, "
              "pointwise 3072 + GELU, softplus heads. With the paper's human (5,313) and mouse (1,643) heads it "
              "counts 251,221,292 parameters (trunk 229,845,504); trained on a dataset it has one head of the dataset's tracks. LayerNorm "
              "replaces the paper's BatchNorm in the conv blocks (same parameter count; conv_norm: batch and gelu: sigmoid "
              "build the paper's layers, as the released weights need); attention runs through "
              "scaled_dot_product_attention with the relative-position logits as a float mask."),
    ),
    "swin1d": ModelSpec(
        name="swin1d", chain=CHAIN, kind=TORCH, build=_swin1d,
        full=dict(_INTERPRETER_GEOMETRY, n_tracks=5313, stem_pool=1, stem_kernel=15,
                  widths=[64, 96, 128, 192, 256, 384, 512, 768], heads=[4, 4, 4, 8, 8, 8, 8, 8], window=140,
                  mlp_ratio=2, dropout=0.1),
        demo=dict(_DEMO_GEOMETRY, n_tracks=3, stem_pool=16, stem_kernel=15, widths=[32, 48, 64, 96],
                  heads=[2, 2, 4, 4], window=32, mlp_ratio=2, dropout=0.0),
        training=recipe_dict(_INTERPRETER_TRAINING), choices=_TRACK_CHOICES,
        note=("Genomic Interpreter (1D-Swin): from 1-bp tokens, 7 blocks of windowed attention, a roll by half a "
              "window, a second windowed attention, the roll back and a pair-wise token merge (halving the length) "
              "reach 128-bp bins; then a crop, one transformer block and a softplus head. Windows of 140 tokens "
              "(the paper's 4 windows at layer 6). The paper gives no widths or head counts: we use 64 -> 768 over "
              "the merges, 4 then 8 heads, MLP ratio 2, a learned relative-position bias per head. 19,108,411 "
              "parameters with 5,313 tracks, 4,085,697 of them the output layer."),
    ),
    "maxpool_cnn": ModelSpec(name="maxpool_cnn", chain=CHAIN, kind=TORCH, build=_maxpool_cnn,
                             full=dict(_INTERPRETER_GEOMETRY, n_tracks=5313, **_CNN_FULL),
                             demo=dict(_DEMO_GEOMETRY, n_tracks=3, **_CNN_DEMO), training=recipe_dict(_INTERPRETER_TRAINING),
                             choices=_TRACK_CHOICES,
                             note="Conv blocks with max pooling. " + _CNN_NOTE),
    "attpool_cnn": ModelSpec(name="attpool_cnn", chain=CHAIN, kind=TORCH, build=_attpool_cnn,
                             full=dict(_INTERPRETER_GEOMETRY, n_tracks=5313, **_CNN_FULL),
                             demo=dict(_DEMO_GEOMETRY, n_tracks=3, **_CNN_DEMO), training=recipe_dict(_INTERPRETER_TRAINING),
                             choices=_TRACK_CHOICES,
                             note="Conv blocks with attention pooling (softmax-weighted, learned logits). " + _CNN_NOTE),
    "attpool_dilated_cnn": ModelSpec(
        name="attpool_dilated_cnn", chain=CHAIN, kind=TORCH, build=_attpool_dilated_cnn,
        full=dict(_INTERPRETER_GEOMETRY, n_tracks=5313, **_CNN_FULL, dilated_width=384, dilated_dropout=0.3,
                  **_DILATED),
        demo=dict(_DEMO_GEOMETRY, n_tracks=3, **_CNN_DEMO, dilated_width=24, n_dilated=4, rate_mult=1.5,
                  dilated_dropout=0.0),
        training=recipe_dict(_INTERPRETER_TRAINING), choices=_TRACK_CHOICES,
        note=("The attention-pooling tower followed by 11 dilated residual conv blocks (Basenji style, dilation "
              "1.5^i, 384-channel bottlenecks). " + _CNN_NOTE)),
    "kmer_ridge": ModelSpec(
        name="kmer_ridge", chain=CHAIN, kind=CLOSED_FORM, build=_kmer_ridge,
        full=dict(_DEMO_GEOMETRY, n_tracks=3, k_max=4, flank_bins=1, alphas=[1.0, 10.0, 100.0, 1000.0]),
        demo=dict(_DEMO_GEOMETRY, n_tracks=3, k_max=4, flank_bins=1, alphas=[1.0, 10.0, 100.0, 1000.0]),
        training=dict(max_train_windows=2000),
        note=("Classical baseline: per track, ridge regression on log1p targets from the k-mer counts (k = 1..4, "
              "340 features) of each 128-bp bin and one bin either side; the penalty is chosen on the validation "
              "windows. Trained on at most max_train_windows windows."),
    ),
}
