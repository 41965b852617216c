"""enformer-pytorch's checkpoint layout (the port of DeepMind's released Enformer weights, e.g. the Hugging Face
file EleutherAI/enformer-official-rough) mapped onto regformer's Enformer, name by name.

Our Enformer must be built with the paper's layers for these weights (`conv_norm="batch", gelu="sigmoid"`;
regformer.models.tracks.enformer). Every tensor of the checkpoint matches exactly one rule below, or the mapping
stops with an error naming it; three kinds of tensor are stored with extra size-1 axes in enformer-pytorch
(attention-pool logits as a Conv2d, the relative-position biases as (1, heads, 1, key), the final pointwise
layer as a Conv1d) and are squeezed by their rule. enformer-pytorch's `_trunk` is a second path to the same
modules: those entries must equal the ones they alias.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import torch

from regformer.errors import InputError

_BN = r"(weight|bias|running_mean|running_var|num_batches_tracked)"
_W = r"(weight|bias)"
# (their name pattern, our name template, how the tensor is reshaped); patterns are matched in full
RULES: list[tuple[str, str, str | None]] = [
    (rf"stem\.0\.{_W}", r"stem.0.\1", None),
    (rf"stem\.1\.fn\.0\.{_BN}", r"stem.1.body.0.\1", None),
    (rf"stem\.1\.fn\.2\.{_W}", r"stem.1.body.2.\1", None),
    (r"stem\.2\.to_attn_logits\.weight", r"stem.2.logits.weight", "squeeze_last"),
    (rf"conv_tower\.(\d+)\.0\.0\.{_BN}", r"tower.\1.0.0.\2", None),
    (rf"conv_tower\.(\d+)\.0\.2\.{_W}", r"tower.\1.0.2.\2", None),
    (rf"conv_tower\.(\d+)\.1\.fn\.0\.{_BN}", r"tower.\1.1.body.0.\2", None),
    (rf"conv_tower\.(\d+)\.1\.fn\.2\.{_W}", r"tower.\1.1.body.2.\2", None),
    (r"conv_tower\.(\d+)\.2\.to_attn_logits\.weight", r"tower.\1.2.logits.weight", "squeeze_last"),
    (rf"transformer\.(\d+)\.0\.fn\.0\.{_W}", r"transformer.\1.attention_norm.\2", None),
    (r"transformer\.(\d+)\.0\.fn\.1\.to_q\.weight", r"transformer.\1.attention.query.weight", None),
    (r"transformer\.(\d+)\.0\.fn\.1\.to_k\.weight", r"transformer.\1.attention.key.weight", None),
    (r"transformer\.(\d+)\.0\.fn\.1\.to_v\.weight", r"transformer.\1.attention.value.weight", None),
    (rf"transformer\.(\d+)\.0\.fn\.1\.to_out\.{_W}", r"transformer.\1.attention.output.\2", None),
    (r"transformer\.(\d+)\.0\.fn\.1\.to_rel_k\.weight", r"transformer.\1.attention.position_key.weight", None),
    (r"transformer\.(\d+)\.0\.fn\.1\.rel_content_bias", r"transformer.\1.attention.r_w_bias", "squeeze_first"),
    (r"transformer\.(\d+)\.0\.fn\.1\.rel_pos_bias", r"transformer.\1.attention.r_r_bias", "squeeze_first"),
    (rf"transformer\.(\d+)\.1\.fn\.0\.{_W}", r"transformer.\1.feed_forward.0.\2", None),
    (rf"transformer\.(\d+)\.1\.fn\.1\.{_W}", r"transformer.\1.feed_forward.1.\2", None),
    (rf"transformer\.(\d+)\.1\.fn\.4\.{_W}", r"transformer.\1.feed_forward.4.\2", None),
    (rf"final_pointwise\.1\.0\.{_BN}", r"final.0.\1", None),
    (r"final_pointwise\.1\.2\.weight", r"final.2.weight", "squeeze_last"),
    (r"final_pointwise\.1\.2\.bias", r"final.2.bias", None),
    (rf"_heads\.(\w+)\.0\.{_W}", r"heads.\1.\2", None),
]
# enformer-pytorch's nn.Sequential `_trunk` holds the same modules again: its items 1, 2, 4, 6
ALIASES = {"_trunk.1.": "stem.", "_trunk.2.": "conv_tower.", "_trunk.4.": "transformer.", "_trunk.6.": "final_pointwise."}
_COMPILED = [(re.compile(pattern), template, reshape) for pattern, template, reshape in RULES]


def _reshape(tensor: torch.Tensor, how: str | None, name: str, source: str) -> torch.Tensor:
    if how is None:
        return tensor
    axis = -1 if how == "squeeze_last" else 0
    if tensor.ndim < 2 or tensor.shape[axis] != 1:
        raise InputError(source, f"tensor {name} has shape {tuple(tensor.shape)}, expected a size-1 "
                         f"{'last' if axis else 'first'} axis", "use an enformer-pytorch checkpoint (state dict)")
    return tensor.squeeze(axis)


def _same(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Equal shape and values (tensors on the meta device, which hold no values, by shape alone)."""
    return a.shape == b.shape and (a.is_meta or b.is_meta or torch.equal(a, b))


def _without_aliases(state: Mapping[str, torch.Tensor], source: str) -> dict[str, torch.Tensor]:
    """The state dict with `_trunk.*` entries folded into the names they alias (which they must equal)."""
    out = {k: v for k, v in state.items() if not k.startswith("_trunk.")}
    for key, tensor in state.items():
        prefix = next((p for p in ALIASES if key.startswith(p)), None)
        if not key.startswith("_trunk."):
            continue
        if prefix is None:
            raise InputError(source, f"unexpected tensor {key} (no enformer-pytorch module lives there)",
                             "use a checkpoint of enformer-pytorch's Enformer")
        canonical = ALIASES[prefix] + key[len(prefix):]
        if canonical in out and not _same(out[canonical], tensor):
            raise InputError(source, f"tensor {key} differs from {canonical}, which it aliases",
                             "the file is corrupt or not an enformer-pytorch state dict")
        out.setdefault(canonical, tensor)
    return out


def from_enformer_pytorch(state: Mapping[str, torch.Tensor], source: str = "enformer-pytorch checkpoint"
                          ) -> dict[str, torch.Tensor]:
    """enformer-pytorch state dict -> state dict in our Enformer's names (conv_norm batch, gelu sigmoid).

    A tensor no rule knows is an error naming it; the shapes are checked when the result is loaded
    (regformer.models.weights.load_matching).
    """
    ours: dict[str, torch.Tensor] = {}
    for key, tensor in _without_aliases(state, source).items():
        for pattern, template, reshape in _COMPILED:
            match = pattern.fullmatch(key)
            if match:
                ours[match.expand(template)] = _reshape(tensor, reshape, key, source)
                break
        else:
            raise InputError(source, f"unexpected tensor {key}: no part of our Enformer corresponds to it",
                             "use a state dict of enformer-pytorch's Enformer (EleutherAI/enformer-official-rough)")
    return ours
