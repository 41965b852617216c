"""Benchmark: training steps per second of each torch model at demo and full size (CPU, or GPU with bf16).

    .venv/bin/python bench/train_steps.py [--chain promoter] [--device cpu|cuda] [--steps 10] [--batch-size 128]
    .venv/bin/python bench/train_steps.py --chain hic --batch-size 2 --steps 3   # Akita's batch of 2
    .venv/bin/python bench/train_steps.py --task tracks --batch-size 2 --steps 3  # + enformer vs enformer-pytorch
    .venv/bin/python bench/train_steps.py --chain scatac --batch-size 4 --sentence-length 6800

A full-size Hi-C model reads 2^20 bp per sequence: on a CPU use the Akita batch of 2 and few steps.
A cell-sentence model (scatac) reads random sentences of --sentence-length tokens over its full vocabulary
(demo size: the same hg38 5 kb vocabulary with the demo's widths) and trains on its own 3-state loss.
"""

from __future__ import annotations

import argparse
import json
import resource
import time

import torch

from regformer.chains.registry import chain_models
from regformer.data.encoding import one_hot
from regformer.models.blocks import count_parameters
from regformer.models.outputs import prediction_of


def _sentences(arch: dict, batch_size: int, length: int, device: str) -> tuple[torch.Tensor, dict]:
    """Random cell sentences (<cls>, sorted tiles, every <eos>) and random 3-state targets."""
    n_chroms, n_tiles = len(arch["chrom_tiles"]), sum(arch["chrom_tiles"])
    tiles = torch.randint(0, n_tiles, (batch_size, length - 1 - n_chroms), device=device).sort(1).values
    eos = torch.arange(2, 2 + n_chroms, device=device).expand(batch_size, -1)
    x = torch.cat([torch.ones(batch_size, 1, dtype=torch.long, device=device), tiles + 2 + n_chroms, eos], 1)
    return x, {"y": torch.randint(0, 3, (batch_size, n_tiles), device=device)}


def bench(spec, size: str, device: str, steps: int, batch_size: int, sentence_length: int = 6800) -> dict:
    name = spec.name
    arch = spec.full if size == "full" else spec.demo
    model = spec.build(**arch).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    if "chrom_tiles" in arch:  # a cell-sentence model: token ids in, its own training loss
        length = sentence_length
        x, batch = _sentences(arch, batch_size, length, device)
    else:
        length = arch.get("length") or arch["seq_length"]  # the input length of this size (Hi-C demo: 2^17 bp)
        x, batch = one_hot(torch.randint(0, 4, (batch_size, length), device=device)), None
    autocast = torch.autocast("cuda", dtype=torch.bfloat16, enabled=device == "cuda")

    def step():
        optimizer.zero_grad(set_to_none=True)
        with autocast:
            output = model(x)
            if batch is not None:
                loss = model.training_loss(output, batch)
            else:
                prediction = prediction_of(output).float()
                loss = torch.nn.functional.mse_loss(prediction, torch.zeros_like(prediction))
        loss.backward()
        optimizer.step()

    step()  # warm-up
    if device == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    if device == "cuda":
        torch.cuda.synchronize()
    elapsed = time.perf_counter() - start
    row = {"model": name, "size": size, "parameters": count_parameters(model), "device": device,
           "batch_size": batch_size, "sequence_length": length, "steps_per_s": round(steps / elapsed, 2)}
    if device == "cuda":
        row["peak_memory_gb"] = round(torch.cuda.max_memory_allocated() / 2**30, 2)
    else:  # the process's peak resident memory so far (Linux reports KiB)
        row["peak_rss_gb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--chain", "--task", default="promoter", help="which chain's models (promoter, hic, ...)")
    parser.add_argument("--no-reference", action="store_true",
                        help="tracks: skip enformer side by side with enformer-pytorch (the bench extra)")
    parser.add_argument("--sizes", default="demo,full", help="comma-separated: demo, full")
    parser.add_argument("--sentence-length", type=int, default=6800, help="scatac: tokens per cell sentence")
    args = parser.parse_args()
    for spec in chain_models(args.chain).values():
        if spec.kind != "torch":
            continue
        for size in args.sizes.split(","):
            print(json.dumps(bench(spec, size, args.device, args.steps, args.batch_size, args.sentence_length)), flush=True)
    if args.chain == "tracks" and not args.no_reference:
        from enformer_reference import compare  # bench/ is on sys.path when this file runs

        print(json.dumps(compare(args.device, args.batch_size, args.steps)), flush=True)


if __name__ == "__main__":
    main()
