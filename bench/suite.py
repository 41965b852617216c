"""Benchmark suite: every registered torch model, forward+backward+optimizer step, against the device's peak.

    .venv/bin/python bench/suite.py --device cuda                       # every chain, demo + full, compile on/off
    .venv/bin/python bench/suite.py --device cpu --sizes demo --steps 1 --compile off --max-batch 2
    .venv/bin/python bench/suite.py --device cuda --models enformer,akita --sizes full --peak-tflops 989

Per model and size it reports samples/s at the largest batch that fits (on CUDA: doubled from 1 until an
out-of-memory error or --max-batch; on CPU: --max-batch, since running out of RAM kills the process), peak
memory, FLOPs per sample counted by torch.utils.flop_counter.FlopCounterMode (forward + backward, on the meta
device when the model allows it, so counting costs no compute), achieved TFLOP/s and MFU = achieved / the
device's peak (bf16 dense for GPUs: PEAK_TFLOPS, or --peak-tflops; null when neither knows the device).
CUDA runs use bf16 autocast, a fused Adam, cudnn.benchmark and TF32 matmuls; timing uses CUDA events after a
short warm-up (which also absorbs torch.compile's compilation). With enformer-pytorch installed (the bench
extra), Enformer is also timed side by side with it (bench/enformer_reference.py) in the same run.
Writes one JSON (--out) and a Markdown table next to it (same name, .md).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import resource
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))  # train_steps and enformer_reference, run from anywhere

from regformer.chains.registry import CHAINS, chain_models  # noqa: E402
from regformer.models.blocks import count_parameters  # noqa: E402

from suite_flops import (  # noqa: E402  (re-exported: the tests and callers use suite.*)
    CPU_ATTENTION_FLOPS, PEAK_TFLOPS, count_flops, device_peak, loss_of, make_inputs, peak_for_name)


class Runner:
    """One model at one size on one device: a training step at any batch size, eager or compiled."""

    def __init__(self, spec, arch: dict, device: str, sentence_length: int, compiled: bool):
        self.arch, self.device, self.sentence_length = arch, device, sentence_length
        self.model = spec.build(**arch).to(device).train()
        fused = {"fused": True} if device == "cuda" else {}
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=1e-4, **fused)
        self.forward = torch.compile(self.model, dynamic=False) if compiled else self.model
        self.autocast = torch.autocast("cuda", dtype=torch.bfloat16) if device == "cuda" else contextlib.nullcontext()
        self.inputs = None

    def set_batch(self, batch_size: int) -> None:
        self.inputs = None  # free the previous batch first
        self.inputs = make_inputs(self.arch, batch_size, self.device, self.sentence_length)

    def step(self) -> None:
        x, batch, _ = self.inputs
        self.optimizer.zero_grad(set_to_none=True)
        with self.autocast:
            loss = loss_of(self.model, self.forward(x), batch)
        loss.backward()
        self.optimizer.step()


def _significant(value: float, figures: int = 4) -> float:
    """`value` to `figures` significant figures: rates near zero (a slow CPU) keep their precision."""
    return float(f"{value:.{figures}g}")


def _is_oom(exc: BaseException) -> bool:
    return isinstance(exc, torch.cuda.OutOfMemoryError) or "out of memory" in str(exc).lower()


def _sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def _free(device: str) -> None:
    if device == "cuda":
        torch.cuda.empty_cache()


def search_batch(fits, max_batch: int) -> int:
    """The largest power of two <= max_batch for which fits(batch) is True, doubling from 1 (0 if 1 fails)."""
    best, batch_size = 0, 1
    while batch_size <= max_batch and fits(batch_size):
        best, batch_size = batch_size, batch_size * 2
    return best


def largest_batch(spec, arch: dict, args) -> int:
    """The largest power-of-two batch (<= --max-batch) whose eager training step fits in GPU memory.

    On CPU no search: --max-batch is used as given (running out of RAM kills the process, it raises nothing).
    The search is eager so that torch.compile later compiles once, at the batch found."""
    if args.device != "cuda":
        return args.max_batch
    runner = Runner(spec, arch, args.device, args.sentence_length, compiled=False)

    def fits(batch_size: int) -> bool:
        try:
            runner.set_batch(batch_size)
            runner.step()
            _sync(args.device)
            return True
        except (torch.cuda.OutOfMemoryError, RuntimeError) as exc:
            if not _is_oom(exc):
                raise
            return False
        finally:
            runner.optimizer.zero_grad(set_to_none=True)
            runner.inputs = None
            _free(args.device)

    best = search_batch(fits, args.max_batch)
    del runner
    _free(args.device)
    if not best:
        raise RuntimeError(f"batch 1 does not fit on {torch.cuda.get_device_name()}")
    return best


def first_step(runner: Runner, batch_size: int, device: str) -> tuple[int, float]:
    """(batch, seconds) of the first step (compilation included), halving the batch while it runs out of memory."""
    while True:
        try:
            runner.set_batch(batch_size)
            start = time.perf_counter()
            runner.step()
            _sync(device)
            return batch_size, time.perf_counter() - start
        except (torch.cuda.OutOfMemoryError, RuntimeError) as exc:
            if not _is_oom(exc) or batch_size == 1:
                raise
            runner.optimizer.zero_grad(set_to_none=True)
            runner.inputs = None
            _free(device)
            batch_size //= 2


def time_steps(runner: Runner, device: str, warmup: int, steps: int) -> float:
    """Seconds per step: the mean over `steps` after `warmup` untimed steps, timed by CUDA events on GPUs."""
    for _ in range(warmup):
        runner.step()
    if device == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(steps):
            runner.step()
        end.record()
        torch.cuda.synchronize()
        return start.elapsed_time(end) / 1000 / steps
    start = time.perf_counter()
    for _ in range(steps):
        runner.step()
    return (time.perf_counter() - start) / steps


def bench_one(spec, size: str, args, compiled: bool, flops: float, peak: float | None, batch_size: int) -> dict:
    """One row of the suite (see the module docstring for the fields)."""
    arch = spec.full if size == "full" else spec.demo
    row = {"chain": spec.chain, "model": spec.name, "size": size, "compile": compiled, "device": args.device}
    runner = Runner(spec, arch, args.device, args.sentence_length, compiled)
    batch_size, first_step_s = first_step(runner, batch_size, args.device)
    seconds = time_steps(runner, args.device, args.warmup, args.steps)
    samples_per_s = batch_size / seconds
    achieved = flops * samples_per_s / 1e12
    row.update(parameters=count_parameters(runner.model), input_length=runner.inputs[2], batch_size=batch_size,
               first_step_s=round(first_step_s, 3), s_per_step=round(seconds, 5),
               samples_per_s=_significant(samples_per_s), flops_per_sample=flops,  # 4 figures: slow CPUs too
               achieved_tflops=_significant(achieved), mfu=_significant(achieved / peak) if peak else None)
    if args.device == "cuda":
        row["peak_memory_gb"] = round(torch.cuda.max_memory_allocated() / 2**30, 3)
    else:  # the process's peak resident memory so far (Linux reports KiB): an upper bound for this model
        row["peak_rss_gb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 3)
    del runner
    _free(args.device)
    return row


def reference_rows(args) -> list[dict]:
    """Enformer vs enformer-pytorch at the reduced config (and at full size on CUDA), alternated step by step."""
    from enformer_reference import REDUCED, compare

    configs = [("reduced", REDUCED)]
    if args.device == "cuda" and "full" in args.sizes:
        full = chain_models("tracks")["enformer"].full
        configs.append(("full", {k: full[k] for k in REDUCED}))
    rows = []
    for label, config in configs:
        batch = args.reference_batch if args.device == "cuda" else min(args.reference_batch, args.max_batch)
        try:
            rows.append({"config_name": label, **compare(args.device, batch, args.steps, config)})
        except (torch.cuda.OutOfMemoryError, RuntimeError) as exc:
            if not _is_oom(exc):
                raise
            rows.append({"config_name": label, "comparison": "enformer vs enformer-pytorch", "batch_size": batch,
                         "note": f"out of memory at batch {batch}: lower --reference-batch"})
            torch.cuda.empty_cache()
    return rows


def markdown(result: dict) -> str:
    """The suite as a Markdown table (one row per model, size and compile setting) plus the reference rows."""
    lines = [f"Device: {result['device_name']} ({result['device']}); peak {result['peak_tflops']} TFLOP/s "
             f"({result['peak_source']}); torch {result['torch']}; autocast {result['autocast']}.", "",
             "| chain | model | size | compile | batch | samples/s | GFLOP/sample | TFLOP/s | MFU | peak mem GB |",
             "|---|---|---|---|---:|---:|---:|---:|---:|---:|"]
    for r in result["rows"]:
        if "error" in r:
            lines.append(f"| {r['chain']} | {r['model']} | {r['size']} | {r['compile']} | | | | | | "
                         f"error: {r['error']} |")
            continue
        mfu = f"{100 * r['mfu']:.1f}%" if r["mfu"] is not None else "n/a"
        memory = r.get("peak_memory_gb", r.get("peak_rss_gb"))
        lines.append(f"| {r['chain']} | {r['model']} | {r['size']} | {r['compile']} | {r['batch_size']} | "
                     f"{r['samples_per_s']:.2f} | {r['flops_per_sample'] / 1e9:.2f} | {r['achieved_tflops']:.3f} | "
                     f"{mfu} | {memory} |")
    for ref in result.get("reference", []):
        if "ours_samples_per_s" in ref:
            lines += ["", f"Enformer vs enformer-pytorch ({ref['config_name']} config, batch {ref['batch_size']}): "
                          f"ours {ref['ours_samples_per_s']} samples/s, theirs {ref['theirs_samples_per_s']} samples/s "
                          f"(ours/theirs time {ref['time_ratio_ours_over_theirs']})."]
        else:
            lines += ["", f"Enformer vs enformer-pytorch ({ref.get('config_name')}): {ref.get('note')}"]
    return "\n".join(lines) + "\n"


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--chains", default=",".join(CHAINS), help="comma-separated chains")
    parser.add_argument("--models", default="", help="comma-separated model names (default: every torch model)")
    parser.add_argument("--sizes", default="demo,full", help="comma-separated: demo, full")
    parser.add_argument("--compile", choices=["both", "on", "off"], default="both", help="torch.compile the model")
    parser.add_argument("--steps", type=int, default=5, help="timed steps")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps after the batch search")
    parser.add_argument("--max-batch", type=int, default=None,
                        help="CUDA: largest batch tried (default 4096); CPU: the batch used (default 2)")
    parser.add_argument("--peak-tflops", type=float, default=None, help="the device's peak, overriding the table")
    parser.add_argument("--sentence-length", type=int, default=6800, help="scatac: tokens per cell sentence")
    parser.add_argument("--reference", choices=["auto", "off"], default="auto",
                        help="Enformer vs enformer-pytorch when the latter is importable")
    parser.add_argument("--reference-batch", type=int, default=2)
    parser.add_argument("--time-budget", type=float, default=None,
                        help="seconds: models not started by then get a 'skipped' row (the issue's 8 minutes: 480)")
    parser.add_argument("--out", default=None,
                        help="JSON path (default bench/results/suite_cpu.json or suite_<GPU name>.json)")
    args = parser.parse_args(argv)
    if args.device == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda but torch sees no CUDA device")
    if args.max_batch is None:
        args.max_batch = 4096 if args.device == "cuda" else 2
    args.sizes = [s for s in args.sizes.split(",") if s]
    if set(args.sizes) - {"demo", "full"}:
        parser.error(f"--sizes: use demo and/or full, not {args.sizes}")
    if args.out is None:
        name = "cpu" if args.device == "cpu" else re.sub(r"[^A-Za-z0-9]+", "_", torch.cuda.get_device_name()).strip("_")
        args.out = Path(__file__).resolve().parent / "results" / f"suite_{name}.json"
    args.out = Path(args.out)
    return args


def save(args: argparse.Namespace, result: dict) -> None:
    """Write the JSON and the Markdown table (after every row: a run cut short keeps what it measured)."""
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    args.out.with_suffix(".md").write_text(markdown(result))


def run(args: argparse.Namespace) -> dict:
    """Enformer vs enformer-pytorch first (when importable), then every selected model x size x compile
    setting; a model that fails gets an error row and the rest go on; past --time-budget the rest are skipped."""
    if args.device == "cuda":
        torch.backends.cudnn.benchmark = True
        torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True
    name, peak = device_peak(args.device, args.peak_tflops)
    wanted = {m for m in args.models.split(",") if m}
    specs = [spec for chain in args.chains.split(",") if chain for spec in chain_models(chain).values()
             if spec.kind == "torch" and (not wanted or spec.name in wanted)]
    modes = {"both": [False, True], "on": [True], "off": [False]}[args.compile]
    rows, started = [], time.perf_counter()
    result = {"device": args.device, "device_name": name, "peak_tflops": peak,
              "peak_source": "--peak-tflops" if args.peak_tflops else ("table" if peak else "unknown: MFU null"),
              "torch": torch.__version__, "autocast": "bf16" if args.device == "cuda" else "none (fp32)",
              "steps": args.steps, "warmup": args.warmup, "max_batch": args.max_batch, "rows": rows}
    if args.reference == "auto" and any(s.name == "enformer" for s in specs):
        try:
            import enformer_pytorch  # noqa: F401
        except ImportError:
            result["reference"] = [{"config_name": "reduced",
                                    "note": "enformer-pytorch is not installed: pip install -e '.[bench]'"}]
        else:
            result["reference"] = reference_rows(args)
        save(args, result)
    for spec in specs:
        for size in args.sizes:
            base = {"chain": spec.chain, "model": spec.name, "size": size}
            if args.time_budget and time.perf_counter() - started > args.time_budget:
                rows.append({**base, "compile": None, "error": f"skipped: past --time-budget {args.time_budget} s"})
                continue
            arch = spec.full if size == "full" else spec.demo
            try:
                flops, counted_on = count_flops(spec, arch, args.sentence_length, args.device)
            except Exception as exc:  # noqa: BLE001 - one model's failure must not stop the suite
                rows.append({**base, "compile": None, "error": f"FLOP count: {type(exc).__name__}: {exc}"[:300]})
                continue
            batch_size = None
            for compiled in modes:
                try:
                    batch_size = batch_size or largest_batch(spec, arch, args)
                    row = bench_one(spec, size, args, compiled, flops, peak, batch_size)
                    row["flops_counted_on"] = counted_on
                except Exception as exc:  # noqa: BLE001
                    row = {**base, "compile": compiled, "error": f"{type(exc).__name__}: {exc}"[:300]}
                    _free(args.device)
                print(json.dumps(row), flush=True)
                rows.append(row)
                save(args, result)
    result["wall_s"] = round(time.perf_counter() - started, 1)
    save(args, result)
    return result


def main(argv=None) -> dict:
    result = run(parse_args(argv))
    print(markdown(result))
    return result


if __name__ == "__main__":
    main()
