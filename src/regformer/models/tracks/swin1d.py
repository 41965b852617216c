"""Genomic Interpreter (1D-Swin): one-hot DNA -> binned assay tracks with hierarchical windowed attention.

A conv stem embeds the sequence at an initial resolution (`stem_pool` bp per token); K 1D-Swin blocks
each apply windowed multi-head attention, roll the tokens by half a window, attend again, roll back and
merge neighbouring token pairs (concatenate + linear), halving the length, until tokens are `bin_size`
bp; the ends are cropped; one transformer block and a linear softplus head give (batch, bins, n_tracks).

Reading of the paper (Genomic Interpreter, ICML 2023 CompBio workshop) and choices where it is silent:
* Input geometry. BasenjiSmall holds 17,712 bp with 80 x 128 bp targets; 17,712 is not a multiple of 128.
  Its Fig. 6 (layer 6: 32 bp tokens, windows of 140, 4 windows) implies 4 x 140 x 32 = 17,920 bp, i.e.
  the input padded by 104 bp per side to 140 bins of 128 bp; the 80 target bins (the central 10,240 bp,
  which starts 3,736 bp in) are then exactly bins 30..109. So `seq_length` must be a multiple of
  `bin_size` (ValueError otherwise): the full size is seq_length=17,920 with crop=30 -> 80 bins. Feed
  17,712 bp padded with 104 zero (N) columns per side, or 17,920 bp of real sequence.
* Resolution. "Each position is a single nucleotide at the first layer and 2^(k-1) at the k-th", so the
  full stem keeps 1 bp (stem_pool=1; a 15-bp conv embeds the 4 bases, as the paper's d=4 cannot carry
  heads) and K = log2(128) = 7 blocks; the final transformer block at 128 bp is the paper's "layer 8".
* Windows: 140 tokens in every block (given for layer 6; it divides every stage length of 17,920 bp).
  A stage shorter than the window uses one window over all tokens and no shift.
* Widths (silent): 64, 96, 128, 192, 256, 384, 512 -> 768 (growth 1.33-1.5 per merge, i.e. alpha > 1,
  ending at Basenji2's 768); heads 4,4,4,8,8,8,8 and 8 in the transformer block (the paper shows >= 8
  heads at layer 8); MLP ratio 2; dropout 0.1; one final transformer block.
* Demo (8,192 bp, 64 bins): stem_pool=16 (512 tokens of 16 bp), 3 blocks with windows of 32, widths
  32 -> 48 -> 64 -> 96; the same code path as the full size at a CPU-friendly scale.
* Roll: cyclic, as in the paper's Appendix A (no Swin-style mask for the wrapped window).
* Position: a learned relative-position bias per head in every attention layer (the paper's Appendix B
  uses relative positional embeddings); pre-LayerNorm sublayers (the paper's Appendix D; bf16-safe).
* No norm before a merge's linear or the head (the paper: "merge + linear"; Swin's patch merging has one):
  a per-token LayerNorm there rescales every token to unit norm, and on the tracks demo the model then
  predicted a constant (DNase test Pearson 0.06 after 300 steps, against 0.60 without those norms).
  Full size: 19,108,417 parameters with 5,313 tracks (15,022,720 besides the 4,085,697 of the output
  linear); demo: 222,079 with 3 tracks.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

SWIN1D_FULL = dict(stem_pool=1, stem_kernel=15, widths=(64, 96, 128, 192, 256, 384, 512, 768),
                   heads=(4, 4, 4, 8, 8, 8, 8, 8), window=140, mlp_ratio=2, dropout=0.1)
SWIN1D_DEMO = dict(stem_pool=16, stem_kernel=15, widths=(32, 48, 64, 96), heads=(2, 2, 4, 4), window=32,
                   mlp_ratio=2, dropout=0.0)


def roll_tokens(x: torch.Tensor, shift: int) -> torch.Tensor:
    """Cyclic roll of (batch, length, width) tokens: out[i] = x[i - shift] (the paper's R_t)."""
    return torch.roll(x, shifts=shift, dims=1)


def pair_concat(x: torch.Tensor) -> torch.Tensor:
    """(batch, L, d) -> (batch, L/2, 2d): token i of the output is [x[2i], x[2i+1]] concatenated."""
    batch, length, width = x.shape
    return x.reshape(batch, length // 2, 2 * width)


class RelativeWindowAttention(nn.Module):
    """Multi-head self-attention within (n_windows, window, width) with a learned relative-position bias.

    `forward(x)` uses scaled_dot_product_attention; `forward(x, weights)` computes the same softmax
    explicitly and appends the (n_windows, heads, window, window) weights to the list.
    """

    def __init__(self, width: int, heads: int, window: int):
        super().__init__()
        self.heads, self.window = heads, window
        self.qkv = nn.Linear(width, 3 * width)
        self.proj = nn.Linear(width, width)
        self.bias_table = nn.Parameter(torch.empty(heads, 2 * window - 1))
        nn.init.trunc_normal_(self.bias_table, std=0.02)
        positions = torch.arange(window)
        self.register_buffer("rel_index", positions[None, :] - positions[:, None] + window - 1, persistent=False)

    def forward(self, x: torch.Tensor, weights: list | None = None) -> torch.Tensor:
        n, window, width = x.shape
        q, k, v = self.qkv(x).view(n, window, 3, self.heads, width // self.heads).permute(2, 0, 3, 1, 4)
        bias = self.bias_table[:, self.rel_index].to(q.dtype)  # (heads, window, window)
        if weights is None:
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=bias)
        else:
            scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1]) + bias
            attention = scores.softmax(dim=-1)
            weights.append(attention)
            out = attention @ v
        return self.proj(out.transpose(1, 2).reshape(n, window, width))


