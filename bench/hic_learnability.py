"""Where Hi-C learning stalls on the synthetic demo: sequence input against an oracle of the planted sites.

Trains one demo-sized Hi-C network on a targets store (Adam, batch 2 unless `--batch-size`, no augmentation, all
windows in memory) and prints validation and test pooled Pearson every `--every` steps, next to the per-pixel
training mean (what the distance_baseline model predicts). `--input sites` replaces the sequence and conv tower by
the true site indicators per bin (strong/weak x +/-, read from the demo's sites.bed) fed to the same trunk and head:
if that learns and the sequence input does not, the bottleneck is finding the sites in sequence, not the 2D head.
The demo architecture includes the auxiliary insulation head; `--arch '{"insulation_weight": 0}'` removes it.

    OMP_NUM_THREADS=1 python bench/hic_learnability.py --store results/hic/demo/targets.h5 --steps 600 --every 100
    OMP_NUM_THREADS=1 python bench/hic_learnability.py --store results/hic/demo/targets.h5 --steps 600 --every 100 \\
        --arch '{"insulation_weight": 0}'
"""

from __future__ import annotations

import argparse
import json
import time

import h5py
import numpy as np
import pandas as pd
import pyfaidx
import torch
from torch import nn

from regformer.chains.hic.specs import MODELS
from regformer.data.encoding import one_hot
from regformer.io.fasta import fetch_codes
from regformer.models.hic.blocks import ContactMapHead, DilatedResidual1d, dilated_residual_stack
from regformer.models.outputs import mse_loss, prediction_of

SEQUENCE_MODELS = ["akita", "akita_transformer", "akita_vae"]


def pooled_pearson(pred: torch.Tensor, target: torch.Tensor) -> float:
    """Pearson over every pixel of every map and window."""
    p, t = pred.flatten().double(), target.flatten().double()
    p, t = p - p.mean(), t - t.mean()
    return float((p * t).sum() / (p.norm() * t.norm()))


def site_features(sites: pd.DataFrame, chrom: str, start: int, end: int, bin_size: int) -> np.ndarray:
    """(4, bins) indicators of the planted sites per bin: strong +, strong -, weak +, weak -."""
    out = np.zeros((4, (end - start) // bin_size), np.float32)
    here = sites[(sites["chrom"] == chrom) & (sites["start"] >= start) & (sites["end"] <= end)]
    for name, strand, site_start, site_end in here[["name", "strand", "start", "end"]].itertuples(index=False):
        out[2 * (name == "weak") + (strand == "-"), ((site_start + site_end) // 2 - start) // bin_size] = 1
    return out


def load_split(h5: h5py.File, split: str, make_input) -> tuple[torch.Tensor, torch.Tensor]:
    rows = h5[f"index/{split}"][:]
    chroms = h5["regions/sequence_chrom"][:].astype(str)
    starts, ends = h5["regions/start"][:], h5["regions/end"][:]
    x = np.stack([make_input(chroms[r], int(starts[r]), int(ends[r])) for r in rows])
    return torch.from_numpy(x), torch.from_numpy(np.nan_to_num(h5["targets"][rows].astype(np.float32)))


def oracle_model(arch: dict, n_maps: int) -> nn.Module:
    """Site indicators -> the demo trunk's dilated 1D stack -> the Akita head (no sequence, no conv tower)."""
    width = arch["tower_filters"]
    layers: list[nn.Module] = [nn.Conv1d(4, width, 1)]
    if arch.get("n_dilated", 0):
        layers.append(dilated_residual_stack(DilatedResidual1d, arch["n_dilated"], width, arch["dilated_filters"],
                                             arch["dilated_rate_mult"], 0.0))
    head = ContactMapHead(width, n_maps, arch["head_filters"], 3, arch["head_dilated_filters"],
                          arch["n_head_dilated"], arch["head_rate_mult"], arch["head_dropout"], arch["crop"],
                          arch["diagonal_offset"])
    return nn.Sequential(*layers, head)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", required=True)
    parser.add_argument("--sites", help="sites BED (default: raw/sites.bed next to the store)")
    parser.add_argument("--input", choices=["sequence", "sites"], default="sequence")
    parser.add_argument("--model", choices=SEQUENCE_MODELS, default="akita")
    parser.add_argument("--arch", default="{}", help="JSON overrides of the demo architecture")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--every", type=int, default=50)
    parser.add_argument("--lr", type=float, default=1e-2)
    parser.add_argument("--batch-size", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    h5 = h5py.File(args.store, "r")
    summary = json.loads(h5.attrs["summary"])
    arch = {**MODELS[args.model].demo, **json.loads(args.arch)}
    if args.input == "sites":
        bed = args.sites or str(args.store).rsplit("/", 1)[0] + "/raw/sites.bed"
        sites = pd.read_csv(bed, sep="\t", header=None, names=["chrom", "start", "end", "name", "score", "strand"])
        make_input = lambda c, s, e: site_features(sites, c, s, e, summary["bin_size"])  # noqa: E731
        encode = lambda x: x  # noqa: E731
    else:
        fasta = pyfaidx.Fasta(summary["fasta"], as_raw=True)
        make_input = lambda c, s, e: fetch_codes(fasta, c, s, e)  # noqa: E731
        encode = one_hot
    x_train, y_train = load_split(h5, "train", make_input)
    evals = {split: load_split(h5, split, make_input) for split in ("val", "test")}
    n_maps = y_train.shape[2]
    mean = y_train.mean(0, keepdim=True)
    print(f"{len(x_train)} training windows; per-pixel training mean: test Pearson "
          f"{pooled_pearson(mean.expand_as(evals['test'][1]), evals['test'][1]):.3f}", flush=True)
    if args.input == "sites":
        model = oracle_model(arch, n_maps)
    else:
        model = MODELS[args.model].build(**{**arch, "n_maps": n_maps})
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    t0, losses = time.perf_counter(), []
    for step in range(1, args.steps + 1):
        idx = torch.randint(0, len(x_train), (args.batch_size,))
        batch = {"y": y_train[idx]}
        output = model(encode(x_train[idx]))
        loss = model.training_loss(output, batch) if hasattr(model, "training_loss") else mse_loss(output, batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if step % args.every == 0:
            model.eval()
            with torch.no_grad():
                scores = {s: pooled_pearson(torch.cat([prediction_of(model(encode(x[i:i + 4])))
                                                       for i in range(0, len(x), 4)]), y)
                          for s, (x, y) in evals.items()}
            model.train()
            print(f"step {step} ({time.perf_counter() - t0:.0f} s): train loss {np.mean(losses[-args.every:]):.4f}, "
                  f"val Pearson {scores['val']:.3f}, test Pearson {scores['test']:.3f}", flush=True)


if __name__ == "__main__":
    main()
