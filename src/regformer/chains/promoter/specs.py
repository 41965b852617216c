"""The promoter chain's models: the deck's transformer and the k-mer ridge baseline (no torch import here)."""

from __future__ import annotations

from regformer.models.registry import CLOSED_FORM, TORCH, ModelSpec
from regformer.train.recipes import GRADIENT_DESCENT

CHAIN = "promoter"


def _promoter_transformer(**arch):
    from regformer.models.promoter_transformer import PromoterTransformer

    return PromoterTransformer(**arch)


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

MODELS: dict[str, ModelSpec] = {
    "promoter_transformer": ModelSpec(
        name="promoter_transformer", chain=CHAIN, kind=TORCH, build=_promoter_transformer, target_scale=True,
        full=dict(length=110, stem_filters=128, kernel_size=7, conv_channels=256, n_residual=5, d_model=256, n_heads=8,
                  n_transformer=5, ff_dim=1024, lstm_hidden=128, dense_hidden=128, n_dense=2, dropout=0.3,
                  attention_dropout=0.1, conv_dropout=0.0, bn_momentum=0.1),
        demo=dict(length=110, stem_filters=32, kernel_size=7, conv_channels=48, n_residual=2, d_model=48, n_heads=2,
                  n_transformer=2, ff_dim=96, lstm_hidden=24, dense_hidden=64, n_dense=2, dropout=0.3,
                  attention_dropout=0.0, conv_dropout=0.0, bn_momentum=0.1),  # on CPUs, sampling attention dropout masks costs more than the rest
        training=dict(GRADIENT_DESCENT),
        paper_parameters=13_602_217,
        note=TRANSFORMER_NOTE,
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
