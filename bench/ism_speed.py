"""Speed of the apply stage on a trained model: batched ISM against the one-mutant-at-a-time loop, and variants/s.

    PYTHONPATH=src OMP_NUM_THREADS=1 nice python bench/ism_speed.py results/promoter/demo/*/model.pt \
        [--sequences 20] [--device cpu] [--span N] [--out bench/results/ism_speed.json]

Both ISM versions score the same mutants of the same test sequences with the same model (the loop on
--loop-sequences of them, at most); speedup = loop seconds per position / batched seconds per position. Variants/s
is the variants stage's rate on 1,000 random SNVs (a reference and an alternative forward pass each).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from regformer.apply.ism import ism, ism_loop
from regformer.apply.model import ApplyModel


def test_codes(model: ApplyModel, n: int) -> np.ndarray:
    """The store's first n test sequences (a promoter store), or n windows of its test split read from the genome."""
    import h5py

    with h5py.File(model.context["store"], "r") as h5:
        rows = np.sort(h5["index/test"][:])[:n]
        if "codes" in h5:
            return h5["codes"][rows]
    from regformer.data.windows import window_regions
    from regformer.io.fasta import fetch_codes, open_fasta

    fasta, _ = open_fasta(model.context["fasta"])
    return np.stack([fetch_codes(fasta, c, s, e) for c, s, e in window_regions(model.context["store"], rows)])


def measure(path: str, n_sequences: int, loop_sequences: int, device: str, span: int | None) -> dict:
    model = ApplyModel(path, device=device, batch_size=1024 if span is None else 64)
    codes = test_codes(model, max(n_sequences, 1000 if span is None else 20))
    centre = codes.shape[1] // 2
    window = None if span is None or span >= codes.shape[1] else (centre - span // 2, centre - span // 2 + span)
    n_positions = window[1] - window[0] if window else codes.shape[1]
    model.predict_codes(codes[:8])  # warm-up
    started = time.perf_counter()
    batched = ism(model.predict_codes, codes[:n_sequences], batch_size=1024 if window is None else 64, span=window)
    batched_s = (time.perf_counter() - started) / (n_sequences * n_positions)
    started = time.perf_counter()
    looped = ism_loop(model.predict_codes, codes[:loop_sequences], span=window)
    loop_s = (time.perf_counter() - started) / (loop_sequences * n_positions)
    agree = float(np.abs(looped - batched[:loop_sequences]).max())
    rng = np.random.default_rng(0)
    ref = codes[rng.integers(0, len(codes), 1000 if window is None else 20)]
    alt = ref.copy()
    positions = rng.integers(0, ref.shape[1], len(ref))
    alt[np.arange(len(ref)), positions] = (ref[np.arange(len(ref)), positions] + rng.integers(1, 4, len(ref))) % 4
    started = time.perf_counter()
    model.draws(alt) - model.draws(ref)
    variants_s = time.perf_counter() - started
    return {"model": model.name, "path": path, "device": device, "threads": torch.get_num_threads(), "span": window,
            "ism_positions_per_second": 1 / batched_s, "loop_positions_per_second": 1 / loop_s,
            "speedup": loop_s / batched_s, "max_abs_difference": agree, "variants_per_second": len(ref) / variants_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="+")
    parser.add_argument("--sequences", type=int, default=20)
    parser.add_argument("--loop-sequences", type=int, default=1)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--span", type=int, default=None, help="mutate only this many central positions (windows)")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    rows = [measure(p, args.sequences, args.loop_sequences, args.device, args.span) for p in args.models]
    for row in rows:
        print(f"{row['model']:<22} ISM {row['ism_positions_per_second']:>10,.0f} positions/s, loop "
              f"{row['loop_positions_per_second']:>8,.0f}/s, speedup {row['speedup']:6.1f}x "
              f"(max |diff| {row['max_abs_difference']:.1e}); variants {row['variants_per_second']:,.0f}/s")
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
