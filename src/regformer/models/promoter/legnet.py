"""LegNet, the DREAM 2022 promoter challenge winner's design (Penzar et al. 2023), written for regformer.

A convolutional stem, then stages of EfficientNetV2-style 1D blocks: a pointwise expansion, a grouped
convolution, squeeze-and-excitation and a pointwise projection, whose output is concatenated with the
block's input and mapped to the next stage's width by a local convolution. A pointwise convolution to one
logit per expression bin and global average pooling give a distribution over the 18 bins; the prediction is
its expectation. Optional input channels: a strand flag (1 for a reverse-complemented input) and a
singleton flag (1 for a sequence measured in one cell only: an integer DREAM value).
"""

from __future__ import annotations

import torch
from torch import nn

from regformer.data.encoding import reverse_complement_one_hot


def conv_bn_act(in_channels: int, out_channels: int, kernel_size: int, groups: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv1d(in_channels, out_channels, kernel_size, padding="same", groups=groups, bias=False),
                         nn.BatchNorm1d(out_channels), nn.SiLU())


class SqueezeExcitation1d(nn.Module):
    """Channel gates from the position-averaged features: squeeze to `hidden`, excite back to `channels`."""

    def __init__(self, channels: int, hidden: int):
        super().__init__()
        self.gate = nn.Sequential(nn.Linear(channels, hidden), nn.SiLU(), nn.Linear(hidden, channels), nn.Sigmoid())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gate(x.mean(-1)).unsqueeze(-1)


class EfficientBlock1d(nn.Module):
    """Expand (1x1) -> grouped conv -> squeeze-excitation -> project (1x1), concatenated with the input."""

    def __init__(self, channels: int, kernel_size: int, expansion: int, channels_per_group: int, se_reduction: int):
        super().__init__()
        wide = channels * expansion
        self.body = nn.Sequential(
            conv_bn_act(channels, wide, 1),
            conv_bn_act(wide, wide, kernel_size, groups=wide // channels_per_group),
            SqueezeExcitation1d(wide, max(1, channels // se_reduction)),
            conv_bn_act(wide, channels, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([x, self.body(x)], dim=1)


class LegNet(nn.Module):
    """Input (batch, 4, length) one-hot, optional (batch,) strand and singleton flags; output
    {"prediction": (batch,) expected bin, "bin_logits": (batch, n_bins)}.

    In training, missing flags are 0. In evaluation without flags, a model with a strand channel predicts the
    mean bin distribution of the forward strand (flag 0) and its reverse complement (flag 1), as LegNet did,
    with the singleton flag 0 (a well-measured sequence).
    """

    batch_inputs = ("strand", "singleton")  # batch entries the training loop passes on (regformer.train.module)

    def __init__(self, length: int = 110, stem_channels: int = 256, block_channels: tuple[int, ...] = (128, 128, 64, 64, 64, 64),
                 kernel_size: int = 5, expansion: int = 4, channels_per_group: int = 2, se_reduction: int = 4,
                 n_bins: int = 18, strand_channel: bool = True, singleton_channel: bool = True):
        super().__init__()
        self.length, self.n_bins = length, n_bins
        self.strand_channel, self.singleton_channel = strand_channel, singleton_channel
        self.stem = conv_bn_act(4 + int(strand_channel) + int(singleton_channel), stem_channels, kernel_size)
        stages, width = [], stem_channels
        for out in block_channels:
            stages += [EfficientBlock1d(width, kernel_size, expansion, channels_per_group, se_reduction),
                       conv_bn_act(2 * width, out, kernel_size)]
            width = out
        self.stages = nn.Sequential(*stages)
        self.to_bins = nn.Conv1d(width, n_bins, 1)
        self.register_buffer("bin_values", torch.arange(n_bins, dtype=torch.float32))
        self.averages_strands = strand_channel  # evaluation need not add the reverse strand again

    def _with_flags(self, x: torch.Tensor, strand: torch.Tensor | None, singleton: torch.Tensor | None) -> torch.Tensor:
        """x with a constant row per flag channel (absent flags are 0)."""
        channels = [x]
        for use, flag in ((self.strand_channel, strand), (self.singleton_channel, singleton)):
            if use:
                row = torch.zeros_like(x[:, :1]) if flag is None else flag.to(x.dtype)[:, None, None].expand_as(x[:, :1])
                channels.append(row)
        return torch.cat(channels, dim=1)

    def _logits(self, x: torch.Tensor) -> torch.Tensor:
        return self.to_bins(self.stages(self.stem(x))).mean(-1)

    def forward(self, x: torch.Tensor, strand: torch.Tensor | None = None,
                singleton: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        if x.shape[1] != 4:
            raise ValueError(f"LegNet expects one-hot DNA (batch, 4, length), got {tuple(x.shape)}")
        logits = self._logits(self._with_flags(x, strand, singleton))
        if self.strand_channel and strand is None and not self.training:  # mean of both strands' distributions
            reverse_flag = torch.ones(x.shape[0], device=x.device)
            reverse = self._logits(self._with_flags(reverse_complement_one_hot(x), reverse_flag, singleton))
            logits = torch.logaddexp(logits.log_softmax(-1), reverse.log_softmax(-1)) - torch.log(torch.tensor(2.0))
        return {"prediction": logits.softmax(-1) @ self.bin_values, "bin_logits": logits}
