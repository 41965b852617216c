"""Peak memory of one full-size Enformer training step at batch 1, with and without activation checkpointing
of the transformer blocks (`checkpoint_transformer`).

Each variant runs in a fresh subprocess, so its peak is its own: on the CPU the peak resident set size
(getrusage ru_maxrss) during forward + backward + Adam step, and the rise over the peak before the step (the
model's weights); on a GPU torch.cuda.max_memory_allocated. Full size: 196,608 bp in, 11 blocks of 1,536
channels, the paper's human and mouse heads, fp32. The child caps its address space (--limit-gib) so that a
step too big for the machine fails with a MemoryError instead of bringing the machine to its knees.

    nice -n 19 python bench/enformer_memory.py --out bench/results/enformer_memory.json

`--tensors` instead traces the same step under torch's FakeTensorMode with torch.distributed's MemTracker: the
peak bytes of live tensors (weights, gradients, Adam state, activations), device-independent, with no
arithmetic done (about a minute per variant on a busy CPU): the figure a GPU's allocator would approach.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path


def one_step(checkpointing: bool, device: str, seq_length: int, limit_gib: float) -> dict:
    """Build the full-size model, run one training step on random DNA, return the memory figures."""
    if device == "cpu" and limit_gib:
        limit = int(limit_gib * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    import torch
    import torch.nn.functional as F

    from regformer.models.tracks.enformer import PAPER_HEADS, Enformer

    torch.manual_seed(0)
    crop = (seq_length // 128 - 896) // 2 if seq_length == 196_608 else 0
    model = Enformer(seq_length=seq_length, crop=crop, output_heads=dict(PAPER_HEADS),
                     checkpoint_transformer=checkpointing).to(device).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    x = F.one_hot(torch.randint(0, 4, (1, seq_length)), 4).float().transpose(1, 2).contiguous().to(device)
    before_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
        before_gpu = torch.cuda.memory_allocated()
    started = time.perf_counter()
    out = model(x)
    loss = sum(head.square().mean() for head in out.values())
    loss.backward()
    optimizer.step()
    if device == "cuda":
        torch.cuda.synchronize()
    row = {"checkpoint_transformer": checkpointing, "device": device, "seq_length": seq_length, "batch_size": 1,
           "step_seconds": round(time.perf_counter() - started, 1), "torch": torch.__version__,
           "threads": torch.get_num_threads()}
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    row.update(peak_rss_gib=round(peak_kib / 2**20, 2), rss_before_step_gib=round(before_kib / 2**20, 2),
               step_rise_gib=round((peak_kib - before_kib) / 2**20, 2))
    if device == "cuda":
        row.update(gpu_peak_allocated_gib=round(torch.cuda.max_memory_allocated() / 2**30, 2),
                   gpu_before_step_gib=round(before_gpu / 2**30, 2), gpu=torch.cuda.get_device_name())
    return row


def tensor_peak(checkpointing: bool, seq_length: int) -> dict:
    """Peak bytes of live tensors during one step, traced on fake tensors (MemTracker), nothing computed."""
    import torch
    from torch._subclasses.fake_tensor import FakeTensorMode
    from torch.distributed._tools.mem_tracker import MemTracker

    from regformer.models.tracks import relative_attention
    from regformer.models.tracks.enformer import PAPER_HEADS, Enformer

    relative_attention._basis_table.cache_clear()  # a table cached under another fake mode cannot be reused
    started = time.perf_counter()
    with FakeTensorMode():
        crop = (seq_length // 128 - 896) // 2 if seq_length == 196_608 else 0
        model = Enformer(seq_length=seq_length, crop=crop, output_heads=dict(PAPER_HEADS),
                         checkpoint_transformer=checkpointing).train()
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
        tracker = MemTracker()
        tracker.track_external(model, optimizer)
        with tracker:
            out = model(torch.zeros(1, 4, seq_length))
            sum(head.square().mean() for head in out.values()).backward()
            optimizer.step()
        peak = max(v["Total"] for v in tracker.get_tracker_snapshot("peak").values())
    relative_attention._basis_table.cache_clear()
    return {"checkpoint_transformer": checkpointing, "measure": "peak live tensor bytes (FakeTensorMode + MemTracker)",
            "seq_length": seq_length, "batch_size": 1, "peak_tensor_gib": round(peak / 2**30, 2),
            "trace_seconds": round(time.perf_counter() - started, 1), "torch": torch.__version__}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--seq-length", type=int, default=196_608)
    parser.add_argument("--limit-gib", type=float, default=18.0, help="address-space cap of each CPU child")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--tensors", action="store_true", help="trace live-tensor bytes on fake tensors instead")
    parser.add_argument("--child", choices=["plain", "checkpointed"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.tensors:
        rows = [tensor_peak(variant, args.seq_length) for variant in (False, True)]
        print(json.dumps(rows, indent=2))
        if args.out:
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps(rows, indent=2) + "\n")
        return
    if args.child:
        print(json.dumps(one_step(args.child == "checkpointed", args.device, args.seq_length, args.limit_gib)))
        return
    rows = []
    for variant in ("checkpointed", "plain"):
        cmd = [sys.executable, __file__, "--child", variant, "--device", args.device,
               "--seq-length", str(args.seq_length), "--limit-gib", str(args.limit_gib)]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode:
            rows.append({"checkpoint_transformer": variant == "checkpointed", "error": done.stderr.strip()[-400:]})
        else:
            rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(json.dumps(rows[-1]), flush=True)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
