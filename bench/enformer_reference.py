"""Enformer side by side with enformer-pytorch (a bench-only extra: `pip install -e '.[bench]'`).

Both are built at the same reduced configuration (the paper's layer types, fewer and narrower layers), and
timed on the same batch, forward + backward + Adam step, alternating between the two so that a busy machine
slows both alike. enformer-pytorch is never a runtime dependency of regformer.
"""

from __future__ import annotations

import statistics
import time

import torch

from regformer.data.encoding import one_hot
from regformer.models.blocks import count_parameters
from regformer.models.outputs import prediction_of

# The reduced configuration both models are built at (full size: 196,608 bp, 1536 channels, 11 blocks).
REDUCED = dict(seq_length=32_768, bin_size=128, crop=32, channels=768, n_conv_tower=6, n_transformer=4,
               n_heads=8, key_size=64, output_heads={"human": 5313, "mouse": 1643})


def build_pair(config: dict = REDUCED):
    """(ours, theirs) at one configuration, in training mode; theirs is None when the extra is not installed."""
    from regformer.models.tracks.enformer import Enformer

    ours = Enformer(**config)
    try:
        from enformer_pytorch import Enformer as Reference
    except ImportError:
        return ours, None
    bins = config["seq_length"] // config["bin_size"]
    theirs = Reference.from_hparams(dim=config["channels"], depth=config["n_transformer"], heads=config["n_heads"],
                                    attn_dim_key=config["key_size"], output_heads=config["output_heads"],
                                    target_length=bins - 2 * config["crop"])
    return ours, theirs


def _step_fn(model, x_ours: torch.Tensor, reference: bool):
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    x = x_ours.transpose(1, 2).contiguous() if reference else x_ours  # theirs takes (batch, length, 4)

    def step():
        optimizer.zero_grad(set_to_none=True)
        out = model(x)
        heads = out.values() if isinstance(out, dict) and "prediction" not in out else [prediction_of(out)]
        loss = sum(h.float().square().mean() for h in (heads.values() if isinstance(heads, dict) else heads))
        loss.backward()
        optimizer.step()
    return step


def compare(device: str, batch_size: int, steps: int, config: dict = REDUCED) -> dict:
    """Parameters of both and the median forward+backward time per step of each, alternated step by step."""
    ours, theirs = build_pair(config)
    row = {"comparison": "enformer vs enformer-pytorch", "config": {k: v for k, v in config.items()},
           "device": device, "batch_size": batch_size, "ours_parameters": count_parameters(ours)}
    if theirs is None:
        row["note"] = "enformer-pytorch is not installed: pip install -e '.[bench]'"
        return row
    row["theirs_parameters"] = count_parameters(theirs)
    x = one_hot(torch.randint(0, 4, (batch_size, config["seq_length"]), device=device))
    autocast = torch.autocast("cuda", dtype=torch.bfloat16, enabled=device == "cuda")
    steps_of = {"ours": _step_fn(ours.to(device), x, False), "theirs": _step_fn(theirs.to(device), x, True)}
    times = {"ours": [], "theirs": []}
    for i in range(steps + 1):
        for name, step in steps_of.items():
            if device == "cuda":
                torch.cuda.synchronize()
            start = time.perf_counter()
            with autocast:
                step()
            if device == "cuda":
                torch.cuda.synchronize()
            if i:  # the first step of each is warm-up
                times[name].append(time.perf_counter() - start)
    ours_s, theirs_s = statistics.median(times["ours"]), statistics.median(times["theirs"])
    row.update(ours_s_per_step=round(ours_s, 4), theirs_s_per_step=round(theirs_s, 4),
               time_ratio_ours_over_theirs=round(ours_s / theirs_s, 3),
               ours_samples_per_s=round(batch_size / ours_s, 2), theirs_samples_per_s=round(batch_size / theirs_s, 2))
    return row
