"""Benchmark: each chain's training DataLoader, samples/s at several worker counts (against model consumption).

    .venv/bin/python bench/loaders.py [--chains promoter,hic,tracks,scatac] [--workers 0,2] [--batches 20]
                                      [--suite bench/results/suite_cuda.json] [--out bench/results/loaders.json]

Each chain gets a store built here in a temporary folder, at the full models' per-sample geometry where the
demo data allow it: promoter 20,000 synthetic 110-bp promoters; hic 1,024-kb windows (512 bins of the real yeast
2 kb cooler, crop 32 -> 448 bins, 99,681 pixels: Akita's full-size target) on a random sequence; tracks
196,608-bp windows (Enformer's length, 128-bp bins, crop 320 -> 896 bins) of the synthetic 3-track genome;
scatac the real PBSmall cells (SnapATAC2) as cell sentences. The loader is the chain's own datamodule
(chain.datamodule) with the first torch model's training batch size; time to the first batch (worker start-up)
is reported apart from the steady rate. With --suite (a bench/suite.py JSON), each chain's full-size models'
measured training samples/s are listed beside it with the ratio loader / model (goal >= 3).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from regformer.chains.registry import chain_models, load_chain

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"


def _random_fasta(path: Path, lengths: dict[str, int], seed: int = 0) -> None:
    import pyfaidx

    rng = np.random.default_rng(seed)
    with open(path, "w") as out:
        for chrom, length in lengths.items():
            seq = np.frombuffer(b"ACGT", dtype=np.uint8)[rng.integers(0, 4, length)].tobytes().decode()
            out.write(f">{chrom}\n" + "\n".join(seq[i:i + 60] for i in range(0, length, 60)) + "\n")
    pyfaidx.Faidx(str(path))


def promoter_store(root: Path) -> Path:
    from regformer.chains.promoter.prepare import prepare_promoter_dataset
    from regformer.chains.promoter.synthetic import simulate_promoter_library

    simulate_promoter_library(root / "lib.txt", root / "nf.txt", n_sequences=20_000, seed=0)
    prepare_promoter_dataset(root / "lib.txt", root / "store.h5", root / "summary.json")
    return root / "store.h5"


def hic_store(root: Path) -> Path:
    import cooler

    from regformer.chains.hic.targets import build_targets

    uri = str(DATA / "hic" / "yeast_W303_G1_2kb_SRR8769554.cool")
    sizes = {c: int(s) for c, s in cooler.Cooler(uri).chromsizes.items() if s >= 1_024_000}
    _random_fasta(root / "genome.fa", sizes)
    regions = [(c, s, s + 1_024_000) for c, size in sizes.items() for s in range(0, size - 1_024_000 + 1, 128_000)]
    build_targets({"yeast": uri}, regions, root / "targets.h5", bin_size=2000, crop=32, splits=["train"] * len(regions),
                  fasta=str(root / "genome.fa"))
    return root / "targets.h5"


def tracks_store(root: Path) -> Path:
    from regformer.chains.tracks.regions import define_track_regions
    from regformer.chains.tracks.synthetic import simulate_tracks
    from regformer.chains.tracks.synthetic_signal import TRACKS
    from regformer.chains.tracks.targets import build_track_targets

    bws = {t: str(root / f"{t}.bw") for t in TRACKS}
    nfs = {t: str(root / f"{t}.nf.bw") for t in TRACKS}
    simulate_tracks(root / "genome.fa", bws, nfs, root / "targets.tsv", seed=0,
                    chrom_lengths={"chr1": 4_000_000, "chr2": 400_000, "chr3": 400_000})
    define_track_regions(root / "genome.fa", list(bws.values()), root / "regions.tsv", bin_size=128, seq_length=196_608,
                         train_stride=49_152, eval_stride=196_608, valid_chroms=["chr2"], test_chroms=["chr3"])
    build_track_targets(root / "targets.tsv", root / "regions.tsv", root / "targets.h5", fasta=root / "genome.fa",
                        bin_size=128, crop=320)
    return root / "targets.h5"


def scatac_store(root: Path) -> Path:
    from regformer.chains.scatac.qc import import_and_qc
    from regformer.chains.scatac.sentences import build_sentence_store

    import_and_qc(DATA / "scatac" / "ArchR_PBSmall_hg19_fragments.tsv.gz", root / "cells.h5ad", root / "qc.json",
                  root / "qc.png", DATA / "scatac" / "hg19_chr5_chr11.sizes", {"min_fragments": 50, "n_comps": 10})
    build_sentence_store(root / "cells.h5ad", root / "store.h5", split={"train": 0.7, "val": 0.15, "test": 0.15})
    return root / "store.h5"


STORES = {"promoter": promoter_store, "hic": hic_store, "tracks": tracks_store, "scatac": scatac_store}


def loader_rate(chain: str, store: Path, training: dict, workers: int, batches: int) -> dict:
    """Seconds to the first batch, then samples/s over up to `batches` further batches (epochs repeat)."""
    loader = load_chain(chain).datamodule(store, training, num_workers=workers).train_dataloader()
    start = time.perf_counter()
    iterator = iter(loader)
    next(iterator)
    first = time.perf_counter() - start
    samples, start = 0, time.perf_counter()
    for _ in range(batches):
        try:
            batch = next(iterator)
        except StopIteration:
            iterator = iter(loader)
            batch = next(iterator)
        samples += len(batch["y"])
    seconds = time.perf_counter() - start
    epoch = len(loader.dataset)
    del iterator, loader
    return {"chain": chain, "workers": workers, "batch_size": training["batch_size"], "first_batch_s": round(first, 3),
            "batches": batches, "samples_per_s": round(samples / seconds, 2), "train_samples": epoch,
            # a training split shorter than the timed batches restarts the loader (its workers, unless persistent)
            "epochs_timed": round(samples / epoch, 2)}


def consumption(suite: dict | None, chain: str) -> dict[str, float]:
    """model -> measured full-size training samples/s (the faster of compile on/off) from a suite JSON."""
    rates: dict[str, float] = {}
    for row in (suite or {}).get("rows", []):
        if row.get("chain") == chain and row.get("size") == "full" and "samples_per_s" in row:
            rates[row["model"]] = max(rates.get(row["model"], 0.0), row["samples_per_s"])
    return rates


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chains", default=",".join(STORES))
    parser.add_argument("--workers", default="0,2", help="comma-separated worker counts")
    parser.add_argument("--batches", type=int, default=20, help="timed batches per setting")
    parser.add_argument("--batch-size", type=int, default=None, help="override the models' training batch size")
    parser.add_argument("--suite", type=Path, default=None, help="bench/suite.py JSON for model consumption")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results" / "loaders.json")
    args = parser.parse_args(argv)
    suite = json.loads(args.suite.read_text()) if args.suite else None
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for chain in [c for c in args.chains.split(",") if c]:
            root = Path(tmp) / chain
            root.mkdir()
            started = time.perf_counter()
            store = STORES[chain](root)
            build_s = round(time.perf_counter() - started, 1)
            spec = next(s for s in chain_models(chain).values() if s.kind == "torch")
            training = dict(spec.training, batch_size=args.batch_size or spec.training["batch_size"])
            for workers in [int(w) for w in args.workers.split(",")]:
                row = {**loader_rate(chain, store, training, workers, args.batches), "store_build_s": build_s}
                models = consumption(suite, chain)
                if models:
                    row["model_samples_per_s"] = models
                    row["loader_over_model"] = {m: round(row["samples_per_s"] / r, 2) for m, r in models.items() if r}
                print(json.dumps(row), flush=True)
                rows.append(row)
    result = {"cpus": os.cpu_count(), "rows": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    main()