class WindowTransformerLayer(nn.Module):
    """Pre-LayerNorm transformer layer whose attention runs within non-overlapping windows of (b, L, d)."""

    def __init__(self, width: int, heads: int, window: int, mlp_ratio: int, dropout: float):
        super().__init__()
        self.window = window
        self.norm1, self.norm2 = nn.LayerNorm(width), nn.LayerNorm(width)
        self.attn = RelativeWindowAttention(width, heads, window)
        self.mlp = nn.Sequential(nn.Linear(width, mlp_ratio * width), nn.GELU(), nn.Dropout(dropout),
                                 nn.Linear(mlp_ratio * width, width))
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, weights: list | None = None) -> torch.Tensor:
        batch, length, width = x.shape
        windows = self.norm1(x).reshape(batch * length // self.window, self.window, width)
        x = x + self.drop(self.attn(windows, weights).reshape(batch, length, width))
        return x + self.drop(self.mlp(self.norm2(x)))


class Swin1DBlock(nn.Module):
    """Windowed attention, roll by half a window, windowed attention, roll back, then pair-merge to out_width."""

    def __init__(self, width: int, out_width: int, heads: int, window: int, n_windows: int, mlp_ratio: int,
                 dropout: float):
        super().__init__()
        self.local = WindowTransformerLayer(width, heads, window, mlp_ratio, dropout)
        self.shifted = WindowTransformerLayer(width, heads, window, mlp_ratio, dropout)
        self.shift = window // 2 if n_windows > 1 else 0  # a single window gains nothing from rolling
        self.merge = nn.Linear(2 * width, out_width)  # no norm before it: see the module doc

    def forward(self, x: torch.Tensor, weights: list | None = None) -> torch.Tensor:
        x = self.local(x, weights)
        x = roll_tokens(self.shifted(roll_tokens(x, self.shift), weights), -self.shift)
        return self.merge(pair_concat(x))


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


def _stage_windows(seq_length: int, stem_pool: int, n_blocks: int, window: int) -> list[tuple[int, int]]:
    """(window, n_windows) per block; ValueError if a stage's length is not a multiple of its window."""
    out = []
    for k in range(n_blocks):
        length = seq_length // stem_pool // 2**k
        size = min(window, length)
        _require(length % size == 0, f"Swin1D: block {k + 1} has {length} tokens of {stem_pool * 2**k} bp, "
                                     f"not a multiple of window={window}")
        out.append((size, length // size))
    return out


def _validate(seq_length, bin_size, crop, n_tracks, stem_pool, stem_kernel, widths, heads, window) -> int:
    """Check the configuration; return K, the number of 1D-Swin blocks."""
    _require(min(seq_length, bin_size, n_tracks, stem_pool, window) >= 1 and crop >= 0,
             "Swin1D: seq_length, bin_size, n_tracks, stem_pool, window must be >= 1 and crop >= 0")
    _require(seq_length % bin_size == 0,
             f"Swin1D: seq_length={seq_length} is not a multiple of bin_size={bin_size}; pad the one-hot input "
             "symmetrically (the paper's 17,712 bp -> 17,920 bp: 104 bp per side, crop 30 -> 80 bins)")
    ratio = bin_size // stem_pool
    _require(bin_size % stem_pool == 0 and ratio & (ratio - 1) == 0,
             f"Swin1D: bin_size/stem_pool = {bin_size}/{stem_pool} must be a power of two (merges halve length)")
    n_blocks = ratio.bit_length() - 1
    _require(len(widths) == n_blocks + 1 and len(heads) == n_blocks + 1,
             f"Swin1D: stem_pool={stem_pool} needs {n_blocks} merges to reach {bin_size} bp, so widths and heads "
             f"need {n_blocks + 1} entries (got {len(widths)} and {len(heads)})")
    for width, n_heads in zip(widths, heads):
        _require(n_heads >= 1 and width % n_heads == 0, f"Swin1D: width {width} not divisible by {n_heads} heads")
    _require(stem_kernel % 2 == 1, f"Swin1D: stem_kernel={stem_kernel} must be odd (same padding)")
    bins = seq_length // bin_size
    _require(bins - 2 * crop >= 1, f"Swin1D: crop={crop} per side leaves no bins of {bins}")
    return n_blocks


class Swin1D(nn.Module):
    """Genomic Interpreter. Input (batch, 4, seq_length) one-hot; output (batch, bins - 2*crop, n_tracks) >= 0.

    Defaults are the full BasenjiSmall size (17,920 bp = the paper's 17,712 bp padded; see the module doc).
    `forward(x, return_attention=True)` returns {"prediction", "attention"}: one tensor per attention layer,
    in order block 1 unshifted, block 1 shifted, ..., block K shifted, final transformer block; a block's
    tensor is (batch * n_windows, heads, window, window) with row b * n_windows + w for window w of
    sample b (windows of the rolled sequence for shifted layers); the final one is (batch, heads, bins, bins).
    """

    def __init__(self, seq_length: int = 17_920, bin_size: int = 128, crop: int = 30, n_tracks: int = 5313, *,
                 stem_pool: int = 1, stem_kernel: int = 15,
                 widths: Sequence[int] = SWIN1D_FULL["widths"], heads: Sequence[int] = SWIN1D_FULL["heads"],
                 window: int = 140, mlp_ratio: int = 2, dropout: float = 0.1):
        super().__init__()
        widths, heads = tuple(widths), tuple(heads)
        n_blocks = _validate(seq_length, bin_size, crop, n_tracks, stem_pool, stem_kernel, widths, heads, window)
        self.seq_length, self.bin_size, self.crop = seq_length, bin_size, crop
        self.out_bins = seq_length // bin_size - 2 * crop
        stem = [nn.Conv1d(4, widths[0], stem_kernel, padding=stem_kernel // 2), nn.GELU()]
        self.stem = nn.Sequential(*stem, *([nn.MaxPool1d(stem_pool)] if stem_pool > 1 else []))
        self.blocks = nn.ModuleList(
            Swin1DBlock(widths[k], widths[k + 1], heads[k], size, n_windows, mlp_ratio, dropout)
            for k, (size, n_windows) in enumerate(_stage_windows(seq_length, stem_pool, n_blocks, window)))
        self.transformer = WindowTransformerLayer(widths[-1], heads[-1], self.out_bins, mlp_ratio, dropout)
        self.head = nn.Linear(widths[-1], n_tracks)

    def forward(self, x: torch.Tensor, return_attention: bool = False):
        if x.shape[1:] != (4, self.seq_length):
            raise ValueError(f"Swin1D: expected input (batch, 4, {self.seq_length}), got {tuple(x.shape)}")
        weights: list | None = [] if return_attention else None
        h = self.stem(x).transpose(1, 2)
        for block in self.blocks:
            h = block(h, weights)
        if self.crop:
            h = h[:, self.crop:-self.crop]
        prediction = F.softplus(self.head(self.transformer(h, weights)))
        return {"prediction": prediction, "attention": weights} if return_attention else prediction
