"""The promoter deck's model (Kavaliauskaite & Moller): strand-shared convolutions, a transformer and BiLSTMs.

Forward and reverse-complement strands go through one shared Conv1D; a Conv2D of height 2 joins the
two strands position by position; residual Conv1D blocks, a pointwise bottleneck, post-norm
transformer blocks and two bidirectional LSTM layers follow; dense layers map to one expression value.
"""

from __future__ import annotations

import torch
from torch import nn

from regformer.data.encoding import reverse_complement_one_hot
from regformer.models.blocks import MLPHead, ResidualConvBlock1d, TransformerTrunk


class PromoterTransformer(nn.Module):
    """Input (batch, 4, length) one-hot, output (batch,) expression."""

    def __init__(self, length: int = 110, stem_filters: int = 128, kernel_size: int = 7, conv_channels: int = 256,
                 n_residual: int = 5, d_model: int = 256, n_heads: int = 8, n_transformer: int = 5, ff_dim: int = 1024,
                 lstm_hidden: int = 128, dense_hidden: int = 128, n_dense: int = 2, dropout: float = 0.3,
                 attention_dropout: float = 0.1, conv_dropout: float = 0.0, bn_momentum: float = 0.1, n_bins: int = 0):
        super().__init__()
        self.stem = nn.Conv1d(4, stem_filters, kernel_size, padding="same", bias=False)
        self.stem_norm_forward = nn.BatchNorm1d(stem_filters)
        self.stem_norm_reverse = nn.BatchNorm1d(stem_filters)
        self.join_strands = nn.Sequential(
            nn.Conv2d(stem_filters, conv_channels, (2, kernel_size), padding=(0, kernel_size // 2), bias=False),
            nn.BatchNorm2d(conv_channels),
            nn.GELU(),
        )
        self.residual = nn.Sequential(*[ResidualConvBlock1d(conv_channels, kernel_size, conv_dropout) for _ in range(n_residual)])
        self.bottleneck = nn.Sequential(nn.Conv1d(conv_channels, d_model, 1), nn.GELU())
        self.transformer = TransformerTrunk(length, d_model, n_heads, n_transformer, ff_dim, attention_dropout)
        self.lstm = nn.LSTM(d_model, lstm_hidden, num_layers=2, batch_first=True, bidirectional=True, dropout=dropout)
        self.lstm_dropout = nn.Dropout(dropout)
        # n_bins > 0: logits of the expression bins 0..n_bins-1 (for loss: soft_bin_kl), predicting their expectation
        self.n_bins = n_bins
        self.head = MLPHead(length * 2 * lstm_hidden, dense_hidden, n_dense, dropout, out_features=max(1, n_bins))
        self.act = nn.GELU()
        for module in self.modules():  # the deck's Keras default (momentum 0.99) would be bn_momentum=0.01
            if isinstance(module, nn.modules.batchnorm._BatchNorm):
                module.momentum = bn_momentum
        # the head predicts standardized expression; these buffers (set from the training split) undo it
        self.register_buffer("target_mean", torch.zeros(()))
        self.register_buffer("target_std", torch.ones(()))

    def set_target_scale(self, mean: float, std: float) -> None:
        """Let the network work in standard units: raw targets (e.g. 0-17 bins) train poorly from a zero-mean init."""
        self.target_mean.fill_(mean)
        self.target_std.fill_(max(std, 1e-6))

    def forward(self, x: torch.Tensor) -> torch.Tensor | dict[str, torch.Tensor]:
        forward_strand = self.act(self.stem_norm_forward(self.stem(x)))
        # the reverse strand's features are flipped back so that column i is the same base pair on both strands
        reverse_strand = self.act(self.stem_norm_reverse(self.stem(reverse_complement_one_hot(x)))).flip(-1)
        h = self.join_strands(torch.stack([forward_strand, reverse_strand], dim=2)).squeeze(2)
        h = self.bottleneck(self.residual(h))
        h = self.transformer(h.transpose(1, 2))
        h, _ = self.lstm(h)
        out = self.head(self.lstm_dropout(h).flatten(1))
        if self.n_bins:
            return {"prediction": out.softmax(-1) @ torch.arange(self.n_bins, dtype=out.dtype, device=out.device), "bin_logits": out}
        return out.squeeze(-1) * self.target_std + self.target_mean
