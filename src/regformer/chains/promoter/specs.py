"""The promoter chain's models: the deck's transformer, LegNet and the k-mer ridge baseline (no torch import here)."""

from __future__ import annotations

from regformer.models.registry import CLOSED_FORM, TORCH, ModelSpec
from regformer.train.recipes import RECIPE, choices, derive, recipe_dict

CHAIN = "promoter"
# Promoter length in bp (the DREAM library's 110 after trimming / N-padding): the store's and the models' input;
# the schema's default for a dataset's `length` (tests/test_recipes.py checks they agree)
PROMOTER_LENGTH = 110


def _promoter_transformer(**arch):
    from regformer.models.promoter.promoter_transformer import PromoterTransformer

    return PromoterTransformer(**arch)


def _legnet(**arch):
    from regformer.models.promoter.legnet import LegNet

    return LegNet(**arch)


def _kmer_ridge(**arch):
    from regformer.models.kmer_ridge import KmerRidge

    return KmerRidge(**arch)


TRANSFORMER_NOTE = (
    "The deck reports 13,602,217 parameters, but its Keras listing is not self-consistent (the feed-forward "
    "and LSTM widths are set to the head count, 8, and the bottleneck is a Dense on the flattened map that "
    "the transformer then does not use). We keep every documented layer and width (Conv1D 128 k7 shared by "
    "both strands, Conv2D 256 2x7, 5 residual blocks 256 k7, 5 post-norm transformer blocks with 8 heads, "
    "2 BiLSTM layers, GELU dense layers with dropout 0.3) and chose the undocumented widths (pointwise "
    "bottleneck to 256, feed-forward 1024, LSTM 128 per direction, dense 128 -> 64) so the total lands "
    "within 1% of the deck's count. PyTorch counts trainable parameters only; BatchNorm running "
    "statistics are buffers."
)

LEGNET_NOTE = (
    "LegNet (Penzar et al. 2023, the DREAM 2022 winner), as we read the paper: a Conv1D stem of 256 channels, then "
    "six EfficientNetV2-style stages (1x1 expansion x4, grouped convolution with 2 channels per group, "
    "squeeze-excitation squeezing to a quarter of the stage's input width, 1x1 projection; the block's output "
    "concatenated with its input and mapped by a local convolution to 128, 128, 64, 64, 64, 64 channels), "
    "SiLU and BatchNorm throughout, a 1x1 convolution to 18 bin logits averaged over positions; the "
    "prediction is the expected bin. Input: one-hot plus a strand channel (RC augmentation; evaluation averages "
    "both strands) and a singleton channel (integer DREAM values; 0 at evaluation). The paper gives about "
    "1.85 M parameters but not every width; kernel size 5 in every convolution puts this at 1,856,450 (kernel "
    "7 would give 2.15 M). Recipe: AdamW (lr 0.005, weight decay 0.01) with a one-cycle schedule, KL "
    "divergence to Normal(y, 0.5) spread over the bins, batch 1024, 80 epochs."
)

SOFT_BIN_SD = 0.5  # loss soft_bin_kl: the target is Normal(y, soft_bin_sd) spread over the bins (LegNet's)
LEGNET_TRAINING = derive(RECIPE, max_epochs=80, batch_size=1024, lr=0.005, weight_decay=0.01, optimizer="adamw",
                         lr_schedule="onecycle", patience=80, loss="soft_bin_kl")

MODELS: dict[str, ModelSpec] = {
    "promoter_transformer": ModelSpec(
        name="promoter_transformer", chain=CHAIN, kind=TORCH, build=_promoter_transformer, target_scale=True,
        full=dict(length=PROMOTER_LENGTH, stem_filters=128, kernel_size=7, conv_channels=256, n_residual=5, d_model=256, n_heads=8,
                  n_transformer=5, ff_dim=1024, lstm_hidden=128, dense_hidden=128, n_dense=2, dropout=0.3,
                  attention_dropout=0.1, conv_dropout=0.0, bn_momentum=0.1, n_bins=0),
        demo=dict(length=PROMOTER_LENGTH, stem_filters=32, kernel_size=7, conv_channels=48, n_residual=2, d_model=48, n_heads=2,
                  n_transformer=2, ff_dim=96, lstm_hidden=24, dense_hidden=64, n_dense=2, dropout=0.3,
                  attention_dropout=0.0, conv_dropout=0.0, bn_momentum=0.1, n_bins=0),  # on CPUs, sampling attention dropout masks costs more than the rest
        training=recipe_dict(RECIPE, soft_bin_sd=SOFT_BIN_SD), choices=choices(),
        paper_parameters=13_602_217,
        note=TRANSFORMER_NOTE,
    ),
    "legnet": ModelSpec(
        name="legnet", chain=CHAIN, kind=TORCH, build=_legnet,
        full=dict(length=PROMOTER_LENGTH, stem_channels=256, block_channels=[128, 128, 64, 64, 64, 64], kernel_size=5, expansion=4,
                  channels_per_group=2, se_reduction=4, n_bins=18, strand_channel=True, singleton_channel=True),
        demo=dict(length=PROMOTER_LENGTH, stem_channels=64, block_channels=[64, 32, 32, 32], kernel_size=5, expansion=4,
                  channels_per_group=2, se_reduction=4, n_bins=18, strand_channel=True, singleton_channel=True),
        training=recipe_dict(LEGNET_TRAINING, soft_bin_sd=SOFT_BIN_SD), choices=choices(),
        paper_parameters=1_850_000,
        note=LEGNET_NOTE,
    ),
    "kmer_ridge": ModelSpec(
        name="kmer_ridge", chain=CHAIN, kind=CLOSED_FORM, build=_kmer_ridge,
        full=dict(k_max=6, alphas=[1.0, 10.0, 100.0, 1000.0, 10000.0]),
        demo=dict(k_max=6, alphas=[1.0, 10.0, 100.0, 1000.0, 10000.0]),
        training=dict(max_train_sequences=300_000),
        note="Classical baseline: ridge regression on k-mer counts (k = 1..6, 5,460 features + intercept); "
             "the penalty is chosen on the validation split. Trained on at most max_train_sequences sequences.",
    ),
}
